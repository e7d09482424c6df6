/*
 * devices/debug_exit.c - the test exit port, like QEMU's isa-debug-exit
 * (iosize=4): a guest writes its status and the VM stops with it.
 *
 * The value goes to vm_poweroff as written (capped at INT_MAX so it fits the
 * int); the monitor, not this device, decides what a status above 63 means.
 * Unlike QEMU there is no (v << 1) | 1 mangling: 0 means success.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>

#include "dev.h"

#define DEBUG_EXIT_LEN 4

struct debug_exit {
	uint16_t port;
};

static uint64_t debug_exit_read(struct dev_ins *ins, void *opaque,
				uint64_t off, unsigned size)
{
	return 0;
}

/* Any offset and size: a guest may write a byte, a word or a dword. */
static void debug_exit_write(struct dev_ins *ins, void *opaque, uint64_t off,
			     unsigned size, uint64_t val)
{
	int status = val > INT_MAX ? INT_MAX : (int)val;

	ins->hlp->log(ins, DEV_LOG_INFO, "guest wrote exit status %llu",
		      (unsigned long long)val);
	ins->hlp->trusted->vm_poweroff(ins, status);
}

static const struct dev_io_ops debug_exit_io = {
	.read = debug_exit_read,
	.write = debug_exit_write,
};

static void debug_exit_reset(struct dev_ins *ins)
{
	/* Stateless: nothing to restore. */
}

static int debug_exit_construct(struct dev_ins *ins)
{
	struct debug_exit *d = ins->priv;
	uint64_t port = 0xf4;
	int rc;

	if (!ins->hlp->trusted) {
		ins->hlp->log(ins, DEV_LOG_ERR, "needs the trusted helper table "
			      "to power the VM off; the profile does not trust it");
		return -EPERM;
	}
	if (ins->hlp->cfg_u64(ins, "port", &port) == 0 &&
	    port > 0x10000 - DEBUG_EXIT_LEN)
		return -EINVAL; /* the schema bounds it; never wrap */
	d->port = (uint16_t)port;
	rc = ins->hlp->io_register(ins, DEV_SPACE_PIO, d->port, DEBUG_EXIT_LEN,
				   &debug_exit_io, NULL);
	if (rc < 0)
		ins->hlp->log(ins, DEV_LOG_ERR, "ports 0x%x-0x%x are taken "
			      "(error %d); choose another with port=", d->port,
			      d->port + DEBUG_EXIT_LEN - 1, rc);
	return rc;
}

static const struct dev_opt debug_exit_opts[] = {
	{ .key = "port", .type = DEV_OPT_U64, .min = 0,
	  .max = 0x10000 - DEBUG_EXIT_LEN,
	  .help = "I/O port of the 4-byte exit register (default 0xf4)" },
};

static const struct dev_ops debug_exit_ops = {
	.construct = debug_exit_construct,
	.reset = debug_exit_reset,
};

const struct dev_reg dev_reg_debug_exit = {
	.name = "debug_exit",
	.desc = "test exit port: a write stops the VM with that status",
	.cls = DEV_CLASS_PLATFORM,
	.flags = DEV_F_TRUSTABLE | DEV_F_NEEDS_TRUST,
	.max_instances = 1,
	.instance_size = sizeof(struct debug_exit),
	.opts = debug_exit_opts,
	.n_opts = sizeof(debug_exit_opts) / sizeof(debug_exit_opts[0]),
	.ops = &debug_exit_ops,
};
