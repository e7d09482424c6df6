#!/bin/sh
# tests/integration/signals.sh - SIGTERM and SIGINT stop a running guest in
# order: wisp exits 143 / 130 itself, promptly. A shell reports death by a
# signal as 128+N too, so a small perl watcher records the exact wait
# status ("exit N" or "signal N").
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_TEST" "$GUESTS/spin.elf"
need_kvm
command -v perl >/dev/null ||
	skip "perl is needed to tell an exit status from death by a signal"

# start_watched CMD... : CMD in the background, default signal actions,
# its pid in $T/pid, its wait status in $T/status once it ends.
start_watched() {
	rm -f "$T/pid" "$T/status"
	# emptied now, not by the background redirection: the caller greps it
	# at once and must not see the previous case's mark
	: >"$T/err"
	perl -e '
		my ($pidf, $stf) = splice(@ARGV, 0, 2);
		my $pid = fork() // die "fork: $!";
		if ($pid == 0) {
			$SIG{INT} = $SIG{TERM} = "DEFAULT";
			exec { $ARGV[0] } @ARGV or exit 127;
		}
		open(my $fh, ">", "$pidf.tmp") or die; print $fh "$pid\n";
		close($fh); rename("$pidf.tmp", $pidf);
		waitpid($pid, 0);
		my $s = $?;
		open($fh, ">", "$stf.tmp") or die;
		print $fh (($s & 127) ? "signal " . ($s & 127) : "exit " . ($s >> 8)), "\n";
		close($fh); rename("$stf.tmp", $stf);
	' "$T/pid" "$T/status" "$@" </dev/null >"$T/out" 2>"$T/err" &
	WATCHER=$!
}

# wait_until SECS TEST-ARGS... : poll `test TEST-ARGS` every 0.1 s.
wait_until() {
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		test "$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# signal_case SIG WANT CPUS
signal_case() {
	name="SIG$1 with $3 vCPU(s): wisp exits $2 within 5 s"
	start_watched "$WISP_TEST" --cpus "$3" --kernel "$GUESTS/spin.elf"
	# the guest's first instruction logs a testdev mark: it is running
	n=100
	# (perl writes the pid file after its fork: under load the guest can
	# log its mark first)
	until { grep -q mark "$T/err" && [ -f "$T/pid" ]; } ||
		[ -f "$T/status" ] || [ "$n" -eq 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	if [ -f "$T/status" ] || ! [ -f "$T/pid" ]; then
		fail "$name (wisp ended before the signal: $(cat "$T/status" 2>/dev/null))"
		show_output
		[ -f "$T/pid" ] && kill -s KILL "$(cat "$T/pid")" 2>/dev/null
		wait "$WATCHER"
		return
	fi
	grep -q mark "$T/err" ||
		echo "    note: no testdev mark seen after 10 s; signalling anyway"
	pid=$(cat "$T/pid")
	kill -s "$1" "$pid"
	if ! wait_until 5 -f "$T/status"; then
		fail "$name (still running 5 s after SIG$1)"
		kill -s KILL "$pid"
	elif [ "$(cat "$T/status")" = "exit $2" ]; then
		pass "$name"
	else
		fail "$name (ended with $(cat "$T/status"))"
		show_output
	fi
	wait "$WATCHER"
}

signal_case TERM 143 1
signal_case INT 130 1
signal_case TERM 143 2

finish
