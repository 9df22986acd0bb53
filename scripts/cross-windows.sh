#!/usr/bin/env bash
# Cross-compiles waitress-serve.exe for windows/amd64 (cgo with Debian's MinGW-w64) and checks
# the result: go vet for GOOS=windows, a PE32+ x86-64 console executable, and an import table
# that names only DLLs every Windows has (libpython is loaded at run time, never linked).
# Idempotent; for a Debian machine as root with no stdin (CI).
#
# Environment:
#   OUT   where to write the executable (default dist/waitress-serve.exe)
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${OUT:-dist/waitress-serve.exe}
CC_WIN=x86_64-w64-mingw32-gcc
export DEBIAN_FRONTEND=noninteractive

log() { printf '==> %s\n' "$*" >&2; }

if ! command -v "$CC_WIN" >/dev/null; then
	if [ "$(id -u)" != 0 ]; then
		log "$CC_WIN missing and not root: apt-get install gcc-mingw-w64-x86-64 first"
		exit 1
	fi
	log "installing gcc-mingw-w64-x86-64"
	# The package lists may be stale or absent on a fresh machine: update only when needed.
	apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64 </dev/null >/dev/null 2>&1 || {
		apt-get update -qq </dev/null
		apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64 </dev/null >/dev/null
	}
fi

export GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=$CC_WIN

# e2e/ drives the Linux binary with Linux-only process attributes; it has no Windows build.
log "GOOS=windows go vet (all packages but e2e)"
go vet $(go list ./... | grep -v '/e2e$')

log "go build -o $OUT ./cmd/waitress-serve (windows/amd64)"
mkdir -p "$(dirname "$OUT")"
go build -o "$OUT" ./cmd/waitress-serve

# The PE header: "MZ", e_lfanew at 0x3c, "PE\0\0", machine AMD64 (0x8664), optional header
# magic PE32+ (0x20b), subsystem console (3). Then the import table's DLL names.
python3 - "$OUT" "${CC_WIN%gcc}objdump" <<'EOF'
import shutil, struct, subprocess, sys

path, objdump = sys.argv[1], sys.argv[2]
with open(path, "rb") as f:
    data = f.read(4096)
def fail(msg):
    sys.exit(f"{path}: {msg}")
if data[:2] != b"MZ":
    fail("no MZ header")
(pe,) = struct.unpack_from("<I", data, 0x3C)
if data[pe:pe + 4] != b"PE\0\0":
    fail("no PE signature")
(machine,) = struct.unpack_from("<H", data, pe + 4)
opt = pe + 24
magic, = struct.unpack_from("<H", data, opt)
subsystem, = struct.unpack_from("<H", data, opt + 68)
if machine != 0x8664:
    fail(f"machine {machine:#x}, want AMD64 (0x8664)")
if magic != 0x20B:
    fail(f"optional header magic {magic:#x}, want PE32+ (0x20b)")
if subsystem != 3:
    fail(f"subsystem {subsystem}, want console (3)")
if shutil.which(objdump):
    out = subprocess.run([objdump, "-p", path], check=True, capture_output=True, text=True).stdout
    dlls = {line.split(":", 1)[1].strip().lower() for line in out.splitlines() if "DLL Name:" in line}
    system = {"kernel32.dll", "msvcrt.dll", "ws2_32.dll", "advapi32.dll", "winmm.dll", "ntdll.dll"}
    if not dlls or not dlls <= system:
        fail(f"imports {sorted(dlls - system) or 'nothing'}; want only system DLLs (python3X.dll is loaded at run time)")
    print(f"{path}: PE32+ x86-64 console executable; imports {', '.join(sorted(dlls))}")
else:
    print(f"{path}: PE32+ x86-64 console executable")
EOF
