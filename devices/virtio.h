/*
 * devices/virtio.h - modern virtio-pci (virtio 1.x only) and the split
 * virtqueue, shared by the virtio devices (virtio_rng, virtio_blk,
 * virtio_net). Not a device: devices/virtio_pci.c and devices/virtq.c are
 * linked into any profile that names a virtio_* device.
 *
 * Everything here reaches the VM only through the instance's helper table:
 * rings are read and written with mem_read/mem_write, each a checked
 * (gpa, len) pair; the function is registered with pci_register and
 * interrupts leave by msix_notify.
 *
 * The function (what wisp's PCI bus shows the guest):
 *   vendor 0x1af4, device 0x1040 + type, revision 1, subsystem 0x1af4/type;
 *   BAR0 (16 KiB, memory): the virtio structures, each named by a vendor
 *     capability (cfg_type COMMON 1, NOTIFY 2, ISR 3, DEVICE 4):
 *       0x0000 common configuration (56 bytes)
 *       0x1000 ISR status (1 byte, read clears)
 *       0x2000 device-specific configuration
 *       0x3000 notification: notify_off_multiplier 0, so every queue's
 *              address is this one; a 2-byte write there is the doorbell
 *              (KVM's ioeventfd) and serves every queue with work. Any
 *              other write in the notify area does the same by exit.
 *   BAR1: MSI-X table and PBA (wisp's), queues + 1 vectors; the driver
 *     chooses which vector serves config changes (msix_config) and each
 *     queue (queue_msix_vector); VIRTIO_MSI_NO_VECTOR is none.
 * No legacy I/O BAR and no VIRTIO_PCI_CAP_PCI_CFG window (config space is
 * wisp's): a driver must negotiate VIRTIO_F_VERSION_1.
 *
 * Failure classes: a bad request gets the device's error status (the
 * device's business); a protocol violation (a chain longer than the
 * queue, a loop, a ring or descriptor table outside RAM, an avail index
 * too far ahead, a nested or malformed indirect table) sets
 * DEVICE_NEEDS_RESET and the device serves nothing until reset.
 */
#ifndef WISP_VIRTIO_H
#define WISP_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "dev.h"

/* device types (virtio 1.2, 5) */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG 4

/* device_status bits */
#define VIRTIO_S_ACKNOWLEDGE 1
#define VIRTIO_S_DRIVER 2
#define VIRTIO_S_DRIVER_OK 4
#define VIRTIO_S_FEATURES_OK 8
#define VIRTIO_S_NEEDS_RESET 0x40
#define VIRTIO_S_FAILED 0x80

/* transport feature bits */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

#define VIRTIO_MSI_NO_VECTOR 0xffff
#define VIRTIO_ISR_QUEUE 1
#define VIRTIO_ISR_CONFIG 2

/* BAR0 layout */
#define VIRTIO_BAR0_SIZE 0x4000u
#define VIRTIO_COMMON_OFF 0x0000u
#define VIRTIO_COMMON_LEN 0x38u
#define VIRTIO_ISR_OFF 0x1000u
#define VIRTIO_DEVCFG_OFF 0x2000u
#define VIRTIO_DEVCFG_MAX 0x100u
#define VIRTIO_NOTIFY_OFF 0x3000u
#define VIRTIO_NOTIFY_LEN 4u
#define VIRTIO_MSIX_BAR 1

/* common configuration registers (virtio 1.2, 4.1.4.3) */
#define VIRTIO_C_DFSELECT 0x00
#define VIRTIO_C_DF 0x04
#define VIRTIO_C_GFSELECT 0x08
#define VIRTIO_C_GF 0x0c
#define VIRTIO_C_MSIX_CONFIG 0x10
#define VIRTIO_C_NUM_QUEUES 0x12
#define VIRTIO_C_STATUS 0x14
#define VIRTIO_C_CFG_GEN 0x15
#define VIRTIO_C_Q_SELECT 0x16
#define VIRTIO_C_Q_SIZE 0x18
#define VIRTIO_C_Q_MSIX 0x1a
#define VIRTIO_C_Q_ENABLE 0x1c
#define VIRTIO_C_Q_NOFF 0x1e
#define VIRTIO_C_Q_DESC 0x20
#define VIRTIO_C_Q_AVAIL 0x28
#define VIRTIO_C_Q_USED 0x30

/* split ring */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_MAX 256 /* the largest queue any wisp device offers */
#define VIRTIO_QUEUES_MAX 2

/* One split virtqueue, as the driver set it up through common config. */
struct virtq {
	struct dev_ins *ins;
	uint16_t max;        /* offered queue size (a power of two) */
	uint16_t size;       /* the driver's choice: power of two <= max */
	uint16_t msix;       /* vector, or VIRTIO_MSI_NO_VECTOR */
	bool enabled;
	bool indirect;       /* VIRTIO_F_INDIRECT_DESC negotiated */
	uint64_t desc, avail, used; /* guest-physical ring addresses */
	uint16_t last_avail; /* the next avail entry the device takes */
	uint16_t used_idx;   /* the used index the device publishes next */
};

/* A buffer of a chain: guest-physical, not yet checked (each access by
 * the device is a checked mem_read/mem_write). */
struct virtq_seg {
	uint64_t gpa;
	uint32_t len;
};

/* A popped chain: readable (driver to device) segments first, then
 * writable ones; at most the queue's size in all. */
struct virtq_chain {
	uint16_t head;
	unsigned n_out, n_in;
	uint64_t out_len, in_len; /* byte totals (no overflow: < 2^40) */
	struct virtq_seg seg[VIRTQ_MAX];
};

/* virtq_pop's answers: a chain, nothing to do, or a protocol violation. */
#define VIRTQ_EMPTY 0
#define VIRTQ_CHAIN 1
#define VIRTQ_BROKEN (-1)

/* The queue's power-on state (size max, no vector, disabled). */
void virtq_reset(struct virtq *q, struct dev_ins *ins, uint16_t max);
/* How many entries the driver made available that the device has not
 * taken: 0..size, or VIRTQ_BROKEN (unreadable ring, index too far ahead). */
int virtq_pending(struct virtq *q);
/* Take the next available chain into *c and walk it (bounded by the queue
 * size, indirect tables one level deep). VIRTQ_CHAIN, VIRTQ_EMPTY or
 * VIRTQ_BROKEN; a broken queue's state is left as it was. */
int virtq_pop(struct virtq *q, struct virtq_chain *c);
/* Give the last popped chain back (it stays available), e.g. a frame
 * that did not fit it. */
void virtq_unpop(struct virtq *q);
/* Publish `head` as used with `written` bytes: 0 or VIRTQ_BROKEN. */
int virtq_push(struct virtq *q, uint16_t head, uint32_t written);
/* Whether the driver wants an interrupt for new used entries (its
 * avail flags; EVENT_IDX is not offered). */
bool virtq_need_notify(struct virtq *q);

/* Copy between a chain's segments [first, first+n) taken as one byte
 * stream, starting `off` bytes in, and a host buffer: 0, or -EFAULT
 * when a segment is not guest RAM or the stream is shorter than len. */
int virtq_read(struct dev_ins *ins, const struct virtq_seg *seg, unsigned n,
	       uint64_t off, void *buf, size_t len);
int virtq_write(struct dev_ins *ins, const struct virtq_seg *seg, unsigned n,
		uint64_t off, const void *buf, size_t len);

struct virtio_dev;

/* What a device type adds to the transport. */
struct virtio_type {
	uint8_t id;              /* VIRTIO_ID_* */
	uint32_t class_code;     /* PCI class */
	unsigned n_queues;       /* <= VIRTIO_QUEUES_MAX */
	uint16_t queue_max;      /* power of two <= VIRTQ_MAX */
	uint32_t cfg_len;        /* device config bytes, <= VIRTIO_DEVCFG_MAX */
	/* Device config bytes [off, off + len), inside cfg_len. */
	void (*cfg_read)(struct virtio_dev *vd, uint32_t off, void *buf,
			 unsigned len);
	/* Serve queue q: the driver rang (required). */
	void (*notify)(struct virtio_dev *vd, unsigned q);
	/* The transport was reset (by the driver or the VM): optional. */
	void (*reset)(struct virtio_dev *vd);
};

/* The transport's state; the first member of each virtio device's priv. */
struct virtio_dev {
	struct dev_ins *ins;
	const struct virtio_type *type;
	uint64_t features;     /* offered */
	uint64_t drv_features; /* the driver's */
	uint32_t dfselect, gfselect;
	uint16_t msix_config, queue_select;
	uint8_t status, isr, generation;
	struct virtq q[VIRTIO_QUEUES_MAX];
};

/* During construct: register the function (BAR0 as above, MSI-X in BAR1)
 * and set the transport to its power-on state. `features` are the
 * device's own bits; VERSION_1 and INDIRECT_DESC are added. 0 or -errno
 * (pci_register's). */
int virtio_pci_init(struct virtio_dev *vd, struct dev_ins *ins,
		    const struct virtio_type *t, uint64_t features);
/* Power-on state (the device's reset op calls it; the driver's write of 0
 * to device_status does too). Calls t->reset. */
void virtio_reset(struct virtio_dev *vd);
/* DRIVER_OK set and no NEEDS_RESET: queues may be served. */
bool virtio_live(const struct virtio_dev *vd);
/* A negotiated feature bit. */
bool virtio_has(const struct virtio_dev *vd, unsigned bit);
/* Queue q has new used entries: ISR and its vector, if the driver asks. */
void virtio_used_notify(struct virtio_dev *vd, unsigned q);
/* A protocol violation: NEEDS_RESET, one log line, a config interrupt;
 * nothing is served until reset. */
void virtio_broken(struct virtio_dev *vd, const char *why);
/* Serve queue qi: pop each available chain (at most the queue's size per
 * call, so a guest refilling the ring cannot keep the device here) into
 * *c, hand it to fn, push it with the bytes fn says it wrote (< 0: the
 * guest broke the protocol), then one used notification. A broken ring or
 * request puts the device in NEEDS_RESET naming `what`. */
typedef int64_t (*virtio_chain_fn)(struct virtio_dev *vd,
				   const struct virtq_chain *c);
void virtio_serve(struct virtio_dev *vd, unsigned qi, struct virtq_chain *c,
		  virtio_chain_fn fn, const char *what);

#endif
