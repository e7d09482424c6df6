/*
 * mem/mmio2.c - MMIO2 regions: memory owned by one device, mapped into the
 * guest where the device says (a framebuffer, a BAR), moved, unmapped, with
 * optional dirty tracking (VirtualBox's semantics, see mem.h).
 */
#include "mem.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* The region behind handle h if owner may use it. */
static int mmio2_get(struct mem *m, const void *owner, int h,
		     struct mem_mmio2 **out)
{
	if (h < 0 || h >= MEM_MAX_MMIO2 || !m->mmio2[h].used)
		return -EBADF;
	if (m->mmio2[h].owner != owner)
		return -EPERM;
	*out = &m->mmio2[h];
	return 0;
}

static int mmio2_free_handle(struct mem *m)
{
	for (int i = 0; i < MEM_MAX_MMIO2; i++)
		if (!m->mmio2[i].used)
			return i;
	return -ENOSPC;
}

int mem_mmio2_create(struct mem *m, const void *owner, const char *name,
		     uint64_t size, uint32_t flags)
{
	if (!size || (size & (MEM_PAGE - 1)) || size > GMAP_LIMIT ||
	    (flags & ~MEM_MMIO2_F_TRACK))
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	int h = mmio2_free_handle(m);
	if (h >= 0) {
		/* MAP_SHARED: a sandboxed device process forked later sees
		 * the same pages. */
		void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		struct mem_mmio2 *r = &m->mmio2[h];
		*r = (struct mem_mmio2){ .owner = owner, .size = size,
					 .flags = flags, .host = p };
		snprintf(r->name, sizeof(r->name), "%s", name);
		if (p == MAP_FAILED)
			h = -ENOMEM;
		else if (dirty_init(&r->d, size, flags & MEM_MMIO2_F_TRACK) < 0)
			h = -ENOMEM, dirty_free(&r->d), munmap(p, size);
		else
			r->used = true;
	}
	pthread_mutex_unlock(&m->lock);
	return h;
}

static uint32_t mmio2_slot_flags(const struct mem_mmio2 *r)
{
	return r->d.track ? KVM_MEM_LOG_DIRTY_PAGES : 0;
}

static int mmio2_map_locked(struct mem *m, struct mem_mmio2 *r, int h,
			    uint64_t gpa, char *err, size_t errlen)
{
	struct gmap_range g = { .gpa = gpa, .size = r->size,
				.kind = GMAP_MMIO2, .owner = r->owner,
				.host = r->host, .id = h };

	if (r->mapped)
		return -EBUSY;
	if (gpa & (MEM_PAGE - 1))
		return -EINVAL;
	snprintf(g.name, sizeof(g.name), "%s", r->name);
	int rc = gmap_insert(&m->map, &g, err, errlen), slot = -1;
	if (rc == 0 && (slot = rc = mem_slot_alloc(m)) >= 0)
		rc = mem_slot_set(m, slot, gpa, r->size, r->host,
				  mmio2_slot_flags(r));
	if (rc == -ENOSPC && err)
		snprintf(err, errlen, "%s: no free memslot (KVM_CAP_NR_MEMSLOTS"
			 " allows %u)", r->name, m->max_slots);
	if (rc < 0 && slot != -1)
		gmap_remove(&m->map, gpa, r->owner, NULL);
	if (rc < 0 && slot >= 0)
		mem_slot_free(m, slot);
	if (rc < 0)
		return rc;
	r->d.slot = slot;
	r->gpa = gpa;
	r->mapped = true;
	return 0;
}

int mem_mmio2_map(struct mem *m, const void *owner, int h, uint64_t gpa,
		  char *err, size_t errlen)
{
	struct mem_mmio2 *r;

	pthread_mutex_lock(&m->lock);
	int rc = mmio2_get(m, owner, h, &r);
	if (rc == 0)
		rc = mmio2_map_locked(m, r, h, gpa, err, errlen);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* The slot's dirty log dies with it, so its last bits are harvested into
 * the tracker right before the slot goes, after the map stopped naming the
 * range: nothing of wisp's reaches the region by address from there on. */
static int mmio2_unmap_locked(struct mem *m, struct mem_mmio2 *r)
{
	if (!r->mapped)
		return -ENOENT;
	gmap_remove(&m->map, r->gpa, r->owner, NULL);
	if (r->d.track)
		dirty_harvest(m, &r->d); /* unreadable: every page */
	else
		dirty_mark_all(&r->d); /* the guest may have written unseen */
	int rc = mem_slot_set(m, r->d.slot, r->gpa, 0, r->host, 0);
	mem_slot_free(m, r->d.slot);
	r->d.slot = -1;
	r->mapped = false;
	return rc;
}

int mem_mmio2_unmap(struct mem *m, const void *owner, int h)
{
	struct mem_mmio2 *r;

	pthread_mutex_lock(&m->lock);
	int rc = mmio2_get(m, owner, h, &r);
	if (rc == 0)
		rc = mmio2_unmap_locked(m, r);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int mem_mmio2_destroy(struct mem *m, const void *owner, int h)
{
	struct mem_mmio2 *r;

	pthread_mutex_lock(&m->lock);
	int rc = mmio2_get(m, owner, h, &r);
	if (rc == 0) {
		if (r->mapped)
			mmio2_unmap_locked(m, r);
		dirty_free(&r->d);
		munmap(r->host, r->size);
		memset(r, 0, sizeof(*r));
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int mmio2_track_locked(struct mem *m, struct mem_mmio2 *r, bool on)
{
	if (!(r->flags & MEM_MMIO2_F_TRACK))
		return -ENOTSUP;
	if (r->d.track == on)
		return 0;
	if (r->mapped && on)
		dirty_mark_all(&r->d); /* the untracked interval is unknown */
	else if (r->mapped)
		dirty_harvest(m, &r->d);
	r->d.track = on;
	if (!r->mapped)
		return 0;
	return mem_slot_set(m, r->d.slot, r->gpa, r->size, r->host,
			    mmio2_slot_flags(r));
}

int mem_mmio2_track(struct mem *m, const void *owner, int h, bool on)
{
	struct mem_mmio2 *r;

	pthread_mutex_lock(&m->lock);
	int rc = mmio2_get(m, owner, h, &r);
	if (rc == 0)
		rc = mmio2_track_locked(m, r, on);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int mem_mmio2_query(struct mem *m, const void *owner, int h, uint64_t *bitmap,
		    size_t bytes)
{
	struct mem_mmio2 *r;

	pthread_mutex_lock(&m->lock);
	int rc = mmio2_get(m, owner, h, &r);
	if (rc == 0 && !(r->flags & MEM_MMIO2_F_TRACK))
		rc = -ENOTSUP;
	else if (rc == 0 && bitmap && bytes != mem_bitmap_bytes(r->size))
		rc = -EINVAL;
	else if (rc == 0)
		rc = dirty_collect(m, &r->d, r->mapped,
				   bitmap ? bitmap : r->d.tmp);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* (off, len) inside the region, overflow-safe. */
static int mmio2_span(struct mem *m, const void *owner, int h, uint64_t off,
		      uint64_t len, struct mem_mmio2 **out)
{
	int rc = mmio2_get(m, owner, h, out);

	if (rc < 0)
		return rc;
	if (off > (*out)->size || len > (*out)->size - off)
		return -EFAULT;
	return 0;
}

int mem_mmio2_read(struct mem *m, const void *owner, int h, uint64_t off,
		   void *buf, size_t len)
{
	struct mem_mmio2 *r;
	int rc = !buf && len ? -EFAULT : mmio2_span(m, owner, h, off, len, &r);

	if (rc == 0)
		memcpy(buf, r->host + off, len);
	return rc;
}

int mem_mmio2_write(struct mem *m, const void *owner, int h, uint64_t off,
		    const void *buf, size_t len)
{
	struct mem_mmio2 *r;
	int rc = !buf && len ? -EFAULT : mmio2_span(m, owner, h, off, len, &r);

	if (rc == 0) {
		memcpy(r->host + off, buf, len);
		dirty_mark(&r->d, off, len);
	}
	return rc;
}

int mem_mmio2_mark(struct mem *m, const void *owner, int h, uint64_t off,
		   uint64_t len)
{
	struct mem_mmio2 *r;
	int rc = mmio2_span(m, owner, h, off, len, &r);

	if (rc == 0)
		dirty_mark(&r->d, off, len);
	return rc;
}

/* In a forked device process: the map and the regions' mapped state are
 * wisp's as of the fork and go stale as wisp maps, moves and unmaps, so
 * every MMIO2 mapping leaves this copy of the map (nothing here reaches a
 * region by guest address), and other owners' memory is unmapped. The
 * owner's own regions stay, reached by handle: their host memory never
 * moves. Runs single-threaded, before the sandbox. */
void mem_mmio2_fork_child(struct mem *m, const void *owner)
{
	for (size_t i = m->map.n; i-- > 0;) {
		const struct gmap_range *g = &m->map.r[i];
		if (g->kind == GMAP_MMIO2)
			gmap_remove(&m->map, g->gpa, g->owner, NULL);
	}
	for (unsigned i = 0; i < MEM_MAX_MMIO2; i++) {
		struct mem_mmio2 *r = &m->mmio2[i];
		r->mapped = false;
		r->d.slot = -1;
		if (r->used && r->owner != owner) {
			dirty_free(&r->d);
			munmap(r->host, r->size);
			memset(r, 0, sizeof(*r));
		}
	}
}
