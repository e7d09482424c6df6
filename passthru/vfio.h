/*
 * passthru/vfio.h - VFIO raw-PCI passthrough: a host PCI function bound to
 * vfio-pci handed to the guest as one more function on wisp's PCI bus.
 * Linked only into profiles with PASSTHRU=1 (the Makefile's HAS_PASSTHRU,
 * WISP_PASSTHRU=1); the others contain none of it.
 *
 * The parts, each testable without a device:
 *   vfio_addr.c   --vfio's argument: a PCI address or its sysfs path
 *   vfio_sysfs.c  the host's preparation read from sysfs: bound to
 *                 vfio-pci, its IOMMU group, every member of the group
 *                 bound to vfio-pci or to nothing (viability, by name)
 *   vfio_dev.c    container/group/device setup (the 6.1 kernels of the
 *                 testbed have no iommufd: container API, TYPE1v2), region
 *                 info, the config-space snapshot, reset
 *   vfio_cfg.c    the virtualised config space the guest sees
 *   vfio_dma.c    guest RAM mapped for the device at IOVA = GPA, following
 *                 mem/'s RAM listeners, within RLIMIT_MEMLOCK
 *   vfio_pci.c    the function on wisp's PCI bus (vfio_pci.h)
 *   vfio_vm.c     its VM side: KVM's VFIO device, BAR memslots and traps,
 *                 the MSI-X table, MSI/MSI-X/INTx by VFIO eventfd and
 *                 KVM irqfd (vfio_pci.h)
 * Every system call goes through struct vfio_sys, so the unit tests drive
 * the same code against a fake VFIO (tests/unit/test_vfio.c).
 *
 * Where it plugs in (decided here, see docs/vfio.md): a
 * passed-through function is a bus-level function of pci/, not a
 * device model behind the helper table. The helper table describes a
 * function wisp emulates (a fixed header, read-only capabilities, wisp's
 * own MSI-X BAR, trapped BARs); a real function needs its own config
 * space with live capabilities, MSI as well as MSI-X, BARs that are the
 * device's own mmap as memslots, the DMA map of all guest RAM and
 * KVM_DEV_TYPE_VFIO: VM-wide powers the untrusted table must never have.
 * So the bus calls vfio_cfg for that slot's config space, and the rest is
 * wisp's own code, reached by the guest only through config space and
 * trapped regions.
 *
 * Where it runs: in wisp, not in a device process. A BAR mmap of the
 * device fd must live in the address space that owns the VM's memslots
 * (wisp's), and the hot paths never enter wisp at all (BARs are memslots,
 * interrupts go VFIO eventfd -> KVM irqfd, DMA is the IOMMU's); what is
 * left is config space and rare trapped accesses, checked here.
 */
#ifndef WISP_VFIO_H
#define WISP_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "map.h"

/* The system calls VFIO setup and DMA mapping make (the real ones:
 * vfio_sys_host; a fake in the unit tests). */
struct vfio_sys {
	int (*open)(void *ctx, const char *path, int flags);
	int (*close)(void *ctx, int fd);
	/* 0 or a positive result, -errno on failure */
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t n, uint64_t off);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t n,
			  uint64_t off);
	void *ctx;
};
extern const struct vfio_sys vfio_sys_host;

/* --- vfio_addr.c --- */
#define VFIO_ADDR_LEN 13 /* "dddd:bb:dd.f" and its NUL */
/* --vfio's argument: "dddd:bb:dd.f" (hex, device <= 0x1f, function <= 7)
 * or "/sys/bus/pci/devices/dddd:bb:dd.f" (nothing else of sysfs: the
 * path is not followed). out gets the canonical lower-case address.
 * 0, or -EINVAL with err saying why. */
int vfio_parse_addr(const char *arg, char out[VFIO_ADDR_LEN], char *err,
		    size_t errlen);

/* --- vfio_sysfs.c --- */
/* addr's IOMMU group, checked: the function exists, is bound to vfio-pci,
 * and every function of its group is bound to vfio-pci or to nothing.
 * sysfs is the root ("/sys"; a test's tree). The group number, or -errno
 * with err naming the function or group member at fault. */
int vfio_sysfs_group(const char *sysfs, const char *addr, char *err,
		     size_t errlen);

/* --- vfio_cfg.c: the config space the guest sees --- */
#define VFIO_CFG_SIZE 256 /* extended space (0x100..) reads 0: hidden */
#define VFIO_BARS 6

/* What a byte of config space is, for writes. */
enum vfio_cfg_tag {
	VCT_PLAIN, /* no side effect: writable bits kept in wisp's copy; a
		    * write changing a read-only bit is dropped, counted */
	VCT_CMD,  /* command: writable bits kept and forwarded to the device */
	VCT_STAT, /* status: write-1-to-clear bits, ignored (not counted) */
	VCT_BAR,  /* a BAR: address bits kept, size/type bits ignored */
	VCT_MSI,  /* the MSI capability: wisp's copy, never forwarded */
	VCT_MSIX, /* the MSI-X message control: wisp's copy */
};

/* Which side effects a write asks for (vfio_cfg_write's result bits). */
#define VFIO_CFG_EV_CMD 0x01   /* forward the command register */
#define VFIO_CFG_EV_BAR0 0x100 /* << n: BAR n's address changed */
#define VFIO_CFG_EV_MSI 0x02   /* MSI control/address/data changed */
#define VFIO_CFG_EV_MSIX 0x04  /* MSI-X enable or function mask changed */

struct vfio_bar {
	uint64_t size;  /* 0: unused (or the upper half of a 64-bit BAR) */
	uint32_t flags; /* the low type bits as the device reports them */
	bool io, is64, mmap;
};

struct vfio_cfg {
	uint8_t v[VFIO_CFG_SIZE];     /* what the guest reads */
	uint8_t wmask[VFIO_CFG_SIZE]; /* bits the guest may write */
	uint8_t tag[VFIO_CFG_SIZE];   /* enum vfio_cfg_tag */
	struct vfio_bar bar[VFIO_BARS];
	uint8_t msi_off, msix_off; /* 0: the device has none */
	uint8_t intx_pin;          /* the device's own pin, 0: no INTx */
	uint64_t dropped;          /* writes that tried to change RO bits */
};

/* Build the guest's view from the device's config space `real` (256
 * bytes, hostile: a looping or wild capability list is cut) and its BARs
 * (sizes from region info). Capabilities kept: PCI Express (device and
 * link control writable in wisp's copy only, the rest read-only), MSI,
 * MSI-X; the rest are unlinked and read 0. The ROM BAR reads 0, and so
 * does the interrupt pin until INTx is wired (vfio_cfg_show_intx). */
void vfio_cfg_init(struct vfio_cfg *c, const uint8_t *real,
		   const struct vfio_bar bar[VFIO_BARS]);
/* INTx wired to IOAPIC input gsi: the guest reads pin INTA and that
 * line (as firmware leaves it; the DSDT's _PRT says the same). */
void vfio_cfg_show_intx(struct vfio_cfg *c, unsigned gsi);
/* A guest access of size 1, 2 or 4 at reg (naturally aligned; anything
 * else reads all ones and writes nothing). A write returns the
 * VFIO_CFG_EV_* bits of what changed. */
uint32_t vfio_cfg_read(const struct vfio_cfg *c, unsigned reg, unsigned size);
unsigned vfio_cfg_write(struct vfio_cfg *c, unsigned reg, unsigned size,
			uint32_t val);
/* BAR n's guest address (64-bit BARs joined), 0 when unset. */
uint64_t vfio_cfg_bar_addr(const struct vfio_cfg *c, unsigned n);
uint16_t vfio_cfg_command(const struct vfio_cfg *c);
/* Where BAR n should be decoded: its address while its space (memory, or
 * I/O for an I/O BAR) is on in the command register, else 0. */
uint64_t vfio_cfg_bar_want(const struct vfio_cfg *c, unsigned n);

/* The guest's MSI programming, as the VM side routes it. nvec is what
 * the guest enabled, never more than the device offers (a guest may
 * write any multiple-message-enable value). */
struct vfio_msi {
	bool on;
	unsigned nvec;
	uint64_t addr;
	uint32_t data;
	uint32_t mask; /* per-vector mask bits (0 without the capability) */
};
/* 0, or -ENOENT when the device has no MSI capability. */
int vfio_cfg_msi(const struct vfio_cfg *c, struct vfio_msi *m);

/* The MSI-X capability: where the table and PBA are (the VM side traps
 * them inside their BARs) and the guest's enable and function mask. */
struct vfio_msix {
	bool on, fmask;
	unsigned nvec;
	unsigned table_bar, pba_bar;
	uint32_t table_off, pba_off;
};
int vfio_cfg_msix(const struct vfio_cfg *c, struct vfio_msix *x);

/* --- vfio_dma.c: DMA map bookkeeping --- */
#define VFIO_DMA_MAX 16

struct vfio_dma_ent {
	uint64_t iova, size;
	void *host;
};

struct vfio_dma {
	const struct vfio_sys *sys;
	int container;
	uint64_t memlock;      /* RLIMIT_MEMLOCK's soft limit (bytes) */
	uint64_t locked;       /* bytes mapped (pinned) now */
	unsigned n;
	struct vfio_dma_ent ent[VFIO_DMA_MAX];
	int err;               /* a listener's first failure, -errno */
	char msg[160];         /* ... and its line */
};

void vfio_dma_init(struct vfio_dma *d, const struct vfio_sys *sys,
		   int container, uint64_t memlock);
/* Map [iova, iova+size) (pages, no overflow, no overlap) to host for
 * device reads and writes. -EINVAL, -EEXIST, -ENOSPC (table full),
 * -ENOMEM (past memlock: msg names the size needed), or VFIO's -errno. */
int vfio_dma_map(struct vfio_dma *d, uint64_t iova, uint64_t size,
		 void *host);
/* Unmap the entry at exactly [iova, iova+size): -ENOENT when none. */
int vfio_dma_unmap(struct vfio_dma *d, uint64_t iova, uint64_t size);
/* mem/'s RAM listener (gmap_listen): RAM only, failures kept in err/msg
 * for the caller to report (a listener cannot fail). */
void vfio_dma_listener(void *opaque, const struct gmap_range *r,
		       bool mapped);
/* Unmap everything (teardown). */
void vfio_dma_clear(struct vfio_dma *d);

/* --- vfio_dev.c: one passed-through function --- */
#define VFIO_REGIONS 9 /* BAR0..5, ROM, config, VGA */
#define VFIO_CONFIG_REGION 7

struct vfio_region {
	uint64_t size, offset;
	uint32_t flags; /* VFIO_REGION_INFO_FLAG_* */
};

struct vfio_dev {
	char addr[VFIO_ADDR_LEN];
	int group_id;
	int container, group, device; /* -1 when closed */
	uint32_t dev_flags;           /* VFIO_DEVICE_FLAGS_* */
	unsigned num_irqs;
	struct vfio_region reg[VFIO_REGIONS];
	struct vfio_cfg cfg;
	struct vfio_dma dma;
	const struct vfio_sys *sys;
};

/* Where the host's files are: "/sys" and "/dev/vfio" (a test's tree). */
struct vfio_host {
	const char *sysfs, *devdir;
	const struct vfio_sys *sys;
	uint64_t memlock; /* RLIMIT_MEMLOCK's soft limit */
};

/* Set up addr (canonical, vfio_parse_addr's): sysfs checks, container
 * (TYPE1v2), group, device, regions, config space, reset. 0, or -errno
 * with err one line naming the problem and the fix; d is closed again. */
int vfio_dev_open(struct vfio_dev *d, const struct vfio_host *h,
		  const char *addr, char *err, size_t errlen);
/* The monitor moved d's fds to these numbers (its fixed fd block, which
 * the seccomp policies name): d and its DMA map use them from now on. */
void vfio_dev_fds(struct vfio_dev *d, int container, int group, int device);
/* Bus master and memory space off, reset, DMA unmapped, fds closed: the
 * device left quiet for the next VM. Safe on a closed d. */
void vfio_dev_close(struct vfio_dev *d);
/* A guest write to config space: the virtual copy, then what must reach
 * the device (the command register). The VFIO_CFG_EV_* bits of what
 * changed, for the VM side (EV_CMD too: memory space on or off decodes
 * or drops every BAR), or -errno when the device refused the forwarded
 * write. */
int vfio_dev_cfg_write(struct vfio_dev *d, unsigned reg, unsigned size,
		       uint32_t val);

#endif
