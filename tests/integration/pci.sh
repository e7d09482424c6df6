#!/bin/sh
# tests/integration/pci.sh - wisp's PCI bus from a guest (pci.elf on the
# pcitest profile): conf1 and ECAM scan, BAR sizing and moves, a doorbell
# (KVM's ioeventfd, re-registered as the BAR moves), MSI-X by irqfd and
# GSI routing with masking and the PBA; the function inside wisp and in
# its own process. Control: a profile without PCI has no bus.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
WISP_PCI=build/pcitest/wisp
need_built "$WISP_PCI" "$WISP_DEFAULT" "$GUESTS/pci.elf"
need_kvm

run_wisp 60 "$WISP_PCI" --kernel "$GUESTS/pci.elf"
expect "pcitest in wisp: scan, BARs, doorbell, MSI-X" 0 \
	"pci: all checks passed"

run_wisp 60 "$WISP_PCI" --sandbox=all --kernel "$GUESTS/pci.elf"
expect "pcitest in its own process: the same" 0 "pci: all checks passed"

# No bus: conf1 reads all ones, the first check fails (exit 1).
run_wisp 20 "$WISP_DEFAULT" --kernel "$GUESTS/pci.elf"
expect "control: no PCI bus in the default profile (exit 1)" 1

finish
