/*
 * tests/guests/dirty.c - dirty-page tracking seen from the guest: it
 * writes chosen pages of testdev's MMIO2 region (testdev,mmio2=0xd0200000)
 * and of RAM, asks testdev to query-and-reset through the helper table
 * (ports +8..+19) and checks the bitmap equals what it wrote, across
 * rounds, unmap/remap, tracking off/on, host-side writes and reset-only
 * queries. Each failed check exits with its own code.
 */
#include "guest.h"

#define MMIO2 0xd0200000ull
#define MMIO2_PAGES 32
#define ALL32 0xffffffffull
#define RAM_PAGE 0x1000u /* 16 MiB: far from the image and the stack */

enum { Q_MMIO2 = 1, RESET_MMIO2, MAP, UNMAP, TRACK_ON, TRACK_OFF,
       HOST_MMIO2, RAM_ON, RAM_OFF, Q_RAM, HOST_RAM };

static uint64_t base = MMIO2; /* where the region is mapped now */

static int32_t cmd(uint32_t c, uint32_t arg)
{
	outl(TESTDEV_PORT + 12, arg);
	outl(TESTDEV_PORT + 8, c);
	return (int32_t)inl(TESTDEV_PORT + 8);
}

static void must(unsigned code, uint32_t c, uint32_t arg)
{
	CHECK("dirty", code, cmd(c, arg) == 0);
}

static uint64_t query(unsigned code, uint32_t c, uint32_t arg)
{
	must(code, c, arg);
	return inl(TESTDEV_PORT + 16);
}

static void touch(uint64_t page)
{
	mmio_write8(base + page * 4096 + (page * 13) % 4096, (uint8_t)page);
}

static void touch_ram(uint64_t page)
{
	mmio_write32((RAM_PAGE + page) * 4096ull + 8, 0x1234);
}

#define EXPECT(code, want) \
	CHECK("dirty", code, query(code, Q_MMIO2, 0) == (want))
#define EXPECT_RAM(code, want) \
	CHECK("dirty", code, query(code, Q_RAM, RAM_PAGE) == (want))

static void rounds(void)
{
	EXPECT(1, 0);
	touch(0), touch(3), touch(31);
	EXPECT(2, 1ull | 1ull << 3 | 1ull << 31);
	EXPECT(3, 0);
	touch(7), touch(7), touch(8);
	EXPECT(4, 3ull << 7);
	must(5, HOST_MMIO2, 5);
	touch(6);
	EXPECT(6, 3ull << 5);
}

static void unmap_remap(void)
{
	must(10, UNMAP, 0);
	EXPECT(11, 0); /* unmapped, not written since the last query */
	must(12, MAP, 0);
	touch(1);
	must(13, UNMAP, 0);
	EXPECT(14, ALL32); /* written, then unmapped: every page */
	EXPECT(15, 0);
	must(16, MAP, 64); /* moved 256 KiB up */
	base = MMIO2 + 64 * 4096;
	touch(2);
	EXPECT(17, 1ull << 2);
	must(18, UNMAP, 0);
	must(19, HOST_MMIO2, 4); /* a host write while unmapped */
	EXPECT(20, ALL32);
	must(21, MAP, 0);
	base = MMIO2;
	EXPECT(22, 0);
	touch(30);
	EXPECT(23, 1ull << 30);
}

static void enable_disable(void)
{
	must(30, TRACK_OFF, 0);
	touch(9);
	EXPECT(31, ALL32);
	EXPECT(32, ALL32); /* still untracked: the guest may write unseen */
	must(33, TRACK_ON, 0);
	EXPECT(34, ALL32); /* the untracked interval */
	EXPECT(35, 0);
	touch(10);
	EXPECT(36, 1ull << 10);
	touch(11);
	must(37, RESET_MMIO2, 0);
	EXPECT(38, 0);
	CHECK("dirty", 39, cmd(99, 0) < 0);
}

static void ram(void)
{
	must(50, RAM_ON, 0);
	EXPECT_RAM(51, ALL32); /* first query after enabling: all */
	EXPECT_RAM(52, 0);
	touch_ram(1), touch_ram(20), touch_ram(31), touch_ram(32);
	EXPECT_RAM(53, 1ull << 1 | 1ull << 20 | 1ull << 31);
	must(54, HOST_RAM, RAM_PAGE + 2);
	touch_ram(5);
	EXPECT_RAM(55, 1ull << 2 | 1ull << 5);
	EXPECT_RAM(56, 0);
	must(57, RAM_OFF, 0);
	EXPECT_RAM(58, ALL32);
}

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	rounds();
	unmap_remap();
	enable_disable();
	ram();
	return 0;
}
