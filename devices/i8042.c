/*
 * devices/i8042.c - the PC keyboard controller, reduced to what a guest
 * needs with no keyboard or mouse attached: Linux's i8042 probe (status,
 * self-tests, command byte, port enable/disable, AUX loop) and the classic
 * reset paths (command 0xFE, or an output-port write with bit 0 clear),
 * which end the VM through the trusted vm_reset.
 *
 * Commands execute at once, so the input buffer is never full (IBF stays 0).
 * A byte for the absent keyboard or mouse sets the timeout bit.
 */
#include <errno.h>
#include <stdint.h>

#include "dev.h"

#define I8042_DATA 0x60
#define I8042_CMD 0x64

#define STS_OBF 0x01     /* output buffer full */
#define STS_SYS 0x04     /* system flag: passed self-test */
#define STS_CMD 0x08     /* last write was to the command port */
#define STS_UNLOCK 0x10  /* keyboard not inhibited */
#define STS_AUXOBF 0x20  /* output buffer holds mouse data */
#define STS_TIMEOUT 0x40 /* no device answered */

#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20

#define OUT_RESET 0x01 /* active low: 0 holds the CPU in reset */
#define OUT_A20 0x02

#define CMD_RAM_READ 0x20  /* 0x20..0x3f: read controller RAM byte n */
#define CMD_RAM_WRITE 0x60 /* 0x60..0x7f: write controller RAM byte n */
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE 0xa8
#define CMD_AUX_TEST 0xa9
#define CMD_SELF_TEST 0xaa
#define CMD_KBD_TEST 0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE 0xae
#define CMD_OUT_READ 0xd0
#define CMD_OUT_WRITE 0xd1
#define CMD_KBD_LOOP 0xd2
#define CMD_AUX_LOOP 0xd3
#define CMD_AUX_SEND 0xd4
#define CMD_PULSE 0xf0 /* 0xf0..0xff: pulse output lines whose bit is 0 */

#define I8042_RAM 32 /* byte 0 is the command byte (CTR) */

struct i8042 {
	uint8_t status;
	uint8_t ram[I8042_RAM];
	uint8_t outport;
	uint8_t out;     /* output buffer; valid while STS_OBF */
	uint8_t pending; /* command waiting for its data byte, or 0 */
};

/* Values a BIOS would leave: interrupts on, translation on, self-test
 * passed; reset line inactive, A20 enabled. */
static void i8042_reset(struct dev_ins *ins)
{
	struct i8042 *k = ins->priv;

	for (unsigned i = 0; i < I8042_RAM; i++)
		k->ram[i] = 0;
	k->ram[0] = 0x47;
	k->status = STS_SYS | STS_UNLOCK;
	k->outport = OUT_RESET | OUT_A20;
	k->out = 0;
	k->pending = 0;
}

static void i8042_output(struct i8042 *k, uint8_t v, bool aux)
{
	k->out = v;
	k->status |= STS_OBF;
	if (aux)
		k->status |= STS_AUXOBF;
	else
		k->status &= (uint8_t)~STS_AUXOBF;
}

static void i8042_request_reset(struct dev_ins *ins, const char *how,
				uint8_t v)
{
	const struct dev_hlp_trusted *t = ins->hlp->trusted;

	ins->hlp->log(ins, DEV_LOG_INFO, "guest reset: %s 0x%02x", how, v);
	/* construct refused to run without the table; this is belt and braces */
	if (t && t->vm_reset)
		t->vm_reset(ins);
}

/* Command byte writes also move the status SYS flag, as on hardware. */
static void i8042_write_ram(struct i8042 *k, unsigned idx, uint8_t v)
{
	k->ram[idx % I8042_RAM] = v;
	if (idx % I8042_RAM == 0)
		k->status = (uint8_t)((k->status & ~STS_SYS) | (v & CTR_SYS));
}

static void i8042_data_for(struct dev_ins *ins, struct i8042 *k, uint8_t cmd,
			   uint8_t v)
{
	if (cmd >= CMD_RAM_WRITE && cmd < CMD_RAM_WRITE + I8042_RAM) {
		i8042_write_ram(k, cmd - CMD_RAM_WRITE, v);
		return;
	}
	switch (cmd) {
	case CMD_OUT_WRITE:
		k->outport = v;
		if (!(v & OUT_RESET))
			i8042_request_reset(ins, "output port", v);
		break;
	case CMD_KBD_LOOP: i8042_output(k, v, false); break;
	case CMD_AUX_LOOP: i8042_output(k, v, true); break;
	default: k->status |= STS_TIMEOUT; break; /* 0xd4: no mouse */
	}
}

static void i8042_write_data(struct dev_ins *ins, struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	k->status &= (uint8_t)~STS_CMD;
	if (cmd)
		i8042_data_for(ins, k, cmd, v);
	else
		k->status |= STS_TIMEOUT; /* a byte for the absent keyboard */
}

/* Commands that answer with one byte; false if cmd is not one of them. */
static bool i8042_query(struct i8042 *k, uint8_t cmd)
{
	if (cmd >= CMD_RAM_READ && cmd < CMD_RAM_READ + I8042_RAM) {
		i8042_output(k, k->ram[cmd - CMD_RAM_READ], false);
		return true;
	}
	switch (cmd) {
	case CMD_SELF_TEST:
		k->status |= STS_SYS;
		i8042_output(k, 0x55, false);
		return true;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST: i8042_output(k, 0x00, false); return true;
	case CMD_OUT_READ: i8042_output(k, k->outport, false); return true;
	default: return false;
	}
}

static bool i8042_takes_data(uint8_t cmd)
{
	return (cmd >= CMD_RAM_WRITE && cmd < CMD_RAM_WRITE + I8042_RAM) ||
	       cmd == CMD_OUT_WRITE || cmd == CMD_KBD_LOOP ||
	       cmd == CMD_AUX_LOOP || cmd == CMD_AUX_SEND;
}

static void i8042_write_cmd(struct dev_ins *ins, struct i8042 *k, uint8_t cmd)
{
	k->pending = 0;
	k->status = (uint8_t)((k->status | STS_CMD) & ~STS_TIMEOUT);
	if (i8042_takes_data(cmd)) {
		k->pending = cmd;
		return;
	}
	if (i8042_query(k, cmd))
		return;
	switch (cmd) {
	case CMD_AUX_DISABLE: k->ram[0] |= CTR_AUXDIS; break;
	case CMD_AUX_ENABLE: k->ram[0] &= (uint8_t)~CTR_AUXDIS; break;
	case CMD_KBD_DISABLE: k->ram[0] |= CTR_KBDDIS; break;
	case CMD_KBD_ENABLE: k->ram[0] &= (uint8_t)~CTR_KBDDIS; break;
	default:
		if (cmd >= CMD_PULSE && !(cmd & OUT_RESET))
			i8042_request_reset(ins, "command", cmd);
		else if (cmd < CMD_PULSE)
			ins->hlp->log(ins, DEV_LOG_DEBUG,
				      "command 0x%02x ignored", cmd);
		break;
	}
}

/* Reading data empties the output buffer; an empty read repeats the last
 * byte, as the latch on hardware does. */
static uint8_t i8042_read_data(struct i8042 *k)
{
	k->status &= (uint8_t)~(STS_OBF | STS_AUXOBF | STS_TIMEOUT);
	return k->out;
}

/* Two one-byte ranges, so anything but a one-byte access at offset 0 is a
 * caller bug; it is refused rather than trusted. */
static uint64_t i8042_data_read(struct dev_ins *ins, void *opaque,
				uint64_t off, unsigned size)
{
	return off || size != 1 ? ~0ull : i8042_read_data(ins->priv);
}

static void i8042_data_write(struct dev_ins *ins, void *opaque, uint64_t off,
			     unsigned size, uint64_t val)
{
	if (!off && size == 1)
		i8042_write_data(ins, ins->priv, (uint8_t)val);
}

static uint64_t i8042_status_read(struct dev_ins *ins, void *opaque,
				  uint64_t off, unsigned size)
{
	const struct i8042 *k = ins->priv;

	return off || size != 1 ? ~0ull : k->status;
}

static void i8042_cmd_write(struct dev_ins *ins, void *opaque, uint64_t off,
			    unsigned size, uint64_t val)
{
	if (!off && size == 1)
		i8042_write_cmd(ins, ins->priv, (uint8_t)val);
}

static const struct dev_io_ops i8042_data_io = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

static const struct dev_io_ops i8042_cmd_io = {
	.read = i8042_status_read,
	.write = i8042_cmd_write,
};

static int i8042_construct(struct dev_ins *ins)
{
	const struct dev_hlp *h = ins->hlp;
	int rc;

	if (!h->trusted) {
		h->log(ins, DEV_LOG_ERR, "needs the trusted helper table to "
		       "reset the VM; the profile does not trust it");
		return -EPERM;
	}
	rc = h->io_register(ins, DEV_SPACE_PIO, I8042_DATA, 1, &i8042_data_io,
			    NULL);
	if (rc == 0)
		rc = h->io_register(ins, DEV_SPACE_PIO, I8042_CMD, 1,
				    &i8042_cmd_io, NULL);
	if (rc < 0) {
		h->log(ins, DEV_LOG_ERR, "ports 0x60/0x64 are taken (error %d)",
		       rc);
		return rc;
	}
	i8042_reset(ins);
	return 0;
}

static const struct dev_ops i8042_ops = {
	.construct = i8042_construct,
	.reset = i8042_reset,
};

const struct dev_reg dev_reg_i8042 = {
	.name = "i8042",
	.desc = "PC keyboard controller: probe and guest reset (no keyboard)",
	.cls = DEV_CLASS_PLATFORM,
	.flags = DEV_F_TRUSTABLE | DEV_F_NEEDS_TRUST,
	.max_instances = 1,
	.instance_size = sizeof(struct i8042),
	.opts = NULL,
	.n_opts = 0,
	.ops = &i8042_ops,
};
