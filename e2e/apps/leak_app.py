"""Small responses of every shape, plus /stats with the interpreter's object and block counts.

/req      reads the body, answers 100 bytes
/gen      a generator with headers and no Content-Length (chunked), closed by the server
/file     this file through wsgi.file_wrapper
/err      raises before start_response (a 500 page)
/stats    {"objects": len(gc.get_objects()), "blocks": sys.getallocatedblocks()}
"""
import gc
import json
import sys


def gen():
    for i in range(5):
        yield b"%d" % i * 10


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/stats":
        gc.collect()
        gc.collect()
        body = json.dumps({"objects": len(gc.get_objects()), "blocks": sys.getallocatedblocks()}).encode()
    elif path == "/gen":
        environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Kind", "gen")])
        return gen()
    elif path == "/file":
        f = open(__file__, "rb")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return environ["wsgi.file_wrapper"](f, 4096)
    elif path == "/err":
        raise RuntimeError("leak_app: deliberate error")
    else:
        body = b"x" * 100
        environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
