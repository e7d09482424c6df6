#!/bin/sh
# tests/linux/cloud-kernel.sh DIR - Debian's cloud kernel for the Linux
# tests (tests/integration/linux.sh), from its package only, into DIR
# (under build/, never committed):
#   DIR/root     the package unpacked: boot/vmlinuz-* (a bzImage) and the
#                modules tests/linux/mkinitramfs.sh DIR puts in its initramfs
#   DIR/pkg      the .deb, fetched once with apt-get download (a rebuild
#                needs no network)
# The cloud kernel has no MP-table parser: it sees every vCPU only through
# ACPI's MADT. Idempotent: unpacked again only when the package changed.
set -eu
DIR=$(mkdir -p "$1" && cd "$1" && pwd)

die() { echo "cloud-kernel: $*" >&2; exit 69; }

# The version linux-image-cloud-amd64 points at, or the cached one.
kernel_pkg() {
	v=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/.*Depends: \(linux-image-[0-9.-]*-cloud-amd64\)$/\1/p' |
		head -n1)
	[ -n "$v" ] && { echo "$v"; return; }
	ls "$DIR/pkg" 2>/dev/null |
		sed -n 's/^\(linux-image-[^_]*-cloud-amd64\)_.*\.deb$/\1/p' |
		head -n1 | grep . ||
		die "apt-cache knows no linux-image-cloud-amd64 (run apt-get update)"
}

fetch() { # package -> its .deb in DIR/pkg
	mkdir -p "$DIR/pkg"
	if ! ls "$DIR/pkg/${1}_"*.deb >/dev/null 2>&1; then
		# As root apt warns that it cannot drop to _apt here: not a failure.
		(cd "$DIR/pkg" && apt-get download -qq "$1" >"$DIR/pkg/log" 2>&1)
		ls "$DIR/pkg/${1}_"*.deb >/dev/null 2>&1 ||
			die "cannot download $1 with apt-get download: $(grep -v '^W:' "$DIR/pkg/log" | tail -n1)"
	fi
	ls "$DIR/pkg/${1}_"*.deb | head -n1
}

exec 9>"$DIR/.lock"
flock 9
deb=$(fetch "$(kernel_pkg)")
[ -f "$DIR/.stamp" ] && [ "$(cat "$DIR/.stamp")" = "$deb" ] &&
	ls "$DIR"/root/boot/vmlinuz-* >/dev/null 2>&1 && exit 0
echo "cloud-kernel: unpacking $(basename "$deb") into $DIR/root" >&2
rm -rf "$DIR/root" && mkdir -p "$DIR/root"
dpkg -x "$deb" "$DIR/root"
echo "$deb" >"$DIR/.stamp"
