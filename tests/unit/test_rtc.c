/*
 * tests/unit/test_rtc.c - the CMOS clock through ports 0x70/0x71 only: the
 * host's time in BCD, binary and 12-hour modes, UIP's window, setting the
 * time (SET, one field, refused dates), CMOS RAM and the index's NMI bit,
 * C/D, the update and alarm interrupts on IRQ 8, reset.
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

extern const struct dev_reg dev_reg_rtc;

#define S 1000000000ull
/* 2024-02-29 23:59:58 UTC, a Thursday */
#define LEAP_EVE 1709251198ull

static struct dev_ins *create(struct fuzz_host *h, uint64_t wall_ns)
{
	struct dev_ins *ins = NULL;

	h->walltime_ns = wall_ns;
	assert_int_equal(fuzz_dev_create(h, &dev_reg_rtc, false, NULL, &ins), 0);
	return ins;
}

static uint8_t rd(struct fuzz_host *h, uint8_t idx)
{
	fuzz_pio_write(h, 0x70, 1, idx);
	return (uint8_t)fuzz_pio_read(h, 0x71, 1);
}

static void wr(struct fuzz_host *h, uint8_t idx, uint8_t v)
{
	fuzz_pio_write(h, 0x70, 1, idx);
	fuzz_pio_write(h, 0x71, 1, v);
}

/* sec, min, hour, wday, mday, mon, year, century as the guest reads them */
static void assert_time(struct fuzz_host *h, const uint8_t want[8])
{
	static const uint8_t regs[8] = { 0, 2, 4, 6, 7, 8, 9, 0x32 };

	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(rd(h, regs[i]), want[i]);
}

static void test_bcd_default(void **state)
{
	struct fuzz_host *h = *state;

	create(h, LEAP_EVE * S + S / 2);
	assert_int_equal(rd(h, 0x0b), 0x02); /* 24-hour, BCD */
	assert_int_equal(rd(h, 0x0a), 0x26);
	assert_time(h, (const uint8_t[]){ 0x58, 0x59, 0x23, 5, 0x29, 0x02,
					  0x24, 0x20 });
	fuzz_advance(h, 2 * S); /* over midnight into March */
	assert_time(h, (const uint8_t[]){ 0x00, 0x00, 0x00, 6, 0x01, 0x03,
					  0x24, 0x20 });
}

static void test_binary_and_12h(void **state)
{
	struct fuzz_host *h = *state;

	create(h, LEAP_EVE * S);
	wr(h, 0x0b, 0x06); /* binary, 24-hour */
	assert_time(h, (const uint8_t[]){ 58, 59, 23, 5, 29, 2, 24, 20 });
	wr(h, 0x0b, 0x00); /* BCD, 12-hour: 11 PM */
	assert_int_equal(rd(h, 0x04), 0x91);
	fuzz_advance(h, 2 * S); /* 12 AM */
	assert_int_equal(rd(h, 0x04), 0x12);
	fuzz_advance(h, 12 * 3600 * S); /* 12 PM */
	assert_int_equal(rd(h, 0x04), 0x92);
	wr(h, 0x0b, 0x04); /* binary, 12-hour */
	assert_int_equal(rd(h, 0x04), 0x80 | 12);
}

/* On only in the last 244 us of a second, and never while SET holds. */
static void test_uip_window(void **state)
{
	struct fuzz_host *h = *state;

	create(h, LEAP_EVE * S + S - 244001);
	assert_int_equal(rd(h, 0x0a) & 0x80, 0);
	fuzz_advance(h, 1);
	assert_int_equal(rd(h, 0x0a), 0x80 | 0x26);
	fuzz_advance(h, 244000);
	assert_int_equal(rd(h, 0x0a), 0x26);
	fuzz_advance(h, S - 1000);
	wr(h, 0x0a, 0xa6); /* UIP is read-only */
	assert_int_equal(rd(h, 0x0a), 0x80 | 0x26);
	wr(h, 0x0b, 0x82);
	assert_int_equal(rd(h, 0x0a), 0x26);
}

/* As Linux's mc146818_set_time: SET, the fields, SET off. */
static void test_set_time(void **state)
{
	struct fuzz_host *h = *state;
	static const uint8_t regs[] = { 0, 2, 4, 7, 8, 9, 0x32 };
	static const uint8_t val[] = { 0x59, 0x59, 0x23, 0x31, 0x12, 0x31,
				       0x20 };

	create(h, LEAP_EVE * S);
	wr(h, 0x0b, 0x82);
	for (unsigned i = 0; i < sizeof(regs); i++)
		wr(h, regs[i], val[i]);
	assert_int_equal(rd(h, 0x00), 0x59); /* held while SET */
	fuzz_advance(h, 5 * S);
	assert_int_equal(rd(h, 0x00), 0x59);
	wr(h, 0x0b, 0x02);
	assert_time(h, (const uint8_t[]){ 0x59, 0x59, 0x23, 4, 0x31, 0x12,
					  0x31, 0x20 });
	fuzz_advance(h, S); /* the set clock runs on */
	assert_time(h, (const uint8_t[]){ 0x00, 0x00, 0x00, 5, 0x01, 0x01,
					  0x32, 0x20 });
	assert_int_equal(h->log_lines[DEV_LOG_WARN], 0);
}

static void test_one_field(void **state)
{
	struct fuzz_host *h = *state;

	create(h, LEAP_EVE * S);
	wr(h, 0x09, 0x28); /* 2028 is a leap year too */
	assert_time(h, (const uint8_t[]){ 0x58, 0x59, 0x23, 3, 0x29, 0x02,
					  0x28, 0x20 });
	wr(h, 0x32, 0x19);
	assert_int_equal(rd(h, 0x32), 0x19);
	assert_int_equal(rd(h, 0x09), 0x28);
}

/* A date that does not exist is refused; the clock keeps its time. */
static void test_refused_dates(void **state)
{
	struct fuzz_host *h = *state;
	static const uint8_t bad[][2] = {
		{ 0x07, 0x30 }, /* February 30 */
		{ 0x08, 0x13 }, { 0x08, 0x00 }, { 0x07, 0x00 },
		{ 0x04, 0x24 }, { 0x02, 0x60 }, { 0x00, 0x5a }, /* not BCD */
		{ 0x09, 0xa0 }, { 0x32, 0x9a },
	};

	create(h, LEAP_EVE * S);
	for (unsigned i = 0; i < sizeof(bad) / 2; i++) {
		wr(h, 0x0b, 0x82);
		wr(h, bad[i][0], bad[i][1]);
		wr(h, 0x0b, 0x02);
		assert_int_equal(h->log_lines[DEV_LOG_WARN], i + 1);
		assert_time(h, (const uint8_t[]){ 0x58, 0x59, 0x23, 5, 0x29,
						  0x02, 0x24, 0x20 });
	}
	wr(h, 0x0b, 0x00); /* 12-hour: hour 0 and 13 do not exist */
	wr(h, 0x04, 0x00);
	wr(h, 0x04, 0x13);
	assert_int_equal(rd(h, 0x04), 0x91);
}

static void test_ram_and_index(void **state)
{
	struct fuzz_host *h = *state;

	create(h, LEAP_EVE * S);
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			wr(h, (uint8_t)i, (uint8_t)(i ^ 0xa5));
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			assert_int_equal(rd(h, (uint8_t)(i | 0x80)), i ^ 0xa5);
	wr(h, 0x01, 0x33); /* alarm registers are plain bytes */
	assert_int_equal(rd(h, 0x01), 0x33);
	fuzz_pio_write(h, 0x70, 1, 0x8f); /* NMI masked: kept */
	assert_int_equal(fuzz_pio_read(h, 0x70, 1), 0x8f);
	assert_int_equal(fuzz_pio_read(h, 0x71, 1), 0x0f ^ 0xa5);
	fuzz_pio_write(h, 0x70, 2, 0x5a10); /* index, then data */
	assert_int_equal(rd(h, 0x10), 0x5a);
	fuzz_pio_write(h, 0x70, 1, 0x11);
	assert_int_equal(fuzz_pio_read(h, 0x70, 2), 0x11 | (0x11 ^ 0xa5) << 8);
	assert_int_equal(fuzz_pio_read(h, 0x72, 1), 0xff); /* not ours */
}

static void test_c_and_d(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = create(h, LEAP_EVE * S);

	assert_int_equal(rd(h, 0x0d), 0x80);
	wr(h, 0x0d, 0x00);
	wr(h, 0x0c, 0xff);
	assert_int_equal(rd(h, 0x0d), 0x80);
	assert_int_equal(rd(h, 0x0c), 0x00);
	/* No interrupt enabled: no timer runs. */
	assert_false(fuzz_dev_of(h, ins)->timers[0].armed);
	fuzz_advance(h, 10 * S);
	assert_int_equal(rd(h, 0x0c), 0x00);
	assert_int_equal(h->irqs[8].rises, 0);
}

static void test_update_irq(void **state)
{
	struct fuzz_host *h = *state;

	create(h, LEAP_EVE * S + S / 4);
	wr(h, 0x0b, 0x12); /* UIE */
	fuzz_advance(h, S / 2);
	assert_int_equal(h->irqs[8].rises, 0);
	fuzz_advance(h, S / 2); /* the next second began */
	assert_true(h->irqs[8].level);
	assert_int_equal(rd(h, 0x0c), 0x80 | 0x10);
	assert_false(h->irqs[8].level);
	assert_int_equal(rd(h, 0x0c), 0x00);
	fuzz_advance(h, 3 * S);
	assert_int_equal(h->irqs[8].rises, 2); /* level until C is read */
	assert_int_equal(rd(h, 0x0c), 0x90);
	wr(h, 0x0b, 0x92); /* SET clears UIE */
	assert_int_equal(rd(h, 0x0b), 0x82);
}

/* As Linux's cmos_set_alarm: h:m:s in the mode of B, then AIE. */
static void test_alarm_irq(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = create(h, LEAP_EVE * S);

	wr(h, 0x05, 0x00);
	wr(h, 0x03, 0x00);
	wr(h, 0x01, 0x01); /* 00:00:01, 3 s from now */
	wr(h, 0x0b, 0x22);
	fuzz_advance(h, 2 * S);
	assert_int_equal(h->irqs[8].rises, 0);
	assert_int_equal(rd(h, 0x0c), 0x10); /* UF, but no interrupt */
	fuzz_advance(h, S);
	assert_int_equal(h->irqs[8].rises, 1);
	assert_int_equal(rd(h, 0x0c), 0x80 | 0x20 | 0x10);
	wr(h, 0x01, 0xc0); /* any second of 00:00 */
	fuzz_advance(h, S);
	assert_int_equal(rd(h, 0x0c), 0xb0);
	/* Spurious expiries do not make a second. */
	fuzz_timer_fire(h, ins, 0);
	fuzz_timer_fire(h, ins, 0);
	assert_int_equal(rd(h, 0x0c), 0x00);
}

/* The RESET pin: enables and flags clear; time, mode and RAM stay. */
static void test_reset(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = create(h, LEAP_EVE * S);

	wr(h, 0x20, 0x77);
	wr(h, 0x09, 0x28);
	wr(h, 0x0b, 0x7e);
	fuzz_advance(h, S);
	assert_true(h->irqs[8].level);
	fuzz_dev_reset(h, ins);
	assert_false(h->irqs[8].level);
	assert_false(fuzz_dev_of(h, ins)->timers[0].armed);
	assert_int_equal(rd(h, 0x0b), 0x06);
	assert_int_equal(rd(h, 0x0c), 0x00);
	assert_int_equal(rd(h, 0x20), 0x77);
	assert_int_equal(rd(h, 0x09), 28);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fuzz_fixture_setup_empty, \
						 fuzz_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bcd_default), T(test_binary_and_12h), T(test_uip_window),
		T(test_set_time), T(test_one_field), T(test_refused_dates),
		T(test_ram_and_index), T(test_c_and_d), T(test_update_irq),
		T(test_alarm_irq), T(test_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
