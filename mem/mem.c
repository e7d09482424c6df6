/* mem/mem.c - guest RAM (memfd, layout around the 32-bit hole), ROM, MMIO
 * ranges, KVM registration and the checked guest memory access. */
#include "mem.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEM_HUGE (2ull << 20)

static int mem_add_ram(struct mem *m, uint64_t gpa, uint64_t off,
		       uint64_t size)
{
	unsigned i = m->n_ranges;
	struct mem_range *r = &m->ranges[i];
	struct gmap_range g = { .gpa = gpa, .size = size, .kind = GMAP_RAM,
				.host = m->base + off, .id = (int)i };

	*r = (struct mem_range){ gpa, size, m->base + off, -1, { 0 } };
	snprintf(g.name, sizeof(g.name), "%s", gpa ? "RAM above 4G" : "RAM");
	int rc = dirty_init(&r->d, size, false);
	if (rc == 0)
		rc = gmap_insert(&m->map, &g, NULL, 0);
	m->n_ranges++; /* counted even on failure so mem_destroy frees it */
	return rc;
}

static int mem_map_ram(struct mem *m, uint64_t size, const struct mem_opts *o)
{
	int flags = MAP_SHARED | (o->hugepages ? 0 : MAP_NORESERVE) |
		    (o->prefault ? MAP_POPULATE : 0);

	/* Without MAP_NORESERVE hugetlbfs reserves every page now, so "not
	 * enough huge pages" is an mmap error, not a SIGBUS later. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, m->memfd, 0);
	if (p == MAP_FAILED)
		return -errno;
	m->base = p;
	m->size = size;
	return 0;
}

static void mem_zero(struct mem *m)
{
	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	m->vm_fd = -1;
	m->max_slots = MEM_MAX_SLOTS;
	gmap_init(&m->map);
	pthread_mutex_init(&m->lock, NULL);
}

void mem_init_empty(struct mem *m)
{
	mem_zero(m);
}

int mem_init_opts(struct mem *m, uint64_t size, const struct mem_opts *o)
{
	static const struct mem_opts none;

	o = o ? o : &none;
	mem_zero(m);
	if (size == 0 || (size & 0xfff) || (o->hugepages && size % MEM_HUGE))
		return -EINVAL;
	/* A memfd, not anonymous memory: sandboxed devices and VFIO DMA map
	 * the same pages later. CLOEXEC: nothing we exec inherits guest RAM. */
	m->memfd = memfd_create("wisp-ram", MFD_CLOEXEC |
				(o->hugepages ? MFD_HUGETLB : 0));
	if (m->memfd < 0)
		return -errno;
	if (ftruncate(m->memfd, (off_t)size) < 0)
		return -errno;
	int rc = mem_map_ram(m, size, o);
	if (rc < 0)
		return rc;
	uint64_t low_max = o->flat ? size : MEM_HOLE_START;
	uint64_t low = size < low_max ? size : low_max;
	rc = mem_add_ram(m, 0, 0, low);
	if (rc == 0 && size > low)
		rc = mem_add_ram(m, MEM_HOLE_END, low, size - low);
	return rc;
}

static bool mem_layout_ok(uint64_t total, const struct mem_ram_layout *l,
			  unsigned n)
{
	if (!n || n > MEM_MAX_RAM_RANGES || !total || (total & (MEM_PAGE - 1)))
		return false;
	for (unsigned i = 0; i < n; i++)
		if (!l[i].size || ((l[i].gpa | l[i].off | l[i].size) &
				   (MEM_PAGE - 1)) ||
		    l[i].off > total || l[i].size > total - l[i].off)
			return false;
	return true;
}

int mem_init_shared(struct mem *m, int fd, uint64_t total,
		    const struct mem_ram_layout *l, unsigned n)
{
	static const struct mem_opts shared;
	struct stat st;
	int rc = 0;

	mem_zero(m);
	/* Shorter than said, a page past its end would fault (SIGBUS). */
	if (!mem_layout_ok(total, l, n) || fstat(fd, &st) < 0 ||
	    (uint64_t)st.st_size < total)
		return -EINVAL;
	m->memfd = fd;
	rc = mem_map_ram(m, total, &shared);
	for (unsigned i = 0; i < n && rc == 0; i++)
		rc = mem_add_ram(m, l[i].gpa, l[i].off, l[i].size);
	return rc;
}

int mem_init(struct mem *m, uint64_t size)
{
	return mem_init_opts(m, size, NULL);
}

int mem_init_flat(struct mem *m, uint64_t size)
{
	static const struct mem_opts flat = { .flat = true };

	return mem_init_opts(m, size, &flat);
}

/* KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE only: not INITIALLY_SET, so a slot
 * starts with a clean log and every bit we read is a real write. */
static void mem_kvm_caps(struct mem *m, int vm_fd)
{
	int n = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);

	m->max_slots = n > 0 && n < MEM_MAX_SLOTS ? (uint32_t)n : MEM_MAX_SLOTS;
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION,
		  KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE },
		};
		m->manual_protect = ioctl(vm_fd, KVM_ENABLE_CAP, &cap) == 0;
	}
}

static int mem_slot_range(struct mem *m, struct mem_range *r, uint32_t flags)
{
	if (r->slot < 0 && (r->slot = mem_slot_alloc(m)) < 0)
		return r->slot;
	return mem_slot_set(m, r->slot, r->gpa, r->size, r->host, flags);
}

int mem_register_kvm(struct mem *m, int vm_fd)
{
	int rc = 0;

	mem_kvm_caps(m, vm_fd);
	m->vm_fd = vm_fd;
	for (unsigned i = 0; i < m->n_ranges && rc == 0; i++) {
		rc = mem_slot_range(m, &m->ranges[i], 0);
		m->ranges[i].d.slot = m->ranges[i].slot; /* its dirty log */
	}
	for (unsigned i = 0; i < m->n_roms && rc == 0; i++)
		rc = mem_slot_range(m, &m->roms[i], KVM_MEM_READONLY);
	for (unsigned i = 0; i < MEM_MAX_MMIO2 && rc == 0; i++) {
		struct mem_mmio2 *r = &m->mmio2[i];
		if (r->used && r->mapped)
			rc = mem_slot_set(m, r->d.slot, r->gpa, r->size, r->host,
					  r->d.track ? KVM_MEM_LOG_DIRTY_PAGES : 0);
	}
	return rc;
}

void mem_destroy(struct mem *m)
{
	for (unsigned i = 0; i < MEM_MAX_MMIO2; i++)
		if (m->mmio2[i].used)
			mem_mmio2_destroy(m, m->mmio2[i].owner, (int)i);
	for (unsigned i = 0; i < m->n_roms; i++)
		munmap(m->roms[i].host, m->roms[i].size);
	for (unsigned i = 0; i < m->n_ranges; i++)
		dirty_free(&m->ranges[i].d);
	if (m->base)
		munmap(m->base, m->size);
	if (m->memfd >= 0)
		close(m->memfd);
	gmap_free(&m->map);
	pthread_mutex_destroy(&m->lock);
	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	m->vm_fd = -1;
}

/* The RAM range wholly holding [gpa, gpa+len), or NULL. RAM ranges are
 * laid out once by mem_init and never move, so this reads no map and takes
 * no lock: a device process's copy of them, taken at fork, stays exact,
 * where its copy of the map (MMIO2 mappings move) would not. */
static struct mem_range *mem_ram_span(const struct mem *m, uint64_t gpa,
				      uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(gpa, len, &end))
		return NULL;
	for (unsigned i = 0; i < m->n_ranges; i++) {
		const struct mem_range *r = &m->ranges[i];
		if (gpa >= r->gpa && end <= r->gpa + r->size &&
		    (len || gpa < r->gpa + r->size))
			return (struct mem_range *)r;
	}
	return NULL;
}

void *mem_gpa_ptr(const struct mem *m, uint64_t gpa, uint64_t len)
{
	const struct mem_range *r = mem_ram_span(m, gpa, len);

	return r ? r->host + (gpa - r->gpa) : NULL;
}

int mem_read(const struct mem *m, uint64_t gpa, void *buf, size_t len)
{
	const void *p = mem_gpa_ptr(m, gpa, len);

	if (!p || (!buf && len))
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

struct mem_dirty *mem_dirty_of(struct mem *m, const struct gmap_range *r)
{
	if (r->kind == GMAP_MMIO2)
		return &m->mmio2[r->id].d;
	if (r->kind == GMAP_RAM && m->ram_track)
		return &m->ranges[r->id].d;
	return NULL;
}

int mem_copy_in(struct mem *m, uint64_t gpa, const void *buf, size_t len,
		struct gmap_range *r)
{
	uint64_t end;

	if (__builtin_add_overflow(gpa, len, &end) ||
	    !gmap_lookup(&m->map, gpa, len, r) ||
	    (r->kind != GMAP_RAM && r->kind != GMAP_MMIO2))
		return -EFAULT;
	memcpy(r->host + (gpa - r->gpa), buf, len);
	return 0;
}

int mem_write(struct mem *m, uint64_t gpa, const void *buf, size_t len)
{
	struct mem_range *r = mem_ram_span(m, gpa, len);

	if (!r || (!buf && len))
		return -EFAULT;
	memcpy(r->host + (gpa - r->gpa), buf, len);
	/* Marked after the copy: a query racing with us may report the page
	 * once more, never miss it. */
	if (__atomic_load_n(&m->ram_track, __ATOMIC_ACQUIRE))
		dirty_mark(&r->d, gpa - r->gpa, len);
	return 0;
}

uint64_t mem_low_top(const struct mem *m)
{
	return m->n_ranges ? m->ranges[0].size : 0;
}

static int mem_rom_back(struct mem_range *r, const void *data, size_t len)
{
	void *p = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	memcpy(p, data, len);
	r->host = p;
	return 0;
}

int mem_rom_add(struct mem *m, uint64_t gpa, const void *data, size_t len,
		const char *name, char *err, size_t errlen)
{
	if (m->n_roms >= MEM_MAX_ROMS || (gpa & (MEM_PAGE - 1)) || !len ||
	    len > GMAP_LIMIT)
		return -EINVAL;
	struct mem_range *r = &m->roms[m->n_roms];
	*r = (struct mem_range){ .gpa = gpa, .slot = -1,
		.size = (len + MEM_PAGE - 1) & ~(MEM_PAGE - 1) };
	int rc = mem_rom_back(r, data, len);
	if (rc < 0)
		return rc;
	struct gmap_range g = { .gpa = gpa, .size = r->size, .kind = GMAP_ROM,
				.host = r->host, .id = (int)m->n_roms };
	snprintf(g.name, sizeof(g.name), "%s", name);
	rc = gmap_insert(&m->map, &g, err, errlen);
	if (rc == 0 && m->vm_fd >= 0 &&
	    (rc = mem_slot_range(m, r, KVM_MEM_READONLY)) < 0)
		gmap_remove(&m->map, gpa, NULL, NULL); /* ours: it went in */
	if (rc < 0) { /* a refused insert leaves the range there alone */
		munmap(r->host, r->size);
		return rc;
	}
	m->n_roms++;
	return 0;
}

int mem_mmio_add(struct mem *m, uint64_t gpa, uint64_t size, const void *owner,
		 const char *name, const void *ops, void *opaque, char *err,
		 size_t errlen)
{
	struct gmap_range g = { .gpa = gpa, .size = size, .kind = GMAP_MMIO,
				.owner = owner, .ops = ops, .opaque = opaque };

	snprintf(g.name, sizeof(g.name), "%s", name);
	return gmap_insert(&m->map, &g, err, errlen);
}

int mem_mmio_del(struct mem *m, uint64_t gpa, const void *owner)
{
	struct gmap_range r;

	if (!gmap_lookup(&m->map, gpa, 0, &r) || r.gpa != gpa ||
	    r.kind != GMAP_MMIO)
		return -ENOENT;
	return gmap_remove(&m->map, gpa, owner, NULL);
}

int mem_reserve(struct mem *m, uint64_t gpa, uint64_t size, const char *name,
		char *err, size_t errlen)
{
	struct gmap_range g = { .gpa = gpa, .size = size,
				.kind = GMAP_RESERVED };

	snprintf(g.name, sizeof(g.name), "%s", name);
	return gmap_insert(&m->map, &g, err, errlen);
}

int mem_reserve_kvm(struct mem *m, char *err, size_t errlen)
{
	static const struct {
		uint64_t gpa, size;
		const char *name;
	} kvm[] = {
		{ MEM_IOAPIC, MEM_PAGE, "KVM IOAPIC" },
		{ MEM_LAPIC, MEM_PAGE, "KVM local APIC" },
		{ MEM_KVM_IDMAP, MEM_PAGE, "KVM identity map" },
		{ MEM_KVM_TSS, MEM_KVM_TSS_SIZE, "KVM TSS" },
	};
	int rc = 0;

	for (size_t i = 0; i < sizeof(kvm) / sizeof(kvm[0]) && rc == 0; i++)
		rc = mem_reserve(m, kvm[i].gpa, kvm[i].size, kvm[i].name, err,
				 errlen);
	return rc;
}

int mem_map_reserve(struct mem *m, unsigned bars)
{
	return gmap_reserve(&m->map, (size_t)MEM_MAX_MMIO2 + bars);
}

int mem_sim_guest_write(struct mem *m, uint64_t gpa, const void *buf,
			size_t len)
{
	struct gmap_range r;

	if (mem_copy_in(m, gpa, buf, len, &r) < 0)
		return -EFAULT;
	struct mem_dirty *d = mem_dirty_of(m, &r);
	if (d)
		dirty_sim_mark(d, gpa - r.gpa, len);
	return 0;
}
