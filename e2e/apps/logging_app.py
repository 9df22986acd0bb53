"""Configures logging at import, as many apps do: the server's own messages must follow it."""
import logging

logging.basicConfig(format="CUSTOMFMT %(name)s|%(levelname)s|%(message)s", level=logging.INFO)


def app(environ, start_response):
    if environ["PATH_INFO"] == "/boom":
        raise ValueError("logging_app: boom")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
