/*
 * devices/fb.c - a linear framebuffer: XRGB8888 pixels in VRAM, an MMIO2
 * region with dirty tracking mapped at `vram`, and a small port block the
 * guest reads its geometry from.
 *
 * The device keeps its own copy of the screen. Its display op (a
 * screenshot, see monitor/screenshot.c) asks for the pages written since
 * the last one and reads only those, so a screen that changed a little is
 * cheap to update; runs of changed pages become changed rectangles.
 * Sandboxed, it runs in its own process like any untrusted device: VRAM
 * is a shared mapping there, and it writes the screenshot PNG itself.
 *
 * Ports, 12 bytes at `port`, 4-byte accesses (others read all ones):
 *   +0 width; write 1: map VRAM at `vram` (the guest turns the display
 *      on, like programming a BAR: a guest that never does costs no
 *      memslot), 0: unmap it
 *   +4 height  +8 screens taken so far (display calls)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dev.h"

#define FB_PIO_LEN 12
#define FB_PAGE 4096u
#define FB_MAX_W DEV_DISPLAY_MAX_W
#define FB_MAX_H DEV_DISPLAY_MAX_H
/* VRAM below 2^52 like every guest-physical range. */
#define FB_VRAM_MAX ((1ull << 52) - (16ull << 20))

struct fb {
	unsigned width, height;
	uint64_t vram_gpa, vram_size;
	uint16_t port;
	int vram;          /* MMIO2 handle */
	uint32_t *shadow;  /* our copy, vram_size bytes */
	uint64_t *bitmap;
	size_t bitmap_bytes;
	uint32_t screens;
};

static uint64_t fb_pio_read(struct dev_ins *ins, void *opaque, uint64_t off,
			    unsigned size)
{
	const struct fb *f = ins->priv;

	if (size != 4)
		return ~0ull;
	switch (off) {
	case 0: return f->width;
	case 4: return f->height;
	case 8: return f->screens;
	default: return ~0ull;
	}
}

static void fb_pio_write(struct dev_ins *ins, void *opaque, uint64_t off,
			 unsigned size, uint64_t val)
{
	struct fb *f = ins->priv;
	int rc;

	if (off != 0 || size != 4 || val > 1)
		return;
	if (val)
		rc = ins->hlp->mmio2_map(ins, f->vram, f->vram_gpa);
	else
		rc = ins->hlp->mmio2_unmap(ins, f->vram);
	if (rc < 0 && rc != -EBUSY && rc != -ENOENT)
		ins->hlp->log(ins, DEV_LOG_WARN, "VRAM %s at 0x%" PRIx64
			      " failed (error %d)", val ? "map" : "unmap",
			      f->vram_gpa, rc);
}

static const struct dev_io_ops fb_pio = {
	.read = fb_pio_read,
	.write = fb_pio_write,
};

/* Read one dirty page into the copy; returns 1 if it was read. */
static unsigned fb_pull_page(struct dev_ins *ins, struct fb *f, uint64_t page)
{
	uint64_t off = page * FB_PAGE;

	if (off >= f->vram_size)
		return 0;
	return ins->hlp->mmio2_read(ins, f->vram, off,
				    (uint8_t *)f->shadow + off, FB_PAGE) == 0;
}

/* Dirty pages [first, last] as a full-width band of rows; a run of pages
 * past the last slot widens the last rectangle. */
static void fb_rect(const struct fb *f, uint64_t first, uint64_t last,
		    struct dev_display *out)
{
	uint64_t row = (uint64_t)f->width * 4;
	uint64_t y0 = first * FB_PAGE / row;
	uint64_t y1 = ((last + 1) * FB_PAGE + row - 1) / row;
	struct dev_rect r = { 0, (unsigned)(y0 < f->height ? y0 : f->height),
			      f->width, (unsigned)(y1 < f->height ? y1 : f->height) };

	if (out->n_rects < DEV_DISPLAY_RECTS)
		out->rects[out->n_rects++] = r;
	else
		out->rects[DEV_DISPLAY_RECTS - 1].y1 = r.y1;
}

static bool fb_dirty(const struct fb *f, uint64_t p)
{
	return f->bitmap[p / 64] & (1ull << (p % 64));
}

static int fb_display(struct dev_ins *ins, struct dev_display *out)
{
	struct fb *f = ins->priv;
	uint64_t pages = f->vram_size / FB_PAGE;
	int rc = ins->hlp->mmio2_query(ins, f->vram, f->bitmap,
				       f->bitmap_bytes);

	if (rc < 0)
		return rc;
	*out = (struct dev_display){ .pixels = f->shadow, .width = f->width,
				     .height = f->height, .stride = f->width };
	for (uint64_t p = 0; p < pages; p++) {
		if (!fb_dirty(f, p))
			continue;
		uint64_t first = p;
		for (; p < pages && fb_dirty(f, p); p++)
			out->pages_read += fb_pull_page(ins, f, p);
		fb_rect(f, first, p - 1, out);
	}
	f->screens++;
	return 0;
}

static int fb_config(struct dev_ins *ins, struct fb *f)
{
	uint64_t w = 320, h = 200, vram = 0xd1000000ull, port = 0x5f0;

	ins->hlp->cfg_u64(ins, "width", &w);
	ins->hlp->cfg_u64(ins, "height", &h);
	ins->hlp->cfg_u64(ins, "vram", &vram);
	ins->hlp->cfg_u64(ins, "port", &port);
	if (w < 1 || w > FB_MAX_W || h < 1 || h > FB_MAX_H ||
	    (vram & (FB_PAGE - 1)) || vram > FB_VRAM_MAX ||
	    port > 0x10000 - FB_PIO_LEN) {
		ins->hlp->log(ins, DEV_LOG_ERR, "bad geometry, vram 0x%" PRIx64
			      " (4 KiB aligned) or port", vram);
		return -EINVAL;
	}
	f->width = (unsigned)w;
	f->height = (unsigned)h;
	f->vram_gpa = vram;
	f->port = (uint16_t)port;
	f->vram_size = (w * h * 4 + FB_PAGE - 1) / FB_PAGE * FB_PAGE;
	f->bitmap_bytes = dev_mmio2_bitmap_bytes(f->vram_size);
	return 0;
}

static void fb_destruct(struct dev_ins *ins)
{
	struct fb *f = ins->priv;

	free(f->shadow);
	free(f->bitmap);
	f->shadow = NULL;
	f->bitmap = NULL;
}

static int fb_construct(struct dev_ins *ins)
{
	struct fb *f = ins->priv;
	const struct dev_hlp *h = ins->hlp;
	int rc = fb_config(ins, f);

	if (rc < 0)
		return rc;
	f->shadow = calloc(1, f->vram_size);
	f->bitmap = calloc(1, f->bitmap_bytes);
	if (!f->shadow || !f->bitmap)
		return -ENOMEM;
	rc = f->vram = h->mmio2_create(ins, f->vram_size, DEV_MMIO2_TRACK);
	if (rc >= 0)
		rc = h->io_register(ins, DEV_SPACE_PIO, f->port, FB_PIO_LEN,
				    &fb_pio, NULL);
	if (rc >= 0)
		return 0;
	h->log(ins, DEV_LOG_ERR, "VRAM at 0x%" PRIx64 " or port 0x%x "
	       "unavailable (error %d)", f->vram_gpa, f->port, rc);
	fb_destruct(ins);
	return rc;
}

/* VRAM keeps its contents across a reset, like a real card's memory. */
static void fb_reset(struct dev_ins *ins)
{
	((struct fb *)ins->priv)->screens = 0;
}

static const struct dev_opt fb_opts[] = {
	{ .key = "width", .type = DEV_OPT_U64, .min = 1, .max = FB_MAX_W,
	  .help = "pixels per row (default 320)" },
	{ .key = "height", .type = DEV_OPT_U64, .min = 1, .max = FB_MAX_H,
	  .help = "rows (default 200)" },
	{ .key = "vram", .type = DEV_OPT_U64, .min = 0, .max = FB_VRAM_MAX,
	  .help = "4 KiB-aligned guest address of VRAM (default 0xd1000000)" },
	{ .key = "port", .type = DEV_OPT_U64, .min = 0,
	  .max = 0x10000 - FB_PIO_LEN,
	  .help = "base of the 12 geometry ports (default 0x5f0)" },
};

static const struct dev_ops fb_ops = {
	.construct = fb_construct,
	.destruct = fb_destruct,
	.reset = fb_reset,
	.display = fb_display,
};

const struct dev_reg dev_reg_fb = {
	.name = "fb",
	.desc = "linear framebuffer, XRGB8888 VRAM with dirty tracking",
	.cls = DEV_CLASS_MISC,
	.max_instances = 1,
	.instance_size = sizeof(struct fb),
	.opts = fb_opts,
	.n_opts = sizeof(fb_opts) / sizeof(fb_opts[0]),
	.ops = &fb_ops,
};
