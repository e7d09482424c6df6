/*
 * fuzz/loader_target.c - libFuzzer target for both ELF loaders, whose every
 * input byte comes from a user-supplied image: the test-image loader
 * (monitor/boot/loader_testimg.c) and the Solo5 hvt loader (monitor/boot/loader_hvt.c:
 * ELF parse with its ABI and manifest notes, manifest validation, load).
 * The first input byte picks the loader, the rest is the image. Guest RAM
 * is a plain buffer (mem_init without KVM), so ASan sees every write.
 * Invariants: a refusal leaves exactly one non-empty line in err; an
 * accepted image's entry and command line lie inside guest RAM; a parsed
 * hvt image's segments lie inside the image and do not overlap.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/hvt.h"
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

static void fuzz_testimg(struct mem *m, const uint8_t *img, size_t len)
{
	struct boot_info bi;
	char err[ERRLEN] = "";
	int rc = loader_testimg_load(m, img, len, "fuzz", &bi, err, sizeof(err));

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
	int rc = hvt_elf_parse(img, len, &e, err, sizeof(err));

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
	switch (data[0] % 3) {
	case 0: fuzz_testimg(&m, data + 1, size - 1); break;
	case 1: fuzz_hvt(&m, data + 1, size - 1); break;
	default: fuzz_mft(data + 1, size - 1); break;
	}
	return 0;
}
