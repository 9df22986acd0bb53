"""Applications that fail at different points of a response."""
import os


class Failing:
    """Yields `good` chunks and then raises; records close() in E2E_MARK_DIR/<mark>."""

    def __init__(self, good, mark):
        self._good = list(good)
        self._mark = mark

    def __iter__(self):
        return self

    def __next__(self):
        if self._good:
            return self._good.pop(0)
        raise RuntimeError("e2e: failure in the middle of the body")

    def close(self):
        if self._mark:
            with open(os.path.join(os.environ["E2E_MARK_DIR"], os.path.basename(self._mark)), "w") as f:
                f.write("closed\n")


def app(environ, start_response):
    path = environ["PATH_INFO"]
    mark = None
    if environ["QUERY_STRING"].startswith("mark="):
        mark = environ["QUERY_STRING"][len("mark="):]

    if path == "/before":
        raise RuntimeError("e2e: failure before start_response")

    if path == "/first-iteration":
        # start_response was called but no body byte was produced: still a clean 500.
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Failing([], mark)

    if path == "/after":
        # Headers and part of the body are out before the failure: the connection must close.
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "1000000")])
        return Failing([b"x" * 100000], mark)

    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [b"ok\n"]
