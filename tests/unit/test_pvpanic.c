/*
 * tests/unit/test_pvpanic.c - the pvpanic port through its guest-facing
 * interface: reads give the supported events, PANICKED ends the VM through
 * vm_panic (never vm_poweroff, which carries guest statuses), CRASH_LOADED
 * and unknown bits are only logged.
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

extern const struct dev_reg dev_reg_pvpanic;

static void create(struct fuzz_host *h, const char *spec)
{
	struct dev_ins *ins = NULL;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_pvpanic, true, spec, &ins),
			 0);
}

static void assert_powers(struct fuzz_host *h, unsigned panics)
{
	assert_int_equal(h->panic_calls, panics);
	assert_int_equal(h->poweroff_calls, 0);
	assert_int_equal(h->reset_calls, 0);
	assert_int_equal(h->fault_calls, 0);
}

/* Linux's driver reads the port and keeps only the events it offers. */
static void test_read_events(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	assert_int_equal(fuzz_pio_read(h, 0x505, 1), 0x03);
	assert_int_equal(fuzz_pio_read(h, 0x504, 1), 0xff); /* not ours */
	assert_int_equal(fuzz_pio_read(h, 0x506, 1), 0xff);
	assert_powers(h, 0);
}

static void test_panicked(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	fuzz_pio_write(h, 0x505, 1, 0x01);
	assert_powers(h, 1);
	fuzz_pio_write(h, 0x505, 1, 0x03); /* both: the panic wins */
	assert_powers(h, 2);
}

static void test_crash_loaded_goes_on(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	fuzz_pio_write(h, 0x505, 1, 0x02);
	assert_powers(h, 0);
	assert_int_equal(h->log_lines[DEV_LOG_WARN], 1);
	assert_non_null(strstr(h->last_log, "crash kernel"));
}

static void test_other_values(void **state)
{
	struct fuzz_host *h = *state;

	create(h, NULL);
	fuzz_pio_write(h, 0x505, 1, 0x00);
	assert_int_equal(h->log_lines[DEV_LOG_WARN], 0);
	fuzz_pio_write(h, 0x505, 1, 0xfc); /* unknown bits only */
	assert_int_equal(h->log_lines[DEV_LOG_WARN], 1);
	assert_non_null(strstr(h->last_log, "0xfc"));
	fuzz_pio_write(h, 0x504, 1, 0x01);
	fuzz_pio_write(h, 0x505, 2, 0x0101); /* straddles the next port */
	fuzz_pio_write(h, 0x506, 1, 0x01);
	assert_powers(h, 0);
	fuzz_pio_write(h, 0x505, 1, 0x85); /* PANICKED among unknown bits */
	assert_powers(h, 1);
}

static void test_port_option(void **state)
{
	struct fuzz_host *h = *state;

	create(h, "pvpanic,port=0x510");
	fuzz_pio_write(h, 0x505, 1, 0x01);
	assert_powers(h, 0);
	assert_int_equal(fuzz_pio_read(h, 0x510, 1), 0x03);
	fuzz_pio_write(h, 0x510, 1, 0x01);
	assert_powers(h, 1);
}

static void test_refuses_untrusted(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_pvpanic, false, NULL, &ins),
			 -EPERM);
	assert_non_null(strstr(h->last_log, "trusted"));
	fuzz_pio_write(h, 0x505, 1, 0x01);
	assert_powers(h, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fuzz_fixture_setup_empty, \
						 fuzz_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_read_events), T(test_panicked),
		T(test_crash_loaded_goes_on), T(test_other_values),
		T(test_port_option), T(test_refuses_untrusted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
