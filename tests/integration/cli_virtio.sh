#!/bin/sh
# tests/integration/cli_virtio.sh - --disk, --net and --rng: bad input gets
# one "wisp: " line and its exit code (64 usage, 66 a disk that cannot be
# opened) before anything starts. A profile without the virtio device says
# so; the bad-input cases run against the linux profile once its binary has
# the virtio devices (build/linux/wisp --list-devices names them).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
WISP_LINUX=build/linux/wisp
need_built "$WISP_DEFAULT" "$WISP_LINUX" "$GUESTS/hello.elf"
K=$GUESTS/hello.elf
printf 'disk' >"$T/disk.img"

W=$WISP_DEFAULT
cli_error "--disk without virtio_blk" 64 --disk "$T/disk.img" --kernel "$K"
stderr_matches "--disk: names the missing device" "no virtio_blk device"
cli_error "--net without virtio_net" 64 --net tap=tap0 --kernel "$K"
stderr_matches "--net: names the missing device" "no virtio_net device"
cli_error "--rng without virtio_rng" 64 --rng --kernel "$K"
stderr_matches "--rng: names the missing device" "no virtio_rng device"
# The profile is checked first: even a bad argument gets that line.
cli_error "--disk with a bad option, without virtio_blk" 64 \
	--disk "$T/disk.img,ro=maybe" --kernel "$K"
stderr_matches "--disk: the device line first" "no virtio_blk device"

W=$WISP_LINUX
has() { "$W" --list-devices | grep -q "^$1 "; }
if has virtio_blk; then
	cli_error "--disk missing file" 66 --disk "$T/no-such.img" --kernel "$K"
	cli_error "--disk a directory" 66 --disk "$T" --kernel "$K"
	cli_error "--disk bad ro= value" 64 --disk "$T/disk.img,ro=maybe" \
		--kernel "$K"
	cli_error "--disk unknown option" 64 --disk "$T/disk.img,cache=none" \
		--kernel "$K"
else
	echo "NOTE: $W has no virtio_blk yet: its --disk cases wait for it"
fi
if has virtio_net; then
	cli_error "--net no such interface" 64 --net tap=wisp-nosuch0 \
		--kernel "$K"
	cli_error "--net fd=0 is stdio" 64 --net fd=0 --kernel "$K"
	cli_error "--net fd=99 is not open" 64 --net fd=99 --kernel "$K"
	cli_error "--net tap= and fd= both" 64 --net tap=a,fd=3 --kernel "$K"
	cli_error "--net neither tap= nor fd=" 64 --net mac=52:54:00:12:34:56 \
		--kernel "$K"
	cli_error "--net multicast mac" 64 --net tap=lo,mac=01:00:5e:00:00:01 \
		--kernel "$K"
	cli_error "--net malformed mac" 64 --net tap=lo,mac=52:54:00:12:34 \
		--kernel "$K"
	cli_error "--net unknown option" 64 --net tap=lo,speed=10 --kernel "$K"
else
	echo "NOTE: $W has no virtio_net yet: its --net cases wait for it"
fi

finish
