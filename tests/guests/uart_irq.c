/*
 * tests/guests/uart_irq.c - UART interrupts through the 8259 PIC. Programs
 * the PIC (vectors 0x20.., only IRQ 4 unmasked), enables the UART's
 * receive-data and transmitter-empty interrupts with OUT2, and then:
 * expects at least one THRE interrupt, and echoes each received byte
 * uppercased until a newline, reading input only in the RDA interrupt.
 * Without interrupts it waits forever: the test bounds it with a timeout.
 */
#include "guest.h"

#define PIC1 0x20
#define PIC2 0xa0
#define PIC_EOI 0x20
#define VEC_BASE 0x20
#define UART_IRQ 4

#define UART_RBR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_MCR 4
#define UART_LSR 5
#define IER_RDA 0x01
#define IER_THRE 0x02
#define IIR_NONE 0x01
#define IIR_ID 0x0e
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_TIMEOUT 0x0c
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DR 0x01

static volatile uint32_t n_thre, n_rda, n_irq;
static volatile uint8_t rx[256];
static volatile uint8_t rx_head; /* written by the handler only */

static void pic_init(void)
{
	outb(PIC1, 0x11);		/* ICW1: edge, cascade, ICW4 */
	outb(PIC2, 0x11);
	outb(PIC1 + 1, VEC_BASE);	/* ICW2: vector bases */
	outb(PIC2 + 1, VEC_BASE + 8);
	outb(PIC1 + 1, 0x04);		/* ICW3: slave on IRQ 2 */
	outb(PIC2 + 1, 0x02);
	outb(PIC1 + 1, 0x01);		/* ICW4: 8086 mode */
	outb(PIC2 + 1, 0x01);
	outb(PIC1 + 1, (uint8_t)~(1u << UART_IRQ));
	outb(PIC2 + 1, 0xff);
}

static void uart_drain_rx(void)
{
	while (inb(UART0_BASE + UART_LSR) & LSR_DR) {
		rx[rx_head] = inb(UART0_BASE + UART_RBR);
		rx_head = (uint8_t)(rx_head + 1);
	}
}

/* Reading IIR acknowledges a THRE interrupt; RBR reads clear RDA. */
static void uart_service(void)
{
	uint8_t iir;

	for (unsigned i = 0; i < 16; i++) {
		iir = inb(UART0_BASE + UART_IIR);
		if (iir & IIR_NONE)
			return;
		if ((iir & IIR_ID) == IIR_THRE)
			n_thre++;
		if ((iir & IIR_ID) == IIR_RDA || (iir & IIR_ID) == IIR_TIMEOUT) {
			n_rda++;
			uart_drain_rx();
		}
	}
}

void isr_dispatch(uint64_t vec)
{
	if (vec < 32)
		fail("uart_irq", 40, "CPU exception");
	if (vec != VEC_BASE + UART_IRQ)
		fail("uart_irq", 41, "interrupt on an unexpected vector");
	n_irq++;
	uart_service();
	outb(PIC1, PIC_EOI);
}

/* Wait for an interrupt: sti's one-instruction shadow makes the check and
 * the hlt atomic, so a wakeup cannot slip in between. */
static void wait_irq(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static void echo_until_newline(void)
{
	uint8_t tail = 0;

	for (;;) {
		while (tail == rx_head)
			wait_irq();
		char c = (char)rx[tail];
		tail = (uint8_t)(tail + 1);
		uart_putc(upper(c));
		if (c == '\n' || c == '\r')
			return;
	}
}

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	idt_init();
	pic_init();
	uart_puts("uart_irq: type a line\n");
	outb(UART0_BASE + UART_MCR, MCR_DTR_RTS_OUT2);
	outb(UART0_BASE + UART_IER, IER_RDA | IER_THRE);
	while (n_thre == 0)
		wait_irq();
	echo_until_newline();
	outb(UART0_BASE + UART_IER, 0);
	uart_puts("\nuart_irq: ");
	uart_putdec(n_irq);
	uart_puts(" interrupts, ");
	uart_putdec(n_thre);
	uart_puts(" THRE, ");
	uart_putdec(n_rda);
	uart_puts(" RDA\n");
	CHECK("uart_irq", 42, n_rda > 0);
	return 0;
}
