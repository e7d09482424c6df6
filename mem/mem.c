/* mem/mem.c - guest RAM: memfd, layout around the 32-bit hole, memslots. */
#include "mem.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static void mem_add_range(struct mem *m, uint64_t gpa, uint64_t off,
			  uint64_t size)
{
	struct mem_range *r = &m->ranges[m->n_ranges];

	r->gpa = gpa;
	r->size = size;
	r->host = m->base + off;
	r->slot = m->n_ranges;
	m->n_ranges++;
}

static int mem_create(struct mem *m, uint64_t size, uint64_t low_max)
{
	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	if (size == 0 || (size & 0xfff))
		return -EINVAL;
	/* A memfd, not anonymous memory: sandboxed devices and VFIO DMA map
	 * the same pages later. CLOEXEC: nothing we exec inherits guest RAM. */
	m->memfd = memfd_create("wisp-ram", MFD_CLOEXEC);
	if (m->memfd < 0)
		return -errno;
	if (ftruncate(m->memfd, (off_t)size) < 0)
		return -errno;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_NORESERVE, m->memfd, 0);
	if (p == MAP_FAILED)
		return -errno;
	m->base = p;
	m->size = size;
	uint64_t low = size < low_max ? size : low_max;
	mem_add_range(m, 0, 0, low);
	if (size > low)
		mem_add_range(m, MEM_HOLE_END, low, size - low);
	return 0;
}

int mem_init(struct mem *m, uint64_t size)
{
	return mem_create(m, size, MEM_HOLE_START);
}

int mem_init_flat(struct mem *m, uint64_t size)
{
	return mem_create(m, size, size);
}

int mem_register_kvm(struct mem *m, int vm_fd)
{
	for (unsigned i = 0; i < m->n_ranges; i++) {
		struct mem_range *r = &m->ranges[i];
		struct kvm_userspace_memory_region reg = {
			.slot = r->slot,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->host,
		};
		if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0)
			return -errno;
	}
	return 0;
}

void mem_destroy(struct mem *m)
{
	if (m->base)
		munmap(m->base, m->size);
	if (m->memfd >= 0)
		close(m->memfd);
	memset(m, 0, sizeof(*m));
	m->memfd = -1;
}

void *mem_gpa_ptr(const struct mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(gpa, len, &end))
		return NULL;
	for (unsigned i = 0; i < m->n_ranges; i++) {
		const struct mem_range *r = &m->ranges[i];
		if (gpa >= r->gpa && end <= r->gpa + r->size &&
		    gpa < r->gpa + r->size)
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

int mem_read(const struct mem *m, uint64_t gpa, void *buf, size_t len)
{
	const void *p = mem_gpa_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int mem_write(const struct mem *m, uint64_t gpa, const void *buf, size_t len)
{
	void *p = mem_gpa_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

uint64_t mem_low_top(const struct mem *m)
{
	return m->n_ranges ? m->ranges[0].size : 0;
}
