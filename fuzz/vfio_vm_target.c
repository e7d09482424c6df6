/*
 * fuzz/vfio_vm_target.c - libFuzzer target for a passed-through
 * function's VM side (passthru/vfio_pci.c, vfio_vm.c) over wisp's PCI bus
 * and mem/'s map, with a fake VFIO and KVM that check every call. Both
 * sides are hostile: the input's first 256 bytes are the device's config
 * space (any MSI/MSI-X capability, any table geometry), the next 6 its
 * memory BARs (log2 size), the rest a stream of guest config writes and
 * accesses to its trapped BARs (the MSI-X table among them). Invariants
 * after every op: VFIO is never asked for two interrupt types at once nor
 * for more vectors than wisp reserved GSIs; KVM's irqfds are exactly the
 * live, unmasked vectors' (and no deassign of one never assigned); every
 * route is on the function's GSIs; a forwarded BAR access stays inside its
 * region; no BAR is decoded while memory space is off, and a decoded one
 * is where the guest put it; at the stop, no irqfd and no interrupt type
 * is left.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio_pci.h"

#define OP_LEN 8
#define FD_DEV 10
#define FD_VM 11
#define FD_KVMDEV 12

static void fail(const char *what, unsigned long long a, unsigned long long b)
{
	fprintf(stderr, "vfio_vm invariant: %s (0x%llx 0x%llx)\n", what, a, b);
	abort();
}

/* pci.c's description check lives in devices/framework.c, which wants a
 * registry: this target has no device models. */
const struct dev_entry dev_registry[] = { { 0 } };
const size_t dev_registry_len = 0;

/* --- the fake VFIO and KVM --- */
struct fake {
	unsigned type_on;   /* bit per VFIO irq index with eventfds */
	unsigned count[3];
	uint64_t irqfds;    /* bit g - 16: GSI g has an irqfd */
	const struct vfio_pci *p;
};
static struct fake fk;

static void f_set_irqs(const struct vfio_irq_set *s)
{
	if (s->index > VFIO_PCI_MSIX_IRQ_INDEX ||
	    !(s->flags & VFIO_IRQ_SET_ACTION_TRIGGER))
		return; /* INTx's unmask eventfd */
	unsigned bit = 1u << s->index;
	if (s->count && (fk.type_on & ~bit))
		fail("two interrupt types at once", fk.type_on, s->index);
	if (s->count > (s->index == VFIO_PCI_INTX_IRQ_INDEX ? 1 : fk.p->nvec))
		fail("more vectors than GSIs reserved", s->count, fk.p->nvec);
	fk.type_on = s->count ? fk.type_on | bit : fk.type_on & ~bit;
	fk.count[s->index] = s->count;
}

static void f_irqfd(const struct kvm_irqfd *q)
{
	if (q->gsi < 16 || q->gsi >= 16 + 64)
		fail("irqfd on a GSI wisp never hands out", q->gsi, 0);
	uint64_t bit = 1ull << (q->gsi - 16);
	if (q->flags & KVM_IRQFD_FLAG_DEASSIGN) {
		if (!(fk.irqfds & bit))
			fail("deassigned an irqfd never assigned", q->gsi, 0);
		fk.irqfds &= ~bit;
	} else {
		if (fk.irqfds & bit)
			fail("assigned an irqfd twice", q->gsi, 0);
		fk.irqfds |= bit;
	}
}

static int f_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	if (fd == FD_DEV && req == VFIO_DEVICE_SET_IRQS)
		f_set_irqs(arg);
	else if (fd == FD_VM && req == KVM_IRQFD)
		f_irqfd(arg);
	else if (fd == FD_VM && req == KVM_CREATE_DEVICE)
		((struct kvm_create_device *)arg)->fd = FD_KVMDEV;
	return 0; /* DMA map/unmap, the group add, resets: accepted */
}

/* A BAR access forwarded: inside the region wisp was told of. */
static void f_span(uint64_t off, size_t n)
{
	unsigned bar = (unsigned)(off >> 40);

	if (bar >= VFIO_BARS ||
	    off + n > fk.p->dev->reg[bar].offset + fk.p->dev->reg[bar].size)
		fail("forwarded access outside its region", off, n);
}

static ssize_t f_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off)
{
	f_span(off, n);
	memset(buf, 0x5a, n);
	return (ssize_t)n;
}

static ssize_t f_pwrite(void *ctx, int fd, const void *buf, size_t n,
			uint64_t off)
{
	if (off < (uint64_t)VFIO_CONFIG_REGION << 40)
		f_span(off, n);
	return (ssize_t)n;
}

static int f_close(void *ctx, int fd) { return 0; }

static const struct vfio_sys fsys = {
	.ioctl = f_ioctl, .pread = f_pread, .pwrite = f_pwrite,
	.close = f_close,
};

/* --- the bus's backend: a route push checks the routes --- */
static int f_push(void *ctx)
{
	struct pci_msi_route r[PCI_MAX_VECTORS];
	const struct vfio_pci *p = fk.p;
	unsigned n = vfio_vm_routes(p, r, PCI_MAX_VECTORS);

	if (n != p->nlive)
		fail("routes other than the live vectors", n, p->nlive);
	for (unsigned i = 0; i < n; i++)
		if (r[i].gsi < p->fn.gsi0 || r[i].gsi >= p->fn.gsi0 + p->nvec)
			fail("a route off the function's GSIs", r[i].gsi, 0);
	return 0;
}

static const struct pci_backend fbk = { .routes_push = f_push };

/* The device: its config space and memory BARs (sizes 4 KiB..16 MiB,
 * regions at n << 40, never mmappable: every BAR is trapped). */
static void dev_of(struct vfio_dev *d, const uint8_t *in)
{
	struct vfio_bar bar[VFIO_BARS] = {0};

	memset(d, 0, sizeof(*d));
	d->sys = &fsys;
	d->device = FD_DEV;
	d->group = d->container = -1;
	snprintf(d->addr, sizeof(d->addr), "0000:01:00.0");
	for (unsigned i = 0; i < VFIO_BARS; i++) {
		unsigned lg = in[256 + i] & 0x1f;
		if (lg < 12 || lg > 24)
			continue;
		bar[i].size = 1ull << lg;
		d->reg[i] = (struct vfio_region){bar[i].size, (uint64_t)i << 40,
			VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE};
	}
	d->reg[VFIO_CONFIG_REGION].offset = (uint64_t)VFIO_CONFIG_REGION << 40;
	vfio_cfg_init(&d->cfg, in, bar);
	vfio_dma_init(&d->dma, &fsys, -1, UINT64_MAX);
}

static void check(const struct vfio_pci *p, struct mem *m)
{
	uint64_t live = 0;

	if (p->nlive > p->nvec || p->nvec > VFIO_VEC_MAX)
		fail("live vectors", p->nlive, p->nvec);
	if (p->irqfd_on & ~((1ull << p->nlive) - 1))
		fail("an irqfd past the live vectors", p->irqfd_on, p->nlive);
	for (unsigned v = 0; v < p->nvec; v++)
		if (p->irqfd_on >> v & 1)
			live |= 1ull << (p->fn.gsi0 + v - 16);
	if (p->intx_irqfd)
		live |= 1ull << (p->intx_gsi - 16);
	if (live != fk.irqfds)
		fail("KVM's irqfds are not wisp's", fk.irqfds, live);
	for (unsigned n = 0; n < VFIO_BARS; n++) {
		struct gmap_range r;
		uint64_t at = p->bar[n].at;
		if (at && !(vfio_cfg_command(&p->dev->cfg) & 2))
			fail("a BAR decoded with memory space off", n, at);
		if (at && (at != vfio_cfg_bar_addr(&p->dev->cfg, n) ||
			   !gmap_lookup(&m->map, at, 1, &r) || r.opaque != &p->bar[n]))
			fail("a BAR decoded elsewhere", n, at);
	}
}

static void op_run(struct vfio_pci *p, struct pci_bus *bus, struct mem *m,
		   const uint8_t *op)
{
	unsigned sz = 1u << (op[1] & 3);
	uint32_t val;
	struct gmap_range r;

	memcpy(&val, op + 4, 4);
	if (!(op[0] & 1)) { /* a config write */
		pci_cfg_write(bus, p->fn.slot, (op[2] | op[3] << 8) & 0xfff,
			      sz, val);
		return;
	}
	unsigned n = (op[0] >> 1) % VFIO_BARS; /* a BAR access, where decoded */
	uint64_t off = (uint64_t)(op[2] | op[3] << 8) << (op[1] >> 4 & 7);
	if (!p->bar[n].at || !gmap_lookup(&m->map, p->bar[n].at, 1, &r))
		return;
	const struct dev_io_ops *ops = r.ops;
	off %= r.size;
	if (op[1] & 0x80)
		ops->write(p->vm.owner, r.opaque, off, sz, val);
	else
		(void)ops->read(p->vm.owner, r.opaque, off, sz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vfio_dev d;
	static struct vfio_pci p;
	static struct pci_bus bus;
	static struct dev_ins owner;
	struct mem m;
	char err[300];
	int kvm_vfio = -1;

	if (size < 256 + VFIO_BARS || mem_init(&m, 2 << 20) < 0)
		return 0;
	memset(&fk, 0, sizeof(fk));
	fk.p = &p;
	dev_of(&d, data);
	pci_bus_init(&bus, &fbk, &bus);
	struct vfio_vm vm = {FD_VM, &m, &owner, &kvm_vfio, NULL, NULL};
	if (vfio_pci_attach(&p, &bus, &d, 0, err, sizeof(err)) < 0 ||
	    vfio_vm_start(&p, &vm, err, sizeof(err)) < 0) {
		mem_destroy(&m);
		return 0;
	}
	check(&p, &m);
	for (size_t at = 256 + VFIO_BARS; at + OP_LEN <= size; at += OP_LEN) {
		op_run(&p, &bus, &m, data + at);
		check(&p, &m);
	}
	vfio_vm_stop(&p);
	if (fk.irqfds || fk.type_on)
		fail("left after the stop", fk.irqfds, fk.type_on);
	mem_destroy(&m);
	return 0;
}
