/* tests/hvt/walltime.c - WALLTIME is the host's real time (after 2020) and
 * does not go backwards; the boot info has a TSC frequency. */
#include "hvtlib.h"

HVT_MANIFEST(0);

int hvt_main_test(void)
{
	uint64_t a = hvt_walltime(), b = hvt_walltime();

	CHECK(a > 1577836800ull * 1000000000ull);
	CHECK(b >= a);
	CHECK(hvt_bi->cpu_cycle_freq > 1000000);
	hvt_puts("walltime ok\n");
	return 0;
}
