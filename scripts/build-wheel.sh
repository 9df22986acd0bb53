#!/usr/bin/env bash
# Builds the wheel of the waitress_go Python package for this OS/architecture:
#
#   dist/waitress_go-<version>-cp39-abi3-<platform>.whl
#
# It holds the package (python/waitress_go), the Go engine as the extension module
# waitress_go/_engine.abi3.so (stable ABI: any CPython 3.9+), and the standalone waitress-serve
# binary as a script, which pip installs into the environment's bin/. Needs Go (with cgo and
# gcc) and a python3 to write the zip; no network, no build backend.
#
#   bash scripts/build-wheel.sh && pip install --no-index dist/waitress_go-*.whl
#
# Environment: PYTHON (default python3) writes the wheel; OUT (default ./dist) receives it;
# BUILD (default ./build/wheel) holds the intermediate files.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
OUT=${OUT:-$ROOT/dist}
BUILD=${BUILD:-$ROOT/build/wheel}

log() { printf '==> %s\n' "$*" >&2; }

case "$(go env GOOS)/$(go env GOARCH)" in
linux/amd64) PLATFORM=linux_x86_64 ;;
linux/arm64) PLATFORM=linux_aarch64 ;;
darwin/amd64) PLATFORM=macosx_11_0_x86_64 ;;
darwin/arm64) PLATFORM=macosx_11_0_arm64 ;;
*)
	echo "build-wheel.sh: no wheel platform tag known for $(go env GOOS)/$(go env GOARCH)" >&2
	exit 1
	;;
esac

rm -rf "$BUILD"
mkdir -p "$BUILD" "$OUT"
export CGO_ENABLED=1
log "go build waitress-serve"
go build -trimpath -ldflags='-s -w' -o "$BUILD/waitress-serve" ./cmd/waitress-serve
log "go build -buildmode=c-shared waitress_go/_engine.abi3.so"
go build -trimpath -ldflags='-s -w' -buildmode=c-shared -o "$BUILD/_engine.abi3.so" ./cmd/pyext

log "writing the wheel"
"$PYTHON" - "$ROOT/python/waitress_go" "$BUILD" "$OUT" "$PLATFORM" <<'EOF'
import base64, hashlib, os, re, sys, zipfile

pkg, build, out, platform = sys.argv[1:]
src = open(os.path.join(pkg, "__init__.py"), encoding="utf-8").read()
version = re.search(r'^__version__ = "([^"]+)"', src, re.M).group(1)
name = "waitress_go"
tag = "cp39-abi3-" + platform
dist_info = f"{name}-{version}.dist-info"
data = f"{name}-{version}.data"
wheel_path = os.path.join(out, f"{name}-{version}-{tag}.whl")

files = []  # (archive name, bytes, executable)
for fn in sorted(os.listdir(pkg)):
    if fn.endswith(".py"):
        with open(os.path.join(pkg, fn), "rb") as f:
            files.append((f"{name}/{fn}", f.read(), False))
with open(os.path.join(build, "_engine.abi3.so"), "rb") as f:
    files.append((f"{name}/_engine.abi3.so", f.read(), True))
with open(os.path.join(build, "waitress-serve"), "rb") as f:
    files.append((f"{data}/scripts/waitress-serve", f.read(), True))

metadata = f"""Metadata-Version: 2.1
Name: waitress-go
Version: {version}
Summary: Waitress, the WSGI server, rebuilt in Go: waitress-serve and waitress_go.serve(app)
Requires-Python: >=3.9
Classifier: Programming Language :: Python :: 3
Classifier: Topic :: Internet :: WWW/HTTP :: WSGI :: Server

waitress-go serves any PEP 3333 application with Waitress's options and behaviour, with HTTP
parsing, buffering and socket I/O done in Go outside the GIL. Use the waitress-serve command,
or waitress_go.serve(app, host=..., port=...) from Python, or use = egg:waitress_go#main in a
PasteDeploy ini.
"""
files.append((f"{dist_info}/METADATA", metadata.encode(), False))
wheel = f"""Wheel-Version: 1.0
Generator: waitress-go build-wheel.sh
Root-Is-Purelib: false
Tag: {tag}
"""
files.append((f"{dist_info}/WHEEL", wheel.encode(), False))
files.append((f"{dist_info}/entry_points.txt", b"[paste.server_runner]\nmain = waitress_go:serve_paste\n", False))
files.append((f"{dist_info}/top_level.txt", b"waitress_go\n", False))


def record_hash(b):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()


record = "".join(f"{n},{record_hash(b)},{len(b)}\n" for n, b, _ in files)
record += f"{dist_info}/RECORD,,\n"
files.append((f"{dist_info}/RECORD", record.encode(), False))

tmp = wheel_path + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    for n, b, exe in files:
        info = zipfile.ZipInfo(n, date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (0o100755 if exe else 0o100644) << 16
        z.writestr(info, b)
os.replace(tmp, wheel_path)
print(wheel_path)
EOF
