"""Applications that call start_response wrongly; each path is one mistake."""
import sys


def app(environ, start_response):
    path = environ["PATH_INFO"]

    if path == "/twice":
        start_response("200 OK", [("Content-Type", "text/plain")])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"twice\n"]

    if path == "/never":
        return [b"no start_response\n"]

    if path == "/status-bytes":
        start_response(b"200 OK", [("Content-Type", "text/plain")])
        return [b"bytes status\n"]

    if path == "/status-short":
        start_response("200", [("Content-Type", "text/plain")])
        return [b"short status\n"]

    if path == "/header-newline":
        start_response("200 OK", [("X-Bad", "a\r\nX-Injected: 1")])
        return [b"newline\n"]

    if path == "/header-not-str":
        start_response("200 OK", [("X-Bad", 1)])
        return [b"int header\n"]

    if path == "/hop-by-hop":
        start_response("200 OK", [("Transfer-Encoding", "chunked")])
        return [b"hop\n"]

    if path == "/body-str":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return ["a str, not bytes\n"]

    if path == "/exc-info-replaces":
        # The usual error-handler pattern: start over with exc_info before anything was sent.
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("e2e: handled")
        except ValueError:
            body = b"replaced\n"
            start_response("503 Service Unavailable",
                           [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
                           sys.exc_info())
        return [body]

    if path == "/exc-info-after-headers":
        # exc_info after the headers went out: start_response re-raises, the connection closes.
        write = start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "100")])
        write(b"partial")
        try:
            raise ValueError("e2e: too late")
        except ValueError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"unreachable"]

    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [b"ok\n"]
