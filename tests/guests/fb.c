/*
 * tests/guests/fb.c - draws into the framebuffer (fb device, VRAM at
 * 0xd1000000 once turned on, geometry from its ports at 0x5f0): a pattern every pixel of
 * which tests/integration/fb.sh can recompute. Then it marks 1 (testdev),
 * waits for the first screenshot (SIGUSR1), changes three pixels on two
 * pages, and exits: the exit screenshot must read only those pages.
 */
#include "guest.h"

#define VRAM 0xd1000000ull
#define FB_PORT 0x5f0

static uint32_t pattern(uint32_t x, uint32_t y)
{
	return ((x * 5) & 0xff) << 16 | ((y * 9) & 0xff) << 8 |
	       ((x ^ y) & 0xff);
}

static void put(uint32_t w, uint32_t x, uint32_t y, uint32_t v)
{
	mmio_write32(VRAM + 4ull * (y * w + x), v);
}

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	uint32_t w = inl(FB_PORT), h = inl(FB_PORT + 4);

	CHECK("fb", 1, w > 8 && h > 8 && w <= 1920 && h <= 1200);
	outl(FB_PORT, 1); /* display on: VRAM mapped */
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			put(w, x, y, pattern(x, y));
	outl(TESTDEV_PORT + 4, 1); /* "mark 1": ready for a screenshot */
	for (uint64_t spins = 0; inl(FB_PORT + 8) < 2; spins++)
		CHECK("fb", 2, spins < 100000000ull);
	put(w, 0, 0, 0xffffff);
	put(w, 1, 0, 0xff0000);
	put(w, w - 1, h - 1, 0x00ff00);
	return 0;
}
