/*
 * fuzz/pvpanic_fuzz.c - libFuzzer target for the pvpanic port: a claimed
 * write with bit 0 set panics (vm_panic), exactly once per such write;
 * nothing else ever ends the VM; claimed reads give the event mask.
 */
#include <stdlib.h>

#include "fuzz_hlp.h"
#include "pvpanic.c"

static void pvpanic_check(struct fuzz_host *h, struct dev_ins *ins,
			  const struct fuzz_op *op, void *ctx)
{
	unsigned *expect = ctx;

	if (op->rc == 0 && op->kind == FUZZ_OP_PIO_W &&
	    (op->val & PVPANIC_PANICKED))
		(*expect)++;
	if (op->rc == 0 && op->kind == FUZZ_OP_PIO_R &&
	    op->val != PVPANIC_EVENTS)
		fuzz_fail("read gave 0x%llx", (unsigned long long)op->val);
	if (h->panic_calls != *expect)
		fuzz_fail("vm_panic called %u times, expected %u",
			  h->panic_calls, *expect);
	if (h->poweroff_calls || h->reset_calls || h->fault_calls)
		fuzz_fail("%s", "a power other than vm_panic was used");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	unsigned expect = 0;
	struct dev_ins *ins;
	const struct fuzz_target t = {
		.pio_base = 0x505, .pio_span = 1,
		.check = pvpanic_check, .ctx = &expect,
	};

	fuzz_host_init(&h);
	if (fuzz_dev_create(&h, &dev_reg_pvpanic, true, NULL, &ins) < 0)
		fuzz_fail("pvpanic: %s", h.err);
	fuzz_run(&h, ins, &t, data, size);
	fuzz_host_fini(&h);
	return 0;
}
