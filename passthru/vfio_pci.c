/*
 * passthru/vfio_pci.c - a passed-through function on wisp's PCI bus: a
 * bus-level function with its own config space (pci_bus_add_raw), not a
 * device model behind the helper table (vfio.h says why). The bus places
 * its memory BARs in the window like any other function's; the guest's
 * config accesses come here and go through vfio_cfg. What a write changes
 * (BAR moves, MSI) is left in `pending`, and once the VM runs the VM side
 * (vfio_vm.c) applies it at once: memslots, routes, VFIO's interrupts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pci.h"
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
	if (p->started && p->pending)
		vfio_vm_apply(p);
}

static unsigned cfg_routes(void *opaque, struct pci_msi_route *out,
			   unsigned max)
{
	return vfio_vm_routes(opaque, out, max);
}

static const struct pci_cfg_ops vfio_cfg_ops = {
	.read = cfg_read,
	.write = cfg_write,
	.routes = cfg_routes,
};

/* The MSI vectors the device offers (its multiple-message capable
 * field; the reserved values 6 and 7 capped at MSI's 32), 0 without. */
static unsigned msi_offered(const struct vfio_cfg *c)
{
	if (!c->msi_off)
		return 0;
	unsigned mmc = (vfio_cfg_read(c, c->msi_off + 2, 2) >> 1) & 7;
	return mmc > 5 ? VFIO_VEC_MAX : 1u << mmc;
}

/* GSIs to reserve: MSI's or MSI-X's vectors, whichever offers more (one
 * is live at a time), at most VFIO_VEC_MAX. */
static unsigned vectors(const struct vfio_pci *p, const struct vfio_cfg *c)
{
	unsigned n = msi_offered(c);
	unsigned x = c->msix_off ? p->msix.nvec : 0;

	if (x > VFIO_VEC_MAX)
		x = VFIO_VEC_MAX;
	return x > n ? x : n;
}

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

/* Whether [off, off + len) lies in memory BAR n (the device's own
 * capability says where its MSI-X table and PBA are: hostile too). */
static bool in_bar(const struct vfio_dev *d, unsigned n, uint64_t off,
		   uint64_t len)
{
	const struct vfio_bar *b = n < VFIO_BARS ? &d->cfg.bar[n] : NULL;

	return b && b->size && !b->io && off <= b->size && len <= b->size - off;
}

/* MSI-X's table and PBA, checked to lie inside their BARs. */
static int msix_where(struct vfio_pci *p, const struct vfio_dev *d,
		      char *err, size_t errlen)
{
	struct vfio_msix *x = &p->msix;

	if (vfio_cfg_msix(&d->cfg, x) < 0)
		return 0;
	if (!in_bar(d, x->table_bar, x->table_off, 16ull * x->nvec) ||
	    !in_bar(d, x->pba_bar, x->pba_off, 8ull * ((x->nvec + 63) / 64))) {
		snprintf(err, errlen, "--vfio %s: its MSI-X table or PBA lies "
			 "outside its BAR", d->addr);
		return -EINVAL;
	}
	for (unsigned v = 0; v < VFIO_MSIX_TABLE_MAX; v++)
		p->table[v].ctrl = 1; /* masked at reset */
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

/* Nothing decoded, no fd, the vectors it will have. */
static void init_state(struct vfio_pci *p, struct pci_bus *bus,
		       struct vfio_dev *d)
{
	p->dev = d;
	p->bus = bus;
	p->vm.vm_fd = -1;
	p->nvec = vectors(p, &d->cfg);
	for (unsigned i = 0; i < VFIO_VEC_MAX; i++)
		p->efd[i] = -1;
	for (unsigned i = 0; i < VFIO_BARS; i++)
		p->bar[i] = (struct vfio_pci_bar){p, i, -1, 0};
	p->intx_fd[0] = p->intx_fd[1] = -1;
}

/* INTx on the slot's GSI (the _PRT's), shown as pin A and that line. */
static void wire_intx(struct vfio_pci *p, unsigned slot, uint32_t claimed)
{
	unsigned gsi = PCI_INTX_GSI(slot);

	if (!p->dev->cfg.intx_pin || (claimed >> gsi & 1))
		return;
	p->intx_gsi = gsi;
	vfio_cfg_show_intx(&p->dev->cfg, gsi);
}

int vfio_pci_attach(struct vfio_pci *p, struct pci_bus *bus,
		    struct vfio_dev *d, uint32_t claimed, char *err,
		    size_t errlen)
{
	uint64_t size[DEV_PCI_BARS];
	int rc = bar_sizes(d, size, err, errlen);

	if (rc)
		return rc;
	memset(p, 0, sizeof(*p));
	if ((rc = msix_where(p, d, err, errlen)))
		return rc;
	init_state(p, bus, d);
	rc = pci_bus_add_raw(bus, &p->fn, size, p->nvec, &vfio_cfg_ops, p, p);
	if (rc < 0) {
		snprintf(err, errlen, "--vfio %s: %s", d->addr,
			 rc == -ENOSPC ? "no room on the PCI bus, in its "
					 "BAR window (256 MiB) or its GSIs"
				       : "a BAR wisp cannot place");
		return rc;
	}
	show_bars(p);
	wire_intx(p, (unsigned)rc, claimed);
	return rc;
}
