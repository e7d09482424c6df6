/*
 * devices/hvt_net.c - the hvt device's network back end: NET_WRITE (0x506)
 * and NET_READ (0x507) over the tap devices the monitor attached, one per
 * NET_BASIC manifest entry (file key = manifest index = the guest's handle;
 * the taps are in the wait set POLL sleeps on). Linked only into monitors
 * whose unikernel has a NIC.
 *
 * A handle that is not an attached NIC gets EINVAL, so does a frame longer
 * than NET_FRAME_MAX. A bad pointer ends the VM. A failed or short write to
 * the tap, or a failed read, gets EUNSPEC; an empty tap gets AGAIN.
 */
#include <errno.h>
#include <stddef.h>

#include "hvt_dev.h"

#define NET_FRAME_MAX HVT_BUF_SIZE /* a tap frame is at most 64 KiB */

static int32_t net_write(struct dev_ins *ins, struct hvt_state *d,
			 const struct hvt_hc_net *a)
{
	if (!hvt_entry(d->cfg->mft, a->handle, MFT_DEV_NET_BASIC) ||
	    a->len > NET_FRAME_MAX)
		return HVT_R_EINVAL;
	if (!hvt_read(ins, d->cfg, a->data, d->buf, a->len,
		      "NET_WRITE: bad data pointer"))
		return -1;
	long n = ins->hlp->file_write(ins, (unsigned)a->handle, d->buf, a->len);
	if (n != (long)a->len) {
		ins->hlp->log(ins, DEV_LOG_WARN, "tap %u: write failed (%ld)",
			      (unsigned)a->handle, n);
		return HVT_R_EUNSPEC;
	}
	return HVT_R_OK;
}

static int32_t net_read(struct dev_ins *ins, struct hvt_state *d,
			struct hvt_hc_net *a)
{
	if (!hvt_entry(d->cfg->mft, a->handle, MFT_DEV_NET_BASIC))
		return HVT_R_EINVAL;
	if (!hvt_gpa_ok(d->cfg, a->data, a->len)) {
		hvt_fault(ins, "NET_READ: bad data pointer");
		return -1;
	}
	size_t room = a->len < NET_FRAME_MAX ? a->len : NET_FRAME_MAX;
	long n = ins->hlp->file_read(ins, (unsigned)a->handle, d->buf, room);
	if (n == 0 || n == -EAGAIN)
		return HVT_R_AGAIN;
	if (n < 0)
		return HVT_R_EUNSPEC;
	if (!hvt_write(ins, d->cfg, a->data, d->buf, (uint64_t)n,
		       "NET_READ: bad data pointer"))
		return -1;
	a->len = (uint64_t)n;
	return HVT_R_OK;
}

static void net_call(struct dev_ins *ins, struct hvt_state *d, uint64_t gpa,
		     bool write)
{
	struct hvt_hc_net a;

	if (!hvt_read(ins, d->cfg, gpa, &a, sizeof(a), "NET: bad argument "
		      "pointer"))
		return;
	a.ret = write ? net_write(ins, d, &a) : net_read(ins, d, &a);
	if (a.ret >= 0)
		hvt_write(ins, d->cfg, gpa, &a, sizeof(a), "NET: bad argument "
			  "pointer");
}

static void net_call_nr(struct dev_ins *ins, struct hvt_state *d,
			enum hvt_hc nr, uint64_t gpa)
{
	net_call(ins, d, gpa, nr == HVT_HC_NET_WRITE);
}


/* --- the shared net ring (host feature bit 0) ---
 * The guest submits entries and bumps ent_tail; this worker thread takes
 * them from ent_head, writes frames to the tap (no completion) and answers
 * reads with a commit. Indexes run freely, masked with HVT_RING_MASK. Every
 * ring field is read from guest memory each time (the guest may change it
 * at will); data pointers get the same checks as hypercall pointers. */

#ifndef RING_SPINS
#define RING_SPINS 4096 /* polls before asking for a kick */
#endif

static uint64_t ring_at(const struct hvt_ring_state *r, size_t off)
{
	return r->gpa + off;
}

static uint32_t ring_get(struct dev_ins *ins, struct hvt_ring_state *r,
			 size_t off)
{
	uint32_t v = 0;

	ins->hlp->mem_read(ins, ring_at(r, off), &v, sizeof(v));
	return v;
}

static void ring_set(struct dev_ins *ins, struct hvt_ring_state *r,
		     size_t off, uint32_t v)
{
	ins->hlp->mem_write(ins, ring_at(r, off), &v, sizeof(v));
}

/* Fire and forget: a bad handle or size is skipped; false on a bad
 * pointer (the VM is ending). */
static bool ring_write(struct dev_ins *ins, const struct hvt_dev_cfg *c,
		       struct hvt_ring_state *r, const struct hvt_ring_entry *e)
{
	if (!hvt_entry(c->mft, e->handle, MFT_DEV_NET_BASIC) ||
	    e->len > NET_FRAME_MAX)
		return true;
	if (!hvt_read(ins, c, e->data, r->buf, e->len, "net ring: bad data "
		      "pointer"))
		return false;
	if (ins->hlp->file_write(ins, e->handle, r->buf, e->len) != (long)e->len)
		ins->hlp->log(ins, DEV_LOG_WARN, "tap %u: write failed", e->handle);
	return true;
}

static int32_t ring_read(struct dev_ins *ins, const struct hvt_dev_cfg *c,
			 struct hvt_ring_state *r, const struct hvt_ring_entry *e,
			 uint32_t *len)
{
	if (!hvt_entry(c->mft, e->handle, MFT_DEV_NET_BASIC))
		return HVT_R_EINVAL;
	if (!hvt_gpa_ok(c, e->data, e->len)) {
		hvt_fault(ins, "net ring: bad data pointer");
		return -1;
	}
	size_t room = e->len < NET_FRAME_MAX ? e->len : NET_FRAME_MAX;
	long n = ins->hlp->file_read(ins, e->handle, r->buf, room);
	if (n == 0 || n == -EAGAIN)
		return HVT_R_AGAIN;
	if (n < 0)
		return HVT_R_EINVAL; /* as the ABI's ring answers a host error */
	if (!hvt_write(ins, c, e->data, r->buf, (uint64_t)n, "net ring: bad "
		       "data pointer"))
		return -1;
	*len = (uint32_t)n;
	return HVT_R_OK;
}

static void ring_commit(struct dev_ins *ins, struct hvt_ring_state *r,
			uint32_t id, int32_t ret, uint32_t len)
{
	uint32_t tail = ring_get(ins, r, offsetof(struct hvt_ring, com_tail));
	struct hvt_ring_commit c = { .id = id, .ret = ret, .len = len };

	ins->hlp->mem_write(ins, ring_at(r, offsetof(struct hvt_ring, commits) +
				       (tail & HVT_RING_MASK) * sizeof(c)),
			    &c, sizeof(c));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ring_set(ins, r, offsetof(struct hvt_ring, com_tail), tail + 1);
}

/* Take one entry: 1 done, 0 none, -1 the guest broke the ring (the VM is
 * ending; the worker stops). */
static int ring_one(struct dev_ins *ins, const struct hvt_dev_cfg *c,
		    struct hvt_ring_state *r)
{
	uint32_t head = ring_get(ins, r, offsetof(struct hvt_ring, ent_head));
	uint32_t tail = ring_get(ins, r, offsetof(struct hvt_ring, ent_tail));
	struct hvt_ring_entry e;
	uint32_t len = 0;

	if (head == tail)
		return 0;
	if (tail - head > HVT_RING_ENTRIES) {
		hvt_fault(ins, "net ring: submission index out of range");
		return -1;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	ins->hlp->mem_read(ins, ring_at(r, offsetof(struct hvt_ring, entries) +
				      (head & HVT_RING_MASK) * sizeof(e)),
			   &e, sizeof(e));
	if (e.operation == HVT_RING_OP_WRITE && !ring_write(ins, c, r, &e))
		return -1;
	if (e.operation == HVT_RING_OP_READ) {
		int32_t ret = ring_read(ins, c, r, &e, &len);
		if (ret < 0)
			return -1;
		ring_commit(ins, r, e.id, ret, len);
	}
	ring_set(ins, r, offsetof(struct hvt_ring, ent_head), head + 1);
	return 1;
}

/* Spin a while for work, then ask for a kick and sleep on the doorbell. */
static bool ring_idle(struct dev_ins *ins, struct hvt_ring_state *r)
{
	for (int i = 0; i < RING_SPINS; i++) {
		if (ring_get(ins, r, offsetof(struct hvt_ring, ent_head)) !=
		    ring_get(ins, r, offsetof(struct hvt_ring, ent_tail)))
			return true;
		__builtin_ia32_pause();
	}
	ring_set(ins, r, offsetof(struct hvt_ring, needs_kick), 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	bool work = ring_get(ins, r, offsetof(struct hvt_ring, ent_head)) !=
		    ring_get(ins, r, offsetof(struct hvt_ring, ent_tail));
	if (!work && ins->hlp->doorbell_wait(ins, r->bell) < 0)
		return false;
	ring_set(ins, r, offsetof(struct hvt_ring, needs_kick), 0);
	return true;
}

static void ring_worker(struct dev_ins *ins, void *opaque)
{
	struct hvt_state *s = opaque;
	int rc;

	do {
		while ((rc = ring_one(ins, s->cfg, &s->ring)) > 0)
			;
	} while (rc == 0 && ring_idle(ins, &s->ring));
}

/* The kick port is the device's own range, so it may put the doorbell
 * there; only 4-byte OUTs are the kick (KVM takes them), anything else
 * breaks the ABI, as an access nothing handled did. */
static uint64_t kick_in(struct dev_ins *ins, void *opaque, uint64_t off,
			unsigned size)
{
	hvt_fault(ins, "IN from the ring kick port");
	return ~0ull;
}

static void kick_out(struct dev_ins *ins, void *opaque, uint64_t off,
		     unsigned size, uint64_t val)
{
	hvt_fault(ins, "the ring kick port takes only 4-byte OUTs");
}

static const struct dev_io_ops kick_io = {
	.read = kick_in,
	.write = kick_out,
};

static int net_doorbell(struct dev_ins *ins)
{
	int rc = ins->hlp->io_register(ins, DEV_SPACE_PIO, HVT_RING_KICK_PORT,
				       4, &kick_io, NULL);
	if (rc < 0)
		return rc;
	rc = ins->hlp->doorbell_create(ins, DEV_SPACE_PIO, HVT_RING_KICK_PORT,
				       4);
	if (rc < 0)
		ins->hlp->io_unregister(ins, DEV_SPACE_PIO, HVT_RING_KICK_PORT);
	return rc;
}

/* Offer the ring when there is room for it and the kick can be a doorbell;
 * otherwise the guest uses the NET hypercalls. The boot info says which. */
static int net_construct(struct dev_ins *ins, struct hvt_state *s)
{
	const uint32_t feat = HVT_FEATURE_RING_IO;
	uint64_t gpa = s->cfg->ring_gpa;

	if (!gpa)
		return 0;
	int bell = net_doorbell(ins);
	if (bell < 0 || ins->hlp->worker_start(ins, ring_worker, s) < 0) {
		ins->hlp->log(ins, DEV_LOG_INFO, "net ring not offered (%d): "
			      "NET hypercalls only", bell);
		return 0;
	}
	s->ring = (struct hvt_ring_state){ .gpa = gpa, .bell = bell };
	ins->hlp->mem_write(ins, HVT_BOOT_INFO +
			    offsetof(struct hvt_boot_info, host_features),
			    &feat, sizeof(feat));
	return ins->hlp->mem_write(ins, HVT_BOOT_INFO +
				   offsetof(struct hvt_boot_info, net_ring),
				   &gpa, sizeof(gpa));
}

const struct hvt_backend hvt_backend_net = {
	.type = MFT_DEV_NET_BASIC,
	.first = HVT_HC_NET_WRITE,
	.call = net_call_nr,
	.construct = net_construct,
};
