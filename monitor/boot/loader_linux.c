/*
 * monitor/boot/loader_linux.c - Linux guests, told apart by content:
 *  - bzImage: the x86 64-bit boot protocol (Documentation/arch/x86/boot.rst).
 *    The setup header is checked (boot flag, "HdrS", protocol >= 2.12,
 *    XLF_KERNEL_64, LOADED_HIGH, relocatable, a power-of-two alignment),
 *    the protected-mode kernel is copied to its preferred address (or the
 *    lowest aligned one from 1 MiB), a zero page gets the header, the e820
 *    map, the command line and the initrd, and the BSP enters the 64-bit
 *    entry (load + 0x200) in long mode with rsi = the zero page.
 *  - vmlinux with a PVH note (Xen's XEN_ELFNOTE_PHYS32_ENTRY): PT_LOAD
 *    segments at their physical addresses, an hvm_start_info (memory map,
 *    command line, the initrd as module 0), the BSP entered in 32-bit
 *    protected mode, paging off, ebx = the start info.
 * Application processors wait for the guest's INIT/SIPI (in-kernel LAPIC).
 * Every header field is untrusted and checked before use; a kernel or
 * initrd that does not fit is refused with one line (the CLI exits 65).
 * Neither file is held in wisp's memory: the setup header and the ELF
 * headers are pread into small buffers (elf.h), the kernel's bytes and the
 * initrd straight into guest RAM once their spans are checked.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boot/acpi.h"
#include "boot/elf.h"
#include "boot/linux.h"

/* Guest-physical layout below 1 MiB (the page tables are loader.h's). */
#define LX_GDT TESTIMG_BOOT_GDT
#define LX_ZERO_PAGE 0x10000ull /* boot_params, or PVH's hvm_start_info */
#define LX_MEMMAP 0x11000ull   /* PVH memory map */
#define LX_MODLIST 0x12000ull  /* PVH module list */
#define LX_CMDLINE 0x20000ull
#define LX_CMDLINE_MAX 0x10000ull
#define LX_EBDA 0x9fc00ull
#define LX_BIOS 0xe0000ull
#define LX_HIGH 0x100000ull

/* Setup header offsets (boot.rst) and values. */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_END 0x268
#define HDR_BUF 0x400 /* the longest setup header check_setup_header takes */
#define BP_ACPI_RSDP_ADDR 0x070 /* protocol 2.14; older kernels scan */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0
#define BP_SIZE 4096
#define LOADED_HIGH 0x01
#define XLF_KERNEL_64 0x01
#define PROTOCOL_MIN 0x020c /* 2.12: xloadflags */

/* PVH: the note and the start info (xen/include/public/arch-x86/hvm/start_info.h). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578u

struct e820 {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

#define E820_RAM 1
#define E820_RESERVED 2
#ifndef WISP_PCI
#define WISP_PCI 0
#endif
#define LX_MAX_MAP 8

struct lx {
	const struct mem *m;
	int fd;
	uint64_t len;
	uint8_t hdr[HDR_BUF]; /* the file's start, zero past its end */
	const struct linux_args *a;
	char *err;
	size_t errlen;
	uint64_t kernel_end; /* the initrd goes above this */
	uint64_t rsdp;       /* the ACPI tables' root */
};

static int fail(const struct lx *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, l->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t get(const uint8_t *p, unsigned off, unsigned n)
{
	uint64_t v = 0;

	memcpy(&v, p + off, n); /* x86 is little-endian, like the header */
	return v;
}

static void put(uint8_t *p, unsigned off, uint64_t v, unsigned n)
{
	memcpy(p + off, &v, n);
}

/* Guest RAM for [gpa, gpa+len), or NULL (outside RAM, overflow). */
static uint8_t *ram(const struct lx *l, uint64_t gpa, uint64_t len)
{
	return mem_gpa_ptr(l->m, gpa, len);
}

static bool is_bzimage(const uint8_t *hdr, uint64_t len)
{
	return len > HDR_END && get(hdr, HDR_BOOT_FLAG, 2) == 0xaa55 &&
	       memcmp(hdr + HDR_MAGIC, "HdrS", 4) == 0;
}

/* The first HDR_BUF bytes of the file (fewer if it is shorter). */
static int read_head(int fd, uint64_t len, uint8_t *hdr)
{
	memset(hdr, 0, HDR_BUF);
	return boot_pread(fd, hdr, len < HDR_BUF ? len : HDR_BUF, 0);
}

/* The PVH entry of an opened ELF: 1 with *entry, 0 if it has no PVH
 * note, -1 for a malformed note (the reason in e's err). */
static int pvh_entry(const struct elf *e, uint64_t *entry)
{
	struct elf_phdr ph;
	uint64_t off;
	uint32_t n;

	for (unsigned i = 0; i < e->phnum; i++) {
		if (elf_phdr(e, i, &ph) < 0)
			return -1;
		if (ph.type != PT_NOTE)
			continue;
		int rc = elf_note(e, &ph, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &off, &n);
		if (rc < 0 || (rc > 0 && n != 4 && n != 8))
			return rc < 0 ? -1 : elf_fail(e, "vmlinux PVH entry note "
						      "of %u bytes", n);
		*entry = 0;
		if (rc > 0)
			return elf_read(e, off, entry, n) < 0 ? -1 : 1;
	}
	return 0;
}

enum linux_kind linux_detect(int fd, uint64_t len)
{
	uint8_t hdr[HDR_BUF];
	char err[8];
	struct elf e;
	uint64_t entry;

	if (read_head(fd, len, hdr) < 0)
		return LINUX_NONE;
	if (is_bzimage(hdr, len))
		return LINUX_BZIMAGE;
	if (elf_open(&e, fd, len, ELF_WANT64, err, sizeof(err)) < 0)
		return LINUX_NONE;
	return pvh_entry(&e, &entry) > 0 ? LINUX_PVH : LINUX_NONE;
}

/* The RAM the guest sees, as e820 entries; returns the count. */
static unsigned memory_map(const struct mem *m, struct e820 *e)
{
	uint64_t low = mem_low_top(m);
	unsigned n = 0;

	e[n++] = (struct e820){ 0, LX_EBDA, E820_RAM };
	e[n++] = (struct e820){ LX_EBDA, 0xa0000 - LX_EBDA, E820_RESERVED };
	e[n++] = (struct e820){ LX_BIOS, LX_HIGH - LX_BIOS, E820_RESERVED };
	e[n++] = (struct e820){ LX_HIGH, low - LX_HIGH, E820_RAM };
	/* Linux uses an MCFG area only when the firmware reserved it. */
	if (WISP_PCI)
		e[n++] = (struct e820){ MEM_PCI_ECAM, MEM_PCI_ECAM_SIZE,
					E820_RESERVED };
	if (m->size > low)
		e[n++] = (struct e820){ MEM_HOLE_END, m->size - low, E820_RAM };
	return n;
}

static int put_cmdline(const struct lx *l, uint64_t max)
{
	size_t n = strlen(l->a->cmdline) + 1;
	uint8_t *dst = ram(l, LX_CMDLINE, LX_CMDLINE_MAX);

	if (n > max || n > LX_CMDLINE_MAX)
		return fail(l, "command line of %zu bytes: this kernel takes at "
			    "most %llu", n - 1, (unsigned long long)max - 1);
	if (!dst)
		return fail(l, "guest memory is too small for the boot data");
	memcpy(dst, l->a->cmdline, n);
	return 0;
}

/* The initrd at the highest page below min(max, low RAM), above the
 * kernel; *gpa gets its address (0 without one). */
static int put_initrd(struct lx *l, uint64_t max, uint64_t *gpa)
{
	uint64_t top = mem_low_top(l->m), size = l->a->initrd_len;

	*gpa = 0;
	if (l->a->initrd_fd < 0)
		return 0;
	if (max < top)
		top = max + 1;
	uint64_t at = size < top ? (top - size) & ~(MEM_PAGE - 1) : 0;
	uint8_t *dst = ram(l, at, size);
	if (size >= top || at < l->kernel_end || !dst)
		return fail(l, "initrd of %llu bytes does not fit between the "
			    "kernel's end (0x%llx) and 0x%llx",
			    (unsigned long long)size,
			    (unsigned long long)l->kernel_end,
			    (unsigned long long)top);
	if (boot_pread(l->a->initrd_fd, dst, size, 0) < 0)
		return fail(l, "cannot read the initrd: %s", strerror(errno));
	*gpa = at;
	return 0;
}

static int check_setup_header(const struct lx *l)
{
	const uint8_t *p = l->hdr;
	uint64_t align = get(p, HDR_KERNEL_ALIGNMENT, 4);

	if (get(p, HDR_VERSION, 2) < PROTOCOL_MIN)
		return fail(l, "bzImage boot protocol %u.%02u: wisp needs 2.12 or "
			    "later", (unsigned)(get(p, HDR_VERSION, 2) >> 8),
			    (unsigned)(get(p, HDR_VERSION, 2) & 0xff));
	if (!(get(p, HDR_XLOADFLAGS, 2) & XLF_KERNEL_64))
		return fail(l, "bzImage has no 64-bit entry (XLF_KERNEL_64)");
	if (!(get(p, HDR_LOADFLAGS, 1) & LOADED_HIGH))
		return fail(l, "bzImage is not loaded high (a zImage)");
	if (!get(p, HDR_RELOCATABLE, 1))
		return fail(l, "bzImage is not relocatable");
	if (align < MEM_PAGE || (align & (align - 1)) || align > (1ull << 30))
		return fail(l, "bzImage kernel_alignment 0x%llx is not a power "
			    "of two from 4 KiB to 1 GiB", (unsigned long long)align);
	if (get(p, HDR_JUMP + 1, 1) + 0x202ull > HDR_END + 0x100)
		return fail(l, "bzImage setup header is too long");
	return 0;
}

/* Where the protected-mode kernel goes: its preferred address if its
 * init_size fits there in low RAM, else the first aligned one from 1 MiB. */
static int kernel_place(struct lx *l, uint64_t *at)
{
	const uint8_t *p = l->hdr;
	uint64_t align = get(p, HDR_KERNEL_ALIGNMENT, 4);
	uint64_t need = get(p, HDR_INIT_SIZE, 4), top = mem_low_top(l->m);
	uint64_t pref = get(p, HDR_PREF_ADDRESS, 8);

	*at = pref >= LX_HIGH && pref < top && need <= top - pref ? pref :
	      (LX_HIGH + align - 1) & ~(align - 1);
	if (*at >= top || need > top - *at)
		return fail(l, "kernel needs %llu MiB from 0x%llx; guest RAM below "
			    "the 3 GiB hole ends at 0x%llx",
			    (unsigned long long)(need >> 20),
			    (unsigned long long)*at, (unsigned long long)top);
	l->kernel_end = *at + need;
	return 0;
}

static int bz_copy_kernel(struct lx *l, uint64_t at)
{
	unsigned sects = (unsigned)get(l->hdr, HDR_SETUP_SECTS, 1);
	uint64_t off = ((sects ? sects : 4) + 1ull) * 512;

	if (off >= l->len)
		return fail(l, "bzImage ends inside its setup code");
	uint8_t *dst = ram(l, at, l->len - off);
	if (!dst || l->len - off > l->kernel_end - at)
		return fail(l, "bzImage kernel (%llu bytes) is larger than its "
			    "init_size", (unsigned long long)(l->len - off));
	if (boot_pread(l->fd, dst, l->len - off, off) < 0)
		return fail(l, "cannot read the bzImage: %s", strerror(errno));
	return 0;
}

/* The zero page: the image's setup header and what the loader fills in. */
static int bz_zero_page(struct lx *l, uint64_t initrd)
{
	uint8_t *bp = ram(l, LX_ZERO_PAGE, BP_SIZE);
	struct e820 e[LX_MAX_MAP];
	unsigned n = memory_map(l->m, e);
	size_t hdr = 0x202 + get(l->hdr, HDR_JUMP + 1, 1) - HDR_SETUP_SECTS;

	if (!bp)
		return fail(l, "guest memory is too small for the boot data");
	memset(bp, 0, BP_SIZE);
	memcpy(bp + HDR_SETUP_SECTS, l->hdr + HDR_SETUP_SECTS, hdr);
	put(bp, HDR_TYPE_OF_LOADER, 0xff, 1);
	put(bp, HDR_CMD_LINE_PTR, LX_CMDLINE, 4);
	put(bp, HDR_RAMDISK_IMAGE, initrd & 0xffffffffu, 4);
	put(bp, HDR_RAMDISK_SIZE, initrd ? l->a->initrd_len & 0xffffffffu : 0, 4);
	put(bp, BP_EXT_RAMDISK_IMAGE, initrd >> 32, 4);
	put(bp, BP_EXT_RAMDISK_SIZE, initrd ? l->a->initrd_len >> 32 : 0, 4);
	put(bp, BP_E820_ENTRIES, n, 1);
	put(bp, BP_ACPI_RSDP_ADDR, l->rsdp, 8);
	memcpy(bp + BP_E820_TABLE, e, n * sizeof(e[0]));
	return 0;
}

static int load_bzimage(struct lx *l, struct boot_info *bi)
{
	uint64_t at, initrd;

	if (check_setup_header(l) < 0 || kernel_place(l, &at) < 0 ||
	    bz_copy_kernel(l, at) < 0 ||
	    put_cmdline(l, get(l->hdr, HDR_CMDLINE_SIZE, 4) + 1) < 0 ||
	    put_initrd(l, get(l->hdr, HDR_INITRD_ADDR_MAX, 4), &initrd) < 0 ||
	    bz_zero_page(l, initrd) < 0)
		return -1;
	*bi = (struct boot_info){ .mode = BOOT_LINUX64, .entry = at + 0x200,
				  .cmdline = LX_CMDLINE, .arg = LX_ZERO_PAGE };
	return 0;
}

/* Linux's policy: each PT_LOAD at its physical address, from 1 MiB to
 * the 3 GiB hole; its bytes pread straight into guest RAM. */
static int pvh_segment(struct lx *l, const struct elf *e,
		       const struct elf_phdr *ph)
{
	if (!elf_span(e, ph->offset, ph->filesz) || ph->filesz > ph->memsz)
		return fail(l, "vmlinux segment lies outside the file");
	uint8_t *dst = ram(l, ph->paddr, ph->memsz);
	if (!dst || ph->paddr < LX_HIGH ||
	    ph->paddr + ph->memsz > mem_low_top(l->m))
		return fail(l, "vmlinux segment [0x%llx, +0x%llx) is not in guest "
			    "RAM between 1 MiB and the 3 GiB hole",
			    (unsigned long long)ph->paddr,
			    (unsigned long long)ph->memsz);
	if (elf_load(e, ph, dst) < 0)
		return -1;
	if (ph->paddr + ph->memsz > l->kernel_end)
		l->kernel_end = ph->paddr + ph->memsz;
	return 0;
}

static int pvh_segments(struct lx *l, const struct elf *e)
{
	struct elf_phdr ph;
	unsigned n = 0;

	for (unsigned i = 0; i < e->phnum; i++) {
		if (elf_phdr(e, i, &ph) < 0)
			return -1;
		if (ph.type != PT_LOAD || !ph.memsz)
			continue;
		if (pvh_segment(l, e, &ph) < 0)
			return -1;
		n++;
	}
	return n ? 0 : fail(l, "vmlinux has no loadable segment");
}

static int pvh_start_info(struct lx *l, uint64_t initrd)
{
	struct e820 e[LX_MAX_MAP];
	unsigned n = memory_map(l->m, e);
	struct hvm_start_info *si = (void *)ram(l, LX_ZERO_PAGE, sizeof(*si));
	struct hvm_memmap_entry *mm = (void *)ram(l, LX_MEMMAP, sizeof(*mm) * n);
	struct hvm_modlist_entry *mod = (void *)ram(l, LX_MODLIST, sizeof(*mod));

	if (!si || !mm || !mod)
		return fail(l, "guest memory is too small for the boot data");
	for (unsigned i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_entry){ e[i].addr, e[i].size, e[i].type, 0 };
	*mod = (struct hvm_modlist_entry){ initrd, initrd ? l->a->initrd_len : 0,
					   0, 0 };
	*si = (struct hvm_start_info){
		.magic = HVM_START_MAGIC, .version = 1, .nr_modules = initrd ? 1 : 0,
		.modlist_paddr = initrd ? LX_MODLIST : 0, .cmdline_paddr = LX_CMDLINE,
		.memmap_paddr = LX_MEMMAP, .memmap_entries = n,
		.rsdp_paddr = l->rsdp,
	};
	return 0;
}

static int load_pvh(struct lx *l, struct boot_info *bi)
{
	struct elf e;
	uint64_t entry = 0, initrd;

	if (elf_open(&e, l->fd, l->len, ELF_WANT64, l->err, l->errlen) < 0)
		return -1;
	int rc = pvh_entry(&e, &entry);
	if (rc <= 0)
		return rc < 0 ? -1 : fail(l, "vmlinux has no PVH entry note");
	if (entry < LX_HIGH || entry >= mem_low_top(l->m))
		return fail(l, "vmlinux PVH entry 0x%llx is not in guest RAM above "
			    "1 MiB", (unsigned long long)entry);
	if (pvh_segments(l, &e) < 0 || put_cmdline(l, LX_CMDLINE_MAX) < 0 ||
	    put_initrd(l, MEM_HOLE_START - 1, &initrd) < 0 ||
	    pvh_start_info(l, initrd) < 0)
		return -1;
	*bi = (struct boot_info){ .mode = BOOT_PVH32, .entry = entry,
				  .cmdline = LX_CMDLINE, .arg = LX_ZERO_PAGE };
	return 0;
}

static int load_kind(struct lx *l, struct boot_info *bi)
{
	if (read_head(l->fd, l->len, l->hdr) < 0)
		return fail(l, "cannot read the kernel: %s", strerror(errno));
	if (is_bzimage(l->hdr, l->len))
		return load_bzimage(l, bi);
	if (l->len < SELFMAG || memcmp(l->hdr, ELFMAG, SELFMAG) != 0)
		return fail(l, "not a bzImage or a vmlinux with a PVH note");
	return load_pvh(l, bi);
}

int loader_linux_load(const struct mem *m, int fd, uint64_t len,
		      const struct linux_args *a, struct boot_info *bi,
		      char *err, size_t errlen)
{
	struct lx l = { .m = m, .fd = fd, .len = len, .a = a, .err = err,
			.errlen = errlen };

	if (errlen)
		err[0] = '\0';
	if (mem_low_top(m) <= LX_CMDLINE + LX_CMDLINE_MAX || !ram(&l, 0, LX_HIGH))
		return fail(&l, "guest memory is too small for Linux");
	if (acpi_build(m, a->ncpus, &l.rsdp) < 0)
		return fail(&l, "cannot build the ACPI tables for %u vCPUs",
			    a->ncpus);
	if (boot_long_mode_tables(m) < 0)
		return fail(&l, "guest memory is too small for the boot tables");
	return load_kind(&l, bi);
}
