"""Sleeps 10 ms per request (like waiting on a database): throughput is bound by threads / 10 ms."""

import time

BODY = b"slept 10ms\n"


def app(environ, start_response):
    time.sleep(0.010)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]
