/*
 * tests/guests/dirtybench.c - the guest of `make bench`'s dirty-tracking
 * lines (tests/bench/pgm.c): first EXITS plain port exits (the per-exit
 * baseline), then forever: write one byte in every 100th page of the
 * 1 GiB region at 1 GiB (1% of its pages) and exit to let the host query.
 */
#include "guest.h"

#define REGION 0x40000000ull
#define PAGES (1ull << 18)
#define EXITS 20000

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	for (unsigned i = 0; i < EXITS; i++)
		outl(TESTDEV_PORT + 4, i);
	for (uint8_t round = 1;; round++) {
		for (uint64_t p = 0; p < PAGES; p += 100)
			mmio_write8(REGION + p * 4096, round);
		outl(TESTDEV_PORT, round);
	}
	return 0;
}
