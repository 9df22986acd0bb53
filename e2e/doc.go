// Package e2e holds the end-to-end tests: they start a real waitress-serve process on a test
// application from apps/ and talk to it over loopback sockets, with a strict hand-written HTTP
// client for the wire details and net/http where that is enough.
//
// E2E_SERVER picks the server under test: "ours" (the default) builds ./cmd/waitress-serve;
// "waitress" runs the reference Python Waitress from the test venv, which is how the
// expectations were checked. E2E_VENV_PYENV and E2E_VENV_DEBIAN name the venvs made by
// scripts/test.sh (default: .venv-test/pyenv and .venv-test/debian at the repository root).
package e2e
