#!/bin/sh
# tests/integration/policy.sh - the real policies in policy/*.policy pass
# `make policy-check` (the compiler's --check): each role allows at most 25
# syscalls, every ioctl rule narrows the request and mmap/mprotect rules
# exclude PROT_EXEC. Counts are also read back from the check's output.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
COMPILE=build/host/policy-compile
MAX=25

set -- policy/*.policy
[ -e "$1" ] || skip "no policy/*.policy files yet"
need_built "$COMPILE"

if "$COMPILE" --check "$@" >"$T/out" 2>"$T/err"; then
	pass "policy-check over $# policies"
else
	fail "policy-check over $# policies"
	show_output
fi

for f in "$@"; do
	role=$(basename "$f" .policy)
	n=$(sed -n "s/^$role: \([0-9]*\) syscalls:.*/\1/p" "$T/out")
	if [ -z "$n" ]; then
		fail "$role: no syscall count in the check's output"
	elif [ "$n" -le "$MAX" ]; then
		pass "$role: $n syscalls (<= $MAX)"
	else
		fail "$role: $n syscalls (> $MAX)"
	fi
done
finish
