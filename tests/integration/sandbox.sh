#!/bin/sh
# tests/integration/sandbox.sh - a running wisp holds no privilege: every
# thread (main and each vCPU) and every device process (--sandbox=all: the
# test device, the exit port and the framebuffer) runs under its seccomp filter (Seccomp: 2),
# with no_new_privs and empty effective and bounding capability sets. Then
# the filtered VM still stops in order on SIGTERM, device processes too.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_TEST" "$GUESTS/spin.elf"
need_kvm

"$WISP_TEST" --sandbox=all --cpus 2 --kernel "$GUESTS/spin.elf" </dev/null >"$T/out" 2>"$T/err" &
PID=$!

# field STATUS-FILE NAME : the value of one /proc status line.
field() { sed -n "s/^$2:[[:space:]]*//p" "$1"; }

# Every task sandboxed, within 5 s of start (vCPUs filter themselves);
# three are wisp's own (main + 2 vCPUs). KVM may add its own worker task
# (kvm-nx-lpage-recovery) to the process: it must be filtered too, but is
# not counted as one of wisp's threads.
all_filtered() {
	n=0
	for s in /proc/"$PID"/task/*/status; do
		[ "$(field "$s" Seccomp)" = 2 ] || return 1
		[ "$(field "$s" Name)" = wisp ] && n=$((n + 1))
	done
	[ "$n" -eq 3 ]
}
i=50
while [ $i -gt 0 ] && ! all_filtered; do sleep 0.1; i=$((i - 1)); done
if all_filtered; then
	pass "main and both vCPU threads run with Seccomp: 2"
else
	fail "threads not all filtered:"
	grep -H Seccomp /proc/"$PID"/task/*/status | sed 's/^/    /'
fi

# Device processes: children of wisp, one per device, each filtered.
CHILDREN=$(pgrep -P "$PID" | tr '\n' ' ')
set -- $CHILDREN
if [ $# -eq 3 ]; then
	pass "one process per device (3: testdev, debug_exit, fb)"
else
	fail "wanted 3 device processes, found $#: $CHILDREN"
fi
bad=""
for c in $CHILDREN; do
	[ "$(field /proc/"$c"/status Seccomp)" = 2 ] || bad="$bad $c"
	[ "$(cat /proc/"$c"/task/*/status | grep -c '^Seccomp:')" = 1 ] ||
		bad="$bad $c(threads)"
done
[ -z "$bad" ] && pass "device processes run with Seccomp: 2, single-threaded" ||
	fail "device processes not filtered:$bad"

bad=""
for s in /proc/"$PID"/task/*/status $(for c in $CHILDREN; do echo /proc/"$c"/status; done); do
	[ "$(field "$s" NoNewPrivs)" = 1 ] || bad="$bad NoNewPrivs@$s"
	[ "$(field "$s" CapEff)" = 0000000000000000 ] || bad="$bad CapEff@$s"
	[ "$(field "$s" CapBnd)" = 0000000000000000 ] || bad="$bad CapBnd@$s"
	[ "$(field "$s" CapPrm)" = 0000000000000000 ] || bad="$bad CapPrm@$s"
done
if [ -z "$bad" ]; then
	pass "NoNewPrivs: 1 and empty CapEff/CapPrm/CapBnd in every thread and device process"
else
	fail "privileges kept:$bad"
fi

kill -TERM "$PID"
wait "$PID"
RC=$?
expect "SIGTERM stops the filtered VM in order (143)" 143
stderr_matches "no seccomp kill on the way out" "stopping the VM"
left=""
for c in $CHILDREN; do kill -0 "$c" 2>/dev/null && left="$left $c"; done
[ -z "$left" ] && pass "device processes are gone after the stop" ||
	fail "device processes left:$left"
finish
