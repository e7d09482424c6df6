#!/bin/sh
# tests/integration/hvt_app.sh - a monitor built for one unikernel: `make
# test` runs `make hvt GUEST=build/hvt-guests/hello.hvt`, whose manifest
# declares no device. build/hvt-app/wisp must hold none of the block or
# net back ends (nm), run its unikernel, and refuse a device option.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
A=build/hvt-app/wisp
G=build/hvt-guests
need_built "$A" build/hvt/wisp "$G/hello.hvt" "$G/block.hvt"
command -v nm >/dev/null || skip "nm (binutils) is not installed"

BACKEND_SYMS='hvt_backend_(block|net)|hvt_(tap|disk)_open|hvt_mac_|block_call|net_call'
if nm "$A" | grep -qE "$BACKEND_SYMS"; then
	fail "hvt-app for hello.hvt holds back end symbols: $(nm "$A" | grep -E "$BACKEND_SYMS" | tr '\n' ' ')"
else
	pass "hvt-app for a unikernel without devices: no block or net symbols"
fi
n=$(nm build/hvt/wisp | grep -cE "$BACKEND_SYMS")
[ "$n" -ge 6 ] && pass "build/hvt/wisp has both back ends ($n symbols)" || \
	fail "build/hvt/wisp: only $n back end symbols"
grep -q "^DEV_EXTRA := *$" build/hvt-app/backends.mk && \
	pass "backends.mk generated from the manifest: no back end" || \
	fail "backends.mk: $(cat build/hvt-app/backends.mk)"

need_kvm
run_wisp 20 "$A" "$G/hello.hvt"
expect "hvt-app runs its unikernel" 0 "Hello, world"
truncate -s 4096 "$T/d.img"
run_wisp 20 "$A" --block:disk="$T/d.img" "$G/block.hvt"
expect "hvt-app refuses a block device it has no back end for (64)" 64
stderr_matches "no back end: one line" "^wisp: --block: this wisp has no back end"
finish
