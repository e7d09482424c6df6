/*
 * tests/hvt/wild.c - guest mistakes the monitor answers by ending the VM:
 * a wild pointer in each shape (argument struct, PUTS data, overflowing
 * length, a pointer into the area above mem_size), a hypercall nobody
 * registered, and port accesses that are not a 32-bit OUT.
 */
#include "hvtlib.h"

HVT_MANIFEST(0);

static void out8(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

int hvt_main_test(void)
{
	struct hvt_hc_puts p = { .data = (uintptr_t)"x", .len = 1 };

	if (cmd_has("arg"))
		hvt_call(HVT_HC_PUTS, (void *)(uintptr_t)(hvt_bi->mem_size - 8));
	if (cmd_has("data")) {
		p.data = hvt_bi->mem_size;
		hvt_call(HVT_HC_PUTS, &p);
	}
	if (cmd_has("len")) {
		p.len = ~0ull;
		hvt_call(HVT_HC_PUTS, &p);
	}
	if (cmd_has("unregistered")) /* no block device: port 0x504 is free */
		hvt_call(HVT_HC_BLOCK_WRITE, &p);
	if (cmd_has("byte"))
		out8(HVT_PIO_BASE + HVT_HC_PUTS, 0);
	if (cmd_has("reserved"))
		hvt_call(0, &p);
	hvt_puts("still running\n");
	return 3;
}
