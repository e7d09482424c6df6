/*
 * tests/guests/mmio.c - testdev MMIO: round trips of sizes 1/2/4/8, reads
 * of a different size than the write, the access counter, and unclaimed
 * MMIO reading all ones at each size.
 */
#include "guest.h"

#define SCRATCH(off) (TESTDEV_MMIO + (off))
#define COUNTER (TESTDEV_MMIO + 0xff8)

static void check_round_trips(void)
{
	for (uint64_t off = 0; off < 0x40; off += 8) {
		mmio_write8(SCRATCH(off), (uint8_t)(0xa5 ^ off));
		CHECK("mmio", 1, mmio_read8(SCRATCH(off)) == (uint8_t)(0xa5 ^ off));
		mmio_write16(SCRATCH(off + 2), (uint16_t)(0xbeef + off));
		CHECK("mmio", 2, mmio_read16(SCRATCH(off + 2)) ==
				 (uint16_t)(0xbeef + off));
		mmio_write32(SCRATCH(off + 4), 0xcafe0000u + (uint32_t)off);
		CHECK("mmio", 3, mmio_read32(SCRATCH(off + 4)) ==
				 0xcafe0000u + (uint32_t)off);
	}
	for (uint64_t off = 0x40; off < 0x80; off += 8) {
		uint64_t v = 0x0123456789abcdefull ^ (off << 56);
		mmio_write64(SCRATCH(off), v);
		CHECK("mmio", 4, mmio_read64(SCRATCH(off)) == v);
	}
}

/* Little-endian overlap: one 8-byte write, read back in smaller pieces. */
static void check_mixed_sizes(void)
{
	const uint64_t a = SCRATCH(0x100);

	mmio_write64(a, 0x0807060504030201ull);
	for (unsigned i = 0; i < 8; i++)
		CHECK("mmio", 5, mmio_read8(a + i) == i + 1);
	CHECK("mmio", 6, mmio_read16(a + 2) == 0x0403);
	CHECK("mmio", 7, mmio_read32(a + 4) == 0x08070605);
	mmio_write8(a + 3, 0xff);
	CHECK("mmio", 8, mmio_read64(a) == 0x08070605ff030201ull);
	mmio_write16(a + 6, 0xaabb);
	CHECK("mmio", 9, mmio_read32(a + 4) == 0xaabb0605);
}

/* Whether reading the counter counts itself is the device's business:
 * measure that first (d), then expect exactly n + d for n accesses. */
static void check_counter(void)
{
	uint64_t c0 = mmio_read64(COUNTER);
	uint64_t d = mmio_read64(COUNTER) - c0;

	CHECK("mmio", 10, d <= 1);
	c0 = mmio_read64(COUNTER);
	for (unsigned i = 0; i < 5; i++) {
		mmio_write32(SCRATCH(0x200), i);
		(void)mmio_read8(SCRATCH(0x201));
	}
	CHECK("mmio", 11, mmio_read64(COUNTER) - c0 == 10 + d);
}

static void check_unclaimed(void)
{
	const uint64_t a = UNCLAIMED_MMIO;

	mmio_write8(a, 0);
	mmio_write16(a + 2, 0);
	mmio_write32(a + 4, 0);
	mmio_write64(a + 8, 0);
	CHECK("mmio", 20, mmio_read8(a) == 0xff);
	CHECK("mmio", 21, mmio_read16(a + 2) == 0xffff);
	CHECK("mmio", 22, mmio_read32(a + 4) == 0xffffffffu);
	CHECK("mmio", 23, mmio_read64(a + 8) == ~0ull);
}

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	check_round_trips();
	check_mixed_sizes();
	check_counter();
	check_unclaimed();
	uart_puts("mmio: ok\n");
	return 0;
}
