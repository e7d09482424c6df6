/*
 * tests/unit/test_virtio_blk.c - virtio_blk through its guest-facing
 * interface (tests/unit/virtio_drv.h) over a buffer image: config space,
 * IN/OUT/FLUSH (a host sync)/GET_ID, DISCARD and WRITE_ZEROES (their
 * ranges, flags and the fallbacks of a host without fallocate), the error
 * statuses (range, length, read-only, short header, unsupported type, bad
 * data buffer, failed host I/O and sync) and the protocol violations (no
 * status byte, status byte outside RAM).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "virtio_drv.h"

extern const struct dev_reg dev_reg_virtio_blk;

#define DISK (64 * 512 + 100) /* 64 sectors and a tail the guest never sees */
#define HDR VDRV_DATA
#define BUF (VDRV_DATA + 0x100)
#define ST (VDRV_DATA + 0x80)

struct fx {
	struct fuzz_fixture *f;
	struct fuzz_host *h;
	struct dev_ins *ins;
	struct vdrv d;
	uint8_t disk[DISK];
};

static int make(void **state, const char *spec)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (!x || !(x->f = fuzz_fixture_new(NULL, false)))
		return -1;
	x->h = &x->f->h;
	for (unsigned i = 0; i < DISK; i++)
		x->disk[i] = (uint8_t)(i / 512 + 1);
	if (fuzz_stage_file(x->h, 0, x->disk, DISK, false) < 0 ||
	    fuzz_dev_create(x->h, &dev_reg_virtio_blk, false, spec, &x->ins) < 0)
		return -1;
	*state = x;
	return vdrv_init(&x->d, x->h, x->ins, 1ull << VIRTIO_F_INDIRECT_DESC |
			 1ull << 9 | 1ull << 6 | 1ull << 2 |
			 (spec ? 1ull << 5 : 1ull << 13 | 1ull << 14), 16);
}

static int setup(void **state)
{
	return make(state, NULL);
}

static int setup_ro(void **state)
{
	return make(state, "virtio_blk,ro=1");
}

static int teardown(void **state)
{
	struct fx *x = *state;

	if (x)
		fuzz_fixture_free(x->f);
	free(x);
	return 0;
}

static void hdr(struct fx *x, uint32_t type, uint64_t sector)
{
	uint8_t *p = x->h->mem + HDR;

	memset(p, 0, 16);
	memcpy(p, &type, 4);
	memcpy(p + 8, &sector, 8);
	x->h->mem[ST] = 0xee;
}

/* header, one data buffer (readable for OUT), the status byte; the used
 * length back, status in x->h->mem[ST]. */
static uint32_t req(struct fx *x, uint32_t type, uint64_t sector,
		    uint32_t len, bool data_write)
{
	struct vdrv_seg s[3] = { { HDR, 16, false }, { BUF, len, data_write },
				 { ST, 1, true } };
	uint32_t id, used;

	hdr(x, type, sector);
	if (len)
		vdrv_chain(&x->d, 0, s, 3);
	else
		vdrv_chain(&x->d, 0, (struct vdrv_seg[2]){ s[0], s[2] }, 2);
	vdrv_kick(&x->d, 0);
	assert_true(vdrv_used(&x->d, 0, &id, &used));
	return used;
}

static void test_config(void **state)
{
	struct fx *x = *state;
	uint64_t f = vdrv_dev_features(&x->d);

	assert_int_equal(fuzz_pci_of(x->h, x->ins)->f.device, 0x1042);
	assert_int_equal(fuzz_pci_of(x->h, x->ins)->f.n_caps, 4);
	assert_true(f & 1ull << 9);
	assert_true(f & 1ull << 6);
	assert_true(f & 1ull << 2);
	assert_false(f & 1ull << 5);
	assert_true(f & 1ull << 13); /* DISCARD */
	assert_true(f & 1ull << 14); /* WRITE_ZEROES */
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF, 8), 64);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 4, 4), 0);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 12, 4), 126);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 20, 4), 512);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 32, 4), 0);
	/* discard: max sectors, segments, alignment; write-zeroes: max
	 * sectors, segments, may unmap; nothing past them */
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 36, 4), 65536);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 40, 4), 8);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 44, 4), 8);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 48, 4), 65536);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 52, 4), 8);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 56, 4), 1);
}

static void test_read(void **state)
{
	struct fx *x = *state;

	assert_int_equal(req(x, 0, 3, 1024, true), 1025);
	assert_int_equal(x->h->mem[ST], 0);
	assert_int_equal(x->h->mem[BUF], 4);
	assert_int_equal(x->h->mem[BUF + 1023], 5);
	assert_int_equal(vdrv_irqs(&x->d, 1), 1);
	/* the last sector exactly */
	assert_int_equal(req(x, 0, 63, 512, true), 513);
	assert_int_equal(x->h->mem[ST], 0);
	assert_int_equal(x->h->mem[BUF], 64);
}

static void test_write_flush(void **state)
{
	struct fx *x = *state;

	memset(x->h->mem + BUF, 0x77, 512);
	assert_int_equal(req(x, 1, 10, 512, false), 1);
	assert_int_equal(x->h->mem[ST], 0);
	assert_int_equal(x->disk[10 * 512], 0x77);
	assert_int_equal(x->disk[11 * 512], 12);
	assert_true(fuzz_file_of(x->h, x->ins, 0)->unsynced);
	assert_int_equal(fuzz_file_of(x->h, x->ins, 0)->syncs, 0);
	/* FLUSH is a host sync: the write is durable when it completes */
	assert_int_equal(req(x, 4, 0, 0, false), 1);
	assert_int_equal(x->h->mem[ST], 0);
	assert_int_equal(fuzz_file_of(x->h, x->ins, 0)->syncs, 1);
	assert_false(fuzz_file_of(x->h, x->ins, 0)->unsynced);
}

/* n ranges {sector, num, flags} at BUF, sent as a DISCARD (11) or
 * WRITE_ZEROES (13) request; the status back. */
static uint8_t ranges(struct fx *x, uint32_t type, const uint64_t (*r)[3],
		      unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t num = (uint32_t)r[i][1], fl = (uint32_t)r[i][2];
		memcpy(x->h->mem + BUF + 16 * i, &r[i][0], 8);
		memcpy(x->h->mem + BUF + 16 * i + 8, &num, 4);
		memcpy(x->h->mem + BUF + 16 * i + 12, &fl, 4);
	}
	assert_int_equal(req(x, type, 0, 16 * n, false), 1);
	return x->h->mem[ST];
}

static uint8_t range1(struct fx *x, uint32_t type, uint64_t sector,
		      uint64_t num, uint64_t flags)
{
	const uint64_t r[1][3] = { { sector, num, flags } };

	return ranges(x, type, r, 1);
}

static void test_discard_write_zeroes(void **state)
{
	struct fx *x = *state;
	struct fuzz_file *f = fuzz_file_of(x->h, x->ins, 0);
	const uint64_t two[2][3] = { { 2, 3, 0 }, { 40, 1, 0 } };

	assert_int_equal(ranges(x, 11, two, 2), 0);
	assert_int_equal(f->punches, 2);
	assert_int_equal(x->disk[2 * 512 - 1], 2);
	assert_int_equal(x->disk[2 * 512], 0);
	assert_int_equal(x->disk[5 * 512 - 1], 0);
	assert_int_equal(x->disk[5 * 512], 6);
	assert_int_equal(x->disk[40 * 512 + 511], 0);
	assert_int_equal(x->disk[41 * 512], 42);
	/* write-zeroes, with and without UNMAP, the last sector exactly */
	assert_int_equal(range1(x, 13, 63, 1, 1), 0);
	assert_int_equal(range1(x, 13, 10, 1, 0), 0);
	assert_int_equal(f->zeroes, 2);
	assert_int_equal(x->disk[63 * 512], 0);
	assert_int_equal(x->disk[10 * 512 + 511], 0);
	assert_int_equal(x->disk[DISK - 1], 65); /* the unseen tail */
}

/* Flags, ranges and lengths that are refused, and nothing done. */
static void test_ranges_refused(void **state)
{
	struct fx *x = *state;
	struct fuzz_file *f = fuzz_file_of(x->h, x->ins, 0);
	uint64_t nine[9][3] = { { 0 } };

	for (unsigned i = 0; i < 9; i++)
		nine[i][1] = 1;
	/* UNMAP on a discard, an unknown flag: UNSUPP */
	assert_int_equal(range1(x, 11, 0, 1, 1), 2);
	assert_int_equal(range1(x, 13, 0, 1, 2), 2);
	/* past the capacity, wrapping, over the range limit: IOERR */
	assert_int_equal(range1(x, 11, 63, 2, 0), 1);
	assert_int_equal(range1(x, 13, UINT64_MAX / 512, 1, 0), 1);
	assert_int_equal(range1(x, 13, 0, 65537, 0), 1);
	/* no range, more than 8, a partial one */
	assert_int_equal(ranges(x, 11, (const uint64_t(*)[3])nine, 0), 1);
	assert_int_equal(ranges(x, 11, (const uint64_t(*)[3])nine, 9), 1);
	assert_int_equal(req(x, 13, 0, 20, false), 1);
	assert_int_equal(x->h->mem[ST], 1);
	assert_int_equal(f->punches + f->zeroes, 0);
	assert_int_equal(x->disk[0], 1);
}

/* A host without fallocate (or a device inside wisp): write-zeroes writes
 * zeroes, a discard does nothing and succeeds. */
static void test_ranges_no_fallocate(void **state)
{
	struct fx *x = *state;
	struct fuzz_file *f = fuzz_file_of(x->h, x->ins, 0);

	f->no_falloc = true;
	assert_int_equal(range1(x, 13, 1, 2, 1), 0);
	assert_int_equal(x->disk[512], 0);
	assert_int_equal(x->disk[3 * 512 - 1], 0);
	assert_int_equal(x->disk[3 * 512], 4);
	assert_true(f->unsynced);
	assert_int_equal(range1(x, 11, 5, 1, 0), 0);
	assert_int_equal(x->disk[5 * 512], 6);
}

static void test_get_id(void **state)
{
	struct fx *x = *state;

	memset(x->h->mem + BUF, 0xff, 32);
	assert_int_equal(req(x, 8, 0, 32, true), 21);
	assert_int_equal(x->h->mem[ST], 0);
	assert_string_equal((char *)x->h->mem + BUF, "wisp-0");
	assert_int_equal(x->h->mem[BUF + 19], 0);
	assert_int_equal(x->h->mem[BUF + 20], 0xff);
	/* a shorter buffer gets the start of it */
	assert_int_equal(req(x, 8, 0, 3, true), 4);
	assert_int_equal(x->h->mem[ST], 0);
}

static void test_out_of_range(void **state)
{
	struct fx *x = *state;

	assert_int_equal(req(x, 0, 64, 512, true), 1);
	assert_int_equal(x->h->mem[ST], 1);
	assert_int_equal(req(x, 0, 63, 1024, true), 1);
	assert_int_equal(x->h->mem[ST], 1);
	assert_int_equal(req(x, 1, UINT64_MAX, 512, false), 1);
	assert_int_equal(x->h->mem[ST], 1);
	assert_int_equal(req(x, 0, UINT64_MAX / 512, 512, true), 1);
	assert_int_equal(x->h->mem[ST], 1);
	/* not whole sectors */
	assert_int_equal(req(x, 0, 0, 100, true), 1);
	assert_int_equal(x->h->mem[ST], 1);
	assert_int_equal(req(x, 1, 0, 511, false), 1);
	assert_int_equal(x->h->mem[ST], 1);
	/* the tail past the last whole sector is never reached */
	assert_int_equal(x->disk[DISK - 1], 65);
}

static void test_unsupported_and_short(void **state)
{
	struct fx *x = *state;
	struct vdrv_seg s[2] = { { HDR, 15, false }, { ST, 1, true } };
	uint32_t id, len;

	assert_int_equal(req(x, 99, 0, 512, true), 1); /* no such type */
	assert_int_equal(x->h->mem[ST], 2);
	hdr(x, 0, 0);
	vdrv_chain(&x->d, 0, s, 2); /* a 15-byte header */
	vdrv_kick(&x->d, 0);
	assert_true(vdrv_used(&x->d, 0, &id, &len));
	assert_int_equal(len, 1);
	assert_int_equal(x->h->mem[ST], 1);
}

static void test_bad_data_buffer(void **state)
{
	struct fx *x = *state;
	struct vdrv_seg s[3] = { { HDR, 16, false },
				 { FUZZ_MEM_SIZE - 256, 512, true },
				 { ST, 1, true } };
	uint32_t id, len;

	hdr(x, 0, 0);
	vdrv_chain(&x->d, 0, s, 3);
	vdrv_kick(&x->d, 0);
	assert_true(vdrv_used(&x->d, 0, &id, &len));
	assert_int_equal(x->h->mem[ST], 1);
	assert_int_equal(vdrv_status(&x->d) & VIRTIO_S_NEEDS_RESET, 0);
}

static void test_host_error(void **state)
{
	struct fx *x = *state;

	fuzz_file_of(x->h, x->ins, 0)->fail = -EIO;
	assert_int_equal(req(x, 0, 0, 512, true), 1);
	assert_int_equal(x->h->mem[ST], 1);
	assert_int_equal(req(x, 1, 0, 512, false), 1);
	assert_int_equal(x->h->mem[ST], 1);
	assert_int_equal(req(x, 4, 0, 0, false), 1); /* a failed sync */
	assert_int_equal(x->h->mem[ST], 1);
	assert_int_equal(range1(x, 11, 0, 1, 0), 1);
}

static void test_no_status(void **state)
{
	struct fx *x = *state;
	struct vdrv_seg s[2] = { { HDR, 16, false }, { BUF, 512, false } };

	hdr(x, 1, 0);
	vdrv_chain(&x->d, 0, s, 2);
	vdrv_kick(&x->d, 0);
	assert_true(vdrv_status(&x->d) & VIRTIO_S_NEEDS_RESET);
	assert_int_equal(vdrv_used_idx(&x->d, 0), 0);
	assert_int_equal(x->disk[0], 1); /* nothing was done */
}

static void test_bad_status_buffer(void **state)
{
	struct fx *x = *state;
	struct vdrv_seg s[2] = { { HDR, 16, false },
				 { FUZZ_MEM_SIZE, 1, true } };

	hdr(x, 4, 0);
	vdrv_chain(&x->d, 0, s, 2);
	vdrv_kick(&x->d, 0);
	assert_true(vdrv_status(&x->d) & VIRTIO_S_NEEDS_RESET);
	assert_int_equal(vdrv_used_idx(&x->d, 0), 0);
	assert_int_equal(vdrv_irqs(&x->d, 0), 1); /* config: needs reset */
}

/* A chain through an indirect table, data across three buffers. */
static void test_indirect_multi(void **state)
{
	struct fx *x = *state;
	uint64_t table = VDRV_DATA + 0x4000;
	uint32_t id, len;

	vdrv_desc(&x->d, table, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(&x->d, table, 1, BUF, 100,
		  VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	vdrv_desc(&x->d, table, 2, BUF + 0x1000, 800,
		  VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	vdrv_desc(&x->d, table, 3, BUF + 0x2000, 125, VIRTQ_DESC_F_WRITE, 0);
	vdrv_desc(&x->d, x->d.q[0].desc, 0, table, 64, VIRTQ_DESC_F_INDIRECT, 0);
	hdr(x, 0, 1);
	vdrv_avail(&x->d, 0, 0);
	vdrv_kick(&x->d, 0);
	assert_true(vdrv_used(&x->d, 0, &id, &len));
	assert_int_equal(len, 1025);
	assert_int_equal(x->h->mem[BUF + 0x2000 + 124], 0); /* status */
	assert_int_equal(x->h->mem[BUF + 99], 2);
	assert_int_equal(x->h->mem[BUF + 0x1000 + 799], 3);
	assert_int_equal(x->h->mem[BUF + 0x2000 + 123], 3);
}

static void test_ro(void **state)
{
	struct fx *x = *state;

	assert_true(vdrv_dev_features(&x->d) & 1ull << 5);
	memset(x->h->mem + BUF, 0x77, 512);
	assert_int_equal(req(x, 1, 0, 512, false), 1);
	assert_int_equal(x->h->mem[ST], 1);
	assert_int_equal(x->disk[0], 1);
	assert_int_equal(req(x, 0, 0, 512, true), 513);
	assert_int_equal(x->h->mem[ST], 0);
	/* no DISCARD/WRITE_ZEROES offered, and refused if sent anyway */
	assert_false(vdrv_dev_features(&x->d) & 1ull << 13);
	assert_false(vdrv_dev_features(&x->d) & 1ull << 14);
	assert_int_equal(range1(x, 13, 0, 1, 0), 1);
	assert_int_equal(x->disk[0], 1);
}

static void test_options(void **state)
{
	struct fuzz_fixture *f = fuzz_fixture_new(NULL, false);
	struct dev_ins *ins;

	assert_non_null(f);
	assert_int_equal(fuzz_dev_create(&f->h, &dev_reg_virtio_blk, false,
					 "virtio_blk,ro=2", &ins), -EINVAL);
	/* no image: construct fails */
	assert_int_equal(fuzz_dev_create(&f->h, &dev_reg_virtio_blk, false,
					 NULL, &ins), -EPERM);
	for (unsigned i = 0; i < 8; i++) {
		fuzz_stage_file(&f->h, 0, NULL, 0, false);
		if (i < FUZZ_MAX_DEVS)
			assert_int_equal(fuzz_dev_create(&f->h, &dev_reg_virtio_blk,
							 false, NULL, &ins), 0);
	}
	assert_string_equal(((struct virtio_dev *)ins->priv)->ins->name,
			    "virtio_blk.7");
	fuzz_fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_config),
		T(test_read),
		T(test_write_flush),
		T(test_discard_write_zeroes),
		T(test_ranges_refused),
		T(test_ranges_no_fallocate),
		T(test_get_id),
		T(test_out_of_range),
		T(test_unsupported_and_short),
		T(test_bad_data_buffer),
		T(test_host_error),
		T(test_no_status),
		T(test_bad_status_buffer),
		T(test_indirect_multi),
		cmocka_unit_test_setup_teardown(test_ro, setup_ro, teardown),
		cmocka_unit_test(test_options),
#undef T
	};
	return cmocka_run_group_tests_name("virtio_blk", tests, NULL, NULL);
}
