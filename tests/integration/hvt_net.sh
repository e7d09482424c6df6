#!/bin/sh
# tests/integration/hvt_net.sh - hvt network devices in a network namespace
# this test creates (unshare -n; the host's interfaces are never touched):
# frames echoed through a tap attached by name and by an inherited fd
# (--net:NAME=@FD, MTU read from it), POLL waking on a readable tap, and the
# CLI errors. SKIP when no namespace or tap can be made here.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
W=build/hvt/wisp
G=build/hvt-guests
E=build/host/hvt-echo
need_built "$W" "$G/net.hvt" "$E"
need_kvm

if [ -z "${WISP_IN_NETNS:-}" ]; then
	command -v unshare >/dev/null || skip "unshare is not installed"
	unshare -n true 2>/dev/null || skip "cannot create a network namespace (unshare -n: needs CAP_SYS_ADMIN)"
	WISP_IN_NETNS=1 exec unshare -n "$0"
fi
command -v ip >/dev/null || skip "ip (iproute2) is not installed"
[ -c /dev/net/tun ] || skip "/dev/net/tun is missing"
# no IPv6 chatter on the taps; the guest ignores other EtherTypes anyway
echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null
ip link set lo up
ip tuntap add dev tap0 mode tap 2>/dev/null || skip "cannot create a tap device"
ip link set tap0 mtu 1400 up
MAC=--net-mac:net0=02:00:00:00:00:01

run_wisp 60 "$E" -n 50 tap0 "$W" --net:net0=tap0 "$MAC" "$G/net.hvt" rounds=50
expect "echo through --net:net0=tap0 on the shared ring (50 frames), MTU 1400" 0 \
	"echo: 50 rounds," "net echoed 50" "mtu 1400, ring"
run_wisp 60 "$E" -n 50 tap0 "$W" --net:net0=tap0 "$MAC" "$G/net.hvt" rounds=50 noring
expect "echo through NET hypercalls (the guest declines the ring)" 0 \
	"echo: 50 rounds," "net echoed 50" "hypercalls"
run_wisp 60 "$E" -f -n 50 tap0 "$W" --net:net0=@FD "$MAC" "$G/net.hvt" rounds=50
expect "echo through an inherited tap fd --net:net0=@FD, MTU read" 0 \
	"echo: 50 rounds," "net echoed 50" "mtu 1400"

# --mem=2 puts the guest's 2 MiB of ring buffers (BSS) past its memory,
# into the ring's own area: a bad pointer, the VM ends, the worker stops
run_wisp 60 "$E" -n 5 tap0 "$W" --mem=2 --net:net0=tap0 "$MAC" "$G/net.hvt" rounds=5
grep -q "wisp exit 74" "$T/out" && pass "bad pointer in a ring entry ends the VM (74)" || \
	{ fail "bad pointer in a ring entry: $(cat "$T/out")"; show_output; }
stderr_matches "ring bad pointer: named" "^wisp: hvt.0: guest error, stopping: net ring: bad data pointer"

# 100 frames the tap refuses: 100 "write failed" lines, rate-limited (10 a
# second); then a bad pointer ends the VM, and its line is printed anyway.
run_wisp 30 "$W" --net:net0=tap0 "$MAC" "$G/net.hvt" loud=100
expect "a fault after 100 rate-limited lines ends the VM (74)" 74
stderr_matches "fault after rate-limited lines: its line is printed" \
	"^wisp: hvt.0: guest error, stopping: NET_READ: bad data pointer"
grep -q "still running" "$T/out" && fail "loud: the guest went on"

# nothing arrives: POLL times out and the guest gives up (exit 2)
run_wisp 30 "$W" --net:net0=tap0 "$MAC" "$G/net.hvt" idle=100
expect "POLL on an idle tap times out" 2 "net ready"

run_wisp 20 "$W" --net:net0=nosuch0 "$G/net.hvt"
expect "no such interface (66)" 66
stderr_matches "no such interface: one line" "^wisp: --net:net0: no usable network interface 'nosuch0'"
run_wisp 20 "$W" --net:net0=@99 "$G/net.hvt"
expect "@FD that is not open (66)" 66
run_wisp 20 "$W" --net:net0=@0 "$G/net.hvt" </dev/null
expect "@FD that is not a tap (66)" 66
run_wisp 20 "$W" --net:net0=tap0 --net-mac:net0=zz:00:00:00:00:01 "$G/net.hvt"
expect "bad MAC (64)" 64
run_wisp 20 "$W" "$G/net.hvt"
expect "NIC left unattached (64)" 64
finish
