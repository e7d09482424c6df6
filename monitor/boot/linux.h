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

#include "boot/loader.h"

enum linux_kind { LINUX_NONE, LINUX_BZIMAGE, LINUX_PVH };

struct linux_args {
	const char *cmdline; /* NUL-terminated, never NULL */
	const void *initrd;  /* NULL: none */
	size_t initrd_len;
	unsigned ncpus;      /* the MADT's local APICs */
};

/* What the image is, by content: a bzImage ("HdrS"), an x86-64 ELF with a
 * PVH entry note, or neither. Reads only inside [img, img+len). */
enum linux_kind linux_detect(const void *img, size_t len);

/* Check and load a Linux image into m and fill bi (BOOT_LINUX64 or
 * BOOT_PVH32). Returns 0, or -1 with one line in err (exit 65). */
int loader_linux_load(const struct mem *m, const void *img, size_t len,
		      const struct linux_args *a, struct boot_info *bi,
		      char *err, size_t errlen);

#endif
