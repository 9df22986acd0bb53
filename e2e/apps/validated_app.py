"""An app wrapped in wsgiref.validate.validator: any PEP 3333 slip by the server raises or warns.

Warnings become errors so a slip shows as a failed request and on stderr, not as a quiet line.
"""
import warnings
from wsgiref.validate import validator

warnings.simplefilter("error")


def inner(environ, start_response):
    method = environ["REQUEST_METHOD"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    inp = environ["wsgi.input"]
    if method == "POST":
        first = inp.readline()
        rest = inp.read(max(length - len(first), 0))
        body = b"post:" + first + rest
    else:
        body = b"method:" + method.encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    if method == "HEAD":
        return [b""]
    return [body]


app = validator(inner)
