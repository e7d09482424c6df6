/*
 * monitor/pci/pcibus.h - the VM's side of wisp's PCI bus (pci/pci.h has
 * the bus itself and its guest-physical layout): the host bridge's ports and
 * ECAM, BAR decode in mem/'s map, doorbells (KVM_IOEVENTFD, moved with
 * their BAR), MSI-X by irqfd and KVM GSI routing. Linked only into
 * profiles with a PCI device (the Makefile's HAS_PCI, WISP_PCI=1).
 *
 * Locking: the bridge is an instance of its own (not in vm->devs) whose
 * lock serialises config space, MSI-X tables and routing; a BAR's
 * accesses take its device's lock, as any range does. msix_notify takes
 * no lock: its state is atomic (pci_msix_notify).
 */
#ifndef WISP_PCIBUS_H
#define WISP_PCIBUS_H

#include "core/vm.h"
#include "pci.h"

/* Create the bus: conf1 ports and the ECAM range, before devices are
 * constructed. Dies (bad input, 64) when something holds them. */
void pcibus_create(struct vm *vm);
/* After the irqchip exists: bind each vector's irqfd, install the
 * routing (KVM's default IRQCHIP routes and every vector's MSI route).
 * Dies on a KVM failure. */
void pcibus_start(struct vm *vm);
/* At the end: close what the bus holds (vectors' and wisp's doorbell
 * fds; the instances' doorbell fds are theirs) and free it. */
void pcibus_destroy(struct vm *vm);
/* How many BARs the bus's functions have (passed-through ones too): the
 * ranges a guest may decode at run time, room mem_map_reserve keeps. */
unsigned pcibus_bar_count(const struct vm *vm);
/* The helper table's pci_register and msix_notify (dev.h). */
int pcibus_register(struct dev_ins *ins, const struct dev_pci_func *f);
int pcibus_notify(struct dev_ins *ins, unsigned vec);
/* Whether t (a trapped MMIO access) is a PCI BAR of a device, and which:
 * a device process is asked by BAR and offset, as its own map does not
 * follow the guest's moves. */
bool pcibus_bar_target(const struct io_target *t, unsigned *bar);
/* A sandboxed function's mask and pending state moves to `shared` (in its
 * request page) before its process starts. */
void pcibus_share(struct dev_host *h, struct pci_msix_live *shared);
/* What a device process needs of h's function: 0 and its slot, first GSI
 * and vector count, or -ENOENT when h registered none. */
int pcibus_fn_info(const struct dev_host *h, unsigned *slot, unsigned *gsi0,
		   unsigned *nvec);

#if WISP_PASSTHRU
/* --vfio (pcibus_vfio.c): each function opened and checked, its fds at
 * the fixed VFIO block (before anything starts; bad input or host
 * preparation: one line, 64 or 66); put on the bus (after pcibus_create);
 * started after pcibus_start (KVM's VFIO device, DMA map of RAM, BAR
 * mmaps, MSI eventfds; dies with one line); stopped at the end
 * (interrupts off, device quiet and reset, one summary line). */
void pcibus_vfio_open(struct vm *vm);
void pcibus_vfio_attach(struct vm *vm);
void pcibus_vfio_start(struct vm *vm);
void pcibus_vfio_stop(struct vm *vm);
/* The bus itself, its lock (config space and routes), and the bridge
 * instance whose lock it is: a passed-through function's trapped BAR
 * ranges are the bridge's, so an MSI-X table write and a config write
 * never race. */
struct pci_bus *pcibus_bus(struct vm *vm);
struct dev_ins *pcibus_bridge_ins(struct vm *vm);
void pcibus_lock(struct vm *vm, bool on);
#endif

#endif
