/*
 * tests/guests/count.c - counts for ever, for the control socket's tests
 * (tests/integration/ctl.sh): every vCPU writes the test device's counter
 * port in a loop, so the device's access count (the control socket's
 * metrics) is the guest's progress: it advances while the VM runs, holds
 * while it is paused, goes on after the resume.
 */
#include "guest.h"

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	for (uint32_t i = 0;; i++)
		outl(TESTDEV_PORT, i);
}
