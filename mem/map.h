/*
 * mem/map.h - the guest-physical map: sorted, non-overlapping ranges of
 * RAM, ROM, MMIO (accesses exit to a handler), MMIO2 (device-owned memory)
 * and reserved holes, found by binary search (O(log n)).
 *
 * Nothing is merged or split: inserting over an existing range is refused
 * and the error names both ranges. The map is pure data (no KVM); mem.c
 * adds memslots on top. Readers on vCPU threads (exit dispatch, guest
 * memory access) take the read lock; map changes take the write lock.
 * Listeners hear RAM ranges come and go (VFIO DMA mappings follow them).
 *
 * Room: the array grows while the VM is being built (the main thread,
 * before any filter). gmap_reserve then fixes its capacity: a vCPU thread
 * inserts (a BAR the guest decodes, an MMIO2 region a device maps) and
 * its filter has no mmap for malloc, so from then on an insert never
 * allocates and a full map refuses with -ENOSPC.
 */
#ifndef WISP_MAP_H
#define WISP_MAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* x86-64 guest-physical addresses have at most 52 bits. */
#define GMAP_LIMIT (1ull << 52)
#define GMAP_MAX_LISTENERS 8
#define GMAP_NAME_LEN 48

enum gmap_kind { GMAP_RAM, GMAP_ROM, GMAP_MMIO, GMAP_MMIO2, GMAP_RESERVED };

struct gmap_range {
	uint64_t gpa, size;
	enum gmap_kind kind;
	char name[GMAP_NAME_LEN]; /* for messages: "RAM", "fb.0 VRAM" */
	const void *owner;        /* who may remove it (NULL: the monitor) */
	uint8_t *host;            /* RAM, ROM, MMIO2: host mapping */
	const void *ops;          /* MMIO: handler table, opaque to mem/ */
	void *opaque;
	int id;                   /* MMIO2: region index; RAM: range index */
};

/* Called with the write lock held, after the change. */
typedef void (*gmap_listener_fn)(void *opaque, const struct gmap_range *r,
				 bool mapped);

struct gmap {
	pthread_rwlock_t lock;
	struct gmap_range *r;
	size_t n, cap;
	bool fixed; /* gmap_reserve ran: cap never changes */
	unsigned n_listeners;
	struct {
		gmap_listener_fn fn;
		void *opaque;
	} listeners[GMAP_MAX_LISTENERS];
};

void gmap_init(struct gmap *g);
void gmap_free(struct gmap *g);

/* Insert a copy of nr. -EINVAL (size 0, overflow, past GMAP_LIMIT),
 * -EEXIST (overlap: err names both ranges), -ENOMEM, -ENOSPC (full after
 * gmap_reserve: err says so). err may be NULL. Takes the write lock. */
int gmap_insert(struct gmap *g, const struct gmap_range *nr, char *err,
		size_t errlen);

/* Room for `extra` more ranges than the map holds now, allocated here,
 * and the capacity fixed: no later insert allocates. Call once, on the
 * thread that builds the VM, before vCPUs run. 0, -ENOMEM, -EOVERFLOW. */
int gmap_reserve(struct gmap *g, size_t extra);

/* Remove the range starting exactly at gpa; *out gets a copy (may be NULL).
 * -ENOENT if none, -EPERM if owner differs. Takes the write lock. */
int gmap_remove(struct gmap *g, uint64_t gpa, const void *owner,
		struct gmap_range *out);

/* The range wholly holding [addr, addr+len) (len 0 checks addr alone), or
 * NULL. The caller holds the lock (either kind) or owns the map alone. */
const struct gmap_range *gmap_find(const struct gmap *g, uint64_t addr,
				   uint64_t len);

/* gmap_find under the read lock, copying the range out. */
bool gmap_lookup(struct gmap *g, uint64_t addr, uint64_t len,
		 struct gmap_range *out);

/* Subscribe to RAM map/unmap; existing RAM ranges are replayed at once.
 * -ENOSPC past GMAP_MAX_LISTENERS. */
int gmap_listen(struct gmap *g, gmap_listener_fn fn, void *opaque);

const char *gmap_kind_name(enum gmap_kind k);

#endif
