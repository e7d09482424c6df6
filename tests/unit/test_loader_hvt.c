/*
 * tests/unit/test_loader_hvt.c - the hvt loader against malformed input:
 * ELF headers, program headers, segments (order, overlap, alignment,
 * overflow, W^X), PT_NOTE notes (ABI version and target, sizes,
 * duplicates) and manifests (every hvt_mft_validate rule); then the memory
 * sizes, the layout it writes (page tables, boot info, manifest, command
 * line) and the command-line join.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot/hvt.h"

#define IMG_SIZE 0x3000
#define PH_LOAD 0
#define PH_ABI 1
#define PH_MFT 2
#define OFF_ABI 0x2000
#define OFF_MFT 0x2100
#define MFT_N 2 /* reserved + "disk" */

struct img {
	uint8_t b[IMG_SIZE];
};

static Elf64_Ehdr *eh(struct img *i)
{
	return (Elf64_Ehdr *)i->b;
}

static Elf64_Phdr *ph(struct img *i, int n)
{
	return (Elf64_Phdr *)(i->b + sizeof(Elf64_Ehdr)) + n;
}

static struct mft *mft_of(struct img *i)
{
	return (struct mft *)(i->b + OFF_MFT + 24);
}

static void note_hdr(uint8_t *p, uint32_t descsz, uint32_t type)
{
	uint32_t h[3] = { HVT_NOTE_NAMESZ, descsz, type };

	memcpy(p, h, sizeof(h));
	memcpy(p + 12, "Solo5", 6);
}

/* A valid unikernel: text at 1 MiB, the ABI note, a one-disk manifest. */
static void mk_valid(struct img *i)
{
	struct hvt_abi_note abi = { HVT_ABI_TARGET, HVT_ABI_VERSION, 0, 0 };

	memset(i, 0, sizeof(*i));
	memcpy(eh(i)->e_ident, ELFMAG, SELFMAG);
	eh(i)->e_ident[EI_CLASS] = ELFCLASS64;
	eh(i)->e_ident[EI_DATA] = ELFDATA2LSB;
	eh(i)->e_ident[EI_VERSION] = EV_CURRENT;
	eh(i)->e_type = ET_EXEC;
	eh(i)->e_machine = EM_X86_64;
	eh(i)->e_version = EV_CURRENT;
	eh(i)->e_entry = 0x100000;
	eh(i)->e_phoff = sizeof(Elf64_Ehdr);
	eh(i)->e_ehsize = sizeof(Elf64_Ehdr);
	eh(i)->e_phentsize = sizeof(Elf64_Phdr);
	eh(i)->e_phnum = 3;
	*ph(i, PH_LOAD) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = 0x1000, .p_vaddr = 0x100000, .p_filesz = 0x100,
		.p_memsz = 0x2000, .p_align = 0x1000 };
	memset(i->b + 0x1000, 0xcc, 0x100);
	*ph(i, PH_ABI) = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = OFF_ABI,
		.p_filesz = 20 + sizeof(abi), .p_align = 4 };
	note_hdr(i->b + OFF_ABI, sizeof(abi), HVT_NOTE_ABI);
	memcpy(i->b + OFF_ABI + 20, &abi, sizeof(abi));
	*ph(i, PH_MFT) = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = OFF_MFT,
		.p_filesz = 24 + MFT_SIZE(MFT_N), .p_align = 8 };
	note_hdr(i->b + OFF_MFT, 4 + MFT_SIZE(MFT_N), HVT_NOTE_MFT);
	struct mft *m = mft_of(i);
	m->version = MFT_VERSION;
	m->entries = MFT_N;
	m->e[0].type = MFT_RESERVED_FIRST;
	strcpy(m->e[1].name, "disk");
	m->e[1].type = MFT_DEV_BLOCK_BASIC;
}

/* The first len bytes of i as the loader reads them: a memfd. */
static int img_fd(const struct img *i, size_t len)
{
	int fd = memfd_create("hvt", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, i->b, len), (ssize_t)len);
	return fd;
}

/* Parse i; returns rc and leaves the error in err. */
static int parse(struct img *i, char *err)
{
	struct hvt_elf e;
	int fd = img_fd(i, IMG_SIZE);
	int rc = hvt_elf_parse(fd, IMG_SIZE, &e, err, 256);

	close(fd);
	if (rc == 0)
		hvt_elf_free(&e);
	return rc;
}

static void refused(struct img *i, const char *why)
{
	char err[256] = "";

	assert_int_equal(parse(i, err), -1);
	if (!strstr(err, why))
		fail_msg("error '%s' does not mention '%s'", err, why);
}

static void test_valid(void **state)
{
	struct img i;
	struct hvt_elf e;
	char err[256];

	mk_valid(&i);
	int fd = img_fd(&i, IMG_SIZE);
	assert_int_equal(hvt_elf_parse(fd, IMG_SIZE, &e, err, sizeof(err)), 0);
	close(fd);
	assert_int_equal(e.n_segs, 1);
	assert_int_equal(e.entry, 0x100000);
	assert_int_equal(e.mft->entries, MFT_N);
	assert_int_equal(e.mft_len, MFT_SIZE(MFT_N));
	assert_int_equal(e.abi.version, 2);
	assert_int_equal(hvt_mft_find(e.mft, "disk", MFT_DEV_BLOCK_BASIC), 1);
	assert_int_equal(hvt_mft_find(e.mft, "disk", MFT_DEV_NET_BASIC), -1);
	hvt_elf_free(&e);
}

static void test_ehdr(void **state)
{
	struct img i;
	char err[256];

	mk_valid(&i); eh(&i)->e_ident[1] = 'X'; refused(&i, "not an ELF file");
	mk_valid(&i); eh(&i)->e_ident[EI_CLASS] = ELFCLASS32; refused(&i, "takes only ELF64");
	mk_valid(&i); eh(&i)->e_ident[EI_DATA] = ELFDATA2MSB; refused(&i, "not little-endian");
	mk_valid(&i); eh(&i)->e_version = 2; refused(&i, "ELF version 2");
	mk_valid(&i); eh(&i)->e_type = ET_DYN; refused(&i, "ET_EXEC");
	mk_valid(&i); eh(&i)->e_machine = EM_386; refused(&i, "x86-64");
	mk_valid(&i); eh(&i)->e_phentsize = 32; refused(&i, "program header size 32");
	mk_valid(&i); eh(&i)->e_ehsize = 52; refused(&i, "header size 52");
	mk_valid(&i); eh(&i)->e_phnum = 0; refused(&i, "program header");
	mk_valid(&i); eh(&i)->e_phoff = IMG_SIZE - 8; refused(&i, "program header");
	mk_valid(&i); eh(&i)->e_phoff = ~0ull - 8; refused(&i, "program header");
	mk_valid(&i); eh(&i)->e_entry = 0xfffff; refused(&i, "entry");
	int fd = img_fd(&i, 40);
	assert_int_equal(hvt_elf_parse(fd, 40, &(struct hvt_elf){ 0 }, err,
				       sizeof(err)), -1);
	close(fd);
}

static void test_segments(void **state)
{
	struct img i;

	mk_valid(&i); ph(&i, 0)->p_vaddr = 0xff000; refused(&i, "below 0x100000");
	mk_valid(&i); ph(&i, 0)->p_align = 3; refused(&i, "power of two");
	mk_valid(&i); ph(&i, 0)->p_align = 0; refused(&i, "power of two");
	mk_valid(&i); ph(&i, 0)->p_memsz = 0x10; refused(&i, "bad sizes");
	mk_valid(&i); ph(&i, 0)->p_memsz = ~0ull - 0x10000; refused(&i, "bad sizes");
	mk_valid(&i); ph(&i, 0)->p_vaddr = ~0ull - 0xfff; refused(&i, "bad sizes");
	mk_valid(&i); ph(&i, 0)->p_flags = PF_R | PF_W | PF_X;
	refused(&i, "writable and executable");
	mk_valid(&i); ph(&i, 0)->p_offset = IMG_SIZE - 0x10; refused(&i, "outside the file");
	mk_valid(&i); ph(&i, 0)->p_offset = ~0ull; refused(&i, "outside the file");
	mk_valid(&i); ph(&i, 0)->p_align = 0x10; ph(&i, 0)->p_memsz = 0x108;
	refused(&i, "4 KiB");
	/* the 2 MiB alignment puts the aligned start below 1 MiB */
	mk_valid(&i); ph(&i, 0)->p_align = 0x200000; refused(&i, "below");
	/* a second segment below, or overlapping, the first */
	mk_valid(&i); *ph(&i, 1) = *ph(&i, 0); ph(&i, 1)->p_vaddr = 0x100000 - 0;
	refused(&i, "overlaps");
	mk_valid(&i); *ph(&i, 1) = *ph(&i, 0); ph(&i, 0)->p_vaddr = 0x200000;
	refused(&i, "ascending");
	/* filesz 0: ignored, as for a BSS-only segment */
	mk_valid(&i); ph(&i, 0)->p_filesz = 0; refused(&i, "no loadable");
}

static void test_notes(void **state)
{
	struct img i;
	struct hvt_abi_note *abi;
	char err[256];

	mk_valid(&i); abi = (void *)(i.b + OFF_ABI + 20); abi->version = 3;
	refused(&i, "unsupported ABI version 3");
	mk_valid(&i); abi = (void *)(i.b + OFF_ABI + 20); abi->version = 1;
	refused(&i, "unsupported ABI version 1");
	mk_valid(&i); abi = (void *)(i.b + OFF_ABI + 20); abi->target = 2;
	refused(&i, "not for the solo5-hvt target");
	mk_valid(&i); ph(&i, PH_ABI)->p_type = PT_NULL; refused(&i, "no Solo5 ABI note");
	mk_valid(&i); ph(&i, PH_MFT)->p_type = PT_NULL; refused(&i, "no Solo5 manifest");
	mk_valid(&i); *ph(&i, PH_MFT) = *ph(&i, PH_ABI); refused(&i, "two Solo5 ABI");
	mk_valid(&i); ph(&i, PH_LOAD)->p_type = PT_NOTE; ph(&i, PH_LOAD)->p_offset = OFF_MFT;
	ph(&i, PH_LOAD)->p_filesz = ph(&i, PH_MFT)->p_filesz; refused(&i, "two Solo5 manifest");
	mk_valid(&i); ph(&i, PH_ABI)->p_filesz = 8; refused(&i, "no Solo5 ABI");
	/* under 12 bytes: no note; 12..19: a note running past the segment */
	mk_valid(&i); ph(&i, PH_ABI)->p_filesz = 16; refused(&i, "runs past its PT_NOTE");
	mk_valid(&i); ph(&i, PH_ABI)->p_offset = IMG_SIZE - 4; refused(&i, "outside");
	/* another owner's note is skipped */
	mk_valid(&i); memcpy(i.b + OFF_ABI + 12, "Solo6", 6); refused(&i, "no Solo5 ABI");
	mk_valid(&i); ((uint32_t *)(i.b + OFF_ABI))[0] = 5; refused(&i, "no Solo5 ABI");
	/* descriptor sizes: 0, over the maximum, past the segment */
	mk_valid(&i); ((uint32_t *)(i.b + OFF_ABI))[1] = 0; refused(&i, "bad size");
	mk_valid(&i); ((uint32_t *)(i.b + OFF_ABI))[1] = 33; refused(&i, "runs past");
	mk_valid(&i); ((uint32_t *)(i.b + OFF_ABI))[1] = 36;
	ph(&i, PH_ABI)->p_filesz = 20 + 36; refused(&i, "bad size");
	mk_valid(&i); ((uint32_t *)(i.b + OFF_ABI))[1] = 8; refused(&i, "ABI note: 8");
	mk_valid(&i); ((uint32_t *)(i.b + OFF_MFT))[1] = 6669; refused(&i, "runs past");
	mk_valid(&i); ((uint32_t *)(i.b + OFF_MFT))[1] = 4; refused(&i, "bad size");
	mk_valid(&i); ph(&i, PH_MFT)->p_filesz -= 8; refused(&i, "runs past");
	/* the manifest payload must match its entry count exactly */
	mk_valid(&i); ((uint32_t *)(i.b + OFF_MFT))[1] += 8;
	ph(&i, PH_MFT)->p_filesz += 8; refused(&i, "bytes for 2 entries");
	mk_valid(&i);
	assert_int_equal(parse(&i, err), 0);
}

/* hvt_mft_validate on its own, over a buffer of `n` entries. */
static int mft_check(struct mft *m, size_t len, const char *why)
{
	char err[256] = "";
	int rc = hvt_mft_validate(m, len, err, sizeof(err));

	if (why && !strstr(err, why))
		fail_msg("error '%s' does not mention '%s'", err, why);
	return rc;
}

static struct mft *mft_new(uint32_t n)
{
	struct mft *m = calloc(1, MFT_SIZE(n));

	m->version = MFT_VERSION;
	m->entries = n;
	m->e[0].type = MFT_RESERVED_FIRST;
	for (uint32_t i = 1; i < n; i++) {
		snprintf(m->e[i].name, sizeof(m->e[i].name), "dev%u", i);
		m->e[i].type = i % 2 ? MFT_DEV_BLOCK_BASIC : MFT_DEV_NET_BASIC;
	}
	return m;
}

static void test_manifest(void **state)
{
	struct mft *m = mft_new(64);

	assert_int_equal(mft_check(m, MFT_SIZE(64), NULL), 0);
	assert_int_equal(mft_check(m, MFT_SIZE(64) - 1, "bytes for 64"), -1);
	assert_int_equal(mft_check(m, 4, "too short"), -1);
	m->entries = 65;
	assert_int_equal(mft_check(m, MFT_SIZE(64), "65 entries"), -1);
	m->entries = 0;
	assert_int_equal(mft_check(m, 8, "0 entries"), -1);
	m->entries = 64;
	m->version = 2;
	assert_int_equal(mft_check(m, MFT_SIZE(64), "version 2"), -1);
	m->version = 1;
	m->e[0].type = MFT_DEV_BLOCK_BASIC;
	assert_int_equal(mft_check(m, MFT_SIZE(64), "reserved"), -1);
	m->e[0].type = MFT_RESERVED_FIRST;
	strcpy(m->e[0].name, "x");
	assert_int_equal(mft_check(m, MFT_SIZE(64), "reserved"), -1);
	m->e[0].name[0] = 0;
	memset(m->e[5].name, 'a', MFT_NAME_SIZE);
	assert_int_equal(mft_check(m, MFT_SIZE(64), "NUL-terminated"), -1);
	m->e[5].name[MFT_NAME_SIZE - 1] = 0; /* 67 characters: fine */
	assert_int_equal(mft_check(m, MFT_SIZE(64), NULL), 0);
	m->e[5].name[0] = 0;
	assert_int_equal(mft_check(m, MFT_SIZE(64), "1-67"), -1);
	strcpy(m->e[5].name, "a.b");
	assert_int_equal(mft_check(m, MFT_SIZE(64), "1-67"), -1);
	strcpy(m->e[5].name, "dev7");
	assert_int_equal(mft_check(m, MFT_SIZE(64), "two entries named"), -1);
	strcpy(m->e[5].name, "dev5");
	m->e[9].attached = 1;
	assert_int_equal(mft_check(m, MFT_SIZE(64), "attached"), -1);
	m->e[9].attached = 0;
	m->e[0].attached = 1;
	assert_int_equal(mft_check(m, MFT_SIZE(64), "attached"), -1);
	m->e[0].attached = 0;
	m->e[63].type = MFT_RESERVED_FIRST;
	assert_int_equal(mft_check(m, MFT_SIZE(64), "unknown device type"), -1);
	free(m);
	m = mft_new(1); /* only the reserved entry */
	assert_int_equal(mft_check(m, MFT_SIZE(1), NULL), 0);
	free(m);
}

static void test_mem_size(void **state)
{
	uint64_t a, g, r;
	char err[256];

	assert_int_equal(hvt_mem_size(512, false, &a, &g, &r, err, 256), 0);
	assert_int_equal(a, 512ull << 20);
	assert_int_equal(g, a);
	assert_int_equal(r, 0);
	assert_int_equal(hvt_mem_size(7, false, &a, &g, &r, err, 256), 0);
	assert_int_equal(g, 6ull << 20);
	assert_int_equal(hvt_mem_size(0, false, &a, &g, &r, err, 256), 0);
	assert_int_equal(g, 2ull << 20);
	assert_int_equal(hvt_mem_size(4096, false, &a, &g, &r, err, 256), 0);
	assert_int_equal(a, 4ull << 30);
	assert_int_equal(hvt_mem_size(4097, false, &a, &g, &r, err, 256), -1);
	assert_int_equal(hvt_mem_size(~0ull, false, &a, &g, &r, err, 256), -1);
	/* a NIC adds the ring's 2 MiB on top, when it fits */
	assert_int_equal(hvt_mem_size(64, true, &a, &g, &r, err, 256), 0);
	assert_int_equal(g, 64ull << 20);
	assert_int_equal(a, 66ull << 20);
	assert_int_equal(r, 64ull << 20);
	assert_int_equal(hvt_mem_size(4096, true, &a, &g, &r, err, 256), 0);
	assert_int_equal(r, 0);
}

static void test_load_layout(void **state)
{
	struct img i;
	struct hvt_elf e;
	struct mem m;
	struct boot_info bi;
	char err[256];

	mk_valid(&i);
	int fd = img_fd(&i, IMG_SIZE); /* read again by hvt_load */
	assert_int_equal(hvt_elf_parse(fd, IMG_SIZE, &e, err, 256), 0);
	assert_int_equal(mem_init_flat(&m, 6ull << 20), 0);
	struct hvt_boot b = { .mem_size = 6ull << 20, .mft = e.mft,
			      .mft_len = e.mft_len, .cmdline = "a b" };
	assert_int_equal(hvt_load(&m, &e, &b, &bi, err, 256), 0);
	uint64_t *pt = (uint64_t *)(m.base + HVT_PT0), *pd = (uint64_t *)(m.base + HVT_PD0);
	assert_int_equal(pt[0], 0);                      /* page 0 absent */
	assert_int_equal(pt[15], 0);
	assert_int_equal(pt[16], 0x10000 | 1);           /* boot info: read-only */
	assert_int_equal(pt[255], 0xff000 | 1);
	assert_int_equal(pt[256], 0x100000 | 3);         /* image: read-write */
	assert_int_equal(pd[1], (2ull << 20) | 0x83);    /* 2 MiB pages */
	assert_int_equal(pd[2], (4ull << 20) | 0x83);
	assert_int_equal(pd[3], 0);                      /* past the allocation */
	struct hvt_boot_info info;
	memcpy(&info, m.base + HVT_BOOT_INFO, sizeof(info));
	assert_int_equal(info.mem_size, 6ull << 20);
	assert_int_equal(info.kernel_end, 0x102000);
	assert_int_equal(info.mft, HVT_MFT_BASE);
	assert_int_equal(info.cmdline, HVT_MFT_BASE + MFT_SIZE(MFT_N));
	assert_int_equal(info.host_features, 0);
	assert_int_equal(info.net_ring, 0);
	assert_string_equal((char *)m.base + info.cmdline, "a b");
	assert_memory_equal(m.base + HVT_MFT_BASE, e.mft, e.mft_len);
	assert_int_equal(m.base[0x100000], 0xcc);
	assert_int_equal(m.base[0x100100], 0);           /* zeroes to memsz */
	assert_int_equal(bi.entry, 0x100000);
	assert_int_equal(bi.stack, (6ull << 20) - 8);
	assert_int_equal(bi.arg, HVT_BOOT_INFO);
	assert_ptr_equal(bi.cpu_setup, hvt_cpu_setup);
	/* the image must fit in the guest-visible memory */
	b.mem_size = 0x101000;
	assert_int_equal(hvt_load(&m, &e, &b, &bi, err, 256), -1);
	mem_destroy(&m);
	hvt_elf_free(&e);
	close(fd);
}

static void test_cmdline(void **state)
{
	char buf[HVT_CMDLINE_SIZE];
	char *argv[] = { "one", "two", "--solo5:quiet" };
	static char big[HVT_CMDLINE_SIZE];

	assert_int_equal(hvt_cmdline(3, argv, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "one two --solo5:quiet");
	assert_int_equal(hvt_cmdline(0, argv, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	memset(big, 'x', HVT_CMDLINE_SIZE - 1); /* 8,191 characters: fits */
	char *one[] = { big };
	assert_int_equal(hvt_cmdline(1, one, buf, sizeof(buf)), 0);
	char *two[] = { big, "y" };
	assert_int_equal(hvt_cmdline(2, two, buf, sizeof(buf)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_ehdr),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_mem_size),
		cmocka_unit_test(test_load_layout),
		cmocka_unit_test(test_cmdline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
