/*
 * fuzz/i8042_fuzz.c - libFuzzer target for the keyboard controller. A small
 * model of the reset paths predicts every vm_reset call; the device source
 * is included so its state can be checked too.
 */
#include <stdlib.h>

#include "fuzz_hlp.h"
#include "i8042.c"

struct i8042_model {
	uint8_t pending; /* command waiting for data, as the guest sent it */
	unsigned resets; /* vm_reset calls expected so far */
};

static void model_write(struct i8042_model *m, const struct fuzz_op *op)
{
	uint8_t v = (uint8_t)op->val;

	if (op->addr == I8042_CMD) {
		m->pending = i8042_takes_data(v) ? v : 0;
		m->resets += v >= CMD_PULSE && !(v & OUT_RESET);
	} else if (op->addr == I8042_DATA) {
		m->resets += m->pending == CMD_OUT_WRITE && !(v & OUT_RESET);
		m->pending = 0;
	}
}

static void i8042_check(struct fuzz_host *h, struct dev_ins *ins,
			const struct fuzz_op *op, void *ctx)
{
	struct i8042_model *m = ctx;
	const struct i8042 *k = ins->priv;

	if (op->kind == FUZZ_OP_RESET)
		m->pending = 0;
	if (op->kind == FUZZ_OP_PIO_W && op->rc == 0)
		model_write(m, op);
	if (op->rc == 0 && op->size != 1)
		fuzz_fail("a %u-byte access reached a 1-byte port", op->size);
	if (h->reset_calls != m->resets || h->poweroff_calls)
		fuzz_fail("vm_reset called %u times, expected %u (poweroff %u)",
			  h->reset_calls, m->resets, h->poweroff_calls);
	if (k->pending != m->pending)
		fuzz_fail("pending command 0x%02x, expected 0x%02x", k->pending,
			  m->pending);
	if (k->status & 0x02)
		fuzz_fail("IBF set: commands run at once");
	if ((k->status & STS_AUXOBF) && !(k->status & STS_OBF))
		fuzz_fail("status 0x%02x: AUX data without OBF", k->status);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	struct i8042_model m = { 0 };
	struct dev_ins *ins;
	const struct fuzz_target t = {
		.pio_base = I8042_DATA, .pio_span = 5, .check = i8042_check,
		.ctx = &m,
	};

	fuzz_host_init(&h);
	if (fuzz_dev_create(&h, &dev_reg_i8042, true, NULL, &ins) < 0)
		fuzz_fail("i8042: %s", h.err);
	fuzz_run(&h, ins, &t, data, size);
	fuzz_host_fini(&h);
	return 0;
}
