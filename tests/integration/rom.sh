#!/bin/sh
# tests/integration/rom.sh - `--rom PATH[,addr=GPA]`: a read-only image the
# guest reads and runs, whose guest writes are dropped without ending the
# VM (rom.elf checks every byte before and after writes of each size), and
# every bad --rom refused with one line before the guest starts.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_TEST" "$GUESTS/rom.elf"
need_kvm

# "mov $42, %eax; ret", then "wisp-rom\n" repeated: 8206 bytes, 3 pages.
ROM="$T/rom.bin"
printf '\270\052\000\000\000\303' >"$ROM"
yes wisp-rom | head -c 8200 >>"$ROM"
LEN=8206
SUM=$(cksum <"$ROM")

run_wisp 20 "$WISP_TEST" --rom "$ROM" --kernel "$GUESTS/rom.elf" \
	--cmdline "addr=$((0x100000000 - 3 * 4096)) len=$LEN"
expect "ROM ending at 4 GiB: contents, code, writes dropped" 0
stderr_matches "the dropped writes are logged as ROM" "unclaimed ROM write"

run_wisp 20 "$WISP_TEST" --rom "$ROM,addr=0xe0000000" \
	--kernel "$GUESTS/rom.elf" --cmdline "addr=$((0xe0000000)) len=$LEN"
expect "ROM at a chosen address" 0
[ "$(cksum <"$ROM")" = "$SUM" ] && pass "the image file is unchanged" ||
	fail "the image file changed"

run_wisp 20 "$WISP_TEST" --rom "$ROM,addr=0x1000" --kernel "$GUESTS/mark.elf"
expect "a ROM over RAM is bad input" 64
stderr_matches "both ranges are named" "rom0.*RAM|RAM.*rom0"

run_wisp 20 "$WISP_TEST" --rom "$ROM,addr=0xd0000000" --kernel "$GUESTS/mark.elf"
expect "a ROM over a device's MMIO is bad input" 64
stderr_matches "the device range is named" "testdev"

run_wisp 20 "$WISP_TEST" --rom "$ROM,addr=0xfee00000" --kernel "$GUESTS/mark.elf"
expect "a ROM over the local APIC KVM decodes is bad input" 64
stderr_matches "the ROM and KVM's range are named" \
	"rom0 \\[0xfee00000, 0xfee03000\\) overlaps reserved KVM local APIC"

run_wisp 20 "$WISP_TEST" --rom "$ROM,addr=0xfeffb000" --kernel "$GUESTS/mark.elf"
expect "a ROM over KVM's identity-map and TSS pages is bad input" 64
stderr_matches "KVM's page is named" "KVM identity map"

run_wisp 20 "$WISP_TEST" --rom "$ROM,addr=0xe0000800" --kernel "$GUESTS/mark.elf"
expect "an unaligned ROM address is bad input" 64

run_wisp 20 "$WISP_TEST" --rom "$ROM,size=4" --kernel "$GUESTS/mark.elf"
expect "an unknown --rom option is bad input" 64

run_wisp 20 "$WISP_TEST" --rom "$T/missing" --kernel "$GUESTS/mark.elf"
expect "a missing ROM image: no input" 66

: >"$T/empty"
run_wisp 20 "$WISP_TEST" --rom "$T/empty" --kernel "$GUESTS/mark.elf"
expect "an empty ROM image is a bad image" 65

run_wisp 20 "$WISP_TEST" --rom "$ROM,addr=0xe0000000" \
	--rom "$ROM,addr=0xe0001000" --kernel "$GUESTS/mark.elf"
expect "two ROMs that overlap are bad input" 64
stderr_matches "both ROMs are named" "rom1.*rom0|rom0.*rom1"

set --
for a in 0xe0000000 0xe0010000 0xe0020000 0xe0030000 0xe0040000; do
	set -- "$@" --rom "$ROM,addr=$a"
done
run_wisp 20 "$WISP_TEST" "$@" --kernel "$GUESTS/mark.elf"
expect "more ROMs than the limit is bad input" 64

finish
