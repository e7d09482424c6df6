/*
 * passthru/vfio_pci.h - a passed-through function as a bus-level function
 * of wisp's PCI bus (monitor/pci's pci_bus_add_raw). Includes the bus's
 * header, so only profiles with PASSTHRU=1 (which forces HAS_PCI) see it.
 */
#ifndef WISP_VFIO_PCI_H
#define WISP_VFIO_PCI_H

#include "pci/pci.h"
#include "vfio.h"

struct vfio_pci {
	struct pci_fn fn;     /* its slot on the bus */
	struct vfio_dev *dev;
	unsigned pending;     /* VFIO_CFG_EV_* not yet applied by the VM side */
	uint64_t cmd_errors;  /* command writes the device refused */
};

/* Put d on bus: a slot and its memory BARs placed in the window and shown
 * in its config space. The device number, or -errno with err one line
 * (an I/O BAR: -ENOTSUP; bus or window full: -ENOSPC). */
int vfio_pci_attach(struct vfio_pci *p, struct pci_bus *bus,
		    struct vfio_dev *d, char *err, size_t errlen);

#endif
