/*
 * monitor/boot/loader.h - the boot room: putting a guest into memory and
 * setting its first vCPU state. Loaders: test images (loader_testimg.c,
 * below), Solo5 hvt unikernels (hvt.h), Linux bzImage and PVH vmlinux
 * (linux.h) with their ACPI tables (acpi.h); entry states (cpu_x86.c). It
 * calls only mem/: the lowest room, every loader is a pure function of
 * its image, checked before use.
 *
 * Test images (loader_testimg.c) are the project's own freestanding guests:
 *  - ELF64 / EM_X86_64 / ET_EXEC: entered in 64-bit long mode, paging on with
 *    the first 4 GiB identity-mapped (2 MiB pages), flat code/data segments.
 *    PT_LOAD segments must lie in RAM at or above TESTIMG_MIN_LOAD.
 *  - ELF32 / EM_386 / ET_EXEC: entered in 16-bit real mode with CS the
 *    64 KiB segment holding e_entry (CS = (entry >> 4) & 0xf000, IP = entry
 *    & 0xffff) and DS=ES=SS=FS=GS=0; segments in [TESTIMG_MIN_LOAD_REAL,
 *    0xA0000); at most TESTIMG_REAL_MAX_VCPUS vCPUs.
 * Entry registers (both modes): rdi = vCPU index, rsi = vCPU count,
 * rdx = guest-physical address of the NUL-terminated command line (0: none),
 * rsp = top of this vCPU's own stack: long mode, TESTIMG_STACK_SIZE bytes
 * each at the top of low RAM (room for TESTIMG_MAX_VCPUS is kept free of
 * segments); real mode, TESTIMG_REAL_STACK_SIZE bytes each below
 * TESTIMG_REAL_STACK_TOP.
 * Every vCPU enters at e_entry; the guest tells them apart by rdi.
 */
#ifndef WISP_LOADER_H
#define WISP_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

#define TESTIMG_BOOT_GDT 0x1000ull    /* GDT */
#define TESTIMG_BOOT_PML4 0x2000ull   /* PML4, PDPT at +0x1000, 4 PDs after */
#define TESTIMG_CMDLINE 0x8000ull     /* command line, up to 4 KiB */
#define TESTIMG_CMDLINE_MAX 4096
#define TESTIMG_MIN_LOAD 0x100000ull  /* long-mode segments start here */
#define TESTIMG_MIN_LOAD_REAL 0x10000ull
#define TESTIMG_STACK_SIZE 0x4000ull  /* per vCPU, long mode */
#define TESTIMG_MAX_VCPUS 256u        /* covers the CLI's --cpus range */
#define TESTIMG_STACK_AREA (TESTIMG_MAX_VCPUS * TESTIMG_STACK_SIZE)
#define TESTIMG_REAL_STACK_TOP 0x8000ull
#define TESTIMG_REAL_STACK_SIZE 0x200ull
#define TESTIMG_REAL_MAX_VCPUS 32u

/* BOOT_LINUX64: long mode, rip = entry, rsi = arg (the zero page);
 * BOOT_PVH32: 32-bit protected mode, paging off, ebx = arg (the start
 * info). Both start vCPU 0 only: the others wait for the guest's SIPI. */
enum boot_mode { BOOT_LONG64, BOOT_REAL16, BOOT_LINUX64, BOOT_PVH32 };

struct boot_info {
	enum boot_mode mode;
	uint64_t entry;
	uint64_t cmdline; /* gpa, 0 if none */
	/* A loader with its own entry ABI (hvt) sets these: cpu_boot_setup
	 * then hands the single vCPU to cpu_setup and does nothing else. */
	int (*cpu_setup)(int vcpu_fd, const struct boot_info *bi,
			 const struct mem *m);
	uint64_t stack, arg; /* rsp and rdi for cpu_setup */
};

/*
 * Validate and load a test image (the file fd of size bytes, read through
 * elf.h) into guest RAM m, writing the boot structures for its mode. Every
 * header field is untrusted: offsets and sizes are overflow-checked before
 * use. Returns 0, or -1 with one line in err (the caller exits
 * WISP_EXIT_IMAGE).
 */
int loader_testimg_load(const struct mem *m, int fd, uint64_t size,
			const char *cmdline, struct boot_info *bi, char *err,
			size_t errlen);

/* (cpu_x86.c) GDT (null, code64, data) at TESTIMG_BOOT_GDT and page tables at
 * TESTIMG_BOOT_PML4 identity-mapping the first 4 GiB with 2 MiB pages.
 * 0, or -1 when that area is not RAM. */
int boot_long_mode_tables(const struct mem *m);

/*
 * Set vCPU `idx` of `ncpus` (vcpu_fd) to the entry state bi describes:
 * segment registers, control registers, rip, the entry registers above.
 * Returns 0 or -errno from the KVM ioctls.
 */
int cpu_boot_setup(int vcpu_fd, const struct boot_info *bi,
		   const struct mem *m, unsigned idx, unsigned ncpus);

#endif
