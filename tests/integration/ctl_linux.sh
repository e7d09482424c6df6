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
n=300
until [ -S "$S" ] || [ "$n" -eq 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
$C "$S" events 3 600 >"$T/events" &
EV=$!
# The guest waits for its power button (bounded: 600 s, however slow).
n=6000
until grep -q "waiting for the power button" "$T/out" || [ "$n" -eq 0 ] ||
	! kill -0 "$PID" 2>/dev/null; do
	sleep 0.1
	n=$((n - 1))
done
if grep -q "waiting for the power button" "$T/out"; then
	pass "Linux reached /init and waits for its ACPI power button"
else
	fail "Linux reached /init and waits for its ACPI power button"
	show_output
fi
n=600
until grep -q '"event":"guest-boot"' "$T/events" || [ "$n" -eq 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
if grep -q '"event":"guest-boot".*"device":"bootport.0"' "$T/events"; then
	pass "the subscriber saw guest-boot from the boot port"
else
	fail "the subscriber saw guest-boot from the boot port"
	sed 's/^/    events: /' "$T/events"
fi
$C "$S" '{"id":1,"cmd":"stop"}' >"$T/reply"
n=3000
while kill -0 "$PID" 2>/dev/null && [ "$n" -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
kill -9 "$PID" 2>/dev/null
wait "$PID"
RC=$?
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
