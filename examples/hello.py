"""A standard-library-only WSGI app to try waitress-serve with.

    waitress-serve --host 127.0.0.1 --port 8080 hello:app
    waitress-serve --host 127.0.0.1 --port 8080 --call hello:create_app

Paths:
    /       "Hello, world!"
    /env    the WSGI environ, one "key = value" line each
    /echo   echoes the body of a POST (or PUT) back with its Content-Type
"""


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    method = environ["REQUEST_METHOD"]

    if path == "/env":
        lines = ["%s = %r" % (k, environ[k]) for k in sorted(environ)]
        return _reply(start_response, "200 OK", ("\n".join(lines) + "\n").encode("utf-8"))

    if path == "/echo":
        if method not in ("POST", "PUT"):
            return _reply(start_response, "405 Method Not Allowed", b"POST a body to /echo\n",
                          [("Allow", "POST, PUT")])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        ctype = environ.get("CONTENT_TYPE") or "application/octet-stream"
        return _reply(start_response, "200 OK", body, content_type=ctype)

    if path in ("", "/"):
        return _reply(start_response, "200 OK", b"Hello, world!\n")

    return _reply(start_response, "404 Not Found", b"Not Found\n")


def _reply(start_response, status, body, extra=(), content_type="text/plain; charset=utf-8"):
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    headers.extend(extra)
    start_response(status, headers)
    return [body]


def create_app():
    """Application factory, for `waitress-serve --call hello:create_app`."""
    return app
