"""Appends one line per call to the file named by $E2E_CALLS_FILE, so tests can see it ran."""
import os


def app(environ, start_response):
    with open(os.environ["E2E_CALLS_FILE"], "a") as f:
        f.write("%s %s\n" % (environ["REQUEST_METHOD"], environ["PATH_INFO"]))
    body = environ["wsgi.input"].read()
    body = b"ok " + body
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
