#!/bin/sh
# tests/integration/jail.sh - the privilege drop's options. With --user,
# --chroot and --jail, wisp and each device process run under the given ids,
# in the new root, in new mount/ipc/uts/net namespaces; device processes in
# a new PID namespace of their own. Started as root without --user, wisp
# says so once. Bad values are one clear line before anything starts.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_TEST" "$GUESTS/spin.elf" "$GUESTS/hello.elf"
need_kvm
[ "$(id -u)" = 0 ] || skip "needs root to change ids and create namespaces"

mkdir -p "$T/root"
"$WISP_TEST" --user 65534:65534 --chroot "$T/root" --jail --sandbox=all \
	--kernel "$GUESTS/spin.elf" </dev/null >"$T/out" 2>"$T/err" &
PID=$!
field() { sed -n "s/^$2:[[:space:]]*//p" "$1"; }
ready() { [ "$(pgrep -P "$PID" | wc -l)" -eq 3 ] &&
	[ "$(field /proc/"$PID"/status Seccomp)" = 2 ]; }
i=50
while [ $i -gt 0 ] && ! ready; do sleep 0.1; i=$((i - 1)); done
CHILDREN=$(pgrep -P "$PID" | tr '\n' ' ')

bad=""
for p in "$PID" $CHILDREN; do
	set -- $(field /proc/"$p"/status Uid)
	[ "$1$2$3$4" = 65534655346553465534 ] || bad="$bad uid@$p"
	set -- $(field /proc/"$p"/status Gid)
	[ "$1$2$3$4" = 65534655346553465534 ] || bad="$bad gid@$p"
	[ -z "$(field /proc/"$p"/status Groups)" ] || bad="$bad groups@$p"
	[ "$(readlink /proc/"$p"/root)" = "$T/root" ] || bad="$bad root@$p"
	for ns in mnt net ipc uts; do
		[ "$(readlink /proc/"$p"/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ] ||
			bad="$bad $ns@$p"
	done
done
[ -z "$bad" ] && pass "wisp and its device processes: ids 65534, new root, new mnt/net/ipc/uts" ||
	fail "not confined:$bad"

bad=""
for c in $CHILDREN; do
	set -- $(field /proc/"$c"/status NSpid)
	[ $# -eq 2 ] || bad="$bad $c"
done
set -- $(field /proc/"$PID"/status NSpid)
[ -n "$CHILDREN" ] && [ -z "$bad" ] && [ $# -eq 1 ] &&
	pass "device processes in a PID namespace of their own, wisp in the host's" ||
	fail "PID namespaces: wisp NSpid '$*', children not nested:$bad"

kill -TERM "$PID"
wait "$PID"
RC=$?
expect "SIGTERM stops the jailed VM in order (143)" 143

run_wisp 10 "$WISP_TEST" --kernel "$GUESTS/hello.elf"
n=$(grep -c "running as root without --user" "$T/err")
[ "$n" = 1 ] && pass "root without --user: said once" ||
	fail "root without --user: said $n times"
run_wisp 10 "$WISP_TEST" --user 65534:65534 --kernel "$GUESTS/hello.elf"
expect "--user: the guest runs" 0
grep -q "without --user" "$T/err" && fail "--user: still warns" ||
	pass "--user: no root warning"

run_wisp 5 "$WISP_TEST" --user nobody --kernel "$GUESTS/hello.elf"
expect "--user nobody: usage error" 64
stderr_matches "--user: one clear line" "^wisp: --user: 'nobody' is not UID:GID \(numbers\)$"
run_wisp 5 "$WISP_TEST" --chroot "$T/missing" --kernel "$GUESTS/hello.elf"
expect "--chroot of a missing directory: 66" 66
stderr_matches "--chroot: one clear line" "^wisp: --chroot: '.*/missing' is not a directory$"
finish
