/* mem/map.c - the guest-physical map: a sorted array, binary search. */
#include "map.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gmap_init(struct gmap *g)
{
	memset(g, 0, sizeof(*g));
	pthread_rwlock_init(&g->lock, NULL);
}

void gmap_free(struct gmap *g)
{
	free(g->r);
	pthread_rwlock_destroy(&g->lock);
	memset(g, 0, sizeof(*g));
}

const char *gmap_kind_name(enum gmap_kind k)
{
	static const char *const names[] = {
		[GMAP_RAM] = "RAM", [GMAP_ROM] = "ROM", [GMAP_MMIO] = "MMIO",
		[GMAP_MMIO2] = "MMIO2", [GMAP_RESERVED] = "reserved",
	};

	return (unsigned)k <= GMAP_RESERVED ? names[k] : "?";
}

/* Index of the first range whose end is above addr (n if none). */
static size_t gmap_lower(const struct gmap *g, uint64_t addr)
{
	size_t lo = 0, hi = g->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->r[mid].gpa + g->r[mid].size <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void gmap_notify(struct gmap *g, const struct gmap_range *r,
			bool mapped)
{
	if (r->kind != GMAP_RAM)
		return;
	for (unsigned i = 0; i < g->n_listeners; i++)
		g->listeners[i].fn(g->listeners[i].opaque, r, mapped);
}

static void gmap_clash(const struct gmap_range *a, const struct gmap_range *b,
		       char *err, size_t errlen)
{
	if (!err)
		return;
	snprintf(err, errlen,
		 "%s %s [0x%llx, 0x%llx) overlaps %s %s [0x%llx, 0x%llx)",
		 gmap_kind_name(a->kind), a->name, (unsigned long long)a->gpa,
		 (unsigned long long)(a->gpa + a->size), gmap_kind_name(b->kind),
		 b->name, (unsigned long long)b->gpa,
		 (unsigned long long)(b->gpa + b->size));
}

static int gmap_resize(struct gmap *g, size_t cap)
{
	struct gmap_range *r = realloc(g->r, cap * sizeof(*r));

	if (!r)
		return -ENOMEM;
	g->r = r;
	g->cap = cap;
	return 0;
}

/* Room for one more: grown while the VM is built; once reserved, a full
 * map says so and stays as it is (the caller may be a vCPU thread, whose
 * filter has no mmap). */
static int gmap_room(struct gmap *g, char *err, size_t errlen)
{
	if (g->n < g->cap)
		return 0;
	if (!g->fixed)
		return gmap_resize(g, g->cap ? g->cap * 2 : 16);
	if (err)
		snprintf(err, errlen, "the guest-physical map is full (%zu "
			 "ranges, reserved at start)", g->cap);
	return -ENOSPC;
}

int gmap_reserve(struct gmap *g, size_t extra)
{
	size_t want;
	int rc = 0;

	pthread_rwlock_wrlock(&g->lock);
	if (__builtin_add_overflow(g->n, extra, &want) ||
	    want > SIZE_MAX / sizeof(*g->r))
		rc = -EOVERFLOW;
	else if (want > g->cap)
		rc = gmap_resize(g, want ? want : 1);
	if (rc == 0)
		g->fixed = true;
	pthread_rwlock_unlock(&g->lock);
	return rc;
}

static int gmap_insert_locked(struct gmap *g, const struct gmap_range *nr,
			      char *err, size_t errlen)
{
	uint64_t end;

	if (nr->size == 0 || __builtin_add_overflow(nr->gpa, nr->size, &end) ||
	    end > GMAP_LIMIT) {
		if (err)
			snprintf(err, errlen, "%s %s: bad range 0x%llx+0x%llx",
				 gmap_kind_name(nr->kind), nr->name,
				 (unsigned long long)nr->gpa,
				 (unsigned long long)nr->size);
		return -EINVAL;
	}
	size_t i = gmap_lower(g, nr->gpa);
	if (i < g->n && g->r[i].gpa < end) {
		gmap_clash(nr, &g->r[i], err, errlen);
		return -EEXIST;
	}
	int rc = gmap_room(g, err, errlen);
	if (rc < 0)
		return rc;
	memmove(&g->r[i + 1], &g->r[i], (g->n - i) * sizeof(*g->r));
	g->r[i] = *nr;
	g->n++;
	gmap_notify(g, &g->r[i], true);
	return 0;
}

int gmap_insert(struct gmap *g, const struct gmap_range *nr, char *err,
		size_t errlen)
{
	pthread_rwlock_wrlock(&g->lock);
	int rc = gmap_insert_locked(g, nr, err, errlen);
	pthread_rwlock_unlock(&g->lock);
	return rc;
}

static int gmap_remove_locked(struct gmap *g, uint64_t gpa, const void *owner,
			      struct gmap_range *out)
{
	size_t i = gmap_lower(g, gpa);

	if (i >= g->n || g->r[i].gpa != gpa)
		return -ENOENT;
	if (g->r[i].owner != owner)
		return -EPERM;
	struct gmap_range gone = g->r[i];
	memmove(&g->r[i], &g->r[i + 1], (g->n - i - 1) * sizeof(*g->r));
	g->n--;
	gmap_notify(g, &gone, false);
	if (out)
		*out = gone;
	return 0;
}

int gmap_remove(struct gmap *g, uint64_t gpa, const void *owner,
		struct gmap_range *out)
{
	pthread_rwlock_wrlock(&g->lock);
	int rc = gmap_remove_locked(g, gpa, owner, out);
	pthread_rwlock_unlock(&g->lock);
	return rc;
}

const struct gmap_range *gmap_find(const struct gmap *g, uint64_t addr,
				   uint64_t len)
{
	size_t i = gmap_lower(g, addr);

	if (i >= g->n)
		return NULL;
	const struct gmap_range *r = &g->r[i];
	uint64_t l = len ? len : 1;

	/* Whole access in one range: straddling is refused, never split. */
	if (addr < r->gpa || l > r->size || addr - r->gpa > r->size - l)
		return NULL;
	return r;
}

bool gmap_lookup(struct gmap *g, uint64_t addr, uint64_t len,
		 struct gmap_range *out)
{
	pthread_rwlock_rdlock(&g->lock);
	const struct gmap_range *r = gmap_find(g, addr, len);
	if (r)
		*out = *r;
	pthread_rwlock_unlock(&g->lock);
	return r != NULL;
}

int gmap_listen(struct gmap *g, gmap_listener_fn fn, void *opaque)
{
	int rc = 0;

	pthread_rwlock_wrlock(&g->lock);
	if (g->n_listeners >= GMAP_MAX_LISTENERS) {
		rc = -ENOSPC;
	} else {
		g->listeners[g->n_listeners].fn = fn;
		g->listeners[g->n_listeners].opaque = opaque;
		g->n_listeners++;
		for (size_t i = 0; i < g->n; i++)
			if (g->r[i].kind == GMAP_RAM)
				fn(opaque, &g->r[i], true);
	}
	pthread_rwlock_unlock(&g->lock);
	return rc;
}
