/*
 * pci/pci.h - wisp's PCI bus: segment 0, bus 0, a host bridge at
 * device 0 and one single-function device per registered instance after it
 * (pci.c: configuration space and MSI-X, pure logic, no KVM; the monitor's
 * glue, monitor/pci/pcibus.c, is the VM's side behind struct pci_backend:
 * conf1 ports, ECAM, BAR decode in the guest-physical map, doorbells, MSI
 * routes and irqfds). A layer of its own: it may use devices/'s table
 * types (dev.h) and mem/ (mem.h's layout), nothing of monitor/.
 *
 * Guest-physical layout (below 4 GiB, in mem/'s 32-bit hole, clear of the
 * IOAPIC, local APIC, KVM's TSS/identity map and a --rom's top 16 MiB):
 *   PCI_WIN_BASE..+PCI_WIN_SIZE  BARs (32-bit non-prefetchable memory)
 *   PCI_ECAM_BASE..+1 MiB        ECAM (MCFG), bus 0 only
 * conf1: address at port 0xcf8 (dword accesses only), data at 0xcfc-0xcff.
 *
 * Interrupts are MSI-X only: interrupt pin reads 0 (no INTx, so the DSDT
 * needs no _PRT). Vector v of a function is GSI gsi0 + v, GSIs from
 * PCI_MSI_GSI0 up (after the IOAPIC's 24 pins), each an irqfd whose
 * route (KVM_IRQ_ROUTING_MSI) follows the guest's table entry.
 *
 * The MSI-X BAR is 4 KiB: the table (16 bytes a vector) at 0, the PBA at
 * PCI_MSIX_PBA_OFF. Mask and pending state live in a struct pci_msix_live
 * that wisp may share with a device process (devproc.h): the process sends
 * or leaves pending on its own (pci_msix_notify), wisp delivers on unmask.
 */
#ifndef WISP_PCI_H
#define WISP_PCI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev.h"
#include "mem.h"

#define PCI_SLOTS 32
#define PCI_CONF1_ADDR 0xcf8
#define PCI_CONF1_DATA 0xcfc
#define PCI_ECAM_BASE MEM_PCI_ECAM
#define PCI_ECAM_SIZE MEM_PCI_ECAM_SIZE /* bus 0 */
#define PCI_WIN_BASE MEM_PCI_WIN
#define PCI_WIN_SIZE MEM_PCI_WIN_SIZE /* 256 MiB: DEV_PCI_BAR_MAX fits */
#define PCI_MSI_GSI0 24
/* A passed-through function's INTA on slot s: the DSDT's _PRT (passthru
 * profiles) says the same. Level-triggered, shared between slots. */
#define PCI_INTX_GSI(s) (16 + (s) % 8)
#define PCI_MAX_VECTORS 64 /* MSI-X vectors of all functions (FD_MSIX_MAX) */
#define PCI_MSIX_BAR_SIZE 4096ull
#define PCI_MSIX_PBA_OFF 0x800
#define PCI_CAP_START 0x40
#define PCI_MSIX_CAP_LEN 12

/* The host bridge at 00:00.0. */
#define PCI_HB_VENDOR 0x8086
#define PCI_HB_DEVICE 0x0d57
#define PCI_HB_CLASS 0x060000

/* Command bits the guest may set: memory space, bus master, INTx
 * disable (Linux sets it with MSI-X; there is no INTx to disable). */
#define PCI_CMD_MEM 0x0002
#define PCI_CMD_MASTER 0x0004
#define PCI_CMD_INTX_OFF 0x0400
#define PCI_CMD_WRITABLE (PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF)
#define PCI_STATUS_CAPS 0x0010

#define PCI_MSIX_ENABLE 0x8000
#define PCI_MSIX_FMASK 0x4000

/* The mask and pending bits notify reads; wisp's own copy of the mask
 * state is in struct pci_fn, this one is a mirror (a device process may
 * write it: it decides only that function's interrupts). */
struct pci_msix_live {
	_Atomic uint32_t ctrl; /* PCI_MSIX_ENABLE | PCI_MSIX_FMASK */
	uint32_t pad;
	_Atomic uint64_t mask; /* bit v: vector v masked */
	_Atomic uint64_t pba;  /* bit v: vector v pending */
};

/* Send vector vec of a function with nvec vectors whose state is l, by
 * fire(ctx, vec) (which must not block): dropped while MSI-X is disabled,
 * left pending while the vector or function is masked. Races with an
 * unmask as hardware does: the message goes out exactly once, either here
 * or from the unmask (pci_msix_unmasked); a message that was computed from
 * the old entry before a mask landed may still be sent, as a real device's
 * in-flight write is. 0, or -EINVAL (vec out of range). */
int pci_msix_notify(struct pci_msix_live *l, unsigned nvec, unsigned vec,
		    void (*fire)(void *ctx, unsigned vec), void *ctx);

struct pci_fn;
struct pci_bus;

/* What the bus asks of the VM (pcibus.c, or a test's fake). */
struct pci_backend {
	/* Decode BAR `bar` of fn at gpa: 0, or -errno when refused (over
	 * RAM or another range): the BAR then stays undecoded. */
	int (*bar_map)(void *ctx, struct pci_fn *fn, unsigned bar,
		       uint64_t gpa);
	void (*bar_unmap)(void *ctx, struct pci_fn *fn, unsigned bar,
			  uint64_t gpa);
	/* Vector vec's entry changed and is live: follow it. */
	void (*msix_route)(void *ctx, struct pci_fn *fn, unsigned vec);
	/* Send vector vec now (a pending one being unmasked). */
	void (*msix_fire)(void *ctx, struct pci_fn *fn, unsigned vec);
	/* (WISP_PASSTHRU) A raw function's routes changed: replace KVM's
	 * table. 0 or -errno. */
	int (*routes_push)(void *ctx);
};

/* One MSI route a raw function asks for: its GSI and the guest's
 * message (what KVM_IRQ_ROUTING_MSI carries). */
struct pci_msi_route {
	unsigned gsi;
	uint32_t addr_lo, addr_hi, data;
};

/* A function whose config space is not the bus's type 0 emulation but
 * its own: a passed-through host function (passthru/, which keeps the
 * guest's view of the real device). The bus checks size, alignment and
 * range, then hands the access over; it places the function's BARs at
 * start like any other and decodes none of them (the owner maps its BARs
 * as memslots and follows the guest's moves itself). */
struct pci_cfg_ops {
	uint32_t (*read)(void *opaque, unsigned reg, unsigned size);
	void (*write)(void *opaque, unsigned reg, unsigned size, uint32_t val);
	/* Its live MSI routes (GSIs from its gsi0, at most its nvec) into
	 * out, at most max: how many. Every route push asks, because KVM's
	 * table is replaced whole. */
	unsigned (*routes)(void *opaque, struct pci_msi_route *out,
			   unsigned max);
};

struct pci_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl; /* ctrl bit 0: masked */
};

struct pci_fn {
	struct dev_pci_func d; /* the device's description, as registered */
	void *owner;           /* the instance (struct dev_ins) */
	unsigned slot;
	uint16_t command;
	uint64_t bar_size[DEV_PCI_BARS]; /* the device's, and the MSI-X BAR */
	uint32_t bar_reg[DEV_PCI_BARS];  /* address bits the guest wrote */
	uint64_t mapped[DEV_PCI_BARS];   /* decoded at, 0: not decoded */
	uint8_t cap_off[DEV_PCI_CAPS];
	uint8_t msix_off;  /* 0: no MSI-X capability */
	uint16_t msix_ctrl; /* ENABLE | FMASK, wisp's copy */
	uint64_t route_dirty; /* entries written since last routed */
	struct pci_msix_entry msix[DEV_PCI_MSIX_MAX];
	struct pci_msix_live own;
	struct pci_msix_live *live; /* &own, or a device process's page */
	unsigned gsi0;              /* GSI of vector 0 */
	void *bk_data;              /* the backend's */
	const struct pci_cfg_ops *cfg; /* NULL: the bus's emulation */
	void *cfg_opaque;
};

struct pci_bus {
	const struct pci_backend *bk;
	void *ctx;
	uint32_t conf1_addr;
	struct pci_fn *fn[PCI_SLOTS]; /* [0] stays NULL: the host bridge */
	unsigned n_fn;
	uint64_t win_next;  /* next free address of the BAR window */
	unsigned n_vectors; /* vectors handed out (GSIs after PCI_MSI_GSI0) */
};

void pci_bus_init(struct pci_bus *b, const struct pci_backend *bk, void *ctx);

/* Check (dev_pci_func_check, and that the caps fit config space) and
 * place a function: fn gets its description, slot, BAR addresses in the
 * window and GSIs. The device number, or -EINVAL (bad description),
 * -ENOSPC (bus, window or vectors full). fn is the caller's, zeroed. */
int pci_bus_add(struct pci_bus *b, struct pci_fn *fn,
		const struct dev_pci_func *f, void *owner);

/* (WISP_PASSTHRU profiles only.) Add a function with its own config
 * space (struct pci_cfg_ops): a
 * slot, and a start address in the window for each memory BAR whose
 * size is given (a power of two >= 4 KiB; 0: none), left in
 * fn->bar_reg for the owner to show, and nvec GSIs from fn->gsi0 for its
 * MSI vectors (the owner binds their irqfds and gives their routes by
 * ops->routes). No MSI-X of the bus's. The device number, or -EINVAL (a
 * bad size), -ENOSPC (bus, window or GSIs full). */
int pci_bus_add_raw(struct pci_bus *b, struct pci_fn *fn,
		    const uint64_t bar_size[DEV_PCI_BARS], unsigned nvec,
		    const struct pci_cfg_ops *ops, void *opaque, void *owner);
/* A raw function's routes changed: the backend replaces KVM's table
 * (every function's routes). 0 or -errno. */
int pci_bus_push_routes(struct pci_bus *b);

/* Guest-facing accesses; `size` is the access width in bytes. A bad
 * size, alignment or offset is dropped (read: all ones). */
uint32_t pci_conf1_read(struct pci_bus *b, unsigned port, unsigned size);
void pci_conf1_write(struct pci_bus *b, unsigned port, unsigned size,
		     uint32_t val);
uint64_t pci_ecam_read(struct pci_bus *b, uint64_t off, unsigned size);
void pci_ecam_write(struct pci_bus *b, uint64_t off, unsigned size,
		    uint64_t val);
/* Config space of slot `slot`, register `reg` (< 4096). */
uint32_t pci_cfg_read(struct pci_bus *b, unsigned slot, unsigned reg,
		      unsigned size);
void pci_cfg_write(struct pci_bus *b, unsigned slot, unsigned reg,
		   unsigned size, uint32_t val);
/* The MSI-X BAR of fn: table and PBA (4- and 8-byte accesses). */
uint64_t pci_msix_read(struct pci_bus *b, struct pci_fn *fn, uint64_t off,
		       unsigned size);
void pci_msix_write(struct pci_bus *b, struct pci_fn *fn, uint64_t off,
		    unsigned size, uint64_t val);

/* Whether vector vec of fn is live: MSI-X on, neither masked. */
bool pci_msix_vec_live(const struct pci_fn *fn, unsigned vec);

#endif
