// Package pytests tests waitress-go's Python face end to end: it builds the wheel with
// scripts/build-wheel.sh, installs it offline (pip --no-index) into fresh venvs of both
// interpreters on the machine (pyenv's python3, with a shared libpython, and Debian's
// /usr/bin/python3, statically linked), and drives the installed waitress-serve,
// waitress_go.serve/create_server (testdata/test_api.py, run with unittest), python -m
// waitress_go, Ctrl-C shutdown and Pyramid's pserve with a PasteDeploy ini from them.
package pytests
