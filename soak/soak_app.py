"""The application the soak command serves: normal responses mixed with faults.

/ok               a small response
/echo             the request body back
/big?kb=N         N KiB, with a Content-Length
/slow?ms=N        sleeps N ms first
/raise            raises before start_response (500)
/raise-mid        raises after part of a Content-Length body (connection cut)
/stats            {"threads": ..., "objects": ...} for the soak report
"""
import gc
import json
import threading
import time
from urllib.parse import parse_qs

_KB = b"k" * 1024


def _q(environ):
    return {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _big(n):
    for _ in range(n):
        yield _KB


def _mid(n):
    for _ in range(n):
        yield _KB
    raise RuntimeError("soak: failure in the middle of the body")


def app(environ, start_response):
    path = environ["PATH_INFO"]

    if path == "/ok":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
        return [b"ok\n"]

    if path == "/echo":
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
        return [body]

    if path == "/big":
        n = int(_q(environ).get("kb", "64"))
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(n * 1024))])
        return _big(n)

    if path == "/slow":
        time.sleep(int(_q(environ).get("ms", "100")) / 1000.0)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"slow\n"]

    if path == "/raise":
        raise RuntimeError("soak: failure before start_response")

    if path == "/raise-mid":
        n = int(_q(environ).get("kb", "256"))
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(2 * n * 1024))])
        return _mid(n)

    if path == "/stats":
        gc.collect()
        body = json.dumps({"threads": threading.active_count(), "objects": len(gc.get_objects()),
                           "names": sorted(t.name for t in threading.enumerate())}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    return [b"not found\n"]
