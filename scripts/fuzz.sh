#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given time each (default 1m), one after the
# other, and stops at the first failure. A failing input is saved by go test under the
# package's testdata/fuzz/<Target>/ and then runs as a regression case with plain `go test`
# (CI runs the seed corpora that way).
#
#   scripts/fuzz.sh            # 1 minute per target
#   scripts/fuzz.sh 10m        # 10 minutes per target
#   FUZZ_FILTER=Chunked scripts/fuzz.sh 30s   # only targets whose name matches the regexp
set -euo pipefail

cd "$(dirname "$0")/.."
duration=${1:-1m}
filter=${FUZZ_FILTER:-.}

log() { printf '==> %s\n' "$*" >&2; }

# "package target" lines, for every package that has fuzz targets.
targets=()
while read -r pkg; do
	while read -r name; do
		[[ $name == Fuzz* ]] || continue
		[[ $name =~ $filter ]] || continue
		targets+=("$pkg $name")
	done < <(go test -list '^Fuzz' "$pkg" 2>/dev/null)
done < <(go list ./...)

if ((${#targets[@]} == 0)); then
	log "no fuzz targets match '$filter'"
	exit 1
fi

log "${#targets[@]} fuzz targets, $duration each"
start=$(date +%s)
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	log "$name ($pkg) for $duration"
	t0=$(date +%s)
	if ! go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$duration"; then
		log "FAIL: $name ($pkg); the failing input is under $(go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$name/"
		exit 1
	fi
	log "$name: no failure in $(($(date +%s) - t0))s"
done
log "all ${#targets[@]} targets ran $duration each without a failure ($(($(date +%s) - start))s in all)"
