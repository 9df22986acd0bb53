"""A large file (path in $BENCH_FILE, 100 MiB in the benchmark) through wsgi.file_wrapper.

If the server offers no wsgi.file_wrapper the app falls back to a plain
block generator; the X-Bench-File-Wrapper header says which path was taken
so the benchmark can report it.
"""

import os

BLOCK = 64 * 1024


def _blocks(f):
    try:
        while True:
            data = f.read(BLOCK)
            if not data:
                return
            yield data
    finally:
        f.close()


def app(environ, start_response):
    path = os.environ["BENCH_FILE"]
    f = open(path, "rb")
    size = os.fstat(f.fileno()).st_size
    wrapper = environ.get("wsgi.file_wrapper")
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", str(size)),
            ("X-Bench-File-Wrapper", "native" if wrapper else "fallback"),
        ],
    )
    if wrapper is not None:
        return wrapper(f, BLOCK)
    return _blocks(f)
