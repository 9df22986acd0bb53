"""Flask hello world: a typical framework app returning a short string."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "Hello, World!\n"
