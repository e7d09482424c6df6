/* tests/hvt/hvtlib.c - see hvtlib.h. */
#include "hvtlib.h"

#ifndef ABI_TARGET
#define ABI_TARGET HVT_ABI_TARGET
#endif
#ifndef ABI_VER
#define ABI_VER HVT_ABI_VERSION
#endif

#ifndef NO_ABI_NOTE
__attribute__((section(".note.solo5.abi"), aligned(4), used))
const struct {
	struct note_hdr h;
	struct hvt_abi_note abi;
} hvt_abi_note = {
	{ HVT_NOTE_NAMESZ, sizeof(struct hvt_abi_note), HVT_NOTE_ABI, "Solo5" },
	{ ABI_TARGET, ABI_VER, 0, 0 },
};
#endif

const struct hvt_boot_info *hvt_bi;

int hvt_main_test(void);

int hvt_main(const struct hvt_boot_info *bi)
{
	hvt_bi = bi;
	return hvt_main_test();
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

void *memset(void *d, int c, size_t n)
{
	volatile uint8_t *p = d;

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile uint8_t *p = d;
	const uint8_t *q = s;

	for (size_t i = 0; i < n; i++)
		p[i] = q[i];
	return d;
}

void hvt_exit(int status)
{
	struct hvt_hc_halt a = { .cookie = 0, .exit_status = status };

	hvt_call(HVT_HC_HALT, &a);
	for (;;)
		;
}

void hvt_write(const char *s, size_t n)
{
	struct hvt_hc_puts a = { .data = (uintptr_t)s, .len = n };

	hvt_call(HVT_HC_PUTS, &a);
}

void hvt_puts(const char *s)
{
	hvt_write(s, strlen(s));
}

void hvt_putdec(uint64_t v)
{
	char b[24];
	int i = sizeof(b);

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	hvt_write(b + i, sizeof(b) - (size_t)i);
}

uint64_t hvt_walltime(void)
{
	struct hvt_hc_walltime a = { 0 };

	hvt_call(HVT_HC_WALLTIME, &a);
	return a.nsecs;
}

int hvt_poll(uint64_t ns, uint64_t *ready)
{
	struct hvt_hc_poll a = { .timeout_nsecs = ns };

	hvt_call(HVT_HC_POLL, &a);
	if (ready)
		*ready = a.ready_set;
	return a.ret;
}

int hvt_block(bool write, uint64_t handle, uint64_t off, void *buf,
	      uint64_t len)
{
	struct hvt_hc_block a = { .handle = handle, .offset = off,
				  .data = (uintptr_t)buf, .len = len,
				  .ret = -1 };

	hvt_call(write ? HVT_HC_BLOCK_WRITE : HVT_HC_BLOCK_READ, &a);
	return a.ret;
}

int hvt_net(bool write, uint64_t handle, void *buf, uint64_t *len)
{
	struct hvt_hc_net a = { .handle = handle, .data = (uintptr_t)buf,
				.len = *len, .ret = -1 };

	hvt_call(write ? HVT_HC_NET_WRITE : HVT_HC_NET_READ, &a);
	*len = a.len;
	return a.ret;
}

unsigned hvt_handle(const char *name)
{
	const struct mft *m = (const struct mft *)(uintptr_t)hvt_bi->mft;

	for (unsigned i = 1; i < m->entries; i++)
		if (!memcmp(m->e[i].name, name, strlen(name) + 1))
			return i;
	return 0;
}

/* The value after "key=" in the command line. */
static const char *cmd_find(const char *key)
{
	const char *c = (const char *)(uintptr_t)hvt_bi->cmdline;
	size_t n = strlen(key);

	for (; *c; c++)
		if ((c == (const char *)(uintptr_t)hvt_bi->cmdline || c[-1] == ' ') &&
		    !memcmp(c, key, n) && (c[n] == '=' || c[n] == ' ' || !c[n]))
			return c + n;
	return NULL;
}

uint64_t cmd_u64(const char *key, uint64_t dflt)
{
	const char *c = cmd_find(key);
	uint64_t v = 0;

	if (!c || *c != '=')
		return dflt;
	for (c++; *c >= '0' && *c <= '9'; c++)
		v = v * 10 + (uint64_t)(*c - '0');
	return v;
}

bool cmd_has(const char *word)
{
	return cmd_find(word) != NULL;
}
