"""The Python API of the installed waitress_go package: serve, create_server, keywords,
errors, logging and the access log. Run by pytests/api_test.go with the venv's python:

    python -m unittest -v test_api
"""

import http.client
import json
import logging
import logging.config
import os
import re
import socket
import stat
import tempfile
import threading
import time
import unittest
import warnings

import waitress_go
from waitress_go import UnknownAdjustment, create_server, serve

# Waitress's adjustment names (waitress.adjustments.Adjustments._params), all of which
# serve/create_server must take.
WAITRESS_ADJUSTMENTS = """host port ipv4 ipv6 listen threads trusted_proxy trusted_proxy_count
trusted_proxy_headers log_untrusted_proxy_headers clear_untrusted_proxy_headers url_scheme
url_prefix backlog recv_bytes send_bytes outbuf_overflow outbuf_high_watermark inbuf_overflow
connection_limit cleanup_interval channel_timeout log_socket_errors max_request_header_size
max_request_body_size expose_tracebacks ident asyncore_loop_timeout asyncore_use_poll
unix_socket unix_socket_perms sockets channel_request_lookahead server_name""".split()


def environ_app(environ, start_response):
    """Echoes the str environ items as JSON; /boom raises; POST returns 201 with the body."""
    if environ["PATH_INFO"].endswith("/boom"):
        raise ValueError("kaboom")
    if environ["REQUEST_METHOD"] == "POST":
        body = environ["wsgi.input"].read()
        start_response("201 Created", [("Content-Type", "text/plain")])
        return [body]
    env = {k: v for k, v in environ.items() if isinstance(v, str)}
    body = json.dumps(env).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def request(server, path="/", method="GET", body=None, headers=None, index=0):
    """(status, headers dict, body) of one request to listener index of server."""
    host, port = server.effective_listen[index]
    if host == "unix":
        conn = UnixHTTPConnection(port)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)


class Running:
    """create_server(app, **kw), run() in a thread, close() and join on exit."""

    def __init__(self, app=environ_app, **kw):
        self.server = create_server(app, **kw)

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        return self.server

    def __exit__(self, *exc):
        self.server.close()
        self.thread.join(15)
        assert not self.thread.is_alive(), "run() did not return after close()"


class Records(logging.Handler):
    """Collects the records of one logger while installed (with statement)."""

    def __init__(self, name, level=logging.DEBUG):
        super().__init__(logging.DEBUG)
        self.logger = logging.getLogger(name)
        self.level_to_set = level
        self.records = []
        self.cond = threading.Condition()

    def emit(self, record):
        with self.cond:
            self.records.append(record)
            self.cond.notify_all()

    def __enter__(self):
        self.old_level = self.logger.level
        self.logger.setLevel(self.level_to_set)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
        self.logger.setLevel(self.old_level)

    def wait(self, pred, timeout=5):
        """The first record for which pred is true; server records arrive asynchronously."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for r in self.records:
                    if pred(r):
                        return r
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no matching record in %r" % [r.getMessage() for r in self.records])
                self.cond.wait(left)


def local(**kw):
    kw.setdefault("host", "127.0.0.1")
    kw.setdefault("port", 0)
    return kw


class ServeTest(unittest.TestCase):
    def serve_in_thread(self, app, **kw):
        box = []

        def factory(app, **kw):
            s = create_server(app, **kw)
            box.append(s)
            return s

        t = threading.Thread(target=serve, args=(app,), kwargs=dict(kw, _server=factory), daemon=True)
        t.start()
        deadline = time.monotonic() + 10
        while not box and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertTrue(box, "serve() did not create its server")
        return box[0], t

    def test_closure_app(self):
        count = [0]

        def make_app(greeting):
            def app(environ, start_response):
                count[0] += 1
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [("%s %d" % (greeting, count[0])).encode()]

            return app

        server, t = self.serve_in_thread(make_app("hi"), _quiet=True, **local())
        self.assertEqual(request(server)[2], b"hi 1")
        self.assertEqual(request(server)[2], b"hi 2")
        server.close()
        t.join(15)
        self.assertFalse(t.is_alive(), "serve() did not return after close()")

    def test_instance_and_method_apps(self):
        class App:
            def __init__(self):
                self.prefix = b"instance"

            def __call__(self, environ, start_response):
                start_response("200 OK", [])
                return [self.prefix]

            def method(self, environ, start_response):
                start_response("200 OK", [])
                return [b"method"]

        a = App()
        for app, want in ((a, b"instance"), (a.method, b"method")):
            with Running(app, **local()) as s:
                self.assertEqual(request(s)[2], want)

    def test_serving_on_is_logged(self):
        with Records("waitress") as rec:
            server, t = self.serve_in_thread(environ_app, **local())
            r = rec.wait(lambda r: r.getMessage().startswith("Serving on"))
            self.assertEqual(r.getMessage(), "Serving on http://127.0.0.1:%d" % server.effective_port)
            server.close()
            t.join(15)

    def test_quiet_logs_nothing(self):
        with Records("waitress") as rec:
            server, t = self.serve_in_thread(environ_app, _quiet=True, **local())
            request(server)
            server.close()
            t.join(15)
        self.assertFalse([r for r in rec.records if r.getMessage().startswith("Serving on")])


class KeywordTest(unittest.TestCase):
    def env(self, server, path="/", **kw):
        status, _, body = request(server, path, **kw)
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def test_every_waitress_adjustment_is_known(self):
        known = set(waitress_go._engine.adjustments())
        self.assertEqual(set(WAITRESS_ADJUSTMENTS) - known, set())
        self.assertIn("access_log", known)
        self.assertIn("access_log_format", known)

    def test_port_forms(self):
        for kw in (dict(host="127.0.0.1", port=0), dict(host="127.0.0.1", port="0"), dict(listen="127.0.0.1:0")):
            with Running(**kw) as s:
                self.assertEqual(s.effective_host, "127.0.0.1")
                self.assertGreater(s.effective_port, 0)
                self.assertEqual(self.env(s)["SERVER_PORT"], str(s.effective_port))

    def test_listen_forms(self):
        for listen in ("127.0.0.1:0 127.0.0.1:0", ["127.0.0.1:0", "127.0.0.1:0"], "127.0.0.1:0\n127.0.0.1:0"):
            with Running(listen=listen) as s:
                self.assertEqual(len(s.effective_listen), 2, listen)
                for i in range(2):
                    self.assertEqual(request(s, index=i)[0], 200)

    def test_url_prefix_scheme_server_name_ident(self):
        with Running(url_prefix="/app/", url_scheme="https", server_name="example.invalid",
                     ident="myident", **local()) as s:
            env = self.env(s, "/app/x")
            self.assertEqual((env["SCRIPT_NAME"], env["PATH_INFO"]), ("/app", "/x"))
            self.assertEqual(env["wsgi.url_scheme"], "https")
            self.assertEqual(request(s)[1]["server"], "myident")
        with Running(ident=None, **local()) as s:  # None: not given, Waitress's default
            self.assertEqual(request(s)[1]["server"], "waitress")

    def test_int_forms(self):
        for threads in (2, "3", 2.0):
            with Running(threads=threads, max_request_body_size="10", **local()) as s:
                self.assertEqual(request(s, method="POST", body=b"0123456789abc")[0], 413)
                self.assertEqual(request(s, method="POST", body=b"01234")[0], 201)

    def test_bool_forms(self):
        for value, shown in ((True, True), ("yes", True), ("1", True), (False, False), ("false", False), (0, False)):
            with Running(expose_tracebacks=value, **local()) as s:
                status, _, body = request(s, "/boom")
                self.assertEqual(status, 500)
                self.assertEqual(b"kaboom" in body, shown, (value, body))

    def test_trusted_proxy_forms(self):
        for headers in ({"x-forwarded-proto"}, ["X-Forwarded-Proto"], "x-forwarded-proto x-forwarded-for"):
            with Running(trusted_proxy="127.0.0.1", trusted_proxy_headers=headers, **local()) as s:
                env = self.env(s, headers={"X-Forwarded-Proto": "https"})
                self.assertEqual(env["wsgi.url_scheme"], "https", headers)

    def test_unix_socket(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.sock")
            with Running(unix_socket=path, unix_socket_perms="660") as s:
                self.assertEqual(s.effective_listen, [("unix", path)])
                self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o660)
                self.assertEqual(self.env(s)["REMOTE_ADDR"], "localhost")

    def test_sockets(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(5)
        port = sock.getsockname()[1]
        with Running(sockets=[sock]) as s:
            self.assertEqual(s.effective_listen, [("127.0.0.1", port)])
            self.assertEqual(self.env(s)["SERVER_PORT"], str(port))
        self.assertEqual(sock.fileno(), -1, "the server owns (and closes) the sockets it was given")

    def test_send_bytes_warns(self):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with Running(send_bytes=1, **local()):
                pass
        self.assertTrue(any(issubclass(x.category, DeprecationWarning) and "send_bytes" in str(x.message) for x in w))


class BadKeywordTest(unittest.TestCase):
    def test_unknown_adjustment(self):
        for call in (lambda: create_server(environ_app, bogus=1),
                     lambda: serve(environ_app, _quiet=True, bogus=1),
                     lambda: create_server(environ_app, app="x:y")):
            with self.assertRaises(TypeError) as cm:
                call()
            self.assertIsInstance(cm.exception, ValueError)  # what Waitress raises
            self.assertIsInstance(cm.exception, UnknownAdjustment)
            self.assertRegex(str(cm.exception), r"^Unknown adjustment '(bogus|app)'$")

    def test_bad_values(self):
        for kw, word in (
            (dict(threads="many"), "threads"),
            (dict(threads=0), "threads"),
            (dict(port=70000), "port"),
            (dict(port="http"), "port"),
            (dict(listen="127.0.0.1:0", host="127.0.0.1"), "listen"),
            (dict(unix_socket="/tmp/x.sock", port=1), "unix_socket"),
            (dict(trusted_proxy_headers="x-forwarded-for"), "trusted_proxy"),
            (dict(unix_socket_perms="999"), "unix_socket_perms"),
            (dict(access_log=True, access_log_format="%(h"), "access log format"),
        ):
            with self.assertRaises(ValueError, msg=kw) as cm:
                create_server(environ_app, **kw)
            self.assertIn(word, str(cm.exception))
            self.assertNotIsInstance(cm.exception, TypeError)

    def test_bad_apps(self):
        with self.assertRaisesRegex(ValueError, "was ``None``"):
            create_server(None, **local())
        with self.assertRaises(TypeError):
            create_server(42, **local())

    def test_address_in_use(self):
        with Running(**local()) as s:
            with self.assertRaisesRegex(OSError, "address already in use"):
                create_server(environ_app, host="127.0.0.1", port=s.effective_port)


class CreateServerTest(unittest.TestCase):
    def test_bind_request_close(self):
        s = create_server(environ_app, **local())
        port = s.effective_port
        self.assertEqual(s.urls, ["http://127.0.0.1:%d" % port])
        t = threading.Thread(target=s.run)
        t.start()
        self.assertEqual(request(s)[0], 200)
        s.close()
        t.join(15)
        self.assertFalse(t.is_alive())
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()

    def test_close_without_run(self):
        s = create_server(environ_app, **local())
        port = s.effective_port
        s.close()
        s.run()  # returns at once: closed
        again = create_server(environ_app, host="127.0.0.1", port=port)  # the port is free
        again.close()

    def test_context_manager_and_close_wait(self):
        with create_server(environ_app, **local()) as s:
            t = threading.Thread(target=s.run)
            t.start()
            self.assertEqual(request(s)[0], 200)
        # The server has stopped when close(wait=True) returns; run() then returns promptly.
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", s.effective_port), timeout=2).close()
        t.join(5)
        self.assertFalse(t.is_alive())

    def test_close_from_the_app(self):
        box = []

        def app(environ, start_response):
            box[0].close()
            start_response("200 OK", [])
            return [b"bye"]

        s = create_server(app, **local())
        box.append(s)
        t = threading.Thread(target=s.run)
        t.start()
        self.assertEqual(request(s)[2], b"bye")
        t.join(15)
        self.assertFalse(t.is_alive())


class LoggingTest(unittest.TestCase):
    def test_app_error_record(self):
        with Records("waitress", logging.INFO) as rec, Running(**local()) as s:
            self.assertEqual(request(s, "/boom")[0], 500)
            r = rec.wait(lambda r: r.levelno == logging.ERROR)
        self.assertEqual(r.name, "waitress")
        msg = r.getMessage()
        self.assertTrue(msg.startswith("Exception while serving /boom"), msg)
        self.assertIn("Traceback", msg)
        self.assertIn("ValueError: kaboom", msg)

    def test_logger_level_decides(self):
        # Configured from Python before serving: the "waitress" logger at ERROR drops INFO.
        logging.config.dictConfig({"version": 1, "incremental": True, "loggers": {"waitress": {"level": "ERROR"}}})
        try:
            with Records("waitress", logging.ERROR) as rec, Running(**local()) as s:
                s.print_listen("Serving on http://{}:{}")
                request(s, "/boom")
                rec.wait(lambda r: r.levelno == logging.ERROR)
            self.assertFalse([r for r in rec.records if r.levelno < logging.ERROR])
        finally:
            logging.getLogger("waitress").setLevel(logging.NOTSET)


class AccessLogTest(unittest.TestCase):
    def test_off_by_default(self):
        with Records("waitress.access") as rec, Running(**local()) as s:
            request(s)
        time.sleep(0.2)
        self.assertEqual(rec.records, [])

    def test_combined_format(self):
        with Records("waitress.access") as rec, Running(access_log=True, **local()) as s:
            request(s, "/x?y=1", headers={"Referer": "http://ref/", "User-Agent": "ua/1"})
            r = rec.wait(lambda r: True)
        self.assertEqual(r.levelno, logging.INFO)
        self.assertRegex(
            r.getMessage(),
            r'^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
            r'"GET /x\?y=1 HTTP/1\.1" 200 \d+ "http://ref/" "ua/1"$')

    def test_custom_format(self):
        fmt = "%(m)s %(U)s %(q)s %(s)s %(b)s %({x-test}i)s %({content-type}o)s %(u)s %%"
        with Records("waitress.access") as rec, Running(access_log="yes", access_log_format=fmt, **local()) as s:
            request(s, "/p?a=b", method="POST", body=b"hi",
                    headers={"X-Test": "hdr", "Authorization": "Basic Ym9iOnB3"})
            request(s, "/boom")
            first = rec.wait(lambda r: r.getMessage().startswith("POST"))
            boom = rec.wait(lambda r: "/boom" in r.getMessage())
        self.assertEqual(first.getMessage(), "POST /p a=b 201 2 hdr text/plain bob %")
        self.assertTrue(boom.getMessage().startswith("GET /boom  500 "), boom.getMessage())


if __name__ == "__main__":
    unittest.main()
