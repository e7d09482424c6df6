/*
 * tests/unit/test_loader.c - loader_testimg against ELF images built in
 * memory and read from a memfd: a good ELF64 and ELF32 load, and every rejection, each checked
 * for its one-line message and for leaving guest RAM untouched.
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

#include "boot/loader.h"
#include "mem.h"

#define MIB (1ull << 20)
#define RAM_SIZE (64 * MIB)
#define IMG_SIZE 0x3000

#define CODE_GPA64 0x100000ull
#define DATA_GPA64 0x200000ull
#define CODE_GPA32 0x10000ull
#define DATA_GPA32 0x20000ull
#define CODE_OFF 0x1000
#define CODE_LEN 0x800
#define DATA_OFF 0x1800
#define DATA_LEN 0x100
#define BSS_LEN 0x2000

struct image {
	_Alignas(8) uint8_t b[IMG_SIZE];
	size_t len;
};

struct fixture {
	struct mem m;
	struct image im;
	struct boot_info bi;
	char err[256];
};

static Elf64_Ehdr *eh64(struct image *im)
{
	return (Elf64_Ehdr *)im->b;
}

static Elf64_Phdr *ph64(struct image *im, unsigned i)
{
	return (Elf64_Phdr *)(im->b + sizeof(Elf64_Ehdr)) + i;
}

static Elf32_Ehdr *eh32(struct image *im)
{
	return (Elf32_Ehdr *)im->b;
}

static Elf32_Phdr *ph32(struct image *im, unsigned i)
{
	return (Elf32_Phdr *)(im->b + sizeof(Elf32_Ehdr)) + i;
}

static void fill_payload(struct image *im)
{
	for (unsigned i = 0; i < CODE_LEN; i++)
		im->b[CODE_OFF + i] = (uint8_t)(i ^ 0x5a);
	for (unsigned i = 0; i < DATA_LEN; i++)
		im->b[DATA_OFF + i] = (uint8_t)(0xd0 + i);
	im->len = IMG_SIZE;
}

static void set_ident(struct image *im, unsigned char cls)
{
	memcpy(im->b, ELFMAG, SELFMAG);
	im->b[EI_CLASS] = cls;
	im->b[EI_DATA] = ELFDATA2LSB;
	im->b[EI_VERSION] = EV_CURRENT;
}

/* Code, data+bss, and a PT_GNU_STACK the loader must ignore. */
static void make64(struct image *im)
{
	memset(im, 0, sizeof(*im));
	*eh64(im) = (Elf64_Ehdr){
		.e_type = ET_EXEC, .e_machine = EM_X86_64,
		.e_version = EV_CURRENT, .e_entry = CODE_GPA64 + 0x10,
		.e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 3,
	};
	set_ident(im, ELFCLASS64);
	*ph64(im, 0) = (Elf64_Phdr){ PT_LOAD, PF_R | PF_X, CODE_OFF,
				     CODE_GPA64, CODE_GPA64, CODE_LEN,
				     CODE_LEN, 0x1000 };
	*ph64(im, 1) = (Elf64_Phdr){ PT_LOAD, PF_R | PF_W, DATA_OFF,
				     DATA_GPA64, DATA_GPA64, DATA_LEN,
				     DATA_LEN + BSS_LEN, 0x1000 };
	*ph64(im, 2) = (Elf64_Phdr){ .p_type = PT_GNU_STACK };
	fill_payload(im);
}

static void make32(struct image *im)
{
	memset(im, 0, sizeof(*im));
	*eh32(im) = (Elf32_Ehdr){
		.e_type = ET_EXEC, .e_machine = EM_386,
		.e_version = EV_CURRENT, .e_entry = CODE_GPA32,
		.e_phoff = sizeof(Elf32_Ehdr), .e_ehsize = sizeof(Elf32_Ehdr),
		.e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 2,
	};
	set_ident(im, ELFCLASS32);
	*ph32(im, 0) = (Elf32_Phdr){ PT_LOAD, CODE_OFF, CODE_GPA32,
				     CODE_GPA32, CODE_LEN, CODE_LEN,
				     PF_R | PF_X, 0x1000 };
	*ph32(im, 1) = (Elf32_Phdr){ PT_LOAD, DATA_OFF, DATA_GPA32,
				     DATA_GPA32, DATA_LEN, DATA_LEN + BSS_LEN,
				     PF_R | PF_W, 0x1000 };
	fill_payload(im);
}

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	if (mem_init(&f.m, RAM_SIZE) < 0)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mem_destroy(&f->m);
	return 0;
}

/* The image as the loader reads it: a file (a memfd holding it). */
static int image_fd(const struct image *im)
{
	int fd = memfd_create("testimg", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, im->b, im->len), (ssize_t)im->len);
	return fd;
}

static int load_err(struct fixture *f, const char *cmdline, char *err,
		    size_t errlen)
{
	int fd = image_fd(&f->im);
	int rc = loader_testimg_load(&f->m, fd, f->im.len, cmdline, &f->bi,
				     err, errlen);

	close(fd);
	return rc;
}

static int load(struct fixture *f, const char *cmdline)
{
	return load_err(f, cmdline, f->err, sizeof(f->err));
}

static uint64_t guest64(struct fixture *f, uint64_t gpa)
{
	uint64_t v;

	assert_int_equal(mem_read(&f->m, gpa, &v, sizeof(v)), 0);
	return v;
}

static bool ram_is_zero(struct fixture *f, uint64_t gpa, size_t len)
{
	const uint8_t *p = mem_gpa_ptr(&f->m, gpa, len);

	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* ram_is_zero for a span that may lie partly outside (small) RAM. */
static bool untouched(struct fixture *f, uint64_t gpa, size_t len)
{
	uint64_t top = mem_low_top(&f->m);

	if (gpa >= top)
		return true;
	return ram_is_zero(f, gpa, gpa + len > top ? top - gpa : len);
}

/* A rejection: -1, one line naming the problem, and no guest RAM written
 * (the boot area and both segments' addresses stay zero). */
static void expect_reject(struct fixture *f, const char *cmdline,
			  const char *msg)
{
	assert_int_equal(load(f, cmdline), -1);
	if (!strstr(f->err, msg))
		fail_msg("error \"%s\" does not contain \"%s\"", f->err, msg);
	assert_null(strchr(f->err, '\n'));
	assert_true(untouched(f, 0, 0x10000));
	assert_true(untouched(f, CODE_GPA32, 0x1000));
	assert_true(untouched(f, CODE_GPA64, CODE_LEN));
	assert_true(untouched(f, DATA_GPA64, 0x1000));
}

/* ---- good loads ---- */

static void check_segments_loaded(struct fixture *f, uint64_t code,
				  uint64_t data)
{
	const uint8_t *p = mem_gpa_ptr(&f->m, code, CODE_LEN);

	assert_memory_equal(p, f->im.b + CODE_OFF, CODE_LEN);
	p = mem_gpa_ptr(&f->m, data, DATA_LEN);
	assert_memory_equal(p, f->im.b + DATA_OFF, DATA_LEN);
	assert_true(ram_is_zero(f, data + DATA_LEN, BSS_LEN));
}

/* bss must be zeroed by the loader, not inherited from whatever RAM held */
static void dirty_bss(struct fixture *f, uint64_t data)
{
	memset(mem_gpa_ptr(&f->m, data + DATA_LEN, BSS_LEN), 0xcc, BSS_LEN);
}

static void test_good64(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	dirty_bss(f, DATA_GPA64);
	assert_int_equal(load(f, "console=ttyS0 x=1"), 0);
	assert_string_equal(f->err, "");
	assert_int_equal(f->bi.mode, BOOT_LONG64);
	assert_int_equal(f->bi.entry, CODE_GPA64 + 0x10);
	assert_int_equal(f->bi.cmdline, TESTIMG_CMDLINE);
	check_segments_loaded(f, CODE_GPA64, DATA_GPA64);
	assert_string_equal(mem_gpa_ptr(&f->m, TESTIMG_CMDLINE, 1),
			    "console=ttyS0 x=1");
}

static void test_good64_gdt(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	assert_int_equal(load(f, NULL), 0);
	assert_int_equal(guest64(f, TESTIMG_BOOT_GDT), 0);
	/* code: present, DPL 0, execute/read, L=1, D=0 */
	assert_int_equal(guest64(f, TESTIMG_BOOT_GDT + 8),
			 0x00af9a000000ffffull);
	/* data: present, DPL 0, read/write, 4 GiB */
	assert_int_equal(guest64(f, TESTIMG_BOOT_GDT + 16),
			 0x00cf92000000ffffull);
}

static void test_good64_page_tables(void **state)
{
	struct fixture *f = *state;
	const uint64_t pml4 = TESTIMG_BOOT_PML4, pdpt = pml4 + 0x1000;
	const uint64_t pd = pml4 + 0x2000;

	make64(&f->im);
	assert_int_equal(load(f, NULL), 0);
	assert_int_equal(guest64(f, pml4) & ~0xfffull, pdpt);
	assert_int_equal(guest64(f, pml4) & 3, 3);
	assert_int_equal(guest64(f, pml4 + 8), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(guest64(f, pdpt + 8 * i),
				 (pd + 0x1000 * i) | 3);
	assert_int_equal(guest64(f, pdpt + 8 * 4), 0);
	/* 2 MiB pages: present, writable, PS; identity */
	assert_int_equal(guest64(f, pd), 0x83);
	assert_int_equal(guest64(f, pd + 8), (2 * MIB) | 0x83);
	assert_int_equal(guest64(f, pd + 4 * 0x1000 - 8),
			 0xffe00000ull | 0x83);
}

static void test_good64_no_cmdline(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	assert_int_equal(load(f, NULL), 0);
	assert_int_equal(f->bi.cmdline, 0);
	assert_true(ram_is_zero(f, TESTIMG_CMDLINE, TESTIMG_CMDLINE_MAX));
}

static void test_good32(void **state)
{
	struct fixture *f = *state;

	make32(&f->im);
	dirty_bss(f, DATA_GPA32);
	assert_int_equal(load(f, "real"), 0);
	assert_int_equal(f->bi.mode, BOOT_REAL16);
	assert_int_equal(f->bi.entry, CODE_GPA32);
	assert_int_equal(f->bi.cmdline, TESTIMG_CMDLINE);
	check_segments_loaded(f, CODE_GPA32, DATA_GPA32);
	assert_string_equal(mem_gpa_ptr(&f->m, TESTIMG_CMDLINE, 1), "real");
}

static void test_cmdline_limit(void **state)
{
	struct fixture *f = *state;
	static char line[TESTIMG_CMDLINE_MAX + 1];

	make64(&f->im);
	memset(line, 'a', TESTIMG_CMDLINE_MAX - 1);
	assert_int_equal(load(f, line), 0);
	assert_int_equal(strlen(mem_gpa_ptr(&f->m, TESTIMG_CMDLINE, 1)),
			 TESTIMG_CMDLINE_MAX - 1);
	assert_int_equal(mem_low_top(&f->m), RAM_SIZE);
	mem_destroy(&f->m);
	assert_int_equal(mem_init(&f->m, RAM_SIZE), 0);
	line[TESTIMG_CMDLINE_MAX - 1] = 'a';
	expect_reject(f, line, "command line is 4096 bytes, longer than the "
			       "4095-byte limit");
}

/* ---- rejections: file format ---- */

static void test_not_elf(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	f->im.b[0] = 'M';
	expect_reject(f, NULL, "not an ELF file");
	f->im.len = 3;
	memcpy(f->im.b, ELFMAG, SELFMAG);
	expect_reject(f, NULL, "not an ELF file");
	f->im.len = 0;
	expect_reject(f, NULL, "not an ELF file");
	/* a file that cannot be read: one line naming the error */
	assert_int_equal(loader_testimg_load(&f->m, -1, 100, NULL, &f->bi,
					     f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "cannot read the image at offset 0x0: "
			    "Bad file descriptor");
}

static void test_bad_ident(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	f->im.b[EI_CLASS] = ELFCLASSNONE;
	expect_reject(f, NULL, "ELF class 0 is neither ELF32 nor ELF64");
	make64(&f->im);
	f->im.b[EI_DATA] = ELFDATA2MSB;
	expect_reject(f, NULL, "not little-endian");
	make64(&f->im);
	f->im.b[EI_VERSION] = 2;
	expect_reject(f, NULL, "ELF version 2 is not supported");
}

static void test_truncated_header(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	f->im.len = sizeof(Elf64_Ehdr) - 1;
	expect_reject(f, NULL, "ELF64 header is truncated (file is 63 bytes)");
	make32(&f->im);
	f->im.len = sizeof(Elf32_Ehdr) - 1;
	expect_reject(f, NULL, "ELF32 header is truncated");
}

static void test_wrong_machine(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	eh64(&f->im)->e_machine = EM_386;
	expect_reject(f, NULL, "ELF64 file is for machine 3, not x86-64");
	make32(&f->im);
	eh32(&f->im)->e_machine = EM_X86_64;
	expect_reject(f, NULL, "ELF32 file is for machine 62, not i386");
	make64(&f->im);
	eh64(&f->im)->e_machine = EM_AARCH64;
	expect_reject(f, NULL, "not x86-64");
}

static void test_wrong_type(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	eh64(&f->im)->e_type = ET_DYN;
	expect_reject(f, NULL, "ELF type 3 is not ET_EXEC");
	make32(&f->im);
	eh32(&f->im)->e_type = ET_REL;
	expect_reject(f, NULL, "ELF type 1 is not ET_EXEC");
}

static void test_bad_phdrs(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	eh64(&f->im)->e_phnum = 0;
	expect_reject(f, NULL, "ELF file has no program headers");
	make64(&f->im);
	eh64(&f->im)->e_phentsize = sizeof(Elf64_Phdr) - 8;
	expect_reject(f, NULL, "ELF program header size 48 is wrong "
			       "(expected 56)");
	make32(&f->im);
	eh32(&f->im)->e_phentsize = sizeof(Elf64_Phdr);
	expect_reject(f, NULL, "ELF program header size 56 is wrong "
			       "(expected 32)");
}

static void test_phdr_table_outside_file(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	eh64(&f->im)->e_phoff = IMG_SIZE - sizeof(Elf64_Phdr);
	expect_reject(f, NULL, "ELF program header table lies outside the file");
	make64(&f->im);
	eh64(&f->im)->e_phoff = UINT64_MAX - 8; /* offset + size wraps */
	expect_reject(f, NULL, "ELF program header table lies outside the file");
	make64(&f->im);
	eh64(&f->im)->e_phnum = 0xffff;
	expect_reject(f, NULL, "ELF program header table lies outside the file");
	make32(&f->im);
	eh32(&f->im)->e_phoff = UINT32_MAX;
	expect_reject(f, NULL, "ELF program header table lies outside the file");
}

static void test_segment_outside_file(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	ph64(&f->im, 1)->p_offset = IMG_SIZE - DATA_LEN + 1;
	expect_reject(f, NULL, "ELF segment 1 extends past the end of the file");
	make64(&f->im);
	ph64(&f->im, 0)->p_offset = UINT64_MAX - 0x10;
	expect_reject(f, NULL, "ELF segment 0 extends past the end of the file");
	make64(&f->im);
	ph64(&f->im, 1)->p_filesz = ph64(&f->im, 1)->p_memsz = UINT64_MAX;
	expect_reject(f, NULL, "ELF segment 1 extends past the end of the file");
	make32(&f->im);
	ph32(&f->im, 1)->p_offset = 0xfffffff0;
	expect_reject(f, NULL, "ELF segment 1 extends past the end of the file");
}

static void test_filesz_above_memsz(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	ph64(&f->im, 1)->p_memsz = DATA_LEN - 1;
	expect_reject(f, NULL, "ELF segment 1: file size 0x100 is larger than "
			       "its memory size 0xff");
}

/* ---- rejections: placement in guest memory ---- */

static void reinit(struct fixture *f, uint64_t size)
{
	mem_destroy(&f->m);
	assert_int_equal(mem_init(&f->m, size), 0);
}

static void test_segment_in_boot_area(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	ph64(&f->im, 0)->p_paddr = TESTIMG_BOOT_PML4;
	eh64(&f->im)->e_entry = TESTIMG_BOOT_PML4;
	expect_reject(f, NULL, "ELF segment 0 at 0x2000 overlaps the boot area "
			       "(segments start at or above 0x100000)");
	make64(&f->im);
	ph64(&f->im, 1)->p_paddr = 0xff000; /* ends above 1 MiB, starts below */
	expect_reject(f, NULL, "ELF segment 1 at 0xff000 overlaps the boot area");
	make32(&f->im);
	ph32(&f->im, 1)->p_paddr = TESTIMG_CMDLINE;
	expect_reject(f, NULL, "ELF segment 1 at 0x8000 overlaps the boot area "
			       "(segments start at or above 0x10000)");
}

static void test_segment_outside_ram(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	ph64(&f->im, 1)->p_paddr = RAM_SIZE - 0x1000;
	expect_reject(f, NULL, "segment at 0x3fff000 (0x2100 bytes) does not "
			       "fit in 64 MiB of guest memory");
	make64(&f->im);
	ph64(&f->im, 1)->p_paddr = 0xd0000000; /* the MMIO hole */
	expect_reject(f, NULL, "segment at 0xd0000000 (0x2100 bytes) does not "
			       "fit in 64 MiB of guest memory");
	make64(&f->im);
	ph64(&f->im, 1)->p_paddr = UINT64_MAX - 0x1000;
	expect_reject(f, NULL, "ELF segment 1: address 0xffffffffffffefff + "
			       "size 0x2100 overflows");
	make32(&f->im);
	ph32(&f->im, 1)->p_paddr = 0x9ff00;
	expect_reject(f, NULL, "segment at 0x9ff00 (0x2100 bytes) extends past "
			       "0xa0000, the real-mode limit");
}

static void test_segment_in_stacks(void **state)
{
	struct fixture *f = *state;
	uint64_t stacks = RAM_SIZE - TESTIMG_STACK_AREA;

	make64(&f->im);
	ph64(&f->im, 1)->p_paddr = stacks - DATA_LEN - BSS_LEN;
	assert_int_equal(load(f, NULL), 0); /* ends exactly at the stacks */
	reinit(f, RAM_SIZE);
	ph64(&f->im, 1)->p_paddr += 1;
	expect_reject(f, NULL, "segment at 0x3bfdf01 (0x2100 bytes) reaches "
			       "into the vCPU stacks above 0x3c00000 in 64 MiB "
			       "of guest memory");
}

/* Above 3 GiB RAM continues past 4 GiB, where long mode's identity map
 * (the first 4 GiB) does not reach: segments must stay below the hole. */
static void test_segment_above_hole(void **state)
{
	struct fixture *f = *state;

	reinit(f, 5ull << 30);
	make64(&f->im);
	ph64(&f->im, 1)->p_paddr = 1ull << 32;
	assert_non_null(mem_gpa_ptr(&f->m, 1ull << 32, 0x2100));
	expect_reject(f, NULL, "segment at 0x100000000 (0x2100 bytes) does not "
			       "fit in the 3 GiB of guest memory below the MMIO "
			       "hole");
}

static void test_no_load_segment(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	ph64(&f->im, 0)->p_type = PT_NOTE;
	ph64(&f->im, 1)->p_type = PT_NOTE;
	expect_reject(f, NULL, "ELF file has no loadable (PT_LOAD) segment");
	make32(&f->im);
	ph32(&f->im, 0)->p_memsz = ph32(&f->im, 0)->p_filesz = 0;
	ph32(&f->im, 1)->p_memsz = ph32(&f->im, 1)->p_filesz = 0;
	expect_reject(f, NULL, "ELF file has no loadable (PT_LOAD) segment");
}

static void test_entry_outside_segments(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	eh64(&f->im)->e_entry = 0x500000;
	expect_reject(f, NULL, "entry point 0x500000 is not inside a loaded "
			       "segment");
	make64(&f->im); /* in the bss: no code there */
	eh64(&f->im)->e_entry = DATA_GPA64 + DATA_LEN;
	expect_reject(f, NULL, "entry point 0x200100 is not inside a loaded "
			       "segment");
	make32(&f->im);
	eh32(&f->im)->e_entry = CODE_GPA32 - 1;
	expect_reject(f, NULL, "entry point 0xffff is not inside a loaded "
			       "segment");
}

static void test_memory_too_small(void **state)
{
	struct fixture *f = *state;

	make64(&f->im);
	reinit(f, MIB);
	expect_reject(f, NULL, "1 MiB of guest memory is too small for the "
			       "boot area and vCPU stacks (need more than "
			       "5 MiB)");
	reinit(f, 6 * MIB); /* code fits, data reaches the stacks */
	expect_reject(f, NULL, "segment at 0x200000 (0x2100 bytes) reaches "
			       "into the vCPU stacks above 0x200000 in 6 MiB");
	make32(&f->im);
	reinit(f, 0x10000);
	expect_reject(f, NULL, "64 KiB of guest memory is too small for the "
			       "boot area and vCPU stacks (need more than "
			       "64 KiB)");
	reinit(f, 0x18000);
	expect_reject(f, NULL, "segment at 0x20000 (0x2100 bytes) does not fit "
			       "in 96 KiB of guest memory");
}

/* ---- the error buffer itself ---- */

static void test_err_buffer_small(void **state)
{
	struct fixture *f = *state;
	char small[8];

	make64(&f->im);
	f->im.b[0] = 0;
	assert_int_equal(load_err(f, NULL, small, sizeof(small)), -1);
	assert_string_equal(small, "not an ");
	assert_int_equal(load_err(f, NULL, small, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_good64),
		T(test_good64_gdt),
		T(test_good64_page_tables),
		T(test_good64_no_cmdline),
		T(test_good32),
		T(test_cmdline_limit),
		T(test_not_elf),
		T(test_bad_ident),
		T(test_truncated_header),
		T(test_wrong_machine),
		T(test_wrong_type),
		T(test_bad_phdrs),
		T(test_phdr_table_outside_file),
		T(test_segment_outside_file),
		T(test_filesz_above_memsz),
		T(test_segment_in_boot_area),
		T(test_segment_outside_ram),
		T(test_segment_in_stacks),
		T(test_segment_above_hole),
		T(test_no_load_segment),
		T(test_entry_outside_segments),
		T(test_memory_too_small),
		T(test_err_buffer_small),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
