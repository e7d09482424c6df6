/*
 * monitor/core/iobus.h - the port-I/O address space: non-overlapping ranges
 * kept sorted, each owned by one device instance, found by binary search
 * (O(log n)) on every exit. MMIO lives in mem/'s guest-physical map.
 *
 * Ranges change only while the VM is being built (before vCPUs run); the
 * lookup takes no lock.
 */
#ifndef WISP_IOBUS_H
#define WISP_IOBUS_H

#include <stddef.h>
#include <stdint.h>

#include "dev.h"

struct iobus_range {
	uint64_t base;
	uint64_t len;
	struct dev_ins *owner;
	const struct dev_io_ops *ops;
	void *opaque;
};

struct iobus {
	const char *name; /* "port" or "MMIO", for messages */
	uint64_t limit;   /* exclusive end of the space */
	struct iobus_range *r;
	size_t n, cap;
};

void iobus_init(struct iobus *b, const char *name, uint64_t limit);
void iobus_free(struct iobus *b);

/* Insert [base, base+len): -EINVAL for len 0, overflow or past the limit,
 * -EEXIST on overlap (*clash gets the owner in the way), -ENOMEM. */
int iobus_insert(struct iobus *b, const struct iobus_range *nr,
		 struct dev_ins **clash);

/* Remove the range starting at base; -ENOENT if none, -EPERM if it is not
 * owned by `owner`. */
int iobus_remove(struct iobus *b, uint64_t base, const struct dev_ins *owner);

/* The range wholly containing [addr, addr+size), or NULL. */
const struct iobus_range *iobus_find(const struct iobus *b, uint64_t addr,
				     unsigned size);

#endif
