/*
 * devices/hvt_dev.h - the hvt device (hvt.c) and its back ends
 * (hvt_block.c, hvt_net.c, linked only when a profile lists them in
 * DEV_EXTRA): the data the monitor attaches (blob "hvt"), the instance
 * state they share, and the one guest-pointer check every hypercall
 * argument goes through.
 *
 * One device owns every hypercall port: the ports are adjacent and a
 * hypercall is a 4-byte OUT, so [0x500, 0x50c) is one range, and the
 * back ends are reached through weak references that are NULL when a
 * back end is not linked in (nm shows none of its symbols).
 *
 * A hypercall is a 32-bit OUT of its argument struct's GPA to its port. The
 * struct must lie below the guest-visible mem_size (the net ring above it
 * is not a valid argument), checked as (gpa, len) with overflow checks; a
 * bad pointer ends the VM through vm_fault (the ABI gives it no status).
 */
#ifndef WISP_HVT_DEV_H
#define WISP_HVT_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "dev.h"
#include "hvt_abi.h"

#define HVT_BLOB "hvt"

/* Attached by the monitor, read-only; mft is the host-completed manifest
 * (validated, attached entries filled in), not the guest's copy. */
struct hvt_dev_cfg {
	uint64_t mem_size;
	const struct mft *mft;
	uint64_t ring_gpa;  /* room for the net ring there, or 0 */
};

static inline const struct hvt_dev_cfg *hvt_cfg(struct dev_ins *ins)
{
	const void *p;
	size_t len;

	if (ins->hlp->cfg_blob(ins, HVT_BLOB, &p, &len) < 0 ||
	    len != sizeof(struct hvt_dev_cfg))
		return NULL;
	return p;
}

/* [gpa, gpa+len) strictly below mem_size, as Solo5 checks it. */
static inline bool hvt_gpa_ok(const struct hvt_dev_cfg *c, uint64_t gpa,
			      uint64_t len)
{
	uint64_t end;

	return gpa < c->mem_size && !__builtin_add_overflow(gpa, len, &end) &&
	       end < c->mem_size;
}

static inline void hvt_fault(struct dev_ins *ins, const char *why)
{
	ins->hlp->trusted->vm_fault(ins, why);
}

/* Copy a guest span in or out, or end the VM naming the call. */
static inline bool hvt_read(struct dev_ins *ins, const struct hvt_dev_cfg *c,
			    uint64_t gpa, void *buf, uint64_t len,
			    const char *what)
{
	if (hvt_gpa_ok(c, gpa, len) && ins->hlp->mem_read(ins, gpa, buf, len) == 0)
		return true;
	hvt_fault(ins, what);
	return false;
}

static inline bool hvt_write(struct dev_ins *ins, const struct hvt_dev_cfg *c,
			     uint64_t gpa, const void *buf, uint64_t len,
			     const char *what)
{
	if (hvt_gpa_ok(c, gpa, len) && ins->hlp->mem_write(ins, gpa, buf, len) == 0)
		return true;
	hvt_fault(ins, what);
	return false;
}

/* Whether the manifest declares an entry of this type. */
static inline bool hvt_has_type(const struct mft *m, uint32_t type)
{
	for (uint32_t i = 1; i < m->entries && i < MFT_MAX_ENTRIES; i++)
		if (m->e[i].type == type)
			return true;
	return false;
}

/* The entry for a guest handle if it has that type and is attached. */
static inline const struct mft_entry *hvt_entry(const struct mft *m,
						uint64_t handle, uint32_t type)
{
	if (handle == 0 || handle >= m->entries || handle >= MFT_MAX_ENTRIES ||
	    m->e[handle].type != type || !m->e[handle].attached)
		return NULL;
	return &m->e[handle];
}

#define HVT_BUF_SIZE 65536 /* bounce buffer: a tap frame, block chunks */

/* The net ring's worker state: touched only by the worker thread (after
 * construct), never by a hypercall, so it needs no lock. */
struct hvt_ring_state {
	uint64_t gpa;
	int bell;
	uint8_t buf[HVT_BUF_SIZE];
};

/* The hvt instance's memory (ins->priv). */
struct hvt_state {
	const struct hvt_dev_cfg *cfg;
	uint8_t buf[HVT_BUF_SIZE];
	struct hvt_ring_state ring;
};

/* A back end: the hypercalls of one manifest device type. */
struct hvt_backend {
	uint32_t type;      /* MFT_DEV_* */
	enum hvt_hc first;  /* it handles first and first + 1 */
	void (*call)(struct dev_ins *ins, struct hvt_state *s, enum hvt_hc nr,
		     uint64_t gpa);
	/* optional, from the device's construct: 0 or -errno */
	int (*construct)(struct dev_ins *ins, struct hvt_state *s);
};

extern const struct hvt_backend hvt_backend_block __attribute__((weak));
extern const struct hvt_backend hvt_backend_net __attribute__((weak));

#endif
