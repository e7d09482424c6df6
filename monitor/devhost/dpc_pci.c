/*
 * monitor/devhost/dpc_pci.c - a device process's PCI function (devproc.h):
 * the replayed pci_register binds the function wisp registered (checked
 * against the handover), guest accesses arrive by BAR and offset, and
 * msix_notify decides here, from the shared mask and pending bits, whether
 * to write the vector's irqfd or leave it pending for wisp's unmask.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "devhost/devproc.h"
#include "policy.h"

#if WISP_PCI
static struct {
	bool on;
	struct dev_pci_func d;
	int fd0; /* vector 0's eventfd */
} dpc_fn;

int dpc_pci_replay(struct dev_ins *ins, const struct dev_pci_func *f,
		   const struct dp_handover *ho, unsigned *ioevents)
{
	struct dev_host *h = ins->host;

	if (dev_pci_func_check(f) < 0 || dpc_fn.on || !ho->pci_slot ||
	    f->msix_vectors != ho->msix_n)
		return -EINVAL;
	for (unsigned i = 0; i < DEV_PCI_BARS; i++) {
		const struct dev_pci_bar *b = &f->bar[i];
		if (!b->bell_len)
			continue;
		if (*ioevents >= ho->n_ioevents)
			return -ENOSPC;
		h->ioevents[h->n_ioevents++] = (struct dev_ioevent){
			ho->ioevent_fd[(*ioevents)++], b->bell_fn,
			b->bell_opaque };
		h->n_pci_bells++;
	}
	dpc_fn.d = *f;
	dpc_fn.fd0 = FD_MSIX0 + (int)(ho->msix_gsi0 - PCI_MSI_GSI0);
	dpc_fn.on = true;
	return (int)ho->pci_slot;
}

bool dpc_pci_bound(void)
{
	return dpc_fn.on;
}

static void dpc_fire(void *ctx, unsigned vec)
{
	uint64_t one = 1;

	(void)!write(dpc_fn.fd0 + (int)vec, &one, sizeof(one));
}

int devproc_child_msix_notify(struct dev_ins *ins, unsigned vec)
{
	struct dev_host *h = ins->host;

	if (!dpc_fn.on)
		return -EPERM;
	return pci_msix_notify(&h->proc->shm->msix, dpc_fn.d.msix_vectors, vec,
			       dpc_fire, NULL);
}

/* wisp found the BAR; the offset and size are checked here again. */
void dpc_pci_io(struct dev_host *h, struct dp_shm *s, unsigned bar)
{
	unsigned size = s->down.size;
	uint64_t off = s->down.addr, end;
	const struct dev_pci_bar *b = &dpc_fn.d.bar[bar < DEV_PCI_BARS ? bar : 0];

	if (!dpc_fn.on || bar >= DEV_PCI_BARS || !b->size ||
	    __builtin_add_overflow(off, size, &end) || end > b->size) {
		s->down.val = ~0ull;
		return;
	}
	if (s->down.op == DP_IO_WRITE) {
		if (b->bell_len && off == b->bell_off && size == b->bell_len)
			b->bell_fn(h->ins, b->bell_opaque, 1);
		else if (b->ops->write)
			b->ops->write(h->ins, b->opaque, off, size, s->down.val);
	} else {
		s->down.val = b->ops->read ? b->ops->read(h->ins, b->opaque, off,
							  size)
					   : ~0ull;
	}
}
#else
bool dpc_pci_bound(void)
{
	return false;
}

int dpc_pci_replay(struct dev_ins *ins, const struct dev_pci_func *f,
		   const struct dp_handover *ho, unsigned *ioevents)
{
	return dev_pci_func_check(f) < 0 ? -EINVAL : -ENODEV;
}

int devproc_child_msix_notify(struct dev_ins *ins, unsigned vec)
{
	return -EPERM;
}

void dpc_pci_io(struct dev_host *h, struct dp_shm *s, unsigned bar)
{
	s->down.val = ~0ull;
}
#endif
