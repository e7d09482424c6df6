#!/bin/sh
# tests/integration/memopts.sh - `--mem SIZE,hugepages=on|off,prefault=on|off`:
# prefaulted RAM boots; bad option syntax is bad input (64); huge pages
# boot when the host has them reserved, else one clear line and exit 71.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_TEST" "$GUESTS/mark.elf"
need_kvm

run_wisp 20 "$WISP_TEST" --mem 64M,prefault=on --kernel "$GUESTS/mark.elf"
expect "prefaulted RAM boots" 0

run_wisp 20 "$WISP_TEST" --mem 64M,hugepages=maybe --kernel "$GUESTS/mark.elf"
expect "hugepages=maybe is bad input" 64
stderr_matches "the value is named" "hugepages=maybe: expected on or off"

run_wisp 20 "$WISP_TEST" --mem 64M,colour=on --kernel "$GUESTS/mark.elf"
expect "an unknown --mem option is bad input" 64

run_wisp 20 "$WISP_TEST" --mem 3M,hugepages=on --kernel "$GUESTS/mark.elf"
expect "huge pages need a 2 MiB multiple" 64

run_wisp 20 "$WISP_TEST" --mem 64M,hugepages=on --kernel "$GUESTS/mark.elf"
if [ "$(cat /proc/sys/vm/nr_hugepages)" -ge 32 ]; then
	expect "RAM on huge pages boots" 0
else
	expect "no huge pages reserved: a clear error" 71
	stderr_matches "the error names huge pages" "2 MiB huge pages unavailable"
fi

finish
