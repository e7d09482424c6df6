#!/bin/sh
# tests/integration/flood.sh - 200000 unclaimed port accesses: every read
# gives all ones, wisp keeps running, and its log keeps the ratelimit's
# promise (at most 5 lines a second, the dropped ones counted in the next
# line, every access counted at the end). The bound grows with the run's
# own wall time, so a slow machine (or the nested testbed, ~45 us an exit)
# cannot make it fail, and a missing limiter still does.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$WISP_TEST" "$GUESTS/flood.elf"
need_kvm

BURST=5 # lines a second: vm->unclaimed_rl in monitor/main.c
ACCESSES=200000
for p in default test; do
	t0=$(date +%s%N)
	run_wisp 600 "build/$p/wisp" --kernel "$GUESTS/flood.elf"
	secs=$((($(date +%s%N) - t0 + 999999999) / 1000000000))
	expect "$p profile: flood guest exits 0" 0 || continue
	lines=$(grep -c 'unclaimed .* at 0x' "$T/err")
	max=$((BURST * (secs + 1)))
	if [ "$lines" -le "$max" ]; then
		pass "$p profile: $lines unclaimed-access lines in $secs s (at most $max)"
	else
		fail "$p profile: $lines unclaimed-access lines in $secs s (more than $max)"
		show_output
	fi
	supp=$(sed -n 's/.*, \([0-9]*\) lines suppressed).*/\1/p' "$T/err" | sort -n | tail -n1)
	if [ "${supp:-0}" -gt 0 ]; then
		pass "$p profile: dropped lines are counted ($supp in one gap)"
	else
		fail "$p profile: no line reports suppressed lines"
		show_output
	fi
	total=$(sed -n 's/.*wisp: \([0-9]*\) accesses to unclaimed.*/\1/p' "$T/err")
	if [ "${total:-0}" -ge "$ACCESSES" ]; then
		pass "$p profile: every access counted ($total)"
	else
		fail "$p profile: ${total:-no} accesses counted, wanted >= $ACCESSES"
		show_output
	fi
done

finish
