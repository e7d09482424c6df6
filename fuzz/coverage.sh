#!/bin/sh
# fuzz/coverage.sh BIN CORPUS FILE... - one row of make fuzz-coverage: run
# BIN (a replay build with -fprofile-instr-generate -fcoverage-mapping) over
# CORPUS, merge its profile and print the target, FILE... and their line
# coverage (llvm-cov's TOTAL row: covered/all lines). LLVM_VERSION picks
# Debian's llvm-profdata-N and llvm-cov-N.
set -e
bin=$1 corpus=$2
shift 2
v=${LLVM_VERSION:+-$LLVM_VERSION}
prof=$bin.prof
rm -rf "$prof" && mkdir -p "$prof"
# One process an input (%p: a profile each), so an input that breaks an
# invariant (abort: no profile) costs only its own share; it is named, and
# the row says how many failed (the status is then 1).
failed=0
for f in "$corpus"/*; do
	LLVM_PROFILE_FILE="$prof/%p.profraw" "$bin" "$f" >>"$prof/log" 2>&1 ||
		{ echo "fuzz-coverage: $bin failed on $f" >&2; failed=$((failed + 1)); }
done
"llvm-profdata$v" merge -sparse -o "$prof/merged.profdata" "$prof"/*.profraw
"llvm-cov$v" report "$bin" -instr-profile="$prof/merged.profdata" "$@" |
	awk -v t="$(basename "$bin")" -v f="$*" -v n="$failed" '$1 == "TOTAL" {
		printf "%-11s %-60s %6.1f%% (%d/%d)%s\n", t, f, $10, $8 - $9,
			$8, n ? " " n " inputs failed" : "" }'
[ "$failed" = 0 ]
