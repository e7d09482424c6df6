/*
 * tests/unit/test_pm.c - the ACPI power-management registers: S5 with
 * SLP_EN powers off with status 0, other sleep types and writes without
 * SLP_EN do nothing, the reset value reboots, other reset values and every
 * read are harmless, an untrusted instance refuses to run.
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

extern const struct dev_reg dev_reg_pm;

static void create(struct fuzz_host *h)
{
	struct dev_ins *ins = NULL;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_pm, true, NULL, &ins), 0);
}

static void test_s5_powers_off(void **state)
{
	struct fuzz_host *h = *state;

	create(h);
	fuzz_pio_write(h, 0x3c0, 1, 5 << 2); /* SLP_TYP 5 without SLP_EN */
	assert_int_equal(h->poweroff_calls, 0);
	fuzz_pio_write(h, 0x3c0, 1, (5 << 2) | 0x20);
	assert_int_equal(h->poweroff_calls, 1);
	assert_int_equal(h->poweroff_status, 0);
	assert_int_equal(h->reset_calls, 0);
}

static void test_other_sleep_states_ignored(void **state)
{
	struct fuzz_host *h = *state;

	create(h);
	for (unsigned typ = 0; typ < 8; typ++)
		if (typ != 5)
			fuzz_pio_write(h, 0x3c0, 1, (typ << 2) | 0x20);
	assert_int_equal(h->poweroff_calls, 0);
	assert_non_null(strstr(h->last_log, "only S5"));
	assert_int_equal(fuzz_pio_read(h, 0x3c1, 1) & 0x80, 0); /* no WAK_STS */
}

static void test_reset_register(void **state)
{
	struct fuzz_host *h = *state;

	create(h);
	fuzz_pio_write(h, 0x3c2, 1, 0x06);
	fuzz_pio_write(h, 0x3c2, 1, 0x00);
	assert_int_equal(h->reset_calls, 0);
	fuzz_pio_write(h, 0x3c2, 1, 0x01);
	assert_int_equal(h->reset_calls, 1);
	assert_int_equal(h->poweroff_calls, 0);
}

static void test_outside_and_wide(void **state)
{
	struct fuzz_host *h = *state;

	create(h);
	fuzz_pio_write(h, 0x3bf, 1, 0xff);
	fuzz_pio_write(h, 0x3c4, 1, 0x01);
	fuzz_pio_write(h, 0x3c3, 2, 0x01); /* runs past the last port */
	assert_int_equal(h->reset_calls + h->poweroff_calls, 0);
	assert_int_equal(fuzz_pio_read(h, 0x3c0, 1), 0);
	assert_int_equal(fuzz_pio_read(h, 0x3c2, 1), 0);
}

/* The power button (the control socket's stop): the event bit and GSI 9
 * until the guest's GED handler writes the bit back; a write of other
 * bits, or before a press, changes nothing. */
static void test_power_button(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = NULL;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_pm, true, NULL, &ins), 0);
	fuzz_pio_write(h, 0x3c3, 1, 0x01);
	assert_int_equal(h->irqs[9].sets, 0);
	assert_int_equal(dev_reg_pm.ops->power_button(ins), 0);
	assert_true(h->irqs[9].level);
	assert_int_equal(fuzz_pio_read(h, 0x3c3, 1), 0x01);
	fuzz_pio_write(h, 0x3c3, 1, 0xfe);
	assert_true(h->irqs[9].level);
	fuzz_pio_write(h, 0x3c3, 1, 0x01);
	assert_false(h->irqs[9].level);
	assert_int_equal(fuzz_pio_read(h, 0x3c3, 1), 0);
	assert_int_equal(h->poweroff_calls, 0); /* the guest decides */
	assert_int_equal(dev_reg_pm.ops->power_button(ins), 0);
	dev_reg_pm.ops->reset(ins);
	assert_false(h->irqs[9].level);
}

static void test_refuses_untrusted(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_pm, false, NULL, &ins),
			 -EPERM);
	assert_non_null(strstr(h->last_log, "trusted"));
	fuzz_pio_write(h, 0x3c0, 1, (5 << 2) | 0x20);
	assert_int_equal(h->poweroff_calls, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fuzz_fixture_setup_empty, \
						 fuzz_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_s5_powers_off), T(test_other_sleep_states_ignored),
		T(test_reset_register), T(test_outside_and_wide),
		T(test_power_button), T(test_refuses_untrusted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
