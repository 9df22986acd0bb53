"""serve() in the main thread until Ctrl-C: python serve_sigint.py PORT

/slow answers after a second (a request in flight when SIGINT arrives); "serve returned" is
printed when serve() returns, as Waitress's does after KeyboardInterrupt.
"""
import sys
import time

from waitress_go import serve


def make_app():
    served = [0]

    def app(environ, start_response):
        served[0] += 1
        if environ["PATH_INFO"] == "/slow":
            print("slow started", file=sys.stderr, flush=True)
            time.sleep(1)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"done %d" % served[0]]

    return app


serve(make_app(), host="127.0.0.1", port=int(sys.argv[1]), threads=2)
print("serve returned", flush=True)
