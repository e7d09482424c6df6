/*
 * tests/guests/nvme.c - MSI-X of a passed-through function (the vfio
 * profile, --vfio with QEMU's nvme controller behind an emulated IOMMU in
 * the testbed): finds the controller (class 010802) on wisp's PCI bus,
 * programs MSI-X vector 0 in the table (wisp's, in the BAR it traps),
 * brings the admin queues up in guest RAM and has the controller DMA an
 * Identify Controller page into it; the completion's interrupt arrives by
 * MSI-X. Then the vector is masked: the next completion stays pending
 * and is delivered when the guest unmasks it; with the function mask and
 * MSI-X off, nothing arrives. Exit 0 when all pass; otherwise the failed
 * check's number.
 */
#include "guest.h"

#define LAPIC 0xfee00000ull
#define VEC 0x44
#define NVME_CLASS 0x010802u
/* controller registers */
#define R_CC 0x14
#define R_CSTS 0x1c
#define R_AQA 0x24
#define R_ASQ 0x28
#define R_ACQ 0x30
#define DB_SQ0 0x1000
#define DB_CQ0 0x1004 /* CAP.DSTRD 0: 4-byte doorbell stride */
#define QLEN 2

struct sqe {
	uint32_t cdw0, nsid, rsvd[2];
	uint64_t mptr, prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct cqe {
	uint32_t dw0, dw1;
	uint16_t sq_head, sq_id, cid, status;
};

static volatile uint32_t n_msix;
static struct sqe sq[QLEN] __attribute__((aligned(4096)));
static volatile struct cqe cq[QLEN] __attribute__((aligned(4096)));
static volatile uint8_t page[4096] __attribute__((aligned(4096)));
static uint64_t bar, table;
static unsigned sq_tail, cq_head, phase = 1; /* phase flips per wrap */

void isr_dispatch(uint64_t vec)
{
	if (vec != VEC)
		fail("nvme", 90, "interrupt on an unexpected vector");
	n_msix++;
	mmio_write32(LAPIC + 0xb0, 0); /* EOI */
}

static unsigned find_nvme(void)
{
	for (unsigned s = 1; s < 32; s++)
		if (c1_read(s, 8) >> 8 == NVME_CLASS)
			return s;
	fail("nvme", 1, "no NVMe controller on the bus");
}

static unsigned find_msix(unsigned s)
{
	unsigned off = mmio_read8(ecam(s, 0x34));

	for (unsigned n = 0; off && n < 48; n++) {
		if (mmio_read8(ecam(s, off)) == 0x11)
			return off;
		off = mmio_read8(ecam(s, off + 1));
	}
	fail("nvme", 2, "no MSI-X capability");
}

/* MSI-X enable and function mask, the table size kept (read-only). */
static void msix_ctrl(unsigned s, unsigned cap, uint16_t bits)
{
	uint16_t c = mmio_read16(ecam(s, cap + 2));

	mmio_write16(ecam(s, cap + 2), (uint16_t)((c & 0x7ff) | bits));
}

/* BAR0 (64-bit, placed in the window) on; vector 0 of the table aimed
 * at CPU 0 and left masked; MSI-X on. */
static unsigned setup(unsigned s)
{
	unsigned cap = find_msix(s);
	uint32_t t = mmio_read32(ecam(s, cap + 4));

	bar = (c1_read(s, 0x10) & ~0xfu) | (uint64_t)c1_read(s, 0x14) << 32;
	CHECK("nvme", 3, bar >= 0xc0000000u && bar < 0xd0000000u);
	CHECK("nvme", 4, (t & 7) == 0); /* QEMU's table is in BAR0 */
	mmio_write16(ecam(s, 4), 0x6);
	table = bar + (t & ~7u);
	CHECK("nvme", 5, mmio_read32(table + 12) == 1); /* masked at reset */
	mmio_write32(table, 0xfee00000u);
	mmio_write32(table + 4, 0);
	mmio_write32(table + 8, VEC);
	msix_ctrl(s, cap, 0x8000);
	return cap;
}

static void ctrl_up(void)
{
	mmio_write32(bar + R_CC, 0);
	CHECK("nvme", 10, WAIT_FOR(!(mmio_read32(bar + R_CSTS) & 1)));
	mmio_write32(bar + R_AQA, (QLEN - 1) << 16 | (QLEN - 1));
	mmio_write64(bar + R_ASQ, (uint64_t)(uintptr_t)sq);
	mmio_write64(bar + R_ACQ, (uint64_t)(uintptr_t)cq);
	mmio_write32(bar + R_CC, 4u << 20 | 6u << 16 | 1); /* CQE 16, SQE 64 */
	CHECK("nvme", 11, WAIT_FOR(mmio_read32(bar + R_CSTS) & 1));
}

/* Identify Controller into page; the completion's phase bit tells it
 * arrived whatever the interrupt did. */
static void identify(uint16_t cid)
{
	struct sqe *e = &sq[sq_tail];

	for (unsigned i = 0; i < sizeof(*e) / 4; i++)
		((uint32_t *)e)[i] = 0;
	e->cdw0 = 0x06u | (uint32_t)cid << 16;
	e->prp1 = (uint64_t)(uintptr_t)page;
	e->cdw10 = 1;
	sq_tail = (sq_tail + 1) % QLEN;
	mmio_write32(bar + DB_SQ0, sq_tail);
}

static bool completed(uint16_t cid)
{
	return cq[cq_head].cid == cid && (cq[cq_head].status & 1) == phase;
}

static void consume(void)
{
	CHECK("nvme", 20, (cq[cq_head].status >> 1) == 0);
	cq_head = (cq_head + 1) % QLEN;
	phase ^= !cq_head;
	mmio_write32(bar + DB_CQ0, cq_head);
}

int main(unsigned cpu, unsigned ncpus, const char *cmdline)
{
	idt_init();
	lapic_enable();
	unsigned s = find_nvme();
	unsigned cap = setup(s);
	ctrl_up();
	mmio_write32(table + 12, 0); /* unmasked */
	identify(1);
	CHECK("nvme", 30, WAIT_FOR(n_msix == 1) && completed(1));
	consume();
	CHECK("nvme", 31, page[0] == 0x36 && page[1] == 0x1b); /* its VID */
	/* masked: the completion comes, the interrupt waits for the unmask */
	mmio_write32(table + 12, 1);
	identify(2);
	CHECK("nvme", 32, !WAIT_FOR(n_msix != 1) && completed(2));
	mmio_write32(table + 12, 0);
	CHECK("nvme", 33, WAIT_FOR(n_msix == 2));
	consume();
	/* the function mask holds it too; MSI-X off: nothing */
	msix_ctrl(s, cap, 0xc000);
	identify(3);
	CHECK("nvme", 34, !WAIT_FOR(n_msix != 2) && completed(3));
	consume();
	msix_ctrl(s, cap, 0x8000);
	CHECK("nvme", 35, WAIT_FOR(n_msix == 3));
	uart_puts("nvme: all checks passed\n");
	return 0;
}
