"""A small Flask app: needs Flask from the venv the server runs with."""
import sys

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello from Flask!"


@app.route("/json", methods=["GET", "POST"])
def json_view():
    return jsonify(
        method=request.method,
        args=request.args.to_dict(),
        body=request.get_json(silent=True),
        python=sys.version.split()[0],
        prefix=sys.prefix,
        executable=sys.executable,
    )
