/* tests/hvt/zeropage.c - the page tables: page 0 is not present and the
 * boot info is read-only, so either access faults (no IDT yet: a triple
 * fault ends the VM). "read" reads 0, "write" writes the boot info. */
#include "hvtlib.h"

HVT_MANIFEST(0);

int hvt_main_test(void)
{
	uint64_t v;

	if (cmd_has("read")) {
		__asm__ volatile("mov 8, %0" : "=r"(v) : : "memory");
		return (int)v;
	}
	if (cmd_has("write"))
		*(volatile uint64_t *)(uintptr_t)hvt_bi = 0;
	hvt_puts("no fault\n");
	return 3;
}
