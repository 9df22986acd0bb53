"""Response shapes: generators with and without Content-Length, write(), odd statuses.

Every response iterable records its close() by creating E2E_MARK_DIR/<mark> when the request
has ?mark=NAME, so the tests can tell that the server closed it.
"""
import os
import time
from urllib.parse import parse_qs


class Recorded:
    """Wraps an iterable and records close() in a marker file."""

    def __init__(self, iterable, mark):
        self._it = iter(iterable)
        self._mark = mark

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._it)

    def close(self):
        if self._mark:
            path = os.path.join(os.environ["E2E_MARK_DIR"], os.path.basename(self._mark))
            with open(path, "w") as f:
                f.write("closed\n")


def pieces(n, size, delay):
    for i in range(n):
        if delay:
            time.sleep(delay)
        yield (b"%d:" % i).ljust(size, b".")


def app(environ, start_response):
    q = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    path = environ["PATH_INFO"]
    mark = q.get("mark")

    if path == "/hello":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "6")])
        return Recorded([b"hello\n"], mark)

    if path == "/path":
        body = environ["PATH_INFO"].encode("latin-1")
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    if path == "/chunked":
        # No Content-Length: HTTP/1.1 gets chunked encoding, HTTP/1.0 gets close-delimited.
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Recorded(pieces(int(q.get("n", 5)), int(q.get("size", 10)), float(q.get("delay", 0))), mark)

    if path == "/slow":
        # Large, slow body: the tests hang up in the middle of it.
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return Recorded(pieces(int(q.get("n", 1000)), int(q.get("size", 65536)), float(q.get("delay", 0.01))), mark)

    if path == "/cl-long":
        # Declares 5 bytes but yields 10: only 5 may go out.
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"01234", b"56789"]

    if path == "/cl-short":
        # Declares 100 bytes but yields 10: the server must close the connection.
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "100")])
        return [b"0123456789"]

    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "11")])
        write(b"hello ")
        return [b"world"]

    if path == "/status":
        # An unusual reason phrase and headers in an order that is not sorted.
        body = b"custom\n"
        start_response("299 Something Custom", [
            ("X-Zeta", "1"),
            ("Content-Type", "text/plain"),
            ("X-Alpha", "2"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("X-Mid", "3"),
            ("Content-Length", str(len(body))),
        ])
        return [body]

    if path == "/empty":
        start_response("204 No Content", [])
        return []

    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    return [b"not found\n"]
