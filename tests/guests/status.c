/*
 * tests/guests/status.c - writes the decimal number on its command line
 * to the debug-exit port (for the exit-status range tests). A missing or
 * malformed number exits 62.
 */
#include "guest.h"

#define BAD_CMDLINE 62

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	bool ok = true;
	uint64_t v = cmdline_u64(cmdline, NULL, BAD_CMDLINE, &ok);

	if (!ok || v > UINT32_MAX)
		v = BAD_CMDLINE;
	guest_exit((uint32_t)v);
}
