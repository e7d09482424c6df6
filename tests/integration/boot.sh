#!/bin/sh
# tests/integration/boot.sh - the demo guest in long mode, a real-mode
# guest, and where the serial console's output goes.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$GUESTS/hello.elf" "$GUESTS/real16.elf"
need_kvm

run_wisp 20 "$WISP_DEFAULT" --kernel "$GUESTS/hello.elf" --cmdline "greeting=yes"
expect "hello: greets over the UART and exits 0" 0 \
	"Hello from a wisp test guest!" "on 1 vCPU" \
	'command line: "greeting=yes"' "Goodbye."

run_wisp 20 "$WISP_DEFAULT" --kernel "$GUESTS/hello.elf" --cpus 2
expect "hello: sees 2 vCPUs and no command line" 0 "on 2 vCPUs" \
	'command line: ""'

run_wisp 20 "$WISP_DEFAULT" --mem 16M --kernel "$GUESTS/hello.elf"
expect "hello: runs in 16 MiB" 0 "Hello from a wisp test guest!"

run_wisp 20 "$WISP_DEFAULT" --kernel "$GUESTS/real16.elf" --cmdline "rm"
expect "real16: real mode prints and exits 0" 0 \
	"real16: hello from 16-bit real mode" "real16: command line: rm"

run_wisp 20 "$WISP_DEFAULT" --cpus 4 --kernel "$GUESTS/real16.elf"
expect "real16: 4 vCPUs in real mode, vCPU 0 prints" 0 \
	"real16: hello from 16-bit real mode"

run_wisp 20 "$WISP_DEFAULT" --serial "file:$T/serial" \
	--kernel "$GUESTS/hello.elf"
if expect "serial file: exit 0, nothing on stdout" 0 &&
	! [ -s "$T/out" ] && grep -qF "Hello from" "$T/serial"; then
	pass "serial file: the greeting is in the file"
else
	fail "serial file: the greeting is in the file"
	show_output
fi

run_wisp 20 "$WISP_DEFAULT" --serial none --kernel "$GUESTS/hello.elf"
if expect "serial none: exit 0" 0 && ! [ -s "$T/out" ]; then
	pass "serial none: nothing on stdout"
else
	fail "serial none: nothing on stdout"
	show_output
fi

finish
