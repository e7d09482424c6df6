/*
 * fuzz/fuzz_hlp.c - the buffer-backed helper table (see fuzz_hlp.h). Its
 * checks are wisp's own (devices/hlp_check.h); what is here is the effect
 * of each call: a buffer, a record the test reads.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlp.h"

static struct fuzz_host *host_of(struct dev_ins *ins)
{
	fuzz_caller(ins);
	return ins->host;
}

/* --- ranges --- */

static bool range_overlaps(const struct fuzz_range *r, enum dev_space space,
			   uint64_t base, uint64_t end)
{
	return r->space == space && base < r->base + r->len && r->base < end;
}

static int hlp_io_register(struct dev_ins *ins, enum dev_space space,
			   uint64_t base, uint64_t len,
			   const struct dev_io_ops *ops, void *opaque)
{
	struct fuzz_host *h = host_of(ins);
	uint64_t end;
	int rc = hlp_check_io_register(space, ops, fuzz_caller(ins)->constructed);

	if (rc == 0)
		rc = hlp_check_span(base, len, space == DEV_SPACE_PIO ?
				    FUZZ_PIO_LIMIT : FUZZ_MMIO_LIMIT, &end);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < h->n_ranges; i++)
		if (range_overlaps(&h->ranges[i], space, base, end))
			return -EEXIST;
	if (h->n_ranges >= FUZZ_MAX_RANGES)
		return -ENOMEM;
	h->ranges[h->n_ranges++] =
		(struct fuzz_range){ ins, space, base, len, ops, opaque };
	return 0;
}

static void range_drop(struct fuzz_host *h, size_t i)
{
	memmove(&h->ranges[i], &h->ranges[i + 1],
		(h->n_ranges - i - 1) * sizeof(h->ranges[0]));
	h->n_ranges--;
}

static int hlp_io_unregister(struct dev_ins *ins, enum dev_space space,
			     uint64_t base)
{
	struct fuzz_host *h = host_of(ins);
	int rc = hlp_check_io_unregister(space, fuzz_caller(ins)->constructed);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < h->n_ranges; i++) {
		struct fuzz_range *r = &h->ranges[i];
		if (r->space != space || r->base != base)
			continue;
		if (r->owner != ins)
			return -EPERM;
		range_drop(h, i);
		return 0;
	}
	return -ENOENT;
}

/* --- interrupts --- */

static int hlp_irq_claim(struct dev_ins *ins, unsigned gsi)
{
	struct fuzz_host *h = host_of(ins);
	struct fuzz_dev *d = fuzz_caller(ins);
	int rc = hlp_check_irq_claim(gsi, d->constructed,
				     gsi < FUZZ_NR_GSI && h->irqs[gsi].owner);

	if (rc < 0)
		return rc;
	h->irqs[gsi] = (struct fuzz_irq){ .owner = ins };
	d->irqs |= 1u << gsi;
	return 0;
}

static void irq_line(struct fuzz_irq *q, bool level)
{
	if (level && !q->level)
		q->rises++;
	q->level = level;
}

static int hlp_irq_set(struct dev_ins *ins, unsigned gsi,
		       enum dev_irq_level level)
{
	struct fuzz_host *h = host_of(ins);
	int rc = hlp_check_irq_set(fuzz_caller(ins)->irqs, gsi, level);

	if (rc < 0)
		return rc;
	struct fuzz_irq *q = &h->irqs[gsi];
	if (level != DEV_IRQ_PULSE) {
		irq_line(q, level == DEV_IRQ_HIGH);
	} else { /* high then low, as two KVM_IRQ_LINE calls */
		irq_line(q, true);
		irq_line(q, false);
		q->pulses++;
	}
	q->sets++;
	return 0;
}

/* --- guest memory: one (gpa, len) check, overflow-safe --- */

static uint8_t *mem_ptr(struct fuzz_host *h, uint64_t gpa, size_t len)
{
	if (gpa >= FUZZ_MEM_SIZE || len > FUZZ_MEM_SIZE - gpa)
		return NULL;
	return h->mem + gpa;
}

static int hlp_mem_read(struct dev_ins *ins, uint64_t gpa, void *buf,
			size_t len)
{
	uint8_t *p = mem_ptr(host_of(ins), gpa, len);

	if (!p || hlp_buf_bad(buf, len))
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

static int hlp_mem_write(struct dev_ins *ins, uint64_t gpa, const void *buf,
			 size_t len)
{
	uint8_t *p = mem_ptr(host_of(ins), gpa, len);

	if (!p || hlp_buf_bad(buf, len))
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

/* --- config and logging --- */

static void hlp_log(struct dev_ins *ins, enum dev_log_level lvl,
		    const char *fmt, ...)
{
	struct fuzz_host *h = host_of(ins);
	va_list ap;

	if ((unsigned)lvl > DEV_LOG_DEBUG)
		fuzz_fail("%s: log level %d", ins->name, (int)lvl);
	va_start(ap, fmt);
	vsnprintf(h->last_log, sizeof(h->last_log), fmt, ap);
	va_end(ap);
	h->log_lines[lvl]++;
	if (h->verbose)
		fprintf(stderr, "%s: %s\n", ins->name, h->last_log);
}

/* --- doorbells --- */

static int hlp_ioevent_register(struct dev_ins *ins, enum dev_space space,
				uint64_t addr, unsigned len, dev_notify_fn fn,
				void *opaque)
{
	struct fuzz_dev *d = fuzz_caller(ins);
	int bell = fuzz_doorbell_check(ins, space, addr, len);
	int rc = hlp_check_ioevent(fn, bell, d->n_ioevents, false);

	if (rc < 0)
		return rc;
	d->ioevents[d->n_ioevents++] = (struct fuzz_ioevent){
		.space = space, .addr = addr, .len = len, .fn = fn,
		.opaque = opaque };
	return 0;
}

/* --- timers --- */

static int hlp_timer_create(struct dev_ins *ins, dev_timer_fn fn, void *opaque)
{
	struct fuzz_dev *d = fuzz_caller(ins);
	int rc = hlp_check_timer_create(fn, d->constructed, d->n_timers, false);

	if (rc < 0)
		return rc;
	d->timers[d->n_timers] = (struct fuzz_timer){ .fn = fn, .opaque = opaque };
	return (int)d->n_timers++;
}

static int hlp_timer_arm(struct dev_ins *ins, int timer, uint64_t ns)
{
	struct fuzz_dev *d = fuzz_caller(ins);
	struct fuzz_host *h = ins->host;
	int rc = hlp_check_timer_arm(timer, d->n_timers);

	if (rc < 0)
		return rc;
	struct fuzz_timer *t = &d->timers[timer];
	t->armed = ns != 0;
	if (__builtin_add_overflow(h->now_ns, ns, &t->deadline))
		t->deadline = UINT64_MAX;
	return 0;
}

/* --- console --- */

/* Output past out_room is refused, as a full pipe refuses it in wisp,
 * only to a device that set chr_set_tx; the refusal owes it a callback. */
static long hlp_chr_write(struct dev_ins *ins, const void *buf, size_t len)
{
	struct fuzz_dev *d = fuzz_caller(ins);

	if (len && !buf)
		return -EFAULT;
	if (d->tx && len > d->out_room) {
		d->tx_owed = true;
		len = d->out_room;
		if (!len)
			return -EAGAIN;
	}
	if (d->tx && d->out_room != FUZZ_ROOM_ANY)
		d->out_room -= len;
	size_t room = FUZZ_OUT_MAX - d->out_len;
	size_t n = len < room ? len : room;
	memcpy(d->out + d->out_len, buf, n);
	d->out_len += n;
	d->out_total += len;
	return (long)len;
}

static int hlp_chr_set_tx(struct dev_ins *ins, dev_chr_tx_fn fn)
{
	struct fuzz_dev *d = fuzz_caller(ins);
	int rc = hlp_check_chr_set_tx(fn, d->constructed);

	if (rc < 0)
		return rc;
	d->tx = fn;
	return 0;
}

void fuzz_chr_room(struct fuzz_host *h, struct dev_ins *ins, size_t room)
{
	struct fuzz_dev *d = fuzz_dev_of(h, ins);

	if (!d)
		fuzz_fail("console room for an instance the host does not own");
	d->out_room = room;
	if (!room || !d->tx_owed)
		return;
	d->tx_owed = false;
	d->tx_calls++;
	d->tx(ins);
}

static int hlp_chr_set_rx(struct dev_ins *ins, dev_chr_rx_fn fn)
{
	fuzz_caller(ins)->rx = fn;
	return 0;
}

static void hlp_guest_booted(struct dev_ins *ins)
{
	fuzz_caller(ins)->booted_calls++;
}

static void hlp_chr_rx_ready(struct dev_ins *ins)
{
	struct fuzz_dev *d = fuzz_caller(ins);

	d->rx_ready_calls++;
	/* The monitor wakes its event loop only when input is held. */
	if (d->pend_len)
		d->rx_waiting = false;
}

static uint64_t hlp_clock_ns(struct dev_ins *ins)
{
	return host_of(ins)->now_ns;
}

/* --- MMIO2: mem/'s code over its own map, no KVM --- */

static struct mem *pgm_of(struct dev_ins *ins)
{
	return &host_of(ins)->pgm;
}

struct mem *hlp_host_map(struct dev_ins *ins, bool *constructed)
{
	*constructed = fuzz_caller(ins)->constructed;
	return pgm_of(ins);
}

static int hlp_mmio2_map(struct dev_ins *ins, int h, uint64_t gpa)
{
	return mem_mmio2_map(pgm_of(ins), ins, h, gpa, NULL, 0);
}

int fuzz_guest_write(struct fuzz_host *h, uint64_t gpa, const void *buf,
		     size_t len)
{
	return mem_sim_guest_write(&h->pgm, gpa, buf, len);
}

/* --- trusted powers --- */

static void hlp_vm_poweroff(struct dev_ins *ins, int status)
{
	struct fuzz_host *h = host_of(ins);

	h->poweroff_calls++;
	h->poweroff_status = status;
}

static void hlp_vm_reset(struct dev_ins *ins)
{
	host_of(ins)->reset_calls++;
}

static struct dev_ins *hlp_dev_find(struct dev_ins *ins, const char *name,
				    unsigned idx)
{
	struct fuzz_host *h = host_of(ins);

	for (unsigned i = 0; i < FUZZ_MAX_DEVS; i++) {
		struct fuzz_dev *d = &h->devs[i];
		if (d->used && d->ins.idx == idx && !strcmp(d->ins.reg->name, name))
			return &d->ins;
	}
	return NULL;
}

static int hlp_ram_track(struct dev_ins *ins, bool on)
{
	host_of(ins)->ram_track_calls++;
	return 0;
}

/* The fake's RAM is a plain buffer with no log: the conservative answer,
 * every page dirty, after the same argument checks as mem_ram_query. */
static int hlp_ram_query(struct dev_ins *ins, uint64_t gpa, uint64_t size,
			 uint64_t *bitmap, size_t bytes)
{
	host_of(ins);
	if ((gpa | size) & 0xfff || !size || !mem_ptr(ins->host, gpa, size))
		return -EINVAL;
	if (!bitmap)
		return 0;
	if (bytes != dev_mmio2_bitmap_bytes(size))
		return -EINVAL;
	memset(bitmap, 0, bytes);
	for (uint64_t p = 0; p < size / 4096; p++)
		bitmap[p / 64] |= 1ull << (p % 64);
	return 0;
}

static void hlp_vm_fault(struct dev_ins *ins, const char *why)
{
	struct fuzz_host *h = host_of(ins);

	h->fault_calls++;
	snprintf(h->fault_why, sizeof(h->fault_why), "%s", why ? why : "");
}

static void hlp_vm_panic(struct dev_ins *ins)
{
	host_of(ins)->panic_calls++;
}

static uint64_t hlp_walltime_ns(struct dev_ins *ins)
{
	struct fuzz_host *h = host_of(ins);

	return h->walltime_ns + h->now_ns;
}

/* --- the fake PCI bus: the same description checks as wisp, BARs at
 * fixed addresses (fuzz_hlp.h), MSI-X state the test drives --- */

static unsigned pci_free_slot(struct fuzz_host *h)
{
	unsigned s;

	for (s = 0; s < FUZZ_PCI_SLOTS; s++) {
		bool taken = false;
		for (unsigned i = 0; i < FUZZ_MAX_DEVS; i++)
			taken |= h->devs[i].used && h->devs[i].pci.used &&
				 h->devs[i].pci.slot == s;
		if (!taken)
			break;
	}
	return s;
}

/* Each BAR aligned to its size, in index order, inside the slot's span. */
static int pci_place(struct fuzz_pci *p, const struct dev_pci_func *f)
{
	uint64_t base = FUZZ_PCI_MMIO_BASE + p->slot * FUZZ_PCI_SLOT_SPAN;
	uint64_t at = 0;

	for (unsigned i = 0; i < DEV_PCI_BARS; i++) {
		uint64_t size = f->msix_vectors && f->msix_bar == i
					? FUZZ_PCI_MSIX_BAR_SIZE : f->bar[i].size;
		if (!size)
			continue;
		at = (at + size - 1) & ~(size - 1);
		if (at + size > FUZZ_PCI_SLOT_SPAN)
			return -ENOSPC;
		p->bar_gpa[i] = base + at;
		at += size;
	}
	return 0;
}

static int hlp_io_register(struct dev_ins *ins, enum dev_space space,
			   uint64_t base, uint64_t len,
			   const struct dev_io_ops *ops, void *opaque);

static int pci_map_bars(struct dev_ins *ins, struct fuzz_pci *p)
{
	for (unsigned i = 0; i < DEV_PCI_BARS; i++) {
		const struct dev_pci_bar *b = &p->f.bar[i];
		int rc;
		if (!b->size)
			continue;
		rc = hlp_io_register(ins, DEV_SPACE_MMIO, p->bar_gpa[i], b->size,
				     b->ops, b->opaque);
		if (rc < 0) {
			for (unsigned j = 0; j < i; j++)
				if (p->f.bar[j].size)
					hlp_io_unregister(ins, DEV_SPACE_MMIO,
							  p->bar_gpa[j]);
			return rc;
		}
	}
	return 0;
}

static int hlp_pci_register(struct dev_ins *ins, const struct dev_pci_func *f)
{
	struct fuzz_dev *d = fuzz_caller(ins);
	struct fuzz_pci p = { .used = true };
	int rc;

	if (dev_pci_func_check(f) < 0 || d->constructed)
		return -EINVAL;
	if (d->pci.used)
		return -EBUSY;
	if ((p.slot = pci_free_slot(ins->host)) >= FUZZ_PCI_SLOTS)
		return -ENOSPC;
	p.f = *f;
	if ((rc = pci_place(&p, f)) < 0 || (rc = pci_map_bars(ins, &p)) < 0)
		return rc;
	d->pci = p;
	return (int)p.slot;
}

static void msix_send(struct fuzz_pci *p, unsigned vec)
{
	if (!p->msix_on)
		p->lost++;
	else if (p->fmask || p->masked[vec])
		p->pending[vec] = true;
	else {
		p->pending[vec] = false;
		p->sent[vec]++;
	}
}

static int hlp_msix_notify(struct dev_ins *ins, unsigned vec)
{
	struct fuzz_pci *p = &fuzz_caller(ins)->pci;

	if (!p->used)
		return -EPERM;
	if (vec >= p->f.msix_vectors) {
		p->refused++;
		return -EINVAL;
	}
	p->notifies++;
	msix_send(p, vec);
	return 0;
}

struct fuzz_pci *fuzz_pci_of(struct fuzz_host *h, struct dev_ins *ins)
{
	struct fuzz_dev *d = fuzz_dev_of(h, ins);

	return d && d->pci.used ? &d->pci : NULL;
}

uint64_t fuzz_pci_bar(struct fuzz_host *h, struct dev_ins *ins, unsigned bar)
{
	struct fuzz_pci *p = fuzz_pci_of(h, ins);

	return p && bar < DEV_PCI_BARS ? p->bar_gpa[bar] : 0;
}

/* The range BAR `bar` is served at, or NULL (the MSI-X BAR has none). */
static struct fuzz_range *bar_range(struct fuzz_host *h, struct dev_ins *ins,
				    const struct fuzz_pci *p, unsigned bar)
{
	for (size_t i = 0; i < h->n_ranges; i++)
		if (h->ranges[i].owner == ins &&
		    h->ranges[i].space == DEV_SPACE_MMIO &&
		    h->ranges[i].base == p->bar_gpa[bar])
			return &h->ranges[i];
	return NULL;
}

int fuzz_pci_move_bar(struct fuzz_host *h, struct dev_ins *ins, unsigned bar,
		      uint64_t gpa)
{
	struct fuzz_pci *p = fuzz_pci_of(h, ins);
	uint64_t size, end;

	if (!p || bar >= DEV_PCI_BARS || !p->bar_gpa[bar])
		return -EINVAL;
	size = p->f.bar[bar].size ? p->f.bar[bar].size : FUZZ_PCI_MSIX_BAR_SIZE;
	if (!gpa || (gpa & (size - 1)) || __builtin_add_overflow(gpa, size, &end))
		return -EINVAL;
	struct fuzz_range *self = bar_range(h, ins, p, bar);
	for (size_t i = 0; i < h->n_ranges; i++)
		if (&h->ranges[i] != self &&
		    range_overlaps(&h->ranges[i], DEV_SPACE_MMIO, gpa, end))
			return -EEXIST;
	if (self)
		self->base = gpa;
	p->bar_gpa[bar] = gpa; /* the doorbell moves with it */
	return 0;
}

/* Pending vectors that are no longer masked go out, as the PBA drains. */
static void msix_drain(struct fuzz_pci *p)
{
	for (unsigned v = 0; v < p->f.msix_vectors; v++)
		if (p->pending[v])
			msix_send(p, v);
}

int fuzz_msix_enable(struct fuzz_host *h, struct dev_ins *ins, bool on)
{
	struct fuzz_pci *p = fuzz_pci_of(h, ins);

	if (!p)
		return -EPERM;
	p->msix_on = on;
	if (on)
		msix_drain(p);
	return 0;
}

int fuzz_msix_mask(struct fuzz_host *h, struct dev_ins *ins, unsigned vec,
		   bool masked)
{
	struct fuzz_pci *p = fuzz_pci_of(h, ins);

	if (!p)
		return -EPERM;
	if (vec >= p->f.msix_vectors)
		return -EINVAL;
	p->masked[vec] = masked;
	if (!masked && p->pending[vec])
		msix_send(p, vec);
	return 0;
}

/* A write a BAR's doorbell catches, as KVM's ioeventfd at its address. */
static bool pci_doorbell(struct fuzz_dev *d, uint64_t addr, unsigned size)
{
	struct fuzz_pci *p = &d->pci;

	for (unsigned i = 0; p->used && i < DEV_PCI_BARS; i++) {
		const struct dev_pci_bar *b = &p->f.bar[i];
		if (!b->size || !b->bell_len || size != b->bell_len ||
		    addr != p->bar_gpa[i] + b->bell_off)
			continue;
		p->bells[i]++;
		b->bell_fn(&d->ins, b->bell_opaque, 1);
		return true;
	}
	return false;
}

static const struct dev_hlp_trusted fuzz_powers = {
	HLP_TRUSTED_MEMBERS(hlp_),
};

#define FUZZ_HLP_COMMON                                                        \
	HLP_OWN_MEMBERS(hlp_), HLP_COMMON_MEMBERS, HLP_MMIO2_MEMBERS,          \
	HLP_FILE_MEMBERS(fuzz_file_), HLP_WAIT_MEMBERS(fuzz_file_),            \
	.mmio2_map = hlp_mmio2_map, .irq_set = hlp_irq_set,                    \
	.chr_write = hlp_chr_write, .chr_rx_ready = hlp_chr_rx_ready,          \
	.guest_booted = hlp_guest_booted, .uptime_ns = hlp_clock_ns,           \
	.msix_notify = hlp_msix_notify, .file_punch = fuzz_file_punch,         \
	.file_zero = fuzz_file_zero

static const struct dev_hlp fuzz_hlp_untrusted = { FUZZ_HLP_COMMON,
						   .trusted = NULL };
static const struct dev_hlp fuzz_hlp_trusted = { FUZZ_HLP_COMMON,
						 .trusted = &fuzz_powers };

/* --- the host: instances --- */

void fuzz_host_init(struct fuzz_host *h)
{
	memset(h, 0, sizeof(*h));
	h->verbose = getenv("WISP_FUZZ_VERBOSE") != NULL;
	mem_init_empty(&h->pgm);
}

void fuzz_host_fini(struct fuzz_host *h)
{
	for (unsigned i = 0; i < FUZZ_MAX_DEVS; i++)
		if (h->devs[i].used)
			fuzz_dev_destroy(h, &h->devs[i].ins);
	mem_destroy(&h->pgm);
}

struct fuzz_fixture *fuzz_fixture_new(const struct dev_reg *reg, bool trusted)
{
	struct fuzz_fixture *f = malloc(sizeof(*f));

	if (!f)
		return NULL;
	fuzz_host_init(&f->h);
	f->ins = NULL;
	if (reg && fuzz_dev_create(&f->h, reg, trusted, NULL, &f->ins) < 0) {
		fuzz_fixture_free(f);
		return NULL;
	}
	return f;
}

void fuzz_fixture_free(struct fuzz_fixture *f)
{
	if (!f)
		return;
	fuzz_host_fini(&f->h);
	free(f);
}

int fuzz_fixture_setup_empty(void **state)
{
	*state = fuzz_fixture_new(NULL, false);
	return *state ? 0 : -1;
}

int fuzz_fixture_teardown(void **state)
{
	fuzz_fixture_free(*state);
	return 0;
}

static unsigned count_live(const struct fuzz_host *h, const struct dev_reg *reg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < FUZZ_MAX_DEVS; i++)
		n += h->devs[i].used && h->devs[i].ins.reg == reg;
	return n;
}

static struct fuzz_dev *free_slot(struct fuzz_host *h)
{
	for (unsigned i = 0; i < FUZZ_MAX_DEVS; i++)
		if (!h->devs[i].used)
			return &h->devs[i];
	return NULL;
}

/* Everything the instance owns goes back, as when a VM ends. */
static void release_all(struct fuzz_host *h, struct fuzz_dev *d)
{
	for (size_t i = h->n_ranges; i-- > 0;)
		if (h->ranges[i].owner == &d->ins)
			range_drop(h, i);
	for (unsigned g = 0; g < FUZZ_NR_GSI; g++)
		if (h->irqs[g].owner == &d->ins)
			h->irqs[g] = (struct fuzz_irq){ 0 };
	for (int r = 0; r < MEM_MAX_MMIO2; r++)
		if (h->pgm.mmio2[r].used && h->pgm.mmio2[r].owner == &d->ins)
			mem_mmio2_destroy(&h->pgm, &d->ins, r);
	free(d->ins.priv);
	memset(d, 0, sizeof(*d));
}

/* No spec: no config, and reg need not be in the registry (tests use
 * probe devices of their own). */
static int parse_for(struct fuzz_host *h, struct fuzz_dev *d,
		     const struct dev_reg *reg, const char *spec)
{
	if (!spec) {
		d->ins.reg = reg;
		return 0;
	}
	if (dev_parse_spec(spec, &d->ins, h->err, sizeof(h->err)) < 0)
		return -EINVAL;
	if (d->ins.reg != reg) {
		snprintf(h->err, sizeof(h->err), "spec '%s' does not name %s",
			 spec, reg->name);
		return -EINVAL;
	}
	return 0;
}

static int check_create(struct fuzz_host *h, const struct dev_reg *reg,
			bool trusted)
{
	if (!reg->ops || !reg->ops->construct || !reg->ops->reset) {
		snprintf(h->err, sizeof(h->err), "%s: construct/reset missing",
			 reg->name);
		return -EINVAL;
	}
	if (count_live(h, reg) >= reg->max_instances || !free_slot(h)) {
		snprintf(h->err, sizeof(h->err), "too many instances of %s",
			 reg->name);
		return -EBUSY;
	}
	if (trusted && !(reg->flags & DEV_F_TRUSTABLE)) {
		snprintf(h->err, sizeof(h->err), "%s cannot be trusted",
			 reg->name);
		return -EPERM;
	}
	return 0;
}

/* Files staged for this instance are its before construct runs. */
static int stage_files(struct fuzz_host *h, struct fuzz_dev *d)
{
	unsigned n = h->n_staged;

	h->n_staged = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct fuzz_staged_file *sf = &h->staged[i];
		d->waitset |= sf->pollable;
		if (fuzz_dev_attach_file(h, &d->ins, sf->key, sf->disk, sf->size,
					 sf->pollable) < 0)
			return -EINVAL;
	}
	return 0;
}

int fuzz_stage_file(struct fuzz_host *h, unsigned key, uint8_t *disk,
		    size_t size, bool pollable)
{
	if (key >= DEV_FILE_KEYS)
		return -EINVAL;
	if (h->n_staged >= FUZZ_STAGED_MAX)
		return -ENOSPC;
	h->staged[h->n_staged++] = (struct fuzz_staged_file){
		.key = key, .disk = disk, .size = size, .pollable = pollable };
	return 0;
}

static int fill_ins(struct fuzz_host *h, struct fuzz_dev *d, bool trusted)
{
	struct dev_ins *ins = &d->ins;
	size_t sz = ins->reg->instance_size;

	ins->idx = count_live(h, ins->reg);
	snprintf(ins->name, sizeof(ins->name), "%s.%u", ins->reg->name,
		 ins->idx);
	/* Like the monitor: priv always points at something. */
	ins->priv = calloc(1, sz ? sz : 1);
	if (!ins->priv)
		return -ENOMEM;
	ins->hlp = trusted ? &fuzz_hlp_trusted : &fuzz_hlp_untrusted;
	ins->host = h;
	d->trusted = trusted;
	d->used = true;
	d->blob_key = h->next_blob_key;
	d->blob = h->next_blob;
	d->blob_len = h->next_blob_len;
	if (stage_files(h, d) < 0) {
		free(ins->priv);
		return -EINVAL;
	}
	return 0;
}

static int probe_construct(struct dev_ins *ins)
{
	return 0;
}

static void probe_reset(struct dev_ins *ins)
{
}

static const struct dev_ops probe_ops = {
	.construct = probe_construct,
	.reset = probe_reset,
};

const struct dev_reg fuzz_probe_reg = {
	.name = "probe", .cls = DEV_CLASS_MISC, .max_instances = 1,
	.ops = &probe_ops,
};

int fuzz_dev_create(struct fuzz_host *h, const struct dev_reg *reg,
		    bool trusted, const char *spec, struct dev_ins **out)
{
	int rc = check_create(h, reg, trusted);

	if (rc)
		return rc;
	struct fuzz_dev *d = free_slot(h);
	memset(d, 0, sizeof(*d));
	d->out_room = FUZZ_ROOM_ANY;
	if ((rc = parse_for(h, d, reg, spec)) < 0 ||
	    (rc = fill_ins(h, d, trusted)) < 0) {
		memset(d, 0, sizeof(*d));
		return rc;
	}
	rc = reg->ops->construct(&d->ins);
	if (rc < 0) {
		snprintf(h->err, sizeof(h->err), "%s: construct failed: %s",
			 d->ins.name, strerror(-rc));
		release_all(h, d);
		return rc;
	}
	d->constructed = true;
	*out = &d->ins;
	return 0;
}

void fuzz_dev_destroy(struct fuzz_host *h, struct dev_ins *ins)
{
	struct fuzz_dev *d = fuzz_dev_of(h, ins);

	if (!d)
		fuzz_fail("destroying an instance the host does not own");
	if (ins->reg->ops->destruct)
		ins->reg->ops->destruct(ins);
	release_all(h, d);
}

void fuzz_dev_reset(struct fuzz_host *h, struct dev_ins *ins)
{
	if (!fuzz_dev_of(h, ins))
		fuzz_fail("resetting an instance the host does not own");
	ins->reg->ops->reset(ins);
	fuzz_chr_pump(h);
}

/* --- guest accesses --- */

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* A write a doorbell catches never reaches the range (KVM's ioeventfd). */
static bool doorbell(struct fuzz_host *h, enum dev_space space, uint64_t addr,
		     unsigned size)
{
	for (size_t i = 0; i < FUZZ_MAX_DEVS; i++) {
		struct fuzz_dev *d = &h->devs[i];
		for (unsigned j = 0; d->used && j < d->n_ioevents; j++) {
			struct fuzz_ioevent *e = &d->ioevents[j];
			if (e->space != space || e->addr != addr || e->len != size)
				continue;
			e->rung++;
			e->fn(&d->ins, e->opaque, 1);
			return true;
		}
		if (d->used && space == DEV_SPACE_MMIO && pci_doorbell(d, addr, size))
			return true;
	}
	return false;
}

int fuzz_io(struct fuzz_host *h, enum dev_space space, uint64_t addr,
	    unsigned size, bool is_write, uint64_t *val)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	if (is_write && doorbell(h, space, addr, size))
		return 0;
	const struct fuzz_range *r = fuzz_range_find(h, space, addr, size);
	if (!r) {
		h->unclaimed++;
		if (!is_write)
			*val = size_mask(size);
		return -ENOENT;
	}
	uint64_t off = addr - r->base;
	if (is_write && r->ops->write)
		r->ops->write(r->owner, r->opaque, off, size, *val & size_mask(size));
	else if (!is_write)
		*val = (r->ops->read ? r->ops->read(r->owner, r->opaque, off, size)
				     : ~0ull) & size_mask(size);
	fuzz_chr_pump(h);
	return 0;
}

uint64_t fuzz_pio_read(struct fuzz_host *h, uint64_t port, unsigned size)
{
	uint64_t v = 0;

	fuzz_io(h, DEV_SPACE_PIO, port, size, false, &v);
	return v;
}

void fuzz_pio_write(struct fuzz_host *h, uint64_t port, unsigned size,
		    uint64_t val)
{
	fuzz_io(h, DEV_SPACE_PIO, port, size, true, &val);
}

uint64_t fuzz_mmio_read(struct fuzz_host *h, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;

	fuzz_io(h, DEV_SPACE_MMIO, gpa, size, false, &v);
	return v;
}

void fuzz_mmio_write(struct fuzz_host *h, uint64_t gpa, unsigned size,
		     uint64_t val)
{
	fuzz_io(h, DEV_SPACE_MMIO, gpa, size, true, &val);
}

/* --- the op interpreter --- */

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static uint64_t in_le(struct fuzz_in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

static uint64_t window(uint64_t base, uint64_t span, uint64_t pad, uint64_t r)
{
	uint64_t lo = base >= pad ? base - pad : 0;

	return lo + r % (span + 2 * pad);
}

static void op_access(struct fuzz_host *h, const struct fuzz_target *t,
		      struct fuzz_in *in, struct fuzz_op *op)
{
	bool mmio = op->kind == FUZZ_OP_MMIO_W || op->kind == FUZZ_OP_MMIO_R;
	bool wr = op->kind == FUZZ_OP_PIO_W || op->kind == FUZZ_OP_MMIO_W;
	uint64_t a = in_le(in, 1);

	op->size = 1u << (a >> 6);
	op->space = mmio ? DEV_SPACE_MMIO : DEV_SPACE_PIO;
	if (mmio && !t->mmio_span)
		return;
	op->addr = mmio ? window(t->mmio_base, t->mmio_span, 8, in_le(in, 2))
			: window(t->pio_base, t->pio_span, 4, a & 63);
	if (wr)
		op->val = in_le(in, op->size);
	op->rc = fuzz_io(h, op->space, op->addr, op->size, wr, &op->val);
}

static void op_mem(struct fuzz_host *h, struct fuzz_in *in)
{
	uint64_t gpa = in_le(in, 2);
	size_t n = (size_t)in_le(in, 1);

	n = n < in->n ? n : in->n;
	n = n < FUZZ_MEM_SIZE - gpa ? n : FUZZ_MEM_SIZE - gpa;
	memcpy(h->mem + gpa, in->p, n);
	in->p += n;
	in->n -= n;
}

static void op_input(struct fuzz_host *h, struct dev_ins *ins,
		     struct fuzz_in *in)
{
	size_t n = (size_t)in_le(in, 1) % 64;

	n = n < in->n ? n : in->n;
	fuzz_chr_input(h, ins, in->p, n);
	in->p += n;
	in->n -= n;
}

static void op_one(struct fuzz_host *h, struct dev_ins *ins,
		   const struct fuzz_target *t, struct fuzz_in *in,
		   struct fuzz_op *op)
{
	switch (op->kind) {
	case FUZZ_OP_PIO_W: case FUZZ_OP_PIO_R:
	case FUZZ_OP_MMIO_W: case FUZZ_OP_MMIO_R:
		op_access(h, t, in, op);
		break;
	case FUZZ_OP_INPUT: op_input(h, ins, in); break;
	case FUZZ_OP_CLOCK:
		op->val = in_le(in, 4); /* a target may read more into it */
		fuzz_advance(h, op->val);
		break;
	case FUZZ_OP_RESET: fuzz_dev_reset(h, ins); break;
	case FUZZ_OP_MEM: op_mem(h, in); break;
	case FUZZ_OP_TIMER:
		fuzz_timer_fire(h, ins, (unsigned)in_le(in, 1) % FUZZ_MAX_TIMERS);
		break;
	case FUZZ_OP_COUNT: break;
	}
}

void fuzz_run(struct fuzz_host *h, struct dev_ins *ins,
	      const struct fuzz_target *t, const uint8_t *data, size_t len)
{
	struct fuzz_in in = { data, len };

	while (in.n) {
		struct fuzz_op op = { 0 };
		op.kind = (enum fuzz_op_kind)(in_le(&in, 1) % FUZZ_OP_COUNT);
		op.rc = 1; /* not an access */
		op_one(h, ins, t, &in, &op);
		if (h->verbose)
			fprintf(stderr, "op %d space %d addr 0x%llx size %u "
				"val 0x%llx rc %d\n", op.kind, op.space,
				(unsigned long long)op.addr, op.size,
				(unsigned long long)op.val, op.rc);
		t->check(h, ins, &op, t->ctx);
	}
}
