/* mem/slot.c - KVM memslot numbers, within KVM_CAP_NR_MEMSLOTS. */
#include "mem.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

int mem_slot_alloc(struct mem *m)
{
	for (uint32_t i = 0; i < m->max_slots; i++) {
		if (!(m->slot_used[i / 64] & (1ull << (i % 64)))) {
			m->slot_used[i / 64] |= 1ull << (i % 64);
			return (int)i;
		}
	}
	return -ENOSPC;
}

void mem_slot_free(struct mem *m, int slot)
{
	if (slot >= 0 && slot < MEM_MAX_SLOTS)
		m->slot_used[slot / 64] &= ~(1ull << (slot % 64));
}

int mem_slot_set(struct mem *m, int slot, uint64_t gpa, uint64_t size,
		 void *host, uint32_t flags)
{
	struct kvm_userspace_memory_region reg = {
		.slot = (uint32_t)slot,
		.flags = size ? flags : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	if (m->vm_fd < 0)
		return 0;
	return ioctl(m->vm_fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0 ? -errno
								      : 0;
}
