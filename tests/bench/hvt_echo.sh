#!/bin/sh
# tests/bench/hvt_echo.sh [ROUNDS [ring|noring]] - the hvt net echo
# benchmark: in a network namespace of its own, build/hvt/wisp runs
# tests/hvt/net.c on a tap (over the shared ring, or NET hypercalls with
# noring) and build/host/hvt-echo sends ROUNDS frames (default 10000) one
# at a time. Prints hvt-echo's "echo: N rounds, X us/round" line, or
# "SKIP: why".
cd "$(dirname "$0")/../.." || exit 1
n=${1:-10000}
mode=${2:-ring}
if [ -z "${WISP_IN_NETNS:-}" ]; then
	unshare -n true 2>/dev/null || { echo "SKIP: cannot create a network namespace"; exit 0; }
	WISP_IN_NETNS=1 exec unshare -n "$0" "$n" "$mode"
fi
echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null
ip link set lo up 2>/dev/null
ip tuntap add dev tap0 mode tap 2>/dev/null || { echo "SKIP: cannot create a tap device"; exit 0; }
ip link set tap0 up
exec build/host/hvt-echo -n "$n" tap0 build/hvt/wisp --net:net0=tap0 \
	--net-mac:net0=02:00:00:00:00:01 build/hvt-guests/net.hvt rounds="$n" \
	idle=10000 "$mode"
