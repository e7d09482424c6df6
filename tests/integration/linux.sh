#!/bin/sh
# tests/integration/linux.sh - Debian's stock 6.1 kernels boot under the
# linux profile, each to the test initramfs's /init (tests/linux/init)
# with 2 vCPUs seen through ACPI's MADT: the generic PVH vmlinux, the
# generic bzImage and the cloud bzImage (no MP-table parser; its own
# package's modules in a second initramfs). /init reads the RTC, lists the
# PCI functions it sees and ends as wisp.end= says: poweroff through ACPI
# S5 (exit 0), reboot (80: the reset vector writes pm's reset register)
# or a panic (68: pvpanic). Then the linuxpci profile's PCI bus as Linux
# sees it; the virtio devices (--disk, --rng, --net) under Linux's own
# drivers, each in its own filtered process; an ext2 file system the guest
# makes (busybox mke2fs, flushed) that the host's e2fsck -n finds clean,
# and a guest discard that punches a hole in the host's image; bad Linux
# input gets one line before anything runs.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
W=build/linux/wisp
INITRD=build/linux-guest/initramfs.cpio
PVH=build/testbed/vmlinux
need_built "$W" "$INITRD" "$PVH" build/linuxpci/wisp
BZ=$(ls build/testbed/root/boot/vmlinuz-* 2>/dev/null | head -n1)
need_built "$BZ"
# The cloud kernel and the initramfs of its own modules (make linux-guest).
CLOUD=$(ls build/linux-cloud/root/boot/vmlinuz-* 2>/dev/null | head -n1)
CLOUD_INITRD=build/linux-cloud/initramfs.cpio
need_built "$CLOUD" "$CLOUD_INITRD"
need_kvm
CMD="console=ttyS0 panic=-1 quiet"

run_wisp 600 "$W" --mem 256M --cpus 2 --kernel "$PVH" --initrd "$INITRD" \
	--cmdline "$CMD"
expect "PVH vmlinux, 2 vCPUs: /init reached, powered off (ACPI S5)" 0 \
	"wisp-linux: init reached" "wisp-linux: cpus 2" "wisp-linux: rtc 20"
run_wisp 900 "$W" --mem 256M --cpus 2 --kernel "$BZ" --initrd "$INITRD" \
	--cmdline "$CMD"
expect "generic bzImage, 2 vCPUs: /init reached, powered off" 0 \
	"wisp-linux: init reached" "wisp-linux: cpus 2"
# The cloud bzImage (LZ4) has no MP-table parser: 2 vCPUs only through
# the MADT. Its virtio modules (the initramfs's, from its own package)
# drive virtio-rng.
run_wisp 900 "$W" --mem 256M --cpus 2 --kernel "$CLOUD" \
	--initrd "$CLOUD_INITRD" --rng --cmdline "$CMD wisp.rng=1"
expect "cloud bzImage, 2 vCPUs (MADT): /init reached, its virtio modules drive virtio-rng" 0 \
	"wisp-linux: init reached" "wisp-linux: cpus 2" \
	"wisp-linux: kernel ${CLOUD##*/vmlinuz-}" \
	"wisp-linux: rng_current virtio_rng.0"
# wisp's PCI bus as Linux sees it (the linuxpci profile: linux + the PCI
# test function): the MCFG area reserved and used, the root bridge's
# window, the host bridge and the function found by their IDs.
run_wisp 600 build/linuxpci/wisp --mem 256M --kernel "$PVH" \
	--initrd "$INITRD" --cmdline "$CMD"
expect "PCI: Linux finds the host bridge and pcitest (MCFG, PCI0)" 0 \
	"wisp-linux: pci 0000:00:00.0 0x8086:0x0d57 class 0x060000" \
	"wisp-linux: pci 0000:00:01.0 0x1b36:0x0005 class 0x00ff00" \
	"PCI: MMCONFIG for domain 0000 [bus 00-00] at [mem 0xe0000000-0xe00fffff]" \
	"reserved in E820"

# virtio under Linux (the guest's own drivers: virtio_pci with MSI-X,
# virtio_blk, virtio-rng): a writable disk whose first and last sectors
# hold a pattern and which the guest writes at 4096 (and 4 MiB at 2 MiB,
# digests compared with the image's), a second disk opened
# ro=on that refuses the guest's write, and the entropy device as the
# guest's hwrng. Run in the background so the host can see wisp's device
# processes meanwhile: uart, rtc and the three virtio devices, each under
# its seccomp filter with no capabilities.
field() { sed -n "s/^$2:[[:space:]]*//p" "$1"; }
# sandboxed_children N: wisp (under timeout $TPID) has N device processes,
# all filtered (Seccomp: 2) with an empty effective capability set.
sandboxed_children() {
	wpid=$(pgrep -P "$TPID" | head -n1)
	[ -n "$wpid" ] || return 1
	set -- "$1" $(pgrep -P "$wpid")
	[ $# -eq $(($1 + 1)) ] || return 1
	shift
	for c in "$@"; do
		[ "$(field /proc/"$c"/status Seccomp)" = 2 ] &&
			[ "$(field /proc/"$c"/status CapEff)" = 0000000000000000 ] ||
			return 1
	done
}
disk_image() { # file size pattern: pattern at 0 and in the last sector
	truncate -s "$2" "$1"
	printf %s "$3" | dd of="$1" conv=notrunc 2>/dev/null
	printf %s "$3" | dd of="$1" bs=512 seek=$(($(stat -c %s "$1") / 512 - 1)) \
		conv=notrunc 2>/dev/null
}
disk_image "$T/disk.img" 8M wisp-disk-pattern
disk_image "$T/ro.img" 1M wisp-ro-pattern
cp "$T/ro.img" "$T/ro.orig"
timeout -k 2 600 "$W" --mem 256M --cpus 2 --kernel "$PVH" --initrd "$INITRD" \
	--disk "$T/disk.img" --disk "$T/ro.img,ro=on" --rng \
	--cmdline "$CMD wisp.disk=1 wisp.rng=1" </dev/null >"$T/out" 2>"$T/err" &
TPID=$!
i=600
while [ $i -gt 0 ] && ! sandboxed_children 5; do sleep 0.1; i=$((i - 1)); done
sandboxed_children 5 &&
	pass "virtio: 5 device processes (uart, rtc, 2 virtio-blk, virtio-rng), Seccomp: 2, CapEff 0" ||
	fail "virtio: wanted 5 filtered device processes without capabilities under wisp"
wait "$TPID"
# shellcheck disable=SC2034 # read by expect
RC=$?
expect "virtio: Linux's drivers find blk x2 and rng with MSI-X; vda read and written, vdb read-only, hwrng is virtio_rng" 0 \
	"wisp-linux: pci 0000:00:01.0 0x1af4:0x1042 class 0x018000 irqs 2" \
	"wisp-linux: pci 0000:00:02.0 0x1af4:0x1042 class 0x018000 irqs 2" \
	"wisp-linux: pci 0000:00:03.0 0x1af4:0x1044 class 0xff0000 irqs 2" \
	"wisp-linux: vda sectors 16384 ro 0" \
	"wisp-linux: vda first wisp-disk-pattern" \
	"wisp-linux: vda last wisp-disk-pattern" \
	"wisp-linux: vda wrote wisp-guest-wrote" \
	"wisp-linux: vdb ro 1" "wisp-linux: vdb first wisp-ro-pattern" \
	"wisp-linux: vdb write refused" "wisp-linux: rng_current virtio_rng.0"
hex=$(sed -n 's/^wisp-linux: hwrng \([0-9a-f]*\).*/\1/p' "$T/out")
[ ${#hex} -eq 128 ] && [ "$(echo "$hex" | tr -d 0)" ] &&
	pass "virtio: 64 bytes from /dev/hwrng ($(echo "$hex" | cut -c1-16)...)" ||
	fail "virtio: /dev/hwrng gave '$hex'"
[ "$(dd if="$T/disk.img" bs=4096 skip=1 count=1 2>/dev/null | head -c 16)" = wisp-guest-wrote ] &&
	pass "virtio: the guest's write at 4096 is in the host's image" ||
	fail "virtio: the image holds no guest write at 4096"
bulk=$(sed -n 's/^wisp-linux: vda bulk \([0-9a-f]*\) back \([0-9a-f]*\).*/\1 \2/p' "$T/out")
host=$(dd if="$T/disk.img" bs=1M skip=2 count=4 2>/dev/null | md5sum | cut -d' ' -f1)
[ "$bulk" = "$host $host" ] &&
	pass "virtio: 4 MiB the guest wrote at 2 MiB read back (O_DIRECT) and in the image" ||
	fail "virtio: bulk digests guest '$bulk', host image '$host'"
cmp -s "$T/ro.img" "$T/ro.orig" && pass "virtio: the ro=on image is unchanged" ||
	fail "virtio: the ro=on image changed"

# ext2 from the guest: busybox mke2fs on a 16 MiB --disk, written out and
# flushed (FLUSH: fdatasync in the device process); the host's e2fsck -n
# finds the image clean and dumpe2fs reads the guest's label and size.
# A second disk, all written, where the guest discards 1 MiB at 1 MiB
# (DISCARD: a hole punched in the image, its blocks freed).
truncate -s 16M "$T/ext2.img"
head -c 4M /dev/urandom >"$T/discard.img"
blocks=$(stat -c %b "$T/discard.img")
run_wisp 600 "$W" --mem 256M --kernel "$PVH" --initrd "$INITRD" \
	--disk "$T/ext2.img" --disk "$T/discard.img" \
	--cmdline "$CMD wisp.ext2=vda wisp.discard=vdb"
zero1m=$(head -c 1M /dev/zero | md5sum | cut -d' ' -f1)
grep -q "^wisp-linux: vdb discarded, reads $zero1m" "$T/out" &&
	[ "$(dd if="$T/discard.img" bs=1M skip=1 count=1 2>/dev/null | md5sum | cut -d' ' -f1)" = "$zero1m" ] &&
	[ "$(stat -c %b "$T/discard.img")" -le $((blocks - 2048)) ] &&
	[ "$(stat -c %s "$T/discard.img")" = 4194304 ] &&
	pass "discard: the guest's blkdiscard of 1 MiB reads zeroes and freed the image's blocks ($blocks -> $(stat -c %b "$T/discard.img") sectors)" ||
	fail "discard: $(grep 'wisp-linux: vdb' "$T/out" | tr '\n' ' ') image blocks $blocks -> $(stat -c %b "$T/discard.img")"
if expect "ext2: the guest's busybox mke2fs on vda" 0 \
	"wisp-linux: ext2 made on vda"; then
	e2fsck -n "$T/ext2.img" >"$T/fsck" 2>&1 &&
		pass "ext2: the host's e2fsck -n finds the image clean" ||
		fail "ext2: e2fsck -n: $(tail -n 3 "$T/fsck" | tr '\n' ' ')"
	dumpe2fs -h "$T/ext2.img" 2>/dev/null >"$T/dump"
	grep -q '^Filesystem volume name: *wisp-ext2$' "$T/dump" &&
		grep -q '^Block count: *16384$' "$T/dump" &&
		pass "ext2: dumpe2fs reads the guest's label and 16384 1 KiB blocks" ||
		fail "ext2: dumpe2fs: $(grep -e 'volume name' -e '^Block count' "$T/dump" | tr '\n' ' ')"
fi

# virtio-net under Linux, in a network namespace of the test's own: a tap
# at 10.0.2.1/24 there, the guest's eth0 (the MAC from mac=) at 10.0.2.15
# pings it. Needs root for the namespace and the tap (the testbed is).
if unshare -n true 2>/dev/null; then
	run_wisp 600 unshare -n sh -c 'ip link set lo up &&
		ip tuntap add tap0 mode tap && ip addr add 10.0.2.1/24 dev tap0 &&
		ip link set tap0 up && exec "$@"' sh \
		"$W" --mem 256M --kernel "$PVH" --initrd "$INITRD" \
		--net tap=tap0,mac=52:54:00:12:34:56 --cmdline "$CMD wisp.net=1"
	expect "virtio-net: Linux's eth0 (mac=) pings the host's tap" 0 \
		"wisp-linux: pci 0000:00:01.0 0x1af4:0x1041 class 0x020000 irqs 3" \
		"wisp-linux: eth0 mac 52:54:00:12:34:56" \
		"wisp-linux: ping 3 packets transmitted, 3 packets received"
else
	echo "(no virtio-net case: uid $(id -u) cannot make a network namespace)"
fi

# The guest's other ends (tests/linux/init's wisp.end=): Linux's default
# reboot with 2 vCPUs (a hardware-reduced FADT sends it through the BIOS
# reset vector, where wisp's code writes the FADT's reset register: pm,
# exit 80) and a kernel panic (the pvpanic-mmio driver on the DSDT's
# QEMU0001 node writes PANICKED: exit 68).
run_wisp 600 "$W" --mem 256M --cpus 2 --kernel "$PVH" --initrd "$INITRD" \
	--cmdline "$CMD wisp.end=reboot"
expect "reboot -f, 2 vCPUs: exit 80 (the reset register)" 80 \
	"wisp-linux: cpus 2" &&
	stderr_matches "reboot: pm's reset register ended the VM" \
		'^wisp: pm\.0: guest requested a reboot'
run_wisp 600 "$W" --mem 256M --kernel "$PVH" --initrd "$INITRD" \
	--cmdline "$CMD wisp.end=panic"
expect "kernel panic: exit 68 (pvpanic)" 68 "wisp-linux: init reached" &&
	stderr_matches "panic: pvpanic's one line" \
		'^wisp: pvpanic\.0: the guest kernel panicked; stopping the VM$'

cli_error "--initrd with a test image" 64 --kernel "$GUESTS/hello.elf" \
	--initrd "$INITRD"
head -c 4096 "$BZ" >"$T/short-bz"
cli_error "a truncated bzImage" 65 --kernel "$T/short-bz"
head -c 70000000 /dev/zero >"$T/big-initrd"
cli_error "an initrd that does not fit" 65 --mem 64M --kernel "$PVH" \
	--initrd "$T/big-initrd"
finish
