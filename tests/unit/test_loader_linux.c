/*
 * tests/unit/test_loader_linux.c - the Linux loader (loader_linux.c) against
 * a bzImage and a PVH vmlinux synthesised here and read from memfds, as
 * wisp reads the kernel and initrd files: a good load of each form (the
 * kernel's bytes, the zero page or start info, command line and initrd in
 * guest RAM), linux_detect, and every malformed form refused with its line.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot/linux.h"
#include "mem.h"

#define MIB (1ull << 20)
#define RAM_SIZE (64 * MIB)
#define IMG_MAX 0x4000
#define ZERO_PAGE 0x10000ull
#define CMDLINE_GPA 0x20000ull

/* bzImage: 4 setup sectors, the kernel from 0xa00, loaded at 16 MiB. */
#define BZ_KOFF 0xa00
#define BZ_KLEN 0x1000
#define BZ_PREF 0x1000000ull

/* vmlinux: one text segment at 16 MiB, the PVH note after a GNU one. */
#define PVH_LOAD 0x1000000ull
#define PVH_ENTRY (PVH_LOAD + 0x40)
#define PVH_NOTE_OFF 0x200
#define PVH_SEG_OFF 0x1000
#define PVH_SEG_LEN 0x100
#define PVH_SEG_MEM 0x3000

struct fixture {
	struct mem m;
	uint8_t img[IMG_MAX];
	size_t len;
	int initrd_fd; /* -1: none */
	uint64_t initrd_len;
	const char *cmdline;
	struct boot_info bi;
	char err[256];
};

static void put(uint8_t *p, unsigned off, uint64_t v, unsigned n)
{
	memcpy(p + off, &v, n);
}

static uint64_t get(const uint8_t *p, unsigned off, unsigned n)
{
	uint64_t v = 0;

	memcpy(&v, p + off, n);
	return v;
}

static int memfd_of(const void *p, size_t len)
{
	int fd = memfd_create("linux", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	return fd;
}

static void make_bzimage(struct fixture *f)
{
	uint8_t *p = f->img;

	memset(p, 0, sizeof(f->img));
	put(p, 0x1f1, 4, 1);              /* setup_sects */
	put(p, 0x1fe, 0xaa55, 2);         /* boot_flag */
	put(p, 0x200, 0x66eb, 2);         /* jump: the header ends at 0x268 */
	memcpy(p + 0x202, "HdrS", 4);
	put(p, 0x206, 0x020f, 2);         /* protocol 2.15 */
	put(p, 0x211, 0x01, 1);           /* LOADED_HIGH */
	put(p, 0x22c, 0x7fffffff, 4);     /* initrd_addr_max */
	put(p, 0x230, 0x200000, 4);       /* kernel_alignment */
	put(p, 0x234, 1, 1);              /* relocatable */
	put(p, 0x236, 0x01, 2);           /* XLF_KERNEL_64 */
	put(p, 0x238, 2047, 4);           /* cmdline_size */
	put(p, 0x258, BZ_PREF, 8);        /* pref_address */
	put(p, 0x260, 0x400000, 4);       /* init_size */
	for (unsigned i = 0; i < BZ_KLEN; i++)
		p[BZ_KOFF + i] = (uint8_t)(i * 7 + 1);
	f->len = BZ_KOFF + BZ_KLEN;
}

static void note(uint8_t *p, const char *name, uint32_t type, const void *desc,
		 uint32_t dlen)
{
	uint32_t h[3] = { (uint32_t)strlen(name) + 1, dlen, type };

	memcpy(p, h, sizeof(h));
	memcpy(p + 12, name, h[0]);
	memcpy(p + 12 + ((h[0] + 3) & ~3u), desc, dlen);
}

static Elf64_Ehdr *eh(struct fixture *f)
{
	return (Elf64_Ehdr *)f->img;
}

static Elf64_Phdr *ph(struct fixture *f, unsigned i)
{
	return (Elf64_Phdr *)(f->img + sizeof(Elf64_Ehdr)) + i;
}

static void make_pvh(struct fixture *f)
{
	uint32_t entry = PVH_ENTRY, id = 0x12345678;

	memset(f->img, 0, sizeof(f->img));
	*eh(f) = (Elf64_Ehdr){ .e_type = ET_EXEC, .e_machine = EM_X86_64,
		.e_version = EV_CURRENT, .e_entry = 0xffffffff81000000ull,
		.e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2 };
	memcpy(f->img, ELFMAG, SELFMAG);
	f->img[EI_CLASS] = ELFCLASS64;
	f->img[EI_DATA] = ELFDATA2LSB;
	f->img[EI_VERSION] = EV_CURRENT;
	*ph(f, 0) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = PVH_SEG_OFF, .p_vaddr = 0xffffffff81000000ull,
		.p_paddr = PVH_LOAD, .p_filesz = PVH_SEG_LEN,
		.p_memsz = PVH_SEG_MEM, .p_align = 0x1000 };
	*ph(f, 1) = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = PVH_NOTE_OFF,
		.p_filesz = 20 + 20, .p_align = 4 };
	note(f->img + PVH_NOTE_OFF, "GNU", 3, &id, 4);
	note(f->img + PVH_NOTE_OFF + 20, "Xen", 18, &entry, 4);
	for (unsigned i = 0; i < PVH_SEG_LEN; i++)
		f->img[PVH_SEG_OFF + i] = (uint8_t)(0xa0 ^ i);
	f->len = PVH_SEG_OFF + PVH_SEG_LEN;
}

static int setup(void **state)
{
	static struct fixture f;
	static const char initrd[] = "an initrd: 0123456789abcdef";

	memset(&f, 0, sizeof(f));
	if (mem_init(&f.m, RAM_SIZE) < 0)
		return -1;
	f.initrd_fd = memfd_of(initrd, sizeof(initrd));
	f.initrd_len = sizeof(initrd);
	f.cmdline = "console=ttyS0 quiet";
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->initrd_fd);
	mem_destroy(&f->m);
	return 0;
}

static int load(struct fixture *f)
{
	struct linux_args a = { f->cmdline, f->initrd_fd, f->initrd_len, 1 };
	int fd = memfd_of(f->img, f->len);
	int rc = loader_linux_load(&f->m, fd, f->len, &a, &f->bi, f->err,
				   sizeof(f->err));

	close(fd);
	return rc;
}

static enum linux_kind detect(struct fixture *f)
{
	int fd = memfd_of(f->img, f->len);
	enum linux_kind k = linux_detect(fd, f->len);

	close(fd);
	return k;
}

static void refused(struct fixture *f, const char *msg)
{
	if (load(f) != -1)
		fail_msg("accepted; expected a refusal \"%s\"", msg);
	if (!strstr(f->err, msg))
		fail_msg("error \"%s\" does not contain \"%s\"", f->err, msg);
	assert_null(strchr(f->err, '\n'));
}

static const uint8_t *ram(struct fixture *f, uint64_t gpa, uint64_t len)
{
	const uint8_t *p = mem_gpa_ptr(&f->m, gpa, len);

	assert_non_null(p);
	return p;
}

/* The initrd's bytes at gpa, with the given address and size. */
static void check_initrd(struct fixture *f, uint64_t gpa, uint64_t size)
{
	char buf[64] = "";

	assert_int_equal(size, f->initrd_len);
	assert_true(gpa > BZ_PREF && gpa % 4096 == 0);
	assert_int_equal(pread(f->initrd_fd, buf, size, 0), (ssize_t)size);
	assert_memory_equal(ram(f, gpa, size), buf, size);
}

/* ---- good loads ---- */

static void test_bzimage(void **state)
{
	struct fixture *f = *state;

	make_bzimage(f);
	assert_int_equal(detect(f), LINUX_BZIMAGE);
	assert_int_equal(load(f), 0);
	assert_string_equal(f->err, "");
	assert_int_equal(f->bi.mode, BOOT_LINUX64);
	assert_int_equal(f->bi.entry, BZ_PREF + 0x200);
	assert_int_equal(f->bi.arg, ZERO_PAGE);
	assert_memory_equal(ram(f, BZ_PREF, BZ_KLEN), f->img + BZ_KOFF, BZ_KLEN);
	const uint8_t *bp = ram(f, ZERO_PAGE, 4096);
	assert_memory_equal(bp + 0x1f1, f->img + 0x1f1, 0x210 - 0x1f1);
	assert_int_equal(get(bp, 0x210, 1), 0xff);        /* type_of_loader */
	assert_int_equal(get(bp, 0x228, 4), CMDLINE_GPA);
	assert_string_equal((const char *)ram(f, CMDLINE_GPA, 64), f->cmdline);
	assert_true(get(bp, 0x1e8, 1) >= 4);               /* e820 entries */
	check_initrd(f, get(bp, 0x218, 4), get(bp, 0x21c, 4));
}

static void test_pvh(void **state)
{
	struct fixture *f = *state;

	make_pvh(f);
	memset((void *)ram(f, PVH_LOAD, PVH_SEG_MEM), 0xee, PVH_SEG_MEM);
	assert_int_equal(detect(f), LINUX_PVH);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bi.mode, BOOT_PVH32);
	assert_int_equal(f->bi.entry, PVH_ENTRY);
	assert_memory_equal(ram(f, PVH_LOAD, PVH_SEG_LEN), f->img + PVH_SEG_OFF,
			    PVH_SEG_LEN);
	const uint8_t *bss = ram(f, PVH_LOAD + PVH_SEG_LEN, PVH_SEG_MEM - PVH_SEG_LEN);
	for (unsigned i = 0; i < PVH_SEG_MEM - PVH_SEG_LEN; i++)
		assert_int_equal(bss[i], 0);
	const uint8_t *si = ram(f, ZERO_PAGE, 56);
	assert_int_equal(get(si, 0, 4), 0x336ec578u);      /* magic */
	assert_int_equal(get(si, 12, 4), 1);               /* nr_modules */
	assert_int_equal(get(si, 24, 8), CMDLINE_GPA);
	assert_string_equal((const char *)ram(f, CMDLINE_GPA, 64), f->cmdline);
	const uint8_t *mod = ram(f, get(si, 16, 8), 32);
	check_initrd(f, get(mod, 0, 8), get(mod, 8, 8));
}

static void test_pvh_entry_8_bytes_no_initrd(void **state)
{
	struct fixture *f = *state;
	uint64_t entry = PVH_ENTRY + 0x10;

	make_pvh(f);
	ph(f, 1)->p_filesz = 20 + 24;
	note(f->img + PVH_NOTE_OFF + 20, "Xen", 18, &entry, 8);
	f->initrd_fd = -1;
	f->initrd_len = 0;
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bi.entry, PVH_ENTRY + 0x10);
	assert_int_equal(get(ram(f, ZERO_PAGE, 56), 12, 4), 0); /* no module */
}

static void test_detect_neither(void **state)
{
	struct fixture *f = *state;

	make_pvh(f);
	ph(f, 1)->p_type = PT_NULL;
	assert_int_equal(detect(f), LINUX_NONE);
	make_pvh(f);
	f->img[EI_DATA] = ELFDATA2MSB;
	assert_int_equal(detect(f), LINUX_NONE);
	memset(f->img, 'x', f->len);
	assert_int_equal(detect(f), LINUX_NONE);
	refused(f, "not a bzImage or a vmlinux with a PVH note");
	f->len = 3;
	assert_int_equal(detect(f), LINUX_NONE);
	refused(f, "not a bzImage or a vmlinux with a PVH note");
}

/* ---- malformed bzImages ---- */

static void bz_with(struct fixture *f, unsigned off, uint64_t v, unsigned n,
		    const char *msg)
{
	make_bzimage(f);
	put(f->img, off, v, n);
	refused(f, msg);
}

static void test_bzimage_header(void **state)
{
	struct fixture *f = *state;

	bz_with(f, 0x206, 0x020b, 2, "boot protocol 2.11: wisp needs 2.12");
	bz_with(f, 0x236, 0, 2, "no 64-bit entry (XLF_KERNEL_64)");
	bz_with(f, 0x211, 0, 1, "not loaded high");
	bz_with(f, 0x234, 0, 1, "not relocatable");
	bz_with(f, 0x230, 0x3000, 4, "kernel_alignment 0x3000 is not a power");
	bz_with(f, 0x230, 0x800, 4, "kernel_alignment 0x800 is not a power");
}

static void test_bzimage_layout(void **state)
{
	struct fixture *f = *state;

	bz_with(f, 0x1f1, 12, 1, "bzImage ends inside its setup code");
	bz_with(f, 0x260, 0x800, 4, "bzImage kernel (4096 bytes) is larger than "
		"its init_size");
	bz_with(f, 0x260, 0x10000000, 4, "kernel needs 256 MiB from 0x200000");
	bz_with(f, 0x238, 4, 4, "command line of 19 bytes: this kernel takes at "
		"most 4");
	bz_with(f, 0x22c, 0x1000000, 4, "initrd of 28 bytes does not fit");
	make_bzimage(f);
	f->len = 0x268;
	assert_int_equal(detect(f), LINUX_NONE);
}

/* ---- malformed vmlinux files: elf.c's checks, then Linux's own ---- */

static void test_pvh_elf_header(void **state)
{
	struct fixture *f = *state;

	make_pvh(f); f->img[EI_DATA] = ELFDATA2MSB;
	refused(f, "ELF file is not little-endian");
	make_pvh(f); f->img[EI_VERSION] = 2;
	refused(f, "ELF version 2 is not supported");
	make_pvh(f); eh(f)->e_version = 0;
	refused(f, "ELF version 0 is not supported");
	make_pvh(f); eh(f)->e_type = ET_DYN;
	refused(f, "ELF type 3 is not ET_EXEC");
	make_pvh(f); eh(f)->e_machine = EM_AARCH64;
	refused(f, "ELF64 file is for machine 183, not x86-64");
	make_pvh(f); f->img[EI_CLASS] = ELFCLASS32;
	refused(f, "an ELF32 file: this loader takes only ELF64");
	make_pvh(f); eh(f)->e_phentsize = 32;
	refused(f, "ELF program header size 32 is wrong");
	make_pvh(f); eh(f)->e_phoff = f->len - 8;
	refused(f, "ELF program header table lies outside the file");
	make_pvh(f); f->len = 40;
	refused(f, "ELF64 header is truncated (file is 40 bytes)");
}

static void test_pvh_notes(void **state)
{
	struct fixture *f = *state;
	uint16_t two = 1;

	make_pvh(f); ph(f, 1)->p_type = PT_NULL;
	refused(f, "vmlinux has no PVH entry note");
	make_pvh(f); note(f->img + PVH_NOTE_OFF + 20, "Xen", 18, &two, 2);
	refused(f, "vmlinux PVH entry note of 2 bytes");
	make_pvh(f); ph(f, 1)->p_filesz = 20 + 16;
	refused(f, "ELF note at offset 0x214 runs past its PT_NOTE segment");
	make_pvh(f); ph(f, 1)->p_offset = f->len - 8;
	refused(f, "PT_NOTE lies outside the file");
	make_pvh(f); *(uint32_t *)(f->img + PVH_NOTE_OFF + 20 + 16) = 0x1000;
	refused(f, "vmlinux PVH entry 0x1000 is not in guest RAM above 1 MiB");
}

static void test_pvh_segments(void **state)
{
	struct fixture *f = *state;

	make_pvh(f); ph(f, 0)->p_offset = f->len - 8;
	refused(f, "vmlinux segment lies outside the file");
	make_pvh(f); ph(f, 0)->p_filesz = PVH_SEG_MEM + 1;
	refused(f, "vmlinux segment lies outside the file");
	make_pvh(f); ph(f, 0)->p_paddr = 0x80000;
	refused(f, "vmlinux segment [0x80000, +0x3000) is not in guest RAM");
	make_pvh(f); ph(f, 0)->p_paddr = RAM_SIZE - 0x1000;
	refused(f, "is not in guest RAM between 1 MiB and the 3 GiB hole");
	make_pvh(f); ph(f, 0)->p_paddr = ~0ull - 0x1000;
	refused(f, "is not in guest RAM");
	make_pvh(f); ph(f, 0)->p_type = PT_NULL;
	refused(f, "vmlinux has no loadable segment");
}

static void test_initrd_and_memory(void **state)
{
	struct fixture *f = *state;
	struct boot_info bi;
	struct mem small;
	char err[256];

	make_pvh(f); f->initrd_len = RAM_SIZE;
	refused(f, "initrd of 67108864 bytes does not fit");
	make_pvh(f); f->initrd_len = 4096; /* longer than the file */
	refused(f, "cannot read the initrd");
	assert_int_equal(mem_init(&small, 256 * 1024), 0);
	struct linux_args a = { "", -1, 0, 1 };
	assert_int_equal(loader_linux_load(&small, -1, 0, &a, &bi, err,
					   sizeof(err)), -1);
	assert_string_equal(err, "guest memory is too small for Linux");
	mem_destroy(&small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_bzimage),
		T(test_pvh),
		T(test_pvh_entry_8_bytes_no_initrd),
		T(test_detect_neither),
		T(test_bzimage_header),
		T(test_bzimage_layout),
		T(test_pvh_elf_header),
		T(test_pvh_notes),
		T(test_pvh_segments),
		T(test_initrd_and_memory),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
