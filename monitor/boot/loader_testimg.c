/*
 * monitor/boot/loader_testimg.c - the project's own test images (see loader.h).
 *
 * The image is untrusted input: every header field is checked before it is
 * used, file ranges go through img_span() and guest ranges through
 * check_seg_place() + mem_gpa_ptr(), both overflow-checked. The whole image is
 * validated before the first byte is copied into guest RAM.
 */
#include "boot/loader.h"

#include <elf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>


/* 64-bit flat code and data descriptors: the selectors cpu_x86.c loads. */
#define GDT_CODE64 0x00af9a000000ffffull
#define GDT_DATA 0x00cf92000000ffffull

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull
#define PDPT_GPA (TESTIMG_BOOT_PML4 + 0x1000)
#define PD_GPA (TESTIMG_BOOT_PML4 + 0x2000)
#define PD_COUNT 4 /* 4 x 1 GiB: the first 4 GiB, MMIO hole included */

#define REAL_MODE_TOP 0xA0000ull /* VGA window and BIOS area above */

/* An ELF32 or ELF64 program header, widened. */
struct seg {
	uint32_t type;
	uint64_t off, gpa, filesz, memsz;
};

struct img {
	const uint8_t *p;
	size_t len;
	bool is64;
	uint64_t entry, phoff;
	unsigned phnum;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int fail(const struct img *im, const char *fmt, ...)
{
	va_list ap;

	if (im->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(im->err, im->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The one file-range check: [off, off+size) inside the image, or NULL. */
static const uint8_t *img_span(const struct img *im, uint64_t off,
			       uint64_t size)
{
	uint64_t end;

	if (__builtin_add_overflow(off, size, &end) || end > im->len)
		return NULL;
	return im->p + off;
}

/* Human-readable memory size for messages ("64 MiB", "1536 KiB"). */
static void fmt_size(uint64_t n, char *buf, size_t len)
{
	if (n && n % (1ull << 30) == 0)
		snprintf(buf, len, "%" PRIu64 " GiB", n >> 30);
	else if (n && n % (1ull << 20) == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", n >> 20);
	else if (n && n % 1024 == 0)
		snprintf(buf, len, "%" PRIu64 " KiB", n >> 10);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", n);
}

static int check_ident(struct img *im)
{
	if (im->len < EI_NIDENT || memcmp(im->p, ELFMAG, SELFMAG) != 0)
		return fail(im, "not an ELF file");
	if (im->p[EI_CLASS] != ELFCLASS64 && im->p[EI_CLASS] != ELFCLASS32)
		return fail(im, "ELF class %u is neither ELF32 nor ELF64",
			    im->p[EI_CLASS]);
	if (im->p[EI_DATA] != ELFDATA2LSB)
		return fail(im, "ELF file is not little-endian");
	if (im->p[EI_VERSION] != EV_CURRENT)
		return fail(im, "ELF version %u is not supported",
			    im->p[EI_VERSION]);
	im->is64 = im->p[EI_CLASS] == ELFCLASS64;
	return 0;
}

/* Checks shared by both classes, once the class-specific fields are read. */
static int check_ehdr_common(struct img *im, unsigned type, unsigned phentsize,
			     size_t want_phentsize)
{
	if (type != ET_EXEC)
		return fail(im, "ELF type %u is not ET_EXEC "
			    "(link a static, non-PIE executable)", type);
	if (im->phnum == 0)
		return fail(im, "ELF file has no program headers");
	if (phentsize != want_phentsize)
		return fail(im, "ELF program header size %u is wrong "
			    "(expected %zu)", phentsize, want_phentsize);
	/* phnum <= 0xffff and phentsize is fixed: no overflow in the product */
	if (!img_span(im, im->phoff, (uint64_t)im->phnum * phentsize))
		return fail(im, "ELF program header table lies outside the file");
	return 0;
}

static int check_ehdr64(struct img *im)
{
	Elf64_Ehdr eh;
	const uint8_t *p = img_span(im, 0, sizeof(eh));

	if (!p)
		return fail(im, "ELF64 header is truncated (file is %zu bytes)",
			    im->len);
	memcpy(&eh, p, sizeof(eh));
	if (eh.e_machine != EM_X86_64)
		return fail(im, "ELF64 file is for machine %u, not x86-64",
			    eh.e_machine);
	im->entry = eh.e_entry;
	im->phoff = eh.e_phoff;
	im->phnum = eh.e_phnum;
	return check_ehdr_common(im, eh.e_type, eh.e_phentsize,
				 sizeof(Elf64_Phdr));
}

static int check_ehdr32(struct img *im)
{
	Elf32_Ehdr eh;
	const uint8_t *p = img_span(im, 0, sizeof(eh));

	if (!p)
		return fail(im, "ELF32 header is truncated (file is %zu bytes)",
			    im->len);
	memcpy(&eh, p, sizeof(eh));
	if (eh.e_machine != EM_386)
		return fail(im, "ELF32 file is for machine %u, not i386",
			    eh.e_machine);
	im->entry = eh.e_entry;
	im->phoff = eh.e_phoff;
	im->phnum = eh.e_phnum;
	return check_ehdr_common(im, eh.e_type, eh.e_phentsize,
				 sizeof(Elf32_Phdr));
}

/* Program header i, widened. The table was span-checked as a whole. */
static void read_seg(const struct img *im, unsigned i, struct seg *s)
{
	if (im->is64) {
		Elf64_Phdr ph;
		memcpy(&ph, im->p + im->phoff + (uint64_t)i * sizeof(ph),
		       sizeof(ph));
		*s = (struct seg){ ph.p_type, ph.p_offset, ph.p_paddr,
				   ph.p_filesz, ph.p_memsz };
	} else {
		Elf32_Phdr ph;
		memcpy(&ph, im->p + im->phoff + (uint64_t)i * sizeof(ph),
		       sizeof(ph));
		*s = (struct seg){ ph.p_type, ph.p_offset, ph.p_paddr,
				   ph.p_filesz, ph.p_memsz };
	}
}

/* Where segments may go in this mode: [lo, hi) of guest-physical memory. */
struct window {
	uint64_t lo, hi, ram; /* ram: low RAM size, for messages */
};

static int too_small(const struct img *im, uint64_t ram, uint64_t need)
{
	char have[32], want[32];

	fmt_size(ram, have, sizeof(have));
	fmt_size(need, want, sizeof(want));
	return fail(im, "%s of guest memory is too small for the boot area "
		    "and vCPU stacks (need more than %s)", have, want);
}

static int mem_window(const struct img *im, const struct mem *m,
		      struct window *w)
{
	w->ram = mem_low_top(m);
	if (im->is64) {
		/* segments live between the boot area and the stacks */
		uint64_t need = TESTIMG_MIN_LOAD + TESTIMG_STACK_AREA;
		if (w->ram <= need)
			return too_small(im, w->ram, need);
		w->lo = TESTIMG_MIN_LOAD;
		w->hi = w->ram - TESTIMG_STACK_AREA;
	} else {
		uint64_t need = TESTIMG_MIN_LOAD_REAL;
		if (w->ram <= need)
			return too_small(im, w->ram, need);
		w->lo = TESTIMG_MIN_LOAD_REAL;
		w->hi = w->ram < REAL_MODE_TOP ? w->ram : REAL_MODE_TOP;
	}
	return 0;
}

/* In RAM but past the mode's window: the stacks, or real mode's 640 KiB. */
static int past_window(const struct img *im, const struct window *w,
		       const struct seg *s, const char *ram)
{
	if (im->is64)
		return fail(im, "segment at 0x%" PRIx64 " (0x%" PRIx64 " bytes)"
			    " reaches into the vCPU stacks above 0x%" PRIx64
			    " in %s of guest memory", s->gpa, s->memsz, w->hi,
			    ram);
	return fail(im, "segment at 0x%" PRIx64 " (0x%" PRIx64 " bytes)"
		    " extends past 0x%" PRIx64 ", the real-mode limit",
		    s->gpa, s->memsz, w->hi);
}

static int check_seg_place(const struct img *im, const struct mem *m,
			   const struct window *w, unsigned i,
			   const struct seg *s)
{
	uint64_t end;
	char ram[32];

	if (__builtin_add_overflow(s->gpa, s->memsz, &end))
		return fail(im, "ELF segment %u: address 0x%" PRIx64
			    " + size 0x%" PRIx64 " overflows", i, s->gpa,
			    s->memsz);
	if (s->gpa < w->lo)
		return fail(im, "ELF segment %u at 0x%" PRIx64 " overlaps the "
			    "boot area (segments start at or above 0x%" PRIx64
			    ")", i, s->gpa, w->lo);
	fmt_size(w->ram, ram, sizeof(ram));
	if (end > w->ram || !mem_gpa_ptr(m, s->gpa, s->memsz))
		return fail(im, "segment at 0x%" PRIx64 " (0x%" PRIx64
			    " bytes) does not fit in %s%s of guest memory%s",
			    s->gpa, s->memsz, w->ram < m->size ? "the " : "",
			    ram, w->ram < m->size ? " below the MMIO hole" : "");
	if (end > w->hi)
		return past_window(im, w, s, ram);
	return 0;
}

static int check_seg(const struct img *im, const struct mem *m,
		     const struct window *w, unsigned i, const struct seg *s)
{
	if (s->filesz > s->memsz)
		return fail(im, "ELF segment %u: file size 0x%" PRIx64
			    " is larger than its memory size 0x%" PRIx64, i,
			    s->filesz, s->memsz);
	if (!img_span(im, s->off, s->filesz))
		return fail(im, "ELF segment %u extends past the end of the "
			    "file", i);
	return check_seg_place(im, m, w, i, s);
}

static bool loads(const struct seg *s)
{
	return s->type == PT_LOAD && s->memsz != 0;
}

/* Every PT_LOAD checked, at least one present, and the entry point inside
 * the file-backed part of one of them (bss holds no code). */
static int check_segments(const struct img *im, const struct mem *m,
			  const struct window *w)
{
	unsigned nload = 0;
	bool entry_ok = false;
	struct seg s;

	for (unsigned i = 0; i < im->phnum; i++) {
		read_seg(im, i, &s);
		if (!loads(&s))
			continue;
		if (check_seg(im, m, w, i, &s) < 0)
			return -1;
		nload++;
		if (im->entry >= s.gpa && im->entry - s.gpa < s.filesz)
			entry_ok = true;
	}
	if (nload == 0)
		return fail(im, "ELF file has no loadable (PT_LOAD) segment");
	if (!entry_ok)
		return fail(im, "entry point 0x%" PRIx64 " is not inside a "
			    "loaded segment", im->entry);
	return 0;
}

static int check_cmdline(const struct img *im, const char *cmdline)
{
	size_t n;

	if (!cmdline)
		return 0;
	n = strlen(cmdline);
	if (n >= TESTIMG_CMDLINE_MAX)
		return fail(im, "command line is %zu bytes, longer than the "
			    "%d-byte limit", n, TESTIMG_CMDLINE_MAX - 1);
	return 0;
}

/* Only called after check_segments: every span below was checked. */
static int load_segments(const struct img *im, const struct mem *m)
{
	struct seg s;

	for (unsigned i = 0; i < im->phnum; i++) {
		read_seg(im, i, &s);
		if (!loads(&s))
			continue;
		uint8_t *dst = mem_gpa_ptr(m, s.gpa, s.memsz);
		const uint8_t *src = img_span(im, s.off, s.filesz);
		if (!dst || !src)
			return fail(im, "internal: segment %u lost its range", i);
		memcpy(dst, src, s.filesz);
		memset(dst + s.filesz, 0, s.memsz - s.filesz);
	}
	return 0;
}

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

/* Returns the command line's guest address, 0 for none, or -1. */
static int write_cmdline(const struct img *im, const struct mem *m,
			 const char *cmdline, uint64_t *gpa)
{
	*gpa = 0;
	if (!cmdline)
		return 0;
	uint8_t *p = mem_gpa_ptr(m, TESTIMG_CMDLINE, TESTIMG_CMDLINE_MAX);
	if (!p)
		return fail(im, "internal: command line area is not in RAM");
	memset(p, 0, TESTIMG_CMDLINE_MAX);
	memcpy(p, cmdline, strlen(cmdline));
	*gpa = TESTIMG_CMDLINE;
	return 0;
}

static int check_image(struct img *im, const struct mem *m,
		       const char *cmdline)
{
	struct window w = { 0 };

	if (check_ident(im) < 0)
		return -1;
	if ((im->is64 ? check_ehdr64(im) : check_ehdr32(im)) < 0)
		return -1;
	if (check_cmdline(im, cmdline) < 0 || mem_window(im, m, &w) < 0)
		return -1;
	return check_segments(im, m, &w);
}

int loader_testimg_load(const struct mem *m, const void *img, size_t len,
			const char *cmdline, struct boot_info *bi, char *err,
			size_t errlen)
{
	struct img im = { .p = img, .len = img ? len : 0, .err = err,
			  .errlen = errlen };
	uint64_t cmd_gpa;

	if (errlen)
		err[0] = '\0';
	/* nothing touches guest RAM until the whole image has been checked */
	if (check_image(&im, m, cmdline) < 0 || load_segments(&im, m) < 0)
		return -1;
	if (im.is64 && boot_long_mode_tables(m) < 0)
		return fail(&im, "internal: boot area is not in guest RAM");
	if (write_cmdline(&im, m, cmdline, &cmd_gpa) < 0)
		return -1;
	bi->mode = im.is64 ? BOOT_LONG64 : BOOT_REAL16;
	bi->entry = im.entry;
	bi->cmdline = cmd_gpa;
	return 0;
}
