/*
 * tests/hvt/block.c - BLOCK_WRITE/READ on device "disk": the first and the
 * last block written and read back; then every bad request gets EINVAL and
 * leaves the VM running: one past the end, a misaligned offset, a bad
 * length, an overflowing offset, a bad handle. "verify" only reads and
 * checks what an earlier run wrote (persistence through the host file).
 */
#include "hvtlib.h"

HVT_MANIFEST(1, MFT_BLOCK("disk"));

static uint8_t buf[8192], back[8192];

static void fill(uint64_t blk, uint64_t bs)
{
	for (uint64_t i = 0; i < bs; i++)
		buf[i] = (uint8_t)(blk * 7 + i);
}

static void rw_block(unsigned h, uint64_t blk, uint64_t bs, bool write)
{
	fill(blk, bs);
	if (write)
		CHECK(hvt_block(true, h, blk * bs, buf, bs) == HVT_R_OK);
	memset(back, 0, bs);
	CHECK(hvt_block(false, h, blk * bs, back, bs) == HVT_R_OK);
	CHECK(memcmp(buf, back, bs) == 0);
}

static void bad_requests(unsigned h, uint64_t cap, uint64_t bs)
{
	CHECK(hvt_block(false, h, cap, back, bs) == HVT_R_EINVAL);
	CHECK(hvt_block(true, h, cap, back, bs) == HVT_R_EINVAL);
	CHECK(hvt_block(false, h, cap - bs, back, 2 * bs) == HVT_R_EINVAL);
	CHECK(hvt_block(false, h, bs / 2, back, bs) == HVT_R_EINVAL);
	CHECK(hvt_block(false, h, 0, back, bs - 1) == HVT_R_EINVAL);
	CHECK(hvt_block(false, h, 0, back, 0) == HVT_R_EINVAL);
	CHECK(hvt_block(false, h, ~0ull - bs + 1, back, bs) == HVT_R_EINVAL);
	CHECK(hvt_block(false, 0, 0, back, bs) == HVT_R_EINVAL);
	CHECK(hvt_block(false, h + 1, 0, back, bs) == HVT_R_EINVAL);
	CHECK(hvt_block(false, 1ull << 40, 0, back, bs) == HVT_R_EINVAL);
}

int hvt_main_test(void)
{
	unsigned h = hvt_handle("disk");
	const struct mft *m = (const struct mft *)(uintptr_t)hvt_bi->mft;

	CHECK(h == 1 && m->e[h].attached);
	uint64_t cap = m->e[h].u.block_basic.capacity;
	uint64_t bs = m->e[h].u.block_basic.block_size;
	CHECK(bs >= 512 && bs <= sizeof(buf) && cap >= bs && cap % bs == 0);
	bool write = !cmd_has("verify");
	rw_block(h, 0, bs, write);
	rw_block(h, cap / bs - 1, bs, write);
	bad_requests(h, cap, bs);
	hvt_puts("block ok: ");
	hvt_putdec(cap / bs);
	hvt_puts(" blocks of ");
	hvt_putdec(bs);
	hvt_puts("\n");
	return 0;
}
