/*
 * tests/unit/test_debug_exit.c - the exit port passes the guest's value to
 * vm_poweroff unchanged (capped at INT_MAX); the monitor maps it.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dev.h"
#include "fuzz_hlp.h"

extern const struct dev_reg dev_reg_debug_exit;

static struct dev_ins *create(struct fuzz_host *h, const char *spec)
{
	struct dev_ins *ins = NULL;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_debug_exit, true, spec,
					 &ins), 0);
	return ins;
}

static void assert_exit(struct fuzz_host *h, uint64_t port, unsigned size,
			uint64_t v, int want)
{
	unsigned calls = h->poweroff_calls;

	fuzz_pio_write(h, port, size, v);
	assert_int_equal(h->poweroff_calls, calls + 1);
	assert_int_equal(h->poweroff_status, want);
}

static void test_status_passes(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	assert_exit(h, 0xf4, 1, 0, 0);
	assert_exit(h, 0xf4, 1, 5, 5);
	assert_exit(h, 0xf4, 1, 63, 63);
	assert_exit(h, 0xf4, 1, 64, 64); /* the monitor's call, not ours */
	assert_exit(h, 0xf4, 2, 0x1234, 0x1234);
	assert_exit(h, 0xf4, 4, 0x7fffffff, INT_MAX);
	assert_exit(h, 0xf4, 4, 0xffffffff, INT_MAX);
	assert_exit(h, 0xf6, 1, 3, 3); /* any of the 4 ports */
	assert_exit(h, 0xf6, 2, 9, 9);
	assert_int_equal(h->reset_calls, 0);
}

static void test_reads_and_outside(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	assert_int_equal(fuzz_pio_read(h, 0xf4, 4), 0);
	assert_int_equal(fuzz_pio_read(h, 0xf7, 1), 0);
	fuzz_pio_write(h, 0xf3, 1, 1);
	fuzz_pio_write(h, 0xf8, 1, 1);
	fuzz_pio_write(h, 0xf6, 4, 1); /* runs past the last port */
	fuzz_pio_write(h, 0xf4, 8, 1);
	assert_int_equal(h->poweroff_calls, 0);
}

static void test_port_option(void **state)
{
	struct fuzz_host *h = *state;

	create(h, "debug_exit,port=0x501");
	assert_exit(h, 0x501, 1, 7, 7);
	fuzz_pio_write(h, 0xf4, 1, 1);
	assert_int_equal(h->poweroff_calls, 1);
}

static void test_refuses_untrusted(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_debug_exit, false, NULL,
					 &ins), -EPERM);
	assert_non_null(strstr(h->last_log, "trusted"));
	fuzz_pio_write(h, 0xf4, 1, 1);
	assert_int_equal(h->poweroff_calls, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fuzz_fixture_setup_empty, \
						 fuzz_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_status_passes),
		T(test_reads_and_outside),
		T(test_port_option),
		T(test_refuses_untrusted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
