"""Echoes the request body back, with the CONTENT_LENGTH and method it saw in headers."""


def app(environ, start_response):
    inp = environ["wsgi.input"]
    body = inp.read()
    headers = [
        ("Content-Type", "application/octet-stream"),
        ("Content-Length", str(len(body))),
        ("X-Seen-Content-Length", environ.get("CONTENT_LENGTH", "<unset>") or "<empty>"),
        ("X-Seen-Method", environ["REQUEST_METHOD"]),
        ("X-Seen-Path", environ["PATH_INFO"]),
    ]
    start_response("200 OK", headers)
    return [body]
