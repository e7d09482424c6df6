/*
 * fuzz/virtq_target.c - libFuzzer target for the split virtqueue alone
 * (devices/virtq.c): the input sets the queue up (size, indirect, ring
 * addresses, some outside RAM, the starting indexes) and fills the start
 * of guest RAM with rings, descriptors and tables; the target then pops
 * and pushes as a device would until the queue is empty or broken.
 * Invariants: a chain has at most the queue's size of segments, readable
 * ones first, its totals are its segments' sum; a broken pop leaves the
 * queue's index where it was; the loop ends within 2 * size + 2 pops.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlp.h"
#include "virtio.h"

/* No registrations: fuzz_probe_reg is created without a spec. */
const struct dev_entry dev_registry[1];
const size_t dev_registry_len = 0;

#define HDR 12

static uint64_t ring_addr(const uint8_t *d, bool far)
{
	uint64_t a = (uint64_t)d[0] | (uint64_t)d[1] << 8;

	return far ? UINT64_MAX - a : a; /* far: wraps or lies past RAM */
}

static void setup(struct virtq *q, struct dev_ins *ins, const uint8_t *d)
{
	virtq_reset(q, ins, VIRTQ_MAX);
	q->size = (uint16_t)(1u << (d[0] % 9));
	q->indirect = d[1] & 1;
	q->desc = ring_addr(d + 2, d[1] & 2);
	q->avail = ring_addr(d + 4, d[1] & 4);
	q->used = ring_addr(d + 6, d[1] & 8);
	q->last_avail = q->used_idx = (uint16_t)(d[8] | d[9] << 8);
	q->enabled = true;
}

static void check_chain(const struct virtq *q, const struct virtq_chain *c)
{
	uint64_t out = 0, in = 0;
	unsigned n = c->n_out + c->n_in;

	if (n > q->size || c->head >= q->size)
		fuzz_fail("chain of %u segments, head %u, queue %u", n, c->head,
			  q->size);
	for (unsigned i = 0; i < n; i++)
		*(i < c->n_out ? &out : &in) += c->seg[i].len;
	if (out != c->out_len || in != c->in_len)
		fuzz_fail("chain totals %llu/%llu, segments %llu/%llu",
			  (unsigned long long)c->out_len,
			  (unsigned long long)c->in_len, (unsigned long long)out,
			  (unsigned long long)in);
}

static void drain(struct virtq *q, struct virtq_chain *c)
{
	for (unsigned i = 0; i < 2u * q->size + 2; i++) {
		uint16_t before = q->last_avail;
		int rc = virtq_pop(q, c);
		if (rc == VIRTQ_BROKEN && q->last_avail != before)
			fuzz_fail("a broken pop moved the index");
		if (rc != VIRTQ_CHAIN)
			return;
		check_chain(q, c);
		if (virtq_push(q, c->head, (uint32_t)c->in_len) < 0)
			return;
	}
	/* every pop took an entry the avail index covered: at most size */
	fuzz_fail("the queue never ran dry");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	static struct virtq_chain c;
	struct dev_ins *ins;
	struct virtq q;

	if (size < HDR)
		return 0;
	fuzz_host_init(&h);
	if (fuzz_dev_create(&h, &fuzz_probe_reg, false, NULL, &ins) < 0)
		fuzz_fail("virtq probe: %s", h.err);
	setup(&q, ins, data);
	size -= HDR;
	memcpy(h.mem, data + HDR, size < FUZZ_MEM_SIZE ? size : FUZZ_MEM_SIZE);
	drain(&q, &c);
	virtq_need_notify(&q);
	fuzz_host_fini(&h);
	return 0;
}
