/*
 * tests/guests/flood.c - 200000 accesses to unclaimed ports, every size,
 * reads checked for all ones. wisp must survive it and keep its log of
 * unclaimed accesses short (rate limiting).
 */
#include "guest.h"

#define ACCESSES 200000u
#define PER_ROUND 6u

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	for (uint32_t i = 0; i < ACCESSES / PER_ROUND + 1; i++) {
		uint16_t p = (uint16_t)(UNCLAIMED_PORT + ((i * 4) & 0xff));
		outb(p, (uint8_t)i);
		outw(p, (uint16_t)i);
		outl(p, i);
		if (inb(p) != 0xff)
			fail("flood", 1, "inb != 0xff");
		if (inw(p) != 0xffff)
			fail("flood", 2, "inw != 0xffff");
		if (inl(p) != 0xffffffffu)
			fail("flood", 3, "inl != 0xffffffff");
	}
	uart_puts("flood: ok\n");
	return 0;
}
