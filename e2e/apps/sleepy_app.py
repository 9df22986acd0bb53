"""Sleeps ?s= seconds (default 0.5), then answers with the time it started and ended."""
import time
from urllib.parse import parse_qs


def app(environ, start_response):
    seconds = float(parse_qs(environ["QUERY_STRING"]).get("s", ["0.5"])[0])
    start = time.time()
    time.sleep(seconds)
    body = ("slept %.3f %.6f %.6f\n" % (seconds, start, time.time())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
