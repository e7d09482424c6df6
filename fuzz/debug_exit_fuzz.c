/*
 * fuzz/debug_exit_fuzz.c - libFuzzer target for the exit port: every
 * claimed write must power off with the value written (capped at INT_MAX),
 * nothing else may.
 */
#include <stdlib.h>

#include "fuzz_hlp.h"
#include "debug_exit.c"

static void debug_exit_check(struct fuzz_host *h, struct dev_ins *ins,
			     const struct fuzz_op *op, void *ctx)
{
	unsigned *expect = ctx;

	if (op->rc == 0 && op->kind == FUZZ_OP_PIO_W) {
		int want = op->val > INT_MAX ? INT_MAX : (int)op->val;
		if (h->poweroff_status != want)
			fuzz_fail("poweroff status %d, wrote 0x%llx",
				  h->poweroff_status,
				  (unsigned long long)op->val);
		(*expect)++;
	}
	if (op->rc == 0 && op->kind == FUZZ_OP_PIO_R && op->val)
		fuzz_fail("read gave 0x%llx", (unsigned long long)op->val);
	if (h->poweroff_calls != *expect || h->reset_calls)
		fuzz_fail("poweroff called %u times, expected %u",
			  h->poweroff_calls, *expect);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	unsigned expect = 0;
	struct dev_ins *ins;
	const struct fuzz_target t = {
		.pio_base = 0xf4, .pio_span = DEBUG_EXIT_LEN,
		.check = debug_exit_check, .ctx = &expect,
	};

	fuzz_host_init(&h);
	if (fuzz_dev_create(&h, &dev_reg_debug_exit, true, NULL, &ins) < 0)
		fuzz_fail("debug_exit: %s", h.err);
	fuzz_run(&h, ins, &t, data, size);
	fuzz_host_fini(&h);
	return 0;
}
