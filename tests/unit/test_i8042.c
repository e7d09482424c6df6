/*
 * tests/unit/test_i8042.c - the keyboard controller through ports 0x60 and
 * 0x64: what Linux's probe reads, and both reset paths reaching vm_reset.
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

extern const struct dev_reg dev_reg_i8042;

#define DATA 0x60
#define CMD 0x64
#define STS_OBF 0x01
#define STS_SYS 0x04
#define STS_AUXOBF 0x20
#define STS_TIMEOUT 0x40

static int setup(void **state)
{
	*state = fuzz_fixture_new(&dev_reg_i8042, true);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	fuzz_fixture_free(*state);
	return 0;
}

static unsigned status(struct fuzz_fixture *c)
{
	return (unsigned)fuzz_pio_read(&c->h, CMD, 1);
}

static unsigned data(struct fuzz_fixture *c)
{
	return (unsigned)fuzz_pio_read(&c->h, DATA, 1);
}

static void cmd(struct fuzz_fixture *c, unsigned v)
{
	fuzz_pio_write(&c->h, CMD, 1, v);
}

static void put(struct fuzz_fixture *c, unsigned v)
{
	fuzz_pio_write(&c->h, DATA, 1, v);
}

/* Send a command and read the one byte it answers. */
static unsigned query(struct fuzz_fixture *c, unsigned v)
{
	cmd(c, v);
	assert_true(status(c) & STS_OBF);
	unsigned r = data(c);
	assert_false(status(c) & STS_OBF);
	return r;
}

static void test_self_test(void **state)
{
	struct fuzz_fixture *c = *state;

	assert_int_equal(status(c) & (STS_OBF | 0x02), 0); /* no data, IBF 0 */
	assert_int_equal(query(c, 0xaa), 0x55);
	assert_true(status(c) & STS_SYS);
	assert_int_equal(query(c, 0xab), 0x00); /* keyboard interface */
	assert_int_equal(query(c, 0xa9), 0x00); /* aux interface */
	assert_int_equal(c->h.reset_calls, 0);
}

static void test_command_byte(void **state)
{
	struct fuzz_fixture *c = *state;

	assert_int_equal(query(c, 0x20), 0x47);
	cmd(c, 0x60);
	put(c, 0x45);
	assert_false(status(c) & STS_OBF);
	assert_int_equal(query(c, 0x20), 0x45);
	cmd(c, 0x60);
	put(c, 0x41); /* SYS bit clear: the status flag follows */
	assert_false(status(c) & STS_SYS);
	cmd(c, 0xad);
	assert_int_equal(query(c, 0x20), 0x51);
	cmd(c, 0xa7);
	assert_int_equal(query(c, 0x20), 0x71);
	cmd(c, 0xae);
	assert_int_equal(query(c, 0x20), 0x61);
	cmd(c, 0xa8);
	assert_int_equal(query(c, 0x20), 0x41);
	/* Other controller RAM bytes round-trip too. */
	cmd(c, 0x65);
	put(c, 0x12);
	assert_int_equal(query(c, 0x25), 0x12);
	assert_int_equal(query(c, 0x20), 0x41);
}

static void test_aux_loop_and_absent_devices(void **state)
{
	struct fuzz_fixture *c = *state;

	cmd(c, 0xd3); /* Linux's AUX loop test wants AUXDATA set */
	put(c, 0x5a);
	assert_int_equal(status(c) & (STS_OBF | STS_AUXOBF),
			 STS_OBF | STS_AUXOBF);
	assert_int_equal(data(c), 0x5a);
	cmd(c, 0xd2);
	put(c, 0xa5);
	assert_int_equal(status(c) & (STS_OBF | STS_AUXOBF), STS_OBF);
	assert_int_equal(data(c), 0xa5);
	put(c, 0xff); /* to the keyboard, which is not there */
	assert_true(status(c) & STS_TIMEOUT);
	assert_false(status(c) & STS_OBF);
	cmd(c, 0xd4);
	assert_false(status(c) & STS_TIMEOUT); /* a new command clears it */
	put(c, 0xf4);
	assert_true(status(c) & STS_TIMEOUT);
}

static void test_reset_by_command(void **state)
{
	struct fuzz_fixture *c = *state;

	cmd(c, 0xff); /* pulses nothing: bit 0 set */
	assert_int_equal(c->h.reset_calls, 0);
	cmd(c, 0xfe);
	assert_int_equal(c->h.reset_calls, 1);
	assert_int_equal(c->h.poweroff_calls, 0);
	assert_non_null(strstr(c->h.last_log, "guest reset: command 0xfe"));
}

static void test_reset_by_output_port(void **state)
{
	struct fuzz_fixture *c = *state;

	assert_int_equal(query(c, 0xd0), 0x03); /* reset inactive, A20 on */
	cmd(c, 0xd1);
	put(c, 0x01); /* A20 off, reset still inactive */
	assert_int_equal(c->h.reset_calls, 0);
	assert_int_equal(query(c, 0xd0), 0x01);
	cmd(c, 0xd1);
	put(c, 0x02);
	assert_int_equal(c->h.reset_calls, 1);
	/* The byte after is a keyboard byte again, not another port write. */
	put(c, 0x00);
	assert_int_equal(c->h.reset_calls, 1);
}

static void test_refuses_untrusted(void **state)
{
	struct fuzz_host *h = malloc(sizeof(*h));
	struct dev_ins *ins = NULL;

	assert_non_null(h);
	fuzz_host_init(h);
	assert_int_equal(fuzz_dev_create(h, &dev_reg_i8042, false, NULL, &ins),
			 -EPERM);
	assert_int_equal(h->log_lines[DEV_LOG_ERR], 1);
	assert_non_null(strstr(h->last_log, "trusted"));
	assert_int_equal(fuzz_pio_read(h, CMD, 1), 0xff); /* nothing claimed */
	assert_int_equal(h->n_ranges, 0);
	fuzz_host_fini(h);
	free(h);
}

static void test_reset_op(void **state)
{
	struct fuzz_fixture *c = *state;

	cmd(c, 0x60);
	put(c, 0x00);
	cmd(c, 0xd1); /* a half-finished command is forgotten on reset */
	fuzz_dev_reset(&c->h, c->ins);
	put(c, 0x00);
	assert_int_equal(c->h.reset_calls, 0);
	assert_int_equal(query(c, 0x20), 0x47);
	assert_int_equal(fuzz_pio_read(&c->h, DATA, 2), 0xffff); /* 1-byte port */
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_self_test),
		T(test_command_byte),
		T(test_aux_loop_and_absent_devices),
		T(test_reset_by_command),
		T(test_reset_by_output_port),
		T(test_reset_op),
		cmocka_unit_test(test_refuses_untrusted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
