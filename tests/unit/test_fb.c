/*
 * tests/unit/test_fb.c - the framebuffer through its guest-facing
 * interface (ports, VRAM writes logged as KVM would) and its display op:
 * geometry, reading only dirty pages, changed rectangles, options, and
 * that no other device may touch its VRAM handle.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dev.h"
#include "fuzz_hlp.h"

extern const struct dev_reg dev_reg_fb, dev_reg_testdev;

#define VRAM 0x100000ull
#define PORT 0x5f0

static struct dev_ins *create(struct fuzz_host *h, const char *spec)
{
	struct dev_ins *ins = NULL;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_fb, false, spec, &ins), 0);
	fuzz_pio_write(h, PORT, 4, 1); /* display on: VRAM mapped */
	return ins;
}

static void pixel(struct fuzz_host *h, unsigned w, unsigned x, unsigned y,
		  uint32_t v)
{
	assert_int_equal(fuzz_guest_write(h, VRAM + 4ull * (y * w + x), &v, 4),
			 0);
}

static struct dev_display shot(struct dev_ins *ins)
{
	struct dev_display d;

	assert_int_equal(ins->reg->ops->display(ins, &d), 0);
	return d;
}

static void test_geometry_ports(void **state)
{
	struct fuzz_host *h = *state;

	create(h, "fb,width=100,height=50,vram=0x100000");
	assert_int_equal(fuzz_pio_read(h, PORT, 4), 100);
	assert_int_equal(fuzz_pio_read(h, PORT + 4, 4), 50);
	assert_int_equal(fuzz_pio_read(h, PORT + 8, 4), 0);
	assert_int_equal(fuzz_pio_read(h, PORT, 2), 0xffff);
	assert_int_equal(fuzz_pio_read(h, PORT + 12, 4), 0xffffffff);
}

static void test_dirty_pages_only(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = create(h, "fb,width=64,height=64,vram=0x100000");

	struct dev_display d = shot(ins); /* nothing drawn */
	assert_int_equal(d.pages_read, 0);
	assert_int_equal(d.n_rects, 0);
	pixel(h, 64, 3, 2, 0x123456);  /* page 0 */
	pixel(h, 64, 63, 63, 0xabcdef); /* page 3 */
	d = shot(ins);
	assert_int_equal(d.pages_read, 2);
	assert_int_equal(d.pixels[2 * 64 + 3], 0x123456);
	assert_int_equal(d.pixels[63 * 64 + 63], 0xabcdef);
	assert_int_equal(d.n_rects, 2);
	assert_int_equal(d.rects[0].y0, 0);
	assert_int_equal(d.rects[0].y1, 16);
	assert_int_equal(d.rects[1].y0, 48);
	assert_int_equal(d.rects[1].y1, 64);
	assert_int_equal(d.rects[1].x1, 64);
	assert_int_equal(shot(ins).pages_read, 0);
	assert_int_equal(fuzz_pio_read(h, PORT + 8, 4), 3);
	fuzz_dev_reset(h, ins); /* VRAM survives, the count does not */
	assert_int_equal(fuzz_pio_read(h, PORT + 8, 4), 0);
	assert_int_equal(shot(ins).pixels[63 * 64 + 63], 0xabcdef);
}

static void test_many_runs_merge(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = create(h, "fb,width=1024,height=40,vram=0x100000");

	for (unsigned y = 0; y < 40; y += 2) /* one page per row, every other */
		pixel(h, 1024, 0, y, 1);
	struct dev_display d = shot(ins);
	assert_int_equal(d.pages_read, 20);
	assert_int_equal(d.n_rects, DEV_DISPLAY_RECTS);
	assert_int_equal(d.rects[DEV_DISPLAY_RECTS - 1].y1, 39);
}

static void test_display_off(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = create(h, "fb,width=64,height=64,vram=0x100000");
	uint32_t v = 1;

	shot(ins);
	fuzz_pio_write(h, PORT, 4, 0); /* off: VRAM unmapped */
	assert_int_equal(fuzz_guest_write(h, VRAM, &v, 4), -EFAULT);
	assert_int_equal(shot(ins).pages_read, 0);
	fuzz_pio_write(h, PORT, 4, 1);
	fuzz_pio_write(h, PORT, 4, 1); /* twice: still on, logged nothing */
	assert_int_equal(fuzz_guest_write(h, VRAM, &v, 4), 0);
	assert_int_equal(shot(ins).pages_read, 1);
}

static void test_options(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = NULL;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_fb, false,
					 "fb,vram=0x100800", &ins), -EINVAL);
	assert_int_equal(fuzz_dev_create(h, &dev_reg_fb, false,
					 "fb,width=0", &ins), -EINVAL);
	assert_int_equal(fuzz_dev_create(h, &dev_reg_fb, false,
					 "fb,height=1201", &ins), -EINVAL);
}

/* Another device may not use fb's VRAM handle through its own table. */
static void test_not_owner(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *fb = create(h, "fb,width=64,height=64,vram=0x100000");
	struct dev_ins *other = NULL;
	uint64_t bm;
	uint8_t b = 0;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_testdev, false, NULL,
					 &other), 0);
	int vram = 0; /* the first region created in this host */
	assert_ptr_equal(h->pgm.mmio2[vram].owner, fb);
	assert_int_equal(other->hlp->mmio2_query(other, vram, &bm, 8), -EPERM);
	assert_int_equal(other->hlp->mmio2_write(other, vram, 0, &b, 1),
			 -EPERM);
	assert_int_equal(other->hlp->mmio2_unmap(other, vram), -EPERM);
	assert_int_equal(other->hlp->mmio2_query(other, 9, &bm, 8), -EBADF);
	/* and may not create regions once constructed */
	assert_int_equal(other->hlp->mmio2_create(other, 4096, 0), -EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fuzz_fixture_setup_empty, \
						 fuzz_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_geometry_ports), T(test_dirty_pages_only),
		T(test_many_runs_merge), T(test_display_off), T(test_options), T(test_not_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
