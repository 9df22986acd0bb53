"""Reports the WSGI environ as JSON so the tests can check every key.

Strings are sent as they are (JSON escapes keep latin-1 code points exact), other values as
{"type": name, ...} with what the tests need to know about them. ?input=MODE reads wsgi.input
one way (read, read-size, readline, readlines, iter) and reports what it got.
"""
import json
import sys
from urllib.parse import parse_qs


def describe(value):
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    if isinstance(value, tuple):
        return {"type": "tuple", "items": list(value)}
    return {"type": type(value).__name__, "callable": callable(value)}


def read_input(inp, mode):
    if mode == "read":
        return [inp.read().decode("latin-1")]
    if mode == "read-size":
        parts = []
        while True:
            piece = inp.read(3)
            if not piece:
                return parts
            parts.append(piece.decode("latin-1"))
    if mode == "readline":
        lines = []
        while True:
            line = inp.readline()
            if not line:
                return lines
            lines.append(line.decode("latin-1"))
    if mode == "readlines":
        return [line.decode("latin-1") for line in inp.readlines()]
    if mode == "iter":
        return [line.decode("latin-1") for line in inp]
    raise ValueError("unknown input mode %r" % mode)


def app(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    report = {key: describe(value) for key, value in environ.items()}

    errors = environ["wsgi.errors"]
    report["_errors_api"] = all(callable(getattr(errors, m, None)) for m in ("write", "writelines", "flush"))
    errors.write("environ_app: wsgi.errors works\n")
    errors.flush()

    inp = environ["wsgi.input"]
    report["_input_api"] = all(callable(getattr(inp, m, None)) for m in ("read", "readline", "readlines", "__iter__"))
    mode = query.get("input", [None])[0]
    if mode:
        report["_input"] = read_input(inp, mode)
        report["_input_after_eof"] = inp.read().decode("latin-1")

    disconnected = environ.get("waitress.client_disconnected")
    if callable(disconnected):
        report["_client_disconnected"] = disconnected()

    body = json.dumps(report, sort_keys=True).encode("ascii")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
