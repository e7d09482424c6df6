/*
 * fuzz/fuzz_hlp.h - the third implementation of struct dev_hlp: no KVM, no
 * threads, everything recorded so a test or a fuzz target can look at it.
 *
 * Guest RAM is a buffer at gpa 0. Port-I/O and MMIO ranges, interrupt lines
 * and timers are owned and checked exactly as monitor/devhost/devhlp.c checks them
 * (same error codes), so a device that behaves here behaves there. What the
 * fake adds: every instance gets its own console, whose output is captured
 * and whose input the test feeds; the clock is a number the test moves
 * (wisp "started" at 0, so uptime_ns is that number too);
 * the trusted powers only record what was asked.
 *
 * Console output can be made to fill up (fuzz_chr_room) for a device that
 * applies flow control (chr_set_tx).
 *
 * Console input follows the monitor's flow control: input a device does not
 * take is held, and offered again only after the device calls chr_rx_ready,
 * once the call into the device has returned (the monitor's event loop does
 * the same from another thread).
 */
#ifndef WISP_FUZZ_HLP_H
#define WISP_FUZZ_HLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev.h"
#include "mem.h"

#define FUZZ_MEM_SIZE 0x20000u /* guest RAM: [0, 128 KiB) */
#define FUZZ_MAX_DEVS 8
#define FUZZ_MAX_RANGES 32
#define FUZZ_NR_GSI 24   /* as VM_NR_GSI: KVM's IOAPIC pins */
#define FUZZ_MAX_TIMERS 4 /* per instance, as DEV_MAX_TIMERS */
#define FUZZ_OUT_MAX 4096
#define FUZZ_PEND_MAX 256 /* console input held for a device */
#define FUZZ_PIO_LIMIT 0x10000ull

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
	dev_chr_tx_fn tx; /* output flow control (chr_set_tx) */
	size_t out_room;  /* bytes the console takes before it is full */
	bool tx_owed;     /* a write was refused: tx is called on room */
	unsigned tx_calls;
	/* host files and attached data (fuzz_file.c) */
	struct fuzz_file files[DEV_FILE_KEYS];
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

/* Zero the host; RAM is zeroed, the clock starts at 0. */
void fuzz_host_init(struct fuzz_host *h);
/* Destroy every instance left. */
void fuzz_host_fini(struct fuzz_host *h);

/* A unit test's fixture: a heap host (first member, so a fixture pointer is
 * also a host pointer) and, when reg is given, one instance of it with no
 * options. fuzz_fixture_new returns NULL on failure. */
struct fuzz_fixture {
	struct fuzz_host h;
	struct dev_ins *ins;
};
struct fuzz_fixture *fuzz_fixture_new(const struct dev_reg *reg, bool trusted);
void fuzz_fixture_free(struct fuzz_fixture *f);
/* cmocka setup/teardown: *state is a fixture with no device. */
int fuzz_fixture_setup_empty(void **state);
int fuzz_fixture_teardown(void **state);

/*
 * Create and construct one instance of `reg` with the trusted or untrusted
 * table. `spec` is a `--device` spec naming reg, parsed by dev_parse_spec
 * (the registry linked in must contain reg); NULL means no options, and reg
 * need not be registered. The instance index is the count of
 * live instances of reg. Returns 0 and *out, or -errno: -EINVAL (spec, see
 * h->err), -EBUSY (max_instances or no slot), -EPERM (trusted requested for
 * a registration without DEV_F_TRUSTABLE), or construct's own error, after
 * which everything the instance had registered is released.
 */
int fuzz_dev_create(struct fuzz_host *h, const struct dev_reg *reg,
		    bool trusted, const char *spec, struct dev_ins **out);
/* Destruct, release its ranges/irqs/timers/console, free priv. */
void fuzz_dev_destroy(struct fuzz_host *h, struct dev_ins *ins);
/* The reset op, as the monitor would call it. */
void fuzz_dev_reset(struct fuzz_host *h, struct dev_ins *ins);
/* The fuzz record of an instance created here, or NULL. */
struct fuzz_dev *fuzz_dev_of(struct fuzz_host *h, const struct dev_ins *ins);

/*
 * A guest access, dispatched like monitor/kvm/exit.c io_dispatch: the whole
 * access must fall in one range; the value is cut to `size` bytes both ways.
 * Unclaimed: reads give all ones, writes are dropped, -ENOENT. A size other
 * than 1, 2, 4, 8: -EINVAL. Returns 0 when a device took it.
 */
int fuzz_io(struct fuzz_host *h, enum dev_space space, uint64_t addr,
	    unsigned size, bool is_write, uint64_t *val);
uint64_t fuzz_pio_read(struct fuzz_host *h, uint64_t port, unsigned size);
void fuzz_pio_write(struct fuzz_host *h, uint64_t port, unsigned size,
		    uint64_t val);
uint64_t fuzz_mmio_read(struct fuzz_host *h, uint64_t gpa, unsigned size);
void fuzz_mmio_write(struct fuzz_host *h, uint64_t gpa, unsigned size,
		     uint64_t val);

/* A guest write into an MMIO2 region (or other mapped memory), logged as
 * KVM's dirty log would log it. 0 or -EFAULT. */
int fuzz_guest_write(struct fuzz_host *h, uint64_t gpa, const void *buf,
		     size_t len);

/* Console input for ins: held (up to FUZZ_PEND_MAX), then offered unless the
 * device is being waited on. Returns how many bytes were held or taken. */
size_t fuzz_chr_input(struct fuzz_host *h, struct dev_ins *ins,
		      const uint8_t *buf, size_t len);
/* Offer held input to every device not waited on (the event loop's job). */
void fuzz_chr_pump(struct fuzz_host *h);
/* Console output: ins may write `room` more bytes (FUZZ_ROOM_ANY: no
 * limit, the default) before the console is full, as a slow reader leaves
 * it in wisp; room > 0 calls the tx callback a refused write is owed, as
 * wisp's loop does once the output fd has room. */
#define FUZZ_ROOM_ANY SIZE_MAX
void fuzz_chr_room(struct fuzz_host *h, struct dev_ins *ins, size_t room);
/* Bytes the device has not taken yet. */
size_t fuzz_chr_held(struct fuzz_host *h, struct dev_ins *ins);

/* Move the clock and fire due timers, earliest first. */
void fuzz_advance(struct fuzz_host *h, uint64_t ns);
/* Fire timer `id` of ins now, armed or not: a device must cope with a late
 * or spurious expiry, as a timerfd read can race with re-arming. -EINVAL if
 * there is no such timer. */
int fuzz_timer_fire(struct fuzz_host *h, struct dev_ins *ins, unsigned id);

/* Hand a file to ins under key (fuzz_file.c): disk (may be NULL) backs
 * pread/pwrite; a pollable file joins the wait set, which
 * fuzz_dev_attach_waitset gives. -EINVAL: bad or taken key. */
int fuzz_dev_attach_file(struct fuzz_host *h, struct dev_ins *ins,
			 unsigned key, uint8_t *disk, size_t size, bool pollable);
void fuzz_dev_attach_waitset(struct fuzz_host *h, struct dev_ins *ins);
/* Hand a file to the next instance fuzz_dev_create makes, before its
 * construct (a pollable one gives it the wait set too). -ENOSPC past
 * FUZZ_STAGED_MAX, -EINVAL for a bad key. */
int fuzz_stage_file(struct fuzz_host *h, unsigned key, uint8_t *disk,
		    size_t size, bool pollable);
/* The loop's side of file_watch: while the watch on `key` is on and the
 * file holds a frame, call the device's callback (at most
 * FUZZ_WATCH_MAX_CALLS times). Returns the calls made, or -EPERM (no such
 * file or no watch). */
#define FUZZ_WATCH_MAX_CALLS 64
int fuzz_file_ready(struct fuzz_host *h, struct dev_ins *ins, unsigned key);
struct fuzz_file *fuzz_file_of(struct fuzz_host *h, struct dev_ins *ins,
			       unsigned key);
/* The helper members over them, for fuzz_hlp.c's tables. */
int fuzz_hlp_blob(struct dev_ins *ins, const char *key, const void **p,
		  size_t *len);
long fuzz_hlp_pread(struct dev_ins *ins, unsigned key, void *buf, size_t len,
		    uint64_t off);
long fuzz_hlp_pwrite(struct dev_ins *ins, unsigned key, const void *buf,
		     size_t len, uint64_t off);
long fuzz_hlp_read(struct dev_ins *ins, unsigned key, void *buf, size_t len);
long fuzz_hlp_write(struct dev_ins *ins, unsigned key, const void *buf,
		    size_t len);
int fuzz_hlp_poll(struct dev_ins *ins, uint64_t ns, uint64_t *ready);
int fuzz_hlp_file_size(struct dev_ins *ins, unsigned key, uint64_t *size);
int fuzz_hlp_file_sync(struct dev_ins *ins, unsigned key);
int fuzz_hlp_file_punch(struct dev_ins *ins, unsigned key, uint64_t off,
			uint64_t len);
int fuzz_hlp_file_zero(struct dev_ins *ins, unsigned key, uint64_t off,
		       uint64_t len);
int fuzz_hlp_file_watch(struct dev_ins *ins, unsigned key, dev_notify_fn fn,
			void *opaque);
int fuzz_hlp_file_watch_set(struct dev_ins *ins, unsigned key, bool on);
/* Both doorbell kinds: during construction, inside the caller's range. */
int fuzz_doorbell_check(struct dev_ins *ins, enum dev_space space,
			uint64_t addr, unsigned len);
int fuzz_hlp_doorbell_create(struct dev_ins *ins, enum dev_space space,
			     uint64_t addr, unsigned len);
int fuzz_hlp_doorbell_wait(struct dev_ins *ins, int bell);
int fuzz_hlp_worker_start(struct dev_ins *ins, dev_worker_fn fn,
			  void *opaque);
/* Run ins's worker now, on this thread: the fake's doorbell_wait says
 * -ECANCELED, so it returns once it has nothing left to do. -ENOENT if the
 * instance started none. */
int fuzz_worker_run(struct fuzz_host *h, struct dev_ins *ins);

/* --- the fake PCI bus (see struct fuzz_pci) --- */

/* ins's function, or NULL when it registered none. */
struct fuzz_pci *fuzz_pci_of(struct fuzz_host *h, struct dev_ins *ins);
/* Where BAR `bar` of ins's function is, or 0. */
uint64_t fuzz_pci_bar(struct fuzz_host *h, struct dev_ins *ins, unsigned bar);
/* The guest moves BAR `bar` to gpa (aligned to its size): its range and
 * doorbell follow, as wisp re-registers them. 0, -EINVAL (no such BAR,
 * misaligned), -EEXIST (overlap). */
int fuzz_pci_move_bar(struct fuzz_host *h, struct dev_ins *ins, unsigned bar,
		      uint64_t gpa);
/* MSI-X enable (on: pending unmasked vectors are sent now). 0 or -EPERM. */
int fuzz_msix_enable(struct fuzz_host *h, struct dev_ins *ins, bool on);
/* Mask or unmask one vector (unmasking sends it if pending). 0, -EPERM,
 * -EINVAL (vector out of range). */
int fuzz_msix_mask(struct fuzz_host *h, struct dev_ins *ins, unsigned vec,
		   bool masked);

/* --- the op-stream interpreter the fuzz targets share --- */

enum fuzz_op_kind {
	FUZZ_OP_PIO_W,  /* A, value: A>>6 = log2 size, A&63 = window offset */
	FUZZ_OP_PIO_R,  /* A */
	FUZZ_OP_MMIO_W, /* A, u16 offset, value */
	FUZZ_OP_MMIO_R, /* A, u16 offset */
	FUZZ_OP_INPUT,  /* n (mod 64), n bytes of console input */
	FUZZ_OP_CLOCK,  /* u32 ns to advance (op val: the ns) */
	FUZZ_OP_RESET,
	FUZZ_OP_MEM,    /* u16 gpa, n, n bytes written into guest RAM */
	FUZZ_OP_TIMER,  /* id: fire that timer now (spurious or not) */
	FUZZ_OP_COUNT,
};

struct fuzz_op {
	enum fuzz_op_kind kind;
	enum dev_space space;
	uint64_t addr;
	unsigned size;
	uint64_t val; /* written, or what the read returned */
	int rc;       /* fuzz_io's result */
};

/* Accesses land in [base - 4, base + span + 4) for PIO and
 * [base - 8, base + span + 8) for MMIO, so range edges are hit too. */
struct fuzz_target {
	uint64_t pio_base, pio_span;
	uint64_t mmio_base, mmio_span; /* span 0: no MMIO ops */
	/* Called after every op; aborts on a broken invariant. */
	void (*check)(struct fuzz_host *h, struct dev_ins *ins,
		      const struct fuzz_op *op, void *ctx);
	void *ctx;
};

/* Run the ops encoded in data (first byte % FUZZ_OP_COUNT is the kind, then
 * its operands, little-endian; missing bytes read as 0). */
void fuzz_run(struct fuzz_host *h, struct dev_ins *ins,
	      const struct fuzz_target *t, const uint8_t *data, size_t len);

/* Abort with a message: a fuzz invariant failed. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						      noreturn));

#endif
