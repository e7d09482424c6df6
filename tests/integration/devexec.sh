#!/bin/sh
# tests/integration/devexec.sh - a device process is a fresh exec of wisp's
# binary, not a copy of wisp: its auxiliary vector (AT_RANDOM, the stack
# canary's seed, among it) is its own, where a forked copy's is wisp's to
# the byte; with address randomisation on, its stack and heap lie
# elsewhere. It holds no fd 2 (its log lines go to wisp as up-calls), and
# what it logs still reaches wisp's stderr, attributed to its device.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" build/sandboxtest/wisp "$GUESTS/spin.elf" \
	"$GUESTS/poke.elf"
need_kvm

"$WISP_DEFAULT" --kernel "$GUESTS/spin.elf" </dev/null >"$T/out" 2>"$T/err" &
PID=$!
field() { sed -n "s/^$2:[[:space:]]*//p" "$1"; }
# Ready once the UART's process has installed its filter.
ready() {
	C=$(pgrep -P "$PID" | head -n 1)
	[ -n "$C" ] && [ "$(field /proc/"$C"/status Seccomp)" = 2 ]
}
i=50
while [ $i -gt 0 ] && ! ready; do sleep 0.1; i=$((i - 1)); done
if ! ready; then
	fail "no filtered device process under wisp within 5 s"
	kill -KILL "$PID"
	finish
fi

od -An -tx1 /proc/"$PID"/auxv >"$T/auxv.wisp"
od -An -tx1 /proc/"$C"/auxv >"$T/auxv.dev"
cmp -s "$T/auxv.wisp" "$T/auxv.dev" &&
	fail "the device process's auxv (AT_RANDOM) is wisp's: a fork, not an exec" ||
	pass "the device process has its own auxv (AT_RANDOM): a fresh exec"

[ "$(tr '\0' ' ' </proc/"$C"/cmdline)" = "wisp-device " ] &&
	pass "its command line is the device process's, not wisp's" ||
	fail "its command line is '$(tr '\0' ' ' </proc/"$C"/cmdline)'"

if [ "$(cat /proc/sys/kernel/randomize_va_space)" != 0 ]; then
	for m in stack heap; do
		w=$(grep -m1 "\[$m\]" /proc/"$PID"/maps | cut -d' ' -f1)
		d=$(grep -m1 "\[$m\]" /proc/"$C"/maps | cut -d' ' -f1)
		[ "$w" != "$d" ] && pass "its [$m] ($d) is not wisp's ($w)" ||
			fail "its [$m] is wisp's: $w"
	done
fi

# wisp's heap holds what no device may read (other devices' state, the
# guest's image); no mapping of the device process covers it.
wheap=$(grep -m1 '\[heap\]' /proc/"$PID"/maps | cut -d' ' -f1)
[ -z "$wheap" ] || grep -q "^${wheap%-*}-" /proc/"$C"/maps &&
	fail "wisp's heap $wheap is mapped in the device process" ||
	pass "wisp's heap is not mapped in the device process"

[ -e /proc/"$C"/fd/2 ] &&
	fail "the device process holds fd 2 ($(readlink /proc/"$C"/fd/2))" ||
	pass "the device process holds no stderr"
kill -TERM "$PID"
wait "$PID"
RC=$?
expect "SIGTERM stops the VM, the device process too" 143

# A device process's own line reaches wisp's stderr, as an up-call: the
# guest writes 7 to testdev's mark port (0xe4), testdev runs in its own
# process in the sandboxtest profile. poke's read-back expects testbad's
# count, 1, and reads testdev's mark port as 0: it ends with 61.
run_wisp 20 build/sandboxtest/wisp --kernel "$GUESTS/poke.elf" \
	--cmdline "port=228 val=7"
expect "a sandboxed testdev's mark: the guest ran to its end" 61
stderr_matches "its log line reaches wisp's stderr" "^wisp: testdev\.0: mark 7 t="
finish
