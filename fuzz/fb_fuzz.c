/*
 * fuzz/fb_fuzz.c - libFuzzer target for the framebuffer: guest writes into
 * VRAM (logged as KVM would), port reads, resets and screenshots. After
 * every screenshot the device's copy must equal VRAM (no missed page), it
 * must have read no more pages than were written since the last one, and
 * every changed rectangle must lie on the screen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlp.h"
#include "fb.c"

#define FUZZ_FB_VRAM 0x100000ull
#define FUZZ_FB_PORT 0x5f0

struct fb_ctx {
	const uint8_t *p, *end;
	uint64_t written[4]; /* pages written since the last screenshot */
};

static uint64_t take(struct fb_ctx *c, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)(c->p < c->end ? *c->p++ : 0) << (8 * i);
	return v;
}

static void fb_guest_write(struct fuzz_host *h, struct fb_ctx *c,
			   const struct fb *f)
{
	uint64_t off = take(c, 3) % (f->vram_size + 16), len = take(c, 1) % 64;
	uint8_t buf[64];

	memset(buf, (int)take(c, 1), sizeof(buf));
	if (fuzz_guest_write(h, FUZZ_FB_VRAM + off, buf, len) < 0 || !len)
		return;
	for (uint64_t p = off / 4096; p <= (off + len - 1) / 4096; p++)
		c->written[p / 64] |= 1ull << (p % 64);
}

static unsigned popcount4(const uint64_t *w)
{
	return (unsigned)(__builtin_popcountll(w[0]) + __builtin_popcountll(w[1]) +
			  __builtin_popcountll(w[2]) + __builtin_popcountll(w[3]));
}

static void fb_check_display(struct fuzz_host *h, struct dev_ins *ins,
			     struct fb_ctx *c)
{
	const struct fb *f = ins->priv;
	struct dev_display d;

	if (ins->reg->ops->display(ins, &d) < 0)
		fuzz_fail("display failed");
	if (memcmp(f->shadow, h->pgm.mmio2[f->vram].host, f->vram_size))
		fuzz_fail("the device's copy differs from VRAM");
	if (d.pages_read > popcount4(c->written))
		fuzz_fail("read %u pages, only %u written", d.pages_read,
			  popcount4(c->written));
	for (unsigned i = 0; i < d.n_rects; i++)
		if (d.rects[i].x1 > d.width || d.rects[i].y1 > d.height ||
		    d.rects[i].y0 >= d.rects[i].y1)
			fuzz_fail("rectangle %u off the screen", i);
	memset(c->written, 0, sizeof(c->written));
}

static void fb_check_ports(struct fuzz_host *h, const struct fb *f,
			   struct fb_ctx *c)
{
	uint64_t off = take(c, 1) % 16, size = 1u << (take(c, 1) % 4);
	uint64_t v = fuzz_pio_read(h, FUZZ_FB_PORT + off, (unsigned)size);

	if (size == 4 && off == 0 && v != f->width)
		fuzz_fail("width read 0x%llx", (unsigned long long)v);
	if (size != 4 && off < FB_PIO_LEN && v != (size == 8 ? ~0ull
				: (1ull << (8 * size)) - 1))
		fuzz_fail("%llu-byte read gave 0x%llx",
			  (unsigned long long)size, (unsigned long long)v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	struct fb_ctx c = { .p = data, .end = data + size };
	struct dev_ins *ins;
	char spec[96];

	snprintf(spec, sizeof(spec), "fb,width=%u,height=%u,vram=0x%llx",
		 1 + (unsigned)take(&c, 1) % 64, 1 + (unsigned)take(&c, 1) % 64,
		 (unsigned long long)FUZZ_FB_VRAM);
	fuzz_host_init(&h);
	if (fuzz_dev_create(&h, &dev_reg_fb, false, spec, &ins) < 0)
		fuzz_fail("fb: %s", h.err);
	fuzz_pio_write(&h, FUZZ_FB_PORT, 4, 1); /* display on */
	for (unsigned n = 0; c.p < c.end && n < 1024; n++) {
		switch (take(&c, 1) % 4) {
		case 0: fb_guest_write(&h, &c, ins->priv); break;
		case 1: fb_check_display(&h, ins, &c); break;
		case 2: fb_check_ports(&h, ins->priv, &c); break;
		default: fuzz_dev_reset(&h, ins);
		}
	}
	fuzz_host_fini(&h);
	return 0;
}
