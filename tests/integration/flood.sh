#!/bin/sh
# tests/integration/flood.sh - 200000 unclaimed port accesses: every read
# gives all ones, wisp keeps running and its log stays short (rate limit).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$WISP_TEST" "$GUESTS/flood.elf"
need_kvm

MAX_LINES=50
for p in default test; do
	run_wisp 120 "build/$p/wisp" --kernel "$GUESTS/flood.elf"
	expect "$p profile: flood guest exits 0" 0 || continue
	lines=$(wc -l <"$T/err")
	if [ "$lines" -lt "$MAX_LINES" ]; then
		pass "$p profile: stderr stays short ($lines lines)"
	else
		fail "$p profile: stderr has $lines lines (limit $MAX_LINES)"
		show_output
	fi
done

finish
