/*
 * devices/uart.c - a 16550A UART on eight I/O ports: the serial console.
 *
 * Transmission has flow control like the real part's line: a byte written
 * to THR goes to the console at once when the host takes it; when the host
 * does not (whatever reads wisp's output is slow), it stays in a 16-byte TX
 * FIFO (THR alone when FIFOs are off) with LSR THRE/TEMT clear, the guest's
 * driver waits as it would for a slow line, and the console's tx callback
 * (chr_set_tx) sends the rest once there is room. A guest that writes into
 * a full FIFO loses that byte, as on hardware. Reception has a real 16-byte
 * FIFO (one byte when FIFOs are off) fed by console input under flow
 * control: the UART takes only what fits and calls chr_rx_ready when the
 * guest makes room, so console input is never lost; an overrun (OE) can only
 * come from loopback, as on hardware where the guest outruns itself.
 *
 * The guest controls every register value and may access any offset with
 * any size; multi-byte accesses are split into byte accesses to consecutive
 * registers, as the ISA bus splits them for an 8-bit device.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "dev.h"

#define UART_NREGS 8
#define UART_FIFO 16
#define UART_CLOCK_HZ 115200ull /* 1.8432 MHz / 16: the divisor's base */

/* Registers (offsets from the base port). */
#define REG_RBR 0 /* read, DLAB=0; THR on write; DLL when DLAB=1 */
#define REG_IER 1 /* DLM when DLAB=1 */
#define REG_IIR 2 /* read; FCR on write */
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_RDI 0x01  /* received data available (and char timeout) */
#define IER_THRI 0x02 /* THR empty */
#define IER_RLSI 0x04 /* receiver line status */
#define IER_MSI 0x08  /* modem status */
#define IER_MASK 0x0f

#define IIR_MSI 0x00
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_TRIGGER 0xc0

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTA 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
/* Outside loopback the console is a terminal that is always there. */
#define MSR_LINES_IDLE (MSR_CTS | MSR_DSR | MSR_DCD)

struct uart {
	uint16_t port;
	unsigned gsi;
	int timer;        /* character timeout */
	uint64_t timeout_at; /* clock_ns when the timeout may fire */
	bool timer_armed;
	uint8_t ier, lcr, mcr, msr, scr, fcr, dll, dlm;
	uint8_t rbr;      /* last byte read: what an empty RBR returns */
	bool oe;          /* overrun, until LSR is read */
	bool thr_ipending; /* THRE interrupt latched */
	bool timeout_ipending;
	bool irq_high;    /* the level last driven on gsi */
	bool rx_starved;  /* input refused since the last chr_rx_ready */
	uint8_t rx[UART_FIFO];
	uint8_t rx_head, rx_count;
	uint8_t tx[UART_FIFO]; /* not yet taken by the console, oldest first */
	uint8_t tx_count;
	bool tx_blocked;  /* the console refused: its tx callback is owed */
};

static const uint16_t uart_default_port[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
static const uint8_t uart_default_irq[] = { 4, 3, 4, 3 };
#define UART_MAX_INSTANCES 4

static bool uart_fifo_on(const struct uart *u)
{
	return u->fcr & FCR_ENABLE;
}

static unsigned uart_fifo_cap(const struct uart *u)
{
	return uart_fifo_on(u) ? UART_FIFO : 1;
}

static unsigned uart_trigger(const struct uart *u)
{
	static const uint8_t levels[4] = { 1, 4, 8, 14 };

	return levels[(u->fcr & FCR_TRIGGER) >> 6];
}

/* The transmitter holds a byte as long as the console has not taken it. */
static uint8_t uart_lsr(const struct uart *u)
{
	return (u->rx_count ? LSR_DR : 0) | (u->oe ? LSR_OE : 0) |
	       (u->tx_count ? 0 : LSR_THRE | LSR_TEMT);
}

/* The highest-priority enabled pending interrupt, without side effects. */
static uint8_t uart_iir(const struct uart *u)
{
	uint8_t fifo = uart_fifo_on(u) ? IIR_FIFO : 0;
	bool rd = u->rx_count && (!uart_fifo_on(u) ||
				  u->rx_count >= uart_trigger(u));

	if ((u->ier & IER_RLSI) && u->oe)
		return fifo | IIR_RLSI;
	if ((u->ier & IER_RDI) && u->timeout_ipending)
		return fifo | IIR_CTI;
	if ((u->ier & IER_RDI) && rd)
		return fifo | IIR_RDI;
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return fifo | IIR_THRI;
	if ((u->ier & IER_MSI) && (u->msr & MSR_DELTA))
		return fifo | IIR_MSI;
	return fifo | IIR_NONE;
}

/* On the PC, OUT2 enables the IRQ driver; loopback forces the OUT pins
 * inactive, which closes that gate too. */
static bool uart_irq_gate(const struct uart *u)
{
	return (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
}

static void uart_update_irq(struct dev_ins *ins, struct uart *u)
{
	bool high = !(uart_iir(u) & IIR_NONE) && uart_irq_gate(u);

	if (high == u->irq_high)
		return;
	u->irq_high = high;
	ins->hlp->irq_set(ins, u->gsi, high ? DEV_IRQ_HIGH : DEV_IRQ_LOW);
}

/* Bits on the line for one character at the programmed divisor. A zero
 * divisor is taken as 1: the timeout only needs to be plausible. */
static uint64_t uart_char_ns(const struct uart *u)
{
	uint64_t div = (uint64_t)u->dll | (uint64_t)u->dlm << 8;
	unsigned bits = 1 + 5 + (u->lcr & 3) + (u->lcr & 0x08 ? 1 : 0) +
			(u->lcr & 0x04 ? 2 : 1);

	return bits * (div ? div : 1) * 1000000000ull / UART_CLOCK_HZ;
}

/*
 * The character timeout: 4 character times after the last character went
 * into or out of the RX FIFO, while the FIFO holds data. Every received or
 * read byte moves the deadline, so the deadline is kept here and the timer
 * is only armed when idle: on expiry an early callback re-arms for the
 * rest, and one with nothing to time out does nothing. That keeps timer
 * syscalls off the per-byte path.
 */
static void uart_timeout_rearm(struct dev_ins *ins, struct uart *u)
{
	uint64_t ns;

	if (!uart_fifo_on(u) || !u->rx_count)
		return;
	ns = 4 * uart_char_ns(u);
	u->timeout_at = ins->hlp->clock_ns(ins) + ns;
	if (!u->timer_armed && ins->hlp->timer_arm(ins, u->timer, ns) == 0)
		u->timer_armed = true;
}

static void uart_timeout(struct dev_ins *ins, void *opaque)
{
	struct uart *u = ins->priv;
	uint64_t now = ins->hlp->clock_ns(ins);

	u->timer_armed = false;
	if (!uart_fifo_on(u) || !u->rx_count)
		return;
	if (now < u->timeout_at) {
		if (ins->hlp->timer_arm(ins, u->timer, u->timeout_at - now) == 0)
			u->timer_armed = true;
		return;
	}
	u->timeout_ipending = true;
	uart_update_irq(ins, u);
}

/* Room appeared: the console may offer what it holds again. */
static void uart_rx_room(struct dev_ins *ins, struct uart *u)
{
	if (!u->rx_starved || u->rx_count >= uart_fifo_cap(u) ||
	    (u->mcr & MCR_LOOP))
		return;
	u->rx_starved = false;
	ins->hlp->chr_rx_ready(ins);
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	u->timeout_ipending = false;
}

/* A received character. Full FIFO: the character is lost (FIFO mode) or
 * replaces the unread one (16450 mode), and OE is set either way. */
static void uart_rx_push(struct dev_ins *ins, struct uart *u, uint8_t b)
{
	unsigned cap = uart_fifo_cap(u);

	if (u->rx_count >= cap) {
		u->oe = true;
		if (uart_fifo_on(u))
			return;
		u->rx_count = 0;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO] = b;
	u->rx_count++;
}

static uint8_t uart_rx_pop(struct uart *u)
{
	uint8_t b = u->rx[u->rx_head];

	u->rx_head = (uint8_t)((u->rx_head + 1) % UART_FIFO);
	u->rx_count--;
	return b;
}

/* Console input (dev_chr_rx_fn). In loopback the receiver listens to the
 * transmitter only, so input waits. */
static size_t uart_rx(struct dev_ins *ins, const uint8_t *buf, size_t len)
{
	struct uart *u = ins->priv;
	size_t room = uart_fifo_cap(u) - u->rx_count, n = len < room ? len : room;

	if (u->mcr & MCR_LOOP)
		n = 0;
	for (size_t i = 0; i < n; i++)
		uart_rx_push(ins, u, buf[i]);
	if (n < len)
		u->rx_starved = true;
	if (n) {
		uart_timeout_rearm(ins, u);
		uart_update_irq(ins, u);
	}
	return n;
}

static uint8_t uart_read_rbr(struct dev_ins *ins, struct uart *u)
{
	if (!u->rx_count)
		return u->rbr;
	u->rbr = uart_rx_pop(u);
	u->timeout_ipending = false;
	uart_timeout_rearm(ins, u);
	uart_rx_room(ins, u);
	return u->rbr;
}

static uint8_t uart_read_iir(struct uart *u)
{
	uint8_t iir = uart_iir(u);

	/* Reading IIR acknowledges THRE when THRE is what it reports. */
	if ((iir & 0x0f) == IIR_THRI)
		u->thr_ipending = false;
	return iir;
}

static uint8_t uart_read_reg(struct dev_ins *ins, struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case REG_RBR: return dlab ? u->dll : uart_read_rbr(ins, u);
	case REG_IER: return dlab ? u->dlm : u->ier;
	case REG_IIR: return uart_read_iir(u);
	case REG_LCR: return u->lcr;
	case REG_MCR: return u->mcr;
	case REG_LSR:
		v = uart_lsr(u);
		u->oe = false;
		return v;
	case REG_MSR:
		v = u->msr;
		u->msr &= (uint8_t)~MSR_DELTA;
		return v;
	default: return u->scr;
	}
}

/* Offer what the transmitter holds; THR empties once the console took it
 * all, the event that latches the THRE interrupt. A host error drops the
 * bytes: a guest must not hang on a console that is gone. */
static void uart_tx_flush(struct dev_ins *ins, struct uart *u)
{
	long n = ins->hlp->chr_write(ins, u->tx, u->tx_count);

	if (n == -EAGAIN)
		n = 0;
	if (n < 0 || n > u->tx_count)
		n = u->tx_count;
	u->tx_count = (uint8_t)(u->tx_count - n);
	memmove(u->tx, u->tx + n, u->tx_count);
	u->tx_blocked = u->tx_count != 0;
	if (!u->tx_count)
		u->thr_ipending = true;
}

/* The console has room again (dev_chr_tx_fn). */
static void uart_tx_ready(struct dev_ins *ins)
{
	struct uart *u = ins->priv;

	u->tx_blocked = false;
	if (u->tx_count) {
		uart_tx_flush(ins, u);
		uart_update_irq(ins, u);
	}
}

static void uart_tx_push(struct dev_ins *ins, struct uart *u, uint8_t b)
{
	if (u->tx_count >= uart_fifo_cap(u)) {
		ins->hlp->log(ins, DEV_LOG_DEBUG, "transmit overrun: the guest "
			      "wrote THR while it was full");
		return;
	}
	u->tx[u->tx_count++] = b;
	/* While the console owes its callback, writing again is futile. */
	if (!u->tx_blocked)
		uart_tx_flush(ins, u);
}

/* Emptied by FCR or a reset: the bytes are gone, THR is empty. */
static void uart_tx_clear(struct uart *u)
{
	if (u->tx_count)
		u->thr_ipending = true;
	u->tx_count = 0;
}

/* Writing THR clears a pending THRE interrupt; emptying latches it again. */
static void uart_write_thr(struct dev_ins *ins, struct uart *u, uint8_t b)
{
	bool had_oe = u->oe;

	u->thr_ipending = false;
	if (u->mcr & MCR_LOOP) {
		uart_rx_push(ins, u, b);
		uart_timeout_rearm(ins, u);
		if (u->oe && !had_oe)
			ins->hlp->log(ins, DEV_LOG_DEBUG, "loopback overrun");
		u->thr_ipending = !u->tx_count;
	} else {
		uart_tx_push(ins, u, b);
	}
}

static void uart_write_ier(struct uart *u, uint8_t v)
{
	uint8_t changed = (u->ier ^ v) & IER_THRI;

	u->ier = v & IER_MASK;
	/* Enabling THRE with THR empty raises it at once. */
	if (changed)
		u->thr_ipending = (u->ier & IER_THRI) && !u->tx_count;
}

/* FCR bits other than ENABLE are only written while ENABLE is set; turning
 * the FIFOs on or off empties them. */
static void uart_write_fcr(struct dev_ins *ins, struct uart *u, uint8_t v)
{
	if ((v ^ u->fcr) & FCR_ENABLE) {
		uart_rx_clear(u);
		uart_tx_clear(u);
	}
	if (!(v & FCR_ENABLE)) {
		u->fcr = 0;
	} else {
		if (v & FCR_CLEAR_RX)
			uart_rx_clear(u);
		if (v & FCR_CLEAR_TX)
			uart_tx_clear(u);
		u->fcr = v & (FCR_ENABLE | FCR_TRIGGER);
	}
	uart_rx_room(ins, u);
}

/* MSR's upper half follows the input lines; the delta bits record changes
 * (TERI only the trailing edge of RI) until MSR is read. */
static void uart_set_lines(struct uart *u, uint8_t lines)
{
	uint8_t old = u->msr & 0xf0, chg = old ^ lines;
	uint8_t delta = ((chg >> 4) & (MSR_DCTS | MSR_DDSR | MSR_DDCD)) |
			(((old & ~lines) >> 4) & MSR_TERI);

	u->msr = (uint8_t)(lines | (u->msr & MSR_DELTA) | delta);
}

/* Loopback wires RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD. */
static void uart_write_mcr(struct dev_ins *ins, struct uart *u, uint8_t v)
{
	u->mcr = v & MCR_MASK;
	if (!(u->mcr & MCR_LOOP)) {
		uart_set_lines(u, MSR_LINES_IDLE);
		uart_rx_room(ins, u);
		return;
	}
	uart_set_lines(u, (uint8_t)(((u->mcr & MCR_RTS) << 3) |
				    ((u->mcr & MCR_DTR) << 5) |
				    ((u->mcr & MCR_OUT1) << 4) |
				    ((u->mcr & MCR_OUT2) << 4)));
}

static void uart_write_reg(struct dev_ins *ins, struct uart *u, unsigned reg,
			   uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_RBR:
		if (dlab)
			u->dll = v;
		else
			uart_write_thr(ins, u, v);
		break;
	case REG_IER:
		if (dlab)
			u->dlm = v;
		else
			uart_write_ier(u, v);
		break;
	case REG_IIR: uart_write_fcr(ins, u, v); break;
	case REG_LCR: u->lcr = v; break;
	case REG_MCR: uart_write_mcr(ins, u, v); break;
	case REG_SCR: u->scr = v; break;
	default: break; /* LSR and MSR writes are factory test: ignored */
	}
}

static bool uart_access_ok(uint64_t off, unsigned size)
{
	return off < UART_NREGS && size <= UART_NREGS - off;
}

static uint64_t uart_io_read(struct dev_ins *ins, void *opaque, uint64_t off,
			     unsigned size)
{
	struct uart *u = ins->priv;
	uint64_t v = 0;

	if (!uart_access_ok(off, size))
		return ~0ull;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)uart_read_reg(ins, u, (unsigned)off + i) << (8 * i);
	uart_update_irq(ins, u);
	return v;
}

static void uart_io_write(struct dev_ins *ins, void *opaque, uint64_t off,
			  unsigned size, uint64_t val)
{
	struct uart *u = ins->priv;

	if (!uart_access_ok(off, size))
		return;
	for (unsigned i = 0; i < size; i++)
		uart_write_reg(ins, u, (unsigned)off + i,
			       (uint8_t)(val >> (8 * i)));
	uart_update_irq(ins, u);
}

static const struct dev_io_ops uart_io = {
	.read = uart_io_read,
	.write = uart_io_write,
};

/* Power-on values (PC16550D datasheet, table IV). */
static void uart_reset(struct dev_ins *ins)
{
	struct uart *u = ins->priv;

	u->ier = u->lcr = u->mcr = u->scr = u->fcr = 0;
	u->dll = u->dlm = u->rbr = 0;
	u->msr = MSR_LINES_IDLE;
	uart_rx_clear(u);
	uart_tx_clear(u);
	u->oe = u->thr_ipending = false;
	ins->hlp->timer_arm(ins, u->timer, 0);
	u->timer_armed = false;
	uart_update_irq(ins, u);
	uart_rx_room(ins, u);
}

/* Defaults by instance index, like the PC's COM1..COM4. */
static int uart_config(struct dev_ins *ins, struct uart *u)
{
	uint64_t port, irq;
	bool has_default = ins->idx < UART_MAX_INSTANCES;
	bool got_port = ins->hlp->cfg_u64(ins, "port", &port) == 0;
	bool got_irq = ins->hlp->cfg_u64(ins, "irq", &irq) == 0;

	if (!has_default && (!got_port || !got_irq)) {
		ins->hlp->log(ins, DEV_LOG_ERR, "no default port/irq for "
			      "instance %u: give port= and irq=", ins->idx);
		return -EINVAL;
	}
	port = got_port ? port : uart_default_port[ins->idx];
	irq = got_irq ? irq : uart_default_irq[ins->idx];
	/* The schema bounds these; a hand-made config must not wrap. */
	if (port > 0x10000 - UART_NREGS || irq > UINT32_MAX) {
		ins->hlp->log(ins, DEV_LOG_ERR, "port 0x%llx or irq %llu out of "
			      "range", (unsigned long long)port,
			      (unsigned long long)irq);
		return -EINVAL;
	}
	u->port = (uint16_t)port;
	u->gsi = (unsigned)irq;
	return 0;
}

static int uart_claim(struct dev_ins *ins, struct uart *u)
{
	const struct dev_hlp *h = ins->hlp;
	int rc = h->io_register(ins, DEV_SPACE_PIO, u->port, UART_NREGS,
				&uart_io, u);

	if (rc < 0) {
		h->log(ins, DEV_LOG_ERR, "ports 0x%x-0x%x are taken (error %d); "
		       "choose another with port=", u->port,
		       u->port + UART_NREGS - 1, rc);
		return rc;
	}
	rc = h->irq_claim(ins, u->gsi);
	if (rc < 0)
		h->log(ins, DEV_LOG_ERR, "irq %u cannot be claimed (error %d); "
		       "ISA lines are not shared, choose another with irq=",
		       u->gsi, rc);
	return rc;
}

static int uart_construct(struct dev_ins *ins)
{
	struct uart *u = ins->priv;
	int rc = uart_config(ins, u);

	if (rc < 0 || (rc = uart_claim(ins, u)) < 0)
		return rc;
	u->timer = ins->hlp->timer_create(ins, uart_timeout, NULL);
	if (u->timer < 0)
		return u->timer;
	rc = ins->hlp->chr_set_rx(ins, uart_rx);
	if (rc < 0 || (rc = ins->hlp->chr_set_tx(ins, uart_tx_ready)) < 0)
		return rc;
	uart_reset(ins);
	return 0;
}

static const struct dev_opt uart_opts[] = {
	{ .key = "port", .type = DEV_OPT_U64, .min = 0, .max = 0xfff8,
	  .help = "base I/O port (default 0x3f8, 0x2f8, 0x3e8, 0x2e8 by "
		  "instance)" },
	{ .key = "irq", .type = DEV_OPT_U64, .min = 0, .max = 23,
	  .help = "interrupt line (default 4, 3, 4, 3 by instance)" },
};

static const struct dev_ops uart_ops = {
	.construct = uart_construct,
	.reset = uart_reset,
};

const struct dev_reg dev_reg_uart = {
	.name = "uart",
	.desc = "16550A UART (serial console)",
	.cls = DEV_CLASS_SERIAL,
	.flags = DEV_F_TRUSTABLE,
	.max_instances = UART_MAX_INSTANCES,
	.instance_size = sizeof(struct uart),
	.opts = uart_opts,
	.n_opts = sizeof(uart_opts) / sizeof(uart_opts[0]),
	.ops = &uart_ops,
};
