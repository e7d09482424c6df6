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
# %p: a target that forks (devproc) writes a profile per process.
if ! LLVM_PROFILE_FILE="$prof/%p.profraw" "$bin" "$corpus" >"$prof/log" 2>&1; then
	tail -n 20 "$prof/log" >&2
	echo "fuzz-coverage: $bin failed on $corpus" >&2
	exit 1
fi
"llvm-profdata$v" merge -sparse -o "$prof/merged.profdata" "$prof"/*.profraw
"llvm-cov$v" report "$bin" -instr-profile="$prof/merged.profdata" "$@" |
	awk -v t="$(basename "$bin")" -v f="$*" '$1 == "TOTAL" {
		printf "%-11s %-60s %6.1f%% (%d/%d)\n", t, f, $10, $8 - $9, $8 }'
