#!/bin/sh
# tests/linux/mkinitramfs.sh OUT - the Linux test guest's initramfs:
# busybox-static and tests/linux/init, as an uncompressed cpio (the guest
# kernel unpacks it without a decompressor).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
out=$1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/bin"
cp "$(command -v busybox)" "$d/bin/busybox"
cp "$HERE/init" "$d/init"
chmod +x "$d/init"
(cd "$d" && find . | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
