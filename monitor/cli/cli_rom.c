/*
 * monitor/cli/cli_rom.c - `--rom PATH[,addr=GPA]`: a read-only image in the
 * guest-physical map (firmware, option ROMs, test data). Without addr= it
 * ends at 4 GiB, where x86 firmware lives. The guest can read and execute
 * it; its writes exit and are dropped (a read-only memslot), never killing
 * the VM and never changing the image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/exitcode.h"
#include "core/log.h"

/* Firmware-sized: the default slot below 4 GiB must stay inside the hole. */
#define ROM_MAX (16ull << 20)

static uint64_t rom_addr(const char *arg, const char *val)
{
	uint64_t gpa;

	if (dev_parse_u64(val, false, &gpa) < 0 || (gpa & 0xfff) ||
	    gpa >= (1ull << 46))
		die(WISP_EXIT_USAGE, "--rom %s: addr=%s is not a page-aligned "
		    "guest-physical address", arg, val);
	return gpa;
}

void cli_parse_rom(struct vm_config *cfg, const char *arg)
{
	const char *comma = strchr(arg, ',');
	struct cli_rom *r = &cfg->roms[cfg->n_roms];

	if (cfg->n_roms >= CLI_MAX_ROMS)
		die(WISP_EXIT_USAGE, "--rom: at most %d images", CLI_MAX_ROMS);
	*r = (struct cli_rom){ .path = arg };
	if (comma && strncmp(comma + 1, "addr=", 5))
		die(WISP_EXIT_USAGE, "--rom %s: unknown option '%s' (addr)", arg,
		    comma + 1);
	if (!*arg || arg == comma)
		die(WISP_EXIT_USAGE, "--rom %s: no image path", arg);
	if (comma) { /* checked before the copy, so a refusal leaks nothing */
		r->gpa = rom_addr(arg, comma + 6);
		r->path = strndup(arg, (size_t)(comma - arg));
		if (!r->path)
			die(WISP_EXIT_OSERR, "--rom %s: out of memory", arg);
		r->has_addr = true;
	}
	cfg->n_roms++;
}

static void rom_load_one(struct vm *vm, const struct cli_rom *r, unsigned i)
{
	char err[256] = "", name[16];
	size_t len;
	void *img = image_read(r->path, &len);

	if (!len || len > ROM_MAX)
		die(WISP_EXIT_IMAGE, "--rom %s: %zu bytes; a ROM image holds "
		    "1 byte to %llu MiB", r->path, len, ROM_MAX >> 20);
	uint64_t size = (len + 0xfff) & ~0xfffull;
	uint64_t gpa = r->has_addr ? r->gpa : MEM_HOLE_END - size;
	snprintf(name, sizeof(name), "rom%u", i);
	int rc = mem_rom_add(&vm->mem, gpa, img, len, name, err, sizeof(err));
	if (rc == -EEXIST || rc == -EINVAL)
		die(WISP_EXIT_USAGE, "--rom %s at 0x%llx: %s", r->path,
		    (unsigned long long)gpa,
		    *err ? err : "outside the guest-physical space");
	if (rc < 0)
		die(WISP_EXIT_OSERR, "--rom %s at 0x%llx: %s", r->path,
		    (unsigned long long)gpa, strerror(-rc));
	free(img);
}

void cli_load_roms(struct vm *vm)
{
	for (unsigned i = 0; i < vm->cfg->n_roms; i++)
		rom_load_one(vm, &vm->cfg->roms[i], i);
}
