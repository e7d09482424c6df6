/*
 * monitor/pci/pcibus_vfio.c - the monitor's side of --vfio (profiles with
 * PASSTHRU=1 only; the others compile this file to nothing): each
 * function opened and checked while wisp still has its privileges, its
 * fds moved to the fixed VFIO block the seccomp policies name, put on the
 * bus, started once the irqchip and routes exist, left quiet at the end.
 * passthru/ does the work; this file gives it the VM (its fd, the
 * guest-physical map, the bridge instance whose lock serialises trapped
 * BAR accesses with config writes, a rate-limited log) and reports.
 */
#if WISP_PASSTHRU
#include <cap-ng.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/exitcode.h"
#include "jail/jail.h"
#include "pci/pcibus.h"
#include "policy.h"
#include "vfio_pci.h"

struct pcibus_vfio {
	struct vfio_dev dev;
	struct vfio_pci pci;
	char name[16];        /* "vfio.N", for its lines */
	struct ratelimit rl;  /* the lines the guest's doing causes */
};

/* What VFIO may pin: the kernel counts mapped pages against
 * RLIMIT_MEMLOCK unless the mapper has CAP_IPC_LOCK, and wisp maps guest
 * RAM before it drops its capabilities. */
static uint64_t vfio_memlock(void)
{
	struct rlimit rl;

	if (capng_get_caps_process() == 0 &&
	    capng_have_capability(CAPNG_EFFECTIVE, CAP_IPC_LOCK))
		return UINT64_MAX;
	return getrlimit(RLIMIT_MEMLOCK, &rl) < 0 ? 0 : rl.rlim_cur;
}

static void vfio_pin(struct vfio_dev *d, int n)
{
	vfio_dev_fds(d, fd_pin(d->container, FD_VFIO_CONT0 + n),
		     fd_pin(d->group, FD_VFIO_GROUP0 + n),
		     fd_pin(d->device, FD_VFIO_DEV0 + n));
}

void pcibus_vfio_open(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	char err[300];

	vm->vfio_kvm = -1;
	if (!cfg->n_vfio)
		return;
	struct vfio_host h = {"/sys", "/dev/vfio", &vfio_sys_host,
			      vfio_memlock()};
	vm->vfio = calloc(cfg->n_vfio, sizeof(*vm->vfio));
	if (!vm->vfio)
		die(WISP_EXIT_OSERR, "out of memory for --vfio");
	for (unsigned i = 0; i < cfg->n_vfio; i++) {
		struct vfio_dev *d = &vm->vfio[i].dev;
		int rc = vfio_dev_open(d, &h, cfg->vfio[i], err, sizeof(err));
		if (rc < 0)
			die(rc == -ENOENT ? WISP_EXIT_NOINPUT : WISP_EXIT_USAGE,
			    "%s", err);
		vfio_pin(d, (int)i);
		vm->n_vfio++;
	}
}

static void vfio_names(struct pcibus_vfio *f, unsigned i)
{
	snprintf(f->name, sizeof(f->name), "vfio.%u", i);
	f->rl = (struct ratelimit)RATELIMIT_INIT(10);
}

/* The GSIs devices claimed: a passed-through function's INTx never
 * shares a line with a device wisp emulates (those shared among
 * passed-through functions are level-triggered and resampled, fine). */
static uint32_t claimed_gsis(const struct vm *vm)
{
	uint32_t used = 0;

	for (unsigned d = 0; d < vm->n_devs; d++)
		used |= vm->hosts[d].irqs;
	return used;
}

void pcibus_vfio_attach(struct vm *vm)
{
	char err[300];

	for (unsigned i = 0; i < vm->n_vfio; i++) {
		struct pcibus_vfio *f = &vm->vfio[i];
		vfio_names(f, i);
		int rc = vfio_pci_attach(&f->pci, pcibus_bus(vm), &f->dev,
					 claimed_gsis(vm), err, sizeof(err));
		if (rc < 0)
			die(WISP_EXIT_USAGE, "%s", err);
		char intx[24] = "no INTx";
		if (f->pci.intx_gsi)
			snprintf(intx, sizeof(intx), "INTx on GSI %u",
				 f->pci.intx_gsi);
		wlog(LOG_INFO, "vfio %s: at 00:%02x.0 on the PCI bus, %u "
		     "MSI/MSI-X vectors, %s", f->dev.addr, (unsigned)rc, f->pci.nvec,
		     intx);
	}
}

/* A line the guest's doing caused: its instance's rate limit. */
static void vfio_log(void *ctx, const char *line)
{
	struct pcibus_vfio *f = ctx;

	wlog_guest(&f->rl, f->name, LOG_WARN, "%s", line);
}

void pcibus_vfio_start(struct vm *vm)
{
	char err[300];

	for (unsigned i = 0; i < vm->n_vfio; i++) {
		struct pcibus_vfio *f = &vm->vfio[i];
		/* trapped BAR ranges are the bridge's: its lock orders them
		 * with config writes (an MSI-X table write reroutes) */
		struct vfio_vm v = { vm->vm_fd, &vm->mem, pcibus_bridge_ins(vm),
				     &vm->vfio_kvm, vfio_log, f };
		pcibus_lock(vm, true);
		int rc = vfio_vm_start(&f->pci, &v, err, sizeof(err));
		pcibus_lock(vm, false);
		if (rc < 0)
			die(rc == -ENOMEM ? WISP_EXIT_USAGE : WISP_EXIT_OSERR,
			    "%s", err);
	}
}

/* Interrupts and BARs off, the device quiet and reset, DMA unmapped; one
 * line with what the guest was refused. */
void pcibus_vfio_stop(struct vm *vm)
{
	if (!vm->n_vfio)
		return;
	for (unsigned i = 0; i < vm->n_vfio; i++) {
		struct pcibus_vfio *f = &vm->vfio[i];
		vfio_vm_stop(&f->pci);
		wlog(LOG_INFO, "vfio %s: %llu config writes dropped, %llu "
		     "trapped BAR accesses, %llu BAR placements refused, %llu "
		     "interrupt changes refused", f->dev.addr,
		     (unsigned long long)f->dev.cfg.dropped,
		     (unsigned long long)f->pci.traps,
		     (unsigned long long)f->pci.refused,
		     (unsigned long long)f->pci.irq_errors);
		vfio_dev_close(&f->dev);
	}
	vfio_vm_done(&vfio_sys_host, &vm->vfio_kvm);
}
#endif
