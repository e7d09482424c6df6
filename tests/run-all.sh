#!/bin/sh
# tests/run-all.sh [--guests-only|--start-guests] - run every test tier and print one
# summary line. Each test is an executable printing its own lines; exit 0 =
# pass, 77 = skip (it must print "SKIP: <reason>"), anything else = fail.
#   unit:        build/host/tests/test_*     (cmocka)
#   fuzz replay: build/fuzz/replay/<dev>     over fuzz/corpus/<dev>/
#   fuzz smoke:  build/fuzz/lf/<dev>         libFuzzer, seed 1, FUZZ_RUNS runs
#   integration: tests/integration/*.sh      those that call need_kvm run
#                guests: on the host's /dev/kvm when usable, otherwise all
#                of them in one boot of the nested testbed (tests/testbed/;
#                WISP_TESTBED=on|off|auto chooses); the rest run here.
#   own boot:    tests/integration/*.sh marked "# wisp-test: own testbed
#                boot" (vfio.sh: an emulated IOMMU and edu) start their
#                own testbed boot, after the guest tier.
# --guests-only runs just the guest tests, here (the testbed's side).
# --start-guests starts the guest tier in the background and returns (make
# test does, before it builds the host tests); a run without it starts
# the tier itself first. Either way the host tiers run while the guests
# do, and each tier's time is printed ("tier NAME: N s").
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0 failed=""

run() { # name cmd...
	name="$1"; shift
	out=$("$@" 2>&1); rc=$?
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name" ;;
	77) skip=$((skip + 1)); echo "SKIP $name: $(echo "$out" | grep -m1 SKIP | sed 's/.*SKIP:* *//')" ;;
	*) fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name (exit $rc)"; echo "$out" | tail -n 40 | sed 's/^/    /' ;;
	esac
}

# A guest test is one that needs KVM (it calls need_kvm).
is_guest_test() { grep -q '^need_kvm' "$1"; }
# A test that needs a testbed boot of its own (an emulated IOMMU and PCI
# device: vfio.sh) boots it itself, or says why it cannot (SKIP).
own_boot() { grep -q '^# wisp-test: own testbed boot' "$1"; }

integration() { # guests|others
	for t in tests/integration/*.sh; do
		[ -x "$t" ] || continue
		own_boot "$t" && continue
		if is_guest_test "$t"; then [ "$1" = guests ] || continue
		else [ "$1" = others ] || continue; fi
		run "integration/$(basename "$t" .sh)" "$t"
	done
}

summary() {
	echo "$pass passed, $fail failed, $skip skipped"
	[ -n "$failed" ] && echo "failed:$failed"
	[ "$fail" -eq 0 ]
	exit $?
}

if [ "${1:-}" = --guests-only ]; then
	integration guests
	summary
fi

# The guest tier runs in the background (the testbed's one vCPU keeps one
# host core busy) while the host tiers use the other: `make test` starts it
# (--start-guests) before it builds the host tests, and this script's last
# step collects it. Its state is in build/test-run/.
G=build/test-run
T0=$(date +%s)
tier_t=$T0
tier() { # name: how long the tier that just ended took
	now=$(date +%s)
	echo "tier $1: $((now - tier_t)) s"
	tier_t=$now
}

guests_start() {
	rm -rf "$G" && mkdir -p "$G" || exit 1
	date +%s >"$G/start"
	where=$(tests/testbed/choose)
	echo "$where" >"$G/where"
	case "$where" in
	host) (tests/run-all.sh --guests-only >"$G/log" 2>&1; echo $? >"$G/rc") & ;;
	testbed)
		(tests/testbed/run -m "${WISP_TESTBED_MEM:-3072}" \
			-c "${WISP_TESTBED_CPUS:-1}" -t "${WISP_TESTBED_TIMEOUT:-3000}" \
			-- tests/run-all.sh --guests-only >"$G/log" 2>&1
		 echo $? >"$G/rc") & ;;
	*) echo 0 >"$G/rc" ;;
	esac
}

guests_wait() {
	while [ ! -f "$G/rc" ]; do sleep 1; done
	where=$(cat "$G/where")
	echo "tier guests (in parallel with the host tiers): $(($(date +%s) - $(cat "$G/start"))) s"
	case "$where" in
	host|testbed)
		grep -v '^[0-9]* passed, \|^failed:' "$G/log"
		counts=$(grep '^[0-9]* passed, [0-9]* failed, [0-9]* skipped$' "$G/log" | tail -n1)
		if [ -n "$counts" ]; then
			set -- $counts
			pass=$((pass + $1)) fail=$((fail + $3)) skip=$((skip + $5))
			failed="$failed$(sed -n 's/^failed://p' "$G/log")"
		else
			fail=$((fail + 1)) failed="$failed integration/testbed"
			echo "FAIL integration/testbed: the testbed gave no summary (above)"
		fi
		[ "$where" = host ] && where="on the host's /dev/kvm" ||
			where="inside the nested testbed (QEMU emulation, KVM inside, ${WISP_TESTBED_CPUS:-1} vCPU)" ;;
	*)
		reason=${where#none }
		for t in tests/integration/*.sh; do
			[ -x "$t" ] && is_guest_test "$t" || continue
			skip=$((skip + 1))
			echo "SKIP integration/$(basename "$t" .sh): $reason"
		done
		where="nowhere: $reason" ;;
	esac
	echo "guest tests ran $where"
}

if [ "${1:-}" = --start-guests ]; then
	guests_start
	exit 0
fi
[ -f "$G/start" ] || guests_start

for t in build/host/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.d|*.o) continue ;; esac
	run "unit/$(basename "$t")" "$t"
done
tier unit
for r in build/fuzz/replay/*; do
	[ -x "$r" ] || continue
	d=$(basename "$r")
	run "fuzz-replay/$d" "$r" fuzz/corpus/"$d"
done
tier fuzz-replay
# A short deterministic libFuzzer run from the committed corpus (a copy:
# what it finds is not kept); a crash input stays in build/fuzz/crashes/.
# libFuzzer's own crash status is 77, run()'s SKIP: ask for 1 instead.
fuzz_smoke() { # binary name
	c=$(mktemp -d) && cp fuzz/corpus/"$2"/* "$c"/ &&
		mkdir -p build/fuzz/crashes/"$2" &&
		"$1" -seed=1 -runs="${FUZZ_RUNS:-100000}" -timeout=10 -error_exitcode=1 \
			-artifact_prefix=build/fuzz/crashes/"$2"/ "$c"
	rc=$?
	rm -rf "$c"
	return $rc
}
for f in build/fuzz/lf/*; do
	[ -x "$f" ] || continue
	run "fuzz-smoke/$(basename "$f")" fuzz_smoke "$f" "$(basename "$f")"
done
tier fuzz-smoke
integration others
tier integration-host
guests_wait
tier_t=$(date +%s)
# Each in a testbed boot of its own, counted like any other test.
for t in tests/integration/*.sh; do
	[ -x "$t" ] && own_boot "$t" || continue
	run "integration/$(basename "$t" .sh)" "$t"
done
tier own-boot
echo "make test's tests took $(($(date +%s) - T0)) s"
rm -rf "$G"
summary
