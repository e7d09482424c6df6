/*
 * mem/mem.h - guest-physical memory: RAM backed by one memfd, registered as
 * KVM memslots, and the single checked translation every access goes through.
 *
 * Layout: RAM fills [0, min(size, MEM_HOLE_START)); what does not fit goes
 * above 4 GiB. [MEM_HOLE_START, 4 GiB) is the 32-bit MMIO hole. The full
 * memory manager (ROM, MMIO2, dirty tracking) is its own issue; this is the
 * minimal part the core needs, with its final interface for guest access.
 */
#ifndef WISP_MEM_H
#define WISP_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_HOLE_START 0xC0000000ull
#define MEM_HOLE_END 0x100000000ull
#define MEM_MAX_RAM_RANGES 2

struct mem_range {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
	uint32_t slot;
};

struct mem {
	int memfd;
	uint8_t *base; /* host mapping of the whole memfd */
	uint64_t size; /* total RAM bytes */
	unsigned n_ranges;
	struct mem_range ranges[MEM_MAX_RAM_RANGES];
};

/* Create the memfd and host mapping of `size` bytes (page-aligned) and lay
 * out the RAM ranges. No KVM involved. Returns 0 or -errno. */
int mem_init(struct mem *m, uint64_t size);

/* The same with RAM contiguous from GPA 0, no hole (hvt guests see up to
 * 4 GiB of flat RAM and place nothing in a hole). */
int mem_init_flat(struct mem *m, uint64_t size);

/* Register each RAM range as a KVM memslot on vm_fd. Returns 0 or -errno. */
int mem_register_kvm(struct mem *m, int vm_fd);

/* Unmap and close. Safe on a zeroed or half-initialised struct. */
void mem_destroy(struct mem *m);

/*
 * The one translation helper: host pointer for guest [gpa, gpa+len) when the
 * whole span lies in one RAM range, else NULL (overflow, hole, past end,
 * len == 0 is allowed and checks gpa only).
 */
void *mem_gpa_ptr(const struct mem *m, uint64_t gpa, uint64_t len);

/* Copy to/from guest RAM through mem_gpa_ptr. 0 or -EFAULT. */
int mem_read(const struct mem *m, uint64_t gpa, void *buf, size_t len);
int mem_write(const struct mem *m, uint64_t gpa, const void *buf, size_t len);

/* The highest RAM address below the 32-bit hole, exclusive. */
uint64_t mem_low_top(const struct mem *m);

#endif
