/*
 * tests/unit/test_fuzz_pci.c - the fake helper table's PCI bus and host
 * file watches (fuzz/fuzz_hlp.c, fuzz/fuzz_file.c), which the device
 * tests trust: pci_register's rules (checked description, construct only,
 * once per instance, slots), BAR placement and dispatch, the doorbell,
 * MSI-X enable/mask/pending, file_size and file_watch.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz_hlp.h"

struct probe {
	struct dev_pci_func f;
	int reg_rc, reg2_rc;
	uint64_t last_off, last_val;
	unsigned writes, bells, watch_calls;
};

static uint64_t probe_read(struct dev_ins *ins, void *opaque, uint64_t off,
			   unsigned size)
{
	return off;
}

static void probe_write(struct dev_ins *ins, void *opaque, uint64_t off,
			unsigned size, uint64_t val)
{
	struct probe *p = ins->priv;

	p->writes++;
	p->last_off = off;
	p->last_val = val;
}

static const struct dev_io_ops probe_ops_io = {
	.read = probe_read,
	.write = probe_write,
};

static void probe_bell(struct dev_ins *ins, void *opaque, uint64_t n)
{
	((struct probe *)ins->priv)->bells += (unsigned)n;
}

/* What the next probe registers (set by each test). */
static struct dev_pci_func next_func;
static bool next_twice;

static int probe_construct(struct dev_ins *ins)
{
	struct probe *p = ins->priv;

	p->f = next_func;
	p->reg_rc = ins->hlp->pci_register(ins, &p->f);
	if (next_twice)
		p->reg2_rc = ins->hlp->pci_register(ins, &p->f);
	return p->reg_rc < 0 ? p->reg_rc : 0;
}

static void probe_reset(struct dev_ins *ins)
{
}

static const struct dev_ops probe_ops = {
	.construct = probe_construct,
	.reset = probe_reset,
};

static const struct dev_reg probe_reg = {
	.name = "probe", .cls = DEV_CLASS_MISC, .max_instances = 4,
	.instance_size = sizeof(struct probe), .ops = &probe_ops,
};

static struct dev_pci_func func(uint64_t bar0, uint64_t bar2, unsigned vecs)
{
	struct dev_pci_func f = {
		.vendor = 0x1234, .device = 0x11, .class_code = 0xff0000,
		.bar[0] = { .size = bar0, .ops = &probe_ops_io, .bell_off = 0x100,
			    .bell_len = 2, .bell_fn = probe_bell },
		.bar[2] = { .size = bar2, .ops = bar2 ? &probe_ops_io : NULL },
		.msix_vectors = vecs, .msix_bar = 1,
	};
	return f;
}

static struct dev_ins *create(struct fuzz_host *h, struct dev_pci_func f,
			      int want)
{
	struct dev_ins *ins = NULL;

	next_func = f;
	assert_int_equal(fuzz_dev_create(h, &probe_reg, false, NULL, &ins), want);
	return ins;
}

static void test_place_and_dispatch(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *a = create(h, func(0x4000, 0x100000, 3), 0);
	struct dev_ins *b = create(h, func(0x1000, 0, 0), 0);
	struct probe *p = a->priv;

	assert_int_equal(p->reg_rc, 0);
	assert_int_equal(((struct probe *)b->priv)->reg_rc, 1);
	assert_int_equal(fuzz_pci_bar(h, a, 0), FUZZ_PCI_MMIO_BASE);
	assert_int_equal(fuzz_pci_bar(h, a, 1), FUZZ_PCI_MMIO_BASE + 0x4000);
	assert_int_equal(fuzz_pci_bar(h, a, 2), FUZZ_PCI_MMIO_BASE + 0x100000);
	assert_int_equal(fuzz_pci_bar(h, b, 0),
			 FUZZ_PCI_MMIO_BASE + FUZZ_PCI_SLOT_SPAN);
	assert_int_equal(fuzz_pci_bar(h, b, 1), 0);
	assert_int_equal(fuzz_mmio_read(h, FUZZ_PCI_MMIO_BASE + 0x1234, 4), 0x1234);
	assert_int_equal(fuzz_mmio_read(h, FUZZ_PCI_MMIO_BASE + 0x100010, 2), 0x10);
	/* the doorbell: exactly 2 bytes at bell_off, never the ops */
	fuzz_mmio_write(h, FUZZ_PCI_MMIO_BASE + 0x100, 2, 7);
	assert_int_equal(p->bells, 1);
	assert_int_equal(p->writes, 0);
	assert_int_equal(fuzz_pci_of(h, a)->bells[0], 1);
	fuzz_mmio_write(h, FUZZ_PCI_MMIO_BASE + 0x100, 4, 7);
	assert_int_equal(p->bells, 1);
	assert_int_equal(p->writes, 1);
	assert_int_equal(p->last_off, 0x100);
	/* the MSI-X BAR is not emulated: nothing answers there */
	uint64_t unclaimed = h->unclaimed;
	assert_int_equal(fuzz_mmio_read(h, FUZZ_PCI_MMIO_BASE + 0x4000, 4),
			 0xffffffff);
	assert_int_equal(h->unclaimed, unclaimed + 1);
	/* the guest moves BAR0: ops and doorbell follow, the old place is
	 * empty; a misaligned or overlapping place is refused */
	uint64_t to = FUZZ_PCI_MMIO_BASE + 0x800000;
	assert_int_equal(fuzz_pci_move_bar(h, a, 0, to + 0x1000), -EINVAL);
	assert_int_equal(fuzz_pci_move_bar(h, a, 0, fuzz_pci_bar(h, b, 0)),
			 -EEXIST);
	assert_int_equal(fuzz_pci_move_bar(h, a, 0, to), 0);
	assert_int_equal(fuzz_mmio_read(h, to + 0x20, 4), 0x20);
	assert_int_equal(fuzz_mmio_read(h, FUZZ_PCI_MMIO_BASE + 0x20, 4),
			 0xffffffff);
	fuzz_mmio_write(h, to + 0x100, 2, 1);
	assert_int_equal(p->bells, 2);
	fuzz_mmio_write(h, FUZZ_PCI_MMIO_BASE + 0x100, 2, 1);
	assert_int_equal(p->bells, 2);
	assert_int_equal(fuzz_pci_move_bar(h, a, 3, to), -EINVAL);
	/* destroying one frees its slot and ranges for the next */
	fuzz_dev_destroy(h, a);
	assert_int_equal(fuzz_mmio_read(h, to, 4), 0xffffffff);
	struct dev_ins *c = create(h, func(0x1000, 0, 1), 0);
	assert_int_equal(((struct probe *)c->priv)->reg_rc, 0);
}

static void test_register_rules(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_pci_func bad = func(0x3000, 0, 0); /* not a power of two */

	create(h, bad, -EINVAL);
	bad = func(0x1000, 0, 2);
	bad.bar[1].size = 0x1000; /* the MSI-X BAR described */
	bad.bar[1].ops = &probe_ops_io;
	create(h, bad, -EINVAL);
	bad = func(0x1000, 0, 0);
	bad.bar[0].bell_off = 0x1000; /* doorbell outside */
	create(h, bad, -EINVAL);
	/* too big for a slot's span */
	create(h, func(0x1000, FUZZ_PCI_SLOT_SPAN, 0), -ENOSPC);
	next_twice = true;
	struct dev_ins *ins = create(h, func(0x1000, 0, 1), 0);
	next_twice = false;
	struct probe *p = ins->priv;
	assert_int_equal(p->reg2_rc, -EBUSY);
	/* after construct */
	assert_int_equal(ins->hlp->pci_register(ins, &p->f), -EINVAL);
}

static void test_msix(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = create(h, func(0x1000, 0, 2), 0);
	const struct fuzz_pci *p = fuzz_pci_of(h, ins);

	/* disabled: nothing is sent or held */
	assert_int_equal(ins->hlp->msix_notify(ins, 0), 0);
	assert_int_equal(p->lost, 1);
	assert_int_equal(ins->hlp->msix_notify(ins, 2), -EINVAL);
	assert_int_equal(p->refused, 1);
	fuzz_msix_enable(h, ins, true);
	assert_int_equal(ins->hlp->msix_notify(ins, 1), 0);
	assert_int_equal(p->sent[1], 1);
	fuzz_msix_mask(h, ins, 0, true);
	ins->hlp->msix_notify(ins, 0);
	ins->hlp->msix_notify(ins, 0);
	assert_true(p->pending[0]);
	assert_int_equal(p->sent[0], 0);
	fuzz_msix_mask(h, ins, 0, false);
	assert_int_equal(p->sent[0], 1); /* pending ones coalesce */
	assert_false(p->pending[0]);
	assert_int_equal(fuzz_msix_mask(h, ins, 2, true), -EINVAL);
	/* an instance the host does not know */
	assert_int_equal(fuzz_msix_enable(h, NULL, true), -EPERM);
}

static void test_no_vectors(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins = create(h, func(0x1000, 0, 0), 0);

	assert_int_equal(ins->hlp->msix_notify(ins, 0), -EINVAL);
}

static void watch_fn(struct dev_ins *ins, void *opaque, uint64_t key)
{
	struct probe *p = ins->priv;
	uint8_t b[8];

	p->watch_calls++;
	if (opaque) /* a device that reads */
		ins->hlp->file_read(ins, (unsigned)key, b, sizeof(b));
}

static void test_files(void **state)
{
	struct fuzz_host *h = *state;
	uint8_t disk[1000];
	uint64_t size = 0;

	assert_int_equal(fuzz_stage_file(h, 3, disk, sizeof(disk), false), 0);
	assert_int_equal(fuzz_stage_file(h, 5, NULL, 0, true), 0);
	assert_int_equal(fuzz_stage_file(h, DEV_FILE_KEYS, NULL, 0, true), -EINVAL);
	struct dev_ins *ins = create(h, func(0x1000, 0, 0), 0);
	struct probe *p = ins->priv;
	const struct dev_hlp *hl = ins->hlp;
	assert_int_equal(hl->file_size(ins, 3, &size), 0);
	assert_int_equal(size, 1000);
	assert_int_equal(hl->file_size(ins, 4, &size), -EPERM);
	/* watches: construct only; here as if constructing */
	fuzz_dev_of(h, ins)->constructed = false;
	assert_int_equal(hl->file_watch(ins, 3, watch_fn, NULL), -EPERM);
	assert_int_equal(hl->file_watch(ins, 5, watch_fn, (void *)1), 0);
	assert_int_equal(hl->file_watch(ins, 5, watch_fn, NULL), -EBUSY);
	fuzz_dev_of(h, ins)->constructed = true;
	assert_int_equal(hl->file_watch(ins, 5, watch_fn, NULL), -EINVAL);
	assert_int_equal(hl->file_watch_set(ins, 3, true), -EPERM);
	struct fuzz_file *f = fuzz_file_of(h, ins, 5);
	f->rx_len = 10;
	assert_int_equal(fuzz_file_ready(h, ins, 5), 0); /* watches start off */
	assert_int_equal(hl->file_watch_set(ins, 5, true), 0);
	assert_int_equal(fuzz_file_ready(h, ins, 5), 1); /* read the frame */
	assert_int_equal(p->watch_calls, 1);
	assert_int_equal(fuzz_file_ready(h, ins, 3), -EPERM);
	/* a device that never reads is called a bounded number of times */
	f->watch_opaque = NULL;
	f->rx_len = 10;
	assert_int_equal(fuzz_file_ready(h, ins, 5), FUZZ_WATCH_MAX_CALLS);
	assert_int_equal(hl->file_watch_set(ins, 5, false), 0);
	assert_int_equal(f->watch_sets, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fuzz_fixture_setup_empty, \
					      fuzz_fixture_teardown)
		T(test_place_and_dispatch),
		T(test_register_rules),
		T(test_msix),
		T(test_no_vectors),
		T(test_files),
#undef T
	};
	return cmocka_run_group_tests_name("fuzz PCI bus and files", tests,
					   NULL, NULL);
}
