/* tests/hvt/hello.c - prints a greeting and its command line, exits 0. */
#include "hvtlib.h"

HVT_MANIFEST(0);

int hvt_main_test(void)
{
	hvt_puts("Hello, world\n");
	hvt_puts("cmdline: ");
	hvt_puts((const char *)(uintptr_t)hvt_bi->cmdline);
	hvt_puts("\nmem_size: ");
	hvt_putdec(hvt_bi->mem_size >> 20);
	hvt_puts(" MiB\n");
	return 0;
}
