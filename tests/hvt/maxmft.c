/* tests/hvt/maxmft.c - a manifest with the most entries the ABI allows
 * (64: the reserved one and 63 block devices d1..d63); all attached, the
 * last one is usable. */
#include "hvtlib.h"

#define B8(p) MFT_BLOCK(p "0"), MFT_BLOCK(p "1"), MFT_BLOCK(p "2"), \
	MFT_BLOCK(p "3"), MFT_BLOCK(p "4"), MFT_BLOCK(p "5"), MFT_BLOCK(p "6"), \
	MFT_BLOCK(p "7")
HVT_MANIFEST(63, B8("a"), B8("b"), B8("c"), B8("d"), B8("e"), B8("f"),
	     B8("g"), MFT_BLOCK("h0"), MFT_BLOCK("h1"), MFT_BLOCK("h2"),
	     MFT_BLOCK("h3"), MFT_BLOCK("h4"), MFT_BLOCK("h5"), MFT_BLOCK("h6"));

static uint8_t buf[512];

int hvt_main_test(void)
{
	const struct mft *m = (const struct mft *)(uintptr_t)hvt_bi->mft;

	CHECK(m->entries == 64);
	for (unsigned i = 1; i < 64; i++)
		CHECK(m->e[i].attached);
	CHECK(hvt_handle("h6") == 63);
	CHECK(hvt_block(false, 63, 0, buf, 512) == HVT_R_OK);
	hvt_puts("64 entries ok\n");
	return 0;
}
