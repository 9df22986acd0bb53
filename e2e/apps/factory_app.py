"""An application factory for --call."""


def create_app():
    def app(environ, start_response):
        body = b"made by the factory\n"
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    return app
