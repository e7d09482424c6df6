/*
 * tests/guests/smp.c - every vCPU checks in with `lock xadd` on a shared
 * counter and sets its bit with `lock or`; vCPU 0 waits for all of them
 * (bounded), checks each index arrived exactly once, reports and exits.
 */
#include "guest.h"

#define MAX_CPUS 64
#define WAIT_SPINS 20000000ull /* ~tens of seconds emulated: the test's
				  timeout fires first on a lost vCPU */

static volatile uint64_t counter;
static volatile uint64_t seen_mask;
static volatile uint64_t dup_seen;

static uint64_t xadd(volatile uint64_t *p, uint64_t v)
{
	__asm__ volatile("lock xaddq %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

static void check_in(uint64_t idx)
{
	uint64_t bit = 1ull << idx;

	if (seen_mask & bit)
		dup_seen = 1;
	__asm__ volatile("lock orq %1, %0" : "+m"(seen_mask) : "r"(bit)
			 : "memory");
	xadd(&counter, 1);
}

static void report(uint64_t ncpus)
{
	uint64_t all = ncpus == 64 ? ~0ull : (1ull << ncpus) - 1;

	CHECK("smp", 2, counter == ncpus);
	CHECK("smp", 3, seen_mask == all);
	CHECK("smp", 4, !dup_seen);
	uart_puts("smp: ");
	uart_putdec(ncpus);
	uart_puts(" vCPUs checked in\n");
}

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	CHECK("smp", 1, ncpus >= 1 && ncpus <= MAX_CPUS && idx < ncpus);
	check_in(idx);
	if (idx != 0)
		for (;;)
			cpu_pause();
	for (uint64_t i = 0; counter != ncpus && i < WAIT_SPINS; i++)
		cpu_pause();
	report(ncpus);
	return 0;
}
