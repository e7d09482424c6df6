#!/bin/sh
# tests/integration/memopts.sh - `--mem SIZE,hugepages=on|off,prefault=on|off`:
# prefaulted RAM boots; bad option syntax is bad input (64); without
# enough reserved huge pages one clear line and exit 71; with them (the
# test reserves 32 when it may) RAM really is huge pages, given back at exit.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_TEST" "$GUESTS/mark.elf" "$GUESTS/spin.elf"
need_kvm

run_wisp 20 "$WISP_TEST" --mem 64M,prefault=on --kernel "$GUESTS/mark.elf"
expect "prefaulted RAM boots" 0

run_wisp 20 "$WISP_TEST" --mem 64M,hugepages=maybe --kernel "$GUESTS/mark.elf"
expect "hugepages=maybe is bad input" 64
stderr_matches "the value is named" "hugepages=maybe: expected on or off"

run_wisp 20 "$WISP_TEST" --mem 64M,colour=on --kernel "$GUESTS/mark.elf"
expect "an unknown --mem option is bad input" 64

run_wisp 20 "$WISP_TEST" --mem 3M,hugepages=on --kernel "$GUESTS/mark.elf"
expect "huge pages need a 2 MiB multiple" 64

HP=/proc/sys/vm/nr_hugepages
hp_free() { awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo; }

# The error path while the pool is too small for 64 MiB (32 pages).
if [ "$(hp_free)" -lt 32 ]; then
	run_wisp 20 "$WISP_TEST" --mem 64M,hugepages=on --kernel "$GUESTS/mark.elf"
	expect "no huge pages reserved: a clear error" 71
	stderr_matches "the error names huge pages" "2 MiB huge pages unavailable"
fi

# Then the real thing: reserve 32 more pages for this test when the pool
# is short and we may (root), and give them back at exit.
HP_OLD=$(cat "$HP")
if [ "$(hp_free)" -lt 32 ] && [ -w "$HP" ]; then
	trap 'echo "$HP_OLD" >"$HP"; rm -rf "$T"' EXIT
	echo $((HP_OLD + 32)) >"$HP" 2>/dev/null
fi

# 64 MiB prefaulted takes 32 pages from the pool while the guest runs
# (spin.elf runs until SIGTERM) and gives them back when wisp exits.
huge_run() {
	free0=$(hp_free)
	timeout -k 2 20 "$WISP_TEST" --mem 64M,hugepages=on,prefault=on \
		--kernel "$GUESTS/spin.elf" </dev/null >"$T/out" 2>"$T/err" &
	pid=$!
	n=0
	while [ $n -lt 100 ] && [ "$(hp_free)" -gt $((free0 - 32)) ]; do
		sleep 0.1
		n=$((n + 1))
	done
	HP_USED=$((free0 - $(hp_free)))
	kill -TERM "$pid"
	wait "$pid"
	RC=$?
	HP_BACK=$((free0 - $(hp_free)))
}

if [ "$(hp_free)" -ge 32 ]; then
	run_wisp 20 "$WISP_TEST" --mem 64M,hugepages=on --kernel "$GUESTS/mark.elf"
	expect "RAM on huge pages boots" 0
	huge_run
	[ "$HP_USED" -eq 32 ] && pass "64 MiB of guest RAM is 32 huge pages" ||
		fail "guest RAM took $HP_USED huge pages, not 32"
	expect "SIGTERM stops the huge-page VM" 143
	[ "$HP_BACK" -eq 0 ] && pass "the huge pages are back in the pool" ||
		fail "$HP_BACK huge pages still taken after exit"
else
	echo "SKIP (case): huge-page boot: fewer than 32 free 2 MiB pages" \
		"and $HP is not writable here"
fi

finish
