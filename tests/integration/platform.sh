#!/bin/sh
# tests/integration/platform.sh - the linux profile's platform devices with
# a guest (tests/guests/platform.c):
#  - rtc: the date and time the guest reads from the CMOS clock (in its own
#    process, as the profile places it) are the host's, within the run
#    (the date is either side of a day boundary the run may cross);
#  - pvpanic: a PANICKED write ends the VM with exit 68 and one line, in
#    wisp and with every device in its own process (--sandbox=all);
#  - bootport: 100000 writes to port 0x80 print a bounded number of lines
#    (the device log's ratelimit, 10 a second, grows with the run's own wall
#    time), the dropped ones counted, with the ms since wisp started.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
W=build/linux/wisp
G=$GUESTS/platform.elf
need_built "$W" "$G"
need_kvm

PANIC=68 # WISP_EXIT_GUEST_PANIC, monitor/exitcode.h
BURST=10 # lines a second per device: devmgr.c
WRITES=100000

rtc_case() {
	l=${*:-profile placement}
	d0=$(date -u +%F)
	t0=$(date -u +%s)
	run_wisp 60 "$W" --kernel "$G" --cmdline rtc "$@"
	t1=$(date -u +%s)
	d1=$(date -u +%F)
	expect "rtc $l: guest reads the clock" 0 "rtc: " || return
	line=$(sed -n 's/^rtc: //p' "$T/out" | tr -d '\r')
	day=${line%% *}
	if [ "$day" = "$d0" ] || [ "$day" = "$d1" ]; then
		pass "rtc $l: guest's date $day is the host's ($d0..$d1)"
	else
		fail "rtc $l: guest's date '$day', host's $d0..$d1"
	fi
	g=$(date -u -d "$line" +%s 2>/dev/null || echo 0)
	if [ "$g" -ge $((t0 - 2)) ] && [ "$g" -le $((t1 + 2)) ]; then
		pass "rtc $l: guest's time $line within the run"
	else
		fail "rtc $l: guest's time '$line' ($g) outside $t0..$t1"
	fi
}

panic_case() {
	l=${*:-in wisp}
	run_wisp 60 "$W" --kernel "$G" --cmdline panic "$@"
	expect "panic $l: exit $PANIC" "$PANIC" || return
	n=$(grep -c '^wisp: pvpanic.0: the guest kernel panicked' "$T/err")
	if [ "$n" = 1 ]; then
		pass "panic $l: one line: $(grep panicked "$T/err")"
	else
		fail "panic $l: $n panic lines, wanted 1"
		show_output
	fi
}

port80_case() {
	t0=$(date +%s%N)
	run_wisp 600 "$W" --kernel "$G" --cmdline "port80=$WRITES"
	ms=$((($(date +%s%N) - t0) / 1000000))
	secs=$(((ms + 999) / 1000))
	expect "port80: $WRITES writes, guest exits 0" 0 || return
	lines=$(grep -c 'bootport.0: code 0x[0-9a-f]* at [0-9]* ms' "$T/err")
	max=$((BURST * (secs + 1)))
	if [ "$lines" -ge 1 ] && [ "$lines" -le "$max" ]; then
		pass "port80: $lines lines in $secs s (1..$max)"
	else
		fail "port80: $lines lines in $secs s (wanted 1..$max)"
		show_output
	fi
	# The bytes wrap every 256 writes: the first line is the first write;
	# every stamp lies within the run and none goes back.
	stamps=$(sed -n 's/.*bootport.0: code 0x[0-9a-f]* at \([0-9]*\) ms.*/\1/p' "$T/err")
	first=$(sed -n 's/.*bootport.0: code \(0x[0-9a-f]*\) at.*/\1/p' "$T/err" | head -n 1)
	last=$(echo "$stamps" | tail -n 1)
	if [ "$first" = 0x00 ] && echo "$stamps" | sort -n -C &&
		[ "${last:-0}" -le "$ms" ]; then
		pass "port80: first line code 0x00, stamps rising, the last $last ms (run $ms ms)"
	else
		fail "port80: first code '$first', stamps not rising or past $ms ms"
		show_output
	fi
	if grep -q 'bootport.0: [0-9]* lines suppressed' "$T/err"; then
		pass "port80: dropped lines are counted"
	else
		fail "port80: no line counts the suppressed ones"
		show_output
	fi
}

rtc_case
rtc_case --sandbox=all
panic_case
panic_case --sandbox=all
port80_case
finish
