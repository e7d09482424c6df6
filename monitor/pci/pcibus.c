/*
 * monitor/pci/pcibus.c - the VM's side of the PCI bus (pcibus.h): the
 * bridge's conf1 ports and ECAM range, BARs decoded in mem/'s map where
 * the guest puts them, their doorbells re-registered with KVM as they
 * move, MSI-X vectors as irqfds on GSIs whose MSI routes follow the
 * guest's table. Without KVM (vm_fd < 0: unit tests) every KVM call is
 * skipped and a doorbell write reaches its bell_fn through the BAR.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "jail/jail.h"
#include "pci/pcibus.h"
#include "policy.h"

/* KVM's default routing (what KVM_CREATE_IRQCHIP installs): GSIs 0-15
 * on the IOAPIC pin and the PIC pin, 16-23 on the IOAPIC. Setting the
 * routing replaces the whole table, so every push carries these. */
#define PCIBUS_DEFAULT_ROUTES (16 * 2 + 8)
#define PCIBUS_ROUTES (PCIBUS_DEFAULT_ROUTES + PCI_MAX_VECTORS)

struct pcibus_fn;

struct pcibus_bar {
	struct pcibus_fn *pf;
	unsigned idx;
};

struct pcibus_fn {
	struct pci_fn fn;
	struct pcibus_bar bar[DEV_PCI_BARS];
	int bell_fd[DEV_PCI_BARS]; /* wisp's own copy: it re-registers them */
};

struct pcibus {
	struct pci_bus bus;
	struct vm *vm;
	struct dev_ins ins; /* the host bridge: its lock guards the bus */
	struct dev_host host;
	struct pcibus_fn fns[PCI_SLOTS];
	struct kvm_irq_routing *routing;
};

static const struct dev_reg pcibus_reg = { .name = "pci" };

/* ---- KVM: doorbells, routes, vectors ----------------------------------- */

static int pcibus_bell(struct pcibus *pb, struct pcibus_fn *pf, unsigned i,
		       uint64_t gpa, bool on)
{
	const struct dev_pci_bar *b = &pf->fn.d.bar[i];
	struct kvm_ioeventfd io = {
		.addr = gpa + b->bell_off, .len = b->bell_len,
		.fd = pf->bell_fd[i],
		.flags = on ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	if (!b->bell_len || pb->vm->vm_fd < 0)
		return 0;
	return ioctl(pb->vm->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

static void pcibus_default_routes(struct kvm_irq_routing_entry *e)
{
	unsigned n = 0;

	for (uint32_t gsi = 0; gsi < VM_NR_GSI; gsi++) {
		e[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { KVM_IRQCHIP_IOAPIC, gsi } };
		if (gsi < 16)
			e[n++] = (struct kvm_irq_routing_entry){
				.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
						       : KVM_IRQCHIP_PIC_SLAVE,
					       gsi % 8 } };
	}
}

#if WISP_PASSTHRU
/* A raw function's (passthru/) live MSI routes, after the others'. Its
 * GSIs were counted in the bus's vectors, so they fit the table. */
static unsigned pcibus_raw_routes(const struct pci_fn *fn,
				  struct kvm_irq_routing_entry *e, unsigned max)
{
	struct pci_msi_route r[PCI_MAX_VECTORS];
	unsigned n = fn->cfg->routes(fn->cfg_opaque, r,
				     max < PCI_MAX_VECTORS ? max : PCI_MAX_VECTORS);

	for (unsigned i = 0; i < n; i++)
		e[i] = (struct kvm_irq_routing_entry){
			.gsi = r[i].gsi, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = r[i].addr_lo,
				   .address_hi = r[i].addr_hi,
				   .data = r[i].data } };
	return n;
}
#endif

/* The whole table: defaults, then every vector's route as programmed. */
static int pcibus_push_routes(struct pcibus *pb)
{
	struct kvm_irq_routing *r = pb->routing;
	unsigned n = PCIBUS_DEFAULT_ROUTES;

	pcibus_default_routes(r->entries);
	for (unsigned s = 1; s < PCI_SLOTS; s++) {
		const struct pci_fn *fn = pb->bus.fn[s];
#if WISP_PASSTHRU
		if (fn && fn->cfg && fn->cfg->routes)
			n += pcibus_raw_routes(fn, r->entries + n,
					       PCIBUS_ROUTES - n);
#endif
		for (unsigned v = 0; fn && v < fn->d.msix_vectors; v++)
			r->entries[n++] = (struct kvm_irq_routing_entry){
				.gsi = fn->gsi0 + v,
				.type = KVM_IRQ_ROUTING_MSI,
				.u.msi = { .address_lo = fn->msix[v].addr_lo,
					   .address_hi = fn->msix[v].addr_hi,
					   .data = fn->msix[v].data } };
	}
	r->nr = n;
	r->flags = 0;
	if (pb->vm->vm_fd < 0)
		return 0;
	return ioctl(pb->vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0 ? -errno : 0;
}

static int vec_fd(const struct pci_fn *fn, unsigned vec)
{
	return FD_MSIX0 + (int)(fn->gsi0 - PCI_MSI_GSI0 + vec);
}

/* An eventfd write never blocks (non-blocking, the counter cannot fill). */
static void fire_fd(void *ctx, unsigned vec)
{
	uint64_t one = 1;

	(void)!write(vec_fd(ctx, vec), &one, sizeof(one));
}

/* ---- the backend pci.c calls (bridge lock held) ------------------------ */

static void pcibus_refused(struct pcibus *pb, struct pci_fn *fn, unsigned i,
			   const char *err)
{
	struct dev_ins *ins = fn->owner;

	wlog_guest(&pb->host.rl, "pci", LOG_WARN,
		   "%s: BAR%u not decoded (the guest's placement): %s",
		   ins->name, i, err);
}

static const struct dev_io_ops pcibus_msix_ops;
const struct dev_io_ops pcibus_bar_ops;

/* The range's opaque (a struct pcibus_bar, or the function for the MSI-X
 * BAR) lives as long as the bus: a vCPU that copied the range out of the
 * map just before a move still calls through valid pointers. */
static int bk_bar_map(void *ctx, struct pci_fn *fn, unsigned i, uint64_t gpa)
{
	struct pcibus *pb = ctx;
	struct pcibus_fn *pf = (struct pcibus_fn *)fn;
	struct dev_ins *ins = fn->owner;
	bool msix = fn->d.msix_vectors && fn->d.msix_bar == i;
	char name[GMAP_NAME_LEN], err[200] = "";

	snprintf(name, sizeof(name), "%s BAR%u", ins->name, i);
	int rc = msix ? mem_mmio_add(&pb->vm->mem, gpa, fn->bar_size[i],
				     &pb->ins, name, &pcibus_msix_ops, fn,
				     err, sizeof(err))
		      : mem_mmio_add(&pb->vm->mem, gpa, fn->bar_size[i], ins,
				     name, &pcibus_bar_ops, &pf->bar[i], err,
				     sizeof(err));
	if (rc == 0 && (rc = pcibus_bell(pb, pf, i, gpa, true)) < 0) {
		snprintf(err, sizeof(err), "doorbell: %s", strerror(-rc));
		mem_mmio_del(&pb->vm->mem, gpa, ins);
	}
	if (rc < 0)
		pcibus_refused(pb, fn, i, err[0] ? err : strerror(-rc));
	return rc;
}

static void bk_bar_unmap(void *ctx, struct pci_fn *fn, unsigned i,
			 uint64_t gpa)
{
	struct pcibus *pb = ctx;
	bool msix = fn->d.msix_vectors && fn->d.msix_bar == i;

	pcibus_bell(pb, (struct pcibus_fn *)fn, i, gpa, false);
	mem_mmio_del(&pb->vm->mem, gpa, msix ? (void *)&pb->ins : fn->owner);
}

static void bk_msix_route(void *ctx, struct pci_fn *fn, unsigned vec)
{
	int rc = pcibus_push_routes(ctx);

	if (rc < 0)
		die(WISP_EXIT_KVM, "KVM_SET_GSI_ROUTING: %s", strerror(-rc));
}

static void bk_msix_fire(void *ctx, struct pci_fn *fn, unsigned vec)
{
	fire_fd(fn, vec);
}

static int bk_routes_push(void *ctx)
{
	return pcibus_push_routes(ctx);
}

static const struct pci_backend pcibus_backend = {
	.bar_map = bk_bar_map,
	.bar_unmap = bk_bar_unmap,
	.msix_route = bk_msix_route,
	.msix_fire = bk_msix_fire,
	.routes_push = bk_routes_push,
};

/* ---- guest-facing ranges ----------------------------------------------- */

static struct pcibus *bus_of(struct dev_ins *bridge)
{
	return (struct pcibus *)((char *)bridge - offsetof(struct pcibus, ins));
}

static uint64_t conf1_read(struct dev_ins *ins, void *o, uint64_t off,
			   unsigned size)
{
	return pci_conf1_read(&bus_of(ins)->bus, PCI_CONF1_ADDR + (unsigned)off,
			      size);
}

static void conf1_write(struct dev_ins *ins, void *o, uint64_t off,
			unsigned size, uint64_t val)
{
	pci_conf1_write(&bus_of(ins)->bus, PCI_CONF1_ADDR + (unsigned)off, size,
			(uint32_t)val);
}

static uint64_t ecam_read(struct dev_ins *ins, void *o, uint64_t off,
			  unsigned size)
{
	return pci_ecam_read(&bus_of(ins)->bus, off, size);
}

static void ecam_write(struct dev_ins *ins, void *o, uint64_t off,
		       unsigned size, uint64_t val)
{
	pci_ecam_write(&bus_of(ins)->bus, off, size, val);
}

static uint64_t msix_read(struct dev_ins *ins, void *fn, uint64_t off,
			  unsigned size)
{
	return pci_msix_read(&bus_of(ins)->bus, fn, off, size);
}

static void msix_write(struct dev_ins *ins, void *fn, uint64_t off,
		       unsigned size, uint64_t val)
{
	pci_msix_write(&bus_of(ins)->bus, fn, off, size, val);
}

static const struct dev_io_ops pcibus_conf1_ops = {
	.read = conf1_read, .write = conf1_write,
};
static const struct dev_io_ops pcibus_ecam_ops = {
	.read = ecam_read, .write = ecam_write,
};
static const struct dev_io_ops pcibus_msix_ops = {
	.read = msix_read, .write = msix_write,
};

/* A BAR of a device inside wisp: its ops, offset from the BAR. A doorbell
 * write reaches here only without KVM's ioeventfd (tests): it rings. */
static uint64_t bar_read(struct dev_ins *ins, void *o, uint64_t off,
			 unsigned size)
{
	const struct pcibus_bar *b = o;
	const struct dev_pci_bar *d = &b->pf->fn.d.bar[b->idx];

	return d->ops->read ? d->ops->read(ins, d->opaque, off, size) : ~0ull;
}

static void bar_write(struct dev_ins *ins, void *o, uint64_t off,
		      unsigned size, uint64_t val)
{
	const struct pcibus_bar *b = o;
	const struct dev_pci_bar *d = &b->pf->fn.d.bar[b->idx];

	if (d->bell_len && off == d->bell_off && size == d->bell_len)
		d->bell_fn(ins, d->bell_opaque, 1);
	else if (d->ops->write)
		d->ops->write(ins, d->opaque, off, size, val);
}

const struct dev_io_ops pcibus_bar_ops = {
	.read = bar_read, .write = bar_write,
};

bool pcibus_bar_target(const struct io_target *t, unsigned *bar)
{
	if (t->ops != &pcibus_bar_ops)
		return false;
	*bar = ((const struct pcibus_bar *)t->opaque)->idx;
	return true;
}

/* ---- life ---------------------------------------------------------------- */

static void pcibus_bridge(struct pcibus *pb, struct vm *vm)
{
	pb->vm = vm;
	pb->ins = (struct dev_ins){ .reg = &pcibus_reg, .name = "pci",
				    .host = &pb->host };
	pb->host = (struct dev_host){ .vm = vm, .ins = &pb->ins,
				      .constructed = true };
	pthread_mutex_init(&pb->host.lock, NULL);
	pthread_mutex_init(&pb->host.rl.lock, NULL);
	pb->host.rl.burst = 10;
	pci_bus_init(&pb->bus, &pcibus_backend, pb);
}

void pcibus_create(struct vm *vm)
{
	struct pcibus *pb = calloc(1, sizeof(*pb));
	char err[200] = "";

	if (!pb || !(pb->routing = calloc(1, sizeof(*pb->routing) +
					     PCIBUS_ROUTES *
						     sizeof(pb->routing->entries[0]))))
		die(WISP_EXIT_OSERR, "out of memory for the PCI bus");
	pcibus_bridge(pb, vm);
	struct iobus_range r = { PCI_CONF1_ADDR, 8, &pb->ins, &pcibus_conf1_ops,
				 NULL };
	if (iobus_insert(&vm->pio, &r, NULL) < 0)
		die(WISP_EXIT_USAGE, "PCI: ports 0xcf8-0xcff are taken");
	if (mem_mmio_add(&vm->mem, PCI_ECAM_BASE, PCI_ECAM_SIZE, &pb->ins,
			 "PCI ECAM", &pcibus_ecam_ops, NULL, err,
			 sizeof(err)) < 0)
		die(WISP_EXIT_USAGE, "PCI ECAM: %s", err);
	vm->pci = pb;
}

static int pcibus_eventfd(int target)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		die(WISP_EXIT_OSERR, "eventfd for PCI: %s", strerror(errno));
	return target < 0 ? fd : fd_pin(fd, target);
}

/* One eventfd per doorbell: the instance's (loop or device process reads
 * it) and wisp's duplicate, which it registers with KVM as the BAR moves.
 * Room for them was checked before the function went on the bus. */
static void pcibus_bells(struct dev_host *h, struct pcibus_fn *pf)
{
	struct vm *vm = h->vm;

	for (unsigned i = 0; i < DEV_PCI_BARS; i++) {
		const struct dev_pci_bar *b = &pf->fn.d.bar[i];
		pf->bell_fd[i] = -1;
		if (!b->bell_len)
			continue;
		int fd = pcibus_eventfd(FD_IOEV0 + (int)vm->n_ioevents++);
		pf->bell_fd[i] = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (pf->bell_fd[i] < 0)
			die(WISP_EXIT_OSERR, "dup: %s", strerror(errno));
		h->ioevents[h->n_ioevents++] =
			(struct dev_ioevent){ fd, b->bell_fn, b->bell_opaque };
		h->n_pci_bells++;
	}
}

static bool pcibus_bells_fit(const struct dev_host *h,
			     const struct dev_pci_func *f)
{
	unsigned n = 0;

	for (unsigned i = 0; i < DEV_PCI_BARS; i++)
		n += f->bar[i].bell_len != 0;
	return h->vm->n_ioevents + n <= FD_IOEV_MAX &&
	       h->n_ioevents + n <= DEV_HOST_IOEVENTS;
}

static int pcibus_add(struct pcibus *pb, struct dev_host *h,
		      const struct dev_pci_func *f)
{
	struct pcibus_fn tmp; /* not on the bus until every check passed */

	if (!pcibus_bells_fit(h, f))
		return -ENOSPC;
	int slot = pci_bus_add(&pb->bus, &tmp.fn, f, h->ins);
	if (slot < 0)
		return slot;
	struct pcibus_fn *pf = &pb->fns[slot];
	pf->fn = tmp.fn;
	pf->fn.live = &pf->fn.own;
	pb->bus.fn[slot] = &pf->fn;
	for (unsigned i = 0; i < DEV_PCI_BARS; i++)
		pf->bar[i] = (struct pcibus_bar){ pf, i };
	pcibus_bells(h, pf);
	for (unsigned v = 0; v < f->msix_vectors; v++)
		pcibus_eventfd(vec_fd(&pf->fn, v));
	h->pci = pf;
	return slot;
}

int pcibus_register(struct dev_ins *ins, const struct dev_pci_func *f)
{
	struct dev_host *h = ins->host;
	struct pcibus *pb = h->vm->pci;

	if (dev_pci_func_check(f) < 0)
		return -EINVAL;
	if (!pb)
		return -ENODEV;
	if (h->constructed)
		return -EINVAL;
	if (h->pci)
		return -EBUSY;
	pthread_mutex_lock(&pb->host.lock);
	int rc = pcibus_add(pb, h, f);
	pthread_mutex_unlock(&pb->host.lock);
	return rc;
}

int pcibus_notify(struct dev_ins *ins, unsigned vec)
{
	struct dev_host *h = ins->host;
	struct pci_fn *fn = h->pci ? &h->pci->fn : NULL;

	if (!fn)
		return -EPERM;
	return pci_msix_notify(fn->live, fn->d.msix_vectors, vec, fire_fd, fn);
}

void pcibus_start(struct vm *vm)
{
	struct pcibus *pb = vm->pci;

	if (!pb || vm->vm_fd < 0)
		return;
	for (unsigned s = 1; s < PCI_SLOTS; s++) {
		const struct pci_fn *fn = pb->bus.fn[s];
		for (unsigned v = 0; fn && v < fn->d.msix_vectors; v++) {
			struct kvm_irqfd irqfd = { .fd = (uint32_t)vec_fd(fn, v),
						   .gsi = fn->gsi0 + v };
			if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
				die(WISP_EXIT_KVM, "KVM_IRQFD for GSI %u: %s",
				    fn->gsi0 + v, strerror(errno));
		}
	}
	int rc = pcibus_push_routes(pb);
	if (rc < 0)
		die(WISP_EXIT_KVM, "KVM_SET_GSI_ROUTING: %s", strerror(-rc));
}

unsigned pcibus_bar_count(const struct vm *vm)
{
	const struct pcibus *pb = vm->pci;
	unsigned n = 0;

	for (unsigned s = 1; pb && s < PCI_SLOTS; s++)
		for (unsigned i = 0; pb->bus.fn[s] && i < DEV_PCI_BARS; i++)
			n += pb->bus.fn[s]->bar_size[i] != 0;
	return n;
}

void pcibus_destroy(struct vm *vm)
{
	struct pcibus *pb = vm->pci;

	if (!pb)
		return;
	for (unsigned s = 1; s < PCI_SLOTS; s++) {
		struct pcibus_fn *pf = &pb->fns[s];
		if (pb->bus.fn[s] != &pf->fn)
			continue;
		for (unsigned i = 0; i < DEV_PCI_BARS; i++)
			if (pf->fn.d.bar[i].bell_len && pf->bell_fd[i] >= 0)
				close(pf->bell_fd[i]);
		for (unsigned v = 0; v < pf->fn.d.msix_vectors; v++)
			close(vec_fd(&pf->fn, v));
	}
	free(pb->routing);
	free(pb);
	vm->pci = NULL;
}

void pcibus_share(struct dev_host *h, struct pci_msix_live *shared)
{
	struct pci_fn *fn = h->pci ? &h->pci->fn : NULL;
	struct pcibus *pb = h->vm->pci;

	if (!fn)
		return;
	pthread_mutex_lock(&pb->host.lock);
	atomic_store(&shared->ctrl, atomic_load(&fn->live->ctrl));
	atomic_store(&shared->mask, atomic_load(&fn->live->mask));
	atomic_store(&shared->pba, atomic_load(&fn->live->pba));
	fn->live = shared;
	pthread_mutex_unlock(&pb->host.lock);
}

int pcibus_fn_info(const struct dev_host *h, unsigned *slot, unsigned *gsi0,
		   unsigned *nvec)
{
	if (!h->pci)
		return -ENOENT;
	*slot = h->pci->fn.slot;
	*gsi0 = h->pci->fn.gsi0;
	*nvec = h->pci->fn.d.msix_vectors;
	return 0;
}

#if WISP_PASSTHRU
struct pci_bus *pcibus_bus(struct vm *vm)
{
	return &vm->pci->bus;
}

struct dev_ins *pcibus_bridge_ins(struct vm *vm)
{
	return &vm->pci->ins;
}

void pcibus_lock(struct vm *vm, bool on)
{
	if (on)
		pthread_mutex_lock(&vm->pci->host.lock);
	else
		pthread_mutex_unlock(&vm->pci->host.lock);
}
#endif
