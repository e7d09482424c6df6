/*
 * fuzz/loader_target.c - libFuzzer target for every guest loader, whose
 * every input byte comes from a user-supplied image: the test-image loader
 * (monitor/boot/loader_testimg.c), the Solo5 hvt loader (loader_hvt.c: ELF
 * parse with its ABI and manifest notes, manifest validation, load) and the
 * Linux loader (loader_linux.c: bzImage and PVH vmlinux, with an initrd),
 * all reading through the one ELF reader (elf.c) from a file descriptor:
 * the image is written to a memfd, as wisp preads its kernel file.
 * The first input byte picks the loader (0 test image, 1 hvt, 2 manifest,
 * 3 Linux), the rest is the image. Guest RAM is mem_init's memfd mapping
 * (no KVM), so ASan sees every write through mem_gpa_ptr.
 * Invariants: a refusal leaves exactly one non-empty line in err; an
 * accepted image's entry and command line lie inside guest RAM; a parsed
 * hvt image's segments lie inside the image and do not overlap.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <unistd.h>

#include "boot/hvt.h"
#include "boot/linux.h"
#include "boot/loader.h"
#include "mem.h"

#define RAM (8u << 20)
#define ERRLEN 256

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "loader_target: invariant broken: %s\n", what);
		abort();
	}
}

/* A refusal says why in one line; an acceptance leaves err alone. */
static void check_err(int rc, const char *err)
{
	if (rc == 0)
		return;
	check(err[0] != '\0', "a refusal without a message");
	check(strchr(err, '\n') == NULL, "a refusal message of several lines");
	check(strlen(err) < ERRLEN, "an unterminated refusal message");
}

/* The image as a file: one memfd, rewritten for each input. */
static int image_fd(const uint8_t *img, size_t len)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("loader", MFD_CLOEXEC);
	check(fd >= 0, "memfd_create");
	check(ftruncate(fd, 0) == 0, "ftruncate");
	check(len == 0 || pwrite(fd, img, len, 0) == (ssize_t)len, "pwrite");
	return fd;
}

static void fuzz_testimg(struct mem *m, const uint8_t *img, size_t len)
{
	struct boot_info bi;
	char err[ERRLEN] = "";
	int rc = loader_testimg_load(m, image_fd(img, len), len, "fuzz", &bi,
				     err, sizeof(err));

	check_err(rc, err);
	if (rc == 0) {
		check(bi.entry < m->size, "test image entry outside RAM");
		check(bi.cmdline < m->size, "test image command line outside RAM");
	}
}

static void check_segs(const struct hvt_elf *e, size_t len)
{
	for (unsigned i = 0; i < e->n_segs; i++) {
		const struct hvt_seg *s = &e->segs[i];

		check(s->offset <= len && s->filesz <= len - s->offset,
		      "hvt segment outside the image");
		check(s->filesz <= s->memsz, "hvt segment file size over memory size");
		check(i == 0 || e->segs[i - 1].vaddr + e->segs[i - 1].memsz <= s->vaddr,
		      "hvt segments overlap or are unsorted");
	}
}

static void fuzz_hvt(struct mem *m, const uint8_t *img, size_t len)
{
	struct hvt_elf e;
	struct boot_info bi;
	char err[ERRLEN] = "";
	int rc = hvt_elf_parse(image_fd(img, len), len, &e, err, sizeof(err));

	check_err(rc, err);
	if (rc < 0)
		return;
	check_segs(&e, len);
	struct hvt_boot b = { .mem_size = m->size, .mft = e.mft,
			      .mft_len = e.mft_len, .cmdline = "fuzz" };
	rc = hvt_load(m, &e, &b, &bi, err, sizeof(err));
	check_err(rc, err);
	if (rc == 0)
		check(bi.entry < m->size, "hvt entry outside RAM");
	hvt_elf_free(&e);
}

/* A small initrd, placed above the kernel. */
static int initrd_fd(void)
{
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("initrd", MFD_CLOEXEC);
		check(fd >= 0 && pwrite(fd, "initrd", 6, 0) == 6, "initrd memfd");
	}
	return fd;
}

static void fuzz_linux(struct mem *m, const uint8_t *img, size_t len)
{
	struct boot_info bi;
	char err[ERRLEN] = "";
	struct linux_args a = { "console=ttyS0", initrd_fd(), 6, 2 };
	int fd = image_fd(img, len);
	enum linux_kind k = linux_detect(fd, len);
	int rc = loader_linux_load(m, fd, len, &a, &bi, err, sizeof(err));

	check_err(rc, err);
	check(rc < 0 || k != LINUX_NONE, "a Linux load of an undetected image");
	if (rc == 0) {
		check(bi.mode == (k == LINUX_PVH ? BOOT_PVH32 : BOOT_LINUX64),
		      "Linux boot mode differs from the detected kind");
		check(bi.entry < m->size, "Linux entry outside RAM");
	}
}

/* Aligned, as hvt_mft_validate requires (the loader copies a note first). */
static void fuzz_mft(const uint8_t *p, size_t len)
{
	char err[ERRLEN] = "";
	void *copy = malloc(len ? len : 1);

	check(copy != NULL, "malloc");
	memcpy(copy, p, len);
	check_err(hvt_mft_validate(copy, len, err, sizeof(err)), err);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mem m;
	static int ready;

	if (!ready) {
		check(mem_init(&m, RAM) == 0, "mem_init");
		ready = 1;
	}
	if (size < 1)
		return 0;
	memset(mem_gpa_ptr(&m, 0, RAM), 0, RAM);
	switch (data[0] % 4) {
	case 0: fuzz_testimg(&m, data + 1, size - 1); break;
	case 1: fuzz_hvt(&m, data + 1, size - 1); break;
	case 2: fuzz_mft(data + 1, size - 1); break;
	default: fuzz_linux(&m, data + 1, size - 1); break;
	}
	return 0;
}
