/*
 * monitor/boot/linux.h - the Linux loader (loader_linux.c): a bzImage through the
 * x86 64-bit boot protocol, or a vmlinux through its PVH note, with its
 * command line and initrd. Guest-physical layout below 1 MiB: loader.h's GDT
 * and page tables, the zero page (or PVH start info, memory map and module
 * list) at 64 KiB, the command line at 128 KiB; e820: RAM to 0x9fc00, the
 * EBDA and BIOS areas reserved, RAM from 1 MiB to the 3 GiB hole and above
 * 4 GiB.
 */
#ifndef WISP_LINUX_H
#define WISP_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "boot/loader.h"

enum linux_kind { LINUX_NONE, LINUX_BZIMAGE, LINUX_PVH };

struct linux_args {
	const char *cmdline; /* NUL-terminated, never NULL */
	int initrd_fd;       /* -1: none; read from offset 0 */
	uint64_t initrd_len;
	unsigned ncpus;      /* the MADT's local APICs */
};

/* What the kernel file fd (len bytes) is, by content: a bzImage ("HdrS"),
 * an x86-64 ELF (elf.h's checks) with a PVH entry note, or neither. */
enum linux_kind linux_detect(int fd, uint64_t len);

/* Check and load the Linux kernel file fd (len bytes) into m, preading
 * its segments and the initrd straight into guest RAM (neither file is
 * held in wisp's memory), and fill bi (BOOT_LINUX64 or BOOT_PVH32).
 * Returns 0, or -1 with one line in err (exit 65). */
int loader_linux_load(const struct mem *m, int fd, uint64_t len,
		      const struct linux_args *a, struct boot_info *bi,
		      char *err, size_t errlen);

#endif
