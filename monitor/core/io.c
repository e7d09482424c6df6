/*
 * monitor/core/io.c - where a trapped access goes: the device range holding
 * it, ports from the port bus, MMIO from mem/'s guest-physical map. Exit
 * dispatch (kvm/) and the device host (devhost/) both look ranges up here.
 */
#include "core/vm.h"

bool io_find(struct vm *vm, enum dev_space space, uint64_t addr,
	     unsigned len, struct io_target *t)
{
	struct gmap_range g;

	if (space == DEV_SPACE_PIO) {
		const struct iobus_range *r = iobus_find(&vm->pio, addr, len);
		if (r)
			*t = (struct io_target){ r->owner, r->ops, r->opaque,
						 DEV_SPACE_PIO, r->base };
		return r != NULL;
	}
	if (space != DEV_SPACE_MMIO || !gmap_lookup(&vm->mem.map, addr, len, &g) ||
	    g.kind != GMAP_MMIO)
		return false;
	*t = (struct io_target){ (struct dev_ins *)g.owner, g.ops, g.opaque,
				 DEV_SPACE_MMIO, g.gpa };
	return true;
}
