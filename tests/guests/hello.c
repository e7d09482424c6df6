/* tests/guests/hello.c - the `make run` demo: a greeting over the UART. */
#include "guest.h"

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	if (idx != 0)
		for (;;)
			cpu_pause();
	uart_puts("Hello from a wisp test guest!\n");
	uart_puts("  running in 64-bit long mode on ");
	uart_putdec(ncpus);
	uart_puts(ncpus == 1 ? " vCPU\n" : " vCPUs\n");
	uart_puts("  command line: \"");
	uart_puts(cmdline ? cmdline : "");
	uart_puts("\"\n");
	uart_puts("Goodbye.\n");
	return 0;
}
