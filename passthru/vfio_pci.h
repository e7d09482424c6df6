/*
 * passthru/vfio_pci.h - a passed-through function as a bus-level function
 * of wisp's PCI bus (pci/'s pci_bus_add_raw), and its VM side
 * (vfio_vm.c): KVM told about the group, guest RAM mapped for DMA, BARs
 * as memslots over the device's mmap (or trapped and forwarded; a BAR
 * holding the MSI-X table or PBA is trapped whole), MSI/MSI-X vectors and
 * INTx as VFIO eventfds that KVM injects (irqfd). Includes the bus's
 * header, so only profiles with PASSTHRU=1 (which forces HAS_PCI) see it.
 */
#ifndef WISP_VFIO_PCI_H
#define WISP_VFIO_PCI_H

#include "dev.h"
#include "mem.h"
#include "pci.h"
#include "vfio.h"

#define VFIO_VEC_MAX 32 /* vectors routed: MSI's multiple-message limit,
			 * and the first 32 of an MSI-X table */
#define VFIO_MSIX_TABLE_MAX 2048 /* the MSI-X capability's largest table */

enum vfio_irq_type { VFIO_IRQ_NONE, VFIO_IRQ_MSI, VFIO_IRQ_MSIX };

struct vfio_pci;

/* One BAR's decode: a memslot over the device's mmap (mmio2 >= 0), or a
 * trapped range whose accesses are forwarded (pread/pwrite). */
struct vfio_pci_bar {
	struct vfio_pci *p; /* the trapped range's opaque */
	unsigned idx;
	int mmio2;   /* mem_mmio2_wrap's handle, -1: trapped */
	uint64_t at; /* decoded at (GPA), 0: not decoded */
};

/* What the VM side is given by the monitor. */
struct vfio_vm {
	int vm_fd;            /* KVM's VM fd, through dev->sys (-1: none) */
	struct mem *mem;      /* the guest-physical map */
	struct dev_ins *owner; /* owns the trapped ranges (its lock) */
	int *kvm_vfio;        /* the VM's one KVM_DEV_TYPE_VFIO fd, shared by
			       * its functions (-1: the first creates it) */
	/* One line about the guest's doing (rate-limited by the caller). */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
};

struct vfio_pci {
	struct pci_fn fn;     /* its slot on the bus */
	struct vfio_dev *dev;
	struct pci_bus *bus;
	unsigned pending;     /* VFIO_CFG_EV_* not yet applied by the VM side */
	uint64_t cmd_errors;  /* command writes the device refused */
	/* the VM side (vfio_vm.c); vm.vm_fd < 0 until vfio_vm_start */
	struct vfio_vm vm;
	bool started;
	struct vfio_pci_bar bar[VFIO_BARS];
	unsigned nvec;        /* GSIs reserved: the vectors MSI or MSI-X
			       * offers, at most VFIO_VEC_MAX */
	int efd[VFIO_VEC_MAX]; /* VFIO signals them, KVM injects (irqfd) */
	struct vfio_msi msi;  /* the guest's MSI as last applied */
	struct vfio_msix msix; /* the MSI-X capability: where its table and
				* PBA are; on/fmask as last applied */
	enum vfio_irq_type irq_type; /* what VFIO has eventfds for */
	unsigned nlive;       /* ... and how many vectors, 0: none */
	uint32_t irqfd_on;    /* bit v: vector v's irqfd assigned */
	bool quiesce;         /* stopping: every irqfd off */
	/* the MSI-X table the guest programs: wisp's, never the device's
	 * (VFIO programs the device's with the host's own messages) */
	struct pci_msix_entry table[VFIO_MSIX_TABLE_MAX];
	unsigned intx_gsi;    /* INTx's IOAPIC input (its slot's), 0: none */
	int intx_fd[2];       /* VFIO's trigger, KVM's resample (unmask) */
	bool intx_irqfd;      /* the resampling irqfd is assigned */
	bool intx_live;       /* VFIO has INTx on (MSI off) */
	uint64_t traps;       /* trapped BAR accesses forwarded */
	uint64_t refused;     /* BAR placements refused (clashes) */
	uint64_t irq_errors;  /* VFIO or KVM refused an interrupt change */
};

/* Put d on bus: a slot, its memory BARs placed in the window and shown
 * in its config space, GSIs for its MSI/MSI-X vectors, its INTx (if it
 * has one) on its slot's IOAPIC input PCI_INTX_GSI (the _PRT's) unless
 * that GSI is in claimed (a device's line: INTx left unwired). The
 * device number, or -errno with err one line (an I/O BAR: -ENOTSUP; an
 * MSI-X table or PBA outside its BAR: -EINVAL; bus, window or GSIs full:
 * -ENOSPC). */
int vfio_pci_attach(struct vfio_pci *p, struct pci_bus *bus,
		    struct vfio_dev *d, uint32_t claimed, char *err,
		    size_t errlen);

/* --- vfio_vm.c --- */
/* After guest RAM, the irqchip and the bus's routes exist, before the
 * guest runs: KVM_DEV_TYPE_VFIO with the group, all RAM mapped for DMA
 * at IOVA = GPA (mem/'s listener: RAM only), each mmappable BAR mmapped
 * for its memslot, an eventfd per MSI vector, INTx's trigger and
 * resample eventfds on a resampling irqfd (INTx on until MSI is). 0, or
 * -errno with err one line (the memlock line names the size needed). */
int vfio_vm_start(struct vfio_pci *p, const struct vfio_vm *vm, char *err,
		  size_t errlen);
/* Apply what config writes left pending: BARs decoded, moved or dropped
 * as the guest placed them (a clash with the map: one line, the BAR
 * stays undecoded), MSI on/off, vectors and masks. The bus's lock held
 * (config writes come here). */
void vfio_vm_apply(struct vfio_pci *p);
/* The live MSI routes (pci_cfg_ops.routes). */
unsigned vfio_vm_routes(const struct vfio_pci *p, struct pci_msi_route *out,
			unsigned max);
/* Interrupts off, BARs undecoded and unmapped, eventfds closed; then
 * vfio_dev_close leaves the device quiet. */
void vfio_vm_stop(struct vfio_pci *p);
/* After every function stopped: the VM's KVM VFIO device closed. */
void vfio_vm_done(const struct vfio_sys *sys, int *kvm_vfio);

#endif
