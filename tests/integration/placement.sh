#!/bin/sh
# tests/integration/placement.sh - a profile's TRUSTED/SANDBOXED choices are
# checked against what each device allows, at start, with one clear line
# and exit 64: trusting a device that may not be trusted, withholding trust
# from one that needs it. (Sandboxing one that runs only inside wisp, hvt,
# is refused the same way; its profile needs the hvt loader and guests.)
# Builds build/custom/wisp three ways (the objects are shared: one compile).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$GUESTS/mark.elf"

# placement NAME WANT-STDERR MAKE-VARS...
placement() {
	case_name=$1 case_err=$2
	shift 2
	if ! make -s "$@" >"$T/build" 2>&1; then
		fail "$case_name: the profile builds"
		sed -n '1,12s/^/    make: /p' "$T/build"
		return
	fi
	run_wisp 20 build/custom/wisp --kernel "$GUESTS/mark.elf"
	expect "$case_name: refused at start" 64 &&
		stderr_matches "$case_name: named" "$case_err"
}

placement "fb trusted" "trusts device 'fb', which may not be trusted" \
	DEVICES="debug_exit fb" TRUSTED="debug_exit fb" SANDBOXED=
placement "debug_exit untrusted" \
	"device 'debug_exit' needs the trusted helper table" \
	DEVICES="debug_exit fb" TRUSTED= SANDBOXED=
# Control: the same devices placed as they allow run the guest.
make -s DEVICES="debug_exit fb" TRUSTED="debug_exit" SANDBOXED= \
	>"$T/build" 2>&1 || fail "control: the profile builds"
run_wisp 20 build/custom/wisp --kernel "$GUESTS/mark.elf"
expect "control: allowed placement runs the guest" 0
# fb may be a profile's SANDBOXED device now: it runs in its own process.
make -s DEVICES="debug_exit fb" TRUSTED="debug_exit" SANDBOXED="fb" \
	>"$T/build" 2>&1 || fail "fb sandboxed: the profile builds"
run_wisp 20 build/custom/wisp --kernel "$GUESTS/mark.elf"
expect "fb sandboxed by the profile runs the guest" 0

finish
