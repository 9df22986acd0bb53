"""Endpoints for the option and limit tests; each path is one behaviour.

/env       the environ keys the tests check, as JSON
/big       ?n= bytes in ?chunk= pieces (default 1 MiB), with Content-Length; when the request
           has ?progress=NAME, the bytes produced so far are written to E2E_MARK_DIR/NAME
/upload    reads wsgi.input in 1 MiB pieces after ?wait= seconds; answers the byte count
/sleep     sleeps ?s= seconds
/disconnected  polls waitress.client_disconnected() for up to ?t= seconds and writes the
           result to E2E_MARK_DIR/disconnected
/boom      raises
"""
import json
import os
import time
from urllib.parse import parse_qs

ENV_KEYS = ("REMOTE_ADDR", "REMOTE_HOST", "REMOTE_PORT", "SERVER_NAME", "SERVER_PORT",
            "SERVER_SOFTWARE", "SCRIPT_NAME", "PATH_INFO", "wsgi.url_scheme", "HTTP_HOST",
            "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO",
            "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_BY", "HTTP_FORWARDED")


def mark(name, text):
    path = os.path.join(os.environ["E2E_MARK_DIR"], os.path.basename(name))
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def big(n, chunk, progress):
    piece = b"z" * chunk
    sent = 0
    while sent < n:
        k = min(chunk, n - sent)
        yield piece if k == chunk else piece[:k]
        sent += k
        if progress:
            mark(progress, str(sent))


def app(environ, start_response):
    q = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    path = environ["PATH_INFO"]

    if path == "/env" or path.endswith("/env"):
        body = json.dumps({k: environ.get(k) for k in ENV_KEYS}).encode()
    elif path == "/big":
        n = int(q["n"])
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(n))])
        return big(n, int(q.get("chunk", 1 << 20)), q.get("progress"))
    elif path == "/upload":
        time.sleep(float(q.get("wait", 0)))
        inp = environ["wsgi.input"]
        total = 0
        while True:
            piece = inp.read(1 << 20)
            if not piece:
                break
            total += len(piece)
        body = str(total).encode()
    elif path == "/sleep":
        time.sleep(float(q.get("s", 0.5)))
        body = b"slept"
    elif path == "/disconnected":
        check = environ["waitress.client_disconnected"]
        deadline = time.time() + float(q.get("t", 3))
        seen = check()
        while not seen and time.time() < deadline:
            time.sleep(0.01)
            seen = check()
        mark("disconnected", str(seen))
        body = b"done"
    elif path == "/boom":
        raise ValueError("ops_app: boom")
    else:
        body = path.encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
