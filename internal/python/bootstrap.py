# The Python half of waitress-go's engine: the parts that are not on the per-request hot path
# (loading the app, formatting exceptions, logging, wsgi.file_wrapper). It runs as the module
# "waitress_go._engine" inside the embedded interpreter; the C half calls these by name.
import io
import logging
import os
import stat
import sys
import traceback

BytesIO = io.BytesIO


class ClientDisconnected(Exception):
    """Raised by write() when the client has closed the connection."""


class FileWrapper:
    """wsgi.file_wrapper: a file with a real descriptor is sent by the OS (sendfile)."""

    def __init__(self, filelike, block_size=32768):
        self.filelike = filelike
        self.block_size = block_size
        # Middleware that wraps the wrapper (e.g. for Range requests) may seek, as with Waitress.
        for name in ("seek", "tell", "seekable"):
            if hasattr(filelike, name):
                setattr(self, name, getattr(filelike, name))

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.block_size)
        if data:
            return data
        raise StopIteration

    def close(self):
        close = getattr(self.filelike, "close", None)
        if close is not None:
            close()


def file_info(wrapper):
    """(fd, offset, size) of a regular file that the OS can send, or None to iterate instead."""
    if os.name == "nt":
        # Python's descriptors belong to its own C runtime, which the server cannot use: the
        # wrapper is iterated, block_size bytes at a time.
        return None
    f = wrapper.filelike
    try:
        fileno = f.fileno()
        st = os.fstat(fileno)
        if not stat.S_ISREG(st.st_mode):
            return None
        pos = f.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    size = max(st.st_size - pos, 0)
    return (os.dup(fileno), pos, size)


def open_input(fd):
    """wsgi.input for a body spooled to a temporary file."""
    if os.name == "nt":
        # The server passes a Win32 handle; a descriptor must come from Python's C runtime.
        import msvcrt

        try:
            fd = msvcrt.open_osfhandle(fd, os.O_RDONLY)
        except OSError:
            import _winapi

            _winapi.CloseHandle(fd)
            raise
    return os.fdopen(fd, "rb")


def format_exc(etype, value, tb):
    """(one-line summary, formatted traceback) of an exception."""
    lines = traceback.format_exception(etype, value, tb)
    summary = traceback.format_exception_only(etype, value)[-1].strip()
    return summary, "".join(lines)


class LoadError(Exception):
    """The application could not be loaded; args[0] is the one-line reason."""


def load_app(spec, call):
    """Import 'module:object' (object may be dotted) and optionally call it."""
    import pkgutil

    module, sep, obj = spec.partition(":")
    if not sep or not module or not obj:
        raise LoadError(f"Malformed application '{spec}': expected module:object")
    try:
        mod = __import__(module, fromlist=["__name__"])
    except ImportError as exc:
        traceback.print_exc()
        raise LoadError(f"Bad module '{module}': {exc}") from None
    except BaseException as exc:
        traceback.print_exc()
        raise LoadError(f"Bad module '{module}': importing it raised {type(exc).__name__}: {exc}") from None
    app = mod
    for segment in obj.split("."):
        try:
            app = getattr(app, segment)
        except AttributeError:
            raise LoadError(f"Bad object name '{obj}': module '{module}' has no attribute '{obj}'") from None
    if call:
        try:
            app = app()
        except BaseException as exc:
            traceback.print_exc()
            raise LoadError(f"Calling '{spec}' (--call) raised {type(exc).__name__}: {exc}") from None
    if not callable(app):
        raise LoadError(f"The application '{spec}' is not callable (it is a {type(app).__name__})")
    return app


def setup_path(executable, prefix, exec_prefix, path, cwd):
    """Make sys look like the chosen interpreter's (venv prefix, executable, path) plus cwd first."""
    sys.executable = executable
    if sys.prefix != prefix:
        sys.prefix = prefix
        sys.exec_prefix = exec_prefix
        sys.path[:] = [p for p in path if p]
    if cwd in sys.path:
        sys.path.remove(cwd)
    sys.path.insert(0, cwd)
    sys.argv = [executable]


def log(name, level, msg):
    logging.getLogger(name).log(level, msg)


def setup_cli_logging():
    """As waitress-serve: the waitress logger at INFO unless configured otherwise."""
    logger = logging.getLogger("waitress")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def basic_config():
    """As waitress.serve: idempotent logging.basicConfig()."""
    logging.basicConfig()


def counts():
    """(gc objects, allocated blocks): for leak checks."""
    import gc

    gc.collect()
    return len(gc.get_objects()), sys.getallocatedblocks()


def environ_template():
    """The environ items that are the same for every request."""
    return {
        "wsgi.version": (1, 0),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": FileWrapper,
        "wsgi.input_terminated": True,
    }


def eval_int(expr):
    """int(eval(expr)): lets Go tests and diagnostics inspect the interpreter."""
    return int(eval(expr, {}))
