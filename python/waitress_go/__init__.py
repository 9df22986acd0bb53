"""waitress-go: Waitress's server rebuilt in Go, driven from Python.

``serve`` and ``create_server`` take the same keyword arguments as ``waitress.serve`` and
``waitress.create_server`` (every adjustment: host, port, listen, threads, url_scheme,
trusted_proxy, ...), plus ``access_log`` and ``access_log_format``. The HTTP server is Go code
loaded as the extension module ``waitress_go._engine``; it runs inside this process and calls
the application on its own pool of Python threads, with the GIL released while it does HTTP.

    from waitress_go import serve
    serve(app, host="127.0.0.1", port=8080)
"""

import atexit
import logging
import threading
import warnings

__all__ = ["serve", "serve_paste", "create_server", "Server", "UnknownAdjustment"]
__version__ = "0.1.0"

_eng = None  # the engine module, once imported
_adjustments = frozenset()


def _load_engine():
    global _eng, _adjustments
    if _eng is None:
        from . import _engine

        if not hasattr(_engine, "create"):
            # Inside the standalone waitress-serve the name belongs to its embedded engine.
            raise RuntimeError("waitress_go.serve cannot be used inside waitress-serve's own process")
        _adjustments = frozenset(_engine.adjustments())
        _eng = _engine
    return _eng


class UnknownAdjustment(TypeError, ValueError):
    """A keyword that is not an adjustment. A TypeError, as for any unexpected keyword
    argument, and a ValueError, which is what Waitress raises for it."""


def _as_str(value):
    """An adjustment value as the string options.Set converts, as Waitress converts values."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple, set, frozenset)):
        return " ".join(_as_str(v) for v in value)
    return str(value)


_TRUTHY = frozenset(("t", "true", "y", "yes", "on", "1"))  # Waitress's asbool


def _parse_url(url):
    """(host, port) from one of the engine's "http://host:port" URLs, as Waitress's
    effective_host/effective_port; ("unix", path) for a unix socket."""
    rest = url.split("://", 1)[1]
    if rest.startswith("unix:"):
        return ("unix", rest[len("unix:"):])
    host, _, port = rest.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return (host, int(port))


_live = set()
_live_lock = threading.Lock()


class Server:
    """A server made by create_server: bound and listening, serving once run() is called.

    effective_listen lists the bound (host, port) pairs (port 0 becomes the real port);
    effective_host and effective_port are the first of them, as on a Waitress server.
    """

    def __init__(self, application, sockets, adjustments):
        engine = _load_engine()
        pairs = []
        for name, value in adjustments.items():
            if name not in _adjustments or name == "sockets":
                raise UnknownAdjustment("Unknown adjustment %r" % name)
            if value is None:
                continue
            pairs.append((name, _as_str(value)))
        self._sockets = list(sockets or ())
        fds = [s.fileno() for s in self._sockets]
        self._handle, warns, urls = engine.create(application, pairs, fds)
        for w in warns:
            warnings.warn(w, DeprecationWarning, stacklevel=3)
        self.application = application
        self.effective_listen = [_parse_url(u) for u in urls]
        self.effective_host, self.effective_port = self.effective_listen[0]
        self._urls = urls
        with _live_lock:
            _live.add(self)

    @property
    def urls(self):
        """The "http://host:port" address of every listener."""
        return list(self._urls)

    def print_listen(self, format_str):
        """Log format_str.format(host, port) for each listener on the "waitress" logger."""
        log = logging.getLogger("waitress")
        for host, port in self.effective_listen:
            if ":" in host:
                host = "[%s]" % host
            log.info(format_str.format(host, port))

    def run(self):
        """Serve until close() or Ctrl-C; requests in flight are finished first (a second
        Ctrl-C stops waiting for them). As in Waitress, KeyboardInterrupt and SystemExit
        raised while serving stop the server and are not propagated."""
        try:
            _eng.run(self._handle)
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self._release()

    def close(self, wait=False):
        """Stop the server. If run() is serving (in another thread), it returns once requests
        in flight have finished; with wait=True close() waits for that too."""
        _eng.close(self._handle, 1 if wait else 0)
        self._release()

    def _release(self):
        with _live_lock:
            _live.discard(self)
        # As Waitress, the server owned the sockets it was given.
        for s in self._sockets:
            s.close()
        self._sockets = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close(wait=True)


def create_server(application, **kw):
    """Make a server for application (any WSGI callable) with Waitress's adjustments as
    keywords, bound to its addresses but not serving yet: call run() (blocks) and close()."""
    if application is None:
        raise ValueError(
            'The "app" passed to ``create_server`` was ``None``.  You forgot '
            "to return a WSGI app within your application."
        )
    if not callable(application):
        raise TypeError("The application must be callable, not %s" % type(application).__name__)
    sockets = kw.pop("sockets", None)
    server = Server(application, sockets, kw)
    if kw.get("access_log") is not None and _as_str(kw["access_log"]).lower() in _TRUTHY:
        # Opting in shows the lines unless logging was configured for them: as the "waitress"
        # logger gets INFO from waitress-serve.
        access = logging.getLogger("waitress.access")
        if access.level == logging.NOTSET:
            access.setLevel(logging.INFO)
    return server


def serve(app, **kw):
    """Serve app until Ctrl-C, like waitress.serve: keywords are Waitress's adjustments;
    _quiet=True skips logging.basicConfig() and the "Serving on" lines."""
    _server = kw.pop("_server", create_server)  # test shim, as in Waitress
    _quiet = kw.pop("_quiet", False)
    if not _quiet:
        # idempotent if logging has already been set up
        logging.basicConfig()
    server = _server(app, **kw)
    if not _quiet:
        server.print_listen("Serving on http://{}:{}")
    server.run()


def serve_paste(app, global_conf, **kw):
    """PasteDeploy server runner (use = egg:waitress_go#main): ini settings are adjustments."""
    serve(app, **kw)
    return 0


@atexit.register
def _close_all():
    # Servers left running in daemon threads must release their Python threads before the
    # interpreter goes away.
    with _live_lock:
        left = list(_live)
    for s in left:
        try:
            s.close(wait=True)
        except Exception:
            pass
