/* tests/hvt/poll.c - POLL without a NIC sleeps for its timeout: 0 ready,
 * at least the timeout elapsed; a zero timeout returns at once. */
#include "hvtlib.h"

HVT_MANIFEST(0);

int hvt_main_test(void)
{
	uint64_t ready = 99, ms = cmd_u64("ms", 50);
	uint64_t t0 = hvt_walltime();

	CHECK(hvt_poll(ms * 1000000ull, &ready) == 0);
	uint64_t t1 = hvt_walltime();
	CHECK(ready == 0);
	CHECK(t1 - t0 >= ms * 1000000ull);
	CHECK(hvt_poll(0, &ready) == 0);
	hvt_puts("poll slept ");
	hvt_putdec((t1 - t0) / 1000000);
	hvt_puts(" ms\n");
	return 0;
}
