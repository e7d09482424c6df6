#!/bin/sh
# tests/integration/placement.sh - a profile's TRUSTED/SANDBOXED choices are
# checked against what each device allows, at start, with one clear line
# and exit 64: trusting a device that may not be trusted, withholding trust
# from one that needs it. (Sandboxing one that runs only inside wisp, hvt,
# is refused the same way; its profile needs the hvt loader and guests.)
# The four profiles (build/place-*) and build/custom are built by `make
# test-profiles`, on the host, before the guest tier runs (perhaps inside
# the testbed).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$GUESTS/mark.elf" build/place-fbtrusted/wisp \
	build/place-untrusted/wisp build/place-control/wisp \
	build/place-fbsandboxed/wisp build/custom/wisp
need_kvm

# placement NAME WANT-STDERR PROFILE
placement() {
	run_wisp 20 "build/$3/wisp" --kernel "$GUESTS/mark.elf"
	expect "$1: refused at start" 64 && stderr_matches "$1: named" "$2"
}

placement "fb trusted" "trusts device 'fb', which may not be trusted" \
	place-fbtrusted
placement "debug_exit untrusted" \
	"device 'debug_exit' needs the trusted helper table" place-untrusted
# Control: the same devices placed as they allow run the guest.
run_wisp 20 build/place-control/wisp --kernel "$GUESTS/mark.elf"
expect "control: allowed placement runs the guest" 0
# fb may be a profile's SANDBOXED device now: it runs in its own process.
run_wisp 20 build/place-fbsandboxed/wisp --kernel "$GUESTS/mark.elf"
expect "fb sandboxed by the profile runs the guest" 0
# A DEVICES= build takes each device's defaults from devices/devices.mk:
# make DEVICES="uart pm debug_exit" trusts pm and debug_exit, and starts.
run_wisp 20 build/custom/wisp --kernel "$GUESTS/mark.elf"
expect "DEVICES=\"uart pm debug_exit\" (table defaults) runs the guest" 0

finish
