#!/usr/bin/env bash
# The benchmark command: installs what is missing, builds, runs bench/bench.py.
#
#   bench/run.sh                      # full run, ~7 minutes
#   bench/run.sh --quick              # smoke check, ~2-3 minutes
#   bench/run.sh --only hello,sleepy --servers ours,waitress --duration 10
#   bench/run.sh --help               # every option
#
# Installs (when missing, as root on Debian): wrk, uwsgi, uwsgi-plugin-python3
# with apt; bench/.venv with waitress, gunicorn, granian, flask, pyuwsgi from
# PyPI. Builds bench/.build/waitress-serve from ./cmd/waitress-serve (a failed
# build only drops our server from the run) and bench/.build/gohello.
# BENCH_PYTHON picks the interpreter for the venv (default: python3 on PATH);
# our server loads that same Python through $VIRTUAL_ENV.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BENCH_DIR")"
VENV="$BENCH_DIR/.venv"
BUILD="$BENCH_DIR/.build"
PY="${BENCH_PYTHON:-python3}"
PEERS_PIP=(waitress gunicorn granian flask pyuwsgi)

log() { echo "run.sh: $*" >&2; }

for arg in "$@"; do
  if [[ "$arg" == "-h" || "$arg" == "--help" ]]; then
    exec python3 "$BENCH_DIR/bench.py" --help
  fi
done

# --- system packages -------------------------------------------------------
apt_missing=()
command -v wrk >/dev/null 2>&1 || apt_missing+=(wrk)
dpkg -s uwsgi >/dev/null 2>&1 || apt_missing+=(uwsgi)
dpkg -s uwsgi-plugin-python3 >/dev/null 2>&1 || apt_missing+=(uwsgi-plugin-python3)
command -v "$PY" >/dev/null 2>&1 || apt_missing+=(python3)
if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  apt_missing+=(python3-venv)
fi
if ! command -v go >/dev/null 2>&1 && [[ ! -x /usr/local/go/bin/go ]]; then
  log "Go is not installed; install Go ${GO_MIN:-1.26} (see go.mod) first"
  exit 1
fi
command -v go >/dev/null 2>&1 || export PATH="/usr/local/go/bin:$PATH"

if ((${#apt_missing[@]})); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    log "missing: ${apt_missing[*]} (need root and apt-get to install them)"
    exit 1
  fi
  log "installing ${apt_missing[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq
  timeout 600 apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

# Our server dlopens the interpreter's shared libpython; Debian ships it separately.
pyver="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
libpy="$("$PY" -c 'import sysconfig, os; d=sysconfig.get_config_var("LIBDIR") or ""; n=sysconfig.get_config_var("INSTSONAME") or ""; print(os.path.join(d, n) if n else "")')"
if [[ -n "$libpy" && ! -e "$libpy" ]] && ! ldconfig -p 2>/dev/null | grep -q "libpython${pyver}\.so"; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing libpython${pyver} (shared libpython for waitress-serve)"
    export DEBIAN_FRONTEND=noninteractive
    timeout 300 apt-get update -qq
    timeout 600 apt-get install -y -qq --no-install-recommends "libpython${pyver}" >/dev/null ||
      log "could not install libpython${pyver}; our server may fail to start"
  fi
fi

# --- Python peers ----------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV with $PY ($pyver)"
  "$PY" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import waitress, gunicorn, granian, flask, pyuwsgi' >/dev/null 2>&1; then
  log "installing ${PEERS_PIP[*]} into $VENV"
  timeout 600 "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PEERS_PIP[@]}"
fi

# --- builds ----------------------------------------------------------------
mkdir -p "$BUILD"
cd "$REPO_DIR"
log "building bench/.build/gohello"
go build -o "$BUILD/gohello" ./bench/gohello

# Never benchmark a stale binary: remove it first, skip ours if the build fails.
rm -f "$BUILD/waitress-serve"
build_log="$BUILD/waitress-serve.build.log"
if go build -o "$BUILD/waitress-serve" ./cmd/waitress-serve >"$build_log" 2>&1; then
  log "built bench/.build/waitress-serve"
else
  rm -f "$BUILD/waitress-serve"
  log "go build ./cmd/waitress-serve failed; our server is skipped. Last lines:"
  tail -n 5 "$build_log" | sed 's/^/run.sh:   /' >&2
fi

exec python3 "$BENCH_DIR/bench.py" "$@"
