/*
 * fuzz/pm_fuzz.c - libFuzzer target for the ACPI power-management ports:
 * a power-off happens exactly for a sleep-control byte with SLP_EN and
 * SLP_TYP 5 (status 0), a reset exactly for a reset-register byte of 1;
 * reads never show WAK_STS; nothing else acts.
 */
#include <stdlib.h>

#include "fuzz_hlp.h"
#include "pm.c"

struct pm_expect {
	unsigned poweroffs, resets;
};

static void pm_count(const struct fuzz_op *op, struct pm_expect *e)
{
	uint8_t v = (uint8_t)op->val;
	uint64_t off = op->addr - PM_BASE;

	if (op->rc != 0 || op->kind != FUZZ_OP_PIO_W)
		return;
	if (off == PM_SLEEP_CONTROL && (v & SLP_EN) && SLP_TYP(v) == S5)
		e->poweroffs++;
	if (off == PM_RESET && v == RESET_VALUE)
		e->resets++;
}

static void pm_check(struct fuzz_host *h, struct dev_ins *ins,
		     const struct fuzz_op *op, void *ctx)
{
	struct pm_expect *e = ctx;

	pm_count(op, e);
	if (op->rc == 0 && op->kind == FUZZ_OP_PIO_R && (op->val & 0x80))
		fuzz_fail("a read shows WAK_STS: 0x%llx",
			  (unsigned long long)op->val);
	if (h->poweroff_calls != e->poweroffs || h->reset_calls != e->resets)
		fuzz_fail("power-offs %u resets %u, expected %u and %u",
			  h->poweroff_calls, h->reset_calls, e->poweroffs,
			  e->resets);
	if (h->poweroff_calls && h->poweroff_status != 0)
		fuzz_fail("power-off status %d", h->poweroff_status);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	struct pm_expect e = { 0, 0 };
	struct dev_ins *ins;
	const struct fuzz_target t = {
		.pio_base = PM_BASE, .pio_span = PM_LEN,
		.check = pm_check, .ctx = &e,
	};

	fuzz_host_init(&h);
	if (fuzz_dev_create(&h, &dev_reg_pm, true, NULL, &ins) < 0)
		fuzz_fail("pm: %s", h.err);
	fuzz_run(&h, ins, &t, data, size);
	fuzz_host_fini(&h);
	return 0;
}
