/*
 * pci/pci.c - configuration space and MSI-X of wisp's PCI bus
 * (pci.h): type 0 headers built from each function's description, BAR
 * sizing and moves, the capability chain ending in wisp's MSI-X
 * capability, the MSI-X table and PBA. Every guest value is bounded here;
 * what touches the VM is the backend's.
 */
#include <errno.h>
#include <string.h>

#include "pci.h"

#define REG_ID 0x00
#define REG_CMD 0x04
#define REG_CLASS 0x08
#define REG_HDR 0x0c
#define REG_BAR0 0x10
#define REG_BAR5 0x24
#define REG_SUBSYS 0x2c
#define REG_CAPS 0x34
#define CFG_SIZE 256
#define ECAM_CFG 4096

void pci_bus_init(struct pci_bus *b, const struct pci_backend *bk, void *ctx)
{
	memset(b, 0, sizeof(*b));
	b->bk = bk;
	b->ctx = ctx;
	b->win_next = PCI_WIN_BASE;
}

/* ---- MSI-X delivery, shared with device processes ---------------------- */

static bool live_masked(struct pci_msix_live *l, uint64_t bit)
{
	return (atomic_load(&l->ctrl) & PCI_MSIX_FMASK) ||
	       (atomic_load(&l->mask) & bit);
}

int pci_msix_notify(struct pci_msix_live *l, unsigned nvec, unsigned vec,
		    void (*fire)(void *ctx, unsigned vec), void *ctx)
{
	if (vec >= nvec || vec >= DEV_PCI_MSIX_MAX)
		return -EINVAL;
	uint64_t bit = 1ull << vec;
	if (!(atomic_load(&l->ctrl) & PCI_MSIX_ENABLE))
		return 0;
	if (live_masked(l, bit)) {
		atomic_fetch_or(&l->pba, bit);
		/* Pairs with the unmask: it stores the mask, then takes the
		 * pending bit; one of us sees the other. */
		if (live_masked(l, bit) ||
		    !(atomic_fetch_and(&l->pba, ~bit) & bit))
			return 0;
	}
	fire(ctx, vec);
	return 0;
}

/* ---- placing a function ------------------------------------------------ */

static unsigned align4(unsigned v)
{
	return (v + 3) & ~3u;
}

/* Caps from PCI_CAP_START, 4-byte aligned, MSI-X last: -ENOSPC past 256. */
static int pci_place_caps(struct pci_fn *fn)
{
	unsigned off = PCI_CAP_START;

	for (unsigned i = 0; i < fn->d.n_caps; i++) {
		fn->cap_off[i] = (uint8_t)off;
		off += align4(fn->d.caps[i].len);
		if (off > CFG_SIZE)
			return -ENOSPC;
	}
	if (fn->d.msix_vectors) {
		if (off + PCI_MSIX_CAP_LEN > CFG_SIZE)
			return -ENOSPC;
		fn->msix_off = (uint8_t)off;
	}
	return 0;
}

/* Start addresses: each BAR naturally aligned in the window. */
static int pci_place_bars(struct pci_bus *b, struct pci_fn *fn)
{
	uint64_t next = b->win_next;

	for (unsigned i = 0; i < DEV_PCI_BARS; i++) {
		uint64_t sz = fn->bar_size[i];
		if (!sz)
			continue;
		uint64_t at = (next + sz - 1) & ~(sz - 1);
		if (at + sz > PCI_WIN_BASE + PCI_WIN_SIZE)
			return -ENOSPC;
		fn->bar_reg[i] = (uint32_t)at;
		next = at + sz;
	}
	b->win_next = next;
	return 0;
}

static unsigned pci_free_slot(const struct pci_bus *b)
{
	for (unsigned s = 1; s < PCI_SLOTS; s++)
		if (!b->fn[s])
			return s;
	return 0;
}

int pci_bus_add(struct pci_bus *b, struct pci_fn *fn,
		const struct dev_pci_func *f, void *owner)
{
	if (dev_pci_func_check(f) < 0)
		return -EINVAL;
	unsigned slot = pci_free_slot(b);
	if (!slot || b->n_vectors + f->msix_vectors > PCI_MAX_VECTORS)
		return -ENOSPC;
	memset(fn, 0, sizeof(*fn));
	fn->d = *f;
	fn->owner = owner;
	for (unsigned i = 0; i < DEV_PCI_BARS; i++)
		fn->bar_size[i] = f->bar[i].size;
	if (f->msix_vectors)
		fn->bar_size[f->msix_bar] = PCI_MSIX_BAR_SIZE;
	if (pci_place_caps(fn) < 0)
		return -EINVAL;
	uint64_t win = b->win_next;
	if (pci_place_bars(b, fn) < 0) {
		b->win_next = win;
		return -ENOSPC;
	}
	for (unsigned v = 0; v < f->msix_vectors; v++)
		fn->msix[v].ctrl = 1; /* masked at reset */
	fn->live = &fn->own;
	atomic_store(&fn->own.mask, f->msix_vectors == 64 ? ~0ull :
			(1ull << f->msix_vectors) - 1);
	fn->gsi0 = PCI_MSI_GSI0 + b->n_vectors;
	b->n_vectors += f->msix_vectors;
	fn->slot = slot;
	b->fn[slot] = fn;
	b->n_fn++;
	return (int)slot;
}

#if WISP_PASSTHRU
static bool raw_bar_ok(uint64_t sz)
{
	return !sz || (sz >= DEV_PCI_BAR_MIN && sz <= PCI_WIN_SIZE &&
		       !(sz & (sz - 1)));
}

int pci_bus_add_raw(struct pci_bus *b, struct pci_fn *fn,
		    const uint64_t bar_size[DEV_PCI_BARS], unsigned nvec,
		    const struct pci_cfg_ops *ops, void *opaque, void *owner)
{
	unsigned slot = pci_free_slot(b);

	for (unsigned i = 0; i < DEV_PCI_BARS; i++)
		if (!raw_bar_ok(bar_size[i]))
			return -EINVAL;
	if (!slot || nvec > PCI_MAX_VECTORS - b->n_vectors)
		return -ENOSPC;
	memset(fn, 0, sizeof(*fn));
	memcpy(fn->bar_size, bar_size, sizeof(fn->bar_size));
	uint64_t win = b->win_next;
	if (pci_place_bars(b, fn) < 0) {
		b->win_next = win;
		return -ENOSPC;
	}
	fn->owner = owner;
	fn->cfg = ops;
	fn->cfg_opaque = opaque;
	fn->live = &fn->own;
	fn->gsi0 = PCI_MSI_GSI0 + b->n_vectors;
	b->n_vectors += nvec;
	fn->slot = slot;
	b->fn[slot] = fn;
	b->n_fn++;
	return (int)slot;
}

int pci_bus_push_routes(struct pci_bus *b)
{
	return b->bk && b->bk->routes_push ? b->bk->routes_push(b->ctx) : 0;
}
#endif

/* ---- BAR decode -------------------------------------------------------- */

/* Decode each BAR where the guest put it while memory space is on; a
 * BAR at 0 or refused by the backend stays off. */
static void pci_update_bars(struct pci_bus *b, struct pci_fn *fn)
{
	for (unsigned i = 0; i < DEV_PCI_BARS; i++) {
		if (!fn->bar_size[i])
			continue;
		uint64_t want = (fn->command & PCI_CMD_MEM) ? fn->bar_reg[i] : 0;
		if (want == fn->mapped[i])
			continue;
		if (fn->mapped[i])
			b->bk->bar_unmap(b->ctx, fn, i, fn->mapped[i]);
		fn->mapped[i] = 0;
		if (want && b->bk->bar_map(b->ctx, fn, i, want) == 0)
			fn->mapped[i] = want;
	}
}

/* ---- configuration space: reads ---------------------------------------- */

static uint32_t hb_read32(unsigned reg)
{
	switch (reg) {
	case REG_ID: return PCI_HB_VENDOR | (uint32_t)PCI_HB_DEVICE << 16;
	case REG_CLASS: return (uint32_t)PCI_HB_CLASS << 8;
	default: return 0;
	}
}

static bool fn_has_caps(const struct pci_fn *fn)
{
	return fn->d.n_caps || fn->msix_off;
}

static uint8_t fn_next_cap(const struct pci_fn *fn, unsigned i)
{
	if (i + 1 < fn->d.n_caps)
		return fn->cap_off[i + 1];
	return i + 1 == fn->d.n_caps ? fn->msix_off : 0;
}

/* A byte of the capability area [PCI_CAP_START, 256). */
static uint8_t cap_byte(const struct pci_fn *fn, unsigned reg)
{
	for (unsigned i = 0; i < fn->d.n_caps; i++) {
		const struct dev_pci_cap *c = &fn->d.caps[i];
		unsigned o = fn->cap_off[i];
		if (reg < o || reg >= o + c->len)
			continue;
		if (reg == o) /* id: the device's, vendor-specific if none */
			return c->data[0] ? c->data[0] : 0x09;
		return reg == o + 1 ? fn_next_cap(fn, i) : c->data[reg - o];
	}
	return 0;
}

static uint32_t msix_cap_read32(const struct pci_fn *fn, unsigned rel)
{
	uint32_t bir = fn->d.msix_bar;

	switch (rel) {
	case 0: return 0x11 | (uint32_t)(fn->msix_ctrl |
					 (fn->d.msix_vectors - 1)) << 16;
	case 4: return bir; /* table at offset 0 */
	case 8: return PCI_MSIX_PBA_OFF | bir;
	default: return 0;
	}
}

static uint32_t caps_read32(const struct pci_fn *fn, unsigned reg)
{
	if (fn->msix_off && reg >= fn->msix_off &&
	    reg < fn->msix_off + (unsigned)PCI_MSIX_CAP_LEN)
		return msix_cap_read32(fn, reg - fn->msix_off);
	uint32_t v = 0;
	for (unsigned k = 0; k < 4; k++)
		v |= (uint32_t)cap_byte(fn, reg + k) << (8 * k);
	return v;
}

static uint32_t fn_read32(const struct pci_fn *fn, unsigned reg)
{
	const struct dev_pci_func *d = &fn->d;

	if (reg >= REG_BAR0 && reg <= REG_BAR5)
		return fn->bar_reg[(reg - REG_BAR0) / 4]; /* 32-bit, non-pf */
	if (reg >= PCI_CAP_START)
		return reg < CFG_SIZE ? caps_read32(fn, reg) : 0;
	switch (reg) {
	case REG_ID: return d->vendor | (uint32_t)d->device << 16;
	case REG_CMD:
		return fn->command |
		       (fn_has_caps(fn) ? (uint32_t)PCI_STATUS_CAPS << 16 : 0);
	case REG_CLASS: return d->revision | d->class_code << 8;
	case REG_SUBSYS: return d->subsys_vendor | (uint32_t)d->subsys << 16;
	case REG_CAPS: return fn_has_caps(fn) ? PCI_CAP_START : 0;
	default: return 0; /* header type 0, no ROM, interrupt pin 0 */
	}
}

static bool cfg_access_ok(unsigned reg, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && !(reg & (size - 1)) &&
	       reg < ECAM_CFG;
}

uint32_t pci_cfg_read(struct pci_bus *b, unsigned slot, unsigned reg,
		      unsigned size)
{
	if (!cfg_access_ok(reg, size) || slot >= PCI_SLOTS ||
	    (slot && !b->fn[slot]))
		return size == 4 ? ~0u : (1u << (8 * size)) - 1;
#if WISP_PASSTHRU
	if (slot && b->fn[slot]->cfg)
		return b->fn[slot]->cfg->read(b->fn[slot]->cfg_opaque, reg, size);
#endif
	uint32_t v = slot ? fn_read32(b->fn[slot], reg & ~3u)
			  : hb_read32(reg & ~3u);
	v >>= 8 * (reg & 3);
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

/* ---- configuration space: writes --------------------------------------- */

static void bar_write(struct pci_bus *b, struct pci_fn *fn, unsigned i,
		      uint32_t val, uint32_t mask)
{
	if (!fn->bar_size[i])
		return; /* unused: reads 0, ignores writes */
	uint32_t v = (fn->bar_reg[i] & ~mask) | (val & mask);
	fn->bar_reg[i] = v & ~(uint32_t)(fn->bar_size[i] - 1);
	pci_update_bars(b, fn);
}

static void cmd_write(struct pci_bus *b, struct pci_fn *fn, uint32_t val,
		      uint32_t mask)
{
	uint16_t m = (uint16_t)(mask & PCI_CMD_WRITABLE);

	fn->command = (uint16_t)((fn->command & ~m) | (val & m));
	pci_update_bars(b, fn);
}

static void msix_ctrl_write(struct pci_bus *b, struct pci_fn *fn,
			    uint16_t ctrl);

static void fn_write32(struct pci_bus *b, struct pci_fn *fn, unsigned reg,
		       uint32_t val, uint32_t mask)
{
	if (reg == REG_CMD)
		cmd_write(b, fn, val, mask);
	else if (reg >= REG_BAR0 && reg <= REG_BAR5)
		bar_write(b, fn, (reg - REG_BAR0) / 4, val, mask);
	else if (fn->msix_off && reg == fn->msix_off && (mask >> 16)) {
		uint16_t w = (PCI_MSIX_ENABLE | PCI_MSIX_FMASK) &
			     (uint16_t)(mask >> 16);
		uint16_t c = (uint16_t)((fn->msix_ctrl & ~w) |
					((val >> 16) & w));
		msix_ctrl_write(b, fn, c);
	}
	/* everything else is read-only */
}

void pci_cfg_write(struct pci_bus *b, unsigned slot, unsigned reg,
		   unsigned size, uint32_t val)
{
	if (!cfg_access_ok(reg, size) || !slot || slot >= PCI_SLOTS ||
	    !b->fn[slot] || reg >= CFG_SIZE)
		return;
#if WISP_PASSTHRU
	if (b->fn[slot]->cfg) {
		b->fn[slot]->cfg->write(b->fn[slot]->cfg_opaque, reg, size, val);
		return;
	}
#endif
	unsigned sh = 8 * (reg & 3);
	uint32_t mask = (size == 4 ? ~0u : (1u << (8 * size)) - 1) << sh;
	fn_write32(b, b->fn[slot], reg & ~3u, val << sh, mask);
}

/* ---- conf1 and ECAM ---------------------------------------------------- */

/* Bus 0, function 0 only; -1 for anything else. */
static int conf1_slot(uint32_t a)
{
	if (!(a & 0x80000000u) || ((a >> 16) & 0xff) || ((a >> 8) & 7))
		return -1;
	return (int)((a >> 11) & 0x1f);
}

uint32_t pci_conf1_read(struct pci_bus *b, unsigned port, unsigned size)
{
	uint32_t ones = size >= 4 ? ~0u : (1u << (8 * size)) - 1;

	if (port == PCI_CONF1_ADDR && size == 4)
		return b->conf1_addr;
	if (port < PCI_CONF1_DATA || port - PCI_CONF1_DATA + size > 4)
		return ones;
	int slot = conf1_slot(b->conf1_addr);
	if (slot < 0)
		return ones;
	return pci_cfg_read(b, (unsigned)slot,
			    (b->conf1_addr & 0xfc) + (port & 3), size);
}

void pci_conf1_write(struct pci_bus *b, unsigned port, unsigned size,
		     uint32_t val)
{
	if (port == PCI_CONF1_ADDR && size == 4) {
		b->conf1_addr = val & 0x80fffffcu;
		return;
	}
	if (port < PCI_CONF1_DATA || port - PCI_CONF1_DATA + size > 4)
		return;
	int slot = conf1_slot(b->conf1_addr);
	if (slot >= 0)
		pci_cfg_write(b, (unsigned)slot,
			      (b->conf1_addr & 0xfc) + (port & 3), size, val);
}

/* ECAM offset: device in bits 19:15, function 14:12, register 11:0. */
static bool ecam_decode(uint64_t off, unsigned size, unsigned *slot)
{
	if (off >= PCI_ECAM_SIZE || size > 4 || ((off >> 12) & 7))
		return false;
	*slot = (unsigned)(off >> 15) & 0x1f;
	return true;
}

uint64_t pci_ecam_read(struct pci_bus *b, uint64_t off, unsigned size)
{
	unsigned slot;

	if (!ecam_decode(off, size, &slot))
		return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
	return pci_cfg_read(b, slot, (unsigned)(off & 0xfff), size);
}

void pci_ecam_write(struct pci_bus *b, uint64_t off, unsigned size,
		    uint64_t val)
{
	unsigned slot;

	if (ecam_decode(off, size, &slot))
		pci_cfg_write(b, slot, (unsigned)(off & 0xfff), size,
			      (uint32_t)val);
}

/* ---- MSI-X table and PBA ----------------------------------------------- */

bool pci_msix_vec_live(const struct pci_fn *fn, unsigned vec)
{
	return vec < fn->d.msix_vectors && (fn->msix_ctrl & PCI_MSIX_ENABLE) &&
	       !(fn->msix_ctrl & PCI_MSIX_FMASK) && !(fn->msix[vec].ctrl & 1);
}

/* A vector that became live: route it if its entry changed, then send
 * what it held pending. The mirror was stored before this (see notify). */
static void msix_went_live(struct pci_bus *b, struct pci_fn *fn, unsigned v)
{
	uint64_t bit = 1ull << v;

	if (fn->route_dirty & bit) {
		fn->route_dirty &= ~bit;
		b->bk->msix_route(b->ctx, fn, v);
	}
	if (atomic_fetch_and(&fn->live->pba, ~bit) & bit)
		b->bk->msix_fire(b->ctx, fn, v);
}

static void msix_ctrl_write(struct pci_bus *b, struct pci_fn *fn,
			    uint16_t ctrl)
{
	bool was[DEV_PCI_MSIX_MAX];
	unsigned n = fn->d.msix_vectors;

	for (unsigned v = 0; v < n; v++)
		was[v] = pci_msix_vec_live(fn, v);
	fn->msix_ctrl = ctrl;
	atomic_store(&fn->live->ctrl, ctrl);
	for (unsigned v = 0; v < n; v++)
		if (!was[v] && pci_msix_vec_live(fn, v))
			msix_went_live(b, fn, v);
}

static void msix_vctrl_write(struct pci_bus *b, struct pci_fn *fn,
			     unsigned v, uint32_t val)
{
	bool was = pci_msix_vec_live(fn, v);
	uint64_t bit = 1ull << v;

	fn->msix[v].ctrl = val & 1;
	if (val & 1)
		atomic_fetch_or(&fn->live->mask, bit);
	else
		atomic_fetch_and(&fn->live->mask, ~bit);
	if (!was && pci_msix_vec_live(fn, v))
		msix_went_live(b, fn, v);
}

/* One dword of the table: entry v, word w (0 addr lo, 1 hi, 2 data, 3
 * vector control). A live entry is routed at once; a masked one when it
 * becomes live. */
static void msix_word_write(struct pci_bus *b, struct pci_fn *fn, unsigned v,
			    unsigned w, uint32_t val)
{
	struct pci_msix_entry *e = &fn->msix[v];
	uint32_t *word[3] = { &e->addr_lo, &e->addr_hi, &e->data };

	if (w == 3) {
		msix_vctrl_write(b, fn, v, val);
		return;
	}
	if (w == 0)
		val &= ~3u; /* dword-aligned message address */
	if (*word[w] == val)
		return;
	*word[w] = val;
	fn->route_dirty |= 1ull << v;
	if (pci_msix_vec_live(fn, v)) {
		fn->route_dirty &= ~(1ull << v);
		b->bk->msix_route(b->ctx, fn, v);
	}
}

static uint32_t msix_word_read(const struct pci_fn *fn, unsigned v,
			       unsigned w)
{
	const struct pci_msix_entry *e = &fn->msix[v];
	const uint32_t word[4] = { e->addr_lo, e->addr_hi, e->data, e->ctrl };

	return word[w & 3];
}

static bool msix_access_ok(uint64_t off, unsigned size)
{
	return (size == 4 || size == 8) && !(off & (size - 1)) &&
	       off < PCI_MSIX_BAR_SIZE;
}

static uint32_t msix_read32(struct pci_fn *fn, uint64_t off)
{
	unsigned n = fn->d.msix_vectors;

	if (off < (uint64_t)n * 16)
		return msix_word_read(fn, (unsigned)(off / 16),
				      (unsigned)(off % 16) / 4);
	if (off >= PCI_MSIX_PBA_OFF && off < PCI_MSIX_PBA_OFF + 8) {
		uint64_t valid = n == 64 ? ~0ull : (1ull << n) - 1;
		uint64_t pba = atomic_load(&fn->live->pba) & valid;
		return (uint32_t)(pba >> (off == PCI_MSIX_PBA_OFF ? 0 : 32));
	}
	return 0;
}

uint64_t pci_msix_read(struct pci_bus *b, struct pci_fn *fn, uint64_t off,
		       unsigned size)
{
	if (!msix_access_ok(off, size))
		return ~0ull;
	uint64_t v = msix_read32(fn, off);
	if (size == 8)
		v |= (uint64_t)msix_read32(fn, off + 4) << 32;
	return v;
}

static void msix_write32(struct pci_bus *b, struct pci_fn *fn, uint64_t off,
			 uint32_t val)
{
	if (off < (uint64_t)fn->d.msix_vectors * 16)
		msix_word_write(b, fn, (unsigned)(off / 16),
				(unsigned)(off % 16) / 4, val);
	/* the PBA and the rest of the BAR are read-only */
}

void pci_msix_write(struct pci_bus *b, struct pci_fn *fn, uint64_t off,
		    unsigned size, uint64_t val)
{
	if (!msix_access_ok(off, size))
		return;
	msix_write32(b, fn, off, (uint32_t)val);
	if (size == 8)
		msix_write32(b, fn, off + 4, (uint32_t)(val >> 32));
}
