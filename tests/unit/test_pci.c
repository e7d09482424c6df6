/*
 * Unit tests: wisp's PCI bus (pci/, monitor/pci/), driven as a guest drives it:
 * conf1 ports and ECAM through the port and MMIO exit dispatch, BARs and
 * the MSI-X table through MMIO, vectors read back from their eventfds;
 * and the helper table's pci_register/msix_notify checks. No KVM: with
 * vm_fd -1 the bus skips its ioctls and a doorbell write reaches the
 * device through the BAR.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hlp_complete.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "kvm/kvm.h"
#include "pci/pcibus.h"
#include "devhost/devproc.h"
#include "policy.h"
#include <sys/eventfd.h>

const struct dev_entry dev_registry[] = { { 0 } };
const size_t dev_registry_len = 0;
static const struct dev_reg reg_a = { .name = "a" }, reg_b = { .name = "b" };
static struct vm vm;

void vm_request_stop(struct vm *v, int code, const char *why)
{
}

/* Device a: what reached its BAR, and its doorbell. */
static struct {
	uint64_t last_off, last_val;
	unsigned last_size, reads, writes, rings;
} seen;

static uint64_t dev_read(struct dev_ins *ins, void *o, uint64_t off,
			 unsigned size)
{
	seen.reads++;
	seen.last_off = off;
	seen.last_size = size;
	return 0xab000000u | off;
}

static void dev_write(struct dev_ins *ins, void *o, uint64_t off,
		      unsigned size, uint64_t val)
{
	seen.writes++;
	seen.last_off = off;
	seen.last_size = size;
	seen.last_val = val;
}

static void dev_bell(struct dev_ins *ins, void *o, uint64_t n)
{
	seen.rings += (unsigned)n;
}

static const struct dev_io_ops dev_ops = { .read = dev_read,
					   .write = dev_write };

#define NVEC 4
#define BELL 0x100

/* BAR0 16 KiB with a doorbell, BAR2 the MSI-X BAR (4 vectors), two
 * vendor capabilities. */
static struct dev_pci_func func(void)
{
	struct dev_pci_func f = {
		.vendor = 0x1af4, .device = 0x1044, .subsys_vendor = 0x1af4,
		.subsys = 0x0004, .revision = 1, .class_code = 0x00ff00,
		.n_caps = 2, .msix_vectors = NVEC, .msix_bar = 2,
	};

	f.bar[0] = (struct dev_pci_bar){ .size = 16384, .ops = &dev_ops,
		.bell_off = BELL, .bell_len = 4, .bell_fn = dev_bell };
	f.caps[0] = (struct dev_pci_cap){ .len = 16, .data = { 0x09, 0, 16, 7 } };
	f.caps[1] = (struct dev_pci_cap){ .len = 5, .data = { 0, 0, 5, 8, 9 } };
	return f;
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	memset(&seen, 0, sizeof(seen));
	vm.vm_fd = -1;
	vm.unclaimed_rl = (struct ratelimit)RATELIMIT_INIT(5);
	iobus_init(&vm.pio, "port", 0x10000);
	assert_int_equal(mem_init(&vm.mem, 2 << 20), 0);
	vm.n_devs = 2;
	for (unsigned i = 0; i < 2; i++) {
		vm.devs[i].reg = i ? &reg_b : &reg_a;
		snprintf(vm.devs[i].name, sizeof(vm.devs[i].name), "%s.0",
			 vm.devs[i].reg->name);
		vm.hosts[i] = (struct dev_host){ .vm = &vm, .ins = &vm.devs[i] };
		vm.hosts[i].rl = (struct ratelimit)RATELIMIT_INIT(10);
		pthread_mutex_init(&vm.hosts[i].lock, NULL);
		vm.devs[i].host = &vm.hosts[i];
		vm.devs[i].hlp = devhlp_table(false, false);
	}
	pcibus_create(&vm);
	return 0;
}

static int teardown(void **state)
{
	for (unsigned i = 0; i < 2; i++)
		for (unsigned d = 0; d < vm.hosts[i].n_ioevents; d++)
			close(vm.hosts[i].ioevents[d].fd);
	pcibus_destroy(&vm);
	iobus_free(&vm.pio);
	mem_destroy(&vm.mem);
	return 0;
}

static int reg_a_fn(void)
{
	struct dev_pci_func f = func();

	return vm.devs[0].hlp->pci_register(&vm.devs[0], &f);
}

/* ---- the guest's accesses ---------------------------------------------- */

static uint32_t pio_rd(unsigned port, unsigned size)
{
	uint32_t v = 0;

	io_dispatch(&vm, &vm.pio, port, &v, size, false);
	return v;
}

static void pio_wr(unsigned port, unsigned size, uint32_t v)
{
	io_dispatch(&vm, &vm.pio, port, &v, size, true);
}

static uint64_t mmio_rd(uint64_t gpa, unsigned size)
{
	uint64_t v = 0;

	mmio_dispatch(&vm, gpa, &v, size, false);
	return v;
}

static void mmio_wr(uint64_t gpa, unsigned size, uint64_t v)
{
	mmio_dispatch(&vm, gpa, &v, size, true);
}

static uint32_t c1_rd(unsigned slot, unsigned reg, unsigned size)
{
	pio_wr(0xcf8, 4, 0x80000000u | slot << 11 | (reg & 0xfc));
	return pio_rd(0xcfc + (reg & 3), size);
}

static void c1_wr(unsigned slot, unsigned reg, unsigned size, uint32_t v)
{
	pio_wr(0xcf8, 4, 0x80000000u | slot << 11 | (reg & 0xfc));
	pio_wr(0xcfc + (reg & 3), size, v);
}

static uint32_t ecam_rd(unsigned slot, unsigned reg, unsigned size)
{
	return (uint32_t)mmio_rd(PCI_ECAM_BASE + (slot << 15) + reg, size);
}

static void ecam_wr(unsigned slot, unsigned reg, unsigned size, uint32_t v)
{
	mmio_wr(PCI_ECAM_BASE + (slot << 15) + reg, size, v);
}

/* Messages sent on vector v of slot 1 since the last look. */
static uint64_t fired(unsigned v)
{
	uint64_t n = 0;

	if (read(FD_MSIX0 + (int)v, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_tables_complete(void **state)
{
	for (int i = 0; i < 4; i++)
		assert_int_equal(hlp_table_first_null(devhlp_table(i & 1, i & 2)),
				 -1);
}

static void test_bridge_and_absent(void **state)
{
	assert_int_equal(c1_rd(0, 0, 4), 0x0d578086);
	assert_int_equal(ecam_rd(0, 0, 4), 0x0d578086);
	assert_int_equal(ecam_rd(0, 8, 4) >> 8, 0x060000);
	assert_int_equal(ecam_rd(0, 0xe, 1), 0); /* header type 0 */
	assert_int_equal(c1_rd(3, 0, 4), 0xffffffff);
	assert_int_equal(ecam_rd(3, 0, 2), 0xffff);
	assert_int_equal(ecam_rd(31, 0x40, 1), 0xff);
	/* another bus, another function, decoding off */
	pio_wr(0xcf8, 4, 0x80010000u);
	assert_int_equal(pio_rd(0xcfc, 4), 0xffffffff);
	pio_wr(0xcf8, 4, 0x80000100u);
	assert_int_equal(pio_rd(0xcfc, 4), 0xffffffff);
	pio_wr(0xcf8, 4, 0x00000000u);
	assert_int_equal(pio_rd(0xcfc, 4), 0xffffffff);
	assert_int_equal(ecam_rd(0, 1 << 12, 4), 0xffffffff); /* function 1 */
	assert_int_equal(pio_rd(0xcf8, 4), 0);
}

static void test_register_rules(void **state)
{
	struct dev_pci_func f = func();
	const struct dev_hlp *t = vm.devs[0].hlp;

	f.bar[0].size = 1000;
	assert_int_equal(t->pci_register(&vm.devs[0], &f), -EINVAL);
	f = func();
	f.bar[2].size = 4096; /* the MSI-X BAR is wisp's */
	f.bar[2].ops = &dev_ops;
	assert_int_equal(t->pci_register(&vm.devs[0], &f), -EINVAL);
	assert_int_equal(t->pci_register(&vm.devs[0], NULL), -EINVAL);
	assert_int_equal(t->msix_notify(&vm.devs[0], 0), -EPERM);
	assert_int_equal(reg_a_fn(), 1);
	assert_int_equal(reg_a_fn(), -EBUSY);
	assert_int_equal(t->msix_notify(&vm.devs[0], NVEC), -EINVAL);
	assert_int_equal(t->msix_notify(&vm.devs[1], 0), -EPERM);
	vm.hosts[1].constructed = true;
	f = func();
	assert_int_equal(t->pci_register(&vm.devs[1], &f), -EINVAL);
	vm.hosts[1].constructed = false;
	f.msix_vectors = 0;
	f.bar[0].bell_len = 0;
	assert_int_equal(t->pci_register(&vm.devs[1], &f), 2);
	assert_int_equal(c1_rd(2, 0, 4), 0x10441af4);
}

/* Too many vectors for the bus, caps that do not fit config space. */
static void test_register_limits(void **state)
{
	struct dev_pci_func f = func();

	f.n_caps = DEV_PCI_CAPS;
	for (unsigned i = 0; i < DEV_PCI_CAPS; i++)
		f.caps[i] = (struct dev_pci_cap){ .len = DEV_PCI_CAP_BYTES };
	assert_int_equal(vm.devs[0].hlp->pci_register(&vm.devs[0], &f),
			 -EINVAL);
	f = func();
	f.msix_vectors = DEV_PCI_MSIX_MAX;
	assert_int_equal(vm.devs[0].hlp->pci_register(&vm.devs[0], &f), 1);
	f.msix_vectors = 1;
	f.bar[0].bell_len = 0;
	assert_int_equal(vm.devs[1].hlp->pci_register(&vm.devs[1], &f),
			 -ENOSPC);
}

static void test_header(void **state)
{
	assert_int_equal(reg_a_fn(), 1);
	assert_int_equal(c1_rd(1, 0, 4), 0x10441af4);
	assert_int_equal(ecam_rd(1, 2, 2), 0x1044);
	assert_int_equal(ecam_rd(1, 8, 4), 0x00ff0001);
	assert_int_equal(ecam_rd(1, 0x2c, 4), 0x00041af4);
	assert_int_equal(ecam_rd(1, 6, 2), 0x0010); /* capabilities list */
	assert_int_equal(ecam_rd(1, 0xe, 1), 0);
	assert_int_equal(ecam_rd(1, 0x3d, 1), 0); /* no INTx pin */
	assert_int_equal(ecam_rd(1, 0x34, 1), 0x40);
	/* the chain: the device's caps in order, then MSI-X */
	assert_int_equal(ecam_rd(1, 0x40, 2), 0x5009);
	assert_int_equal(ecam_rd(1, 0x42, 2), 0x0710);
	assert_int_equal(ecam_rd(1, 0x50, 4), 0x08055809); /* id 0 -> 0x09 */
	assert_int_equal(ecam_rd(1, 0x58, 1), 0x11);
	assert_int_equal(ecam_rd(1, 0x59, 1), 0);
	assert_int_equal(ecam_rd(1, 0x5a, 2), NVEC - 1);
	assert_int_equal(ecam_rd(1, 0x5c, 4), 2);          /* table: BAR2 + 0 */
	assert_int_equal(ecam_rd(1, 0x60, 4), 0x800 | 2);  /* PBA */
	assert_int_equal(ecam_rd(1, 0x64, 4), 0);
	assert_int_equal(ecam_rd(1, 0x100, 4), 0);         /* no extended space */
	ecam_wr(1, 0, 4, 0x12345678);                       /* read-only */
	ecam_wr(1, 0x40, 4, 0);
	assert_int_equal(ecam_rd(1, 0, 4), 0x10441af4);
	assert_int_equal(ecam_rd(1, 0x40, 1), 0x09);
}

static void test_command_bits(void **state)
{
	assert_int_equal(reg_a_fn(), 1);
	c1_wr(1, 4, 2, 0xffff);
	assert_int_equal(c1_rd(1, 4, 2), 0x0406);
	c1_wr(1, 4, 4, 0xffff0000u); /* status: read-only */
	assert_int_equal(c1_rd(1, 4, 4), 0x00100000u);
	c1_wr(1, 5, 1, 0xff);
	assert_int_equal(c1_rd(1, 4, 2), 0x0400);
}

static void test_bar_sizing(void **state)
{
	assert_int_equal(reg_a_fn(), 1);
	uint32_t start = ecam_rd(1, 0x10, 4);
	assert_true(start >= PCI_WIN_BASE && start < PCI_WIN_BASE + PCI_WIN_SIZE);
	assert_int_equal(start & 0x3fff, 0);
	ecam_wr(1, 0x10, 4, 0xffffffff);
	assert_int_equal(ecam_rd(1, 0x10, 4), 0xffffc000u);
	c1_wr(1, 0x18, 4, 0xffffffff); /* the MSI-X BAR: 4 KiB */
	assert_int_equal(c1_rd(1, 0x18, 4), 0xfffff000u);
	for (unsigned b = 1; b < 6; b += b == 1 ? 2 : 1) {
		ecam_wr(1, 0x10 + 4 * b, 4, 0xffffffff); /* unused */
		assert_int_equal(ecam_rd(1, 0x10 + 4 * b, 4), 0);
	}
	ecam_wr(1, 0x12, 2, 0xc010); /* a half-word of the address */
	assert_int_equal(ecam_rd(1, 0x10, 4), 0xc010c000u);
	ecam_wr(1, 0x10, 4, start);
	assert_int_equal(ecam_rd(1, 0x10, 4), start);
}

static void test_bar_decode_move(void **state)
{
	assert_int_equal(reg_a_fn(), 1);
	uint64_t bar = ecam_rd(1, 0x10, 4);
	assert_int_equal(mmio_rd(bar + 8, 4), 0xffffffff); /* memory space off */
	assert_int_equal(seen.reads, 0);
	ecam_wr(1, 4, 2, 2);
	assert_int_equal(mmio_rd(bar + 8, 4), 0xab000008);
	assert_int_equal(seen.last_size, 4);
	mmio_wr(bar + 0x3ff8, 8, 0x1122334455667788ull);
	assert_int_equal(seen.last_off, 0x3ff8);
	assert_int_equal(seen.last_val, 0x1122334455667788ull);
	mmio_wr(bar + BELL, 4, 1); /* the doorbell */
	assert_int_equal(seen.rings, 1);
	assert_int_equal(seen.writes, 1);
	mmio_wr(bar + BELL, 2, 1); /* another size: a plain write */
	assert_int_equal(seen.rings, 1);
	assert_int_equal(seen.writes, 2);
	/* moved: the old place is gone, the new one answers */
	ecam_wr(1, 0x10, 4, 0xc8000000u);
	assert_int_equal(mmio_rd(bar + 8, 4), 0xffffffff);
	assert_int_equal(mmio_rd(0xc8000010ull, 4), 0xab000010);
	mmio_wr(0xc8000000ull + BELL, 4, 1);
	assert_int_equal(seen.rings, 2);
	ecam_wr(1, 4, 2, 0); /* off */
	assert_int_equal(mmio_rd(0xc8000010ull, 4), 0xffffffff);
	ecam_wr(1, 4, 2, 2);
	assert_int_equal(mmio_rd(0xc8000010ull, 4), 0xab000010);
}

/* Over RAM or another BAR: not decoded, the VM goes on, and moved to a
 * free place it decodes again. */
static void test_bar_refused(void **state)
{
	assert_int_equal(reg_a_fn(), 1);
	uint64_t msix = ecam_rd(1, 0x18, 4);
	ecam_wr(1, 4, 2, 2);
	ecam_wr(1, 0x10, 4, 0x100000); /* RAM */
	assert_int_equal(mmio_rd(0x100000, 4), 0xffffffff);
	assert_int_equal(seen.reads, 0);
	ecam_wr(1, 0x10, 4, (uint32_t)msix & ~0x3fffu); /* over the MSI-X BAR */
	assert_int_equal(mmio_rd(msix, 4), 0);          /* still the table */
	assert_int_equal(seen.reads, 0);
	ecam_wr(1, 0x10, 4, (uint32_t)PCI_ECAM_BASE); /* over ECAM */
	assert_int_equal(ecam_rd(0, 0, 4), 0x0d578086);
	ecam_wr(1, 0x10, 4, 0xc4000000u);
	assert_int_equal(mmio_rd(0xc4000004ull, 4), 0xab000004);
}

static uint64_t msix_base(void)
{
	return ecam_rd(1, 0x18, 4);
}

static void program(unsigned v, uint32_t data)
{
	uint64_t e = msix_base() + 16 * v;

	mmio_wr(e, 4, 0xfee00003u);
	mmio_wr(e + 4, 4, 0);
	mmio_wr(e + 8, 4, data);
}

static void test_msix_table(void **state)
{
	assert_int_equal(reg_a_fn(), 1);
	ecam_wr(1, 4, 2, 6);
	uint64_t t = msix_base();
	assert_int_equal(mmio_rd(t + 12, 4), 1); /* masked at reset */
	program(1, 0x4041);
	assert_int_equal(mmio_rd(t + 16, 4), 0xfee00000u); /* dword aligned */
	assert_int_equal(mmio_rd(t + 24, 4), 0x4041);
	mmio_wr(t + 28, 4, 0xfffffffe); /* reserved bits stay 0 */
	assert_int_equal(mmio_rd(t + 28, 4), 0);
	mmio_wr(t + 16, 8, 0x00000001fee01000ull);
	assert_int_equal(mmio_rd(t + 16, 8), 0x00000001fee01000ull);
	assert_int_equal(mmio_rd(t + 17, 4), 0xffffffff); /* unaligned */
	assert_int_equal(mmio_rd(t + 16, 2), 0xffff);     /* too small */
	mmio_wr(t + 16, 1, 0);
	assert_int_equal(mmio_rd(t + 16, 4), 0xfee01000u);
	assert_int_equal(mmio_rd(t + 16 * NVEC, 4), 0); /* past the table */
	mmio_wr(t + 0x800, 8, ~0ull);                   /* the PBA: read-only */
	assert_int_equal(mmio_rd(t + 0x800, 8), 0);
}

static void test_msix_mask_pending(void **state)
{
	const struct dev_hlp *h = vm.devs[0].hlp;

	assert_int_equal(reg_a_fn(), 1);
	ecam_wr(1, 4, 2, 6);
	program(0, 0x30);
	/* disabled: dropped, not pending */
	assert_int_equal(h->msix_notify(&vm.devs[0], 0), 0);
	assert_int_equal(fired(0), 0);
	/* enabled with the function masked: pending */
	ecam_wr(1, 0x5a, 2, 0xc000);
	assert_int_equal(ecam_rd(1, 0x5a, 2), 0xc000 | (NVEC - 1));
	mmio_wr(msix_base() + 12, 4, 0);
	assert_int_equal(h->msix_notify(&vm.devs[0], 0), 0);
	assert_int_equal(fired(0), 0);
	assert_int_equal(mmio_rd(msix_base() + 0x800, 4), 1);
	/* the function unmasked: sent once, no longer pending */
	ecam_wr(1, 0x5a, 2, 0x8000);
	assert_int_equal(fired(0), 1);
	assert_int_equal(mmio_rd(msix_base() + 0x800, 4), 0);
	/* live: straight out */
	assert_int_equal(h->msix_notify(&vm.devs[0], 0), 0);
	assert_int_equal(fired(0), 1);
	/* the vector masked: pending until unmasked */
	mmio_wr(msix_base() + 12, 4, 1);
	assert_int_equal(h->msix_notify(&vm.devs[0], 0), 0);
	assert_int_equal(h->msix_notify(&vm.devs[0], 0), 0);
	assert_int_equal(fired(0), 0);
	assert_int_equal(mmio_rd(msix_base() + 0x800, 8), 1);
	mmio_wr(msix_base() + 12, 4, 0);
	assert_int_equal(fired(0), 1);
	/* vector 3 masked (reset state), others untouched */
	assert_int_equal(h->msix_notify(&vm.devs[0], 3), 0);
	assert_int_equal(mmio_rd(msix_base() + 0x800, 4), 8);
	assert_int_equal(fired(3), 0);
	/* disabled again: nothing sent, even on unmask */
	ecam_wr(1, 0x5a, 2, 0);
	mmio_wr(msix_base() + 16 * 3 + 12, 4, 0);
	assert_int_equal(fired(3), 0);
	assert_int_equal(h->msix_notify(&vm.devs[0], 1), 0);
	assert_int_equal(fired(1), 0);
}

static void test_bad_sizes(void **state)
{
	assert_int_equal(reg_a_fn(), 1);
	pio_wr(0xcf8, 4, 0x80000800u);
	assert_int_equal(pio_rd(0xcfd, 4), 0xffffffff); /* past 0xcff */
	assert_int_equal(pio_rd(0xcfe, 2), 0x1044);
	assert_int_equal(pio_rd(0xcfd, 1), 0x1a);
	assert_int_equal(pio_rd(0xcf9, 1), 0xff);     /* not the address */
	pio_wr(0xcf9, 1, 0);
	assert_int_equal(pio_rd(0xcf8, 4), 0x80000800u);
	assert_int_equal(mmio_rd(PCI_ECAM_BASE + (1 << 15), 8), ~0ull);
	assert_int_equal(ecam_rd(1, 1, 2), 0xffff);    /* unaligned */
	assert_int_equal(ecam_rd(1, 2, 4), 0xffffffff);
	ecam_wr(1, 3, 2, 0xffff);                     /* dropped */
	ecam_wr(1, 0x11, 4, 0xffffffff);
	assert_int_equal(ecam_rd(1, 4, 2), 0);
	assert_int_equal(ecam_rd(1, 0xfff, 1), 0);
}

/* A device process's side (dpc_pci.c): the replay binds the handed-over
 * function, a BAR access by index and offset is bounded, and notify sends
 * or leaves pending from the shared page alone. Once per process. */
static struct dp_shm child_shm;

static uint64_t child_io(struct dev_host *h, uint32_t op, unsigned bar,
			 uint64_t off, unsigned size, uint64_t val)
{
	child_shm.down = (typeof(child_shm.down)){ .op = op, .size = size,
		.space = DP_SPACE_BAR0 + bar, .addr = off, .val = val };
	dpc_pci_io(h, &child_shm, bar);
	return child_shm.down.val;
}

static void test_child_side(void **state)
{
	struct devproc p = { .shm = &child_shm };
	struct dev_host *h = &vm.hosts[0];
	struct dp_handover ho = { .pci_slot = 3, .msix_gsi0 = PCI_MSI_GSI0,
				  .msix_n = NVEC, .n_ioevents = 1,
				  .ioevent_fd = { FD_IOEV0 + 5 } };
	struct dev_pci_func f = func();
	unsigned used = 0;

	h->proc = &p;
	assert_int_equal(devproc_child_msix_notify(&vm.devs[0], 0), -EPERM);
	ho.msix_n = NVEC + 1;
	assert_int_equal(dpc_pci_replay(&vm.devs[0], &f, &ho, &used), -EINVAL);
	ho.msix_n = NVEC;
	assert_int_equal(dpc_pci_replay(&vm.devs[0], &f, &ho, &used), 3);
	assert_int_equal(used, 1);
	assert_int_equal(h->ioevents[0].fd, FD_IOEV0 + 5);
	assert_int_equal(dpc_pci_replay(&vm.devs[0], &f, &ho, &used), -EINVAL);
	assert_true(dpc_pci_bound());
	/* BAR accesses, bounded here again */
	assert_int_equal(child_io(h, DP_IO_READ, 0, 8, 4, 0), 0xab000008);
	assert_int_equal(child_io(h, DP_IO_READ, 0, 0x3ffc, 8, 0), ~0ull);
	assert_int_equal(child_io(h, DP_IO_READ, 0, ~0ull - 1, 4, 0), ~0ull);
	assert_int_equal(child_io(h, DP_IO_READ, 1, 0, 4, 0), ~0ull);
	assert_int_equal(child_io(h, DP_IO_READ, 6, 0, 4, 0), ~0ull);
	assert_int_equal(child_io(h, DP_IO_READ, 0xfffffff0u, 0, 4, 0), ~0ull);
	child_io(h, DP_IO_WRITE, 0, BELL, 4, 1);
	assert_int_equal(seen.rings, 1);
	child_io(h, DP_IO_WRITE, 0, 0x20, 2, 7);
	assert_int_equal(seen.last_val, 7);
	/* MSI-X from the shared page: off, masked (pending), live */
	int fd = eventfd(0, EFD_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, FD_MSIX0), FD_MSIX0);
	close(fd);
	assert_int_equal(devproc_child_msix_notify(&vm.devs[0], NVEC), -EINVAL);
	assert_int_equal(devproc_child_msix_notify(&vm.devs[0], 0), 0);
	assert_int_equal(fired(0), 0);
	atomic_store(&child_shm.msix.ctrl, PCI_MSIX_ENABLE);
	atomic_store(&child_shm.msix.mask, 1);
	assert_int_equal(devproc_child_msix_notify(&vm.devs[0], 0), 0);
	assert_int_equal(fired(0), 0);
	assert_int_equal(atomic_load(&child_shm.msix.pba), 1);
	atomic_store(&child_shm.msix.mask, 0);
	atomic_store(&child_shm.msix.pba, 0);
	assert_int_equal(devproc_child_msix_notify(&vm.devs[0], 0), 0);
	assert_int_equal(fired(0), 1);
	close(FD_MSIX0);
	h->proc = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_tables_complete), T(test_bridge_and_absent),
		T(test_register_rules), T(test_register_limits),
		T(test_header), T(test_command_bits), T(test_bar_sizing),
		T(test_bar_decode_move), T(test_bar_refused),
		T(test_msix_table), T(test_msix_mask_pending),
		T(test_bad_sizes), T(test_child_side),
#undef T
	};

	/* The vectors' fixed fds must be free: a test runner may leave one
	 * of its own there (wisp itself would refuse to start). */
	for (int fd = FD_MSIX0; fd < FD_MSIX0 + FD_MSIX_MAX; fd++)
		close(fd);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
