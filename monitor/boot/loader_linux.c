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
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boot/acpi.h"
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
	const uint8_t *img;
	size_t len;
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

static bool is_bzimage(const uint8_t *p, size_t len)
{
	return len > HDR_END && get(p, HDR_BOOT_FLAG, 2) == 0xaa55 &&
	       memcmp(p + HDR_MAGIC, "HdrS", 4) == 0;
}

/* The PVH entry from a PT_NOTE's notes, 0 if none. */
static uint64_t pvh_note(const uint8_t *p, uint64_t len)
{
	uint64_t off = 0;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, p + off, sizeof(nh));
		uint64_t name = (nh.n_namesz + 3ull) & ~3ull;
		uint64_t desc = (nh.n_descsz + 3ull) & ~3ull;
		uint64_t next = off + sizeof(nh) + name + desc;
		if (next > len || next <= off)
			return 0;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    !memcmp(p + off + sizeof(nh), "Xen", 4) &&
		    (nh.n_descsz == 4 || nh.n_descsz == 8))
			return get(p, off + sizeof(nh) + name, nh.n_descsz);
		off = next;
	}
	return 0;
}

static bool elf64_ok(const uint8_t *p, size_t len, Elf64_Ehdr *eh)
{
	if (len < sizeof(*eh))
		return false;
	memcpy(eh, p, sizeof(*eh));
	return !memcmp(eh->e_ident, ELFMAG, SELFMAG) &&
	       eh->e_ident[EI_CLASS] == ELFCLASS64 &&
	       eh->e_machine == EM_X86_64 && eh->e_phentsize == sizeof(Elf64_Phdr) &&
	       eh->e_phoff <= len && eh->e_phnum <= (len - eh->e_phoff) / sizeof(Elf64_Phdr);
}

static bool phdr(const uint8_t *p, const Elf64_Ehdr *eh, unsigned i,
		 Elf64_Phdr *ph)
{
	memcpy(ph, p + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
	return true;
}

/* The PVH entry of an x86-64 ELF, 0 if it has none. */
static uint64_t pvh_entry(const uint8_t *p, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	if (!elf64_ok(p, len, &eh))
		return 0;
	for (unsigned i = 0; i < eh.e_phnum && phdr(p, &eh, i, &ph); i++) {
		if (ph.p_type != PT_NOTE || ph.p_offset > len ||
		    ph.p_filesz > len - ph.p_offset)
			continue;
		uint64_t e = pvh_note(p + ph.p_offset, ph.p_filesz);
		if (e)
			return e;
	}
	return 0;
}

enum linux_kind linux_detect(const void *img, size_t len)
{
	if (is_bzimage(img, len))
		return LINUX_BZIMAGE;
	return pvh_entry(img, len) ? LINUX_PVH : LINUX_NONE;
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
	if (!l->a->initrd)
		return 0;
	if (max < top)
		top = max + 1;
	uint64_t at = size < top ? (top - size) & ~(MEM_PAGE - 1) : 0;
	uint8_t *dst = ram(l, at, size);
	if (size >= top || at < l->kernel_end || !dst)
		return fail(l, "initrd of %zu bytes does not fit between the "
			    "kernel's end (0x%llx) and 0x%llx", l->a->initrd_len,
			    (unsigned long long)l->kernel_end,
			    (unsigned long long)top);
	memcpy(dst, l->a->initrd, size);
	*gpa = at;
	return 0;
}

static int check_setup_header(const struct lx *l)
{
	const uint8_t *p = l->img;
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
	const uint8_t *p = l->img;
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
	unsigned sects = (unsigned)get(l->img, HDR_SETUP_SECTS, 1);
	uint64_t off = ((sects ? sects : 4) + 1ull) * 512;

	if (off >= l->len)
		return fail(l, "bzImage ends inside its setup code");
	uint8_t *dst = ram(l, at, l->len - off);
	if (!dst || l->len - off > l->kernel_end - at)
		return fail(l, "bzImage kernel (%zu bytes) is larger than its "
			    "init_size", l->len - off);
	memcpy(dst, l->img + off, l->len - off);
	return 0;
}

/* The zero page: the image's setup header and what the loader fills in. */
static int bz_zero_page(struct lx *l, uint64_t initrd)
{
	uint8_t *bp = ram(l, LX_ZERO_PAGE, BP_SIZE);
	struct e820 e[LX_MAX_MAP];
	unsigned n = memory_map(l->m, e);
	size_t hdr = 0x202 + get(l->img, HDR_JUMP + 1, 1) - HDR_SETUP_SECTS;

	if (!bp)
		return fail(l, "guest memory is too small for the boot data");
	memset(bp, 0, BP_SIZE);
	memcpy(bp + HDR_SETUP_SECTS, l->img + HDR_SETUP_SECTS, hdr);
	put(bp, HDR_TYPE_OF_LOADER, 0xff, 1);
	put(bp, HDR_CMD_LINE_PTR, LX_CMDLINE, 4);
	put(bp, HDR_RAMDISK_IMAGE, initrd & 0xffffffffu, 4);
	put(bp, HDR_RAMDISK_SIZE, l->a->initrd_len & 0xffffffffu, 4);
	put(bp, BP_EXT_RAMDISK_IMAGE, initrd >> 32, 4);
	put(bp, BP_EXT_RAMDISK_SIZE, (uint64_t)l->a->initrd_len >> 32, 4);
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
	    put_cmdline(l, get(l->img, HDR_CMDLINE_SIZE, 4) + 1) < 0 ||
	    put_initrd(l, get(l->img, HDR_INITRD_ADDR_MAX, 4), &initrd) < 0 ||
	    bz_zero_page(l, initrd) < 0)
		return -1;
	*bi = (struct boot_info){ .mode = BOOT_LINUX64, .entry = at + 0x200,
				  .cmdline = LX_CMDLINE, .arg = LX_ZERO_PAGE };
	return 0;
}

static int pvh_segment(struct lx *l, const Elf64_Phdr *ph)
{
	if (ph->p_offset > l->len || ph->p_filesz > l->len - ph->p_offset ||
	    ph->p_filesz > ph->p_memsz)
		return fail(l, "vmlinux segment lies outside the file");
	uint8_t *dst = ram(l, ph->p_paddr, ph->p_memsz);
	if (!dst || ph->p_paddr < LX_HIGH ||
	    ph->p_paddr + ph->p_memsz > mem_low_top(l->m))
		return fail(l, "vmlinux segment [0x%llx, +0x%llx) is not in guest "
			    "RAM between 1 MiB and the 3 GiB hole",
			    (unsigned long long)ph->p_paddr,
			    (unsigned long long)ph->p_memsz);
	memcpy(dst, l->img + ph->p_offset, ph->p_filesz);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	if (ph->p_paddr + ph->p_memsz > l->kernel_end)
		l->kernel_end = ph->p_paddr + ph->p_memsz;
	return 0;
}

static int pvh_segments(struct lx *l)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned n = 0;

	if (!elf64_ok(l->img, l->len, &eh))
		return fail(l, "vmlinux is not a 64-bit x86 ELF");
	for (unsigned i = 0; i < eh.e_phnum && phdr(l->img, &eh, i, &ph); i++) {
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (pvh_segment(l, &ph) < 0)
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
	*mod = (struct hvm_modlist_entry){ initrd, l->a->initrd_len, 0, 0 };
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
	uint64_t entry = pvh_entry(l->img, l->len), initrd;

	if (entry < LX_HIGH || entry >= mem_low_top(l->m))
		return fail(l, "vmlinux PVH entry 0x%llx is not in guest RAM above "
			    "1 MiB", (unsigned long long)entry);
	if (pvh_segments(l) < 0 || put_cmdline(l, LX_CMDLINE_MAX) < 0 ||
	    put_initrd(l, MEM_HOLE_START - 1, &initrd) < 0 ||
	    pvh_start_info(l, initrd) < 0)
		return -1;
	*bi = (struct boot_info){ .mode = BOOT_PVH32, .entry = entry,
				  .cmdline = LX_CMDLINE, .arg = LX_ZERO_PAGE };
	return 0;
}

int loader_linux_load(const struct mem *m, const void *img, size_t len,
		      const struct linux_args *a, struct boot_info *bi,
		      char *err, size_t errlen)
{
	struct lx l = { m, img, len, a, err, errlen, 0, 0 };

	if (mem_low_top(m) <= LX_CMDLINE + LX_CMDLINE_MAX || !ram(&l, 0, LX_HIGH))
		return fail(&l, "guest memory is too small for Linux");
	if (acpi_build(m, a->ncpus, &l.rsdp) < 0)
		return fail(&l, "cannot build the ACPI tables for %u vCPUs",
			    a->ncpus);
	if (boot_long_mode_tables(m) < 0)
		return fail(&l, "guest memory is too small for the boot tables");
	switch (linux_detect(img, len)) {
	case LINUX_BZIMAGE: return load_bzimage(&l, bi);
	case LINUX_PVH: return load_pvh(&l, bi);
	default: return fail(&l, "not a bzImage or a vmlinux with a PVH note");
	}
}
