#!/bin/sh
# tests/run-all.sh - run every test tier and print one summary line.
# Each test is an executable printing its own lines; exit 0 = pass, 77 = skip
# (it must print "SKIP: <reason>"), anything else = fail.
#   unit:        build/host/tests/test_*     (cmocka)
#   fuzz replay: build/fuzz/replay/<dev>     over fuzz/corpus/<dev>/
#   fuzz smoke:  build/fuzz/lf/<dev>         libFuzzer, seed 1, FUZZ_RUNS runs
#   integration: tests/integration/*.sh      (guests on /dev/kvm)
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
fuzz_smoke() { # binary name
	c=$(mktemp -d) && cp fuzz/corpus/"$2"/* "$c"/ &&
		mkdir -p build/fuzz/crashes/"$2" &&
		"$1" -seed=1 -runs="${FUZZ_RUNS:-100000}" -timeout=10 \
			-artifact_prefix=build/fuzz/crashes/"$2"/ "$c"
	rc=$?
	rm -rf "$c"
	return $rc
}
for f in build/fuzz/lf/*; do
	[ -x "$f" ] || continue
	run "fuzz-smoke/$(basename "$f")" fuzz_smoke "$f" "$(basename "$f")"
done
for t in tests/integration/*.sh; do
	[ -x "$t" ] || continue
	run "integration/$(basename "$t" .sh)" "$t"
done
echo "$pass passed, $fail failed, $skip skipped"
[ -n "$failed" ] && echo "failed:$failed"
[ "$fail" -eq 0 ]
