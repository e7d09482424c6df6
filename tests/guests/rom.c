/*
 * tests/guests/rom.c - a --rom image seen from the guest: its bytes read
 * back as the file holds them (zero past the end of the file, to the page),
 * code in it runs, and writes of every size leave it unchanged without
 * ending the VM. Command line: "addr=GPA len=BYTES" (decimal).
 *
 * The image the test builds: "mov $42, %eax; ret" (6 bytes), then the text
 * "wisp-rom\n" repeated.
 */
#include "guest.h"

#define CODE_LEN 6
static const char text[] = "wisp-rom\n";

static uint8_t expected(uint64_t off, uint64_t len)
{
	static const uint8_t code[CODE_LEN] = { 0xb8, 42, 0, 0, 0, 0xc3 };

	if (off < CODE_LEN)
		return code[off];
	return off < len ? (uint8_t)text[(off - CODE_LEN) % 9] : 0;
}

static void check_contents(uint64_t rom, uint64_t len)
{
	uint64_t span = (len + 0xfff) & ~0xfffull;

	for (uint64_t off = 0; off < span; off++)
		CHECK("rom", 2, mmio_read8(rom + off) == expected(off, len));
}

/* Each write exits to wisp (a read-only memslot) and is dropped. */
static void check_writes_dropped(uint64_t rom, uint64_t len)
{
	const uint64_t at[] = { 0, 7, len / 2, len - 1, (len & ~7ull) - 8 };

	for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		uint64_t a = rom + at[i];
		mmio_write8(a, 0x5a);
		mmio_write16(a & ~1ull, 0x5a5a);
		mmio_write32(a & ~3ull, 0x5a5a5a5a);
		mmio_write64(a & ~7ull, 0x5a5a5a5a5a5a5a5aull);
	}
	check_contents(rom, len);
}

int main(unsigned cpu, unsigned ncpus, const char *cmdline)
{
	bool ok = true;
	uint64_t rom = cmdline_u64(cmdline, "addr", 0, &ok);
	uint64_t len = cmdline_u64(cmdline, "len", 0, &ok);

	CHECK("rom", 1, ok && rom && len > 16);
	check_contents(rom, len);
	CHECK("rom", 3, ((int (*)(void))(uintptr_t)rom)() == 42);
	check_writes_dropped(rom, len);
	CHECK("rom", 4, ((int (*)(void))(uintptr_t)rom)() == 42);
	uart_puts("rom: ok\n");
	return 0;
}
