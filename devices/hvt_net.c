/*
 * devices/hvt_net.c - the hvt device's network back end: NET_WRITE (0x506)
 * and NET_READ (0x507) over the tap devices the monitor attached, one per
 * NET_BASIC manifest entry (file key = manifest index = the guest's handle;
 * the taps are in the wait set POLL sleeps on). Linked only into monitors
 * whose unikernel has a NIC.
 *
 * A handle that is not an attached NIC gets EINVAL, so does a frame longer
 * than NET_FRAME_MAX. A bad pointer ends the VM. A failed or short write to
 * the tap, or a failed read, gets EUNSPEC; an empty tap gets AGAIN.
 */
#include <errno.h>

#include "hvt_dev.h"

#define NET_FRAME_MAX HVT_BUF_SIZE /* a tap frame is at most 64 KiB */

static int32_t net_write(struct dev_ins *ins, struct hvt_state *d,
			 const struct hvt_hc_net *a)
{
	if (!hvt_entry(d->cfg->mft, a->handle, MFT_DEV_NET_BASIC) ||
	    a->len > NET_FRAME_MAX)
		return HVT_R_EINVAL;
	if (!hvt_read(ins, d->cfg, a->data, d->buf, a->len,
		      "NET_WRITE: bad data pointer"))
		return -1;
	long n = ins->hlp->file_write(ins, (unsigned)a->handle, d->buf, a->len);
	if (n != (long)a->len) {
		ins->hlp->log(ins, DEV_LOG_WARN, "tap %u: write failed (%ld)",
			      (unsigned)a->handle, n);
		return HVT_R_EUNSPEC;
	}
	return HVT_R_OK;
}

static int32_t net_read(struct dev_ins *ins, struct hvt_state *d,
			struct hvt_hc_net *a)
{
	if (!hvt_entry(d->cfg->mft, a->handle, MFT_DEV_NET_BASIC))
		return HVT_R_EINVAL;
	if (!hvt_gpa_ok(d->cfg, a->data, a->len)) {
		hvt_fault(ins, "NET_READ: bad data pointer");
		return -1;
	}
	size_t room = a->len < NET_FRAME_MAX ? a->len : NET_FRAME_MAX;
	long n = ins->hlp->file_read(ins, (unsigned)a->handle, d->buf, room);
	if (n == 0 || n == -EAGAIN)
		return HVT_R_AGAIN;
	if (n < 0)
		return HVT_R_EUNSPEC;
	if (!hvt_write(ins, d->cfg, a->data, d->buf, (uint64_t)n,
		       "NET_READ: bad data pointer"))
		return -1;
	a->len = (uint64_t)n;
	return HVT_R_OK;
}

static void net_call(struct dev_ins *ins, struct hvt_state *d, uint64_t gpa,
		     bool write)
{
	struct hvt_hc_net a;

	if (!hvt_read(ins, d->cfg, gpa, &a, sizeof(a), "NET: bad argument "
		      "pointer"))
		return;
	a.ret = write ? net_write(ins, d, &a) : net_read(ins, d, &a);
	if (a.ret >= 0)
		hvt_write(ins, d->cfg, gpa, &a, sizeof(a), "NET: bad argument "
			  "pointer");
}

static void net_call_nr(struct dev_ins *ins, struct hvt_state *d,
			enum hvt_hc nr, uint64_t gpa)
{
	net_call(ins, d, gpa, nr == HVT_HC_NET_WRITE);
}

const struct hvt_backend hvt_backend_net = {
	.type = MFT_DEV_NET_BASIC,
	.first = HVT_HC_NET_WRITE,
	.call = net_call_nr,
};
