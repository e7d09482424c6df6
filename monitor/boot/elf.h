/*
 * monitor/boot/elf.h - the one ELF reader of the boot room (elf.c), shared
 * by the test-image, hvt and Linux PVH loaders; each keeps only its own
 * policy (which classes, segments and notes it accepts).
 *
 * It works on a file descriptor, never on an image in memory: headers are
 * pread into small buffers, segment contents straight into their
 * guest-RAM destination once the caller has checked the spans. Every
 * field is untrusted: elf_open checks the ident (magic, class, little
 * endian, EV_CURRENT), the header's version, type (ET_EXEC), machine (x86-64
 * for ELF64, i386 for ELF32), header sizes and that the program header
 * table lies inside the file. Each function writes one line into the err
 * buffer given to elf_open (no "wisp: " prefix) and returns -1 on failure.
 */
#ifndef WISP_ELF_H
#define WISP_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_WANT32 1u /* the classes a loader accepts (elf_open) */
#define ELF_WANT64 2u
#define ELF_NOTES_MAX 1024 /* notes walked per PT_NOTE segment */

struct elf {
	int fd;
	uint64_t size; /* the file's */
	bool is64;
	uint64_t entry, phoff;
	unsigned phnum; /* >= 1: elf_open refuses a file without any */
	char *err;
	size_t errlen;
};

/* A program header of either class, widened. */
struct elf_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* Read and check the ELF header of the file fd (size bytes; the caller
 * keeps fd open while it uses e). classes: ELF_WANT32 | ELF_WANT64. */
int elf_open(struct elf *e, int fd, uint64_t size, unsigned classes,
	     char *err, size_t errlen);

/* One line into e->err; returns -1. */
int elf_fail(const struct elf *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* [off, off+len) inside the file, overflow-checked. */
bool elf_span(const struct elf *e, uint64_t off, uint64_t len);

/* Program header i (< e->phnum) of the span-checked table. */
int elf_phdr(const struct elf *e, unsigned i, struct elf_phdr *ph);

/* len bytes at off into buf: refused outside the file or on a short read. */
int elf_read(const struct elf *e, uint64_t off, void *buf, uint64_t len);

/* A PT_LOAD's contents into dst (memsz bytes the caller checked): filesz
 * bytes from the file, the rest zeroed. Refuses filesz > memsz and a
 * segment outside the file. */
int elf_load(const struct elf *e, const struct elf_phdr *ph, void *dst);

/* The first note named `name` of `type` in PT_NOTE ph: 1 with its
 * descriptor's file offset and size (inside the segment), 0 if none
 * (fewer than 12 bytes left end the walk), -1 if the segment lies outside
 * the file, a note runs past it, or more than ELF_NOTES_MAX come first. */
int elf_note(const struct elf *e, const struct elf_phdr *ph, const char *name,
	     uint32_t type, uint64_t *off, uint32_t *len);

/* pread all of [off, off+len) of fd into buf (restarts short reads):
 * 0, or -1 at the end of the file or on an error (errno). Also the
 * bzImage's and the initrd's reader. */
int boot_pread(int fd, void *buf, uint64_t len, uint64_t off);

#endif
