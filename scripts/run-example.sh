#!/usr/bin/env bash
# Builds waitress-serve and serves examples/hello.py on http://127.0.0.1:8080 (Ctrl-C stops it).
# The example app uses only the standard library, so any Python 3.9+ found the usual way works:
# $VIRTUAL_ENV if a venv is active, else python3 on PATH. Extra arguments go to waitress-serve.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/waitress-serve ./cmd/waitress-serve
cd examples
exec ../bin/waitress-serve --host 127.0.0.1 --port 8080 "$@" hello:app
