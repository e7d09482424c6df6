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
#include <sys/stat.h>
#include <unistd.h>

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

/* A memfd, not anonymous memory: a sandboxed device process, a fresh
 * exec of wisp, is handed the fd and maps the same pages. */
static void *mmio2_memfd(uint64_t size, int *fd)
{
	*fd = memfd_create("wisp-mmio2", MFD_CLOEXEC);
	if (*fd < 0)
		return MAP_FAILED;
	void *p = ftruncate(*fd, (off_t)size) < 0
			  ? MAP_FAILED
			  : mmap(NULL, size, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_NORESERVE, *fd, 0);
	if (p == MAP_FAILED)
		close(*fd);
	return p;
}

/* Region h of `size` bytes at host p (its memfd fd); m->lock held. */
static int mmio2_place(struct mem *m, int h, const void *owner,
		       const char *name, uint64_t size, uint32_t flags,
		       void *p, int fd)
{
	struct mem_mmio2 *r = &m->mmio2[h];

	if (p == MAP_FAILED)
		return -ENOMEM;
	*r = (struct mem_mmio2){ .owner = owner, .size = size, .flags = flags,
				 .host = p, .fd = fd };
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (dirty_init(&r->d, size, flags & MEM_MMIO2_F_TRACK) < 0) {
		dirty_free(&r->d);
		munmap(p, size);
		if (fd >= 0)
			close(fd);
		memset(r, 0, sizeof(*r));
		return -ENOMEM;
	}
	r->used = true;
	return h;
}

static bool mmio2_size_ok(uint64_t size, uint32_t flags, uint64_t max)
{
	return size && !(size & (MEM_PAGE - 1)) && size <= max &&
	       !(flags & ~MEM_MMIO2_F_TRACK);
}

int mem_mmio2_create(struct mem *m, const void *owner, const char *name,
		     uint64_t size, uint32_t flags)
{
	int fd = -1;

	if (!mmio2_size_ok(size, flags, MEM_MMIO2_MAX))
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	int h = mmio2_free_handle(m);
	if (h >= 0) {
		void *p = mmio2_memfd(size, &fd); /* before fd is read */
		h = mmio2_place(m, h, owner, name, size, flags, p, fd);
	}
	pthread_mutex_unlock(&m->lock);
	return h;
}

int mem_mmio2_adopt(struct mem *m, const void *owner, const char *name,
		    int h, int fd, uint64_t size, uint32_t flags)
{
	struct stat st;

	if (!mmio2_size_ok(size, flags, MEM_MMIO2_MAX) || h < 0 || h >= MEM_MAX_MMIO2 ||
	    m->mmio2[h].used)
		return -EINVAL;
	/* Shorter than said, a page past its end would fault (SIGBUS). */
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < size)
		return -EINVAL;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_NORESERVE, fd, 0);
	pthread_mutex_lock(&m->lock);
	int rc = mmio2_place(m, h, owner, name, size, flags, p, fd);
	pthread_mutex_unlock(&m->lock);
	return rc < 0 ? rc : 0;
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
 * range: nothing of wisp's reaches the region by address from there on,
 * and no vCPU runs (mmio2_writers_stop) until the slot is gone. */
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

/* Before m->lock: a vCPU that must leave KVM_RUN may be waiting for it. */
static void mmio2_writers_stop(struct mem *m)
{
	if (m->writers.stop)
		m->writers.stop(m->writers.ctx);
}

static void mmio2_writers_go(struct mem *m)
{
	if (m->writers.go)
		m->writers.go(m->writers.ctx);
}

int mem_mmio2_unmap(struct mem *m, const void *owner, int h)
{
	struct mem_mmio2 *r;

	mmio2_writers_stop(m);
	pthread_mutex_lock(&m->lock);
	int rc = mmio2_get(m, owner, h, &r);
	if (rc == 0)
		rc = mmio2_unmap_locked(m, r);
	pthread_mutex_unlock(&m->lock);
	mmio2_writers_go(m);
	return rc;
}

int mem_mmio2_wrap(struct mem *m, const void *owner, const char *name,
		   int fd, uint64_t off, uint64_t size)
{
	if (!mmio2_size_ok(size, 0, GMAP_LIMIT) || off % MEM_PAGE)
		return -EINVAL;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)off);
	pthread_mutex_lock(&m->lock);
	int h = mmio2_free_handle(m);
	if (h < 0 && p != MAP_FAILED)
		munmap(p, size);
	if (h >= 0)
		h = mmio2_place(m, h, owner, name, size, 0, p, -1);
	pthread_mutex_unlock(&m->lock);
	return h;
}

int mem_mmio2_destroy(struct mem *m, const void *owner, int h)
{
	struct mem_mmio2 *r;

	mmio2_writers_stop(m);
	pthread_mutex_lock(&m->lock);
	int rc = mmio2_get(m, owner, h, &r);
	if (rc == 0) {
		if (r->mapped)
			mmio2_unmap_locked(m, r);
		dirty_free(&r->d);
		munmap(r->host, r->size);
		if (r->fd >= 0) /* a wrapped region's fd is its caller's */
			close(r->fd);
		memset(r, 0, sizeof(*r));
	}
	pthread_mutex_unlock(&m->lock);
	mmio2_writers_go(m);
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
