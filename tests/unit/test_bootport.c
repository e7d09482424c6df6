/*
 * tests/unit/test_bootport.c - the boot debug port through its guest-facing
 * interface: every byte written reaches the helper table's log once, with
 * the time since wisp started in ms (the table's ratelimit, not the
 * device, bounds what is printed); reads give the last byte.
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

extern const struct dev_reg dev_reg_bootport;

static struct dev_ins *create(struct fuzz_host *h, const char *spec)
{
	struct dev_ins *ins = NULL;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_bootport, false, spec,
					 &ins), 0);
	return ins;
}

static void test_logs_code_and_ms(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	fuzz_advance(h, 1500000000ull + 999999); /* 1500.999999 ms */
	fuzz_pio_write(h, 0x80, 1, 0x42);
	assert_int_equal(h->log_lines[DEV_LOG_INFO], 1);
	assert_string_equal(h->last_log, "code 0x42 at 1500 ms");
	fuzz_advance(h, 1);
	fuzz_pio_write(h, 0x80, 1, 0x07);
	assert_string_equal(h->last_log, "code 0x07 at 1501 ms");
}

static void test_reads_last(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = create(h, NULL);

	assert_int_equal(fuzz_pio_read(h, 0x80, 1), 0xff);
	fuzz_pio_write(h, 0x80, 1, 0x00);
	assert_int_equal(fuzz_pio_read(h, 0x80, 1), 0x00);
	fuzz_pio_write(h, 0x80, 1, 0x5a);
	assert_int_equal(fuzz_pio_read(h, 0x80, 1), 0x5a);
	fuzz_dev_reset(h, ins);
	assert_int_equal(fuzz_pio_read(h, 0x80, 1), 0xff);
}

/* One log call per write: the device neither drops nor multiplies. */
static void test_every_write_logged_once(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	for (unsigned i = 0; i < 1000; i++)
		fuzz_pio_write(h, 0x80, 1, i);
	assert_int_equal(h->log_lines[DEV_LOG_INFO], 1000);
	assert_string_equal(h->last_log, "code 0xe7 at 0 ms");
	assert_int_equal(fuzz_pio_read(h, 0x80, 1), 0xe7);
}

static void test_outside_and_wide(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	fuzz_pio_write(h, 0x7f, 1, 1);
	fuzz_pio_write(h, 0x81, 1, 1);
	fuzz_pio_write(h, 0x80, 2, 0x1234); /* runs past the port */
	fuzz_pio_write(h, 0x80, 4, 0x1234);
	assert_int_equal(h->log_lines[DEV_LOG_INFO], 0);
	assert_int_equal(fuzz_pio_read(h, 0x80, 2), 0xffff);
	assert_int_equal(fuzz_pio_read(h, 0x80, 1), 0xff);
}

static void test_port_option(void **state)
{
	struct fuzz_host *h = *state;

	create(h, "bootport,port=0xed");
	fuzz_pio_write(h, 0x80, 1, 1);
	assert_int_equal(h->log_lines[DEV_LOG_INFO], 0);
	fuzz_pio_write(h, 0xed, 1, 0x99);
	assert_string_equal(h->last_log, "code 0x99 at 0 ms");
}

#define T(f) cmocka_unit_test_setup_teardown(f, fuzz_fixture_setup_empty, \
						 fuzz_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_logs_code_and_ms), T(test_reads_last),
		T(test_every_write_logged_once), T(test_outside_and_wide),
		T(test_port_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
