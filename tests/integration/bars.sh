#!/bin/sh
# tests/integration/bars.sh - a guest decodes every BAR at once
# (tests/guests/bars.c) with the largest device set each PCI profile
# allows. Each decode adds ranges to
# the guest-physical map on a vCPU thread, under the vCPU filter, which
# has no mmap: the map must not allocate there (it did, and the VM died
# by SIGSYS, status 159, with no line). pcitest: four pcitest functions;
# linux: eight disks, the entropy device and four NICs (taps in a network
# namespace of the test's own, when it can make one); linuxpci: the same
# and four pcitest functions.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built build/pcitest/wisp build/linux/wisp build/linuxpci/wisp \
	"$GUESTS/bars.elf"
need_kvm

# NETS: four --net on taps made in a network namespace, where one can be.
NETS=
IN_NS=
NNET=0
if unshare -n true 2>/dev/null; then
	NETS="--net tap=tap0 --net tap=tap1 --net tap=tap2 --net tap=tap3"
	NNET=4
	IN_NS=y
else
	echo "(no NICs: uid $(id -u) cannot make a network namespace)"
fi
DISKS=
for i in 1 2 3 4 5 6 7 8; do
	truncate -s 1M "$T/disk$i.img"
	DISKS="$DISKS --disk $T/disk$i.img"
done

# run_ns SECS CMD...: run_wisp, in a namespace holding tap0-tap3 when
# there are NICs.
# shellcheck disable=SC2016 # expanded by the inner shell
TAPS='for i in 0 1 2 3; do
	ip tuntap add tap$i mode tap && ip link set tap$i up || exit 1
done; exec "$@"'
run_ns() {
	t=$1
	shift
	if [ -n "$IN_NS" ]; then
		run_wisp "$t" unshare -n sh -c "$TAPS" sh "$@"
	else
		run_wisp "$t" "$@"
	fi
}

PCITEST4="--device pcitest --device pcitest --device pcitest --device pcitest"

# shellcheck disable=SC2086 # the device lists are words
run_wisp 60 build/pcitest/wisp --mem 1024 $PCITEST4 \
	--kernel "$GUESTS/bars.elf" --cmdline "fns=4"
expect "pcitest: four functions, every BAR decoded" 0 \
	"bars: 4 functions, 8 BARs decoded"

N=$((9 + NNET))
# shellcheck disable=SC2086
run_ns 120 build/linux/wisp --mem 1024 $DISKS --rng $NETS \
	--kernel "$GUESTS/bars.elf" --cmdline "fns=$N"
expect "linux: eight disks, rng and $NNET NICs, every BAR decoded" 0 \
	"bars: $N functions, $((2 * N)) BARs decoded"

N=$((13 + NNET))
# shellcheck disable=SC2086
run_ns 120 build/linuxpci/wisp --mem 1024 $DISKS --rng $NETS \
	$PCITEST4 --kernel "$GUESTS/bars.elf" --cmdline "fns=$N"
expect "linuxpci: the same and four pcitest functions" 0 \
	"bars: $N functions, $((2 * N)) BARs decoded"

finish
