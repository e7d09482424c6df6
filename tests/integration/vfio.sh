#!/bin/sh
# tests/integration/vfio.sh - VFIO passthrough (profile vfio, --vfio) of
# real PCI functions: QEMU's edu device and nvme controller (MSI-X, a 1 MiB
# namespace) behind an emulated Intel IOMMU with interrupt remapping, in a
# testbed boot of its own (the guest tier's boot has no IOMMU). Inside,
# both bound to vfio-pci: a function not bound to vfio-pci refused in one
# line; tests/guests/edu.c (BAR0 as a memslot with no exit, factorial,
# BAR moves and a refused placement over RAM, DMA in and back, MSI by
# irqfd, INTx by a resampling irqfd and VFIO's unmask, a DMA outside guest
# RAM) with wisp's summary line (an ID write dropped and counted, no
# trapped access); the IOMMU's DMAR fault for that DMA while wisp went
# on; a second run (wisp left the device reset and quiet);
# tests/guests/nvme.c (MSI-X: an Identify's completion interrupt, masking
# by vector and function); both functions in one VM; a Linux guest that
# lists edu with its IDs and BAR and reads the NVMe namespace through its
# own nvme driver, by MSI-X and (pci=nomsi) by INTx through the _PRT; too
# little locked memory refused in one line.
# tests/run-all.sh runs it as a step of its own (the marker below).
# wisp-test: own testbed boot
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
W=build/vfio/wisp
INITRD=build/linux-guest/initramfs.cpio
PVH=build/testbed/vmlinux
need_built "$W" "$GUESTS/edu.elf" "$GUESTS/nvme.elf" "$GUESTS/pci.elf" \
	"$GUESTS/bars.elf" "$INITRD" "$PVH"

if [ "${WISP_IN_TESTBED:-}" != 1 ]; then
	# Outside: boot the testbed with the IOMMU and edu, and run this
	# script there. A host KVM has no edu to pass through.
	[ "${WISP_TESTBED:-auto}" = off ] &&
		skip "needs the testbed's emulated IOMMU and edu device (WISP_TESTBED=off)"
	where=$(WISP_TESTBED=on tests/testbed/choose)
	[ "$where" = testbed ] || skip "${where#none }"
	# the NVMe controller's namespace: 1 MiB starting with a pattern
	img=$ROOT/build/vfio-nvme.img
	{ printf wisp-nvme-pattern; head -c 1048559 /dev/zero; } >"$img" ||
		{ fail "writing $img"; finish; }
	exec tests/testbed/run -m 2048 -t 900 \
		--qemu -drive --qemu "if=none,id=nv,format=raw,file=$img" \
		--qemu -device --qemu intel-iommu,intremap=on \
		--qemu -device --qemu pcie-root-port,id=rp1,chassis=1 \
		--qemu -device --qemu edu,bus=rp1 \
		--qemu -device --qemu pcie-root-port,id=rp2,chassis=2 \
		--qemu -device --qemu nvme,serial=wisp0,drive=nv,bus=rp2 \
		--append intel_iommu=on \
		--modules vfio,vfio_iommu_type1,vfio-pci -- tests/integration/vfio.sh
fi

need_kvm
# find WHAT: the address of the function whose "vendor:device" or class
# is WHAT
find() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "$1" ] ||
			[ "$(cat "$d/class")" = "$1" ] && echo "${d##*/}"
	done
}
# bind ADDR NAME: to vfio-pci (driver_override, unbind, drivers_probe)
bind() {
	echo vfio-pci >"/sys/bus/pci/devices/$1/driver_override"
	[ -e "/sys/bus/pci/devices/$1/driver" ] &&
		echo "$1" >"/sys/bus/pci/devices/$1/driver/unbind"
	echo "$1" >/sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink "/sys/bus/pci/devices/$1/driver")")" = vfio-pci ] ||
		{ fail "$2 at $1 bound to vfio-pci"; finish; }
}
A=$(find 0x1234:0x11e8)
N=$(find 0x010802)
[ -n "$A" ] && [ -n "$N" ] ||
	{ fail "the testbed has edu (1234:11e8) and an NVMe controller"; finish; }
bind "$A" edu
bind "$N" nvme

# the profile without --vfio: its own PCI bus as ever (pcitest, MSI-X)
run_wisp 60 "$W" --kernel "$GUESTS/pci.elf"
expect "without --vfio: the bus's own pcitest guest passes" 0 \
	"pci: all checks passed"

cli_error "a function not bound to vfio-pci: one line" 64 \
	--vfio 0000:00:00.0 --kernel "$GUESTS/edu.elf"

# the edu guest, then the DMA it aims outside its 64 MiB of RAM
run_wisp 120 "$W" --mem 64M --vfio "$A" --kernel "$GUESTS/edu.elf" \
	--cmdline baddma
expect "edu guest: BAR, factorial, moves, DMA, MSI, INTx, a DMA outside RAM" 0 \
	"edu: all checks passed" "edu: DMA to 0x8000000 issued"
sed -n 's/^edu: timing /    timing: /p' "$T/out"
stderr_matches "on wisp's bus with its MSI vector and INTx on its slot's IOAPIC pin" \
	"vfio $A: at 00:0[0-9a-f].0 on the PCI bus, 1 MSI/MSI-X vectors, INTx on GSI (1[6-9]|2[0-3])"
stderr_matches "an ID write dropped and counted, no BAR access trapped" \
	"vfio $A: 1 config writes dropped, 0 trapped BAR accesses, 1 BAR placements refused, 0 interrupt"
stderr_matches "BAR0 placed over RAM: refused in one line" \
	"BAR0 at 0x2000000 not decoded \\(the guest's placement\\).*overlaps RAM"
fault=
for _ in 1 2 3 4 5 6 7 8 9 10; do
	dmesg | grep -q "Request device \[${A#0000:}\] fault addr 0x8000000" &&
		{ fault=1; break; }
	sleep 0.5
done
if [ -n "$fault" ]; then pass "the IOMMU stopped the DMA outside guest RAM (DMAR fault)"
else fail "no DMAR fault for the DMA to 0x8000000"; fi

run_wisp 120 "$W" --mem 64M --vfio "$A" --kernel "$GUESTS/edu.elf"
expect "a second VM: the device was left reset and quiet" 0 \
	"edu: all checks passed"

# MSI-X (QEMU's nvme: its table in BAR0, which wisp traps whole): an
# Identify DMAed into guest RAM, its completion's interrupt; held while
# the vector or the function is masked, delivered at the unmask
run_wisp 120 "$W" --mem 64M --vfio "$N" --kernel "$GUESTS/nvme.elf"
expect "nvme guest: MSI-X vector, masked and unmasked, function mask" 0 \
	"nvme: all checks passed"
stderr_matches "nvme: no config write dropped, its BAR0 trapped" \
	"vfio $N: 0 config writes dropped, [1-9][0-9]* trapped BAR accesses"

# two functions in one VM, each on its own slot and INTx pin
run_wisp 120 "$W" --mem 64M --vfio "$A" --vfio "$N" --kernel "$GUESTS/edu.elf"
expect "edu and nvme in one VM: the edu guest passes" 0 "edu: all checks passed"
stderr_matches "edu and nvme in one VM: two slots" \
	"vfio $N: at 00:0[0-9a-f].0 on the PCI bus, 32 MSI/MSI-X vectors, INTx on GSI (1[6-9]|2[0-3])"

# every BAR decoded at once with the largest set the profile holds
# (tests/guests/bars.c; see bars.sh): both functions, eight disks, the
# entropy device and four pcitest functions (NICs' vectors would not fit
# beside nvme's 32): the decodes grow no map on the vCPU thread
DISKS=
for i in 1 2 3 4 5 6 7 8; do
	truncate -s 1M "$T/disk$i.img"
	DISKS="$DISKS --disk $T/disk$i.img"
done
# shellcheck disable=SC2086 # the device lists are words
run_wisp 120 "$W" --mem 64M --vfio "$A" --vfio "$N" $DISKS --rng \
	--device pcitest --device pcitest --device pcitest --device pcitest \
	--kernel "$GUESTS/bars.elf" --cmdline "fns=15"
expect "edu, nvme, eight disks, rng, four pcitest: every BAR decoded" 0 \
	"bars: 15 functions"

# Linux's view: edu on wisp's bus with its IDs, BAR0 in the window
# (Linux placed and enabled it through wisp's config space); the NVMe
# controller under Linux's own driver (MSI-X, DMA): its namespace read
run_wisp 600 "$W" --mem 256M --vfio "$A" --vfio "$N" --kernel "$PVH" \
	--initrd "$INITRD" \
	--cmdline "console=ttyS0 panic=-1 quiet wisp.vfio=0x1234:0x11e8 wisp.nvme=1"
expect "Linux guest: the function in /sys/bus/pci/devices" 0 \
	"0x1234:0x11e8 class 0x00ff00" "wisp-linux: vfio 0000:00:"
if grep -q "wisp-linux: nvme0n1 first wisp-nvme-pattern" "$T/out" &&
	grep -q "wisp-linux: nvme vectors [1-9]" "$T/out"; then
	pass "Linux guest: its nvme driver reads the namespace (MSI-X)"
	sed -n 's/^wisp-linux: nvme vectors /    nvme vectors in Linux: /p' "$T/out"
else
	fail "Linux guest: its nvme driver reads the namespace (MSI-X)"
	grep 'wisp-linux: \(nvme\|dmesg\|pci\)' "$T/out" | head -n 12 | sed 's/^/    /'
fi
if grep -q "wisp-linux: vfio .* bar0 0x00000000c[0-9a-f]\{7\} 0x00000000c[0-9a-f]\{7\} " "$T/out"; then
	pass "Linux guest: BAR0 in wisp's window"
else
	fail "Linux guest: BAR0 in wisp's window"
	show_output
fi

# INTx under Linux: with pci=nomsi its nvme driver takes the controller's
# INTA, which the DSDT's _PRT routes to the slot's IOAPIC input
run_wisp 600 "$W" --mem 256M --vfio "$N" --kernel "$PVH" --initrd "$INITRD" \
	--cmdline "console=ttyS0 panic=-1 quiet pci=nomsi wisp.nvme=1"
if [ "$RC" = 0 ] && grep -q "wisp-linux: nvme0n1 first wisp-nvme-pattern" "$T/out" &&
	grep -q "wisp-linux: nvme irq .*IO-APIC.*fasteoi" "$T/out"; then
	pass "Linux guest, pci=nomsi: its nvme driver on INTx (the _PRT, resampled)"
	sed -n 's/^wisp-linux: nvme irq /    nvme irq in Linux: /p' "$T/out"
else
	fail "Linux guest, pci=nomsi: its nvme driver on INTx (exit $RC)"
	grep 'wisp-linux: \(nvme\|dmesg\)' "$T/out" | head -n 12 | sed 's/^/    /'
fi

# Without CAP_IPC_LOCK the pinned RAM counts against RLIMIT_MEMLOCK.
if command -v setpriv >/dev/null; then
	run_wisp 30 setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock \
		sh -c "ulimit -l 1024 && exec $W --mem 64M --vfio $A --kernel $GUESTS/edu.elf"
	if [ "$RC" = 64 ] && grep -q "guest RAM for DMA needs 65536 KiB" "$T/err"; then
		pass "too little locked memory: one line with the size needed"
	else
		fail "too little locked memory (exit $RC)"
		show_output
	fi
fi
finish
