/*
 * devices/pcitest.c - a tiny PCI function for the bus's own tests (the
 * pcitest profile, tests/guests/pci.c): BAR0 (4 KiB) holds a few
 * registers and a doorbell, BAR1 is wisp's MSI-X BAR with two vectors.
 *
 * BAR0: 0x00 magic "PCIT" (read), 0x04 write: send that MSI-X vector
 * (msix_notify), read: its result (int32), 0x08 doorbell rings so far
 * (read), 0x10 the doorbell (a 4-byte write rings; the value is not seen).
 */
#include <errno.h>
#include <stdint.h>

#include "dev.h"

#define PCITEST_MAGIC 0x54494350u /* "PCIT" */
#define PCITEST_VECTORS 2
#define PCITEST_BELL 0x10

struct pcitest {
	int32_t last_rc;
	uint32_t rings;
};

static uint64_t pcitest_read(struct dev_ins *ins, void *opaque, uint64_t off,
			     unsigned size)
{
	struct pcitest *t = ins->priv;

	switch (off) {
	case 0x00: return PCITEST_MAGIC;
	case 0x04: return (uint32_t)t->last_rc;
	case 0x08: return t->rings;
	default: return 0;
	}
}

static void pcitest_write(struct dev_ins *ins, void *opaque, uint64_t off,
			  unsigned size, uint64_t val)
{
	struct pcitest *t = ins->priv;

	/* Any vector number: msix_notify bounds it (-EINVAL). */
	if (off == 0x04)
		t->last_rc = ins->hlp->msix_notify(ins, (unsigned)(val & 0xffff));
}

static void pcitest_bell(struct dev_ins *ins, void *opaque, uint64_t n)
{
	struct pcitest *t = ins->priv;

	t->rings += (uint32_t)n;
}

static const struct dev_io_ops pcitest_io = {
	.read = pcitest_read,
	.write = pcitest_write,
};

static void pcitest_reset(struct dev_ins *ins)
{
	struct pcitest *t = ins->priv;

	*t = (struct pcitest){ 0 };
}

static int pcitest_construct(struct dev_ins *ins)
{
	struct dev_pci_func f = {
		.vendor = 0x1b36, .device = 0x0005, /* Red Hat's "PCI test" */
		.subsys_vendor = 0x1b36, .subsys = 0x0005,
		.class_code = 0x00ff00, .msix_vectors = PCITEST_VECTORS,
		.msix_bar = 1,
	};

	f.bar[0] = (struct dev_pci_bar){ .size = 4096, .ops = &pcitest_io,
		.bell_off = PCITEST_BELL, .bell_len = 4,
		.bell_fn = pcitest_bell };
	int rc = ins->hlp->pci_register(ins, &f);
	if (rc < 0)
		return rc;
	pcitest_reset(ins);
	return 0;
}

static const struct dev_ops pcitest_ops = {
	.construct = pcitest_construct,
	.reset = pcitest_reset,
};

const struct dev_reg dev_reg_pcitest = {
	.name = "pcitest",
	.desc = "PCI test function: registers, a doorbell, two MSI-X vectors",
	.cls = DEV_CLASS_MISC,
	.flags = 0,
	.max_instances = 4,
	.instance_size = sizeof(struct pcitest),
	.ops = &pcitest_ops,
};
