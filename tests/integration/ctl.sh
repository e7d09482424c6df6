#!/bin/sh
# tests/integration/ctl.sh - the control socket (--api-sock) with a guest
# that counts (tests/guests/count.c: every loop is a testdev access, so the
# device's access count in `metrics` is the guest's progress): info,
# metrics growing, pause holding it still (1 s), resume, events, bad
# requests answered while the VM goes on, another uid refused, a client
# that never reads let go, 100 connections leaving no fd behind, kill and
# stop; at 1 and 2 vCPUs, inside wisp and with every device sandboxed.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_TEST" "$GUESTS/count.elf"
need_kvm
# Debian's python3 (another uid runs it too: not a per-user install)
PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 runs the test's client"
C="$PY tests/integration/ctlc.py"
S="$T/api.sock"

# start_vm EXTRA-ARGS...: wisp in the background, its pid in PID; waits
# until its socket answers `info`.
start_vm() {
	rm -f "$S"
	"$WISP_TEST" --api-sock "$S" --kernel "$GUESTS/count.elf" "$@" \
		</dev/null >"$T/out" 2>"$T/err" &
	PID=$!
	n=300
	until [ -S "$S" ] && $C "$S" get info ok >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] && kill -0 "$PID" 2>/dev/null || return 1
		sleep 0.1
	done
}

# wait_vm: its exit status in RC (bounded: 30 s).
wait_vm() { reap_bg "$PID" 30; }

count() { $C "$S" get metrics 'metrics/devices/[name=testdev.0]/accesses'; }

# advancing: the count grows within 30 s (however slow the machine).
advancing() {
	a=$(count) || return 1
	n=300
	while [ "$n" -gt 0 ]; do
		b=$(count) || return 1
		[ "$b" -gt "$a" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

check() { # NAME COMMAND...
	name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name"
		show_output
		[ -f "$T/events" ] && sed 's/^/    events: /' "$T/events"
		[ -f "$T/other" ] && sed 's/^/    other uid: /' "$T/other"
		$C "$S" '{"id":0,"cmd":"metrics"}' 2>&1 | cut -c1-600 | sed 's/^/    metrics: /'
	fi
}

state_is() { [ "$($C "$S" get info info/state)" = "$1" ]; }

# held: the count does not move for one second.
held() {
	a=$(count) && sleep 1 && b=$(count) && [ "$a" = "$b" ]
}

info_ok() {
	$C "$S" get info info | grep -q '"profile": "test"' &&
		[ "$($C "$S" get info info/vcpus)" = "$VCPUS" ] &&
		[ "$($C "$S" get info 'info/devices/[name=testdev.0]/sandboxed')" = "$SBX" ]
}
reply_is() { # REQUEST WANT
	[ "$($C "$S" "$1")" = "$2" ]
}
io_exits() { [ "$($C "$S" get metrics metrics/vcpus/0/exits/io)" -gt 0 ]; }
saw_events() {
	grep -q '"event":"started"' "$T/events" &&
		grep -q '"event":"paused"' "$T/events" &&
		grep -q '"event":"resumed"' "$T/events" &&
		grep -q '"event":"exit".*"status":143' "$T/events"
}

lifecycle() { # LABEL EXTRA-ARGS...
	label=$1
	shift
	if ! start_vm "$@"; then
		fail "$label: wisp serves --api-sock"
		show_output
		return
	fi
	$C "$S" events 6 600 >"$T/events" &
	EV=$!
	check "$label: info names the profile, vCPUs and devices" info_ok
	check "$label: metrics show the guest counting" advancing
	check "$label: pause answers ok" reply_is '{"id":7,"cmd":"pause"}' '{"id":7,"ok":true}'
	check "$label: paused, the count holds still for 1 s" held
	check "$label: info says paused" state_is paused
	check "$label: resume answers ok" reply_is '{"id":8,"cmd":"resume"}' '{"id":8,"ok":true}'
	check "$label: resumed, the count advances again" advancing
	check "$label: vCPU 0's port exits are counted" io_exits
	$C "$S" '{"id":9,"cmd":"kill"}' >/dev/null
	wait_vm
	wait "$EV"
	check "$label: kill ends wisp with 143" [ "$RC" -eq 143 ]
	check "$label: the subscriber saw started, paused, resumed, exit 143" saw_events
}

VCPUS=1 SBX=false lifecycle "1 vCPU"
VCPUS=2 SBX=false lifecycle "2 vCPUs" --cpus 2
VCPUS=2 SBX=true lifecycle "2 vCPUs, every device sandboxed" --cpus 2 --sandbox=all

bad_requests() {
	$C "$S" 'not json' '[1]' '{"id":"x","cmd":"info"}' '{"id":3}' \
		'{"id":4,"cmd":"reboot-the-host"}' '{"id":5,"cmd":"metrics","format":7}' \
		'{"id":6,"cmd":"info"}' >"$T/replies" &&
		[ "$(grep -c '"ok":false' "$T/replies")" = 6 ] &&
		grep -q '"error":"unknown command"' "$T/replies" &&
		tail -n 1 "$T/replies" | grep -q '"id":6,"ok":true'
}
prometheus() {
	$C "$S" '{"id":1,"cmd":"metrics","format":"prometheus"}' |
		grep -q 'wisp_vcpu_exits_total{vcpu=\\"0\\",kind=\\"io\\"}'
}
fds_back() { # N: the fd count returns to N within 5 s
	n=50
	while [ "$(ls /proc/"$PID"/fd | wc -l)" -ne "$1" ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	[ $n -gt 0 ]
}
dropped() {
	$C "$S" flood 600 >/dev/null &&
		[ "$($C "$S" get metrics metrics/socket/dropped_clients)" -ge 1 ] &&
		advancing
}

# The protocol's errors: each its reply, the connection and the VM go on.
if start_vm; then
	check "bad requests: each answered with its error, then info works" bad_requests
	check "metrics in the Prometheus format" prometheus
	fds0=$(ls /proc/"$PID"/fd | wc -l)
	$C "$S" cycles 100
	check "100 connections leave no fd behind ($fds0 before)" fds_back "$fds0"
	check "a client that never reads is let go and counted; the VM goes on" dropped
	if command -v setpriv >/dev/null; then
		# the client and the socket where that uid reaches them (the
		# checkout's own path may be closed to it)
		chmod 0711 "$T" && chmod 0666 "$S" &&
			cp tests/integration/ctlc.py "$T/ctlc.py" && chmod 0644 "$T/ctlc.py"
		setpriv --reuid 65534 --regid 65534 --clear-groups \
			"$PY" "$T/ctlc.py" "$S" listen \
			>"$T/other" 2>&1
		check "a client of another uid is refused" \
			grep -q '"error":"permission denied"' "$T/other"
	fi
	$C "$S" '{"id":2,"cmd":"stop"}' >/dev/null
	wait_vm
	check "stop without a power button ends wisp as kill does (143)" [ "$RC" -eq 143 ]
else
	fail "wisp serves --api-sock"
	show_output
fi

# The socket's path is input: a link is refused before anything starts.
ln -s "$T/elsewhere" "$T/link.sock"
run_wisp 10 "$WISP_TEST" --api-sock "$T/link.sock" --kernel "$GUESTS/count.elf"
expect "--api-sock on a symbolic link: refused, exit 66" 66

finish
