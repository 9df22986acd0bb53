"""WSGI apps exercised by the wsgi package's tests."""
import json
import os
import sys
import time

closed = []


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, world!"]


def environ_dump(environ, start_response):
    out = {}
    for k, v in environ.items():
        if isinstance(v, str):
            out[k] = v
        else:
            out[k] = type(v).__name__
    out["wsgi.version"] = list(environ["wsgi.version"])
    out["body"] = environ["wsgi.input"].read().decode("latin-1")
    out["disconnected"] = environ["waitress.client_disconnected"]()
    body = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


class Closing:
    def __init__(self, chunks, fail_at=None):
        self.chunks = chunks
        self.fail_at = fail_at

    def __iter__(self):
        for i, c in enumerate(self.chunks):
            if i == self.fail_at:
                raise ValueError("boom in iteration")
            yield c

    def close(self):
        closed.append(True)


def gen(environ, start_response):
    start_response("200 OK", [])
    return Closing([b"x" * 1024] * 100)


def gen_fail(environ, start_response):
    start_response("200 OK", [])
    return Closing([b"a", b"b", b"c"], fail_at=1)


def raise_before(environ, start_response):
    raise RuntimeError("before start")


def two_starts(environ, start_response):
    start_response("200 OK", [])
    start_response("500 Oops", [])
    return [b""]


def exc_info_replace(environ, start_response):
    start_response("200 OK", [("X-A", "1")])
    try:
        raise KeyError("k")
    except KeyError:
        start_response("500 Replaced", [("X-B", "2")], sys.exc_info())
    return [b"replaced"]


def hop(environ, start_response):
    start_response("200 OK", [("Connection", "close")])
    return [b""]


def yields_str(environ, start_response):
    start_response("200 OK", [])
    return ["text"]


def returns_none(environ, start_response):
    start_response("200 OK", [])
    return None


def writer(environ, start_response):
    write = start_response("200 OK", [("Content-Length", "10")])
    write(b"01234")
    return [b"56789"]


def lazy_start(environ, start_response):
    def body():
        start_response("201 Created", [("X-Lazy", "yes")])
        yield b""
        yield b"late"
    return body()


def big(environ, start_response):
    start_response("200 OK", [])
    return [b"y" * (3 << 20)]


def sleepy(environ, start_response):
    time.sleep(0.2)
    start_response("200 OK", [])
    return [b"slept"]


def napper(environ, start_response):
    time.sleep(0.002)
    start_response("200 OK", [])
    return [b"napped"]


_running = [0, 0]  # now, most at once
_running_lock = __import__("threading").Lock()


def concurrency(environ, start_response):
    with _running_lock:
        _running[0] += 1
        _running[1] = max(_running[1], _running[0])
    time.sleep(0.02)
    with _running_lock:
        _running[0] -= 1
        most = _running[1]
    start_response("200 OK", [])
    return [str(most).encode()]


BIG = b"z" * (1 << 20)


def big_const(environ, start_response):
    start_response("200 OK", [("Content-Length", str(len(BIG)))])
    return [BIG]


def big_refs(environ, start_response):
    start_response("200 OK", [])
    return [str(sys.getrefcount(BIG)).encode()]


def busy(environ, start_response):
    # Pure-Python work that never releases the GIL: another thread could only contend for it.
    import threading
    end = time.perf_counter() + 0.003
    while time.perf_counter() < end:
        pass
    start_response("200 OK", [])
    return [str(threading.get_ident()).encode()]


def file_app(environ, start_response):
    f = open(environ["QUERY_STRING"], "rb")
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return environ["wsgi.file_wrapper"](f)


def counts(environ, start_response):
    import gc
    start_response("200 OK", [])
    return [("%d %d" % (len(gc.get_objects()), sys.getallocatedblocks())).encode()]


def factory():
    return hello


not_callable = 42
