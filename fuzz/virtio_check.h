/*
 * fuzz/virtio_check.h - invariants every virtio device's fuzz target
 * checks after each op (included by fuzz/virtio_*_fuzz.c, after the
 * device's source): the transport's state stays in its bounds, every
 * request is completed before the call that took it returns (wisp's
 * virtio devices are synchronous), a device in NEEDS_RESET publishes
 * nothing, and MSI-X is only asked for vectors the function has.
 */
#ifndef WISP_VIRTIO_CHECK_H
#define WISP_VIRTIO_CHECK_H

#include "fuzz_hlp.h"
#include "virtio.h"

/* What the previous op left, to compare with. */
struct virtio_model {
	bool broken;
	uint16_t used_idx[VIRTIO_QUEUES_MAX];
};

static void virtio_check_queue(const struct virtio_dev *vd, unsigned i,
			       const struct virtio_model *m)
{
	const struct virtq *q = &vd->q[i];

	if (!q->size || (q->size & (q->size - 1)) || q->size > q->max)
		fuzz_fail("queue %u size %u (max %u)", i, q->size, q->max);
	/* a used ring that cannot be written breaks the device mid-request */
	if (q->enabled && q->last_avail != q->used_idx &&
	    !(vd->status & VIRTIO_S_NEEDS_RESET))
		fuzz_fail("queue %u: %u taken, %u completed", i, q->last_avail,
			  q->used_idx);
	if (m->broken && (vd->status & VIRTIO_S_NEEDS_RESET) &&
	    q->used_idx != m->used_idx[i])
		fuzz_fail("queue %u published while the device needs reset", i);
}

static void virtio_check(struct fuzz_host *h, struct dev_ins *ins,
			 const struct virtio_dev *vd, struct virtio_model *m)
{
	const struct fuzz_pci *p = fuzz_pci_of(h, ins);
	unsigned vectors = vd->type->n_queues + 1;

	if (!p || p->f.msix_vectors != vectors)
		fuzz_fail("no PCI function, or %u vectors", p ? p->f.msix_vectors : 0);
	for (unsigned i = 0; i < vd->type->n_queues; i++)
		virtio_check_queue(vd, i, m);
	if (vd->msix_config != VIRTIO_MSI_NO_VECTOR && vd->msix_config >= vectors)
		fuzz_fail("config vector %u", vd->msix_config);
	if ((vd->status & VIRTIO_S_FEATURES_OK) &&
	    ((vd->drv_features & ~vd->features) ||
	     !(vd->drv_features >> VIRTIO_F_VERSION_1 & 1)))
		fuzz_fail("FEATURES_OK with features 0x%llx of 0x%llx",
			  (unsigned long long)vd->drv_features,
			  (unsigned long long)vd->features);
	unsigned sent = 0;
	for (unsigned v = 0; v < vectors; v++)
		sent += p->sent[v] + p->pending[v];
	/* each call sends at most one message; pending ones coalesce */
	if (p->lost || p->refused || p->notifies < sent)
		fuzz_fail("MSI-X: %u lost, %u refused, %u calls for %u messages",
			  p->lost, p->refused, p->notifies, sent);
	m->broken = vd->status & VIRTIO_S_NEEDS_RESET;
	for (unsigned i = 0; i < vd->type->n_queues; i++)
		m->used_idx[i] = vd->q[i].used_idx;
}

#endif
