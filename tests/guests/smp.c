/*
 * tests/guests/smp.c - every vCPU checks in with `lock xadd` on a shared
 * counter and sets its bit with `lock or`; vCPU 0 waits for all of them
 * (bounded), checks each index arrived exactly once, reports and exits.
 * Only vCPU 0 prints: the others share the one UART.
 */
#include "guest.h"

#define MAX_CPUS 256
#define WAIT_SPINS 20000000ull /* ~tens of seconds emulated: the test's
				  timeout fires first on a lost vCPU */

static volatile uint64_t counter;
static volatile uint64_t seen[MAX_CPUS / 64];
static volatile uint64_t dup_seen;

static uint64_t xadd(volatile uint64_t *p, uint64_t v)
{
	__asm__ volatile("lock xaddq %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

static void check_in(uint64_t idx)
{
	uint64_t bit = 1ull << (idx % 64);
	volatile uint64_t *w = &seen[idx / 64];

	if (*w & bit)
		dup_seen = 1;
	__asm__ volatile("lock orq %1, %0" : "+m"(*w) : "r"(bit) : "memory");
	xadd(&counter, 1);
}

static bool all_seen(uint64_t ncpus)
{
	for (uint64_t i = 0; i < MAX_CPUS / 64; i++) {
		uint64_t n = ncpus > i * 64 ? ncpus - i * 64 : 0;
		uint64_t want = n >= 64 ? ~0ull : (1ull << n) - 1;
		if (seen[i] != want)
			return false;
	}
	return true;
}

static void report(uint64_t ncpus)
{
	CHECK("smp", 2, counter == ncpus);
	CHECK("smp", 3, all_seen(ncpus));
	CHECK("smp", 4, !dup_seen);
	uart_puts("smp: ");
	uart_putdec(ncpus);
	uart_puts(" vCPUs checked in\n");
}

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	if (!(ncpus >= 1 && ncpus <= MAX_CPUS && idx < ncpus))
		guest_exit(1); /* silently: every vCPU would print */
	check_in(idx);
	if (idx != 0)
		for (;;)
			cpu_pause();
	for (uint64_t i = 0; counter != ncpus && i < WAIT_SPINS; i++)
		cpu_pause();
	report(ncpus);
	return 0;
}
