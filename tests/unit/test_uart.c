/*
 * tests/unit/test_uart.c - the 16550A through its ports, as a guest sees it,
 * with the fuzz helper table as the VM: console output and input, the irq
 * line and the clock are all the table's records.
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

extern const struct dev_reg dev_reg_uart;

#define COM1 0x3f8
#define IRQ4 4
enum { RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR };
#define FCR IIR
#define THR RBR

static int setup(void **state)
{
	*state = fuzz_fixture_new(&dev_reg_uart, false);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	fuzz_fixture_free(*state);
	return 0;
}

static unsigned rd(struct fuzz_fixture *c, unsigned reg)
{
	return (unsigned)fuzz_pio_read(&c->h, COM1 + reg, 1);
}

static void wr(struct fuzz_fixture *c, unsigned reg, unsigned v)
{
	fuzz_pio_write(&c->h, COM1 + reg, 1, v);
}

static bool line(struct fuzz_fixture *c)
{
	return c->h.irqs[IRQ4].level;
}

static void input(struct fuzz_fixture *c, const char *s)
{
	fuzz_chr_input(&c->h, c->ins, (const uint8_t *)s, strlen(s));
}

static void assert_power_on(struct fuzz_fixture *c)
{
	assert_int_equal(rd(c, LSR), 0x60);
	assert_int_equal(rd(c, IIR), 0x01);
	assert_int_equal(rd(c, IER), 0);
	assert_int_equal(rd(c, LCR), 0);
	assert_int_equal(rd(c, MCR), 0);
	assert_int_equal(rd(c, MSR), 0xb0); /* CTS, DSR, DCD; no deltas */
	assert_int_equal(rd(c, SCR), 0);
	assert_false(line(c));
}

static void test_power_on_and_reset(void **state)
{
	struct fuzz_fixture *c = *state;

	assert_power_on(c);
	assert_ptr_equal(c->h.irqs[IRQ4].owner, c->ins);
	wr(c, LCR, 0x83);
	wr(c, FCR, 0xc7);
	wr(c, MCR, 0x0b);
	wr(c, SCR, 0x77);
	wr(c, LCR, 0x03);
	wr(c, IER, 0x0f);
	input(c, "xy");
	assert_true(line(c));
	fuzz_dev_reset(&c->h, c->ins);
	assert_power_on(c); /* the reset op also lowered the line */
}

static void test_transmit(void **state)
{
	struct fuzz_fixture *c = *state;
	const struct fuzz_dev *d = fuzz_dev_of(&c->h, c->ins);

	wr(c, THR, 'h');
	wr(c, THR, 'i');
	assert_int_equal(d->out_len, 2);
	assert_memory_equal(d->out, "hi", 2);
	assert_int_equal(rd(c, LSR), 0x60); /* sent at once */
	/* A 2-byte write is two byte writes: THR then IER. */
	fuzz_pio_write(&c->h, COM1, 2, 0x0021);
	assert_int_equal(d->out_len, 3);
	assert_int_equal(d->out[2], '!');
	assert_int_equal(rd(c, IER), 0);
}

/* A full console holds the byte in THR with THRE and TEMT clear, and the
 * guest's THRE interrupt waits too, until the console has room again. */
static void test_transmit_console_full(void **state)
{
	struct fuzz_fixture *c = *state;
	const struct fuzz_dev *d = fuzz_dev_of(&c->h, c->ins);

	wr(c, MCR, 0x08);
	wr(c, IER, 0x02);
	assert_int_equal(rd(c, IIR), 0x02); /* THR empty: acknowledged */
	fuzz_chr_room(&c->h, c->ins, 1);
	wr(c, THR, 'a');
	assert_int_equal(rd(c, LSR), 0x60);
	assert_int_equal(rd(c, IIR), 0x02);
	wr(c, THR, 'b'); /* the console is full now */
	assert_int_equal(rd(c, LSR), 0x00);
	assert_int_equal(rd(c, LSR), 0x00); /* and stays clear */
	assert_false(line(c));
	assert_int_equal(rd(c, IIR), 0x01);
	wr(c, THR, 'c'); /* FIFOs off: THR is full, the byte is lost */
	fuzz_chr_room(&c->h, c->ins, 0);
	assert_int_equal(d->tx_calls, 0);
	assert_int_equal(rd(c, LSR), 0x00);
	fuzz_chr_room(&c->h, c->ins, FUZZ_ROOM_ANY);
	assert_int_equal(d->tx_calls, 1);
	assert_int_equal(rd(c, LSR), 0x60);
	assert_true(line(c)); /* THR emptied: THRE interrupt */
	assert_int_equal(d->out_len, 2);
	assert_memory_equal(d->out, "ab", 2);
}

/* With FIFOs on, 16 bytes wait in the TX FIFO; a console that takes some
 * leaves THRE clear until it took the last. */
static void test_transmit_fifo_full(void **state)
{
	struct fuzz_fixture *c = *state;
	const struct fuzz_dev *d = fuzz_dev_of(&c->h, c->ins);
	const char *msg = "0123456789abcdefX";

	wr(c, FCR, 0x01);
	fuzz_chr_room(&c->h, c->ins, 0);
	for (const char *p = msg; *p; p++)
		wr(c, THR, (unsigned char)*p); /* the 17th finds it full */
	assert_int_equal(d->out_len, 0);
	assert_int_equal(rd(c, LSR), 0x00);
	fuzz_chr_room(&c->h, c->ins, 5);
	assert_int_equal(d->out_len, 5);
	assert_int_equal(rd(c, LSR), 0x00);
	wr(c, THR, 'g'); /* room for one more behind the 11 held */
	fuzz_chr_room(&c->h, c->ins, FUZZ_ROOM_ANY);
	assert_int_equal(d->tx_calls, 2);
	assert_int_equal(rd(c, LSR), 0x60);
	assert_int_equal(d->out_len, 17);
	assert_memory_equal(d->out, "0123456789abcdefg", 17);
}

/* FCR's TX reset drops what the console has not taken: THR is empty. */
static void test_transmit_fifo_clear(void **state)
{
	struct fuzz_fixture *c = *state;
	const struct fuzz_dev *d = fuzz_dev_of(&c->h, c->ins);

	wr(c, FCR, 0x01);
	fuzz_chr_room(&c->h, c->ins, 0);
	wr(c, THR, 'x');
	assert_int_equal(rd(c, LSR), 0x00);
	wr(c, FCR, 0x05);
	assert_int_equal(rd(c, LSR), 0x60);
	fuzz_chr_room(&c->h, c->ins, FUZZ_ROOM_ANY);
	wr(c, THR, 'y');
	assert_int_equal(d->out_len, 1);
	assert_int_equal(d->out[0], 'y');
}

static void test_thre_interrupt(void **state)
{
	struct fuzz_fixture *c = *state;

	wr(c, MCR, 0x08);
	assert_false(line(c));
	wr(c, IER, 0x02); /* 0->1 with THR empty: raised */
	assert_true(line(c));
	assert_int_equal(c->h.irqs[IRQ4].rises, 1);
	assert_int_equal(rd(c, IIR), 0x02); /* reading it acknowledges */
	assert_false(line(c));
	assert_int_equal(rd(c, IIR), 0x01);
	wr(c, IER, 0x02); /* 1->1: no new interrupt */
	assert_int_equal(rd(c, IIR), 0x01);
	wr(c, THR, 'a'); /* THR empties again at once */
	assert_true(line(c));
	assert_int_equal(c->h.irqs[IRQ4].rises, 2);
	wr(c, IER, 0x00);
	assert_false(line(c));
	assert_int_equal(rd(c, IIR), 0x01);
	wr(c, IER, 0x02);
	assert_int_equal(rd(c, IIR), 0x02);
}

static void test_rda(void **state)
{
	struct fuzz_fixture *c = *state;

	wr(c, MCR, 0x08);
	wr(c, IER, 0x01);
	assert_false(line(c));
	input(c, "A");
	assert_true(line(c));
	assert_int_equal(rd(c, LSR), 0x61);
	assert_int_equal(rd(c, IIR), 0x04); /* reading IIR does not clear RDA */
	assert_int_equal(rd(c, IIR), 0x04);
	assert_int_equal(rd(c, RBR), 'A');
	assert_false(line(c));
	assert_int_equal(rd(c, IIR), 0x01);
	assert_int_equal(rd(c, LSR), 0x60);
	assert_int_equal(rd(c, RBR), 'A'); /* an empty RBR repeats itself */
}

static void test_fifo_trigger_and_timeout(void **state)
{
	struct fuzz_fixture *c = *state;

	wr(c, LCR, 0x80); /* 115200 8N1: 10 bits at 8680 ns */
	wr(c, RBR, 1);
	wr(c, IER, 0);
	wr(c, LCR, 0x03);
	wr(c, FCR, 0x81); /* FIFO on, trigger 8 */
	wr(c, MCR, 0x08);
	wr(c, IER, 0x01);
	assert_int_equal(rd(c, IIR), 0xc1);
	input(c, "abc");
	assert_int_equal(rd(c, IIR), 0xc1); /* below the trigger level */
	fuzz_advance(&c->h, 300000);        /* < 4 characters (347220 ns) */
	assert_false(line(c));
	fuzz_advance(&c->h, 50000);
	assert_int_equal(rd(c, IIR), 0xcc); /* character timeout */
	assert_true(line(c));
	assert_int_equal(rd(c, RBR), 'a'); /* a read clears it... */
	assert_int_equal(rd(c, IIR), 0xc1);
	assert_false(line(c));
	fuzz_advance(&c->h, 347300); /* ...and restarts the 4 characters */
	assert_int_equal(rd(c, IIR), 0xcc);
	input(c, "defghi"); /* 8 in the FIFO: the trigger level */
	assert_int_equal(rd(c, RBR), 'b');
	assert_int_equal(rd(c, IIR), 0xc1); /* 7 left */
	input(c, "j");
	assert_int_equal(rd(c, IIR), 0xc4);
	/* A late expiry of the old deadline must not fire early. */
	assert_int_equal(fuzz_timer_fire(&c->h, c->ins, 0), 0);
	assert_int_equal(rd(c, IIR), 0xc4);
}

static void test_overrun(void **state)
{
	struct fuzz_fixture *c = *state;
	char got[17] = "";

	wr(c, FCR, 0x01);
	wr(c, MCR, 0x10); /* loopback: the guest can outrun itself */
	for (int i = 0; i < 17; i++)
		wr(c, THR, 'a' + i);
	assert_int_equal(fuzz_dev_of(&c->h, c->ins)->out_len, 0);
	assert_int_equal(rd(c, LSR), 0x63); /* DR|OE|THRE|TEMT */
	assert_int_equal(rd(c, LSR), 0x61); /* reading LSR cleared OE */
	for (int i = 0; i < 16; i++)
		got[i] = (char)rd(c, RBR);
	assert_string_equal(got, "abcdefghijklmnop"); /* the 17th was lost */
	assert_int_equal(rd(c, LSR), 0x60);
	/* Without FIFOs the holding register is overwritten. */
	wr(c, FCR, 0x00);
	wr(c, THR, 'x');
	wr(c, THR, 'y');
	assert_int_equal(rd(c, LSR), 0x63);
	assert_int_equal(rd(c, RBR), 'y');
	assert_int_equal(rd(c, LSR), 0x60);
}

static void test_loopback_msr(void **state)
{
	struct fuzz_fixture *c = *state;

	wr(c, MCR, 0x1a); /* LOOP|OUT2|RTS: Linux's autoconfig test */
	assert_int_equal(rd(c, MSR), 0x92); /* CTS|DCD, DSR dropped */
	assert_int_equal(rd(c, MSR), 0x90); /* deltas cleared by the read */
	wr(c, MCR, 0x1f);
	assert_int_equal(rd(c, MSR), 0xf2); /* RI rising: no TERI */
	wr(c, MCR, 0x1b);
	assert_int_equal(rd(c, MSR), 0xb4); /* RI falling: TERI */
	wr(c, IER, 0x08);
	wr(c, MCR, 0x19);
	assert_int_equal(rd(c, IIR), 0x00); /* modem status */
	assert_int_equal(rd(c, MSR), 0xa1);
	assert_int_equal(rd(c, IIR), 0x01);
	wr(c, THR, 'z');
	assert_int_equal(rd(c, RBR), 'z');
	assert_int_equal(fuzz_dev_of(&c->h, c->ins)->out_len, 0);
	wr(c, MCR, 0x00);
	assert_int_equal(rd(c, MSR), 0xb1); /* the terminal is back */
}

static void test_dlab(void **state)
{
	struct fuzz_fixture *c = *state;

	wr(c, IER, 0x05);
	wr(c, LCR, 0x83);
	wr(c, RBR, 0x0c);
	wr(c, IER, 0x01);
	assert_int_equal(rd(c, RBR), 0x0c);
	assert_int_equal(rd(c, IER), 0x01);
	assert_int_equal(fuzz_dev_of(&c->h, c->ins)->out_len, 0);
	wr(c, LCR, 0x03);
	assert_int_equal(rd(c, IER), 0x05); /* IER untouched by DLM writes */
	assert_int_equal(rd(c, LCR), 0x03);
	wr(c, LCR, 0x80);
	assert_int_equal(rd(c, RBR), 0x0c); /* the divisor survives */
	assert_int_equal(rd(c, IER), 0x01);
	wr(c, IER, 0xff);
	wr(c, LCR, 0x00);
	assert_int_equal(rd(c, IER), 0x05);
	wr(c, IER, 0xff);
	assert_int_equal(rd(c, IER), 0x0f); /* the upper nibble is 0 */
}

static void test_iir_priority(void **state)
{
	struct fuzz_fixture *c = *state;

	wr(c, FCR, 0x01);
	wr(c, MCR, 0x10); /* loopback: lines drop, MSR deltas latch */
	for (int i = 0; i < 17; i++)
		wr(c, THR, i);
	wr(c, IER, 0x0f); /* RLS, RDA, THRE and MSR all pending */
	assert_int_equal(rd(c, IIR), 0xc6);
	assert_int_equal(rd(c, IIR), 0xc6);
	rd(c, LSR);
	assert_int_equal(rd(c, IIR), 0xc4);
	for (int i = 0; i < 16; i++)
		rd(c, RBR);
	assert_int_equal(rd(c, IIR), 0xc2); /* acknowledged by this read */
	assert_int_equal(rd(c, IIR), 0xc0);
	assert_int_equal(rd(c, MSR), 0x0b);
	assert_int_equal(rd(c, IIR), 0xc1);
}

static void test_out2_gates_irq(void **state)
{
	struct fuzz_fixture *c = *state;

	wr(c, IER, 0x02);
	assert_int_equal(rd(c, IIR), 0x02);
	wr(c, IER, 0x00);
	wr(c, IER, 0x02);
	assert_false(line(c)); /* pending, but OUT2 is off */
	wr(c, MCR, 0x08);
	assert_true(line(c));
	wr(c, MCR, 0x18); /* loopback forces OUT2's pin inactive */
	assert_false(line(c));
	wr(c, MCR, 0x08);
	assert_true(line(c));
	assert_int_equal(c->h.irqs[IRQ4].rises, 2);
	/* Driven only on change. */
	unsigned sets = c->h.irqs[IRQ4].sets;
	wr(c, SCR, 1);
	wr(c, MCR, 0x0b);
	assert_int_equal(c->h.irqs[IRQ4].sets, sets);
}

static void test_rx_flow_control(void **state)
{
	struct fuzz_fixture *c = *state;
	const struct fuzz_dev *d = fuzz_dev_of(&c->h, c->ins);
	char got[21] = "";

	wr(c, FCR, 0x01);
	input(c, "ABCDEFGHIJKLMNOPQRST");
	assert_int_equal(fuzz_chr_held(&c->h, c->ins), 4); /* 16 fit */
	assert_int_equal(d->rx_ready_calls, 0);
	got[0] = (char)rd(c, RBR); /* room: the UART asks for more */
	assert_int_equal(d->rx_ready_calls, 1);
	assert_int_equal(fuzz_chr_held(&c->h, c->ins), 3);
	for (int i = 1; i < 20; i++)
		got[i] = (char)rd(c, RBR);
	assert_string_equal(got, "ABCDEFGHIJKLMNOPQRST"); /* nothing lost */
	assert_int_equal(fuzz_chr_held(&c->h, c->ins), 0);
	assert_int_equal(rd(c, LSR), 0x60);
}

static void test_rx_without_fifo_and_in_loopback(void **state)
{
	struct fuzz_fixture *c = *state;

	input(c, "xyz"); /* no FIFO: one byte at a time */
	assert_int_equal(fuzz_chr_held(&c->h, c->ins), 2);
	assert_int_equal(rd(c, RBR), 'x');
	assert_int_equal(rd(c, RBR), 'y');
	assert_int_equal(rd(c, RBR), 'z');
	assert_int_equal(rd(c, LSR), 0x60);
	wr(c, MCR, 0x10); /* loopback disconnects the receiver */
	input(c, "q");
	assert_int_equal(fuzz_chr_held(&c->h, c->ins), 1);
	assert_int_equal(rd(c, LSR), 0x60);
	wr(c, MCR, 0x00);
	assert_int_equal(fuzz_chr_held(&c->h, c->ins), 0);
	assert_int_equal(rd(c, RBR), 'q');
}

static void test_multibyte_and_edges(void **state)
{
	struct fuzz_fixture *c = *state;

	fuzz_pio_write(&c->h, COM1 + LCR, 2, 0x0b03); /* LCR, MCR */
	assert_int_equal(rd(c, LCR), 0x03);
	assert_int_equal(rd(c, MCR), 0x0b);
	assert_int_equal(fuzz_pio_read(&c->h, COM1 + MCR, 2), 0x600b);
	assert_int_equal(fuzz_pio_read(&c->h, COM1 + LSR, 4), 0xffffffff);
	assert_int_equal(fuzz_pio_read(&c->h, COM1 - 1, 2), 0xffff);
	fuzz_pio_write(&c->h, COM1 + SCR, 1, 0x1234);
	assert_int_equal(rd(c, SCR), 0x34);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_power_on_and_reset),
		T(test_transmit),
		T(test_transmit_console_full),
		T(test_transmit_fifo_full),
		T(test_transmit_fifo_clear),
		T(test_thre_interrupt),
		T(test_rda),
		T(test_fifo_trigger_and_timeout),
		T(test_overrun),
		T(test_loopback_msr),
		T(test_dlab),
		T(test_iir_priority),
		T(test_out2_gates_irq),
		T(test_rx_flow_control),
		T(test_rx_without_fifo_and_in_loopback),
		T(test_multibyte_and_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
