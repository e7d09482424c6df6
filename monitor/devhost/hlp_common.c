/*
 * monitor/devhost/hlp_common.c - the helper members every host shares (see
 * hlp_common.h): config lookups, and MMIO2 regions as mem/ keeps them on
 * the map the host names (hlp_host_map); mem/ checks the caller owns the
 * region.
 */
#include <stdio.h>

#include "devhost/hlp_common.h"
#include "hlp_check.h"

int hlp_cfg_u64(struct dev_ins *ins, const char *key, uint64_t *out)
{
	return dev_cfg_get_u64(ins, key, out);
}

int hlp_cfg_str(struct dev_ins *ins, const char *key, const char **out)
{
	return dev_cfg_get_str(ins, key, out);
}

static struct mem *map_of(struct dev_ins *ins)
{
	bool constructed;

	return hlp_host_map(ins, &constructed);
}

int hlp_mmio2_create(struct dev_ins *ins, uint64_t size, uint32_t flags)
{
	char name[GMAP_NAME_LEN];
	bool constructed;
	struct mem *m = hlp_host_map(ins, &constructed);
	int rc = hlp_check_mmio2_create(flags, constructed);

	if (rc < 0)
		return rc;
	snprintf(name, sizeof(name), "%s MMIO2", ins->name);
	return mem_mmio2_create(m, ins, name, size, flags & DEV_MMIO2_TRACK ?
							    MEM_MMIO2_F_TRACK : 0);
}

int hlp_mmio2_unmap(struct dev_ins *ins, int h)
{
	return mem_mmio2_unmap(map_of(ins), ins, h);
}

int hlp_mmio2_track(struct dev_ins *ins, int h, bool on)
{
	return mem_mmio2_track(map_of(ins), ins, h, on);
}

int hlp_mmio2_query(struct dev_ins *ins, int h, uint64_t *bitmap,
		    size_t bytes)
{
	return mem_mmio2_query(map_of(ins), ins, h, bitmap, bytes);
}

int hlp_mmio2_read(struct dev_ins *ins, int h, uint64_t off, void *buf,
		   size_t len)
{
	return mem_mmio2_read(map_of(ins), ins, h, off, buf, len);
}

int hlp_mmio2_write(struct dev_ins *ins, int h, uint64_t off,
		    const void *buf, size_t len)
{
	return mem_mmio2_write(map_of(ins), ins, h, off, buf, len);
}
