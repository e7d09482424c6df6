#!/bin/sh
# tests/integration/dirty.sh - dirty-page tracking end to end (dirty.elf):
# the guest writes chosen pages of testdev's MMIO2 region and of RAM and
# checks each query-and-reset bitmap is exactly that set, across rounds,
# unmap/remap, tracking off/on and host-side writes. The same with testdev
# in its own process (--sandbox=all): map, unmap, track and query are
# up-calls, its host-side writes are marked dirty in wisp. Also: an MMIO2
# region over another range is refused naming both.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_TEST" "$GUESTS/dirty.elf"
need_kvm

run_wisp 30 "$WISP_TEST" --kernel "$GUESTS/dirty.elf" \
	--device testdev,mmio2=0xd0200000 --device debug_exit
expect "MMIO2 and RAM dirty bitmaps exact in every round" 0

# Sandboxed, every MMIO2 check (1-39) passes; the guest then stops at its
# first RAM check (50): RAM tracking is refused in a device process.
run_wisp 30 "$WISP_TEST" --sandbox=all --kernel "$GUESTS/dirty.elf" \
	--device testdev,mmio2=0xd0200000 --device debug_exit
expect "sandboxed: MMIO2 dirty bitmaps exact in every round (stops at RAM, 50)" 50
stderr_matches "sandboxed: RAM tracking refused with a line" \
	"testdev.0: ram_track is not available in a device process"

# Control: without the region the first command fails (check 1).
run_wisp 30 "$WISP_TEST" --kernel "$GUESTS/dirty.elf"
expect "control: no MMIO2 region, the guest's first check fails" 1

run_wisp 30 "$WISP_TEST" --kernel "$GUESTS/dirty.elf" \
	--device testdev,mmio2=0xcffff000 --device debug_exit
expect "MMIO2 over testdev's MMIO page is refused" 78
stderr_matches "error names both ranges" \
	"MMIO2 testdev.0 MMIO2 \[0xcffff000, 0xd001f000\) overlaps MMIO testdev.0"

finish
