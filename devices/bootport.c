/*
 * devices/bootport.c - the boot-time debug port 0x80 (the PC's POST code
 * port), as Cloud Hypervisor offers it: each byte a guest writes is logged
 * with the time since wisp started, so a boot can be timed from inside
 * (a guest writes a code at each milestone).
 *
 * Linux also writes this port for I/O delays (io_delay), possibly a great
 * many times: a write costs one clock read and one call to the helper
 * table's log, whose ratelimit decides whether a line is printed (and
 * counts the ones it drops), so a flood of writes costs lines per second,
 * never a line per write. Reads give the last byte written (0xff before
 * the first, like an empty ISA bus).
 */
#include <errno.h>
#include <stdint.h>

#include "dev.h"

#define BOOTPORT_NONE 0xff
#define BOOTPORT_BOOTED 0x01 /* the guest's userspace started (tests/linux/init
			      * writes it first thing): `guest-boot` */

struct bootport {
	uint16_t port;
	uint8_t last;
};

static uint64_t bootport_read(struct dev_ins *ins, void *opaque, uint64_t off,
			      unsigned size)
{
	const struct bootport *b = ins->priv;

	return b->last;
}

/* Only the low byte: the port is one byte wide (a wider access would not
 * be ours, it runs past the port). */
static void bootport_write(struct dev_ins *ins, void *opaque, uint64_t off,
			   unsigned size, uint64_t val)
{
	struct bootport *b = ins->priv;
	uint64_t ms = ins->hlp->uptime_ns(ins) / 1000000u;

	b->last = (uint8_t)val;
	if (b->last == BOOTPORT_BOOTED)
		ins->hlp->guest_booted(ins);
	ins->hlp->log(ins, DEV_LOG_INFO, "code 0x%02x at %llu ms", b->last,
		      (unsigned long long)ms);
}

static const struct dev_io_ops bootport_io = {
	.read = bootport_read,
	.write = bootport_write,
};

static void bootport_reset(struct dev_ins *ins)
{
	struct bootport *b = ins->priv;

	b->last = BOOTPORT_NONE;
}

static int bootport_construct(struct dev_ins *ins)
{
	struct bootport *b = ins->priv;
	uint64_t port = 0x80;
	int rc;

	if (ins->hlp->cfg_u64(ins, "port", &port) == 0 && port > 0xffff)
		return -EINVAL; /* the schema bounds it; never wrap */
	b->port = (uint16_t)port;
	bootport_reset(ins);
	rc = ins->hlp->io_register(ins, DEV_SPACE_PIO, b->port, 1, &bootport_io,
				   NULL);
	if (rc < 0)
		ins->hlp->log(ins, DEV_LOG_ERR, "port 0x%x is taken (error %d); "
			      "choose another with port=", b->port, rc);
	return rc;
}

static const struct dev_opt bootport_opts[] = {
	{ .key = "port", .type = DEV_OPT_U64, .min = 0, .max = 0xffff,
	  .help = "I/O port of the debug port (default 0x80)" },
};

static const struct dev_ops bootport_ops = {
	.construct = bootport_construct,
	.reset = bootport_reset,
};

const struct dev_reg dev_reg_bootport = {
	.name = "bootport",
	.desc = "boot debug port 0x80: each byte logged with ms since start",
	.cls = DEV_CLASS_PLATFORM,
	.flags = 0,
	.max_instances = 1,
	.instance_size = sizeof(struct bootport),
	.opts = bootport_opts,
	.n_opts = sizeof(bootport_opts) / sizeof(bootport_opts[0]),
	.ops = &bootport_ops,
};
