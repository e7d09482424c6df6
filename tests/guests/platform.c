/*
 * tests/guests/platform.c - drives the Linux platform devices of the linux
 * profile as a Linux guest would (tests/integration/platform.sh). One mode
 * per run, from the command line:
 *   rtc          waits for UIP to clear (bounded), reads the date and time
 *                twice until the seconds agree (as mc146818_get_time), and
 *                prints "rtc: YYYY-MM-DD hh:mm:ss"; exits 0
 *   panic        reads pvpanic's events (must be PANICKED|CRASH_LOADED) and
 *                writes PANICKED: wisp ends the VM; were it to go on, the
 *                guest exits 3
 *   port80=N     writes N bytes to port 0x80 (0, 1, 2, ...), checks a read
 *                gives the last one; exits 0
 * A failed check exits with its code (10..): see fail().
 */
#include "guest.h"

#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define PVPANIC_PORT 0x505
#define BOOT_PORT 0x80
#define UIP_POLLS 10000000u /* far above a second of polls in the testbed */

static uint8_t cmos(uint8_t idx)
{
	outb(RTC_INDEX, idx);
	return inb(RTC_DATA);
}

static unsigned bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

static void put2(unsigned v, char sep)
{
	uart_putc((char)('0' + v / 10 % 10));
	uart_putc((char)('0' + v % 10));
	if (sep)
		uart_putc(sep);
}

/* sec, min, hour, mday, mon, year, century */
static void rtc_read_all(unsigned t[7])
{
	static const uint8_t regs[7] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09,
					 0x32 };
	unsigned polls = 0;

	while (cmos(0x0a) & 0x80)
		CHECK("rtc", 10, ++polls < UIP_POLLS);
	for (unsigned i = 0; i < 7; i++)
		t[i] = bcd(cmos(regs[i]));
}

static int rtc_mode(void)
{
	unsigned t[7], again[7];

	CHECK("rtc", 11, cmos(0x0b) == 0x02); /* BCD, 24-hour */
	CHECK("rtc", 12, cmos(0x0d) == 0x80);
	for (unsigned tries = 0;; tries++) {
		CHECK("rtc", 13, tries < 5);
		rtc_read_all(t);
		rtc_read_all(again);
		if (t[0] == again[0])
			break;
	}
	uart_puts("rtc: ");
	put2(t[6], 0);
	put2(t[5], '-');
	put2(t[4], '-');
	put2(t[3], ' ');
	put2(t[2], ':');
	put2(t[1], ':');
	put2(t[0], '\n');
	return 0;
}

static int panic_mode(void)
{
	CHECK("panic", 20, inb(PVPANIC_PORT) == 0x03);
	outb(PVPANIC_PORT, 0x01);
	return 3;
}

static int port80_mode(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		outb(BOOT_PORT, (uint8_t)i);
	CHECK("port80", 30, n == 0 || inb(BOOT_PORT) == (uint8_t)(n - 1));
	return 0;
}

int main(uint64_t idx, uint64_t ncpus, const char *cmdline)
{
	bool ok = true;
	uint64_t n = cmdline_u64(cmdline, "port80", 0, &ok);

	if (cmdline_has(cmdline, "rtc"))
		return rtc_mode();
	if (cmdline_has(cmdline, "panic"))
		return panic_mode();
	CHECK("platform", 2, ok && n > 0);
	return port80_mode(n);
}
