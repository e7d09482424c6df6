/*
 * fuzz/fuzz_core.h - the fake host's state (every instance's record, its
 * ranges, lines, timers, files, PCI function) and its lowest layer
 * (fuzz_core.c): finding a record, the invariant failure, range lookup,
 * console input and the clock. fuzz_file.c and fuzz_hlp.c build on it;
 * tests and targets include fuzz_hlp.h, which includes this.
 */
#ifndef WISP_FUZZ_CORE_H
#define WISP_FUZZ_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev.h"
#include "hlp_check.h"
#include "mem.h"

#define FUZZ_MEM_SIZE 0x20000u /* guest RAM: [0, 128 KiB) */
#define FUZZ_MAX_DEVS 8
#define FUZZ_MAX_RANGES 32
#define FUZZ_NR_GSI HLP_NR_GSI        /* as VM_NR_GSI: KVM's IOAPIC pins */
#define FUZZ_MAX_TIMERS HLP_MAX_TIMERS /* per instance, as DEV_MAX_TIMERS */
#define FUZZ_OUT_MAX 4096
#define FUZZ_PEND_MAX 256 /* console input held for a device */
#define FUZZ_PIO_LIMIT 0x10000ull
#define FUZZ_MMIO_LIMIT GMAP_LIMIT /* as wisp's guest-physical map */

struct fuzz_range {
	struct dev_ins *owner;
	enum dev_space space;
	uint64_t base, len;
	const struct dev_io_ops *ops;
	void *opaque;
};

struct fuzz_irq {
	struct dev_ins *owner;
	bool level;      /* current line level */
	unsigned rises;  /* low->high transitions, pulses included */
	unsigned pulses;
	unsigned sets;   /* successful irq_set calls */
};

struct fuzz_timer {
	dev_timer_fn fn;
	void *opaque;
	bool armed;
	uint64_t deadline; /* absolute, in the host's clock */
	unsigned fired;
};

/* A doorbell (ioevent_register): writes of exactly len bytes at addr go to
 * fn instead of the range, as KVM's ioeventfd does. */
struct fuzz_ioevent {
	enum dev_space space;
	uint64_t addr;
	unsigned len;
	dev_notify_fn fn;
	void *opaque;
	unsigned rung;
};

#define FUZZ_FRAME_MAX 2048

/* A host file handed to an instance (fuzz_file.c): a disk is a buffer the
 * test owns; a tap holds one frame to read and records frames written. */
struct fuzz_file {
	bool used, pollable;
	uint8_t *disk;
	size_t disk_size;
	uint8_t rx[FUZZ_FRAME_MAX];
	size_t rx_len;                 /* 0: nothing to read (-EAGAIN) */
	uint8_t tx[FUZZ_FRAME_MAX];    /* the last frame written */
	size_t tx_len;
	unsigned tx_frames;
	int fail;                      /* -errno every call returns, or 0 */
	/* file_sync: calls made, and whether a write came after the last */
	unsigned syncs;
	bool unsynced;
	/* file_punch/file_zero: calls that zeroed a range; no_falloc makes
	 * them -EOPNOTSUPP, as a file system without fallocate would */
	unsigned punches, zeroes;
	bool no_falloc;
	/* a stream that never runs dry (/dev/urandom): reads fill the whole
	 * buffer with fuzz_stream_byte(streamed + i) */
	bool endless;
	uint64_t streamed;
	/* file_watch: the device's callback, on or off (watches start off);
	 * fuzz_file_ready calls it as wisp's loop would */
	dev_notify_fn watch_fn;
	void *watch_opaque;
	bool watch_on;
	unsigned watch_sets;           /* file_watch_set calls that changed it */
	unsigned watch_calls;          /* callbacks made */
};

/* The byte at position `pos` of an endless file's stream. */
static inline uint8_t fuzz_stream_byte(uint64_t pos)
{
	return (uint8_t)(pos * 131 + 7);
}

/*
 * The fake PCI bus (pci_register, msix_notify). pci_register checks `f`
 * with dev_pci_func_check (-EINVAL), is construct-only (-EINVAL after) and
 * once per instance (-EBUSY), and gives the function the lowest slot no
 * live instance holds (-ENOSPC past FUZZ_PCI_SLOTS). Its BARs are placed
 * in index order from FUZZ_PCI_MMIO_BASE + slot * FUZZ_PCI_SLOT_SPAN, each
 * aligned to its size (the MSI-X BAR counts FUZZ_PCI_MSIX_BAR_SIZE); a
 * function that does not fit its slot's span is -ENOSPC. So the first
 * function's BAR0 is at FUZZ_PCI_MMIO_BASE. Each BAR with ops is an MMIO
 * range of the instance (fuzz_mmio_read/write reach its ops with the
 * BAR-relative offset); its doorbell catches writes of exactly bell_len
 * bytes at bar + bell_off and calls bell_fn(ins, bell_opaque, 1), never
 * the ops, as KVM's ioeventfd does. The MSI-X table is not emulated: a
 * test enables MSI-X and masks vectors with fuzz_msix_enable and
 * fuzz_msix_mask; as in wisp, a function starts with MSI-X disabled,
 * msix_notify on a masked vector (or function) leaves it pending until it
 * is unmasked, and with MSI-X disabled nothing is sent (counted in lost).
 */
#define FUZZ_PCI_MMIO_BASE 0xc0000000ull
#define FUZZ_PCI_SLOT_SPAN 0x1000000ull /* 16 MiB of BARs per slot */
#define FUZZ_PCI_SLOTS 8
#define FUZZ_PCI_MSIX_BAR_SIZE 4096ull

struct fuzz_pci {
	bool used;
	unsigned slot;
	struct dev_pci_func f;          /* the registered copy */
	uint64_t bar_gpa[DEV_PCI_BARS]; /* 0: no BAR */
	unsigned bells[DEV_PCI_BARS];   /* doorbell rings per BAR */
	bool msix_on, fmask;
	bool masked[DEV_PCI_MSIX_MAX], pending[DEV_PCI_MSIX_MAX];
	unsigned sent[DEV_PCI_MSIX_MAX]; /* messages delivered per vector */
	unsigned notifies;              /* successful msix_notify calls */
	unsigned lost;                  /* ...made while MSI-X was disabled */
	unsigned refused;               /* calls for a vector out of range */
};

struct fuzz_dev {
	bool used, trusted, constructed;
	struct dev_ins ins;
	uint32_t irqs; /* the GSIs it claimed, as wisp's dev_host */
	unsigned n_ioevents;
	struct fuzz_ioevent ioevents[DEV_MAX_IOEVENTS];
	unsigned n_timers;
	struct fuzz_timer timers[FUZZ_MAX_TIMERS];
	/* console */
	dev_chr_rx_fn rx;
	uint8_t out[FUZZ_OUT_MAX]; /* first FUZZ_OUT_MAX bytes written */
	size_t out_len;
	uint64_t out_total;
	uint8_t pend[FUZZ_PEND_MAX]; /* held input */
	size_t pend_len;
	bool rx_waiting; /* a partial take: offer again after rx_ready */
	unsigned rx_ready_calls;
	unsigned booted_calls; /* guest_booted calls */
	dev_chr_tx_fn tx; /* output flow control (chr_set_tx) */
	size_t out_room;  /* bytes the console takes before it is full */
	bool tx_owed;     /* a write was refused: tx is called on room */
	unsigned tx_calls;
	/* host files and attached data (fuzz_file.c); fk: their keys, for
	 * the checks (none is read-only here) */
	struct fuzz_file files[DEV_FILE_KEYS];
	struct hlp_files fk;
	bool waitset;
	const char *blob_key;
	const void *blob;
	size_t blob_len;
	/* doorbell and worker (fuzz_file.c) */
	bool doorbell;
	enum dev_space bell_space;
	uint64_t bell_addr;
	unsigned bell_len, bell_waits;
	dev_worker_fn worker;
	void *worker_opaque;
	struct fuzz_pci pci;
};

/* A host file handed to the next instance created, before its construct
 * runs (as wisp opens --disk/--net files before constructing). */
struct fuzz_staged_file {
	unsigned key;
	uint8_t *disk;
	size_t size;
	bool pollable;
};
#define FUZZ_STAGED_MAX 4

struct fuzz_host {
	uint8_t mem[FUZZ_MEM_SIZE];
	uint64_t now_ns;
	size_t n_ranges;
	struct fuzz_range ranges[FUZZ_MAX_RANGES];
	struct fuzz_irq irqs[FUZZ_NR_GSI];
	struct fuzz_dev devs[FUZZ_MAX_DEVS];
	/* the trusted powers, recorded */
	unsigned poweroff_calls, reset_calls;
	int poweroff_status;
	/* logging: lines per dev_log_level, the last one without prefix */
	unsigned log_lines[DEV_LOG_DEBUG + 1];
	char last_log[256];
	bool verbose; /* also print log lines (WISP_FUZZ_VERBOSE set) */
	uint64_t unclaimed; /* accesses no range took */
	/* data given to the next instance created (cfg_blob), as the monitor
	 * attaches it before construction */
	const char *next_blob_key;
	const void *next_blob;
	size_t next_blob_len;
	/* files handed to the next instance created (fuzz_stage_file) */
	unsigned n_staged;
	struct fuzz_staged_file staged[FUZZ_STAGED_MAX];
	uint64_t walltime_ns;     /* walltime_ns: this plus now_ns, so the
				   * wall clock moves with fuzz_advance */
	unsigned fault_calls;     /* vm_fault, recorded */
	unsigned panic_calls;     /* vm_panic, recorded */
	char fault_why[128];
	unsigned poll_calls;      /* file_poll waits, and the last timeout */
	uint64_t poll_ns;
	char err[160];      /* why the last fuzz_dev_create failed */
	/* MMIO2 regions live in mem/'s own map, without KVM, so ownership,
	 * sizes and the dirty rules are the monitor's code, not a copy. */
	struct mem pgm;
	unsigned ram_track_calls;
};

/* The fuzz record of an instance created here, or NULL. */
struct fuzz_dev *fuzz_dev_of(struct fuzz_host *h, const struct dev_ins *ins);
/* Console input for ins: held (up to FUZZ_PEND_MAX), then offered unless the
 * device is being waited on. Returns how many bytes were held or taken. */
size_t fuzz_chr_input(struct fuzz_host *h, struct dev_ins *ins,
		      const uint8_t *buf, size_t len);
/* Offer held input to every device not waited on (the event loop's job). */
void fuzz_chr_pump(struct fuzz_host *h);
/* Bytes the device has not taken yet. */
size_t fuzz_chr_held(struct fuzz_host *h, struct dev_ins *ins);
/* Move the clock and fire due timers, earliest first. */
void fuzz_advance(struct fuzz_host *h, uint64_t ns);
/* Fire timer `id` of ins now, armed or not: a device must cope with a late
 * or spurious expiry, as a timerfd read can race with re-arming. -EINVAL if
 * there is no such timer. */
int fuzz_timer_fire(struct fuzz_host *h, struct dev_ins *ins, unsigned id);
/* fuzz_core.c: the caller's record (a foreign instance is fuzz_fail), the
 * range holding a whole access (NULL if none). */
struct fuzz_dev *fuzz_caller(struct dev_ins *ins);
const struct fuzz_range *fuzz_range_find(const struct fuzz_host *h,
					 enum dev_space space, uint64_t addr,
					 unsigned size);
/* Both doorbell kinds: during construction, inside the caller's range. */
int fuzz_doorbell_check(struct dev_ins *ins, enum dev_space space,
			uint64_t addr, unsigned len);
/* Abort with a message: a fuzz invariant failed. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						      noreturn));

#endif
