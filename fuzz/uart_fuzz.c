/*
 * fuzz/uart_fuzz.c - libFuzzer target for the 16550A. The device source is
 * included so the invariants can look at its state, not only at what the
 * guest sees; it is linked nowhere else in this binary.
 */
#include <stdlib.h>

#include "fuzz_hlp.h"
#include "uart.c"

static bool iir_legal(uint8_t iir)
{
	uint8_t id = iir & 0x0f;

	return (iir & 0x30) == 0 && ((iir & 0xc0) == 0 || (iir & 0xc0) == 0xc0) &&
	       (id == IIR_NONE || id == IIR_RLSI || id == IIR_CTI ||
		id == IIR_RDI || id == IIR_THRI || id == IIR_MSI);
}

/* What the guest saw: IIR and LSR bytes of a read, when DLAB cannot have
 * remapped them (it never does for offsets 2 and 5). THRE and TEMT say
 * whether the transmitter holds bytes the console has not taken. */
static void check_read(const struct fuzz_op *op, const struct uart *u)
{
	uint64_t base = u->port;
	uint8_t empty = u->tx_count ? 0 : LSR_THRE | LSR_TEMT;

	for (unsigned i = 0; i < op->size; i++) {
		uint64_t reg = op->addr + i - base;
		uint8_t v = (uint8_t)(op->val >> (8 * i));
		if (reg == REG_IIR && !iir_legal(v))
			fuzz_fail("guest read IIR 0x%02x", v);
		if (reg == REG_LSR && (v & (LSR_THRE | LSR_TEMT)) != empty)
			fuzz_fail("guest read LSR 0x%02x with %u bytes to send",
				  v, u->tx_count);
	}
}

static void check_state(struct fuzz_host *h, struct dev_ins *ins,
			const struct uart *u)
{
	uint8_t iir = uart_iir(u);
	bool want = !(iir & IIR_NONE) && uart_irq_gate(u);
	const struct fuzz_dev *d = fuzz_dev_of(h, ins);

	if (!iir_legal(iir) || !!(iir & IIR_FIFO) != uart_fifo_on(u))
		fuzz_fail("IIR 0x%02x with FCR 0x%02x", iir, u->fcr);
	if (u->rx_count > uart_fifo_cap(u) || u->rx_head >= UART_FIFO)
		fuzz_fail("rx count %u head %u", u->rx_count, u->rx_head);
	if (h->irqs[u->gsi].level != want || u->irq_high != want)
		fuzz_fail("irq line %d, want %d (IIR 0x%02x MCR 0x%02x)",
			  h->irqs[u->gsi].level, want, iir, u->mcr);
	if (u->ier & ~IER_MASK || u->mcr & ~MCR_MASK)
		fuzz_fail("IER 0x%02x MCR 0x%02x", u->ier, u->mcr);
	/* Data waiting in the FIFO with no timer running never times out. */
	if (u->timer_armed != d->timers[u->timer].armed ||
	    (uart_fifo_on(u) && u->rx_count && !u->timeout_ipending &&
	     !u->timer_armed))
		fuzz_fail("timeout timer armed %d/%d with %u bytes",
			  u->timer_armed, d->timers[u->timer].armed, u->rx_count);
	/* Bytes held only while the console owes its callback, and that
	 * callback is owed exactly when the UART waits for it. */
	if (u->tx_count > uart_fifo_cap(u) || (u->tx_count && !u->tx_blocked) ||
	    u->tx_blocked != d->tx_owed)
		fuzz_fail("tx holds %u (cap %u), blocked %d, callback owed %d",
			  u->tx_count, uart_fifo_cap(u), u->tx_blocked, d->tx_owed);
	/* Held input with room in the FIFO: chr_rx_ready was never called. */
	if (d->rx_waiting && u->rx_count < uart_fifo_cap(u) &&
	    !(u->mcr & MCR_LOOP))
		fuzz_fail("input starved: %zu held, %u in FIFO", d->pend_len,
			  u->rx_count);
}

static void uart_check(struct fuzz_host *h, struct dev_ins *ins,
		       const struct fuzz_op *op, void *ctx)
{
	const struct uart *u = ins->priv;

	/* A clock step also moves the console's reader: full (room 0) one
	 * time in eight, keeping up one time in eight, else a few bytes. */
	if (op->kind == FUZZ_OP_CLOCK)
		fuzz_chr_room(h, ins, (op->val & 7) == 7 ? FUZZ_ROOM_ANY
							  : (size_t)(op->val & 7));
	if (op->kind == FUZZ_OP_PIO_R && op->rc == 0)
		check_read(op, u);
	if (op->rc == -ENOENT && op->kind == FUZZ_OP_PIO_R &&
	    op->val != (op->size == 8 ? ~0ull : (1ull << (8 * op->size)) - 1))
		fuzz_fail("unclaimed read gave 0x%llx",
			  (unsigned long long)op->val);
	check_state(h, ins, u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	struct dev_ins *ins;
	const struct fuzz_target t = {
		.pio_base = 0x3f8, .pio_span = UART_NREGS, .check = uart_check,
	};

	fuzz_host_init(&h);
	if (fuzz_dev_create(&h, &dev_reg_uart, false, "uart", &ins) < 0)
		fuzz_fail("uart: %s", h.err);
	check_state(&h, ins, ins->priv);
	fuzz_run(&h, ins, &t, data, size);
	fuzz_host_fini(&h);
	return 0;
}
