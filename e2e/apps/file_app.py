"""Serves the file named by ?path= through wsgi.file_wrapper."""
import os
from urllib.parse import parse_qs


def app(environ, start_response):
    path = parse_qs(environ["QUERY_STRING"])["path"][0]
    f = open(path, "rb")
    size = os.fstat(f.fileno()).st_size
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(size))])
    return environ["wsgi.file_wrapper"](f, 65536)
