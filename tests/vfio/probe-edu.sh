#!/bin/sh
# tests/vfio/probe-edu.sh - inside the testbed with an emulated IOMMU and
# QEMU's edu device: bind edu to vfio-pci, show the one-line refusals
# (a function not bound to vfio-pci, a bad address), run build/host/
# vfio-probe twice (the second round proves the first left the device
# usable), and find the IOMMU's fault for the DMA aimed outside the map.
# Run from the repository (make vfio-probe build/guests/edu.elf, and
# make PROFILE=vfio, first):
#   tests/testbed/run --qemu -device --qemu intel-iommu,intremap=on \
#     --qemu -device --qemu pcie-root-port,id=rp1,chassis=1 \
#     --qemu -device --qemu edu,bus=rp1 --append intel_iommu=on \
#     --modules vfio,vfio_iommu_type1,vfio-pci -- sh tests/vfio/probe-edu.sh
P=build/host/vfio-probe
A=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor):$(cat $d/device)" = "0x1234:0x11e8" ] && A=${d##*/}
done
[ -n "$A" ] || { echo "probe-edu: no edu device (1234:11e8)"; exit 1; }
echo "edu at $A; memlock $(ulimit -l) KiB"
echo vfio-pci > /sys/bus/pci/devices/$A/driver_override
[ -e /sys/bus/pci/devices/$A/driver ] &&
	echo $A > /sys/bus/pci/devices/$A/driver/unbind
echo $A > /sys/bus/pci/drivers_probe
echo "driver: $(readlink /sys/bus/pci/devices/$A/driver)"
fail=0
$P 0000:00:00.0 | grep -q 'bound to no driver, not vfio-pci' || fail=1
$P 0000:00:20.0 2>&1 | grep -q 'device above 1f' || fail=1
$P "$A" 2 || fail=1
# too little locked memory: the one line names the size needed
(ulimit -l 64 && $P "$A") | grep 'needs 2048 KiB' || fail=1
# wisp's own path (profile vfio): a bad function refused before anything
# starts, then edu passed through to the edu test guest (the whole of it
# is tests/integration/vfio.sh)
W=build/vfio/wisp
if [ -x $W ]; then
	$W --vfio 0000:00:00.0 --kernel /dev/null 2>&1 | grep 'not vfio-pci' || fail=1
	$W --mem 64M --vfio "$A" --kernel build/guests/edu.elf 2>&1 |
		grep 'edu: all checks passed' || fail=1
fi
sleep 1 # the DMAR fault is logged asynchronously
dmesg | grep -q "Request device \[${A#0000:}\] fault addr 0x8000000" || {
	echo "probe-edu: no DMAR fault for the unmapped DMA"; fail=1; }
echo "probe-edu: $([ $fail = 0 ] && echo passed || echo FAILED)"
exit $fail
