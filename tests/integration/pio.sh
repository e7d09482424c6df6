#!/bin/sh
# tests/integration/pio.sh - port I/O of sizes 1/2/4 against the devices
# each profile has (pio.elf checks what its command line names), two UART
# instances, and a control run proving the guest's checks can fail.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$WISP_TEST" "$GUESTS/pio.elf"
need_kvm

run_wisp 20 "$WISP_DEFAULT" --kernel "$GUESTS/pio.elf" --cmdline uart
expect "default profile: UART scratch register, unclaimed ports" 0 "pio: ok"

run_wisp 20 "$WISP_TEST" --kernel "$GUESTS/pio.elf" --cmdline testdev
expect "test profile: testdev counter, unclaimed ports" 0

run_wisp 20 "$WISP_DEFAULT" --device uart --device uart,port=0x2f8,irq=3 \
	--kernel "$GUESTS/pio.elf" --cmdline "uart uart2"
expect "two UARTs: both scratch registers work" 0 "pio: ok"

run_wisp 20 "$WISP_DEFAULT" --device uart,port=0x2f8,irq=3 \
	--kernel "$GUESTS/pio.elf" --cmdline "uart2"
expect "one UART at 0x2f8 only: its scratch register works" 0

# Control: no UART in the test profile, so the scratch check must fail
# with its own code (10) - the guest really checks.
run_wisp 20 "$WISP_TEST" --kernel "$GUESTS/pio.elf" --cmdline uart
expect "control: scratch check fails without a UART (exit 10)" 10

finish
