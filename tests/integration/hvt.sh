#!/bin/sh
# tests/integration/hvt.sh - Solo5 hvt unikernels (the project's own, from
# tests/hvt/) on build/hvt/wisp: boot, hypercalls, exit statuses, guest
# mistakes ending the VM, page tables, malformed notes refused before
# loading, and the solo5-hvt command line. Block devices: hvt_block.sh;
# network: hvt_net.sh.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
W=build/hvt/wisp
G=build/hvt-guests
need_built "$W" "$G/hello.hvt" "$G/halt.hvt" "$G/wild.hvt" \
	"$G/bad-badver.hvt"
need_kvm

run_wisp 20 "$W" "$G/hello.hvt" one two --solo5:quiet
expect "hello: greeting, exit 0" 0 "Hello, world" "cmdline: one two --solo5:quiet" \
	"mem_size: 512 MiB"
run_wisp 20 "$W" --mem=64 -- "$G/hello.hvt"
expect "--mem=64 and --: 64 MiB" 0 "mem_size: 64 MiB"
run_wisp 20 "$W" --mem=7 "$G/hello.hvt"
expect "--mem=7 rounds down to 6 MiB" 0 "mem_size: 6 MiB"
stderr_matches "--mem=7: warned" "^wisp: warning: --mem=7 rounded to 6"
run_wisp 20 "$W" --mem=4097 "$G/hello.hvt"
expect "--mem above 4096 MiB refused (64)" 64
run_wisp 20 "$W" "$G/walltime.hvt"
expect "walltime: real time, monotonic, TSC frequency" 0 "walltime ok"
run_wisp 20 "$W" "$G/poll.hvt" ms=30
expect "poll without a NIC sleeps its timeout" 0 "poll slept"
run_wisp 20 "$W" "$G/poll.hvt" ms=1300
expect "a long poll outlasts the halt watchdog's kicks (every 0.5 s)" 0 "poll slept 13"
# SIGTERM while the guest sleeps in POLL: wisp stops at once with 143
"$W" "$G/poll.hvt" ms=30000 >"$T/out" 2>"$T/err" </dev/null &
pid=$!
sleep 1
kill -TERM $pid
n=50
while kill -0 $pid 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
if kill -0 $pid 2>/dev/null; then
	kill -KILL $pid
	fail "SIGTERM during POLL: still running 5 s later"
else
	wait $pid
	RC=$?
	expect "SIGTERM during POLL: exit 143" 143
fi

# exit statuses pass through: 0 success, 1 failure, 255 abort, others
for s in 0 1 9 200; do
	run_wisp 20 "$W" "$G/halt.hvt" status=$s
	expect "halt status $s passes through" $s
done
run_wisp 20 "$W" "$G/halt.hvt" abort
expect "abort with a cookie: 255" 255
[ -s "$T/err" ] && fail "abort: wisp printed nothing of its own" || \
	pass "abort: nothing on stderr (the status is the guest's)"
run_wisp 20 "$W" "$G/halt.hvt" badcookie
expect "cookie past guest memory ends the VM (74)" 74
stderr_matches "bad cookie: named" "^wisp: .*HALT: bad cookie pointer"
run_wisp 20 "$W" "$G/halt.hvt" hlt
expect "hlt with interrupts disabled ends the VM (72)" 72
stderr_matches "hlt: named, with the vCPU and address" \
	"^wisp: vCPU 0: halted with interrupts disabled \(rip 0x[0-9a-f]+\)"

# every wild shape ends the VM with 74 and one line, the guest goes no further
for w in arg data len unregistered byte reserved; do
	run_wisp 20 "$W" "$G/wild.hvt" $w
	expect "wild $w: VM ends with 74" 74
	grep -q "still running" "$T/out" && fail "wild $w: guest continued"
done
stderr_matches "wild pointer: one clear line" "^wisp: hvt.0: guest error"

# page 0 absent and the boot info read-only: no IDT yet, so a triple fault
run_wisp 20 "$W" "$G/zeropage.hvt" read
expect "page 0 is not mapped" 73
run_wisp 20 "$W" "$G/zeropage.hvt" write
expect "boot info is read-only" 73

# malformed notes and manifests: refused before anything runs (65)
for b in badver badtarget noabi mftver mftcount mftattached mftname mfttype; do
	run_wisp 20 "$W" "$G/bad-$b.hvt"
	expect "malformed $b refused (65)" 65
	grep -q "malformed unikernel ran" "$T/out" && fail "$b ran"
done
run_wisp 20 "$W" "$G/bad-badver.hvt"
stderr_matches "ABI version named" "^wisp: .*unsupported ABI version 3"
run_wisp 20 "$W" tests/hvt/hello.c
expect "not an ELF refused (65)" 65

# the command line
run_wisp 20 "$W" --version
expect "--version" 0 "ABI version 2"
run_wisp 20 "$W" --help
expect "--help" 0 "UNIKERNEL [ARGS...]"
run_wisp 20 "$W" --bogus "$G/hello.hvt"
expect "unknown option (64)" 64
run_wisp 20 "$W"
expect "no unikernel (64)" 64
run_wisp 20 "$W" "$T/none.hvt"
expect "missing unikernel (66)" 66
run_wisp 20 "$W" --net:net0=tap0 "$G/hello.hvt"
expect "--net for a name not in the manifest (64)" 64
stderr_matches "undeclared name: one line" "^wisp: --net:net0: no network device 'net0'"
finish
