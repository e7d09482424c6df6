/*
 * devices/pvpanic.c - QEMU's ISA pvpanic device (port 0x505). Linux's
 * pvpanic driver finds it through ACPI (_HID QEMU0001), reads the events
 * the device supports and writes one of them: PANICKED from its panic
 * notifier, CRASH_LOADED when a kdump kernel takes over after a crash.
 *
 * PANICKED ends the VM through the trusted vm_panic: wisp's own exit
 * status (68) and one line, so an orchestrator can tell a kernel panic
 * from any status a guest writes. CRASH_LOADED is logged and the VM goes
 * on, as in QEMU: the crash kernel runs next. Unknown bits are logged and
 * otherwise ignored (QEMU does the same).
 */
#include <errno.h>
#include <stdint.h>

#include "dev.h"

#define PVPANIC_PANICKED (1u << 0)
#define PVPANIC_CRASH_LOADED (1u << 1)
#define PVPANIC_EVENTS (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

struct pvpanic {
	uint16_t port;
};

/* The driver masks its events with this: only these will be written. */
static uint64_t pvpanic_read(struct dev_ins *ins, void *opaque, uint64_t off,
			     unsigned size)
{
	return PVPANIC_EVENTS;
}

static void pvpanic_write(struct dev_ins *ins, void *opaque, uint64_t off,
			  unsigned size, uint64_t val)
{
	if (val & ~(uint64_t)PVPANIC_EVENTS)
		ins->hlp->log(ins, DEV_LOG_WARN, "unknown event bits 0x%llx",
			      (unsigned long long)(val & ~(uint64_t)PVPANIC_EVENTS));
	if (val & PVPANIC_PANICKED)
		ins->hlp->trusted->vm_panic(ins);
	else if (val & PVPANIC_CRASH_LOADED)
		ins->hlp->log(ins, DEV_LOG_WARN, "the guest kernel crashed; "
			      "its crash kernel is loaded and runs next");
}

static const struct dev_io_ops pvpanic_io = {
	.read = pvpanic_read,
	.write = pvpanic_write,
};

static void pvpanic_reset(struct dev_ins *ins)
{
	/* Stateless: nothing to restore. */
}

static int pvpanic_construct(struct dev_ins *ins)
{
	struct pvpanic *p = ins->priv;
	uint64_t port = 0x505;
	int rc;

	if (!ins->hlp->trusted) {
		ins->hlp->log(ins, DEV_LOG_ERR, "needs the trusted helper table "
			      "to end the VM on a panic; the profile does not "
			      "trust it");
		return -EPERM;
	}
	if (ins->hlp->cfg_u64(ins, "port", &port) == 0 && port > 0xffff)
		return -EINVAL; /* the schema bounds it; never wrap */
	p->port = (uint16_t)port;
	rc = ins->hlp->io_register(ins, DEV_SPACE_PIO, p->port, 1, &pvpanic_io,
				   NULL);
	if (rc < 0)
		ins->hlp->log(ins, DEV_LOG_ERR, "port 0x%x is taken (error %d); "
			      "choose another with port=", p->port, rc);
	return rc;
}

static const struct dev_opt pvpanic_opts[] = {
	{ .key = "port", .type = DEV_OPT_U64, .min = 0, .max = 0xffff,
	  .help = "I/O port of the event register (default 0x505)" },
};

static const struct dev_ops pvpanic_ops = {
	.construct = pvpanic_construct,
	.reset = pvpanic_reset,
};

const struct dev_reg dev_reg_pvpanic = {
	.name = "pvpanic",
	.desc = "QEMU pvpanic (ISA): a guest kernel panic ends the VM (exit 68)",
	.cls = DEV_CLASS_PLATFORM,
	.flags = DEV_F_TRUSTABLE | DEV_F_NEEDS_TRUST,
	.max_instances = 1,
	.instance_size = sizeof(struct pvpanic),
	.opts = pvpanic_opts,
	.n_opts = sizeof(pvpanic_opts) / sizeof(pvpanic_opts[0]),
	.ops = &pvpanic_ops,
};
