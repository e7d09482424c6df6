/*
 * monitor/boot/hvt.h - Solo5 hvt unikernels: the ELF and manifest checks, the
 * memory layout and boot structures (loader_hvt.c), and the solo5-hvt style
 * command line that attaches devices to manifest entries (cli_hvt.c).
 *
 * Order of use: hvt_elf_parse (headers, W^X, notes; the manifest goes
 * through hvt_mft_validate before anything reads it) -> the CLI attaches
 * devices to entries -> hvt_mem_size -> hvt_load (segments, page tables,
 * GDT, boot info, manifest copy, command line into zeroed guest RAM) ->
 * the vCPU hook sets the entry state. Every function here writes one line
 * into err (no "wisp: " prefix) and returns -1 on failure; the caller exits
 * WISP_EXIT_IMAGE or WISP_EXIT_USAGE.
 */
#ifndef WISP_HVT_H
#define WISP_HVT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvt_abi.h"
#include "boot/elf.h"
#include "boot/loader.h"
#include "mem.h"

/* Write one line into err; returns -1 (every function here reports so). */
int hvt_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define HVT_MAX_PHDRS 64 /* more program headers is not an hvt unikernel */

struct hvt_seg {
	uint64_t vaddr, filesz, memsz, offset, align;
	uint32_t flags;
};

/* What a valid hvt executable says; elf reads the file (kept open until
 * hvt_load). */
struct hvt_elf {
	struct elf elf;
	uint64_t entry;
	unsigned n_segs;
	struct hvt_seg segs[HVT_MAX_PHDRS]; /* loadable: p_filesz > 0 */
	struct hvt_abi_note abi;
	struct mft *mft;                     /* validated heap copy */
	size_t mft_len;
};

/*
 * Check the ELF header (elf_open, ELF64 only; at most HVT_MAX_PHDRS, entry
 * from 1 MiB) and program headers of the file fd (size bytes) and read the
 * Solo5 notes from PT_NOTE segments: the ABI note must say hvt version 2,
 * the manifest must pass hvt_mft_validate. Segments are checked for
 * alignment, order, overlap, overflow and W^X; their bounds against guest
 * memory are hvt_load's. On success e->mft is malloc'ed (hvt_elf_free).
 */
int hvt_elf_parse(int fd, uint64_t size, struct hvt_elf *e, char *err,
		  size_t errlen);
void hvt_elf_free(struct hvt_elf *e);

/* The manifest note's payload is untrusted input: exact size, version,
 * entry count, reserved entry 0, names NUL-terminated [A-Za-z0-9]{1,67}
 * and unique, known types, nothing attached yet. p must be aligned for
 * struct mft (copy a note's bytes out first: an ELF offset may be odd). */
int hvt_mft_validate(const void *p, size_t len, char *err, size_t errlen);

/* Index of the manifest entry named `name` of `type`, or -1. */
int hvt_mft_find(const struct mft *m, const char *name, uint32_t type);

/*
 * --mem in MiB, Solo5's way: rounded down to 2 MiB (warned; 0 becomes
 * 2 MiB), more than 4 GiB refused. With a NIC the ring's 2 MiB goes on
 * top (capped at 4 GiB). *alloc is the RAM to create, *guest the
 * guest-visible mem_size, *ring the ring's GPA or 0.
 */
int hvt_mem_size(uint64_t mib, bool nic, uint64_t *alloc, uint64_t *guest,
		 uint64_t *ring, char *err, size_t errlen);

struct hvt_boot {
	uint64_t mem_size;     /* guest-visible */
	uint64_t ring;         /* GPA or 0 */
	uint32_t host_features;
	const struct mft *mft; /* host-completed */
	size_t mft_len;
	const char *cmdline;   /* NUL-terminated, < HVT_CMDLINE_SIZE */
};

/* Load e into m (zeroed, b->mem_size usable) and write the boot
 * structures; bi gets the entry state (cpu_setup hook set). */
int hvt_load(const struct mem *m, const struct hvt_elf *e,
	     const struct hvt_boot *b, struct boot_info *bi, char *err,
	     size_t errlen);

/* boot_info.cpu_setup for hvt: the ABI's entry state (long mode, CR0/CR4/
 * EFER, flat segments, RIP entry, RSP stack, RDI boot info) and the TSC
 * frequency written into the boot info. 0 or -errno. */
int hvt_cpu_setup(int vcpu_fd, const struct boot_info *bi,
		  const struct mem *m);

/* The arguments after the unikernel, joined by single spaces into buf
 * (HVT_CMDLINE_SIZE); -1 if longer than 8,191 characters. */
int hvt_cmdline(int argc, char *const argv[], char *buf, size_t len);

/* --- the host side of manifest entries, opened before the sandbox; each
 * returns 0, or -1 with one line in err. cli_hvt_disk.c and cli_hvt_tap.c
 * are linked only with their back end: the references are weak, NULL
 * when the file is not linked in. --- */

/* A disk image opened read-write; *size from its end. */
int hvt_disk_open(const char *path, int *fd, uint64_t *size, char *err,
		  size_t errlen) __attribute__((weak));
/* spec is IFACE (an existing interface: a tap queue is opened on it
 * through /dev/net/tun, which needs CAP_NET_ADMIN) or @FD (an open tap
 * fd an orchestrator passed). The fd is made non-blocking; *mtu read
 * from the interface. */
int hvt_tap_open(const char *spec, int *fd, uint16_t *mtu, char *err,
		 size_t errlen) __attribute__((weak));
/* xx:xx:xx:xx:xx:xx, hex digits; -1 if malformed. */
int hvt_mac_parse(const char *s, uint8_t mac[6]) __attribute__((weak));
/* Random, locally administered, unicast. */
void hvt_mac_random(uint8_t mac[6]) __attribute__((weak));

#endif
