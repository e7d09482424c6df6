/*
 * devices/testbad.c - a deliberately misbehaving device, compiled only into
 * the `sandboxtest` profile, where it runs in its own process. It proves the
 * sandbox holds: on a guest command it breaks a rule and wisp must stop the
 * VM with WISP_EXIT_SANDBOX, naming the device and the cause, while the host
 * stays unchanged.
 *
 * Port `port` (default 0x500), 4 bytes; write a command:
 *   1  open(`path`, O_CREAT) - a syscall outside its policy (SIGSYS)
 *   2  raise interrupt line `foreign` (default 11), which it never claimed -
 *      a write outside what it owns, refused by wisp's proxy check
 *   3  store through a NULL pointer - a crash (SIGSEGV)
 *   4  spin forever inside the access - a hang past the request deadline
 *   5  pulse its own line `irq` (default 10) - allowed: the guest sees it
 * Reads return the number of commands seen. Never use it outside tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "dev.h"

#define TESTBAD_LEN 4

struct testbad {
	uint32_t seen;
	unsigned gsi, foreign;
	const char *path;
};

enum testbad_cmd { TB_SYSCALL = 1, TB_FOREIGN_IRQ, TB_CRASH, TB_HANG,
		   TB_OWN_IRQ };

static uint64_t testbad_read(struct dev_ins *ins, void *opaque, uint64_t off,
			     unsigned size)
{
	return ((struct testbad *)ins->priv)->seen;
}

static void testbad_write(struct dev_ins *ins, void *opaque, uint64_t off,
			  unsigned size, uint64_t val)
{
	struct testbad *t = ins->priv;

	t->seen++;
	switch ((enum testbad_cmd)val) {
	case TB_SYSCALL: {
		/* Reaching around the helper table, on purpose. */
		int fd = open(t->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		break;
	}
	case TB_FOREIGN_IRQ:
		ins->hlp->irq_set(ins, t->foreign, DEV_IRQ_HIGH);
		break;
	case TB_CRASH:
		*(volatile uint32_t *)(uintptr_t)off = 1; /* off is 0 */
		break;
	case TB_HANG:
		for (volatile uint64_t n = 0;; n++)
			;
	case TB_OWN_IRQ:
		ins->hlp->irq_set(ins, t->gsi, DEV_IRQ_PULSE);
		break;
	}
}

static const struct dev_io_ops testbad_io = {
	.read = testbad_read,
	.write = testbad_write,
};

static void testbad_reset(struct dev_ins *ins)
{
	((struct testbad *)ins->priv)->seen = 0;
}

static int testbad_construct(struct dev_ins *ins)
{
	struct testbad *t = ins->priv;
	uint64_t port = 0x500, irq = 10, foreign = 11;
	int rc;

	ins->hlp->cfg_u64(ins, "port", &port);
	ins->hlp->cfg_u64(ins, "irq", &irq);
	ins->hlp->cfg_u64(ins, "foreign", &foreign);
	if (ins->hlp->cfg_str(ins, "path", &t->path) < 0)
		t->path = "/tmp/wisp-testbad-canary";
	t->gsi = (unsigned)irq;
	t->foreign = (unsigned)foreign;
	rc = ins->hlp->irq_claim(ins, t->gsi);
	if (rc < 0)
		return rc;
	return ins->hlp->io_register(ins, DEV_SPACE_PIO, port, TESTBAD_LEN,
				     &testbad_io, NULL);
}

static const struct dev_opt testbad_opts[] = {
	{ .key = "port", .type = DEV_OPT_U64, .min = 0,
	  .max = 0x10000 - TESTBAD_LEN, .help = "command port (default 0x500)" },
	{ .key = "irq", .type = DEV_OPT_U64, .min = 0, .max = 23,
	  .help = "its own interrupt line (default 10)" },
	{ .key = "foreign", .type = DEV_OPT_U64, .min = 0, .max = 23,
	  .help = "a line it raises without owning it (default 11)" },
	{ .key = "path", .type = DEV_OPT_STR,
	  .help = "file command 1 tries to create" },
};

static const struct dev_ops testbad_ops = {
	.construct = testbad_construct,
	.reset = testbad_reset,
};

const struct dev_reg dev_reg_testbad = {
	.name = "testbad",
	.desc = "misbehaving test device (sandbox tests only)",
	.cls = DEV_CLASS_MISC,
	.flags = 0,
	.max_instances = 1,
	.instance_size = sizeof(struct testbad),
	.opts = testbad_opts,
	.n_opts = sizeof(testbad_opts) / sizeof(testbad_opts[0]),
	.ops = &testbad_ops,
};
