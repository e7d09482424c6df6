#!/bin/sh
# tests/integration/mmio.sh - testdev MMIO of sizes 1/2/4/8, overlapping
# sizes, the access counter and unclaimed MMIO (all in mmio.elf).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$WISP_TEST" "$GUESTS/mmio.elf"
need_kvm

run_wisp 20 "$WISP_TEST" --kernel "$GUESTS/mmio.elf"
expect "test profile: testdev MMIO checks pass" 0

# Control: no testdev in the default profile, its window reads all ones
# and the first round trip must fail (exit 1).
run_wisp 20 "$WISP_DEFAULT" --kernel "$GUESTS/mmio.elf"
expect "control: MMIO checks fail without testdev (exit 1)" 1

finish
