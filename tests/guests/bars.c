/*
 * tests/guests/bars.c - every BAR of every PCI function decoded at once,
 * as a guest OS does at boot: wisp placed each BAR in its window; the
 * guest turns memory space on function by function (each decode adds its
 * BARs to wisp's guest-physical map on the vCPU thread) and checks every
 * BAR answers where it is. `fns=N` on the command line is how many
 * functions the run gave wisp (the scan must find exactly that many).
 * Prints "bars: F functions, B BARs decoded" and exits 0; otherwise the
 * failed check's number.
 */
#include "guest.h"

#define CMD_MEM 0x2
#define NONE 0xffffffffu

/* BAR n's address, or 0 for none (wisp's BARs: 32-bit memory). */
static uint32_t bar_at(unsigned s, unsigned n)
{
	return c1_read(s, 0x10 + 4 * n) & ~0xfu;
}

/* Memory space on; each BAR, silent before (all ones: not decoded),
 * answers after. A decoded register never reads all ones at offset 0
 * (virtio's feature select, an MSI-X address, pcitest's signature). */
static unsigned decode(unsigned s)
{
	unsigned n_bars = 0;

	for (unsigned n = 0; n < 6; n++)
		if (bar_at(s, n))
			CHECK("bars", 10, mmio_read32(bar_at(s, n)) == NONE);
	c1_write(s, 0x4, c1_read(s, 0x4) | CMD_MEM);
	for (unsigned n = 0; n < 6; n++) {
		if (!bar_at(s, n))
			continue;
		CHECK("bars", 11, mmio_read32(bar_at(s, n)) != NONE);
		n_bars++;
	}
	CHECK("bars", 12, n_bars > 0);
	return n_bars;
}

int main(unsigned cpu, unsigned ncpus, const char *cmdline)
{
	unsigned fns = 0, bars = 0;
	bool ok = true;
	uint64_t want = cmdline_u64(cmdline, "fns", 0, &ok);

	CHECK("bars", 1, ok && want > 0);
	for (unsigned s = 1; s < 32; s++) {
		if (c1_read(s, 0) == NONE)
			continue;
		fns++;
		bars += decode(s);
	}
	/* A second pass: nothing decoded earlier was lost to a later one. */
	for (unsigned s = 1; s < 32; s++)
		for (unsigned n = 0; c1_read(s, 0) != NONE && n < 6; n++)
			if (bar_at(s, n))
				CHECK("bars", 13,
				      mmio_read32(bar_at(s, n)) != NONE);
	CHECK("bars", 2, fns == want);
	uart_puts("bars: ");
	uart_putdec(fns);
	uart_puts(" functions, ");
	uart_putdec(bars);
	uart_puts(" BARs decoded\n");
	return 0;
}
