"""A tiny app plus /stats, which reports the interpreter's object and memory-block counts."""
import gc
import json
import sys


def app(environ, start_response):
    if environ["PATH_INFO"] == "/stats":
        gc.collect()
        gc.collect()
        body = json.dumps({"objects": len(gc.get_objects()), "blocks": sys.getallocatedblocks()}).encode()
    else:
        body = b"x" * 100
        environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
