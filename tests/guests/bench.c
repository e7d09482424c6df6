/*
 * tests/guests/bench.c - N exits (N from the command line, default 1000000)
 * to the test device in a three instruction loop, since every guest
 * instruction is emulated here: 4-byte port writes to port 0xe0, or with
 * the word `mmio`, 4-byte MMIO writes to its scratch memory.
 */
#include "guest.h"

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	bool ok = true;
	uint64_t n = cmdline_u64(cmdline, NULL, 1000000, &ok);

	if (!ok)
		return 62;
	if (n == 0)
		return 0;
	if (cmdline_has(cmdline, "mmio"))
		__asm__ volatile("1: movl %%eax, (%%rdx)\n\t"
				 "dec %%rcx\n\t"
				 "jnz 1b"
				 : "+c"(n)
				 : "a"(0), "d"(TESTDEV_MMIO)
				 : "memory");
	else
		__asm__ volatile("1: outl %%eax, %%dx\n\t"
				 "dec %%rcx\n\t"
				 "jnz 1b"
				 : "+c"(n)
				 : "a"(0), "d"(TESTDEV_PORT)
				 : "memory");
	return 0;
}
