#!/bin/sh
# tests/bench/vfio.sh - `make bench`'s VFIO lines, measured in one guest
# run (tests/guests/edu.c, reads=N) with QEMU's edu behind an emulated
# IOMMU, in a testbed boot of its own (2 vCPUs, as run.sh's): a
# passed-through BAR register read (a memslot over the device's mmap: no
# exit) against a port read that exits to wisp, and edu's MSI (VFIO
# eventfd to KVM irqfd) from the raising write to the guest's handler
# against the same for the pcitest function's MSI-X, which wisp emulates.
# TSC cycles become ns by the clock L1's kernel measured. Prints two
# "bench" lines, or says why it cannot run.
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
out=$(timeout 300 "$W" --mem 64M --vfio "$A" --kernel "$G" \
	--cmdline "reads=$N" 2>/dev/null | tr -d '\r')
mhz=$(dmesg | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | head -n1)
t=$(echo "$out" | sed -n 's/^edu: timing bar-read \([0-9]*\) cycles, port-exit \([0-9]*\) cycles$/\1 \2/p')
l=$(echo "$out" | sed -n 's/^edu: msi-latency edu \([0-9]*\) cycles, emulated \([0-9]*\) cycles$/\1 \2/p')
[ -n "$t" ] && [ -n "$l" ] && [ -n "$mhz" ] || {
	echo "vfio bench: no figures (tsc ${mhz:-unknown} MHz); the guest said:" >&2
	echo "$out" | tail -n 5 >&2
	exit 1
}
# ns A B NAME BASE: "bench NAME: A ns (A/B x vs BASE B ns)", from cycles
where="nested testbed, $(nproc) vCPUs, $(uname -r)"
ns() {
	awk -v a="$1" -v b="$2" -v m="$mhz" -v n="$3" -v base="$4" -v w="$where" \
		'BEGIN { a = a * 1000 / m; b = b * 1000 / m;
		  printf "bench %s: %.0f ns (%.4fx vs %s %.0f ns) [%s]\n", n, a, a / b, base, b, w }'
}
# shellcheck disable=SC2086 # two numbers each
ns $t vfio-bar-read "an exiting port read"
# shellcheck disable=SC2086
ns $l vfio-msi-latency "an emulated device's MSI-X by irqfd"
