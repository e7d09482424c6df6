/*
 * tests/hvt/hvtlib.h - the project's own hvt-ABI test unikernels: the
 * hypercalls, a console, the command line, and the notes every unikernel
 * carries (hvtlib.c has the ABI note; each test declares its manifest with
 * HVT_MANIFEST). Freestanding C, no SSE, no Solo5 code.
 */
#ifndef WISP_HVTLIB_H
#define WISP_HVTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvt_abi.h"

struct note_hdr {
	uint32_t namesz, descsz, type;
	char name[8];
};

/* The manifest note: N entries after the reserved one, e.g.
 * HVT_MANIFEST(1, MFT_BLOCK("disk")). Build-time variants (MFT_BAD_*)
 * make it malformed for the refusal tests. */
#define MFT_BLOCK(n) { .name = n, .type = MFT_DEV_BLOCK_BASIC }
#define MFT_NET(n) { .name = n, .type = MFT_DEV_NET_BASIC }
#ifndef MFT_VERSION_USED
#define MFT_VERSION_USED MFT_VERSION
#endif
#ifndef MFT_ENTRIES_DELTA
#define MFT_ENTRIES_DELTA 0
#endif
#define HVT_MANIFEST(n, ...)                                                 \
	__attribute__((section(".note.solo5.manifest"), aligned(8), used))   \
	const struct {                                                       \
		struct note_hdr h;                                           \
		uint32_t pad;                                                \
		uint32_t version, entries;                                   \
		struct mft_entry e[(n) + 1];                                 \
	} hvt_mft_note = {                                                   \
		{ HVT_NOTE_NAMESZ, 4 + MFT_SIZE((n) + 1), HVT_NOTE_MFT,      \
		  "Solo5" },                                                 \
		0, MFT_VERSION_USED, (n) + 1 + MFT_ENTRIES_DELTA,            \
		{ { .type = MFT_RESERVED_FIRST }, __VA_ARGS__ }              \
	}

extern const struct hvt_boot_info *hvt_bi;

static inline void hvt_call(unsigned nr, void *arg)
{
	__asm__ volatile("outl %0, %1"
			 : : "a"((uint32_t)(uintptr_t)arg),
			     "Nd"((uint16_t)(HVT_PIO_BASE + nr))
			 : "memory");
}

__attribute__((noreturn)) void hvt_exit(int status);
void hvt_write(const char *s, size_t n);
void hvt_puts(const char *s);
void hvt_putdec(uint64_t v);
uint64_t hvt_walltime(void);
/* Returns ret; *ready gets the ready set. */
int hvt_poll(uint64_t ns, uint64_t *ready);
int hvt_block(bool write, uint64_t handle, uint64_t off, void *buf,
	      uint64_t len);
int hvt_net(bool write, uint64_t handle, void *buf, uint64_t *len);
/* The manifest index of a device by name, or 0. */
unsigned hvt_handle(const char *name);

/* "key=N" in the command line, or dflt. */
uint64_t cmd_u64(const char *key, uint64_t dflt);
bool cmd_has(const char *word);

/* "<what> failed" and exit 1 unless cond. */
#define CHECK(cond)                                                  \
	do {                                                         \
		if (!(cond)) {                                       \
			hvt_puts("CHECK failed: " #cond "\n");       \
			hvt_exit(1);                                 \
		}                                                    \
	} while (0)

size_t strlen(const char *s);
int memcmp(const void *a, const void *b, size_t n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

#endif
