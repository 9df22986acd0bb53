"""1 MiB response in one bytes object: measures how the server moves a large body."""

BODY = b"x" * (1024 * 1024)


def app(environ, start_response):
    start_response(
        "200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(BODY)))]
    )
    return [BODY]
