#!/bin/sh
# tests/bench/vfio.sh - `make bench`'s VFIO line: a passed-through BAR
# register read (a memslot over the device's mmap: no exit) against a
# port read that exits to wisp, measured in the same guest run
# (tests/guests/edu.c, reads=N) with QEMU's edu behind an emulated IOMMU,
# in a testbed boot of its own (2 vCPUs, as run.sh's). TSC cycles become
# ns by the clock L1's kernel measured. Prints one "bench" line, or says
# why it cannot run.
cd "$(dirname "$0")/../.." || exit 1
W=build/vfio/wisp G=build/guests/edu.elf
N=${BENCH_VFIO_READS:-20000}
if [ -z "${WISP_IN_TESTBED:-}" ]; then
	where=$(WISP_TESTBED=on tests/testbed/choose)
	[ "$where" = testbed ] ||
		{ echo "bench vfio-bar-read: not measured: ${where#none }"; exit 0; }
	exec tests/testbed/run -c 2 -m 2048 -t 600 \
		--qemu -device --qemu intel-iommu,intremap=on \
		--qemu -device --qemu pcie-root-port,id=rp1,chassis=1 \
		--qemu -device --qemu edu,bus=rp1 --append intel_iommu=on \
		--modules vfio,vfio_iommu_type1,vfio-pci -- "$0"
fi
A=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ] && A=${d##*/}
done
[ -n "$A" ] || { echo "vfio bench: no edu device" >&2; exit 1; }
echo vfio-pci >"/sys/bus/pci/devices/$A/driver_override"
echo "$A" >/sys/bus/pci/drivers_probe
line=$(timeout 300 "$W" --mem 64M --vfio "$A" --kernel "$G" \
	--cmdline "reads=$N" 2>/dev/null | grep '^edu: timing ')
mhz=$(dmesg | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | head -n1)
[ -n "$line" ] && [ -n "$mhz" ] ||
	{ echo "vfio bench: no timing (${line:-no guest line}, tsc ${mhz:-unknown})" >&2; exit 1; }
set -- $line # edu: timing bar-read B cycles, port-exit P cycles
echo "$4 $7 $mhz" | awk -v where="nested testbed, $(nproc) vCPUs, $(uname -r)" \
	'{ b = $1 * 1000 / $3; p = $2 * 1000 / $3;
	   printf "bench vfio-bar-read: %.0f ns/read (%.4fx vs pio-exit %.0f ns/exit) [%s]\n", b, b / p, p, where }'
