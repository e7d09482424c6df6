/*
 * tests/unit/test_testdev.c - the test device: exit counter, marks, irq
 * line, and the MMIO scratch page with its alignment rule and access count.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dev.h"
#include "fuzz_hlp.h"

extern const struct dev_reg dev_reg_testdev;

#define PORT 0xe0
#define MMIO 0xd0000000ull
#define COUNT_OFF 0xff8

static struct dev_ins *create(struct fuzz_host *h, const char *spec)
{
	struct dev_ins *ins = NULL;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_testdev, false, spec,
					 &ins), 0);
	return ins;
}

static void test_counter(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	assert_int_equal(fuzz_pio_read(h, PORT, 4), 0);
	for (int i = 0; i < 1000; i++)
		fuzz_pio_write(h, PORT, 4, (uint64_t)i);
	fuzz_pio_write(h, PORT, 1, 0);
	fuzz_pio_write(h, PORT + 1, 1, 0); /* not the counter's offset */
	fuzz_pio_write(h, PORT + 4, 1, 0);
	assert_int_equal(fuzz_pio_read(h, PORT, 4), 1001);
	assert_int_equal(fuzz_pio_read(h, PORT, 1), 1001 & 0xff);
	assert_int_equal(fuzz_pio_read(h, PORT + 1, 1), 0xff);
}

static void test_mark(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	h->now_ns = 123456789;
	fuzz_pio_write(h, PORT + 4, 4, 42);
	assert_string_equal(h->last_log, "mark 42 t=123456789");
	assert_int_equal(h->log_lines[DEV_LOG_INFO], 1);
	assert_int_equal(fuzz_pio_read(h, PORT, 4), 0); /* not counted */
}

static void test_irq(void **state)
{
	struct fuzz_host *h = *state;

	create(h, "testdev,irq=5");
	assert_ptr_not_equal(h->irqs[5].owner, NULL);
	fuzz_pio_write(h, PORT + 5, 1, 1);
	assert_true(h->irqs[5].level);
	fuzz_pio_write(h, PORT + 5, 1, 0);
	assert_false(h->irqs[5].level);
	fuzz_pio_write(h, PORT + 5, 1, 2);
	assert_false(h->irqs[5].level);
	assert_int_equal(h->irqs[5].pulses, 1);
	assert_int_equal(h->irqs[5].rises, 2);
	unsigned warns = h->log_lines[DEV_LOG_WARN];
	fuzz_pio_write(h, PORT + 5, 1, 3);
	assert_int_equal(h->irqs[5].sets, 3);
	assert_int_equal(h->log_lines[DEV_LOG_WARN], warns + 1);
}

static void test_irq_absent(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	for (unsigned g = 0; g < FUZZ_NR_GSI; g++)
		assert_null(h->irqs[g].owner); /* irq has no default */
	fuzz_pio_write(h, PORT + 5, 1, 1);
	assert_int_equal(h->log_lines[DEV_LOG_WARN], 1);
	assert_non_null(strstr(h->last_log, "no irq="));
}

static void test_mmio_sizes(void **state)
{
	struct fuzz_host *h = *state;
	const uint64_t pat = 0x1122334455667788ull;

	create(h, NULL);
	for (unsigned size = 1; size <= 8; size *= 2) {
		uint64_t mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
		uint64_t off = 0x100 * size;
		fuzz_mmio_write(h, MMIO + off, size, pat);
		assert_true(fuzz_mmio_read(h, MMIO + off, size) == (pat & mask));
		assert_true(fuzz_mmio_read(h, MMIO + off, 8) == (pat & mask));
	}
	/* Little-endian: byte 0 is the least significant. */
	fuzz_mmio_write(h, MMIO + 0x800, 8, pat);
	assert_int_equal(fuzz_mmio_read(h, MMIO + 0x800, 1), 0x88);
	assert_int_equal(fuzz_mmio_read(h, MMIO + 0x807, 1), 0x11);
	assert_int_equal(fuzz_mmio_read(h, MMIO + 0x802, 2), 0x5566);
	assert_int_equal(fuzz_mmio_read(h, MMIO + 0x804, 4), 0x11223344);
	fuzz_mmio_write(h, MMIO + 0xfe8, 8, pat); /* the last scratch word */
	assert_true(fuzz_mmio_read(h, MMIO + 0xfe8, 8) == pat);
}

static void test_mmio_unaligned(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	fuzz_mmio_write(h, MMIO + 0x100, 8, 0x0807060504030201ull);
	fuzz_mmio_write(h, MMIO + 0x101, 4, 0xffffffff); /* dropped */
	fuzz_mmio_write(h, MMIO + 0x106, 4, 0xffffffff); /* dropped */
	assert_true(fuzz_mmio_read(h, MMIO + 0x100, 8) == 0x0807060504030201ull);
	assert_true(fuzz_mmio_read(h, MMIO + 0x102, 4) == 0xffffffff);
	assert_true(fuzz_mmio_read(h, MMIO + 0x104, 8) == ~0ull);
	assert_int_equal(fuzz_mmio_read(h, MMIO + 0x101, 2), 0xffff);
	assert_int_equal(fuzz_mmio_read(h, MMIO + 0x101, 1), 0x02); /* fine */
	assert_int_equal(h->log_lines[DEV_LOG_DEBUG], 5);
	assert_non_null(strstr(h->last_log, "(5 so far)"));
}

static void test_mmio_access_count(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	/* The count includes the access reading it. */
	assert_int_equal(fuzz_mmio_read(h, MMIO + COUNT_OFF, 8), 1);
	fuzz_mmio_write(h, MMIO, 4, 1);
	fuzz_mmio_read(h, MMIO + 3, 4); /* unaligned accesses count too */
	fuzz_mmio_write(h, MMIO + COUNT_OFF, 8, 0); /* ignored */
	assert_int_equal(fuzz_mmio_read(h, MMIO + COUNT_OFF, 8), 5);
	assert_int_equal(fuzz_mmio_read(h, MMIO + COUNT_OFF, 4), 6);
	assert_int_equal(fuzz_mmio_read(h, MMIO + COUNT_OFF + 4, 4), 0);
	assert_int_equal(fuzz_mmio_read(h, MMIO + COUNT_OFF, 1), 8);
	/* Outside the page: not the device's, not counted. */
	assert_true(fuzz_mmio_read(h, MMIO + 0x1000, 4) == 0xffffffff);
	assert_true(fuzz_mmio_read(h, MMIO + 0xffc, 8) == ~0ull);
	assert_int_equal(fuzz_mmio_read(h, MMIO + COUNT_OFF, 8), 9);
	assert_int_equal(h->unclaimed, 2);
}

/* A 4-byte write at 0xff0 is the doorbell KVM catches: it never reaches the
 * MMIO callback (not counted as an access); other writes there ring by
 * exit. Only the range's owner may place a doorbell, inside its range. */
static void test_doorbell(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = create(h, NULL);

	for (int i = 0; i < 3; i++)
		fuzz_mmio_write(h, MMIO + 0xff0, 4, 0);
	assert_int_equal(fuzz_mmio_read(h, MMIO + COUNT_OFF, 8), 1);
	assert_int_equal(fuzz_mmio_read(h, MMIO + 0xff0, 8), 3);
	fuzz_mmio_write(h, MMIO + 0xff0, 8, 0); /* another size: by exit */
	fuzz_mmio_write(h, MMIO + 0xff4, 4, 0);
	assert_int_equal(fuzz_mmio_read(h, MMIO + 0xff0, 4), 5);
	assert_int_equal(fuzz_mmio_read(h, MMIO + COUNT_OFF, 8), 6);
	fuzz_dev_reset(h, ins);
	assert_int_equal(fuzz_mmio_read(h, MMIO + 0xff0, 8), 0);
	/* Outside its own range, wrong sizes, after construction: refused. */
	assert_int_equal(ins->hlp->ioevent_register(ins, DEV_SPACE_MMIO,
			 MMIO + 0x1000, 4, NULL, NULL), -EINVAL);
}

static void test_reset_and_options(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = create(h, "testdev,port=0x500,mmio=0x10000");

	fuzz_pio_write(h, 0x500, 4, 1);
	fuzz_mmio_write(h, 0x10008, 8, 77);
	assert_int_equal(fuzz_pio_read(h, 0x500, 4), 1);
	assert_int_equal(fuzz_pio_read(h, PORT, 4), 0xffffffff); /* unclaimed */
	fuzz_dev_reset(h, ins);
	assert_int_equal(fuzz_pio_read(h, 0x500, 4), 0);
	assert_int_equal(fuzz_mmio_read(h, 0x10008, 8), 0);
	assert_int_equal(fuzz_mmio_read(h, 0x10ff8, 8), 2);
	fuzz_dev_destroy(h, ins);
	/* The MMIO window must be page-aligned. */
	assert_int_equal(fuzz_dev_create(h, &dev_reg_testdev, false,
					 "testdev,mmio=0xd0000800", &ins),
			 -EINVAL);
	assert_non_null(strstr(h->last_log, "4 KiB aligned"));
	/* The highest page below 2^52 is accepted, the next one is not. */
	ins = create(h, "testdev,mmio=0xffffffffff000");
	fuzz_mmio_write(h, 0xffffffffff000ull, 4, 9);
	assert_int_equal(fuzz_mmio_read(h, 0xffffffffff000ull, 4), 9);
	fuzz_dev_destroy(h, ins);
	assert_int_equal(fuzz_dev_create(h, &dev_reg_testdev, false,
					 "testdev,mmio=0x10000000000000", &ins),
			 -EINVAL);
	assert_string_equal(h->err, "device testdev: option 'mmio' out of "
				    "range 0x0..0xffffffffff000");
}

/* The dirty-tracking commands at +8 (status), +12 (arg), +16 (result). */
static int32_t dirty_cmd(struct fuzz_host *h, uint32_t cmd, uint32_t arg)
{
	fuzz_pio_write(h, PORT + 12, 4, arg);
	fuzz_pio_write(h, PORT + 8, 4, cmd);
	return (int32_t)fuzz_pio_read(h, PORT + 8, 4);
}

static uint32_t dirty_query(struct fuzz_host *h)
{
	assert_int_equal(dirty_cmd(h, 1, 0), 0);
	return (uint32_t)fuzz_pio_read(h, PORT + 16, 4);
}

static void test_dirty_commands(void **state)
{
	struct fuzz_host *h = *state;
	uint8_t b = 1;

	create(h, "testdev,mmio2=0x200000");
	assert_int_equal(dirty_query(h), 0);
	assert_int_equal(fuzz_guest_write(h, 0x200000 + 3 * 4096, &b, 1), 0);
	assert_int_equal(dirty_cmd(h, 7, 5), 0); /* host write, page 5 */
	assert_int_equal(dirty_query(h), 1u << 3 | 1u << 5);
	assert_int_equal(dirty_cmd(h, 4, 0), 0); /* unmap */
	assert_int_equal(dirty_cmd(h, 4, 0), -ENOENT);
	assert_int_equal(dirty_cmd(h, 7, 0), 0);
	assert_int_equal(dirty_query(h), 0xffffffffu);
	assert_int_equal(dirty_cmd(h, 3, 64), 0); /* map 256 KiB up */
	assert_int_equal(fuzz_guest_write(h, 0x240000 + 4096, &b, 1), 0);
	assert_int_equal(dirty_query(h), 2);
	assert_int_equal(dirty_cmd(h, 6, 0), 0); /* tracking off */
	assert_int_equal(dirty_query(h), 0xffffffffu);
	assert_int_equal(dirty_cmd(h, 5, 0), 0);
	assert_int_equal(dirty_cmd(h, 2, 0), 0); /* reset only */
	assert_int_equal(dirty_query(h), 0);
	assert_int_equal(dirty_cmd(h, 7, 32), -EFAULT); /* past the region */
	assert_int_equal(dirty_cmd(h, 0, 0), -EINVAL);
	/* untrusted: no RAM tracking */
	assert_int_equal(dirty_cmd(h, 8, 0), -EPERM);
}

static void test_dirty_needs_region(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = NULL;

	create(h, NULL);
	assert_int_equal(dirty_cmd(h, 1, 0), -ENODEV);
	assert_int_equal(fuzz_dev_create(h, &dev_reg_testdev, false,
					 "testdev,mmio2=0x200800", &ins),
			 -EBUSY); /* one instance at most */
}

static void test_dirty_ram_trusted(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = NULL;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_testdev, true, NULL,
					 &ins), 0);
	assert_int_equal(dirty_cmd(h, 8, 0), 0);
	assert_int_equal(h->ram_track_calls, 1);
	/* 32 pages from 0 are the fake's whole 128 KiB of RAM; from 1 page
	 * up they run past it */
	assert_int_equal(dirty_cmd(h, 10, 0), 0);
	assert_int_equal(dirty_cmd(h, 10, 1), -EINVAL);
	/* the fake's RAM has no log: the conservative answer */
	uint64_t bm = 0;
	assert_int_equal(ins->hlp->trusted->ram_query(ins, 0, 0x10000, &bm, 8),
			 0);
	assert_int_equal(bm, 0xffff);
	assert_int_equal(ins->hlp->trusted->ram_query(ins, 0, 0x10000, &bm, 16),
			 -EINVAL);
	assert_int_equal(dirty_cmd(h, 11, 1), 0);
	assert_int_equal(h->mem[4096], 0x55);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fuzz_fixture_setup_empty, \
						 fuzz_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_counter),
		T(test_mark),
		T(test_irq),
		T(test_irq_absent),
		T(test_mmio_sizes),
		T(test_mmio_unaligned),
		T(test_mmio_access_count),
		T(test_doorbell),
		T(test_reset_and_options),
		T(test_dirty_commands),
		T(test_dirty_needs_region),
		T(test_dirty_ram_trusted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
