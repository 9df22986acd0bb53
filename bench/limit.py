"""In-process throughput limit of one WSGI app: no server, no sockets.

Calls the app in a tight pure-Python loop with a typical environ (a copy of
one dict plus a fresh BytesIO for wsgi.input), consumes the iterable and
closes it, the least a server must do per request. Its calls/s is the
ceiling a single-interpreter server could reach with this app, which is
what bench.py compares every server against.

Run with the bench venv's Python (the apps import Flask):
    python limit.py MODULE:APP [--seconds 2] [--method POST --body-bytes 65536]
Prints one JSON object on stdout.
"""

import argparse
import importlib
import io
import json
import os
import sys
import time


class FileWrapper:
    """Stands in for a server's wsgi.file_wrapper.

    The loop does not iterate it: a real server hands the file to the kernel
    or its own I/O, outside the app's Python cost, which is what we measure.
    """

    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = blksize

    def __iter__(self):
        while True:
            data = self.filelike.read(self.blksize)
            if not data:
                return
            yield data

    def close(self):
        close = getattr(self.filelike, "close", None)
        if close is not None:
            close()


def load(target):
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    obj = module
    for part in (attr or "application").split("."):
        obj = getattr(obj, part)
    return obj


def base_environ(method, body_len):
    env = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "bench-limit",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_HOST": "127.0.0.1",
        "REMOTE_PORT": "54321",
        "HTTP_HOST": "127.0.0.1:8080",
        "HTTP_USER_AGENT": "wrk",
        "HTTP_ACCEPT": "*/*",
        "HTTP_CONNECTION": "keep-alive",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
        "wsgi.file_wrapper": FileWrapper,
    }
    if body_len:
        env["CONTENT_LENGTH"] = str(body_len)
        env["CONTENT_TYPE"] = "application/octet-stream"
    return env


def measure(app, method, body, seconds):
    base = base_environ(method, len(body))
    bad = [0]

    def write(data):
        pass  # our apps never call write(); servers must still offer it

    def start_response(status, headers, exc_info=None):
        if not status.startswith("200"):
            bad[0] += 1
        return write

    BytesIO = io.BytesIO
    perf = time.perf_counter
    calls = 0
    out_bytes = 0
    start = perf()
    deadline = start + seconds
    now = start
    while now < deadline:
        env = base.copy()
        env["wsgi.input"] = BytesIO(body)
        result = app(env, start_response)
        try:
            if not isinstance(result, FileWrapper):
                for chunk in result:
                    out_bytes += len(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        calls += 1
        now = perf()
    elapsed = now - start
    return {
        "calls": calls,
        "seconds": elapsed,
        "calls_per_s": calls / elapsed if elapsed > 0 else 0.0,
        "bytes_per_call": out_bytes / calls if calls else 0,
        "non_200": bad[0],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="MODULE:APP")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body-bytes", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, os.getcwd())
    app = load(args.target)
    body = b"p" * args.body_bytes
    measure(app, args.method, body, min(0.2, args.seconds))  # warm caches/imports
    print(json.dumps(measure(app, args.method, body, args.seconds)))


if __name__ == "__main__":
    main()
