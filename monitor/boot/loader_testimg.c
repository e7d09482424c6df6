/*
 * monitor/boot/loader_testimg.c - the project's own test images (see loader.h).
 *
 * The image is untrusted input, read through elf.c (which checks the
 * headers): file ranges go through elf_span() and guest ranges through
 * check_seg_place() + mem_gpa_ptr(), both overflow-checked. The whole image is
 * validated before the first byte is copied into guest RAM.
 */
#include "boot/loader.h"
#include "boot/elf.h"

#include <elf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>


#define REAL_MODE_TOP 0xA0000ull /* VGA window and BIOS area above */

/* The image (read through elf.c) and this loader's error line. */
struct img {
	struct elf e;
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
	if (im->e.is64) {
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
		       const struct elf_phdr *s, const char *ram)
{
	if (im->e.is64)
		return fail(im, "segment at 0x%" PRIx64 " (0x%" PRIx64 " bytes)"
			    " reaches into the vCPU stacks above 0x%" PRIx64
			    " in %s of guest memory", s->paddr, s->memsz, w->hi,
			    ram);
	return fail(im, "segment at 0x%" PRIx64 " (0x%" PRIx64 " bytes)"
		    " extends past 0x%" PRIx64 ", the real-mode limit",
		    s->paddr, s->memsz, w->hi);
}

static int check_seg_place(const struct img *im, const struct mem *m,
			   const struct window *w, unsigned i,
			   const struct elf_phdr *s)
{
	uint64_t end;
	char ram[32];

	if (__builtin_add_overflow(s->paddr, s->memsz, &end))
		return fail(im, "ELF segment %u: address 0x%" PRIx64
			    " + size 0x%" PRIx64 " overflows", i, s->paddr,
			    s->memsz);
	if (s->paddr < w->lo)
		return fail(im, "ELF segment %u at 0x%" PRIx64 " overlaps the "
			    "boot area (segments start at or above 0x%" PRIx64
			    ")", i, s->paddr, w->lo);
	fmt_size(w->ram, ram, sizeof(ram));
	if (end > w->ram || !mem_gpa_ptr(m, s->paddr, s->memsz))
		return fail(im, "segment at 0x%" PRIx64 " (0x%" PRIx64
			    " bytes) does not fit in %s%s of guest memory%s",
			    s->paddr, s->memsz, w->ram < m->size ? "the " : "",
			    ram, w->ram < m->size ? " below the MMIO hole" : "");
	if (end > w->hi)
		return past_window(im, w, s, ram);
	return 0;
}

static int check_seg(const struct img *im, const struct mem *m,
		     const struct window *w, unsigned i, const struct elf_phdr *s)
{
	if (s->filesz > s->memsz)
		return fail(im, "ELF segment %u: file size 0x%" PRIx64
			    " is larger than its memory size 0x%" PRIx64, i,
			    s->filesz, s->memsz);
	if (!elf_span(&im->e, s->offset, s->filesz))
		return fail(im, "ELF segment %u extends past the end of the "
			    "file", i);
	return check_seg_place(im, m, w, i, s);
}

static bool loads(const struct elf_phdr *s)
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
	struct elf_phdr s;

	for (unsigned i = 0; i < im->e.phnum; i++) {
		if (elf_phdr(&im->e, i, &s) < 0)
			return -1;
		if (!loads(&s))
			continue;
		if (check_seg(im, m, w, i, &s) < 0)
			return -1;
		nload++;
		if (im->e.entry >= s.paddr && im->e.entry - s.paddr < s.filesz)
			entry_ok = true;
	}
	if (nload == 0)
		return fail(im, "ELF file has no loadable (PT_LOAD) segment");
	if (!entry_ok)
		return fail(im, "entry point 0x%" PRIx64 " is not inside a "
			    "loaded segment", im->e.entry);
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
	struct elf_phdr s;

	for (unsigned i = 0; i < im->e.phnum; i++) {
		if (elf_phdr(&im->e, i, &s) < 0)
			return -1;
		if (!loads(&s))
			continue;
		uint8_t *dst = mem_gpa_ptr(m, s.paddr, s.memsz);
		if (!dst)
			return fail(im, "internal: segment %u lost its range", i);
		if (elf_load(&im->e, &s, dst) < 0)
			return -1;
	}
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

	if (check_cmdline(im, cmdline) < 0 || mem_window(im, m, &w) < 0)
		return -1;
	return check_segments(im, m, &w);
}

int loader_testimg_load(const struct mem *m, int fd, uint64_t size,
			const char *cmdline, struct boot_info *bi, char *err,
			size_t errlen)
{
	struct img im = { .err = err, .errlen = errlen };
	uint64_t cmd_gpa;

	if (elf_open(&im.e, fd, size, ELF_WANT32 | ELF_WANT64, err, errlen) < 0)
		return -1;
	/* nothing touches guest RAM until the whole image has been checked */
	if (check_image(&im, m, cmdline) < 0 || load_segments(&im, m) < 0)
		return -1;
	if (im.e.is64 && boot_long_mode_tables(m) < 0)
		return fail(&im, "internal: boot area is not in guest RAM");
	if (write_cmdline(&im, m, cmdline, &cmd_gpa) < 0)
		return -1;
	bi->mode = im.e.is64 ? BOOT_LONG64 : BOOT_REAL16;
	bi->entry = im.e.entry;
	bi->cmdline = cmd_gpa;
	return 0;
}
