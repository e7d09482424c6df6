/*
 * devices/virtq.c - the split virtqueue (virtio 1.2, 2.7) as a device
 * reads it: every ring access is a checked mem_read/mem_write through the
 * instance's helper table, every loop is bounded by the queue size.
 *
 * The rings are guest memory the guest keeps writing, so each value is
 * read once, into a local, and checked there: an avail index more than
 * the queue size ahead, a head or next index past the table, a chain
 * longer than the queue (a loop is one), a readable descriptor after a
 * writable one, an indirect table that is empty, not whole descriptors,
 * longer than the queue, nested, or also chained, or a ring outside RAM
 * are protocol violations (VIRTQ_BROKEN); the caller puts its device into
 * NEEDS_RESET.
 */
#include <errno.h>
#include <string.h>

#include "virtio.h"

/* Little-endian ring fields; wisp runs x86-64 guests on x86-64 hosts. */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING 4
#define USED_IDX 2
#define USED_RING 4

void virtq_reset(struct virtq *q, struct dev_ins *ins, uint16_t max)
{
	*q = (struct virtq){ .ins = ins, .max = max, .size = max,
			     .msix = VIRTIO_MSI_NO_VECTOR };
}

static int rd16(struct virtq *q, uint64_t gpa, uint16_t *v)
{
	return q->ins->hlp->mem_read(q->ins, gpa, v, sizeof(*v));
}

int virtq_pending(struct virtq *q)
{
	uint16_t idx;

	if (!q->enabled)
		return 0;
	if (rd16(q, q->avail + AVAIL_IDX, &idx) < 0)
		return VIRTQ_BROKEN;
	/* Ring entries are read only after the index that covers them. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	uint16_t n = (uint16_t)(idx - q->last_avail);
	return n > q->size ? VIRTQ_BROKEN : n;
}

/* Where the walk is: the table (the ring's or an indirect one). */
struct walk {
	uint64_t table;
	uint32_t entries;
	bool indirect;
};

static int read_desc(struct virtq *q, const struct walk *w, uint16_t i,
		     struct vring_desc *d)
{
	if (i >= w->entries)
		return VIRTQ_BROKEN;
	if (q->ins->hlp->mem_read(q->ins, w->table + (uint64_t)i * sizeof(*d),
				  d, sizeof(*d)) < 0)
		return VIRTQ_BROKEN;
	return 0;
}

/* Switch the walk to an indirect table: one level, not chained. */
static int enter_indirect(struct virtq *q, struct walk *w,
			  const struct vring_desc *d)
{
	if (!q->indirect || w->indirect || (d->flags & VIRTQ_DESC_F_NEXT) ||
	    !d->len || d->len % sizeof(struct vring_desc) ||
	    d->len / sizeof(struct vring_desc) > q->size)
		return VIRTQ_BROKEN;
	*w = (struct walk){ .table = d->addr,
			    .entries = d->len / sizeof(struct vring_desc),
			    .indirect = true };
	return 0;
}

static int add_seg(struct virtq *q, struct virtq_chain *c,
		   const struct vring_desc *d)
{
	bool wr = d->flags & VIRTQ_DESC_F_WRITE;
	unsigned n = c->n_out + c->n_in;

	if (n >= q->size || (!wr && c->n_in))
		return VIRTQ_BROKEN;
	c->seg[n] = (struct virtq_seg){ .gpa = d->addr, .len = d->len };
	if (wr) {
		c->n_in++;
		c->in_len += d->len;
	} else {
		c->n_out++;
		c->out_len += d->len;
	}
	return 0;
}

/* Every step reads one descriptor; q->size + 1 steps cover the longest
 * legal chain plus one indirect descriptor, so a loop ends here. */
static int walk_chain(struct virtq *q, struct virtq_chain *c, uint16_t head)
{
	struct walk w = { .table = q->desc, .entries = q->size };
	struct vring_desc d;
	uint16_t i = head;

	for (unsigned step = 0; step <= q->size; step++) {
		if (read_desc(q, &w, i, &d) < 0)
			return VIRTQ_BROKEN;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (enter_indirect(q, &w, &d) < 0)
				return VIRTQ_BROKEN;
			i = 0;
			continue;
		}
		if (add_seg(q, c, &d) < 0)
			return VIRTQ_BROKEN;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VIRTQ_CHAIN;
		i = d.next;
	}
	return VIRTQ_BROKEN;
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	int n = virtq_pending(q);
	uint16_t head;

	if (n <= 0)
		return n;
	uint64_t slot = q->avail + AVAIL_RING +
			2ull * (q->last_avail & (q->size - 1));
	if (rd16(q, slot, &head) < 0)
		return VIRTQ_BROKEN;
	c->head = head;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	if (head >= q->size || walk_chain(q, c, head) < 0)
		return VIRTQ_BROKEN;
	q->last_avail++;
	return VIRTQ_CHAIN;
}

void virtq_unpop(struct virtq *q)
{
	q->last_avail--;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	const struct dev_hlp *h = q->ins->hlp;
	uint32_t elem[2] = { head, written };
	uint64_t slot = q->used + USED_RING +
			8ull * (q->used_idx & (q->size - 1));
	uint16_t idx = (uint16_t)(q->used_idx + 1);

	if (h->mem_write(q->ins, slot, elem, sizeof(elem)) < 0)
		return VIRTQ_BROKEN;
	/* The element is visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (h->mem_write(q->ins, q->used + USED_IDX, &idx, sizeof(idx)) < 0)
		return VIRTQ_BROKEN;
	q->used_idx = idx;
	return 0;
}

bool virtq_need_notify(struct virtq *q)
{
	uint16_t flags;

	/* The index is published before the driver's flags are read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (rd16(q, q->avail + AVAIL_FLAGS, &flags) < 0)
		return true;
	return !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* One pass over the segments, copying where [off, off+len) meets them. */
static int seg_copy(struct dev_ins *ins, const struct virtq_seg *seg,
		    unsigned n, uint64_t off, void *rbuf, const void *wbuf,
		    size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		if (off >= seg[i].len) {
			off -= seg[i].len;
			continue;
		}
		size_t k = seg[i].len - off;
		uint64_t gpa;
		k = k < len - done ? k : len - done;
		if (__builtin_add_overflow(seg[i].gpa, off, &gpa))
			return -EFAULT;
		int rc = rbuf ? ins->hlp->mem_read(ins, gpa,
						   (uint8_t *)rbuf + done, k)
			      : ins->hlp->mem_write(ins, gpa,
						    (const uint8_t *)wbuf + done, k);
		if (rc < 0)
			return -EFAULT;
		done += k;
		off = 0;
	}
	return done == len ? 0 : -EFAULT;
}

int virtq_read(struct dev_ins *ins, const struct virtq_seg *seg, unsigned n,
	       uint64_t off, void *buf, size_t len)
{
	return seg_copy(ins, seg, n, off, buf, NULL, len);
}

int virtq_write(struct dev_ins *ins, const struct virtq_seg *seg, unsigned n,
		uint64_t off, const void *buf, size_t len)
{
	return seg_copy(ins, seg, n, off, NULL, buf, len);
}
