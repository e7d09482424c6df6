#!/bin/sh
# tests/integration/ctl_linux.sh - the control socket with a Linux guest:
# a subscriber sees `guest-boot` when /init writes its code to the boot
# port, and `stop` presses the ACPI power button (the pm device, the
# DSDT's Generic Event Device): Linux's button driver reports it, /init
# (wisp.end=button) powers off through ACPI S5, wisp exits 0 and the
# subscriber sees `exit` with status 0.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
W=build/linux/wisp
INITRD=build/linux-guest/initramfs.cpio
PVH=build/testbed/vmlinux
need_built "$W" "$INITRD" "$PVH"
need_kvm
PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 runs the test's client"
C="$PY tests/integration/ctlc.py"
S="$T/api.sock"

"$W" --api-sock "$S" --mem 256M --cpus 2 --kernel "$PVH" --initrd "$INITRD" \
	--cmdline "console=ttyS0 panic=-1 quiet wisp.end=button" \
	</dev/null >"$T/out" 2>"$T/err" &
PID=$!
wait_for 30 test -S "$S"
$C "$S" events 3 600 >"$T/events" &
EV=$!
# The guest waits for its power button (bounded: 600 s, however slow).
waiting() {
	grep -q "waiting for the power button" "$T/out" || ! kill -0 "$PID" 2>/dev/null
}
wait_for 600 waiting
if grep -q "waiting for the power button" "$T/out"; then
	pass "Linux reached /init and waits for its ACPI power button"
else
	fail "Linux reached /init and waits for its ACPI power button"
	show_output
fi
wait_for 60 grep -q '"event":"guest-boot"' "$T/events"
if grep -q '"event":"guest-boot".*"device":"bootport.0"' "$T/events"; then
	pass "the subscriber saw guest-boot from the boot port"
else
	fail "the subscriber saw guest-boot from the boot port"
	sed 's/^/    events: /' "$T/events"
fi
$C "$S" '{"id":1,"cmd":"stop"}' >"$T/reply"
reap_bg "$PID" 300
wait "$EV"
if [ "$RC" -eq 0 ] && grep -q '"ok":true' "$T/reply" &&
	grep -q "power button pressed" "$T/out"; then
	pass "stop: the guest saw its power button and powered off (exit 0)"
else
	fail "stop: the guest saw its power button and powered off (exit 0, got $RC)"
	show_output
fi
if grep -q '"event":"exit".*"status":0' "$T/events"; then
	pass "the subscriber saw exit with status 0"
else
	fail "the subscriber saw exit with status 0"
	sed 's/^/    events: /' "$T/events"
fi
finish
