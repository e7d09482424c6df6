/*
 * mem/dirty.c - dirty-page trackers: KVM's log for a memslot (fetched with
 * KVM_GET_DIRTY_LOG and re-armed with KVM_CLEAR_DIRTY_LOG when manual
 * protection is on) merged with host-side writes, and RAM tracking.
 */
#include "mem.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

static size_t dirty_words(const struct mem_dirty *d)
{
	return (size_t)((d->npages + 63) / 64);
}

size_t mem_bitmap_bytes(uint64_t size)
{
	return (size_t)((size / MEM_PAGE + 63) / 64 * 8);
}

int dirty_init(struct mem_dirty *d, uint64_t size, bool track)
{
	*d = (struct mem_dirty){ .slot = -1, .npages = size / MEM_PAGE,
				 .track = track };
	d->acc = calloc(dirty_words(d) + 1, sizeof(uint64_t));
	d->sim = calloc(dirty_words(d) + 1, sizeof(uint64_t));
	d->tmp = calloc(dirty_words(d) + 1, sizeof(uint64_t));
	return d->acc && d->sim && d->tmp ? 0 : -ENOMEM;
}

void dirty_free(struct mem_dirty *d)
{
	free(d->acc);
	free(d->sim);
	free(d->tmp);
	d->acc = d->sim = d->tmp = NULL;
}

static void bits_set(uint64_t *bm, uint64_t first, uint64_t n)
{
	for (uint64_t p = first; p < first + n; p++)
		__atomic_fetch_or(&bm[p / 64], 1ull << (p % 64),
				  __ATOMIC_RELAXED);
}

void dirty_mark(struct mem_dirty *d, uint64_t off, uint64_t len)
{
	if (!len || off >= d->npages * MEM_PAGE)
		return;
	uint64_t first = off / MEM_PAGE, last = (off + len - 1) / MEM_PAGE;
	if (last >= d->npages)
		last = d->npages - 1;
	bits_set(d->acc, first, last - first + 1);
	/* After the bits: a collector that sees the flag sees the bits. */
	__atomic_store_n(&d->acc_any, true, __ATOMIC_RELEASE);
}

/* No KVM: what KVM's log would hold after a guest write (it logs only
 * slots with logging on). */
void dirty_sim_mark(struct mem_dirty *d, uint64_t off, uint64_t len)
{
	if (d->track && d->slot >= 0 && len)
		bits_set(d->sim, off / MEM_PAGE,
			 (off + len - 1) / MEM_PAGE - off / MEM_PAGE + 1);
}

void dirty_mark_all(struct mem_dirty *d)
{
	dirty_mark(d, 0, d->npages * MEM_PAGE);
}

static int kvm_log_clear(struct mem *m, struct mem_dirty *d, uint64_t *bm)
{
	struct kvm_clear_dirty_log c = {
		.slot = (uint32_t)d->slot,
		.first_page = 0,
		.num_pages = (uint32_t)d->npages,
		.dirty_bitmap = bm,
	};

	return ioctl(m->vm_fd, KVM_CLEAR_DIRTY_LOG, &c) < 0 ? -errno : 0;
}

static bool bits_any(const uint64_t *bm, size_t words)
{
	for (size_t i = 0; i < words; i++)
		if (bm[i])
			return true;
	return false;
}

/* What the guest wrote since the last take, into out (overwritten). */
static int kvm_log_take(struct mem *m, struct mem_dirty *d, uint64_t *out)
{
	size_t words = dirty_words(d);

	if (m->vm_fd < 0) {
		for (size_t i = 0; i < words; i++)
			out[i] = __atomic_exchange_n(&d->sim[i], 0,
						     __ATOMIC_RELAXED);
		return 0;
	}
	struct kvm_dirty_log l = { .slot = (uint32_t)d->slot,
				   .dirty_bitmap = out };
	if (ioctl(m->vm_fd, KVM_GET_DIRTY_LOG, &l) < 0)
		return -errno;
	/* Manual protection: the pages we saw stay writable until cleared;
	 * clearing exactly those re-arms them. */
	if (m->manual_protect && bits_any(out, words))
		return kvm_log_clear(m, d, out);
	return 0;
}

int dirty_harvest(struct mem *m, struct mem_dirty *d)
{
	if (d->slot < 0 || !d->track)
		return 0;
	int rc = kvm_log_take(m, d, d->tmp);
	if (rc < 0) {
		/* KVM's log is unreadable: what it held is unknown, and a
		 * tracker never misses a page. */
		dirty_mark_all(d);
		return rc;
	}
	if (!bits_any(d->tmp, dirty_words(d)))
		return 0;
	uint64_t pages = 0;
	for (size_t i = 0; i < dirty_words(d); i++)
		if (d->tmp[i]) {
			__atomic_fetch_or(&d->acc[i], d->tmp[i],
					  __ATOMIC_RELAXED);
			pages += (uint64_t)__builtin_popcountll(d->tmp[i]);
		}
	__atomic_fetch_add(&m->dirty_pages, pages, __ATOMIC_RELAXED);
	__atomic_store_n(&d->acc_any, true, __ATOMIC_RELEASE);
	return 0;
}

/* Move acc into out (OR), reset it; true if anything was there. */
static bool acc_drain(struct mem_dirty *d, uint64_t *out)
{
	bool any = false;

	if (!__atomic_exchange_n(&d->acc_any, false, __ATOMIC_ACQUIRE))
		return false;
	for (size_t i = 0; i < dirty_words(d); i++) {
		uint64_t w = d->acc[i] ? __atomic_exchange_n(&d->acc[i], 0,
							     __ATOMIC_RELAXED)
				       : 0;
		out[i] |= w;
		any |= w != 0;
	}
	return any;
}

int dirty_collect(struct mem *m, struct mem_dirty *d, bool mapped,
		  uint64_t *out)
{
	size_t words = dirty_words(d);

	if (mapped && d->track) {
		int rc = kvm_log_take(m, d, out);
		if (rc == 0)
			acc_drain(d, out);
		return rc;
	}
	memset(out, 0, words * sizeof(uint64_t));
	/* Mapped with tracking off: the guest may have written unseen. */
	bool any = acc_drain(d, out) || mapped;
	memset(out, 0, words * sizeof(uint64_t));
	if (any)
		bits_set(out, 0, d->npages);
	return 0;
}

static int ram_set_track(struct mem *m, struct mem_range *r, bool on)
{
	if (on)
		dirty_mark_all(&r->d); /* the untracked past is unknown */
	else
		dirty_harvest(m, &r->d);
	r->d.track = on;
	return r->slot < 0 ? 0
			   : mem_slot_set(m, r->slot, r->gpa, r->size, r->host,
					  on ? KVM_MEM_LOG_DIRTY_PAGES : 0);
}

int mem_ram_track(struct mem *m, bool on)
{
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	if (on != m->ram_track) {
		/* Host writes are marked from here on. */
		m->ram_track = on;
		for (unsigned i = 0; i < m->n_ranges && rc == 0; i++)
			rc = ram_set_track(m, &m->ranges[i], on);
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static struct mem_range *ram_range_of(struct mem *m, uint64_t gpa,
				      uint64_t size)
{
	struct gmap_range r;

	if ((gpa | size) & (MEM_PAGE - 1) || !size ||
	    !gmap_lookup(&m->map, gpa, size, &r) || r.kind != GMAP_RAM)
		return NULL;
	return &m->ranges[r.id];
}

/* Pages [first, first+n) of acc into out from bit 0, cleared in acc. */
static void acc_extract(struct mem_dirty *d, uint64_t first, uint64_t n,
			uint64_t *out)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t p = first + i, bit = 1ull << (p % 64);
		if (!(d->acc[p / 64] & bit))
			continue;
		__atomic_fetch_and(&d->acc[p / 64], ~bit, __ATOMIC_RELAXED);
		out[i / 64] |= 1ull << (i % 64);
	}
}

int mem_ram_query(struct mem *m, uint64_t gpa, uint64_t size,
		  uint64_t *bitmap, size_t bytes)
{
	struct mem_range *r = ram_range_of(m, gpa, size);
	int rc = 0;

	if (!r)
		return -EINVAL;
	if (bitmap && bytes != mem_bitmap_bytes(size))
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	uint64_t first = (gpa - r->gpa) / MEM_PAGE, n = size / MEM_PAGE;
	if (bitmap)
		memset(bitmap, 0, bytes);
	if (!r->d.track) {
		if (bitmap)
			bits_set(bitmap, 0, n);
	} else if ((rc = dirty_harvest(m, &r->d)) == 0) {
		acc_extract(&r->d, first, n, bitmap ? bitmap : r->d.tmp);
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}
