/*
 * passthru/vfio_pci.c - a passed-through function on wisp's PCI bus: a
 * bus-level function with its own config space (pci_bus_add_raw), not a
 * device model behind the helper table (vfio.h says why). The bus places
 * its memory BARs in the window like any other function's; the guest's
 * config accesses come here and go through vfio_cfg. What a write changes
 * (BAR moves, MSI/MSI-X) is left in `pending` for the VM side to apply
 * (memslots, routes), which is the next step of issue 14.
 */
#include <errno.h>
#include <stdio.h>

#include "pci/pci.h"
#include "vfio_pci.h"

static uint32_t cfg_read(void *opaque, unsigned reg, unsigned size)
{
	struct vfio_pci *p = opaque;

	return vfio_cfg_read(&p->dev->cfg, reg, size);
}

static void cfg_write(void *opaque, unsigned reg, unsigned size,
		      uint32_t val)
{
	struct vfio_pci *p = opaque;
	int ev = vfio_dev_cfg_write(p->dev, reg, size, val);

	if (ev < 0)
		p->cmd_errors++; /* the device refused: counted, VM goes on */
	else
		p->pending |= (unsigned)ev;
}

static const struct pci_cfg_ops vfio_cfg_ops = {
	.read = cfg_read,
	.write = cfg_write,
};

/* The BAR sizes the bus places: memory BARs only, 32-bit in the window
 * (a 64-bit BAR is placed there too, its upper half 0). */
static int bar_sizes(const struct vfio_dev *d, uint64_t size[DEV_PCI_BARS],
		     char *err, size_t errlen)
{
	for (unsigned i = 0; i < VFIO_BARS; i++) {
		const struct vfio_bar *b = &d->cfg.bar[i];
		size[i] = b->io ? 0 : b->size;
		if (b->io && b->size) {
			snprintf(err, errlen, "--vfio %s: BAR%u is an I/O BAR, "
				 "which wisp does not pass through yet",
				 d->addr, i);
			return -ENOTSUP;
		}
		if (b->size && b->size < DEV_PCI_BAR_MIN)
			size[i] = DEV_PCI_BAR_MIN; /* a page: memslots need one */
	}
	return 0;
}

/* Show the bus's placement in the guest's view (as firmware would). */
static void show_bars(struct vfio_pci *p)
{
	for (unsigned i = 0; i < VFIO_BARS; i++)
		if (p->fn.bar_size[i])
			vfio_cfg_write(&p->dev->cfg, 0x10 + 4 * i, 4,
				       p->fn.bar_reg[i]);
	p->pending = 0;
}

int vfio_pci_attach(struct vfio_pci *p, struct pci_bus *bus,
		    struct vfio_dev *d, char *err, size_t errlen)
{
	uint64_t size[DEV_PCI_BARS];
	int rc = bar_sizes(d, size, err, errlen);

	if (rc)
		return rc;
	p->dev = d;
	p->pending = 0;
	p->cmd_errors = 0;
	rc = pci_bus_add_raw(bus, &p->fn, size, &vfio_cfg_ops, p, p);
	if (rc < 0) {
		snprintf(err, errlen, "--vfio %s: %s", d->addr,
			 rc == -ENOSPC ? "no room on the PCI bus or in its "
					 "BAR window (256 MiB)"
				       : "a BAR wisp cannot place");
		return rc;
	}
	show_bars(p);
	return rc;
}
