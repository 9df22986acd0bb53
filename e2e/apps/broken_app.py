"""An application broken in every way PEP 3333 allows; each path is one mistake.

E2E_MARK_DIR: close() calls are recorded there as files named after ?mark=, and /hang waits
until a file named "release" appears in it (or 120 s pass).
"""
import os
import sys
import time
from urllib.parse import parse_qs

_leaked = []


def _mark(name):
    if name:
        with open(os.path.join(os.environ["E2E_MARK_DIR"], os.path.basename(name)), "w") as f:
            f.write("closed\n")


class CloseRaises:
    """A complete body whose close() raises."""

    def __init__(self, chunks):
        self._chunks = chunks

    def __iter__(self):
        return iter(self._chunks)

    def close(self):
        raise RuntimeError("e2e: close() failed")


class IterRaises:
    """An iterable whose __iter__ raises; close() is recorded."""

    def __init__(self, mark):
        self._mark = mark

    def __iter__(self):
        raise RuntimeError("e2e: __iter__ failed")

    def close(self):
        _mark(self._mark)


class LenLies:
    """Claims one item (so the server may derive Content-Length from it) but yields three."""

    def __len__(self):
        return 1

    def __iter__(self):
        return iter([b"one", b"two", b"three"])


def _gen_then_raise(mark):
    try:
        yield b"a" * 1000
        yield b"b" * 1000
        raise RuntimeError("e2e: generator failed mid-stream")
    finally:
        _mark(mark)


def _gen_then(value):
    yield b"fine"
    yield value


def app(environ, start_response):
    path = environ["PATH_INFO"]
    q = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    plain = [("Content-Type", "text/plain")]

    if path == "/raise-after-start":
        start_response("200 OK", plain)
        raise RuntimeError("e2e: failure after start_response")

    if path == "/return-none":
        start_response("200 OK", plain)
        return None

    if path == "/return-none-no-start":
        return None

    if path == "/return-str":
        start_response("200 OK", plain)
        return "a str instead of an iterable of bytes"

    if path == "/return-int":
        start_response("200 OK", plain)
        return 42

    if path == "/return-bytes":
        # Iterating bytes yields ints.
        start_response("200 OK", plain)
        return b"bytes, not a list of bytes"

    if path == "/yield-str":
        start_response("200 OK", plain)
        return (s for s in ["a str chunk"])

    if path == "/yield-int":
        start_response("200 OK", plain)
        return [1, 2, 3]

    if path == "/yield-str-after-bytes":
        # Chunked (no Content-Length): the first chunk may be out before the str.
        start_response("200 OK", plain)
        return _gen_then("then a str")

    if path == "/iter-raises":
        start_response("200 OK", plain)
        return IterRaises(q.get("mark"))

    if path == "/generator-raises":
        # No Content-Length: a chunked response that must never get its last chunk.
        start_response("200 OK", plain)
        return _gen_then_raise(q.get("mark"))

    if path == "/close-raises":
        body = b"complete body\n"
        start_response("200 OK", plain + [("Content-Length", str(len(body)))])
        return CloseRaises([body])

    if path == "/len-lies":
        start_response("200 OK", plain)
        return LenLies()

    if path == "/system-exit":
        raise SystemExit(3)

    if path == "/keyboard-interrupt":
        raise KeyboardInterrupt()

    if path == "/recursion":
        def f(n):
            return f(n + 1)
        return f(0)

    if path == "/bad-exc-info":
        start_response("200 OK", plain, "not an exc_info tuple")
        return [b"bad exc_info\n"]

    if path == "/hang":
        release = os.path.join(os.environ["E2E_MARK_DIR"], "release")
        deadline = time.time() + 120
        while not os.path.exists(release) and time.time() < deadline:
            time.sleep(0.05)
        start_response("200 OK", plain)
        return [b"released\n"]

    if path == "/leak":
        # Keeps ?mb= MiB alive for the life of the process.
        _leaked.append(bytearray(int(q.get("mb", "10")) << 20))
        body = ("leaked %d MiB so far\n" % sum(len(b) >> 20 for b in _leaked)).encode()
        start_response("200 OK", plain + [("Content-Length", str(len(body)))])
        return [body]

    if path == "/noisy":
        # ?kb= KiB to each of stdout and stderr, in lines.
        line = "x" * 1023
        for _ in range(int(q.get("kb", "1024"))):
            print(line)
            print(line, file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        body = b"noisy done\n"
        start_response("200 OK", plain + [("Content-Length", str(len(body)))])
        return [body]

    body = b"ok\n"
    start_response("200 OK", plain + [("Content-Length", "3")])
    return [body]
