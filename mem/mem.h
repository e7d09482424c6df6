/*
 * mem/mem.h - the compact PGM: guest RAM backed by one memfd, ROM, MMIO
 * and MMIO2 ranges in one guest-physical map (map.h), the KVM memslots
 * behind them, checked guest memory access and dirty-page tracking.
 *
 * Layout: RAM fills [0, min(size, MEM_HOLE_START)); what does not fit goes
 * above 4 GiB. [MEM_HOLE_START, 4 GiB) is the 32-bit MMIO hole.
 *
 * Without KVM (vm_fd < 0: unit tests, fuzzing) everything works the same,
 * and mem_sim_guest_write stands in for KVM's dirty log.
 *
 * Dirty tracking (MMIO2 regions and RAM ranges), VirtualBox's rule: while
 * mapped with tracking on, a query reports exactly the pages written by the
 * guest (KVM's log) and by the host (mem_write, mem_mmio2_write) since the
 * last query. Otherwise a region written since the last query (or mapped
 * with tracking off, where the guest may write unseen) reports every page,
 * one that was not reports none: a page is never missed.
 */
#ifndef WISP_MEM_H
#define WISP_MEM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "map.h"

#define MEM_HOLE_START 0xC0000000ull
#define MEM_HOLE_END 0x100000000ull
#define MEM_MAX_RAM_RANGES 2
#define MEM_MAX_ROMS 4
#define MEM_MAX_MMIO2 16
#define MEM_MAX_SLOTS 512 /* wisp's own cap; KVM's may be lower */
#define MEM_PAGE 4096ull

/* Guest-physical pages KVM itself uses, reserved in the map so no RAM,
 * ROM or device range lands on them (mem_reserve_kvm). The TSS (3 pages)
 * and identity-map page Intel VMX needs for real mode sit just below the
 * 16 MiB under 4 GiB that firmware (--rom's default slot) may fill, where
 * QEMU puts them; the in-kernel IOAPIC and local APIC decode their pages. */
#define MEM_KVM_IDMAP 0xfeffc000ull
#define MEM_KVM_TSS 0xfeffd000ull
#define MEM_KVM_TSS_SIZE (3 * MEM_PAGE)
#define MEM_IOAPIC 0xfec00000ull
#define MEM_LAPIC 0xfee00000ull
/* The PCI bus (pci/, profiles with a PCI device): the window its
 * 32-bit BARs live in, and its ECAM (bus 0: 1 MiB), both in the hole. The
 * ACPI tables and e820 map name them. */
#define MEM_PCI_WIN 0xc0000000ull
#define MEM_PCI_WIN_SIZE 0x10000000ull
#define MEM_PCI_ECAM 0xe0000000ull
#define MEM_PCI_ECAM_SIZE 0x100000ull

/* The largest region a device may create (mem_mmio2_create/adopt): its
 * memory and dirty bitmaps are the device's to ask for, so they are
 * bounded (1 GiB: bitmaps of 32 KiB; a framebuffer needs megabytes). A
 * wrapped region (mem_mmio2_wrap: a VFIO BAR the kernel sized) is not. */
#define MEM_MMIO2_MAX (1ull << 30)

/* mem_mmio2_create flags */
#define MEM_MMIO2_F_TRACK (1u << 0) /* dirty tracking, on from creation */

/* One dirty tracker: a KVM memslot's log plus host-side writes. */
struct mem_dirty {
	int slot;        /* KVM memslot, -1 while unmapped */
	uint64_t npages;
	uint64_t *acc;   /* host writes and harvested guest writes */
	uint64_t *sim;   /* no KVM: the simulated guest log */
	uint64_t *tmp;   /* scratch for one fetch of KVM's log */
	bool acc_any;    /* acc may have bits (set after them) */
	bool track;      /* tracking on */
};

struct mem_range {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
	int slot;
	struct mem_dirty d; /* RAM only */
};

struct mem_mmio2 {
	bool used, mapped;
	const void *owner;
	char name[GMAP_NAME_LEN];
	uint64_t size, gpa;
	uint32_t flags;
	uint8_t *host;
	int fd; /* its memfd: handed to a sandboxed owner's process */
	struct mem_dirty d;
};

struct mem_opts {
	bool hugepages; /* 2 MiB pages from hugetlbfs; error if unavailable */
	bool prefault;  /* touch every page before the guest runs */
	bool flat;      /* RAM contiguous from 0, no 32-bit MMIO hole */
};

/* The guest's writers: vCPUs inside KVM_RUN write a memslot without wisp
 * seeing it. KVM cannot make a live slot read-only (the flag is fixed at
 * creation) and a slot's dirty log dies with it, so while a tracked slot
 * is harvested for the last time and deleted, the monitor holds every vCPU
 * out of KVM_RUN: stop(ctx) returns once none is inside, go(ctx) lets them
 * in again. Never called with m->lock held. NULL: no vCPUs (tests, tools). */
struct mem_writers {
	void (*stop)(void *ctx);
	void (*go)(void *ctx);
	void *ctx;
};

struct mem {
	int memfd;
	uint8_t *base; /* host mapping of the whole memfd */
	uint64_t size; /* total RAM bytes */
	unsigned n_ranges;
	struct mem_range ranges[MEM_MAX_RAM_RANGES];
	unsigned n_roms;
	struct mem_range roms[MEM_MAX_ROMS];
	struct gmap map;
	/* KVM side: -1 until mem_register_kvm */
	int vm_fd;
	bool manual_protect; /* KVM_CLEAR_DIRTY_LOG is in use */
	bool ram_track;
	uint32_t max_slots;
	uint64_t dirty_pages; /* pages KVM's dirty log reported (metrics) */
	uint64_t slot_used[MEM_MAX_SLOTS / 64];
	pthread_mutex_t lock; /* MMIO2 and tracking state changes, queries */
	struct mem_writers writers;
	struct mem_mmio2 mmio2[MEM_MAX_MMIO2];
};

/* Create the memfd and host mapping of `size` bytes (page-aligned) and lay
 * out the RAM ranges in the map. No KVM involved. Returns 0 or -errno
 * (-EINVAL size, -ENOMEM/-EINVAL with hugepages: none available). */
int mem_init(struct mem *m, uint64_t size);
int mem_init_opts(struct mem *m, uint64_t size, const struct mem_opts *o);

/* The same with RAM contiguous from GPA 0, no hole (hvt guests see up to
 * 4 GiB of flat RAM and place nothing in a hole). */
int mem_init_flat(struct mem *m, uint64_t size);

/* One RAM range of mem_init_shared: [gpa, gpa+size) at off in the memfd. */
struct mem_ram_layout {
	uint64_t gpa, off, size;
};

/* In a device process: guest RAM from wisp's memfd fd (total bytes), laid
 * out as given (page-aligned, inside the memfd, at most
 * MEM_MAX_RAM_RANGES). 0 or -errno; -EINVAL for a layout that does not
 * fit the memfd. fd becomes m's. */
int mem_init_shared(struct mem *m, int fd, uint64_t total,
		    const struct mem_ram_layout *l, unsigned n);

/* A map with no RAM and no KVM (fuzzing's helper table, unit tests). */
void mem_init_empty(struct mem *m);

/* Adopt vm_fd: read KVM_CAP_NR_MEMSLOTS, turn on manual dirty-log
 * protection when offered, create a memslot for every mapped range.
 * Returns 0 or -errno (-ENOSPC: more ranges than memslots). */
int mem_register_kvm(struct mem *m, int vm_fd);

/* Unmap and close. Safe on a zeroed or half-initialised struct. */
void mem_destroy(struct mem *m);

/*
 * The one translation helper: host pointer for guest [gpa, gpa+len) when the
 * whole span lies in one RAM range, else NULL (overflow, ROM, MMIO, MMIO2,
 * hole, past end; len == 0 checks gpa only). Access by guest-physical
 * address reaches RAM only: ROM is the guest's to read, and an MMIO2 region
 * is its owner's, reached through its handle (mem_mmio2_read/write), so no
 * caller reaches another device's memory by naming its address. RAM never
 * moves, so this reads no map (safe in a device process, whose map is its own).
 * Writes through the pointer are not marked dirty: use mem_write for that.
 */
void *mem_gpa_ptr(const struct mem *m, uint64_t gpa, uint64_t len);

/* Copy to/from guest RAM, checked as mem_gpa_ptr. Writes are marked dirty
 * while RAM is tracked. 0, or -EFAULT (not wholly in RAM, overflow). */
int mem_read(const struct mem *m, uint64_t gpa, void *buf, size_t len);
int mem_write(struct mem *m, uint64_t gpa, const void *buf, size_t len);

/* The highest RAM address below the 32-bit hole, exclusive. */
uint64_t mem_low_top(const struct mem *m);

/* A read-only range holding a copy of data (len rounded up to pages,
 * the rest zero): a read-only memslot, guest writes exit and are dropped.
 * -EINVAL (alignment), -EEXIST (err names both ranges), -ENOSPC. */
int mem_rom_add(struct mem *m, uint64_t gpa, const void *data, size_t len,
		const char *name, char *err, size_t errlen);

/* An MMIO range: accesses exit and go to ops/opaque (opaque to mem/).
 * -EEXIST on overlap (err names both ranges). */
int mem_mmio_add(struct mem *m, uint64_t gpa, uint64_t size, const void *owner,
		 const char *name, const void *ops, void *opaque, char *err,
		 size_t errlen);
int mem_mmio_del(struct mem *m, uint64_t gpa, const void *owner);

/* Reserve a hole nothing else may claim. */
int mem_reserve(struct mem *m, uint64_t gpa, uint64_t size, const char *name,
		char *err, size_t errlen);

/* Reserve MEM_KVM_IDMAP, MEM_KVM_TSS, MEM_IOAPIC and MEM_LAPIC; before
 * devices and ROMs claim theirs. -EEXIST when something already holds one
 * (err names both ranges). */
int mem_reserve_kvm(struct mem *m, char *err, size_t errlen);

/* Fix the map's room before vCPUs run: what it holds now plus every
 * MMIO2 region mapped (MEM_MAX_MMIO2) and `bars` ranges (each PCI BAR a
 * guest may decode: one range per BAR at a time). After it no insert
 * allocates; one past the room is refused (-ENOSPC). 0 or -errno. */
int mem_map_reserve(struct mem *m, unsigned bars);

/* --- memslots (slot.c) --- */
int mem_slot_alloc(struct mem *m);
void mem_slot_free(struct mem *m, int slot);
/* KVM_SET_USER_MEMORY_REGION (size 0 deletes); no-op without KVM. */
int mem_slot_set(struct mem *m, int slot, uint64_t gpa, uint64_t size,
		 void *host, uint32_t flags);

/* --- MMIO2 (mmio2.c). Every call names its owner; a handle another
 * owner created gives -EPERM, an invalid one -EBADF. --- */

/* A region of `size` bytes (page multiple, at most MEM_MMIO2_MAX), zeroed.
 * Returns the handle. */
int mem_mmio2_create(struct mem *m, const void *owner, const char *name,
		     uint64_t size, uint32_t flags);
int mem_mmio2_destroy(struct mem *m, const void *owner, int h);
/* Map at gpa (page-aligned; -EEXIST on overlap, -EBUSY if mapped). */
int mem_mmio2_map(struct mem *m, const void *owner, int h, uint64_t gpa,
		  char *err, size_t errlen);
int mem_mmio2_unmap(struct mem *m, const void *owner, int h);
/* Tracking on or off (-ENOTSUP without MEM_MMIO2_F_TRACK). */
int mem_mmio2_track(struct mem *m, const void *owner, int h, bool on);
/* Query and reset: bitmap of bytes == mem_bitmap_bytes(size), or NULL to
 * only reset. -EINVAL for a wrong size. */
int mem_mmio2_query(struct mem *m, const void *owner, int h, uint64_t *bitmap,
		    size_t bytes);
/* Host-side access by offset: (off, len) checked; writes marked dirty. */
int mem_mmio2_read(struct mem *m, const void *owner, int h, uint64_t off,
		   void *buf, size_t len);
int mem_mmio2_write(struct mem *m, const void *owner, int h, uint64_t off,
		    const void *buf, size_t len);
/* Mark (off, len) dirty, checked as for a write: a sandboxed device wrote
 * its shared mapping of the region in its own process. */
int mem_mmio2_mark(struct mem *m, const void *owner, int h, uint64_t off,
		   uint64_t len);

/* In a device process: region h of another process's memfd fd (at least
 * size bytes), as the owner's, unmapped. 0, or -EINVAL (bad size, flags
 * or handle, a handle in use, a short fd), -ENOMEM. fd is the region's. */
int mem_mmio2_adopt(struct mem *m, const void *owner, const char *name,
		    int h, int fd, uint64_t size, uint32_t flags);

/* A region over memory a device already has: `size` bytes of fd at off
 * (page-aligned; a VFIO BAR's mmap, so guest accesses reach the device
 * with no exit). Never tracked (the device writes it unseen by KVM's log),
 * never handed to a device process; fd stays the caller's, destroy only
 * unmaps. The handle, or -EINVAL, -ENOSPC, -ENOMEM (mmap refused). */
int mem_mmio2_wrap(struct mem *m, const void *owner, const char *name,
		   int fd, uint64_t off, uint64_t size);

/* --- RAM tracking (dirty.c) --- */

/* Dirty logging on every RAM range, on or off. */
int mem_ram_track(struct mem *m, bool on);
/* Query and reset the pages of [gpa, gpa+size) (page-aligned, inside one
 * RAM range); bitmap as for MMIO2. */
int mem_ram_query(struct mem *m, uint64_t gpa, uint64_t size,
		  uint64_t *bitmap, size_t bytes);

/* Bitmap bytes for a region: one bit per page, rounded up to 64 pages. */
size_t mem_bitmap_bytes(uint64_t size);

/* No KVM: a guest write as KVM's dirty log would see it. */
int mem_sim_guest_write(struct mem *m, uint64_t gpa, const void *buf,
			size_t len);

/* --- internal to mem/ --- */
int dirty_init(struct mem_dirty *d, uint64_t size, bool track);
void dirty_free(struct mem_dirty *d);
void dirty_mark(struct mem_dirty *d, uint64_t off, uint64_t len);
void dirty_mark_all(struct mem_dirty *d);
void dirty_sim_mark(struct mem_dirty *d, uint64_t off, uint64_t len);
/* Query and reset into out (dirty_words): exact while mapped and tracked,
 * else the conservative rule. */
int dirty_collect(struct mem *m, struct mem_dirty *d, bool mapped,
		  uint64_t *out);
/* Move what KVM logged for d's slot into d->acc. */
int dirty_harvest(struct mem *m, struct mem_dirty *d);
/* A guest's write (no KVM): checked copy into RAM or MMIO2 by the map,
 * no marking; *r gets the range. Only mem_sim_guest_write uses it. */
int mem_copy_in(struct mem *m, uint64_t gpa, const void *buf, size_t len,
		struct gmap_range *r);
/* The tracker behind a map range (NULL: none). */
struct mem_dirty *mem_dirty_of(struct mem *m, const struct gmap_range *r);

#endif
