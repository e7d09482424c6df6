/*
 * tests/guests/doorbell.c - rings the test device's doorbell (a 4-byte
 * MMIO write at 0xff0, an ioeventfd) N times (default 1000) and checks
 * that none of the writes exited (the device's MMIO access count grows
 * only by the guest's own reads) and that every ring arrived: the device
 * counts them asynchronously, so the guest polls the count for a while.
 * Exit status: 0 all well, 1 a ring exited, 2 rings missing.
 */
#include "guest.h"

#define BELL (TESTDEV_MMIO + 0xff0)
#define COUNT (TESTDEV_MMIO + 0xff8)

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	bool ok = true;
	uint64_t n = cmdline_u64(cmdline, NULL, 1000, &ok);

	if (!ok)
		return 62;
	uint64_t before = mmio_read64(COUNT);
	for (uint64_t i = 0; i < n; i++)
		mmio_write32(BELL, 1);
	if (mmio_read64(COUNT) != before + 1)
		return 1;
	/* The device sees the rings when its loop runs: give it time. */
	for (uint64_t spins = 0; spins < 100000000ull; spins++)
		if (mmio_read32(BELL) == n)
			return 0;
	return 2;
}
