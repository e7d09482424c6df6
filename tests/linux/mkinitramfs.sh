#!/bin/sh
# tests/linux/mkinitramfs.sh OUT [TREE] - the Linux test guest's
# initramfs: busybox-static, tests/linux/init and the virtio and nvme
# modules of a Debian kernel package unpacked in TREE/root (default
# build/testbed, made by tests/testbed/prepare.sh: the generic kernel;
# build/linux-cloud, made by tests/linux/cloud-kernel.sh: the cloud
# kernel), with their dependencies, in /mods (/mods/all: the load order), as an uncompressed
# cpio (the guest kernel unpacks it without a decompressor). Modules must
# come from the kernel that boots: each initramfs serves one package. A
# module that package builds in (modules.builtin) is skipped.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# Debian's generic kernel builds these as modules (rng-core is built in):
# virtio_pci pulls in virtio, virtio_ring and virtio_pci_modern_dev/
# legacy_dev; virtio_net pulls in net_failover and failover. pvpanic-mmio
# is the driver of the DSDT's QEMU0001 node (ports too, despite its name;
# pvpanic itself is built in): without it a panic never reaches wisp.
# nvme (nvme-core): a passed-through NVMe controller under Linux's own
# driver (tests/integration/vfio.sh).
GUEST_MODS="virtio_pci virtio_blk virtio_net virtio-rng pvpanic-mmio nvme"
# The ACPI power button (button) and its input events (evdev): the control
# socket's `stop` (tests/integration/ctl_linux.sh).
GUEST_MODS="$GUEST_MODS button evdev"
# make bench's baseline, QEMU's microvm, has virtio-mmio (found by ACPI).
GUEST_MODS="$GUEST_MODS virtio_mmio"
out=$1
tb=${2:-$HERE/../../build/testbed}

die() { echo "mkinitramfs: $*" >&2; exit 69; }

# shellcheck source=tests/testbed/mods.sh
. "$HERE/../testbed/mods.sh"
MODDIR=$(ls -d "$tb"/root/lib/modules/*/kernel 2>/dev/null | head -n1)
[ -n "$MODDIR" ] ||
	die "no kernel modules in $tb/root (tests/testbed/prepare.sh or tests/linux/cloud-kernel.sh makes it)"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
MODS="$d/mods"
mkdir -p "$d/bin" "$MODS"
cp "$(command -v busybox)" "$d/bin/busybox"
cp "$HERE/init" "$d/init"
chmod +x "$d/init"
# built in: listed in modules.builtin (- and _ are the same to the kernel)
builtin_mod() {
	grep -q "/$(echo "$1" | tr '_' '-')\.ko\$" "$MODDIR/../modules.builtin" ||
		grep -q "/$(echo "$1" | tr '-' '_')\.ko\$" "$MODDIR/../modules.builtin"
}
for m in $GUEST_MODS; do builtin_mod "$m" || add_mod "$m"; done
(cd "$d" && find . | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
