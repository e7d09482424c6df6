/*
 * tests/guests/pio.c - port I/O of sizes 1, 2 and 4. The command line names
 * the devices this wisp has, and only those are checked:
 *   uart     UART scratch register 0x3ff round trips
 *   uart2    the same for a second UART at 0x2f8 (scratch 0x2ff)
 *   testdev  testdev counter: 4-byte writes to 0xe0 increment it
 * Unclaimed ports reading all ones is checked always.
 */
#include "guest.h"

#define UART_SCR 7

static void check_scratch(uint16_t base, unsigned code)
{
	static const uint8_t pat[] = { 0x00, 0x55, 0xaa, 0xff, 0x5a, 0x01 };

	for (unsigned i = 0; i < sizeof(pat); i++) {
		outb(base + UART_SCR, pat[i]);
		CHECK("pio", code, inb(base + UART_SCR) == pat[i]);
	}
}

static void check_testdev(void)
{
	uint32_t before = inl(TESTDEV_PORT);

	for (unsigned i = 0; i < 10; i++)
		outl(TESTDEV_PORT, 0x12345678);
	CHECK("pio", 20, inl(TESTDEV_PORT) == before + 10);
	outl(TESTDEV_PORT, 0);
	CHECK("pio", 21, inl(TESTDEV_PORT) == before + 11);
}

static void check_unclaimed(void)
{
	for (uint16_t p = UNCLAIMED_PORT; p < UNCLAIMED_PORT + 8; p += 4) {
		outb(p, 0);
		outw(p, 0);
		outl(p, 0);
		CHECK("pio", 30, inb(p) == 0xff);
		CHECK("pio", 31, inw(p) == 0xffff);
		CHECK("pio", 32, inl(p) == 0xffffffff);
	}
}

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	check_unclaimed();
	if (cmdline_has(cmdline, "uart"))
		check_scratch(UART0_BASE, 10);
	if (cmdline_has(cmdline, "uart2"))
		check_scratch(0x2f8, 11);
	if (cmdline_has(cmdline, "testdev"))
		check_testdev();
	uart_puts("pio: ok\n");
	return 0;
}
