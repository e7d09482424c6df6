/*
 * tests/guests/edu.c - a passed-through PCI function from a guest (the
 * vfio profile, --vfio with QEMU's edu device behind an emulated IOMMU in
 * the testbed): finds edu (1234:11e8) on wisp's PCI bus, checks that an
 * ID write is dropped, sizes BAR0, turns memory space and bus master on,
 * reads edu's ID and liveness registers through the BAR memslot and times
 * such reads against an exiting port read, computes a factorial, moves
 * the BAR (and tries to put it over RAM: refused, one line in wisp), has
 * edu DMA a buffer from guest RAM into its own and back, takes edu's
 * MSI (raised by hand and at a DMA's end; none while MSI is off) and its
 * INTx through the IOAPIC (several in a row: VFIO's unmask at each EOI;
 * none with INTx disabled). With
 * "baddma" on the command line it then aims a DMA outside guest RAM,
 * which the IOMMU must stop, and checks edu still answers.
 * Exit 0 when all pass; otherwise the failed check's number.
 */
#include "guest.h"

#define EDU_ID 0x11e81234u
#define WIN 0xc0000000u
#define WIN_END 0xd0000000u
#define NEW_BAR0 0xc4000000u
#define RAM_BAR0 0x02000000u /* over guest RAM (32 MiB): refused */
#define LAPIC 0xfee00000ull
#define IOAPIC 0xfec00000ull
#define VEC 0x42
#define VEC_INTX 0x43
#define VEC_EMUL 0x45 /* the pcitest function's MSI-X (emulated by wisp) */
#define PCITEST_ID 0x00051b36u
#define LAT_ROUNDS 200
#define EXIT_PORT 0x80 /* bootport, in wisp: every read exits */
#define DMA_BUF 0x40000u /* edu's buffer, in its own address space */
#define DMA_LEN 1000u    /* under 4096, not at the buffer's end */
#define OUTSIDE_RAM 0x8000000u /* 128 MiB: past --mem 64M, below 256 MiB */

/* edu's registers (QEMU hw/misc/edu.c); below 0x80 4-byte accesses only */
#define R_ID 0x00
#define R_LIVE 0x04
#define R_FACT 0x08
#define R_STATUS 0x20
#define R_ISR 0x24
#define R_RAISE 0x60
#define R_ACK 0x64
#define R_SRC 0x80
#define R_DST 0x88
#define R_CNT 0x90
#define R_CMD 0x98
#define CMD_GO 1
#define CMD_FROM_EDU 2
#define CMD_IRQ 4

static volatile uint32_t n_msi, n_intx, n_emul, last_isr;
static volatile uint64_t t_isr; /* TSC at the handler's entry */
static uint64_t bar;
static uint8_t src[DMA_LEN] __attribute__((aligned(64)));
static uint8_t dst[DMA_LEN] __attribute__((aligned(64)));

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

void isr_dispatch(uint64_t vec)
{
	t_isr = rdtsc();
	if (vec == VEC_EMUL) {
		n_emul++;
		mmio_write32(LAPIC + 0xb0, 0);
		return;
	}
	if (vec != VEC && vec != VEC_INTX)
		fail("edu", 90, "interrupt on an unexpected vector");
	last_isr = mmio_read32(bar + R_ISR);
	mmio_write32(bar + R_ACK, last_isr); /* INTx: the line goes down */
	if (vec == VEC)
		n_msi++;
	else
		n_intx++;
	mmio_write32(LAPIC + 0xb0, 0); /* EOI */
}

static unsigned find_edu(void)
{
	for (unsigned s = 1; s < 32; s++)
		if (c1_read(s, 0) == EDU_ID)
			return s;
	fail("edu", 1, "no edu (1234:11e8) on the bus");
}

/* IDs are read-only: the write is dropped (wisp counts it), BAR0 is a
 * 1 MiB memory BAR placed in the window, memory space starts off. */
static void config(unsigned s)
{
	c1_write(s, 0, 0xdeadbeef);
	CHECK("edu", 2, c1_read(s, 0) == EDU_ID);
	bar = c1_read(s, 0x10);
	CHECK("edu", 3, bar >= WIN && bar < WIN_END && !(bar & 0xf));
	c1_write(s, 0x10, 0xffffffffu);
	CHECK("edu", 4, c1_read(s, 0x10) == 0xfff00000u);
	c1_write(s, 0x10, (uint32_t)bar);
	CHECK("edu", 5, c1_read(s, 0x10) == bar);
	mmio_write16(ecam(s, 4), 0x6); /* memory space, bus master */
	CHECK("edu", 6, (mmio_read16(ecam(s, 4)) & 0x6) == 0x6);
}

static void registers(void)
{
	CHECK("edu", 10, mmio_read32(bar + R_ID) == 0x010000edu);
	mmio_write32(bar + R_LIVE, 0x12345678u);
	CHECK("edu", 11, mmio_read32(bar + R_LIVE) == ~0x12345678u);
	mmio_write32(bar + R_FACT, 5);
	CHECK("edu", 12, WAIT_FOR(!(mmio_read32(bar + R_STATUS) & 1)));
	CHECK("edu", 13, mmio_read32(bar + R_FACT) == 120);
}

/* A BAR read (a memslot: no exit) against a port read that exits to
 * wisp, n of each ("reads=N" on the command line, default 2000); printed
 * for the test and the bench (tests/bench/vfio.sh). */
static void timing(uint64_t n)
{
	const uint64_t N = n ? n : 1;
	uint64_t t0 = rdtsc();
	for (uint64_t i = 0; i < N; i++)
		(void)mmio_read32(bar + R_ID);
	uint64_t t1 = rdtsc();
	for (uint64_t i = 0; i < N; i++)
		(void)inb(EXIT_PORT);
	uint64_t t2 = rdtsc();
	uart_puts("edu: timing bar-read ");
	uart_putdec((t1 - t0) / N);
	uart_puts(" cycles, port-exit ");
	uart_putdec((t2 - t1) / N);
	uart_puts(" cycles\n");
	CHECK("edu", 15, (t1 - t0) * 2 < t2 - t1);
}

/* Moved in the window it follows; over RAM it is refused (RAM stays
 * RAM), then moved back into the window. */
static void move(unsigned s)
{
	c1_write(s, 0x10, NEW_BAR0);
	CHECK("edu", 20, mmio_read32(NEW_BAR0 + R_ID) == 0x010000edu);
	CHECK("edu", 21, mmio_read32(bar + R_ID) == 0xffffffffu);
	bar = NEW_BAR0;
	volatile uint32_t *ram = (volatile uint32_t *)(uintptr_t)RAM_BAR0;
	*ram = 0x5a5a5a5au;
	c1_write(s, 0x10, RAM_BAR0);
	CHECK("edu", 22, *ram == 0x5a5a5a5au);
	c1_write(s, 0x10, NEW_BAR0);
	CHECK("edu", 23, mmio_read32(bar + R_ID) == 0x010000edu);
}

static void dma(uint64_t from, uint64_t to, uint32_t cmd)
{
	mmio_write64(bar + R_SRC, from);
	mmio_write64(bar + R_DST, to);
	mmio_write64(bar + R_CNT, DMA_LEN);
	mmio_write64(bar + R_CMD, CMD_GO | cmd);
}

static bool dma_done(void)
{
	return !(mmio_read64(bar + R_CMD) & CMD_GO);
}

static void dma_round(void)
{
	for (unsigned i = 0; i < DMA_LEN; i++)
		src[i] = (uint8_t)(i * 7 + 3), dst[i] = 0;
	dma((uint64_t)(uintptr_t)src, DMA_BUF, 0);
	CHECK("edu", 30, WAIT_FOR(dma_done()));
	dma(DMA_BUF, (uint64_t)(uintptr_t)dst, CMD_FROM_EDU);
	CHECK("edu", 31, WAIT_FOR(dma_done()));
	for (unsigned i = 0; i < DMA_LEN; i++)
		CHECK("edu", 32, dst[i] == src[i]);
}

static unsigned find_msi(unsigned s)
{
	unsigned off = mmio_read8(ecam(s, 0x34));

	CHECK("edu", 40, mmio_read16(ecam(s, 6)) & 0x10);
	for (unsigned n = 0; off && n < 48; n++) {
		if (mmio_read8(ecam(s, off)) == 0x05)
			return off;
		off = mmio_read8(ecam(s, off + 1));
	}
	fail("edu", 41, "no MSI capability");
}

static void msi_on(unsigned s, unsigned cap, bool on)
{
	uint16_t ctrl = mmio_read16(ecam(s, cap + 2));

	mmio_write16(ecam(s, cap + 2), (uint16_t)((ctrl & ~0x71u) | on));
}

static void msi(unsigned s)
{
	unsigned cap = find_msi(s);
	bool is64 = mmio_read16(ecam(s, cap + 2)) & 0x80;

	mmio_write32(ecam(s, cap + 4), 0xfee00000u);
	if (is64)
		mmio_write32(ecam(s, cap + 8), 0);
	mmio_write16(ecam(s, cap + (is64 ? 12 : 8)), VEC);
	msi_on(s, cap, true);
	mmio_write32(bar + R_RAISE, 0x1);
	CHECK("edu", 42, WAIT_FOR(n_msi == 1) && last_isr == 0x1);
	msi_on(s, cap, false); /* off: nothing arrives */
	mmio_write32(bar + R_RAISE, 0x2);
	CHECK("edu", 43, !WAIT_FOR(n_msi != 1));
	mmio_write32(bar + R_ACK, 0x2);
	msi_on(s, cap, true);
	dma((uint64_t)(uintptr_t)src, DMA_BUF, CMD_IRQ);
	CHECK("edu", 44, WAIT_FOR(n_msi == 2) && last_isr == 0x100);
}

/* IOAPIC input gsi: vector vec, level-triggered, to CPU 0, unmasked. */
static void ioapic_route(unsigned gsi, unsigned vec)
{
	mmio_write32(IOAPIC, 0x10 + 2 * gsi + 1);
	mmio_write32(IOAPIC + 0x10, 0);
	mmio_write32(IOAPIC, 0x10 + 2 * gsi);
	mmio_write32(IOAPIC + 0x10, vec | 1u << 15);
}

/* INTx, as the interrupt line register says (pin A): with MSI off edu
 * raises its line; each interrupt needs VFIO's unmask after the EOI
 * (KVM's resample), so several in a row prove the protocol; with the
 * command register's INTx disable nothing arrives. */
static void intx(unsigned s)
{
	uint32_t r = c1_read(s, 0x3c);
	unsigned gsi = r & 0xff, cap = find_msi(s);

	CHECK("edu", 60, (r >> 8 & 0xff) == 1 && gsi >= 16 && gsi < 24);
	ioapic_route(gsi, VEC_INTX);
	msi_on(s, cap, false);
	for (unsigned i = 1; i <= 3; i++) {
		mmio_write32(bar + R_RAISE, 0x8);
		CHECK("edu", 61, WAIT_FOR(n_intx == i) && last_isr == 0x8);
	}
	mmio_write16(ecam(s, 4), 0x406);
	mmio_write32(bar + R_RAISE, 0x10);
	CHECK("edu", 62, !WAIT_FOR(n_intx != 3));
	mmio_write32(bar + R_ACK, 0x10);
	mmio_write16(ecam(s, 4), 0x6);
	CHECK("edu", 63, n_msi == 2);
}

/* Cycles from the write that raises an interrupt to its handler, the
 * mean of LAT_ROUNDS: edu's MSI (a BAR write with no exit; the device's
 * MSI reaches the host, VFIO's eventfd, KVM's irqfd) against the pcitest
 * function's MSI-X, which wisp emulates (the write exits, wisp writes
 * the irqfd). Printed for the bench (tests/bench/vfio.sh). */
static uint64_t latency(volatile uint32_t *n, uint64_t reg, uint32_t val)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < LAT_ROUNDS; i++) {
		uint32_t before = *n;
		uint64_t t0 = rdtsc();
		mmio_write32(reg, val);
		CHECK("edu", 70, WAIT_FOR(*n != before));
		sum += t_isr - t0;
	}
	return sum / LAT_ROUNDS;
}

/* pcitest (slot s): memory on, vector 0 of its MSI-X table (BAR1) aimed
 * at VEC_EMUL, MSI-X on; its BAR0 returned (+4 sends vector 0). */
static uint64_t pcitest_msix(unsigned s)
{
	uint64_t b0 = c1_read(s, 0x10), t = c1_read(s, 0x14) & ~0xfu;

	mmio_write16(ecam(s, 4), 0x6);
	mmio_write32(t, 0xfee00000u);
	mmio_write32(t + 4, 0);
	mmio_write32(t + 8, VEC_EMUL);
	mmio_write32(t + 12, 0);
	unsigned cap = mmio_read8(ecam(s, 0x34));
	while (cap && mmio_read8(ecam(s, cap)) != 0x11)
		cap = mmio_read8(ecam(s, cap + 1));
	CHECK("edu", 71, cap);
	mmio_write16(ecam(s, cap + 2), 0x8000);
	return b0;
}

static void msi_latency(unsigned s)
{
	unsigned cap = find_msi(s), p = 0;

	for (unsigned i = 1; i < 32 && !p; i++)
		p = c1_read(i, 0) == PCITEST_ID ? i : 0;
	msi_on(s, cap, true);
	uint64_t edu = latency(&n_msi, bar + R_RAISE, 0x1);
	uint64_t emul = p ? latency(&n_emul, pcitest_msix(p) + 4, 0) : 0;
	uart_puts("edu: msi-latency edu ");
	uart_putdec(edu);
	uart_puts(" cycles, emulated ");
	uart_putdec(emul);
	uart_puts(" cycles\n");
	msi_on(s, cap, false);
}

/* The IOMMU stops it: edu's write never reaches anything, the DMA ends
 * (QEMU finishes the command either way), wisp and edu go on. */
static void bad_dma(void)
{
	dma(DMA_BUF, OUTSIDE_RAM, CMD_FROM_EDU);
	CHECK("edu", 50, WAIT_FOR(dma_done()));
	CHECK("edu", 51, mmio_read32(bar + R_ID) == 0x010000edu);
	uart_puts("edu: DMA to 0x8000000 issued\n");
}

int main(unsigned cpu, unsigned ncpus, const char *cmdline)
{
	idt_init();
	lapic_enable();
	unsigned s = find_edu();
	config(s);
	registers();
	timing(cmdline_u64(cmdline, "reads", 2000, NULL));
	move(s);
	dma_round();
	msi(s);
	intx(s);
	msi_latency(s);
	if (cmdline_has(cmdline, "baddma"))
		bad_dma();
	uart_puts("edu: all checks passed\n");
	return 0;
}
