# tests/integration/lib.sh - helpers shared by the integration tests.
# Sourced (". lib.sh") by each test, which then checks several cases, prints
# one PASS/FAIL line per case and ends with `finish`: exit 0 when every case
# passed, 1 otherwise, 77 after "SKIP: <reason>" when it cannot run here.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
cd "$ROOT" || exit 1
# shellcheck disable=SC2034 # used by the tests that source this file
WISP_DEFAULT=build/default/wisp
# shellcheck disable=SC2034
WISP_TEST=build/test/wisp
# shellcheck disable=SC2034
GUESTS=build/guests
CASES=0
FAILS=0
T=$(mktemp -d "${TMPDIR:-/tmp}/wisp-it.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

skip() {
	echo "SKIP: $*"
	exit 77
}

# A test that needs a guest on KVM must say why it cannot run, never pass.
need_kvm() {
	[ -e /dev/kvm ] || skip "/dev/kvm is missing"
	if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
		skip "/dev/kvm is not read-write for uid $(id -u)"
	fi
}

# Missing build output is a failure: `make test` builds it first.
need_built() {
	for f in "$@"; do
		[ -f "$f" ] && continue
		echo "FAIL: $f is missing (build it with: make test)"
		exit 1
	done
}

# wait_for SECS COMMAND... : until COMMAND succeeds, polled every 0.1 s,
# for at most SECS (a bound for a stuck run, never a speed assumption).
wait_for() {
	n=$(($1 * 10))
	shift
	until "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# reap_bg PID SECS : the background PID's exit status in RC, waiting at
# most SECS before SIGKILL.
reap_bg() {
	wait_for "$2" sh -c "! kill -0 $1 2>/dev/null"
	kill -9 "$1" 2>/dev/null
	wait "$1"
	RC=$?
}

pass() {
	CASES=$((CASES + 1))
	echo "PASS: $1"
}

fail() {
	CASES=$((CASES + 1))
	FAILS=$((FAILS + 1))
	echo "FAIL: $1"
}

show_output() {
	sed -n '1,12s/^/    stdout: /p' "$T/out"
	sed -n '1,12s/^/    stderr: /p' "$T/err"
}

finish() {
	echo "$((CASES - FAILS)) of $CASES cases passed"
	[ "$FAILS" -eq 0 ]
	exit $?
}

# run_wisp SECS CMD... : runs CMD bounded by SECS seconds with stdin from
# $STDIN (default /dev/null); stdout lands in $T/out, stderr in $T/err and
# the exit status in RC (124: timed out).
run_wisp() {
	secs=$1
	shift
	timeout -k 2 "$secs" "$@" <"${STDIN:-/dev/null}" >"$T/out" 2>"$T/err"
	RC=$?
}

# expect NAME WANT_RC [TEXT...] : RC is WANT_RC and stdout holds each TEXT;
# a wisp error status (64-79) also needs its "wisp: " line on stderr (no
# test expects a guest's own status in that range).
expect() {
	name=$1
	want=$2
	shift 2
	if [ "$RC" = 124 ]; then
		fail "$name (timed out, wanted exit $want)"
		show_output
		return 1
	fi
	if [ "$RC" != "$want" ]; then
		fail "$name (exit $RC, wanted $want)"
		show_output
		return 1
	fi
	# wisp's own errors (64-79) always say what happened, in every CLI.
	if [ "$want" -ge 64 ] && [ "$want" -le 79 ] &&
		! grep -q '^wisp: ' "$T/err"; then
		fail "$name (exit $want with no \"wisp: \" line on stderr)"
		show_output
		return 1
	fi
	for text in "$@"; do
		grep -qF -- "$text" "$T/out" && continue
		fail "$name (stdout lacks \"$text\")"
		show_output
		return 1
	done
	pass "$name"
}

# stderr_matches NAME ERE : a case on its own for what wisp logged.
stderr_matches() {
	if grep -qiE -- "$2" "$T/err"; then
		pass "$1"
	else
		fail "$1 (stderr does not match /$2/)"
		show_output
	fi
}

# cli_error NAME WANT ARGS... : wisp ($W) given ARGS exits WANT with exactly
# one stderr line, starting "wisp: ".
cli_error() {
	name=$1
	want=$2
	shift 2
	run_wisp 10 "$W" "$@"
	lines=$(grep -c '' "$T/err")
	if [ "$RC" != "$want" ]; then
		fail "$name (exit $RC, wanted $want)"
		show_output
	elif [ "$lines" != 1 ]; then
		fail "$name (stderr has $lines lines, wanted 1)"
		show_output
	elif ! head -n 1 "$T/err" | grep -q '^wisp: '; then
		fail "$name (stderr line does not start with \"wisp: \")"
		show_output
	else
		pass "$name: exit $want, $(cat "$T/err")"
	fi
}
