/*
 * tests/unit/virtio_drv.h - a tiny virtio-pci guest driver over the fake
 * helper table, for the virtio devices' tests: it sets the device up
 * through common-config MMIO writes in BAR0 as Linux's virtio_pci_modern
 * does (reset, ACKNOWLEDGE|DRIVER, features, FEATURES_OK, queues, vectors,
 * DRIVER_OK), builds split rings in the fake's RAM, rings the doorbell
 * and reads the used ring back.
 *
 * RAM layout: queue q's descriptor table at VDRV_RING(q), its avail ring
 * 4 KiB above, its used ring 8 KiB above; VDRV_DATA onwards is the
 * tests' for buffers. Queue q uses MSI-X vector q + 1, config vector 0.
 */
#ifndef WISP_VIRTIO_DRV_H
#define WISP_VIRTIO_DRV_H

#include <stdint.h>
#include <string.h>

#include "fuzz_hlp.h"
#include "virtio.h"

#define VDRV_RING(q) (0x1000ull + (uint64_t)(q) * 0x3000)
#define VDRV_DATA 0x8000ull

struct vdrv_seg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

struct vdrv_q {
	uint16_t size, avail_idx, used_seen, next_desc;
	uint64_t desc, avail, used;
};

struct vdrv {
	struct fuzz_host *h;
	struct dev_ins *ins;
	uint64_t bar0;
	unsigned nq;
	struct vdrv_q q[VIRTIO_QUEUES_MAX];
};

static inline uint64_t vdrv_r(struct vdrv *d, uint64_t off, unsigned size)
{
	return fuzz_mmio_read(d->h, d->bar0 + off, size);
}

static inline void vdrv_w(struct vdrv *d, uint64_t off, unsigned size,
			  uint64_t v)
{
	fuzz_mmio_write(d->h, d->bar0 + off, size, v);
}

static inline uint8_t vdrv_status(struct vdrv *d)
{
	return (uint8_t)vdrv_r(d, VIRTIO_C_STATUS, 1);
}

static inline uint64_t vdrv_dev_features(struct vdrv *d)
{
	vdrv_w(d, VIRTIO_C_DFSELECT, 4, 0);
	uint64_t lo = vdrv_r(d, VIRTIO_C_DF, 4);
	vdrv_w(d, VIRTIO_C_DFSELECT, 4, 1);
	return lo | vdrv_r(d, VIRTIO_C_DF, 4) << 32;
}

static inline void vdrv_set_features(struct vdrv *d, uint64_t f)
{
	vdrv_w(d, VIRTIO_C_GFSELECT, 4, 0);
	vdrv_w(d, VIRTIO_C_GF, 4, (uint32_t)f);
	vdrv_w(d, VIRTIO_C_GFSELECT, 4, 1);
	vdrv_w(d, VIRTIO_C_GF, 4, f >> 32);
}

/* Queue setup through common config, 64-bit addresses as two halves. */
static inline void vdrv_queue(struct vdrv *d, unsigned qi, uint16_t size)
{
	struct vdrv_q *q = &d->q[qi];
	uint64_t base = VDRV_RING(qi);

	*q = (struct vdrv_q){ .size = size, .desc = base,
			      .avail = base + 0x1000, .used = base + 0x2000 };
	memset(d->h->mem + base, 0, 0x3000);
	vdrv_w(d, VIRTIO_C_Q_SELECT, 2, qi);
	vdrv_w(d, VIRTIO_C_Q_SIZE, 2, size);
	vdrv_w(d, VIRTIO_C_Q_MSIX, 2, qi + 1);
	vdrv_w(d, VIRTIO_C_Q_DESC, 4, (uint32_t)q->desc);
	vdrv_w(d, VIRTIO_C_Q_DESC + 4, 4, q->desc >> 32);
	vdrv_w(d, VIRTIO_C_Q_AVAIL, 8, q->avail);
	vdrv_w(d, VIRTIO_C_Q_USED, 4, (uint32_t)q->used);
	vdrv_w(d, VIRTIO_C_Q_USED + 4, 4, q->used >> 32);
	vdrv_w(d, VIRTIO_C_Q_ENABLE, 2, 1);
}

/* The whole setup; the device's own features are `want` (VERSION_1 is
 * added). 0, or -1 when FEATURES_OK did not stick. */
static inline int vdrv_init(struct vdrv *d, struct fuzz_host *h,
			    struct dev_ins *ins, uint64_t want, uint16_t qsize)
{
	*d = (struct vdrv){ .h = h, .ins = ins, .bar0 = fuzz_pci_bar(h, ins, 0) };
	vdrv_w(d, VIRTIO_C_STATUS, 1, 0);
	vdrv_w(d, VIRTIO_C_STATUS, 1, VIRTIO_S_ACKNOWLEDGE);
	vdrv_w(d, VIRTIO_C_STATUS, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	vdrv_set_features(d, want | 1ull << VIRTIO_F_VERSION_1);
	vdrv_w(d, VIRTIO_C_STATUS, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER |
	       VIRTIO_S_FEATURES_OK);
	if (!(vdrv_status(d) & VIRTIO_S_FEATURES_OK))
		return -1;
	d->nq = (unsigned)vdrv_r(d, VIRTIO_C_NUM_QUEUES, 2);
	for (unsigned i = 0; i < d->nq && i < VIRTIO_QUEUES_MAX; i++)
		vdrv_queue(d, i, qsize);
	vdrv_w(d, VIRTIO_C_MSIX_CONFIG, 2, 0);
	fuzz_msix_enable(h, ins, true);
	vdrv_w(d, VIRTIO_C_STATUS, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER |
	       VIRTIO_S_FEATURES_OK | VIRTIO_S_DRIVER_OK);
	return 0;
}

static inline void vdrv_desc(struct vdrv *d, uint64_t table, uint16_t i,
			     uint64_t addr, uint32_t len, uint16_t flags,
			     uint16_t next)
{
	uint8_t *p = d->h->mem + table + 16ull * i;

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/* Publish head on the avail ring (the index last, as a driver must). */
static inline void vdrv_avail(struct vdrv *d, unsigned qi, uint16_t head)
{
	struct vdrv_q *q = &d->q[qi];
	uint8_t *ring = d->h->mem + q->avail;

	memcpy(ring + 4 + 2 * (q->avail_idx % q->size), &head, 2);
	q->avail_idx++;
	memcpy(ring + 2, &q->avail_idx, 2);
}

/* A chain of n descriptors from the queue's next free ones; its head. */
static inline uint16_t vdrv_chain(struct vdrv *d, unsigned qi,
				  const struct vdrv_seg *s, unsigned n)
{
	struct vdrv_q *q = &d->q[qi];
	uint16_t head = q->next_desc;

	for (unsigned i = 0; i < n; i++) {
		uint16_t at = (uint16_t)((head + i) % q->size);
		uint16_t flags = (s[i].write ? VIRTQ_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
		vdrv_desc(d, q->desc, at, s[i].gpa, s[i].len, flags,
			  (uint16_t)((at + 1) % q->size));
	}
	q->next_desc = (uint16_t)((head + n) % q->size);
	vdrv_avail(d, qi, head);
	return head;
}

static inline void vdrv_kick(struct vdrv *d, unsigned qi)
{
	vdrv_w(d, VIRTIO_NOTIFY_OFF, 2, qi);
}

static inline uint16_t vdrv_used_idx(struct vdrv *d, unsigned qi)
{
	uint16_t idx;

	memcpy(&idx, d->h->mem + d->q[qi].used + 2, 2);
	return idx;
}

/* The next used entry the driver has not seen: true and its id and
 * length, or false. */
static inline bool vdrv_used(struct vdrv *d, unsigned qi, uint32_t *id,
			     uint32_t *len)
{
	struct vdrv_q *q = &d->q[qi];
	uint8_t *e = d->h->mem + q->used + 4 + 8 * (q->used_seen % q->size);

	if (vdrv_used_idx(d, qi) == q->used_seen)
		return false;
	memcpy(id, e, 4);
	memcpy(len, e + 4, 4);
	q->used_seen++;
	return true;
}

/* MSI-X messages vector `vec` has delivered. */
static inline unsigned vdrv_irqs(struct vdrv *d, unsigned vec)
{
	return fuzz_pci_of(d->h, d->ins)->sent[vec];
}

#endif
