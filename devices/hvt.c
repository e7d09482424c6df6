/*
 * devices/hvt.c - the Solo5 hvt hypercalls: one device owning ports
 * [0x500, 0x50c) (hvt_dev.h says why). It answers WALLTIME (0x501), PUTS
 * (0x502), POLL (0x503) and HALT (0x508) itself and hands BLOCK_* and NET_*
 * to the back end linked in for that manifest type. Every argument struct
 * and buffer is checked against the guest-visible memory first; a bad
 * pointer, a port access that is not a 32-bit OUT, or a hypercall with no
 * back end ends the VM (vm_fault). Trusted: HALT powers the VM off with the
 * guest's status.
 */
#include <errno.h>
#include <stdio.h>

#include "hvt_dev.h"

#define HVT_PORTS 12 /* 0x500..0x50b: a 4-byte OUT to 0x508 ends at 0x50b */
#define PUTS_CHUNK 1024

static void hc_walltime(struct dev_ins *ins, const struct hvt_dev_cfg *c,
			uint64_t gpa)
{
	struct hvt_hc_walltime a = { .nsecs = ins->hlp->walltime_ns(ins) };

	hvt_write(ins, c, gpa, &a, sizeof(a), "WALLTIME: bad argument pointer");
}

/* Raw bytes to the console, in chunks; the loop is bounded by len, which
 * the pointer check bounds by guest memory. */
static void hc_puts(struct dev_ins *ins, const struct hvt_dev_cfg *c,
		    uint64_t gpa)
{
	struct hvt_hc_puts a;
	char buf[PUTS_CHUNK];

	if (!hvt_read(ins, c, gpa, &a, sizeof(a), "PUTS: bad argument pointer"))
		return;
	if (!hvt_gpa_ok(c, a.data, a.len)) {
		hvt_fault(ins, "PUTS: bad data pointer");
		return;
	}
	for (uint64_t off = 0; off < a.len; off += PUTS_CHUNK) {
		uint64_t n = a.len - off < PUTS_CHUNK ? a.len - off : PUTS_CHUNK;
		if (!hvt_read(ins, c, a.data + off, buf, n, "PUTS: bad data"))
			return;
		ins->hlp->chr_write(ins, buf, n);
	}
}

/* Sleep until a tap is readable (bit = manifest index) or the timeout. */
static void hc_poll(struct dev_ins *ins, const struct hvt_dev_cfg *c,
		    uint64_t gpa)
{
	struct hvt_hc_poll a;
	uint64_t ready = 0;

	if (!hvt_read(ins, c, gpa, &a, sizeof(a), "POLL: bad argument pointer"))
		return;
	int rc = ins->hlp->file_poll(ins, a.timeout_nsecs, &ready);
	if (rc < 0)
		ins->hlp->log(ins, DEV_LOG_WARN, "POLL: wait failed (%d)", rc);
	a.ready_set = ready;
	a.ret = __builtin_popcountll(ready);
	hvt_write(ins, c, gpa, &a, sizeof(a), "POLL: bad argument pointer");
}

static void hc_halt(struct dev_ins *ins, const struct hvt_dev_cfg *c,
		    uint64_t gpa)
{
	struct hvt_hc_halt a;

	if (!hvt_read(ins, c, gpa, &a, sizeof(a), "HALT: bad argument pointer"))
		return;
	if (a.cookie && !hvt_gpa_ok(c, a.cookie, HVT_HALT_COOKIE_MAX)) {
		hvt_fault(ins, "HALT: bad cookie pointer");
		return;
	}
	/* The process status is the low 8 bits, as solo5-hvt's main returns
	 * it: 255 for an abort (and for -1). */
	ins->hlp->trusted->vm_poweroff(ins, (int)((uint32_t)a.exit_status & 0xff));
}

/* The back ends linked in (weak references: NULL when not). */
static const struct hvt_backend *const hvt_backends[] = { &hvt_backend_block,
							  &hvt_backend_net };
#define N_BACKENDS (sizeof(hvt_backends) / sizeof(hvt_backends[0]))

/* The back end for nr, if linked in and the manifest declares its type. */
static const struct hvt_backend *backend_for(const struct hvt_dev_cfg *c,
					     enum hvt_hc nr)
{
	for (size_t i = 0; i < N_BACKENDS; i++) {
		const struct hvt_backend *b = hvt_backends[i];
		if (b && (nr == b->first || nr == b->first + 1) &&
		    hvt_has_type(c->mft, b->type))
			return b;
	}
	return NULL;
}

static int backends_construct(struct dev_ins *ins, struct hvt_state *s)
{
	for (size_t i = 0; i < N_BACKENDS; i++) {
		const struct hvt_backend *b = hvt_backends[i];
		int rc;
		if (b && b->construct && hvt_has_type(s->cfg->mft, b->type) &&
		    (rc = b->construct(ins, s)) < 0)
			return rc;
	}
	return 0;
}

static void hvt_call_nr(struct dev_ins *ins, struct hvt_state *s,
			enum hvt_hc nr, uint64_t gpa)
{
	const struct hvt_backend *b;
	char why[64];

	switch (nr) {
	case HVT_HC_WALLTIME: hc_walltime(ins, s->cfg, gpa); return;
	case HVT_HC_PUTS: hc_puts(ins, s->cfg, gpa); return;
	case HVT_HC_POLL: hc_poll(ins, s->cfg, gpa); return;
	case HVT_HC_HALT: hc_halt(ins, s->cfg, gpa); return;
	default: break;
	}
	if ((b = backend_for(s->cfg, nr)) != NULL) {
		b->call(ins, s, nr, gpa);
		return;
	}
	snprintf(why, sizeof(why), "hypercall %u is not available", (unsigned)nr);
	hvt_fault(ins, why);
}

static void hvt_out(struct dev_ins *ins, void *opaque, uint64_t off,
		    unsigned size, uint64_t val)
{
	/* Only a 32-bit OUT is a hypercall; the value is the argument
	 * struct's GPA, zero-extended (structs sit below 4 GiB). */
	if (size != 4 || off == 0 || off >= HVT_HC_MAX) {
		hvt_fault(ins, "hypercall port access that is not a 32-bit OUT "
			  "to 0x501-0x508");
		return;
	}
	hvt_call_nr(ins, ins->priv, (enum hvt_hc)off, (uint32_t)val);
}

static uint64_t hvt_in(struct dev_ins *ins, void *opaque, uint64_t off,
		       unsigned size)
{
	hvt_fault(ins, "IN from a hypercall port");
	return ~0ull;
}

static const struct dev_io_ops hvt_io = {
	.read = hvt_in,
	.write = hvt_out,
};

static int hvt_construct(struct dev_ins *ins)
{
	struct hvt_state *s = ins->priv;

	if (!ins->hlp->trusted)
		return -EPERM;
	s->cfg = hvt_cfg(ins);
	if (!s->cfg) {
		ins->hlp->log(ins, DEV_LOG_ERR, "no hvt unikernel is loaded");
		return -EINVAL;
	}
	int rc = ins->hlp->io_register(ins, DEV_SPACE_PIO, HVT_PIO_BASE,
				       HVT_PORTS, &hvt_io, NULL);
	return rc < 0 ? rc : backends_construct(ins, s);
}

static void hvt_reset(struct dev_ins *ins)
{
	/* Stateless between hypercalls. */
}

static const struct dev_ops hvt_ops = {
	.construct = hvt_construct,
	.reset = hvt_reset,
};

const struct dev_reg dev_reg_hvt = {
	.name = "hvt",
	.desc = "Solo5 hvt hypercalls (walltime, puts, poll, halt, block, net)",
	.cls = DEV_CLASS_SERIAL, /* it owns the console: PUTS writes to it */
	.flags = DEV_F_TRUSTABLE | DEV_F_NEEDS_TRUST | DEV_F_NO_SANDBOX,
	.max_instances = 1,
	.instance_size = sizeof(struct hvt_state),
	.ops = &hvt_ops,
};
