#!/bin/sh
# tests/integration/uart_irq.sh - UART interrupts through the PIC: the guest
# counts THRE interrupts and echoes stdin uppercased, reading it only in
# its receive interrupt. A lost interrupt hangs the guest: bounded here.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$GUESTS/uart_irq.elf"
need_kvm

printf 'hello\n' >"$T/in"
STDIN="$T/in" run_wisp 20 "$WISP_DEFAULT" --kernel "$GUESTS/uart_irq.elf"
expect "input ready at start: echoed uppercased" 0 "HELLO" "THRE"

# Input arriving later must wake the halted guest with an interrupt.
(sleep 1; printf 'late line\n') |
	timeout -k 2 20 "$WISP_DEFAULT" --kernel "$GUESTS/uart_irq.elf" \
	>"$T/out" 2>"$T/err"
# shellcheck disable=SC2034 # RC is read by expect
RC=$?
expect "input 1 s later: wakes the guest, echoed" 0 "LATE LINE"

finish
