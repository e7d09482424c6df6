/*
 * passthru/vfio_vm.c - a passed-through function's VM side: what the
 * guest's config writes mean once the VM runs. BARs become memslots over
 * the device's own mmap where the guest puts them (accesses never exit),
 * or trapped ranges forwarded to the device with pread/pwrite of the
 * access size where VFIO will not mmap; MSI vectors and INTx are eventfds
 * VFIO signals and KVM injects (irqfd; INTx's resampling one unmasks it
 * at the guest's EOI), so an interrupt never enters wisp; all
 * guest RAM is mapped for the device's DMA at IOVA = GPA. Every guest
 * value is hostile: a BAR address is checked by the guest-physical map
 * (a clash is one line and the BAR stays undecoded), a vector count is
 * capped at what the device offers, a message goes only into KVM's route.
 * Every system call on VFIO or KVM goes through dev->sys (unit-tested
 * against a fake); eventfds and the BAR mmap are the host's own.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vfio_pci.h"

#define EV_BARS (VFIO_CFG_EV_BAR0 * ((1u << VFIO_BARS) - 1))

static int sys_ioctl(struct vfio_pci *p, int fd, unsigned long req, void *a)
{
	return p->dev->sys->ioctl(p->dev->sys->ctx, fd, req, a);
}

__attribute__((format(printf, 2, 3)))
static void say(struct vfio_pci *p, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!p->vm.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->vm.log(p->vm.log_ctx, line);
}

/* ---- the MSI-X table and PBA: wisp's own -------------------------------- */

/* Where [off, off + size) of BAR n falls: 1 the table (*rel its offset
 * there), 2 the PBA, 0 neither (the device's). */
static int msix_part(const struct vfio_pci *p, unsigned n, uint64_t off,
		     unsigned size, uint64_t *rel)
{
	const struct vfio_msix *x = &p->msix;

	if (!p->dev->cfg.msix_off)
		return 0;
	if (n == x->table_bar && off >= x->table_off &&
	    off - x->table_off < 16ull * x->nvec) {
		*rel = off - x->table_off;
		return 1;
	}
	if (n == x->pba_bar && off >= x->pba_off &&
	    off - x->pba_off < 8ull * ((x->nvec + 63) / 64))
		return 2;
	return 0;
}

/* 4- and 8-byte aligned accesses, as the PCI spec allows. */
static uint64_t table_read(const struct vfio_pci *p, uint64_t rel,
			   unsigned size)
{
	const uint32_t *w = (const uint32_t *)p->table;

	if ((size != 4 && size != 8) || rel % size)
		return ~0ull;
	uint64_t v = w[rel / 4];
	return size == 8 ? v | (uint64_t)w[rel / 4 + 1] << 32 : v;
}

/* An entry that is routed changes its route or mask at once. */
static void table_write(struct vfio_pci *p, uint64_t rel, unsigned size,
			uint64_t val)
{
	uint32_t *w = (uint32_t *)p->table;
	unsigned i = (unsigned)(rel / 4);

	if ((size != 4 && size != 8) || rel % size)
		return;
	w[i] = (uint32_t)val;
	if (size == 8)
		w[i + 1] = (uint32_t)(val >> 32);
	p->table[rel / 16].ctrl &= 1; /* bits 31:1 are reserved */
	if (p->irq_type == VFIO_IRQ_MSIX && rel / 16 < p->nlive) {
		p->pending |= VFIO_CFG_EV_MSIX;
		vfio_vm_apply(p);
	}
}

/* ---- trapped BARs: forwarded with the access's own size ------------------ */

/* Inside the device's region and the direction it allows: the region may
 * be smaller than the page the bus placed. */
static const struct vfio_region *trap_region(struct vfio_pci_bar *b,
					      uint64_t off, unsigned size,
					      uint32_t flag)
{
	const struct vfio_region *r = &b->p->dev->reg[b->idx];

	if (off >= r->size || size > r->size - off || !(r->flags & flag))
		return NULL;
	return r;
}

static uint64_t trap_read(struct dev_ins *ins, void *o, uint64_t off,
			  unsigned size)
{
	struct vfio_pci_bar *b = o;
	const struct vfio_region *r =
		trap_region(b, off, size, VFIO_REGION_INFO_FLAG_READ);
	const struct vfio_sys *s = b->p->dev->sys;
	uint64_t v = 0, rel;

	switch (msix_part(b->p, b->idx, off, size, &rel)) {
	case 1:
		return table_read(b->p, rel, size);
	case 2:
		return 0; /* pending bits: KVM's eventfds keep them */
	}
	if (!r)
		return ~0ull;
	b->p->traps++;
	if (s->pread(s->ctx, b->p->dev->device, &v, size, r->offset + off) !=
	    (ssize_t)size)
		return ~0ull;
	return v;
}

static void trap_write(struct dev_ins *ins, void *o, uint64_t off,
		       unsigned size, uint64_t val)
{
	struct vfio_pci_bar *b = o;
	const struct vfio_region *r =
		trap_region(b, off, size, VFIO_REGION_INFO_FLAG_WRITE);
	const struct vfio_sys *s = b->p->dev->sys;
	uint64_t rel;

	switch (msix_part(b->p, b->idx, off, size, &rel)) {
	case 1:
		table_write(b->p, rel, size, val);
		return;
	case 2:
		return; /* the PBA is read-only */
	}
	if (!r)
		return;
	b->p->traps++;
	(void)s->pwrite(s->ctx, b->p->dev->device, &val, size, r->offset + off);
}

static const struct dev_io_ops vfio_trap_ops = {
	.read = trap_read,
	.write = trap_write,
};

/* ---- BAR decode ---------------------------------------------------------- */

static void bar_name(const struct vfio_pci *p, unsigned n, char *name,
		     size_t len)
{
	snprintf(name, len, "vfio %s BAR%u", p->dev->addr, n);
}

static void bar_undecode(struct vfio_pci *p, unsigned n)
{
	struct vfio_pci_bar *b = &p->bar[n];

	if (!b->at)
		return;
	if (b->mmio2 >= 0)
		mem_mmio2_unmap(p->vm.mem, p->vm.owner, b->mmio2);
	else
		mem_mmio_del(p->vm.mem, b->at, p->vm.owner);
	b->at = 0;
}

/* At gpa, if the map has room: a memslot over the mmap, or a trap. */
static void bar_decode(struct vfio_pci *p, unsigned n, uint64_t gpa)
{
	struct vfio_pci_bar *b = &p->bar[n];
	char name[GMAP_NAME_LEN], err[200] = "";
	int rc;

	bar_name(p, n, name, sizeof(name));
	if (b->mmio2 >= 0)
		rc = mem_mmio2_map(p->vm.mem, p->vm.owner, b->mmio2, gpa, err,
				   sizeof(err));
	else
		rc = mem_mmio_add(p->vm.mem, gpa, p->dev->cfg.bar[n].size,
				  p->vm.owner, name, &vfio_trap_ops, b, err,
				  sizeof(err));
	if (rc < 0) {
		p->refused++;
		say(p, "vfio %s: BAR%u at 0x%" PRIx64 " not decoded (the "
		    "guest's placement): %s", p->dev->addr, n, gpa,
		    err[0] ? err : strerror(-rc));
		return;
	}
	b->at = gpa;
}

/* Each BAR where the guest wants it: memory space on and an address. */
static void bars_apply(struct vfio_pci *p)
{
	for (unsigned n = 0; n < VFIO_BARS; n++) {
		uint64_t want = vfio_cfg_bar_want(&p->dev->cfg, n);
		if (p->dev->cfg.bar[n].io || want == p->bar[n].at)
			continue;
		bar_undecode(p, n);
		if (want)
			bar_decode(p, n, want);
	}
}

/* ---- interrupts: VFIO's eventfds straight into KVM ----------------------- */

/* Hand n eventfds to VFIO for an interrupt index's action (n == 0 with
 * TRIGGER turns the index off). */
static int set_irqs(struct vfio_pci *p, unsigned index, uint32_t action,
		    const int *fds, unsigned n)
{
	uint8_t buf[sizeof(struct vfio_irq_set) + 4 * VFIO_VEC_MAX]
		__attribute__((aligned(8))) = {0};
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	s->argsz = sizeof(*s) + 4 * n;
	s->index = index;
	s->count = n;
	s->flags = action | (n ? VFIO_IRQ_SET_DATA_EVENTFD
			       : VFIO_IRQ_SET_DATA_NONE);
	if (n)
		memcpy(s->data, fds, 4 * n);
	return sys_ioctl(p, p->dev->device, VFIO_DEVICE_SET_IRQS, s);
}

static unsigned vfio_index(enum vfio_irq_type t)
{
	return t == VFIO_IRQ_MSIX ? VFIO_PCI_MSIX_IRQ_INDEX
				  : VFIO_PCI_MSI_IRQ_INDEX;
}

/* INTx: VFIO signals the trigger eventfd and masks the line itself; KVM
 * holds the GSI (level) until the guest's EOI, then signals the resample
 * eventfd, which VFIO takes as its unmask. Off while MSI is on (VFIO
 * takes one interrupt type at a time). */
static void intx_set(struct vfio_pci *p, bool on)
{
	int rc = 0;

	if (!p->intx_gsi || on == p->intx_live)
		return;
	if (!on)
		rc = set_irqs(p, VFIO_PCI_INTX_IRQ_INDEX,
			      VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0);
	else if (!(rc = set_irqs(p, VFIO_PCI_INTX_IRQ_INDEX,
				 VFIO_IRQ_SET_ACTION_TRIGGER, &p->intx_fd[0], 1)))
		rc = set_irqs(p, VFIO_PCI_INTX_IRQ_INDEX,
			      VFIO_IRQ_SET_ACTION_UNMASK, &p->intx_fd[1], 1);
	if (rc < 0) {
		p->irq_errors++;
		return;
	}
	p->intx_live = on;
}

static int intx_irqfd(struct vfio_pci *p, bool on)
{
	struct kvm_irqfd f = {
		.fd = (uint32_t)p->intx_fd[0], .gsi = p->intx_gsi,
		.flags = on ? KVM_IRQFD_FLAG_RESAMPLE : KVM_IRQFD_FLAG_DEASSIGN,
		.resamplefd = on ? (uint32_t)p->intx_fd[1] : 0,
	};
	int rc = sys_ioctl(p, p->vm.vm_fd, KVM_IRQFD, &f);

	if (rc == 0)
		p->intx_irqfd = on;
	return rc;
}

static int irqfd(struct vfio_pci *p, unsigned v, bool on)
{
	struct kvm_irqfd f = {
		.fd = (uint32_t)p->efd[v], .gsi = p->fn.gsi0 + v,
		.flags = on ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};
	return sys_ioctl(p, p->vm.vm_fd, KVM_IRQFD, &f);
}

static bool vec_masked(const struct vfio_pci *p, unsigned v)
{
	if (p->irq_type == VFIO_IRQ_MSIX)
		return p->msix.fmask || (p->table[v].ctrl & 1);
	return p->msi.mask >> v & 1;
}

/* A vector's irqfd is assigned while VFIO has its eventfd and the guest
 * has it unmasked. A masked vector's eventfd keeps counting; KVM injects
 * a signalled one when it is assigned again, so unmasking delivers what
 * arrived meanwhile (the pending bit hardware would keep). */
static void irqfds_apply(struct vfio_pci *p)
{
	for (unsigned v = 0; v < p->nvec; v++) {
		bool want = !p->quiesce && v < p->nlive && !vec_masked(p, v);
		if (want == (bool)(p->irqfd_on >> v & 1))
			continue;
		if (irqfd(p, v, want) < 0) {
			p->irq_errors++;
			continue;
		}
		p->irqfd_on ^= 1u << v;
	}
}

/* VFIO takes a new type or vector count only from off: off first; INTx
 * is on exactly while neither MSI nor MSI-X is. */
static void irq_vectors(struct vfio_pci *p, enum vfio_irq_type type,
			unsigned n)
{
	if (p->nlive && set_irqs(p, vfio_index(p->irq_type),
				 VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0) < 0)
		p->irq_errors++;
	p->nlive = 0;
	p->irq_type = VFIO_IRQ_NONE;
	intx_set(p, !n);
	if (!n)
		return;
	int rc = set_irqs(p, vfio_index(type), VFIO_IRQ_SET_ACTION_TRIGGER,
			  p->efd, n);
	if (rc < 0) {
		intx_set(p, true);
		p->irq_errors++;
		say(p, "vfio %s: %s with %u vectors refused: %s", p->dev->addr,
		    type == VFIO_IRQ_MSIX ? "MSI-X" : "MSI", n, strerror(-rc));
		return;
	}
	p->irq_type = type;
	p->nlive = n;
}

/* MSI-X wins if a guest turns both on (a device would use MSI-X);
 * vectors never more than the device offers nor than wisp routes. */
static void irq_apply(struct vfio_pci *p)
{
	struct vfio_msi m = {0};
	bool xon = !vfio_cfg_msix(&p->dev->cfg, &p->msix) && p->msix.on;
	bool mon = !vfio_cfg_msi(&p->dev->cfg, &m) && m.on;
	enum vfio_irq_type type = xon ? VFIO_IRQ_MSIX
				  : mon ? VFIO_IRQ_MSI : VFIO_IRQ_NONE;
	unsigned n = xon ? p->msix.nvec : mon ? m.nvec : 0;

	p->msi = m;
	if (n > p->nvec)
		n = p->nvec;
	if (type != p->irq_type || n != p->nlive)
		irq_vectors(p, type, n);
	/* routes before irqfds: an irqfd injects through its GSI's route */
	int rc = pci_bus_push_routes(p->bus);
	if (rc < 0) {
		p->irq_errors++;
		say(p, "vfio %s: KVM_SET_GSI_ROUTING: %s", p->dev->addr,
		    strerror(-rc));
	}
	irqfds_apply(p);
}

/* Vector v's message: its MSI-X entry, or MSI's with the vector in the
 * data's low bits (multiple messages). */
static struct pci_msi_route route_of(const struct vfio_pci *p, unsigned v)
{
	if (p->irq_type == VFIO_IRQ_MSIX)
		return (struct pci_msi_route){
			p->fn.gsi0 + v, p->table[v].addr_lo,
			p->table[v].addr_hi, p->table[v].data };
	return (struct pci_msi_route){
		p->fn.gsi0 + v, (uint32_t)p->msi.addr,
		(uint32_t)(p->msi.addr >> 32),
		(p->msi.data & ~(p->nlive - 1)) | v };
}

unsigned vfio_vm_routes(const struct vfio_pci *p, struct pci_msi_route *out,
			unsigned max)
{
	unsigned n = 0;

	for (unsigned v = 0; v < p->nlive && n < max; v++)
		out[n++] = route_of(p, v);
	return n;
}

void vfio_vm_apply(struct vfio_pci *p)
{
	unsigned ev = p->pending;

	p->pending = 0;
	if (ev & (VFIO_CFG_EV_CMD | EV_BARS))
		bars_apply(p);
	if (ev & (VFIO_CFG_EV_MSI | VFIO_CFG_EV_MSIX))
		irq_apply(p);
}

/* ---- start and stop ------------------------------------------------------ */

static int fail(struct vfio_pci *p, char *err, size_t errlen, int rc,
		const char *what)
{
	snprintf(err, errlen, "--vfio %s: %s: %s", p->dev->addr, what,
		 strerror(-rc));
	return rc;
}

/* KVM_DEV_TYPE_VFIO with the group: KVM learns the VM has a device doing
 * DMA of its own (cache coherency, the IRQ bypass of its interrupts).
 * KVM takes one such device per VM: the first function creates it, each
 * adds its group. */
static int kvm_device(struct vfio_pci *p, char *err, size_t errlen)
{
	int *kd = p->vm.kvm_vfio;

	if (*kd < 0) {
		struct kvm_create_device cd = {.type = KVM_DEV_TYPE_VFIO};
		int rc = sys_ioctl(p, p->vm.vm_fd, KVM_CREATE_DEVICE, &cd);
		if (rc < 0)
			return fail(p, err, errlen, rc,
				    "KVM_CREATE_DEVICE(VFIO)");
		*kd = (int)cd.fd;
	}
	int32_t group = p->dev->group;
	struct kvm_device_attr a = {
		.group = KVM_DEV_VFIO_GROUP, .attr = KVM_DEV_VFIO_GROUP_ADD,
		.addr = (uintptr_t)&group,
	};
	int rc = sys_ioctl(p, *kd, KVM_SET_DEVICE_ATTR, &a);
	return rc < 0 ? fail(p, err, errlen, rc, "KVM_DEV_VFIO_GROUP_ADD") : 0;
}

/* All guest RAM at IOVA = GPA: mem/'s listener replays the RAM ranges now
 * and would follow any later change; ROM, MMIO and MMIO2 never reach it. */
static int dma_map(struct vfio_pci *p, char *err, size_t errlen)
{
	int rc = gmap_listen(&p->vm.mem->map, vfio_dma_listener, &p->dev->dma);

	if (rc < 0)
		return fail(p, err, errlen, rc, "listening to guest RAM");
	if (p->dev->dma.err) {
		snprintf(err, errlen, "%s", p->dev->dma.msg);
		return p->dev->dma.err;
	}
	return 0;
}

/* A BAR holding the MSI-X table or PBA stays trapped whole: those are
 * wisp's (simple and safe; a device's hot registers there exit). */
static bool msix_bar(const struct vfio_pci *p, unsigned n)
{
	return p->dev->cfg.msix_off &&
	       (n == p->msix.table_bar || n == p->msix.pba_bar);
}

/* Each memory BAR VFIO lets wisp mmap, whole and at least a page: a
 * region mem/ maps as a memslot where the guest puts it. The others stay
 * trapped (a refused mmap too: slower, never wrong). */
static void bar_mmaps(struct vfio_pci *p)
{
	for (unsigned n = 0; n < VFIO_BARS; n++) {
		const struct vfio_bar *b = &p->dev->cfg.bar[n];
		char name[GMAP_NAME_LEN];
		if (!b->size || b->io || !b->mmap || b->size < MEM_PAGE ||
		    msix_bar(p, n))
			continue;
		bar_name(p, n, name, sizeof(name));
		int h = mem_mmio2_wrap(p->vm.mem, p->vm.owner, name,
				       p->dev->device, p->dev->reg[n].offset,
				       b->size);
		if (h < 0)
			say(p, "vfio %s: BAR%u: mmap refused (%s), trapped",
			    p->dev->addr, n, strerror(-h));
		p->bar[n].mmio2 = h < 0 ? -1 : h;
	}
}

static int new_fds(struct vfio_pci *p, int *fd, unsigned n, char *err,
		   size_t errlen)
{
	for (unsigned i = 0; i < n; i++) {
		fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd[i] < 0)
			return fail(p, err, errlen, -errno, "eventfd");
	}
	return 0;
}

/* The eventfds; INTx's resampling irqfd, and INTx on (MSI is off). */
static int irq_fds(struct vfio_pci *p, char *err, size_t errlen)
{
	int rc = new_fds(p, p->efd, p->nvec, err, errlen);

	if (rc || !p->intx_gsi)
		return rc;
	if ((rc = new_fds(p, p->intx_fd, 2, err, errlen)))
		return rc;
	if ((rc = intx_irqfd(p, true)) < 0)
		return fail(p, err, errlen, rc, "KVM_IRQFD (INTx, resample)");
	intx_set(p, true);
	return 0;
}

int vfio_vm_start(struct vfio_pci *p, const struct vfio_vm *vm, char *err,
		  size_t errlen)
{
	p->vm = *vm;
	int rc = kvm_device(p, err, errlen);
	if (!rc)
		rc = dma_map(p, err, errlen);
	if (!rc)
		rc = irq_fds(p, err, errlen);
	if (rc)
		return rc;
	bar_mmaps(p);
	/* vfio_dev_open reset the device and turned it quiet just before:
	 * the guest meets it as after power-on. */
	p->started = true;
	vfio_vm_apply(p);
	return 0;
}

/* Every irqfd off, VFIO's interrupts off, the eventfds closed. */
static void irqs_down(struct vfio_pci *p)
{
	p->quiesce = true;
	irqfds_apply(p);
	if (p->nlive)
		irq_vectors(p, VFIO_IRQ_NONE, 0);
	intx_set(p, false);
	if (p->intx_irqfd)
		intx_irqfd(p, false);
	for (unsigned v = 0; v < VFIO_VEC_MAX; v++)
		if (p->efd[v] >= 0)
			close(p->efd[v]);
	for (unsigned i = 0; i < 2; i++)
		if (p->intx_fd[i] >= 0)
			close(p->intx_fd[i]);
	p->intx_fd[0] = p->intx_fd[1] = -1;
	memset(p->efd, 0xff, sizeof(p->efd));
}

void vfio_vm_stop(struct vfio_pci *p)
{
	irqs_down(p);
	for (unsigned n = 0; n < VFIO_BARS; n++) {
		bar_undecode(p, n);
		if (p->bar[n].mmio2 >= 0)
			mem_mmio2_destroy(p->vm.mem, p->vm.owner,
					  p->bar[n].mmio2);
		p->bar[n].mmio2 = -1;
	}
	p->started = false;
}

void vfio_vm_done(const struct vfio_sys *sys, int *kvm_vfio)
{
	if (*kvm_vfio >= 0)
		sys->close(sys->ctx, *kvm_vfio);
	*kvm_vfio = -1;
}
