#!/bin/sh
# tests/integration/hvt_block.sh - hvt block devices: the first and last
# block written, read back and persisted in the host file; bad requests
# (one past the end, misaligned, bad length, overflow, bad handle) get
# EINVAL inside the guest (tests/hvt/block.c); sector sizes; CLI errors
# before the guest starts; the largest manifest.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
W=build/hvt/wisp
G=build/hvt-guests
need_built "$W" "$G/block.hvt" "$G/maxmft.hvt"
need_kvm

truncate -s 1M "$T/disk.img"
run_wisp 30 "$W" --block:disk="$T/disk.img" "$G/block.hvt"
expect "block: rw first/last, bad requests EINVAL" 0 "block ok: 2048 blocks of 512"
# block 0 holds (0*7 + i) & 0xff, the last block (2047*7 + i) & 0xff
first=$(od -An -tu1 -N4 "$T/disk.img" | tr -s ' ')
last=$(od -An -tu1 -j $((2047 * 512)) -N2 "$T/disk.img" | tr -s ' ')
[ "$first" = " 0 1 2 3" ] && [ "$last" = " 249 250" ] && \
	pass "block: data is in the host file" || \
	fail "block: host file holds '$first' / '$last'"
run_wisp 30 "$W" --block:disk="$T/disk.img" "$G/block.hvt" verify
expect "block: a second run reads what the first wrote" 0 "block ok"
run_wisp 30 "$W" --block-sector-size:disk=4096 --block:disk="$T/disk.img" \
	"$G/block.hvt"
expect "block: 4096-byte sectors" 0 "block ok: 256 blocks of 4096"

truncate -s 1000 "$T/odd.img"
run_wisp 20 "$W" --block:disk="$T/odd.img" "$G/block.hvt"
expect "disk size not a multiple of the sector size (65)" 65
stderr_matches "odd disk: named" "^wisp: --block:disk: disk size 1000"
run_wisp 20 "$W" --block-sector-size:disk=1000 --block:disk="$T/disk.img" \
	"$G/block.hvt"
expect "sector size not a power of two (64)" 64
run_wisp 20 "$W" "$G/block.hvt"
expect "manifest entry left unattached (64)" 64
stderr_matches "unattached: named" "^wisp: manifest devices not attached: disk"
run_wisp 20 "$W" --block:other="$T/disk.img" "$G/block.hvt"
expect "name not in the manifest (64)" 64
run_wisp 20 "$W" --block:disk="$T/nope.img" "$G/block.hvt"
expect "missing disk image (66)" 66
run_wisp 20 "$W" --block:disk="$T/disk.img" --block:disk="$T/disk.img" \
	"$G/block.hvt"
expect "same device twice (64)" 64

# 64 manifest entries: the reserved one and a0..g7, h0..h6
args=""
for n in a0 a1 a2 a3 a4 a5 a6 a7 b0 b1 b2 b3 b4 b5 b6 b7 c0 c1 c2 c3 c4 c5 \
	c6 c7 d0 d1 d2 d3 d4 d5 d6 d7 e0 e1 e2 e3 e4 e5 e6 e7 f0 f1 f2 f3 f4 \
	f5 f6 f7 g0 g1 g2 g3 g4 g5 g6 g7 h0 h1 h2 h3 h4 h5 h6; do
	truncate -s 512 "$T/$n"
	args="$args --block:$n=$T/$n"
done
# shellcheck disable=SC2086 # one word per option
run_wisp 30 "$W" $args "$G/maxmft.hvt"
expect "manifest with 64 entries, all attached" 0 "64 entries ok"
finish
