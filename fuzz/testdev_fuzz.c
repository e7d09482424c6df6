/*
 * fuzz/testdev_fuzz.c - libFuzzer target for the test device, checked
 * against a model: a mirror of the scratch page, the access, write and
 * doorbell counters, and the irq line.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlp.h"
#include "testdev.c"

#define FUZZ_TESTDEV_PORT 0xe0
#define FUZZ_TESTDEV_MMIO 0xd0000000ull
#define FUZZ_TESTDEV_IRQ 5

struct testdev_model {
	uint8_t scratch[TESTDEV_MMIO_LEN];
	uint64_t accesses, writes, bells;
	bool level;
	unsigned pulses;
};

static uint64_t mask_of(unsigned size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* The register an aligned MMIO byte at `o` belongs to. */
static uint8_t *model_byte(struct testdev_model *m, uint64_t o, uint8_t *bells,
			   uint8_t *count)
{
	if (o < TESTDEV_BELL_OFF)
		return &m->scratch[o];
	return o < TESTDEV_COUNT_OFF ? &bells[o - TESTDEV_BELL_OFF]
				     : &count[o - TESTDEV_COUNT_OFF];
}

/* A 4-byte write at the doorbell never reaches the device (the host's
 * ioeventfd takes it); any other write in the doorbell's 8 bytes rings
 * it by exit. Counters are read as they are after this access. */
static uint64_t model_mmio(struct testdev_model *m, const struct fuzz_op *op)
{
	uint64_t off = op->addr - FUZZ_TESTDEV_MMIO, v = 0;
	bool wr = op->kind == FUZZ_OP_MMIO_W;
	uint8_t count[8], bells[8];

	if (wr && off == TESTDEV_BELL_OFF && op->size == 4) {
		m->bells++;
		return 0;
	}
	m->accesses++;
	if (off & (op->size - 1))
		return mask_of(op->size);
	m->bells += wr && off >= TESTDEV_BELL_OFF && off < TESTDEV_COUNT_OFF;
	memcpy(count, &m->accesses, 8); /* x86: little-endian */
	memcpy(bells, &m->bells, 8);
	for (unsigned i = 0; i < op->size; i++) {
		uint8_t *b = model_byte(m, off + i, bells, count);
		if (wr && off < TESTDEV_BELL_OFF)
			*b = (uint8_t)(op->val >> (8 * i));
		v |= (uint64_t)*b << (8 * i);
	}
	return v;
}

static void model_pio(struct testdev_model *m, const struct fuzz_op *op)
{
	uint64_t off = op->addr - FUZZ_TESTDEV_PORT;
	bool wr = op->kind == FUZZ_OP_PIO_W;

	if (off == PIO_COUNTER && wr)
		m->writes++;
	if (off == PIO_COUNTER && !wr &&
	    op->val != ((uint32_t)m->writes & mask_of(op->size)))
		fuzz_fail("counter read 0x%llx, expected 0x%llx",
			  (unsigned long long)op->val,
			  (unsigned long long)m->writes);
	if (off == PIO_IRQ && wr && op->val <= DEV_IRQ_PULSE) {
		m->level = op->val == DEV_IRQ_HIGH;
		m->pulses += op->val == DEV_IRQ_PULSE;
	}
}

static void testdev_check(struct fuzz_host *h, struct dev_ins *ins,
			  const struct fuzz_op *op, void *ctx)
{
	struct testdev_model *m = ctx;
	const struct testdev *t = ins->priv;
	const struct fuzz_irq *q = &h->irqs[FUZZ_TESTDEV_IRQ];

	if (op->kind == FUZZ_OP_RESET)
		*m = (struct testdev_model){ .pulses = m->pulses };
	if (op->rc == 0 && op->space == DEV_SPACE_MMIO) {
		uint64_t want = model_mmio(m, op);
		if (op->kind == FUZZ_OP_MMIO_R && op->val != want)
			fuzz_fail("MMIO read +0x%llx/%u gave 0x%llx, want 0x%llx",
				  (unsigned long long)(op->addr - FUZZ_TESTDEV_MMIO),
				  op->size, (unsigned long long)op->val,
				  (unsigned long long)want);
	}
	if (op->rc == 0 && op->space == DEV_SPACE_PIO)
		model_pio(m, op);
	if (t->writes != m->writes || t->mmio_accesses != m->accesses ||
	    t->bells != m->bells)
		fuzz_fail("counters %llu/%llu/%llu, model %llu/%llu/%llu",
			  (unsigned long long)t->writes,
			  (unsigned long long)t->mmio_accesses,
			  (unsigned long long)t->bells,
			  (unsigned long long)m->writes,
			  (unsigned long long)m->accesses,
			  (unsigned long long)m->bells);
	if (q->level != m->level || q->pulses != m->pulses)
		fuzz_fail("irq level %d pulses %u, model %d %u", q->level,
			  q->pulses, m->level, m->pulses);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	static struct testdev_model m;
	struct dev_ins *ins;
	const struct fuzz_target t = {
		.pio_base = FUZZ_TESTDEV_PORT, .pio_span = TESTDEV_PIO_LEN,
		.mmio_base = FUZZ_TESTDEV_MMIO, .mmio_span = TESTDEV_MMIO_LEN,
		.check = testdev_check, .ctx = &m,
	};

	memset(&m, 0, sizeof(m));
	fuzz_host_init(&h);
	if (fuzz_dev_create(&h, &dev_reg_testdev, false, "testdev,irq=5",
			    &ins) < 0)
		fuzz_fail("testdev: %s", h.err);
	fuzz_run(&h, ins, &t, data, size);
	fuzz_host_fini(&h);
	return 0;
}
