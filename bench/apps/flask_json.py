"""Flask JSON endpoint: a small dict serialised with jsonify, as an API would."""

from flask import Flask, jsonify

app = Flask(__name__)

ITEMS = [{"id": i, "name": "item-%d" % i, "price": i * 1.25, "tags": ["a", "b"]} for i in range(10)]


@app.route("/")
def index():
    return jsonify(ok=True, count=len(ITEMS), items=ITEMS)
