"""Generator of 100 x 1 KiB chunks without Content-Length: one GIL round trip per chunk."""

CHUNK = b"y" * 1024
COUNT = 100


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return (CHUNK for _ in range(COUNT))
