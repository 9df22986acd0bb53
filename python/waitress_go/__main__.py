"""python -m waitress_go [OPTIONS] MODULE:OBJECT — waitress-serve, in this interpreter.

The same options as the waitress-serve command (see --help). It needs no shared libpython,
so it works with statically linked interpreters too.
"""

import signal
import sys


def main(argv=None):
    from . import _load_engine

    engine = _load_engine()
    if argv is None:
        argv = sys.argv[1:]
    # Like waitress-serve: the current directory is importable, and SIGTERM stops the server
    # after requests in flight, as Ctrl-C does.
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")

    def stop(signum, frame):
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return engine.main("python -m waitress_go", list(argv))
    except (KeyboardInterrupt, SystemExit):
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
