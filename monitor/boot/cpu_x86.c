/*
 * monitor/boot/cpu_x86.c - a vCPU's entry state for the boot modes described
 * in loader.h: segments, control registers, entry registers; and the GDT
 * and identity page tables long mode enters with (test images, Linux).
 */
#include "boot/loader.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>


#define CR0_PE (1ull << 0)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

/* Selectors of the GDT loader_testimg.c writes: null, code64, data. */
#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define GDT_LIMIT (3 * 8 - 1)

#define SEG_TYPE_CODE 0xb /* execute/read, accessed */
#define SEG_TYPE_DATA 0x3 /* read/write, accessed */

#define RFLAGS_RESERVED 0x2ull

/* 64-bit flat code and data descriptors: the selectors above. */
#define GDT_CODE64 0x00af9a000000ffffull
#define GDT_DATA 0x00cf92000000ffffull

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull
#define PDPT_GPA (TESTIMG_BOOT_PML4 + 0x1000)
#define PD_GPA (TESTIMG_BOOT_PML4 + 0x2000)
#define PD_COUNT 4 /* 4 x 1 GiB: the first 4 GiB, MMIO hole included */

static void put64(uint8_t *p, unsigned idx, uint64_t v)
{
	memcpy(p + idx * sizeof(v), &v, sizeof(v));
}

int boot_long_mode_tables(const struct mem *m)
{
	uint8_t *gdt = mem_gpa_ptr(m, TESTIMG_BOOT_GDT, 3 * 8);
	uint8_t *pml4 = mem_gpa_ptr(m, TESTIMG_BOOT_PML4, 0x1000);
	uint8_t *pdpt = mem_gpa_ptr(m, PDPT_GPA, 0x1000);
	uint8_t *pd = mem_gpa_ptr(m, PD_GPA, PD_COUNT * 0x1000ull);

	if (!gdt || !pml4 || !pdpt || !pd)
		return -1;
	put64(gdt, 0, 0);
	put64(gdt, 1, GDT_CODE64);
	put64(gdt, 2, GDT_DATA);
	memset(pml4, 0, 0x1000);
	memset(pdpt, 0, 0x1000);
	put64(pml4, 0, PDPT_GPA | PTE_P | PTE_RW);
	for (unsigned i = 0; i < PD_COUNT; i++)
		put64(pdpt, i, (PD_GPA + i * 0x1000ull) | PTE_P | PTE_RW);
	for (unsigned i = 0; i < PD_COUNT * 512; i++)
		put64(pd, i, ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS);
	return 0;
}

static struct kvm_segment flat_seg(uint16_t sel, uint8_t type, bool code64)
{
	return (struct kvm_segment){
		.limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .s = 1, .g = 1,
		.db = !code64, .l = code64,
	};
}

static void sregs_long64(struct kvm_sregs *s)
{
	s->cs = flat_seg(SEL_CODE64, SEG_TYPE_CODE, true);
	s->ds = flat_seg(SEL_DATA, SEG_TYPE_DATA, false);
	s->es = s->fs = s->gs = s->ss = s->ds;
	s->gdt.base = TESTIMG_BOOT_GDT;
	s->gdt.limit = GDT_LIMIT;
	s->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	s->cr3 = TESTIMG_BOOT_PML4;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
}

/* PVH: flat 32-bit code and data, protection on, paging off. */
static void sregs_pvh32(struct kvm_sregs *s)
{
	s->cs = flat_seg(SEL_CODE64, SEG_TYPE_CODE, false);
	s->ds = flat_seg(SEL_DATA, SEG_TYPE_DATA, false);
	s->es = s->fs = s->gs = s->ss = s->ds;
	s->cr0 = CR0_PE | CR0_ET;
	s->cr3 = 0;
	s->cr4 = 0;
	s->efer = 0;
}

static void real_seg(struct kvm_segment *seg, uint16_t sel)
{
	seg->selector = sel;
	seg->base = (uint64_t)sel << 4;
	seg->limit = 0xffff;
}

/*
 * Real mode keeps the reset state's segment attributes. Segments are loaded
 * at or above 64 KiB (TESTIMG_MIN_LOAD_REAL), out of reach of IP alone, so
 * CS is the 64 KiB-aligned segment holding the entry and IP the offset in
 * it; an entry below 64 KiB gives CS = 0. The data segments stay 0.
 */
static void sregs_real16(struct kvm_sregs *s, uint64_t entry)
{
	real_seg(&s->cs, (uint16_t)((entry >> 4) & 0xf000));
	real_seg(&s->ds, 0);
	real_seg(&s->es, 0);
	real_seg(&s->fs, 0);
	real_seg(&s->gs, 0);
	real_seg(&s->ss, 0);
	s->cr0 = CR0_ET;
	s->cr3 = 0;
	s->cr4 = 0;
	s->efer = 0;
}

/* Entry registers (loader.h); 0 or -EINVAL for a vCPU with no stack. */
static int entry_regs(struct kvm_regs *r, const struct boot_info *bi,
		      const struct mem *m, unsigned idx, unsigned ncpus)
{
	memset(r, 0, sizeof(*r));
	r->rflags = RFLAGS_RESERVED;
	r->rdi = idx;
	r->rsi = ncpus;
	r->rdx = bi->cmdline;
	if (bi->mode == BOOT_REAL16) {
		if (idx >= TESTIMG_REAL_MAX_VCPUS || bi->entry >= 0x100000)
			return -EINVAL;
		r->rip = bi->entry & 0xffff;
		r->rsp = TESTIMG_REAL_STACK_TOP -
			 idx * TESTIMG_REAL_STACK_SIZE;
		return 0;
	}
	if (idx >= TESTIMG_MAX_VCPUS || mem_low_top(m) <= TESTIMG_STACK_AREA)
		return -EINVAL;
	r->rip = bi->entry;
	/* 16 below the top keeps rsp 16-byte aligned and inside the stack */
	r->rsp = mem_low_top(m) - idx * TESTIMG_STACK_SIZE - 16;
	return 0;
}

static int set_sregs(int vcpu_fd, const struct boot_info *bi)
{
	struct kvm_sregs s;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	if (bi->mode == BOOT_LONG64 || bi->mode == BOOT_LINUX64)
		sregs_long64(&s);
	else if (bi->mode == BOOT_PVH32)
		sregs_pvh32(&s);
	else
		sregs_real16(&s, bi->entry);
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &s) < 0)
		return -errno;
	return 0;
}

/* Linux's boot CPU: its entry, the boot data in rsi (bzImage's zero page)
 * and ebx (PVH's start info); the others wait in KVM for the guest's
 * INIT/SIPI, as on a real machine. */
static int linux_entry(int vcpu_fd, const struct boot_info *bi)
{
	struct kvm_regs r = { .rflags = RFLAGS_RESERVED, .rip = bi->entry,
			      .rsi = bi->arg, .rbx = bi->arg };
	int rc = set_sregs(vcpu_fd, bi);

	if (rc < 0)
		return rc;
	return ioctl(vcpu_fd, KVM_SET_REGS, &r) < 0 ? -errno : 0;
}

int cpu_boot_setup(int vcpu_fd, const struct boot_info *bi,
		   const struct mem *m, unsigned idx, unsigned ncpus)
{
	struct kvm_regs r;
	int rc;

	if (idx >= ncpus)
		return -EINVAL;
	if (bi->cpu_setup)
		return ncpus == 1 ? bi->cpu_setup(vcpu_fd, bi, m) : -EINVAL;
	if (bi->mode == BOOT_LINUX64 || bi->mode == BOOT_PVH32)
		return idx ? 0 : linux_entry(vcpu_fd, bi);
	rc = entry_regs(&r, bi, m, idx, ncpus);
	if (rc < 0)
		return rc;
	rc = set_sregs(vcpu_fd, bi);
	if (rc < 0)
		return rc;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &r) < 0)
		return -errno;
	/* With an in-kernel local APIC, KVM holds APs in wait-for-SIPI; every
	 * vCPU enters at the same entry instead, so make them runnable. */
	if (idx > 0) {
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
		if (ioctl(vcpu_fd, KVM_SET_MP_STATE, &mp) < 0)
			return -errno;
	}
	return 0;
}
