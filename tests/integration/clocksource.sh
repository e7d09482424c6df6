#!/bin/sh
# tests/integration/clocksource.sh - wisp runs guests when the host's clock
# has no vDSO: with the hpet or acpi_pm clocksource (or an unstable TSC)
# clock_gettime is a real syscall, which every role's seccomp policy must
# allow. The clocksource is switched only inside the testbed (whose kernel
# is ours to change), never on a real host: there the test runs itself in
# the testbed, or says why it cannot.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
need_built "$WISP_DEFAULT" "$WISP_TEST" build/sandboxtest/wisp build/hvt/wisp \
	"$GUESTS/hello.elf" "$GUESTS/flood.elf" "$GUESTS/smp.elf" \
	build/hvt-guests/walltime.hvt
need_kvm

if [ -z "${WISP_IN_TESTBED:-}" ]; then
	[ "$(WISP_TESTBED=on tests/testbed/choose)" = testbed ] ||
		skip "changing a real host's clocksource is not a test's business, and the testbed cannot run here"
	exec tests/testbed/run -t 600 -- "$0"
fi

CS=/sys/devices/system/clocksource/clocksource0
old=$(cat "$CS/current_clocksource")
trap 'echo "$old" >"$CS/current_clocksource"; rm -rf "$T"' EXIT
for c in hpet acpi_pm; do
	grep -qw "$c" "$CS/available_clocksource" || continue
	echo "$c" >"$CS/current_clocksource" 2>/dev/null && break
done
now=$(cat "$CS/current_clocksource")
case "$now" in
hpet|acpi_pm) pass "clocksource is $now (no vDSO: clock_gettime is a syscall)" ;;
*) fail "cannot switch to a clocksource without vDSO (still $now)"; finish ;;
esac

# no_sigsys NAME : the run was not ended by a seccomp filter.
no_sigsys() {
	if grep -qi 'bad system call\|seccomp' "$T/err" || [ "$RC" = 159 ]; then
		fail "$1: killed by a seccomp filter (exit $RC)"
		show_output
	fi
}

run_wisp 60 "$WISP_DEFAULT" --kernel "$GUESTS/hello.elf"
expect "default profile (UART in its own process): hello" 0 "Goodbye." ; no_sigsys hello
run_wisp 120 "$WISP_TEST" --kernel "$GUESTS/flood.elf"
expect "unclaimed-access flood (ratelimits on the vCPU thread)" 0 ; no_sigsys flood
run_wisp 60 build/sandboxtest/wisp --sandbox=all --cpus 2 --kernel "$GUESTS/smp.elf"
expect "every device in its own process, 2 vCPUs" 0 ; no_sigsys smp
run_wisp 60 build/hvt/wisp build/hvt-guests/walltime.hvt
expect "hvt WALLTIME hypercall" 0 "walltime ok" ; no_sigsys walltime

finish
