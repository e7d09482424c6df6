#!/bin/sh
# tests/integration/devproc.sh - untrusted devices in their own processes.
# The sandboxtest profile runs testdev and the misbehaving testbad device in
# device processes; the poke guest hands testbad one command. Each misdeed
# (forbidden syscall, driving a line it does not own, a crash, a hang) must
# stop the VM with exit 79 and a line naming the device and the cause, leave
# no process behind and leave the host unchanged (the file command 1 tries to
# create does not exist). Then whole guests run with every device sandboxed.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
WISP_SB=build/sandboxtest/wisp
need_built "$WISP_SB" "$WISP_TEST" "$WISP_DEFAULT" "$GUESTS/poke.elf" \
	"$GUESTS/doorbell.elf"
need_kvm

# A private copy of the guest marks this run's processes for pgrep.
cp "$GUESTS/poke.elf" "$T/poke.elf"
CANARY="$T/canary"

# poke NAME VAL WANT_RC ERE : testbad command VAL stops (or not) the VM.
poke() {
	run_wisp 20 "$WISP_SB" --device "testbad,path=$CANARY" \
		--kernel "$T/poke.elf" --cmdline "val=$2"
	expect "$1: exit $3" "$3" || return
	[ -n "$4" ] && stderr_matches "$1: says which device and why" "$4"
	if pgrep -f "$T/poke.elf" >/dev/null; then
		fail "$1: a process was left behind"
		pgrep -af "$T/poke.elf" | sed 's/^/    /'
	fi
	if [ -e "$CANARY" ]; then
		fail "$1: the host changed ($CANARY exists)"
		rm -f "$CANARY"
	fi
}

poke "allowed: pulse its own line" 5 0 ""
poke "forbidden syscall" 1 79 \
	"sandboxed device testbad\.0: broke its seccomp policy \(killed by SIGSYS\)"
poke "line it does not own" 2 79 \
	"sandboxed device testbad\.0: drove interrupt line 11, which it does not own"
poke "crash" 3 79 "sandboxed device testbad\.0: crashed \(killed by Segmentation fault\)"
start=$(date +%s)
poke "hang" 4 79 "sandboxed device testbad\.0: did not answer a write and made no progress for 2000 ms"
[ $(( $(date +%s) - start )) -le 10 ] && pass "hang: stopped within 10 s" ||
	fail "hang: took $(( $(date +%s) - start )) s to stop"

# Whole guests with every device sandboxed give the same results as in
# wisp: MMIO sizes, port I/O, the console with input, the exit port.
run_wisp 20 "$WISP_TEST" --sandbox=all --kernel "$GUESTS/mmio.elf"
expect "--sandbox=all: mmio guest" 0
grep -q "runs inside wisp" "$T/err" &&
	fail "--sandbox=all: a device stays in wisp" ||
	pass "--sandbox=all: every device (fb too) leaves wisp"
run_wisp 20 "$WISP_TEST" --sandbox=all --kernel "$GUESTS/pio.elf"
expect "--sandbox=all: pio guest" 0
# Doorbells (ioeventfd): 1000 rings, none of them an exit, all delivered,
# to the device inside wisp and to the device in its own process.
run_wisp 20 "$WISP_TEST" --kernel "$GUESTS/doorbell.elf" --cmdline 1000
expect "doorbell, device in wisp: no exits, every ring arrives" 0
run_wisp 20 "$WISP_TEST" --sandbox=all --kernel "$GUESTS/doorbell.elf" --cmdline 1000
expect "doorbell, device in its process: no exits, every ring arrives" 0
printf 'hello\n' >"$T/in"
STDIN="$T/in" run_wisp 20 "$WISP_DEFAULT" --sandbox=all --kernel "$GUESTS/uart_irq.elf"
expect "--sandbox=all: console input and UART interrupts" 0 "HELLO" "THRE"
run_wisp 20 "$WISP_DEFAULT" --kernel "$GUESTS/hello.elf"
expect "default profile (UART in its own process): hello" 0 "Hello from a wisp test guest!"

run_wisp 5 "$WISP_TEST" --sandbox=some --kernel "$GUESTS/hello.elf"
expect "--sandbox=some is a usage error" 64
stderr_matches "--sandbox=some: one clear line" "^wisp: --sandbox: 'some' is not 'all'$"
finish
