#!/bin/sh
# tests/testbed/prepare.sh DIR - build the nested KVM testbed's boot files
# into DIR (under build/, never committed), from Debian packages only:
#   DIR/vmlinux         Debian's generic 6.1 kernel, uncompressed (QEMU boots
#                       it through its PVH note; XZ under emulation costs ~3 s)
#   DIR/initramfs.cpio  busybox-static, the modules the testbed loads (with
#                       their dependencies) and tests/testbed/init
# Idempotent: rebuilt only when this script or init changes. The kernel
# package is cached in DIR/pkg, so a rebuild needs no network.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mkdir -p "$1" && cd "$1" && pwd)
# Loaded at every boot: the host root over 9p, its overlay, taps, nested KVM
# (kvm-amd: QEMU's emulated CPU offers SVM, never VMX).
BASE_MODS="virtio_pci 9pnet_virtio 9p overlay tun veth kvm-amd"
# In the initramfs but loaded only on request (run --modules): VFIO.
EXTRA_MODS="vfio vfio_iommu_type1 vfio-pci"

die() { echo "testbed: $*" >&2; exit 69; }

need() { # command package
	command -v "$1" >/dev/null 2>&1 ||
		die "$1 is missing (Debian package $2; make setup installs it)"
}

stamp_of() { cat "$HERE/prepare.sh" "$HERE/mods.sh" "$HERE/init" | cksum | cut -d' ' -f1; }

# The version the linux-image-amd64 metapackage points at, or the cached one.
kernel_pkg() {
	v=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: \(linux-image-[0-9.-]*-amd64\)$/\1/p' | head -n1)
	[ -n "$v" ] && { echo "$v"; return; }
	ls "$DIR/pkg" 2>/dev/null | sed -n 's/^\(linux-image-[^_]*\)_.*\.deb$/\1/p' |
		head -n1 | grep . ||
		die "no Debian kernel package: apt-cache knows no linux-image-amd64 (run apt-get update)"
}

fetch_kernel() {
	pkg=$(kernel_pkg)
	mkdir -p "$DIR/pkg"
	if ! ls "$DIR/pkg/${pkg}_"*.deb >/dev/null 2>&1; then
		# As root apt warns that it cannot drop to _apt here: not a failure.
		(cd "$DIR/pkg" && apt-get download -qq "$pkg" >"$DIR/pkg/log" 2>&1)
		ls "$DIR/pkg/${pkg}_"*.deb >/dev/null 2>&1 ||
			die "cannot download $pkg with apt-get download: $(grep -v '^W:' "$DIR/pkg/log" | tail -n1)"
	fi
	rm -rf "$DIR/root" && mkdir -p "$DIR/root"
	dpkg -x "$(ls "$DIR/pkg/${pkg}_"*.deb | head -n1)" "$DIR/root"
}

# vmlinuz is a bzImage whose payload is XZ: decompress from its magic on.
extract_vmlinux() {
	z=$(ls "$DIR"/root/boot/vmlinuz-* | head -n1)
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$z" | head -n1 | cut -d: -f1)
	[ -n "$off" ] || die "$z holds no XZ payload"
	tail -c +"$((off + 1))" "$z" | xz -dc --single-stream >"$DIR/vmlinux.tmp" ||
		die "cannot decompress $z"
	mv "$DIR/vmlinux.tmp" "$DIR/vmlinux"
}

# modinfo_deps and add_mod, shared with tests/linux/mkinitramfs.sh.
. "$HERE/mods.sh"

build_initramfs() {
	IR="$DIR/initramfs"
	MODDIR=$(ls -d "$DIR"/root/lib/modules/*/kernel | head -n1)
	MODS="$IR/mods"
	rm -rf "$IR" && mkdir -p "$IR/bin" "$IR/mods" "$IR/proc" "$IR/sys" \
		"$IR/dev" "$IR/lower" "$IR/newroot" "$IR/rw"
	cp "$(command -v busybox)" "$IR/bin/busybox"
	cp "$HERE/init" "$IR/init" && chmod +x "$IR/init"
	for m in $BASE_MODS; do add_mod "$m"; done
	echo "$BASE_MODS" | tr '-' '_' >"$IR/mods/base"
	for m in $EXTRA_MODS; do add_mod "$m"; done
	(cd "$IR" && find . | cpio -o -H newc --quiet) >"$DIR/initramfs.cpio"
}

need qemu-system-x86_64 qemu-system-x86
need busybox busybox-static
need xz xz-utils
need cpio cpio
need objcopy binutils
file -L "$(command -v busybox)" | grep -q 'statically linked' ||
	die "$(command -v busybox) is not static (Debian package busybox-static)"
mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9
s=$(stamp_of)
[ -f "$DIR/vmlinux" ] && [ -f "$DIR/initramfs.cpio" ] &&
	[ "$(cat "$DIR/.stamp" 2>/dev/null)" = "$s" ] && exit 0
echo "testbed: preparing the kernel and initramfs in $DIR" >&2
fetch_kernel
extract_vmlinux
build_initramfs
echo "$s" >"$DIR/.stamp"
