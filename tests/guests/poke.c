/*
 * tests/guests/poke.c - one 4-byte port write, then exit 0: `port=N val=V`
 * on the command line (defaults: testbad's port 0x500 = 1280, value 0). The sandbox
 * tests use it to give a device process a command; if the VM survives the
 * write the guest exits 0.
 */
#include "guest.h"

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	bool ok = true;
	uint64_t port = cmdline_u64(cmdline, "port", 0x500, &ok);
	uint64_t val = cmdline_u64(cmdline, "val", 0, &ok);

	if (!ok || port > 0xfffc)
		return 62;
	outl((uint16_t)port, (uint32_t)val);
	return inl((uint16_t)port) == 1 ? 0 : 61;
}
