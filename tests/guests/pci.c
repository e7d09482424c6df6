/*
 * tests/guests/pci.c - wisp's PCI bus from a guest (the pcitest profile):
 * scans bus 0 by conf1 and ECAM, finds the host bridge and the PCI test
 * function, sizes and moves its BAR, turns memory space on, rings its
 * doorbell, walks the capabilities to MSI-X, programs vector 0 for the
 * local APIC and checks its interrupt arrives, is held pending while
 * masked (PBA) and sent on unmask, and that nothing arrives with MSI-X off.
 * Exit 0 when all pass; otherwise the failed check's number.
 */
#include "guest.h"

#define HB_ID 0x0d578086u
#define PCITEST_ID 0x00051b36u
#define NEW_BAR0 0xc8000000u
#define LAPIC 0xfee00000ull
#define VEC 0x41

static volatile uint32_t n_msi;
void isr_dispatch(uint64_t vec)
{
	if (vec != VEC)
		fail("pci", 90, "interrupt on an unexpected vector");
	n_msi++;
	mmio_write32(LAPIC + 0xb0, 0); /* EOI */
}

static unsigned scan(void)
{
	unsigned found = 0;

	CHECK("pci", 1, c1_read(0, 0) == HB_ID);
	CHECK("pci", 2, mmio_read32(ecam(0, 8)) >> 8 == 0x060000);
	for (unsigned s = 1; s < 32; s++) {
		uint32_t id = c1_read(s, 0);
		CHECK("pci", 3, id == mmio_read32(ecam(s, 0)));
		if (id == PCITEST_ID && !found)
			found = s;
		else
			CHECK("pci", 4, id == 0xffffffffu);
	}
	CHECK("pci", 5, found);
	return found;
}

static uint64_t bar0_setup(unsigned s)
{
	uint32_t start = c1_read(s, 0x10);

	CHECK("pci", 10, start >= 0xc0000000u && start < 0xd0000000u);
	c1_write(s, 0x10, 0xffffffffu);
	CHECK("pci", 11, c1_read(s, 0x10) == 0xfffff000u);
	c1_write(s, 0x14, 0xffffffffu); /* BAR1: the MSI-X BAR, 4 KiB */
	CHECK("pci", 12, c1_read(s, 0x14) == 0xfffff000u);
	c1_write(s, 0x14, start + 0x10000);
	c1_write(s, 0x1c, 0xffffffffu); /* unused */
	CHECK("pci", 13, c1_read(s, 0x1c) == 0);
	c1_write(s, 0x10, NEW_BAR0);
	CHECK("pci", 14, mmio_read32(NEW_BAR0) == 0xffffffffu); /* decode off */
	mmio_write16(ecam(s, 4), 0x6);
	CHECK("pci", 15, mmio_read16(ecam(s, 4)) == 0x6);
	CHECK("pci", 16, mmio_read32(NEW_BAR0) == 0x54494350u);
	return NEW_BAR0;
}

static void doorbell(uint64_t bar)
{
	for (unsigned i = 0; i < 5; i++)
		mmio_write32(bar + 0x10, i);
	CHECK("pci", 20, WAIT_FOR(mmio_read32(bar + 8) == 5));
}

static unsigned find_msix(unsigned s)
{
	unsigned off = mmio_read8(ecam(s, 0x34));

	CHECK("pci", 30, mmio_read16(ecam(s, 6)) & 0x10);
	for (unsigned n = 0; off && n < 48; n++) {
		if (mmio_read8(ecam(s, off)) == 0x11)
			return off;
		off = mmio_read8(ecam(s, off + 1));
	}
	fail("pci", 31, "no MSI-X capability");
}

static void msix(unsigned s, uint64_t bar0)
{
	unsigned cap = find_msix(s);
	uint32_t table = mmio_read32(ecam(s, cap + 4));
	uint64_t t = c1_read(s, 0x10 + 4 * (table & 7)) + (table & ~7u);

	CHECK("pci", 32, (mmio_read16(ecam(s, cap + 2)) & 0x7ff) == 1);
	CHECK("pci", 33, (table & 7) == 1);
	mmio_write32(t, 0xfee00000u);
	mmio_write32(t + 4, 0);
	mmio_write32(t + 8, VEC);
	mmio_write32(t + 12, 0);
	/* MSI-X off: nothing */
	mmio_write32(bar0 + 4, 0);
	CHECK("pci", 34, !WAIT_FOR(n_msi) && n_msi == 0);
	mmio_write16(ecam(s, cap + 2), 0x8000);
	mmio_write32(bar0 + 4, 0);
	CHECK("pci", 35, WAIT_FOR(n_msi == 1));
	CHECK("pci", 36, mmio_read32(bar0 + 4) == 0);
	/* masked: pending, sent on unmask */
	mmio_write32(t + 12, 1);
	mmio_write32(bar0 + 4, 0);
	CHECK("pci", 37, mmio_read32(t + 0x800) == 1);
	CHECK("pci", 38, n_msi == 1);
	mmio_write32(t + 12, 0);
	CHECK("pci", 39, WAIT_FOR(n_msi == 2));
	CHECK("pci", 40, mmio_read32(t + 0x800) == 0);
	mmio_write32(bar0 + 4, 7); /* no vector 7 */
	CHECK("pci", 41, mmio_read32(bar0 + 4) == (uint32_t)-22);
	mmio_write16(ecam(s, cap + 2), 0);
	mmio_write32(bar0 + 4, 0);
	CHECK("pci", 42, !WAIT_FOR(n_msi != 2));
}

int main(unsigned cpu, unsigned ncpus, const char *cmdline)
{
	idt_init();
	lapic_enable();
	unsigned s = scan();
	uint64_t bar0 = bar0_setup(s);
	doorbell(bar0);
	msix(s, bar0);
	/* moved again: the doorbell follows */
	c1_write(s, 0x10, NEW_BAR0 + 0x100000);
	CHECK("pci", 50, mmio_read32(NEW_BAR0) == 0xffffffffu);
	for (unsigned i = 0; i < 3; i++)
		mmio_write32(NEW_BAR0 + 0x100000 + 0x10, i);
	CHECK("pci", 51, WAIT_FOR(mmio_read32(NEW_BAR0 + 0x100000 + 8) == 8));
	uart_puts("pci: all checks passed\n");
	return 0;
}
