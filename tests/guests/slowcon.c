/*
 * tests/guests/slowcon.c - a console that cannot keep up must slow the
 * guest down, never lose a byte or stop the VM: prints kib=N KiB (default
 * 1024) of a known pattern through the UART as a 16550A driver does (wait
 * for THRE, then fill the 16-byte TX FIFO), with no bound on the wait: the
 * harness bounds the run. tests/integration/slowcon.sh holds the reader
 * back and compares every byte.
 *
 * Line n (64 bytes): n as 8 hex digits, a space, 54 letters 'a' + (n + col)
 * % 26 for col 9..62, a newline.
 */
#include "guest.h"

#define UART_FCR 2
#define UART_LSR 5
#define LSR_THRE 0x20
#define FIFO 16

static char pattern(uint64_t i)
{
	uint64_t line = i / 64;
	unsigned col = (unsigned)(i % 64);

	if (col < 8)
		return "0123456789abcdef"[(line >> (4 * (7 - col))) & 15];
	if (col == 8)
		return ' ';
	if (col == 63)
		return '\n';
	return (char)('a' + (line + col) % 26);
}

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	bool ok = true;
	uint64_t total = cmdline_u64(cmdline, "kib", 1024, &ok) * 1024;

	if (idx != 0)
		for (;;)
			cpu_pause();
	if (!ok)
		return 2;
	outb(UART0_BASE + UART_FCR, 0x07); /* FIFOs on, both cleared */
	for (uint64_t i = 0; i < total;) {
		while (!(inb(UART0_BASE + UART_LSR) & LSR_THRE))
			cpu_pause();
		for (unsigned n = 0; n < FIFO && i < total; n++, i++)
			outb(UART0_BASE, (uint8_t)pattern(i));
	}
	/* Every byte must be out before the exit stops the VM. */
	while (!(inb(UART0_BASE + UART_LSR) & LSR_THRE))
		cpu_pause();
	return 0;
}
