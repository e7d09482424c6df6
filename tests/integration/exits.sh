#!/bin/sh
# tests/integration/exits.sh - how a guest ends wisp: the debug-exit port's
# status ranges, and a triple fault.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$WISP_TEST" "$GUESTS/status.elf" \
	"$GUESTS/triple.elf"
need_kvm

# guest status -> wisp status: 0..63 pass through, above 63 gives 67
for pair in 0:0 5:5 63:63 64:67 200:67; do
	v=${pair%:*}
	want=${pair#*:}
	run_wisp 20 "$WISP_TEST" --kernel "$GUESTS/status.elf" --cmdline "$v"
	expect "guest status $v: wisp exits $want" "$want"
done

run_wisp 20 "$WISP_DEFAULT" --kernel "$GUESTS/triple.elf"
expect "triple fault: wisp exits 73" 73
stderr_matches "triple fault: stderr says so" "triple.fault|shutdown"

finish
