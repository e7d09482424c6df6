/*
 * devices/testdev.c - the project's test and benchmark device, in the spirit
 * of kvm-unit-tests' test device.
 *
 * Port I/O, 8 bytes at `port`:
 *   +0 (4 bytes)  write: count one exit (the benchmark's hot path);
 *                 read: the count's low 32 bits
 *   +4            write: log "mark <value> t=<clock ns>" (boot timing)
 *   +5            write: drive the irq line: 0 low, 1 high, 2 pulse
 *   +8 (4 bytes)  write: a dirty-tracking command (below); read: its
 *                 status, 0 or -errno
 *   +12 (4 bytes) the command's argument (a page number), read/write
 *   +16 (4 bytes) the last query's bitmap (32 pages)
 *   other offsets read as all ones, writes are ignored
 * Dirty-tracking commands (tests/guests/dirty.c drives them), on the
 * device's MMIO2 region (`mmio2=GPA`, 32 tracked pages) and guest RAM:
 *   1 query MMIO2   2 reset MMIO2   3 map at GPA + arg pages   4 unmap
 *   5 tracking on   6 tracking off  7 host write to page arg
 *   8 RAM tracking on  9 off  10 query RAM pages [arg, arg+32)
 *   11 host write to RAM page arg
 * MMIO, 4 KiB at `mmio`: little-endian scratch memory for 1/2/4/8-byte
 * accesses, which must be naturally aligned (an unaligned read gives all
 * ones, an unaligned write is dropped; both are counted and logged). The
 * last 8 bytes (0xff8) read as the number of MMIO accesses so far, this one
 * included, and ignore writes. The 8 bytes before (0xff0) are a doorbell: a
 * 4-byte write at 0xff0 is caught by KVM (an ioeventfd) and never exits,
 * any other write there rings it too (by exit); reads give the rings so far.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "dev.h"

#define TESTDEV_PIO_LEN 20 /* up to debug_exit's 0xf4 */
#define TESTDEV_MMIO2_PAGES 32
#define TESTDEV_MMIO_LEN 4096u
#define TESTDEV_COUNT_OFF 0xff8u
#define TESTDEV_BELL_OFF 0xff0u
/* x86-64 guest-physical addresses have at most 52 bits. */
#define TESTDEV_MMIO_MAX ((1ull << 52) - TESTDEV_MMIO_LEN)

#define PIO_COUNTER 0
#define PIO_MARK 4
#define PIO_IRQ 5
#define PIO_CMD 8
#define PIO_ARG 12
#define PIO_RESULT 16

struct testdev {
	uint64_t writes; /* PIO counter writes */
	uint64_t mmio_accesses;
	uint64_t bells;      /* doorbell rings */
	uint64_t unaligned;
	uint64_t mmio_base;
	uint16_t port;
	bool has_irq;
	unsigned gsi;
	uint8_t scratch[TESTDEV_MMIO_LEN];
	int mmio2;          /* handle, -1 without mmio2= */
	uint64_t mmio2_gpa;
	uint32_t arg;
	int32_t status;
	uint64_t result;
};

static void testdev_irq(struct dev_ins *ins, struct testdev *t, uint64_t v)
{
	int rc;

	if (!t->has_irq) {
		ins->hlp->log(ins, DEV_LOG_WARN, "irq write ignored: no irq= "
			      "option was given");
		return;
	}
	if (v > DEV_IRQ_PULSE) {
		ins->hlp->log(ins, DEV_LOG_WARN, "irq write %" PRIu64 " is not "
			      "0 (low), 1 (high) or 2 (pulse)", v);
		return;
	}
	rc = ins->hlp->irq_set(ins, t->gsi, (enum dev_irq_level)v);
	if (rc < 0)
		ins->hlp->log(ins, DEV_LOG_WARN, "irq %u: error %d", t->gsi, rc);
}

static int testdev_mmio2_cmd(struct dev_ins *ins, struct testdev *t,
			     unsigned cmd)
{
	const struct dev_hlp *h = ins->hlp;
	uint64_t page = (uint64_t)t->arg * 4096;
	uint8_t mark = 0xaa;

	if (t->mmio2 < 0)
		return -ENODEV;
	switch (cmd) {
	case 1: return h->mmio2_query(ins, t->mmio2, &t->result,
				      sizeof(t->result));
	case 2: return h->mmio2_query(ins, t->mmio2, NULL, 0);
	case 3: return h->mmio2_map(ins, t->mmio2, t->mmio2_gpa + page);
	case 4: return h->mmio2_unmap(ins, t->mmio2);
	case 5: return h->mmio2_track(ins, t->mmio2, true);
	case 6: return h->mmio2_track(ins, t->mmio2, false);
	default: return h->mmio2_write(ins, t->mmio2, page, &mark, 1);
	}
}

static int testdev_ram_cmd(struct dev_ins *ins, struct testdev *t,
			   unsigned cmd)
{
	const struct dev_hlp_trusted *tr = ins->hlp->trusted;
	uint64_t gpa = (uint64_t)t->arg * 4096;
	uint8_t mark = 0x55;

	if (!tr)
		return -EPERM;
	switch (cmd) {
	case 8: return tr->ram_track(ins, true);
	case 9: return tr->ram_track(ins, false);
	case 10: return tr->ram_query(ins, gpa, 32 * 4096, &t->result,
				      sizeof(t->result));
	default: return ins->hlp->mem_write(ins, gpa, &mark, 1);
	}
}

static void testdev_cmd(struct dev_ins *ins, struct testdev *t, uint64_t cmd)
{
	t->result = 0;
	if (cmd >= 1 && cmd <= 7)
		t->status = testdev_mmio2_cmd(ins, t, (unsigned)cmd);
	else if (cmd >= 8 && cmd <= 11)
		t->status = testdev_ram_cmd(ins, t, (unsigned)cmd);
	else
		t->status = -EINVAL;
	ins->hlp->log(ins, DEV_LOG_DEBUG, "dirty command %" PRIu64 " arg %u: "
		      "status %d result 0x%" PRIx64, cmd, t->arg, t->status,
		      t->result);
}

static void testdev_pio_write(struct dev_ins *ins, void *opaque, uint64_t off,
			      unsigned size, uint64_t val)
{
	struct testdev *t = ins->priv;

	/* Hot path first: one compare and an increment per exit. */
	if (off == PIO_COUNTER) {
		t->writes++;
		return;
	}
	if (off == PIO_MARK)
		ins->hlp->log(ins, DEV_LOG_INFO, "mark %" PRIu64 " t=%" PRIu64,
			      val, ins->hlp->clock_ns(ins));
	else if (off == PIO_IRQ)
		testdev_irq(ins, t, val);
	else if (off == PIO_CMD && size == 4)
		testdev_cmd(ins, t, val);
	else if (off == PIO_ARG && size == 4)
		t->arg = (uint32_t)val;
}

static uint64_t testdev_pio_read(struct dev_ins *ins, void *opaque,
				 uint64_t off, unsigned size)
{
	const struct testdev *t = ins->priv;

	if (off == PIO_COUNTER)
		return (uint32_t)t->writes;
	if (size == 4 && off == PIO_CMD)
		return (uint32_t)t->status;
	if (size == 4 && off == PIO_ARG)
		return t->arg;
	if (size == 4 && off == PIO_RESULT)
		return (uint32_t)t->result;
	return off == PIO_MARK || off == PIO_IRQ ? 0 : ~0ull;
}

static const struct dev_io_ops testdev_pio = {
	.read = testdev_pio_read,
	.write = testdev_pio_write,
};

/* Sizes 1/2/4/8, naturally aligned, inside the page. */
static bool testdev_mmio_ok(struct dev_ins *ins, struct testdev *t,
			    uint64_t off, unsigned size)
{
	bool ok = (size == 1 || size == 2 || size == 4 || size == 8) &&
		  off < TESTDEV_MMIO_LEN && (off & (size - 1)) == 0;

	t->mmio_accesses++;
	if (!ok) {
		t->unaligned++;
		ins->hlp->log(ins, DEV_LOG_DEBUG, "unaligned %u-byte access at "
			      "+0x%" PRIx64 " dropped (%" PRIu64 " so far)",
			      size, off, t->unaligned);
	}
	return ok;
}

static uint64_t le_load(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t testdev_mmio_read(struct dev_ins *ins, void *opaque,
				  uint64_t off, unsigned size)
{
	struct testdev *t = ins->priv;
	uint8_t count[8];

	if (!testdev_mmio_ok(ins, t, off, size))
		return ~0ull;
	if (off < TESTDEV_BELL_OFF)
		return le_load(t->scratch + off, size);
	uint64_t v = off < TESTDEV_COUNT_OFF ? t->bells : t->mmio_accesses;
	for (unsigned i = 0; i < 8; i++)
		count[i] = (uint8_t)(v >> (8 * i));
	return le_load(count + (off & 7), size);
}

static void testdev_mmio_write(struct dev_ins *ins, void *opaque, uint64_t off,
			       unsigned size, uint64_t val)
{
	struct testdev *t = ins->priv;

	if (!testdev_mmio_ok(ins, t, off, size) || off >= TESTDEV_COUNT_OFF)
		return;
	if (off >= TESTDEV_BELL_OFF) {
		t->bells++;
		return;
	}
	for (unsigned i = 0; i < size; i++)
		t->scratch[off + i] = (uint8_t)(val >> (8 * i));
}

static const struct dev_io_ops testdev_mmio = {
	.read = testdev_mmio_read,
	.write = testdev_mmio_write,
};

/* The doorbell's writes, counted by KVM: none of them exited. */
static void testdev_bell(struct dev_ins *ins, void *opaque, uint64_t n)
{
	struct testdev *t = ins->priv;

	t->bells += n;
}

static void testdev_reset(struct dev_ins *ins)
{
	struct testdev *t = ins->priv;

	t->writes = t->mmio_accesses = t->unaligned = t->bells = 0;
	t->arg = 0;
	t->status = 0;
	t->result = 0;
	for (unsigned i = 0; i < TESTDEV_MMIO_LEN; i++)
		t->scratch[i] = 0;
	if (t->has_irq)
		ins->hlp->irq_set(ins, t->gsi, DEV_IRQ_LOW);
}

/* The MMIO2 region, tracked, mapped at its configured address. */
static int testdev_mmio2_setup(struct dev_ins *ins, struct testdev *t)
{
	const struct dev_hlp *h = ins->hlp;

	t->mmio2 = -1;
	if (h->cfg_u64(ins, "mmio2", &t->mmio2_gpa) < 0)
		return 0;
	int rc = h->mmio2_create(ins, TESTDEV_MMIO2_PAGES * 4096ull,
				 DEV_MMIO2_TRACK);
	if (rc < 0)
		return rc;
	t->mmio2 = rc;
	return h->mmio2_map(ins, t->mmio2, t->mmio2_gpa);
}

static int testdev_config(struct dev_ins *ins, struct testdev *t)
{
	uint64_t port = 0xe0, mmio = 0xd0000000ull, irq;

	ins->hlp->cfg_u64(ins, "port", &port);
	ins->hlp->cfg_u64(ins, "mmio", &mmio);
	t->has_irq = ins->hlp->cfg_u64(ins, "irq", &irq) == 0;
	/* A page-aligned window keeps "naturally aligned" the same whether
	 * counted from the page or from address 0. */
	if (port > 0x10000 - TESTDEV_PIO_LEN ||
	    (mmio & (TESTDEV_MMIO_LEN - 1)) ||
	    mmio > TESTDEV_MMIO_MAX ||
	    (t->has_irq && irq > UINT32_MAX)) {
		ins->hlp->log(ins, DEV_LOG_ERR, "port 0x%" PRIx64 ", mmio 0x%"
			      PRIx64 " (must be 4 KiB aligned) or irq invalid",
			      port, mmio);
		return -EINVAL;
	}
	t->port = (uint16_t)port;
	t->mmio_base = mmio;
	t->gsi = t->has_irq ? (unsigned)irq : 0;
	return 0;
}

static int testdev_construct(struct dev_ins *ins)
{
	struct testdev *t = ins->priv;
	const struct dev_hlp *h = ins->hlp;
	int rc = testdev_config(ins, t);

	if (rc < 0)
		return rc;
	rc = h->io_register(ins, DEV_SPACE_PIO, t->port, TESTDEV_PIO_LEN,
			    &testdev_pio, NULL);
	if (rc == 0)
		rc = h->io_register(ins, DEV_SPACE_MMIO, t->mmio_base,
				    TESTDEV_MMIO_LEN, &testdev_mmio, NULL);
	if (rc == 0)
		rc = h->ioevent_register(ins, DEV_SPACE_MMIO,
					 t->mmio_base + TESTDEV_BELL_OFF, 4,
					 testdev_bell, NULL);
	if (rc == 0 && t->has_irq)
		rc = h->irq_claim(ins, t->gsi);
	if (rc == 0)
		rc = testdev_mmio2_setup(ins, t);
	if (rc < 0)
		h->log(ins, DEV_LOG_ERR, "port 0x%x, mmio 0x%" PRIx64 " or irq %u "
		       "unavailable (error %d)", t->port, t->mmio_base, t->gsi,
		       rc);
	return rc;
}

static const struct dev_opt testdev_opts[] = {
	{ .key = "port", .type = DEV_OPT_U64, .min = 0,
	  .max = 0x10000 - TESTDEV_PIO_LEN,
	  .help = "base of the 8 I/O ports (default 0xe0)" },
	{ .key = "mmio", .type = DEV_OPT_U64, .min = 0,
	  .max = TESTDEV_MMIO_MAX,
	  .help = "4 KiB-aligned base of the scratch page (default 0xd0000000)" },
	{ .key = "mmio2", .type = DEV_OPT_U64, .min = 0,
	  .max = TESTDEV_MMIO_MAX - 0x100000,
	  .help = "page-aligned address of a 128 KiB dirty-tracked MMIO2 "
		  "region (default: none)" },
	{ .key = "irq", .type = DEV_OPT_U64, .min = 0, .max = 23,
	  .help = "interrupt line driven through port+5 (default: none)" },
};

static const struct dev_ops testdev_ops = {
	.construct = testdev_construct,
	.reset = testdev_reset,
};

const struct dev_reg dev_reg_testdev = {
	.name = "testdev",
	.desc = "test/benchmark device: exit counter, marks, irq, MMIO scratch",
	.cls = DEV_CLASS_MISC,
	.flags = DEV_F_TRUSTABLE,
	.max_instances = 1,
	.instance_size = sizeof(struct testdev),
	.opts = testdev_opts,
	.n_opts = sizeof(testdev_opts) / sizeof(testdev_opts[0]),
	.ops = &testdev_ops,
};
