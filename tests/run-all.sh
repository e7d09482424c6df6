#!/bin/sh
# tests/run-all.sh [--guests-only] - run every test tier and print one
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

for t in build/host/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.d|*.o) continue ;; esac
	run "unit/$(basename "$t")" "$t"
done
for r in build/fuzz/replay/*; do
	[ -x "$r" ] || continue
	d=$(basename "$r")
	run "fuzz-replay/$d" "$r" fuzz/corpus/"$d"
done
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
integration others

# The guest tests: here, in the testbed, or each skipped with the reason.
where=$(tests/testbed/choose)
case "$where" in
host)
	integration guests
	where="on the host's /dev/kvm" ;;
testbed)
	cpus=${WISP_TESTBED_CPUS:-1}
	log=$(mktemp) || exit 1
	tests/testbed/run -m "${WISP_TESTBED_MEM:-3072}" -c "$cpus" \
		-t "${WISP_TESTBED_TIMEOUT:-3000}" -- tests/run-all.sh --guests-only |
		tee "$log" | grep -v '^[0-9]* passed, \|^failed:'
	counts=$(grep '^[0-9]* passed, [0-9]* failed, [0-9]* skipped$' "$log" | tail -n1)
	if [ -n "$counts" ]; then
		set -- $counts
		pass=$((pass + $1)) fail=$((fail + $3)) skip=$((skip + $5))
		failed="$failed$(sed -n 's/^failed://p' "$log")"
	else
		fail=$((fail + 1)) failed="$failed integration/testbed"
		echo "FAIL integration/testbed: the testbed gave no summary (see above)"
	fi
	rm -f "$log"
	where="inside the nested testbed (QEMU emulation, KVM inside, $cpus vCPU)" ;;
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
# Each in a testbed boot of its own, counted like any other test.
for t in tests/integration/*.sh; do
	[ -x "$t" ] && own_boot "$t" || continue
	run "integration/$(basename "$t" .sh)" "$t"
done
summary
