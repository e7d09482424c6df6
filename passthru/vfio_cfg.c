/*
 * passthru/vfio_cfg.c - the config space a guest sees of a passed-through
 * function. Every byte has a write mask and a tag (vfio.h): the guest's
 * value lands only in writable bits, and the tag says what a change means
 * (forward the command register, move a BAR, reprogram MSI/MSI-X). Table
 * driven so that a write of any size and alignment goes through the same
 * few lines. The device's own config space is hostile input too: a
 * capability list that loops, points below the header or runs past 256
 * bytes is cut where it goes wrong.
 */
#include <errno.h>
#include <string.h>

#include "vfio.h"

#define REG_CMD 0x04
#define REG_STATUS 0x06
#define REG_CLS 0x0c /* cache line size, latency timer: writable */
#define REG_BAR0 0x10
#define REG_CAPS 0x34
#define REG_ROM 0x30
#define REG_INTLINE 0x3c
#define REG_INTPIN 0x3d
#define HDR_END 0x40
#define STATUS_CAPS 0x10
#define CAP_MSI 0x05
#define CAP_PCIE 0x10
#define CAP_MSIX 0x11
#define PCIE_LEN 0x3c
#define MAX_CAPS 48 /* (256 - 0x40) / 4: more means a loop */

static void mark(struct vfio_cfg *c, unsigned off, unsigned len,
		 enum vfio_cfg_tag tag, uint8_t wmask)
{
	memset(c->tag + off, tag, len);
	memset(c->wmask + off, wmask, len);
}

static void init_bar(struct vfio_cfg *c, unsigned n,
		     const struct vfio_bar *b)
{
	unsigned off = REG_BAR0 + 4 * n;
	uint64_t keep = ~(b->size - 1) & (b->io ? 0xfffcull : ~0xfull);
	uint32_t lo = (uint32_t)keep;

	mark(c, off, 4, VCT_BAR, 0);
	if (!b->size)
		return;
	c->v[off] = b->flags & (b->io ? 0x1 : 0xf);
	for (unsigned i = 0; i < 4; i++)
		c->wmask[off + i] = lo >> (8 * i);
	if (!b->is64 || n + 1 >= VFIO_BARS)
		return;
	uint32_t hi = (uint32_t)(~(b->size - 1) >> 32);
	mark(c, off + 4, 4, VCT_BAR, 0);
	for (unsigned i = 0; i < 4; i++)
		c->wmask[off + 4 + i] = hi >> (8 * i);
}

static void init_header(struct vfio_cfg *c, const uint8_t *real,
			const struct vfio_bar bar[VFIO_BARS])
{
	bool io = false;

	memcpy(c->v, real, HDR_END);
	memset(c->v + REG_CMD, 0, 2); /* the guest turns the device on */
	c->v[REG_STATUS] = real[REG_STATUS] & ~STATUS_CAPS;
	c->v[REG_STATUS + 1] = real[REG_STATUS + 1] & 0x06; /* DEVSEL only */
	memset(c->v + REG_BAR0, 0, REG_ROM + 4 - REG_BAR0);
	c->v[REG_CAPS] = 0;
	c->v[REG_INTLINE] = 0;
	c->v[REG_INTPIN] = 0;
	c->intx_pin = real[REG_INTPIN] <= 4 ? real[REG_INTPIN] : 0;
	for (unsigned n = 0; n < VFIO_BARS; n++) {
		io |= bar[n].size && bar[n].io;
		if (n && bar[n - 1].size && bar[n - 1].is64)
			continue; /* the upper half, init_bar(n - 1)'s */
		init_bar(c, n, &bar[n]);
	}
	/* memory space, bus master (and I/O space when there is an I/O
	 * BAR), INTx disable */
	mark(c, REG_CMD, 2, VCT_CMD, 0);
	c->wmask[REG_CMD] = 0x06 | (io ? 0x01 : 0);
	c->wmask[REG_CMD + 1] = 0x04;
	mark(c, REG_STATUS, 2, VCT_STAT, 0);
	mark(c, REG_ROM, 4, VCT_BAR, 0); /* sizing writes, ignored */
	mark(c, REG_CLS, 2, VCT_PLAIN, 0xff);
	mark(c, REG_INTLINE, 1, VCT_PLAIN, 0xff);
}

/* The MSI capability's length from its control word. */
static unsigned msi_len(uint16_t ctrl)
{
	unsigned len = ctrl & 0x80 ? 14 : 10; /* 64-bit address */
	return ctrl & 0x100 ? len + 10 : len;  /* per-vector masking */
}

/* Whether [off, off+len) is clear of the capabilities kept so far: two
 * that overlap would let the later copy rewrite the earlier's link. */
static bool unclaimed(uint8_t *kept, unsigned off, unsigned len)
{
	for (unsigned i = off; i < off + len; i++)
		if (kept[i])
			return false;
	memset(kept + off, 1, len);
	return true;
}

/* Copy and mark a kept capability; its length, or 0 to drop it. */
static unsigned keep_cap(struct vfio_cfg *c, const uint8_t *real,
			 unsigned off, uint8_t *kept)
{
	uint16_t ctrl = real[off + 2] | real[off + 3] << 8;
	uint8_t id = real[off];
	unsigned len = id == CAP_MSI ? msi_len(ctrl)
		       : id == CAP_MSIX ? 12
		       : id == CAP_PCIE ? PCIE_LEN : 0;

	if (!len || off + len > VFIO_CFG_SIZE || !unclaimed(kept, off, len))
		return 0;
	memcpy(c->v + off, real + off, len);
	if (id == CAP_MSI) {
		bool is64 = ctrl & 0x80;
		mark(c, off, len, VCT_MSI, 0);
		c->v[off + 2] &= ~0x71; /* enable and vectors: the guest's */
		c->wmask[off + 2] = 0x71;
		memset(c->v + off + 4, 0, len - 4);
		memset(c->wmask + off + 4, 0xff, is64 ? 10 : 6);
		c->wmask[off + 4] = 0xfc; /* the address is dword aligned */
		if (ctrl & 0x100) /* mask bits writable, pending read-only */
			memset(c->wmask + off + (is64 ? 16 : 12), 0xff, 4);
		c->msi_off = off;
	} else if (id == CAP_MSIX) {
		mark(c, off + 2, 2, VCT_MSIX, 0);
		c->v[off + 3] &= ~0xc0;
		c->wmask[off + 3] = 0xc0; /* enable, function mask */
		c->msix_off = off;
	} else { /* device and link control: wisp's copy only */
		mark(c, off + 8, 2, VCT_PLAIN, 0xff);
		mark(c, off + 0x10, 2, VCT_PLAIN, 0xff);
	}
	return len;
}

/* Walk the device's list; link the kept ones in order. */
static void init_caps(struct vfio_cfg *c, const uint8_t *real)
{
	uint64_t seen[VFIO_CFG_SIZE / 64] = {0};
	uint8_t kept[VFIO_CFG_SIZE] = {0};
	unsigned off = real[REG_STATUS] & STATUS_CAPS ? real[REG_CAPS] & 0xfc
						      : 0;
	uint8_t *link = &c->v[REG_CAPS];

	for (unsigned n = 0; n < MAX_CAPS && off >= HDR_END; n++) {
		if (seen[off / 64] >> (off % 64) & 1)
			break;
		seen[off / 64] |= 1ull << (off % 64);
		if (keep_cap(c, real, off, kept)) {
			*link = off;
			link = &c->v[off + 1];
			*link = 0;
		}
		off = real[off + 1] & 0xfc;
	}
	if (c->v[REG_CAPS])
		c->v[REG_STATUS] |= STATUS_CAPS;
}

void vfio_cfg_init(struct vfio_cfg *c, const uint8_t *real,
		   const struct vfio_bar bar[VFIO_BARS])
{
	memset(c, 0, sizeof(*c));
	memcpy(c->bar, bar, sizeof(c->bar));
	init_header(c, real, bar);
	init_caps(c, real);
}

void vfio_cfg_show_intx(struct vfio_cfg *c, unsigned gsi)
{
	c->v[REG_INTPIN] = 1;
	c->v[REG_INTLINE] = (uint8_t)gsi;
}

static bool access_ok(unsigned reg, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && !(reg & (size - 1)) &&
	       reg < 4096;
}

uint32_t vfio_cfg_read(const struct vfio_cfg *c, unsigned reg, unsigned size)
{
	uint32_t v = 0;

	if (!access_ok(reg, size))
		return 0xffffffff;
	if (reg >= VFIO_CFG_SIZE)
		return 0; /* extended capabilities: none shown */
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)c->v[reg + i] << (8 * i);
	return v;
}

/* The event a changed byte at r asks for. */
static unsigned byte_event(const struct vfio_cfg *c, unsigned r)
{
	switch (c->tag[r]) {
	case VCT_CMD:
		return VFIO_CFG_EV_CMD;
	case VCT_MSI:
		return VFIO_CFG_EV_MSI;
	case VCT_MSIX:
		return VFIO_CFG_EV_MSIX;
	case VCT_BAR: {
		unsigned n = (r - REG_BAR0) / 4;
		if (r >= REG_ROM)
			return 0;
		if (n && c->bar[n - 1].size && c->bar[n - 1].is64)
			n--;
		return VFIO_CFG_EV_BAR0 << n;
	}
	default:
		return 0;
	}
}

unsigned vfio_cfg_write(struct vfio_cfg *c, unsigned reg, unsigned size,
			uint32_t val)
{
	unsigned ev = 0;
	bool drop = false;

	if (!access_ok(reg, size) || reg >= VFIO_CFG_SIZE)
		return 0;
	for (unsigned i = 0; i < size; i++) {
		unsigned r = reg + i;
		uint8_t b = val >> (8 * i), old = c->v[r], wm = c->wmask[r];
		uint8_t nv = (old & ~wm) | (b & wm);
		/* BAR sizing and status RW1C writes are normal, not forbidden */
		if ((b ^ old) & ~wm && c->tag[r] != VCT_BAR &&
		    c->tag[r] != VCT_STAT)
			drop = true;
		if (nv != old)
			ev |= byte_event(c, r);
		c->v[r] = nv;
	}
	c->dropped += drop;
	return ev;
}

uint64_t vfio_cfg_bar_addr(const struct vfio_cfg *c, unsigned n)
{
	if (n >= VFIO_BARS || !c->bar[n].size)
		return 0;
	const struct vfio_bar *b = &c->bar[n];
	uint64_t a = vfio_cfg_read(c, REG_BAR0 + 4 * n, 4) &
		     (b->io ? ~0x3u : ~0xfu);
	if (b->is64 && n + 1 < VFIO_BARS)
		a |= (uint64_t)vfio_cfg_read(c, REG_BAR0 + 4 * n + 4, 4) << 32;
	return a;
}

uint16_t vfio_cfg_command(const struct vfio_cfg *c)
{
	return c->v[REG_CMD] | c->v[REG_CMD + 1] << 8;
}

uint64_t vfio_cfg_bar_want(const struct vfio_cfg *c, unsigned n)
{
	if (n >= VFIO_BARS || !c->bar[n].size)
		return 0;
	uint16_t space = c->bar[n].io ? 0x1 : 0x2;
	return vfio_cfg_command(c) & space ? vfio_cfg_bar_addr(c, n) : 0;
}

static uint32_t cfg32(const struct vfio_cfg *c, unsigned reg)
{
	return vfio_cfg_read(c, reg, 4);
}

int vfio_cfg_msi(const struct vfio_cfg *c, struct vfio_msi *m)
{
	unsigned off = c->msi_off;

	if (!off)
		return -ENOENT;
	uint16_t ctrl = (uint16_t)vfio_cfg_read(c, off + 2, 2);
	unsigned mmc = (ctrl >> 1) & 7, mme = (ctrl >> 4) & 7;
	bool is64 = ctrl & 0x80;
	unsigned data = off + (is64 ? 12 : 8);
	*m = (struct vfio_msi){
		.on = ctrl & 1,
		.nvec = 1u << (mme < mmc ? mme : mmc),
		.addr = cfg32(c, off + 4) |
			(is64 ? (uint64_t)cfg32(c, off + 8) << 32 : 0),
		.data = vfio_cfg_read(c, data, 2),
		.mask = ctrl & 0x100 ? cfg32(c, data + 4) : 0,
	};
	return 0;
}

int vfio_cfg_msix(const struct vfio_cfg *c, struct vfio_msix *x)
{
	unsigned off = c->msix_off;

	if (!off)
		return -ENOENT;
	uint16_t ctrl = (uint16_t)vfio_cfg_read(c, off + 2, 2);
	uint32_t t = cfg32(c, off + 4), p = cfg32(c, off + 8);
	*x = (struct vfio_msix){
		.on = ctrl & 0x8000, .fmask = ctrl & 0x4000,
		.nvec = (ctrl & 0x7ff) + 1,
		.table_bar = t & 7, .table_off = t & ~7u,
		.pba_bar = p & 7, .pba_off = p & ~7u,
	};
	return 0;
}
