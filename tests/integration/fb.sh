#!/bin/sh
# tests/integration/fb.sh - the framebuffer end to end: fb.elf draws a
# pattern, wisp writes it as PNG on SIGUSR1 (--screenshot); a second
# SIGUSR1 reads no page; the guest then changes three pixels on two VRAM
# pages and exits, and the exit screenshot must read only those 2 pages. Both PNGs are
# decoded with python3's zlib and compared pixel by pixel with the pattern.
# All of it twice: fb inside wisp, and fb in its own process (--sandbox=all:
# VRAM shared with it, its map and dirty queries up-calls, its PNG written
# by it).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_TEST" "$GUESTS/fb.elf"
need_kvm
command -v python3 >/dev/null || skip "python3 is needed to decode PNG"

W=160 H=100
wait_log() {
	for _ in $(seq 1 300); do
		grep -q "$1" "$T/err" && return
		sleep 0.1
	done
}

# fb_run LABEL WISP-ARGS...: the whole scenario with one placement of fb.
fb_run() {
	label=$1
	shift
	# Not under timeout(1): SIGUSR1 must reach wisp itself; a watchdog
	# bounds the run instead.
	"$WISP_TEST" "$@" --kernel "$GUESTS/fb.elf" \
		--screenshot "$T/shot.png" --device "fb,width=$W,height=$H" \
		</dev/null >"$T/out" 2>"$T/err" &
	pid=$!
	(sleep 60; kill -9 "$pid" 2>/dev/null) &
	watchdog=$!
	# Wait for the drawing to be done (testdev's "mark 1"), take the
	# first screenshot and keep a copy; the second lets the guest go on.
	wait_log "mark 1"
	nproc=$(pgrep -P "$pid" | wc -l)
	kill -USR1 "$pid"
	wait_log "screenshot 1 "
	cp "$T/shot.png" "$T/first.png"
	kill -USR1 "$pid"
	wait "$pid"
	RC=$?
	kill "$watchdog" 2>/dev/null
	expect "$label: the guest drew and exited" 0
	stderr_matches "$label: first screenshot read every VRAM page" \
		"screenshot 1 \(SIGUSR1\): ${W}x${H}, 16 dirty pages read"
	stderr_matches "$label: an unchanged screen reads nothing" \
		"screenshot 2 \(SIGUSR1\): ${W}x${H}, 0 dirty pages read, changed: none"
	stderr_matches "$label: after three pixels changed only their 2 pages are read" \
		"screenshot 3 \(exit\): ${W}x${H}, 2 dirty pages read, changed: ${W}x7\+0\+0 ${W}x4\+0\+96"
	check_png "$label: first screenshot is the pattern the guest drew" "$T/first.png" 0
	check_png "$label: exit screenshot has the three changed pixels" "$T/shot.png" 1
}

check_png() { # NAME FILE CHANGED(0/1)
	if python3 - "$2" "$W" "$H" "$3" <<'PY'
import struct, sys, zlib
path, w, h, changed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
d = open(path, "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "signature"
p, idat, hdr = 8, b"", None
while p < len(d):
    n, = struct.unpack(">I", d[p:p + 4])
    kind, body = d[p + 4:p + 8], d[p + 8:p + 8 + n]
    assert zlib.crc32(kind + body) == struct.unpack(">I", d[p + 8 + n:p + 12 + n])[0], "crc"
    if kind == b"IHDR":
        hdr = struct.unpack(">IIBBBBB", body)
    if kind == b"IDAT":
        idat += body
    p += 12 + n
assert hdr == (w, h, 8, 2, 0, 0, 0), hdr
raw = zlib.decompress(idat)
want = {}
if changed:
    want = {(0, 0): (255, 255, 255), (1, 0): (255, 0, 0), (w - 1, h - 1): (0, 255, 0)}
bad = 0
for y in range(h):
    row = raw[y * (w * 3 + 1):(y + 1) * (w * 3 + 1)]
    assert row[0] == 0
    for x in range(w):
        px = tuple(row[1 + 3 * x:4 + 3 * x])
        exp = want.get((x, y), ((x * 5) & 255, (y * 9) & 255, (x ^ y) & 255))
        bad += px != exp
sys.exit(1 if bad else 0)
PY
	then pass "$1"; else fail "$1"; fi
}
fb_run "in wisp"
[ "$nproc" = 0 ] && pass "in wisp: no device process" ||
	fail "in wisp: $nproc device processes"
fb_run "sandboxed" --sandbox=all
# debug_exit, testdev and fb each in its own process.
[ "$nproc" = 3 ] && pass "sandboxed: fb has its own process (3 in all)" ||
	fail "sandboxed: $nproc device processes, wanted 3"
grep -q "fb.0 runs inside wisp" "$T/err" &&
	fail "sandboxed: fb says it stays in wisp" ||
	pass "sandboxed: fb does not stay in wisp"

run_wisp 20 "$WISP_TEST" --kernel "$GUESTS/fb.elf" --screenshot /nonexistent/x.png
expect "an unwritable --screenshot path is bad input" 66

finish
