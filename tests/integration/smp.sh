#!/bin/sh
# tests/integration/smp.sh - every vCPU starts at the entry with its own
# index and stack and checks in with a locked add; vCPU 0 counts them.
# 255 is the most --cpus accepts.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$GUESTS/smp.elf"
need_kvm

for n in 1 2 4 8 64 255; do
	run_wisp 600 "$WISP_DEFAULT" --cpus "$n" --kernel "$GUESTS/smp.elf"
	expect "--cpus $n: all vCPUs check in" 0 "smp: $n vCPUs checked in"
done

finish
