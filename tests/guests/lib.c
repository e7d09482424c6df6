/* tests/guests/lib.c - see guest.h. */
#include "guest.h"

#define UART_LSR 5
#define LSR_THRE 0x20
#define THRE_POLLS 100000 /* a UART that never drains must not hang us */

void guest_exit(uint32_t status)
{
	outl(DEBUG_EXIT_PORT, status);
	/* only reached if the debug-exit device is missing */
	for (;;)
		__asm__ volatile("cli; hlt");
}

void uart_putc(char c)
{
	for (unsigned i = 0; i < THRE_POLLS; i++)
		if (inb(UART0_BASE + UART_LSR) & LSR_THRE)
			break;
	outb(UART0_BASE, (uint8_t)c);
}

void uart_puts(const char *s)
{
	while (*s) {
		if (*s == '\n')
			uart_putc('\r');
		uart_putc(*s++);
	}
}

void uart_putdec(uint64_t v)
{
	char buf[21];
	int i = sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	uart_puts(&buf[i]);
}

void uart_puthex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[19];

	buf[0] = '0';
	buf[1] = 'x';
	for (int i = 0; i < 16; i++)
		buf[2 + i] = digits[(v >> (60 - 4 * i)) & 0xf];
	buf[18] = '\0';
	uart_puts(buf);
}

void fail(const char *name, unsigned code, const char *what)
{
	uart_puts(name);
	uart_puts(": check ");
	uart_putdec(code);
	uart_puts(" failed: ");
	uart_puts(what);
	uart_puts("\n");
	guest_exit(code);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Next word of *p: returns its start and stores its length, or NULL. */
static const char *next_word(const char **p, size_t *len)
{
	const char *s = *p;

	while (*s && is_space(*s))
		s++;
	if (!*s)
		return NULL;
	const char *w = s;
	while (*s && !is_space(*s))
		s++;
	*len = (size_t)(s - w);
	*p = s;
	return w;
}

static bool word_eq(const char *w, size_t len, const char *s)
{
	size_t i = 0;

	for (; i < len && s[i]; i++)
		if (w[i] != s[i])
			return false;
	return i == len && s[i] == '\0';
}

bool cmdline_has(const char *cmdline, const char *word)
{
	const char *p = cmdline ? cmdline : "";
	const char *w;
	size_t len;

	while ((w = next_word(&p, &len)))
		if (word_eq(w, len, word))
			return true;
	return false;
}

/* Decimal in [w, w+len); false on a non-digit, an empty word or overflow. */
static bool parse_dec(const char *w, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (w[i] < '0' || w[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(w[i] - '0');
	}
	*out = v;
	return true;
}

/* The word to parse: the first word (key NULL) or the value of key=... */
static const char *find_value(const char *cmdline, const char *key,
			      size_t *len)
{
	const char *p = cmdline ? cmdline : "";
	const char *w;
	size_t klen = 0;

	if (!key)
		return next_word(&p, len);
	while (key[klen])
		klen++;
	while ((w = next_word(&p, len))) {
		if (*len > klen && w[klen] == '=' && word_eq(w, klen, key)) {
			*len -= klen + 1;
			return w + klen + 1;
		}
	}
	return NULL;
}

uint64_t cmdline_u64(const char *cmdline, const char *key, uint64_t dflt,
		     bool *ok)
{
	size_t len = 0;
	const char *w = find_value(cmdline, key, &len);
	uint64_t v;

	if (!w)
		return dflt;
	if (parse_dec(w, len, &v))
		return v;
	if (ok)
		*ok = false;
	return dflt;
}

/* GCC may emit calls to these even when freestanding. */
void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

/* PCI configuration mechanism #1, bus 0: dword `reg` of device `slot`. */
uint32_t c1_read(unsigned slot, unsigned reg)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (reg & 0xfc));
	return inl(0xcfc);
}

void c1_write(unsigned slot, unsigned reg, uint32_t v)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (reg & 0xfc));
	outl(0xcfc, v);
}
