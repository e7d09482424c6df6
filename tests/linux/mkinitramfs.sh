#!/bin/sh
# tests/linux/mkinitramfs.sh OUT [TESTBED] - the Linux test guest's
# initramfs: busybox-static, tests/linux/init and the virtio modules of the
# testbed's Debian kernel (TESTBED, default build/testbed, made by
# tests/testbed/prepare.sh: that kernel is the one the tests boot), with
# their dependencies, in /mods (/mods/all: the load order), as an
# uncompressed cpio (the guest kernel unpacks it without a decompressor).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# Debian's generic kernel builds these as modules (rng-core is built in):
# virtio_pci pulls in virtio, virtio_ring and virtio_pci_modern_dev/
# legacy_dev; virtio_net pulls in net_failover and failover.
GUEST_MODS="virtio_pci virtio_blk virtio_net virtio-rng"
# make bench's baseline, QEMU's microvm, has virtio-mmio (found by ACPI).
GUEST_MODS="$GUEST_MODS virtio_mmio"
out=$1
tb=${2:-$HERE/../../build/testbed}

die() { echo "mkinitramfs: $*" >&2; exit 69; }

# shellcheck source=tests/testbed/mods.sh
. "$HERE/../testbed/mods.sh"
MODDIR=$(ls -d "$tb"/root/lib/modules/*/kernel 2>/dev/null | head -n1)
[ -n "$MODDIR" ] ||
	die "no kernel modules in $tb/root (run tests/testbed/prepare.sh $tb)"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
MODS="$d/mods"
mkdir -p "$d/bin" "$MODS"
cp "$(command -v busybox)" "$d/bin/busybox"
cp "$HERE/init" "$d/init"
chmod +x "$d/init"
for m in $GUEST_MODS; do add_mod "$m"; done
(cd "$d" && find . | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
