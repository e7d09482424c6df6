#!/bin/sh
# tests/bench/run.sh BENCH_DIR GUEST_DIR EXITS HVT_GUEST_DIR - `make bench`'s
# measuring step, on the host's KVM when usable, otherwise inside the nested
# testbed (2 vCPUs: one L1 vCPU starves a guest that spins while a host
# thread must run). Every "bench" line ends with where it was measured.
cd "$(dirname "$0")/../.." || exit 1
if [ -z "${WISP_IN_TESTBED:-}" ]; then
	where=$(tests/testbed/choose)
	case "$where" in
	host) WHERE="host KVM" ;;
	testbed) exec tests/testbed/run -c 2 -m 4096 -t 3000 -- "$0" "$@" ;;
	*) echo "bench: cannot run guests: ${where#none }" >&2; exit 69 ;;
	esac
else
	WHERE="nested testbed, $(nproc) vCPUs, $(uname -r)"
fi
B=$1 G=$2 N=$3 HG=$4
# Inside the emulation a sandboxed MMIO exit costs milliseconds: sizes that
# take seconds on a host would take the testbed's whole time limit.
if [ "$N" = auto ]; then
	N=1000000
	[ -n "${WISP_IN_TESTBED:-}" ] && N=20000
fi
if [ -z "${BENCH_ECHO_ROUNDS:-}" ]; then
	BENCH_ECHO_ROUNDS=10000
	[ -n "${WISP_IN_TESTBED:-}" ] && BENCH_ECHO_ROUNDS=1000
fi
export BENCH_ECHO_ROUNDS
# Linux boots (tests/bench/linux.c): each takes 15-30 s in the testbed.
if [ -z "${BENCH_LINUX_ROUNDS:-}" ]; then
	BENCH_LINUX_ROUNDS=5
	[ -n "${WISP_IN_TESTBED:-}" ] && BENCH_LINUX_ROUNDS=3
fi
export BENCH_LINUX_ROUNDS
# Control-socket round trips per figure (tests/bench/ctlbench.c).
if [ -z "${BENCH_CTL_ROUNDS:-}" ]; then
	BENCH_CTL_ROUNDS=1000
	[ -n "${WISP_IN_TESTBED:-}" ] && BENCH_CTL_ROUNDS=200
fi
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
rc=0
# measure CMD... : its lines as they come (a figure is not lost to a later
# step's time limit), bench lines tagged; a failure is remembered in $out.
measure() {
	{ "$@" || echo "$1 failed" >>"$out"; } | sed -u "s/^bench .*/& [$WHERE]/"
}
measure "$B/bench" build/test/wisp "$B/bare" "$G" "$N" build/hvt/wisp "$HG" \
	tests/bench/hvt_echo.sh
measure "$B/pgm" "$G"
measure "$B/ctlbench" build/test/wisp "$B/bare" "$G" "$N" "$BENCH_CTL_ROUNDS"
measure "$B/linuxbench" build/linux/wisp build/testbed/vmlinux \
	build/linux-guest/initramfs.cpio \
	"$(command -v qemu-system-x86_64 || echo qemu-system-x86_64)"
[ -s "$out" ] && { cat "$out" >&2; rc=1; }
exit $rc
