#!/usr/bin/env bash
# Installs what the tests need and runs every test: go vet, then the unit tests of all packages
# and the end-to-end suite in e2e/. Meant for a fresh Debian 12 machine as root with no stdin
# (CI), and idempotent so developers can run it again and again.
#
# Environment:
#   VENV_DIR        where the cached test venvs live (default ./.venv-test)
#   GO_TEST_FLAGS   extra flags for go test (e.g. "-run TestKeepAlive -v")
#   E2E_SERVER      "ours" (default) or "waitress" (the real Waitress, as a behaviour oracle)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV_DIR=${VENV_DIR:-$ROOT/.venv-test}
export DEBIAN_FRONTEND=noninteractive

log() { printf '==> %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------------------------
# nginx: front-end proxy tests; libpython3.11: the shared libpython behind /usr/bin/python3;
# python3-venv: to make the Debian venv; curl: manual checks and scripts; python3-pyramid and
# python3-pastedeploy: pserve running the wheel's PasteDeploy entry point (pytests/);
# gcc-mingw-w64-x86-64: the Windows cross-build.
need_pkgs=()
for p in nginx libpython3.11 python3-venv curl python3-pyramid python3-pastedeploy gcc-mingw-w64-x86-64; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		need_pkgs+=("$p")
	fi
done
if ((${#need_pkgs[@]})); then
	if [ "$(id -u)" != 0 ]; then
		log "missing Debian packages ${need_pkgs[*]} and not root: install them first"
		exit 1
	fi
	log "installing ${need_pkgs[*]}"
	apt-get update -qq </dev/null
	apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" </dev/null >/dev/null
fi

# --- Python venvs ----------------------------------------------------------------------------
# One venv per interpreter we support: pyenv's (python3 on PATH) and Debian's (/usr/bin/python3).
# Waitress goes into both so the oracle can run under either interpreter; it is pinned because
# the e2e expectations were checked against this version (E2E_SERVER=waitress).
WAITRESS_VERSION=3.0.2
make_venv() { # name python
	local dir=$VENV_DIR/$1 py=$2 stamp
	stamp="flask requests waitress==$WAITRESS_VERSION $("$py" -c 'import sys; print(sys.version.split()[0])')"
	if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
		return
	fi
	log "creating venv $dir from $py"
	rm -rf "$dir"
	"$py" -m venv "$dir"
	"$dir/bin/python" -m pip install -q --disable-pip-version-check --no-input flask requests "waitress==$WAITRESS_VERSION" </dev/null
	echo "$stamp" >"$dir/.stamp"
}
PYENV_PY=$(command -v python3) || { log "python3 not on PATH (expected pyenv's 3.11)"; exit 1; }
make_venv pyenv "$PYENV_PY"
make_venv debian /usr/bin/python3
export E2E_VENV_PYENV=$VENV_DIR/pyenv
export E2E_VENV_DEBIAN=$VENV_DIR/debian

# --- Go --------------------------------------------------------------------------------------
# A vet failure still lets the tests run (their report is worth having); both decide the exit.
status=0
log "go vet ./..."
go vet ./... || { status=1; log "go vet failed"; }

log "windows/amd64 cross-build"
bash scripts/cross-windows.sh || { status=1; log "windows cross-build failed"; }

log "go test ./..."
# -count=1: e2e and pytests build the binary in a subprocess, which go test's result cache
# cannot see, so a cached pass could hide a change elsewhere in the tree.
# shellcheck disable=SC2086
go test -count=1 -timeout 20m ${GO_TEST_FLAGS:-} ./... || status=1
exit $status
