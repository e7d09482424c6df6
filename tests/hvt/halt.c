/*
 * tests/hvt/halt.c - HALT: "status=N" exits with N; "abort" exits 255 with
 * a cookie (a trap frame, as Solo5's bindings pass on a CPU trap);
 * "badcookie" passes a cookie past guest memory (the VM must end); "hlt"
 * halts with interrupts disabled (nothing can wake it: wisp ends it, 72).
 */
#include "hvtlib.h"

HVT_MANIFEST(0);

static uint64_t frame[64]; /* 512 bytes, like HVT_HALT_COOKIE_MAX */

int hvt_main_test(void)
{
	struct hvt_hc_halt a = { .cookie = (uintptr_t)frame, .exit_status = 255 };

	if (cmd_has("abort")) {
		hvt_call(HVT_HC_HALT, &a);
		for (;;)
			;
	}
	if (cmd_has("badcookie")) {
		a.cookie = hvt_bi->mem_size - 256; /* 512 bytes run past */
		hvt_call(HVT_HC_HALT, &a);
		hvt_puts("HALT returned\n");
		return 3;
	}
	if (cmd_has("hlt"))
		__asm__ volatile("cli; hlt");
	return (int)cmd_u64("status", 0);
}
