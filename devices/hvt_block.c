/*
 * devices/hvt_block.c - the hvt device's block back end: BLOCK_WRITE
 * (0x504) and BLOCK_READ (0x505) over the disk images the monitor attached,
 * one per BLOCK_BASIC manifest entry (file key = manifest index = the
 * guest's handle). Linked only into monitors whose unikernel has a disk.
 *
 * A bad request gets EINVAL: a handle that is not an attached block entry,
 * an offset not a multiple of the block size, a length that is not a
 * non-zero multiple of it, or a span past the capacity (overflow-checked).
 * Solo5's own bindings only ever send one aligned block; wisp checks what
 * solo5-hvt leaves to them. A bad data pointer ends the VM; a failed or
 * short host I/O gets EUNSPEC (the guest never sees a partial result
 * reported as success).
 */
#include <errno.h>

#include "hvt_dev.h"

/* Devices see guest RAM by copy: chunks through the bounce buffer. */
#define BLOCK_CHUNK HVT_BUF_SIZE

static int32_t block_check(const struct mft *m, const struct hvt_hc_block *a)
{
	const struct mft_entry *e = hvt_entry(m, a->handle, MFT_DEV_BLOCK_BASIC);
	uint64_t end;

	if (!e || e->u.block_basic.block_size == 0)
		return HVT_R_EINVAL;
	uint64_t bs = e->u.block_basic.block_size;
	if (a->len == 0 || a->len % bs || a->offset % bs ||
	    __builtin_add_overflow(a->offset, a->len, &end) ||
	    a->offset >= e->u.block_basic.capacity ||
	    end > e->u.block_basic.capacity)
		return HVT_R_EINVAL;
	return HVT_R_OK;
}

/* One chunk between guest memory and the disk; false: stop (the VM is
 * ending or the host I/O failed, *ret says which). */
static bool block_chunk(struct dev_ins *ins, struct hvt_state *d,
			const struct hvt_hc_block *a, uint64_t off, size_t n,
			bool write, int32_t *ret)
{
	unsigned key = (unsigned)a->handle;
	long got;

	if (write) {
		if (!hvt_read(ins, d->cfg, a->data + off, d->buf, n,
			      "BLOCK_WRITE: bad data pointer"))
			return false;
		got = ins->hlp->file_pwrite(ins, key, d->buf, n, a->offset + off);
	} else {
		got = ins->hlp->file_pread(ins, key, d->buf, n, a->offset + off);
		if (got == (long)n &&
		    !hvt_write(ins, d->cfg, a->data + off, d->buf, n,
			       "BLOCK_READ: bad data pointer"))
			return false;
	}
	if (got != (long)n) {
		ins->hlp->log(ins, DEV_LOG_ERR, "disk %u: host %s failed (%ld)",
			      key, write ? "write" : "read", got);
		*ret = HVT_R_EUNSPEC;
		return false;
	}
	return true;
}

static int32_t block_io(struct dev_ins *ins, struct hvt_state *d,
			const struct hvt_hc_block *a, bool write)
{
	int32_t ret = block_check(d->cfg->mft, a);

	if (ret != HVT_R_OK)
		return ret;
	/* The whole span first: no partial transfer before a fault. */
	if (!hvt_gpa_ok(d->cfg, a->data, a->len)) {
		hvt_fault(ins, "BLOCK: bad data pointer");
		return -1;
	}
	for (uint64_t off = 0; off < a->len; off += BLOCK_CHUNK) {
		size_t n = a->len - off < BLOCK_CHUNK ? a->len - off : BLOCK_CHUNK;
		if (!block_chunk(ins, d, a, off, n, write, &ret))
			return ret == HVT_R_OK ? -1 : ret;
	}
	return HVT_R_OK;
}

static void block_call(struct dev_ins *ins, struct hvt_state *d,
		       enum hvt_hc nr, uint64_t gpa)
{
	struct hvt_hc_block a;

	if (!hvt_read(ins, d->cfg, gpa, &a, sizeof(a), "BLOCK: bad argument "
		      "pointer"))
		return;
	a.ret = block_io(ins, d, &a, nr == HVT_HC_BLOCK_WRITE);
	if (a.ret >= 0)
		hvt_write(ins, d->cfg, gpa, &a, sizeof(a), "BLOCK: bad argument "
			  "pointer");
}

const struct hvt_backend hvt_backend_block = {
	.type = MFT_DEV_BLOCK_BASIC,
	.first = HVT_HC_BLOCK_WRITE,
	.call = block_call,
};
