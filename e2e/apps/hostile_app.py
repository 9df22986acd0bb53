"""Targets for abusive clients.

/hello            a tiny response
/big?mb=N         N MiB with a Content-Length, in 64 KiB pieces; ?mark= records close()
/upload           reads the whole body in pieces and reports its size; each call is recorded
                  in $E2E_CALLS_FILE when set
/sleep?s=X        sleeps X seconds, then answers "slept"
/stats            {"threads": threading.active_count()}
"""
import json
import os
import threading
import time
from urllib.parse import parse_qs

_piece = b"z" * 65536


class Big:
    def __init__(self, n, mark):
        self._n = n
        self._mark = mark

    def __iter__(self):
        for _ in range(self._n):
            yield _piece

    def close(self):
        if self._mark:
            with open(os.path.join(os.environ["E2E_MARK_DIR"], os.path.basename(self._mark)), "w") as f:
                f.write("closed\n")


def app(environ, start_response):
    path = environ["PATH_INFO"]
    q = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}

    if path == "/big":
        n = int(float(q.get("mb", "1")) * 16)
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(n * len(_piece)))])
        return Big(n, q.get("mark"))

    if path == "/upload":
        calls = os.environ.get("E2E_CALLS_FILE")
        if calls:
            with open(calls, "a") as f:
                f.write("%s %s\n" % (environ["REQUEST_METHOD"], path))
        inp = environ["wsgi.input"]
        total = 0
        while True:
            piece = inp.read(65536)
            if not piece:
                break
            total += len(piece)
        body = b"%d" % total
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    if path == "/sleep":
        time.sleep(float(q.get("s", "1")))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "6")])
        return [b"slept\n"]

    if path == "/stats":
        body = json.dumps({"threads": threading.active_count()}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "6")])
    return [b"hello\n"]
