/*
 * fuzz/bootport_fuzz.c - libFuzzer target for the boot debug port: each
 * claimed write is logged exactly once with its byte and the fake clock in
 * ms; a claimed read gives the last byte written (0xff after a reset or
 * before any); nothing else is logged and no power is used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlp.h"
#include "bootport.c"

struct bootport_model {
	unsigned writes;
	uint8_t last;
};

static void bootport_check_write(struct fuzz_host *h,
				 struct bootport_model *m, uint64_t val)
{
	char want[64];

	m->writes++;
	m->last = (uint8_t)val;
	snprintf(want, sizeof(want), "code 0x%02x at %llu ms", m->last,
		 (unsigned long long)(h->now_ns / 1000000u));
	if (strcmp(h->last_log, want))
		fuzz_fail("logged '%s', expected '%s'", h->last_log, want);
}

static void bootport_check(struct fuzz_host *h, struct dev_ins *ins,
			   const struct fuzz_op *op, void *ctx)
{
	struct bootport_model *m = ctx;

	if (op->kind == FUZZ_OP_RESET)
		m->last = BOOTPORT_NONE;
	if (op->rc == 0 && op->kind == FUZZ_OP_PIO_W)
		bootport_check_write(h, m, op->val);
	if (op->rc == 0 && op->kind == FUZZ_OP_PIO_R && op->val != m->last)
		fuzz_fail("read 0x%llx, last written 0x%x",
			  (unsigned long long)op->val, m->last);
	if (h->log_lines[DEV_LOG_INFO] != m->writes ||
	    h->log_lines[DEV_LOG_ERR] || h->log_lines[DEV_LOG_WARN])
		fuzz_fail("%u info lines for %u writes",
			  h->log_lines[DEV_LOG_INFO], m->writes);
	if (h->poweroff_calls || h->reset_calls || h->panic_calls)
		fuzz_fail("%s", "the debug port used a VM power");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	struct bootport_model m = { .last = BOOTPORT_NONE };
	struct dev_ins *ins;
	const struct fuzz_target t = {
		.pio_base = 0x80, .pio_span = 1,
		.check = bootport_check, .ctx = &m,
	};

	fuzz_host_init(&h);
	if (fuzz_dev_create(&h, &dev_reg_bootport, false, NULL, &ins) < 0)
		fuzz_fail("bootport: %s", h.err);
	fuzz_run(&h, ins, &t, data, size);
	fuzz_host_fini(&h);
	return 0;
}
