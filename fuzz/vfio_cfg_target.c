/*
 * fuzz/vfio_cfg_target.c - libFuzzer target for a passed-through
 * function's virtualised config space (passthru/vfio_cfg.c). Both sides
 * are hostile: the input's first 256 bytes are the device's own config
 * space (any capability list at all), the next 6 its BARs (log2 size,
 * I/O or 64-bit), the rest a stream of guest accesses of any size and
 * alignment. Invariants after every op: the capability list the guest
 * walks is short, aligned, inside 256 bytes and holds only MSI, MSI-X and
 * PCI Express; IDs, class and header type are the device's; a BAR keeps
 * its type bits and its size bits read 0; the command register holds
 * only the bits a guest may set; extended space reads 0 and a bad access
 * all ones; the dropped count grows by at most one per write; MSI never
 * enables more vectors than the device offers; no BAR is decoded while
 * its space is off.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio.h"

#define OP_LEN 7

static void fail(const char *what, unsigned a, unsigned b)
{
	fprintf(stderr, "vfio_cfg invariant: %s (0x%x 0x%x)\n", what, a, b);
	abort();
}

static void bars_of(const uint8_t *in, const uint8_t *real,
		    struct vfio_bar bar[VFIO_BARS])
{
	memset(bar, 0, sizeof(struct vfio_bar) * VFIO_BARS);
	for (unsigned i = 0; i < VFIO_BARS; i++) {
		if (i && bar[i - 1].is64)
			continue;
		unsigned lg = in[i] & 0x3f;
		if (lg < 2 || lg > 40)
			continue;
		bar[i].size = 1ull << lg;
		bar[i].io = in[i] & 0x40;
		bar[i].is64 = !bar[i].io && (in[i] & 0x80) && i + 1 < VFIO_BARS;
		bar[i].flags = bar[i].io ? 1 : (real[0x10 + 4 * i] & 0x8) |
					       (bar[i].is64 ? 4 : 0);
	}
}

static void check_caps(const struct vfio_cfg *c)
{
	unsigned n = 0;

	for (unsigned off = c->v[0x34]; off; off = c->v[off + 1]) {
		if (off < 0x40 || off > 0xfc || (off & 3) || ++n > 48)
			fail("capability list", off, n);
		uint8_t id = c->v[off];
		if (id != 0x05 && id != 0x10 && id != 0x11)
			fail("hidden capability linked", off, id);
	}
}

static void check_bars(const struct vfio_cfg *c)
{
	for (unsigned i = 0; i < VFIO_BARS; i++) {
		const struct vfio_bar *b = &c->bar[i];
		uint32_t v = vfio_cfg_read(c, 0x10 + 4 * i, 4);
		if (!b->size)
			continue;
		uint32_t low = b->io ? 0x3 : 0xf;
		if ((v & low) != (b->flags & low))
			fail("BAR type bits", i, v);
		if (v & (uint32_t)(b->size - 1) & ~low)
			fail("BAR size bits", i, v);
	}
}

static void check(const struct vfio_cfg *c, const uint8_t *real)
{
	if (memcmp(c->v, real, 4) || memcmp(c->v + 8, real + 8, 4) ||
	    c->v[0x0e] != real[0x0e])
		fail("IDs, class or header type changed", 0, 0);
	if (vfio_cfg_command(c) & ~0x0407)
		fail("command bits", vfio_cfg_command(c), 0);
	if (vfio_cfg_read(c, 0x100, 4) || vfio_cfg_read(c, 0xffc, 4))
		fail("extended space", 0, 0);
	check_caps(c);
	check_bars(c);
	struct vfio_msi m;
	if (!vfio_cfg_msi(c, &m) &&
	    (m.nvec > 1u << ((c->v[c->msi_off + 2] >> 1) & 7) || !m.nvec))
		fail("MSI vectors past what the device offers", m.nvec, 0);
	for (unsigned i = 0; i < VFIO_BARS; i++)
		if (vfio_cfg_bar_want(c, i) && !(vfio_cfg_command(c) & 0x3))
			fail("BAR decoded with its space off", i, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vfio_cfg c;
	struct vfio_bar bar[VFIO_BARS];

	if (size < 256 + VFIO_BARS)
		return 0;
	bars_of(data + 256, data, bar);
	vfio_cfg_init(&c, data, bar);
	check(&c, data);
	for (size_t at = 256 + VFIO_BARS; at + OP_LEN <= size; at += OP_LEN) {
		const uint8_t *op = data + at;
		unsigned reg = (op[0] | op[1] << 8) & 0xfff;
		unsigned sz = 1u << (op[2] & 3); /* 1, 2, 4 or 8 (bad) */
		uint32_t val;
		memcpy(&val, op + 3, 4);
		if (op[2] & 0x80) {
			uint32_t v = vfio_cfg_read(&c, reg, sz);
			if ((sz == 8 || reg & (sz - 1)) && v != 0xffffffff)
				fail("bad access read", reg, sz);
			continue;
		}
		uint64_t before = c.dropped;
		vfio_cfg_write(&c, reg, sz, val);
		if (c.dropped > before + 1)
			fail("dropped grew by more than one", reg, sz);
		check(&c, data);
	}
	return 0;
}
