/*
 * devices/dev.h - the device framework (a small PDM): registrations, instances
 * and the helper tables, the only door through which a device touches the VM.
 *
 * A device model is a `static const struct dev_reg` in its own file. The build
 * generates a table of the registrations a profile selects (registry.c); the
 * monitor constructs instances from it. A device never includes monitor or
 * mem headers: everything it does goes through `ins->hlp`. Three tables
 * implement `struct dev_hlp`: the monitor's untrusted one (ownership checked),
 * the monitor's trusted one (adds `trusted`), and fuzz/'s buffer-backed one.
 *
 * Concurrency: the framework serialises every call into one instance (I/O
 * callbacks, timers, console input, reset) with a per-instance lock, so a
 * device model is written as single-threaded code.
 */
#ifndef WISP_DEV_H
#define WISP_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dev_ins;

/* Construction order: lower classes first, destruction in reverse. */
enum dev_class {
	DEV_CLASS_PLATFORM = 0, /* reset/power controllers, debug ports */
	DEV_CLASS_SERIAL,       /* consoles */
	DEV_CLASS_MISC,         /* test devices and the rest */
	DEV_CLASS_COUNT,
};

/* dev_reg.flags */
#define DEV_F_TRUSTABLE (1u << 0) /* a profile may grant it the trusted table */
#define DEV_F_NEEDS_TRUST (1u << 1) /* refuses to run untrusted */
/* Runs inside wisp only: it uses host files, doorbells or workers, which
 * device processes do not have (--sandbox=all leaves it in wisp). */
#define DEV_F_NO_SANDBOX (1u << 2)
/* No default instance: made only when the command line asks (--device,
 * or an option such as --disk that also opens its host file). A device
 * that needs a host file the user names sets it, so a profile holding it
 * still starts without one. */
#define DEV_F_NO_DEFAULT (1u << 3)

enum dev_opt_type { DEV_OPT_U64, DEV_OPT_STR };

/* One accepted `--device name,key=value` key. Values are validated against
 * this schema before any device is constructed. */
struct dev_opt {
	const char *key;
	enum dev_opt_type type;
	uint64_t min, max; /* DEV_OPT_U64 inclusive bounds */
	const char *help;
};

#define DEV_DISPLAY_RECTS 8
/* The largest screen wisp accepts from any display device: what a
 * screenshot's PNG (and so the file a device process writes) can grow to. */
#define DEV_DISPLAY_MAX_W 1920
#define DEV_DISPLAY_MAX_H 1200

/* A changed rectangle of the screen: [x0, x1) x [y0, y1). */
struct dev_rect {
	unsigned x0, y0, x1, y1;
};

/* A display device's screen, as its display op describes it: XRGB8888
 * pixels the device owns (valid until its next call), and what the update
 * cost: pages read from VRAM, and the rectangles that changed (at most
 * DEV_DISPLAY_RECTS; more are merged into the last). */
struct dev_display {
	const uint32_t *pixels;
	unsigned width, height, stride; /* stride in pixels */
	unsigned pages_read;
	unsigned n_rects;
	struct dev_rect rects[DEV_DISPLAY_RECTS];
};

struct dev_ops {
	int (*construct)(struct dev_ins *ins); /* required; <0: -errno */
	void (*destruct)(struct dev_ins *ins); /* optional */
	void (*reset)(struct dev_ins *ins);    /* required: power-on state */
	int (*suspend)(struct dev_ins *ins);   /* optional */
	int (*resume)(struct dev_ins *ins);    /* optional */
	/* optional: serialise state into buf (returns bytes or -errno) */
	long (*save)(struct dev_ins *ins, void *buf, size_t len);
	int (*load)(struct dev_ins *ins, const void *buf, size_t len);
	/* optional, display devices: bring the device's copy of the screen up
	 * to date (reading only dirty VRAM pages) and describe it. */
	int (*display)(struct dev_ins *ins, struct dev_display *out);
	/* optional, a trusted device inside wisp that can ask the guest to
	 * power off (an ACPI power button): 0 when the request went to the
	 * guest, -errno when it cannot take it now. The control socket's
	 * `stop` presses it (main thread, instance lock held). */
	int (*power_button)(struct dev_ins *ins);
};

struct dev_reg {
	const char *name; /* CLI name, [a-z0-9_]+ */
	const char *desc;
	enum dev_class cls;
	uint32_t flags;
	unsigned max_instances;
	size_t instance_size; /* zeroed memory at ins->priv */
	const struct dev_opt *opts;
	size_t n_opts;
	const struct dev_ops *ops;
};

/* One entry of the generated table: a registration, whether the profile
 * trusts it (trusted helper table) and whether it runs in its own sandboxed
 * process (otherwise inside wisp, under the main and vCPU filters). */
struct dev_entry {
	const struct dev_reg *reg;
	bool trusted;
	bool sandboxed;
};
extern const struct dev_entry dev_registry[];
extern const size_t dev_registry_len;

/* Guest-facing I/O callbacks. `off` is relative to the registered base,
 * `size` is 1, 2, 4 or 8. Called with the instance lock held. */
struct dev_io_ops {
	uint64_t (*read)(struct dev_ins *ins, void *opaque, uint64_t off,
			 unsigned size);
	void (*write)(struct dev_ins *ins, void *opaque, uint64_t off,
		      unsigned size, uint64_t val);
};

enum dev_space { DEV_SPACE_PIO, DEV_SPACE_MMIO };

enum dev_irq_level { DEV_IRQ_LOW = 0, DEV_IRQ_HIGH = 1, DEV_IRQ_PULSE = 2 };

enum dev_log_level { DEV_LOG_ERR, DEV_LOG_WARN, DEV_LOG_INFO, DEV_LOG_DEBUG };

/* Console input: offered bytes, returns how many the device took. The rest is
 * held by the monitor and offered again after the device calls chr_rx_ready. */
typedef size_t (*dev_chr_rx_fn)(struct dev_ins *ins, const uint8_t *buf,
				size_t len);
/* Console output: the console can take output again (see chr_set_tx). */
typedef void (*dev_chr_tx_fn)(struct dev_ins *ins);
typedef void (*dev_timer_fn)(struct dev_ins *ins, void *opaque);
/* A doorbell rang `n` times (writes coalesce) since the last call. */
typedef void (*dev_notify_fn)(struct dev_ins *ins, void *opaque, uint64_t n);
typedef void (*dev_worker_fn)(struct dev_ins *ins, void *opaque);

/* VM-wide powers, only in the trusted table. */
struct dev_hlp_trusted {
	/* Ask the VM to stop: `status` becomes wisp's exit status (0..63). */
	void (*vm_poweroff)(struct dev_ins *ins, int status);
	/* Guest asked for a reset: wisp ends the VM as a reboot (exit 80). */
	void (*vm_reset)(struct dev_ins *ins);
	/* Another instance by registration name and index, or NULL. */
	struct dev_ins *(*dev_find)(struct dev_ins *ins, const char *name,
				    unsigned idx);
	/* Dirty tracking of guest RAM, on or off; query-and-reset the pages
	 * of [gpa, gpa+size) (page-aligned, in one RAM range), bitmap as for
	 * mmio2_query. Diff snapshots and tests use it. */
	int (*ram_track)(struct dev_ins *ins, bool on);
	int (*ram_query)(struct dev_ins *ins, uint64_t gpa, uint64_t size,
			 uint64_t *bitmap, size_t bytes);
	/* The guest broke the device's ABI in a way it answers by ending the
	 * VM (hvt: a bad pointer): logs `why`, exit WISP_EXIT_GUEST_ABI. */
	void (*vm_fault)(struct dev_ins *ins, const char *why);
	/* The guest kernel says it panicked (pvpanic): one line, and the VM
	 * ends with wisp's own status WISP_EXIT_GUEST_PANIC, never one a
	 * guest could report through vm_poweroff. */
	void (*vm_panic)(struct dev_ins *ins);
};

/* mmio2_create flags */
#define DEV_MMIO2_TRACK (1u << 0) /* dirty tracking, on from creation */

/* Bytes of an MMIO2 dirty bitmap: one bit per 4 KiB page, rounded up to
 * 64 pages. */
static inline size_t dev_mmio2_bitmap_bytes(uint64_t size)
{
	return (size_t)((size / 4096 + 63) / 64 * 8);
}


/* --- PCI: the bus is wisp's (a host bridge with conf1 and ECAM, segment
 * 0, bus 0); a device registers one function and never sees config space.
 * wisp keeps the function's config space, places its BARs (32-bit memory
 * BARs in the MMIO window below 4 GiB), follows the guest's sizing and
 * moves, and owns the MSI-X table and PBA (a BAR of their own). --- */
#define DEV_PCI_BARS 6
#define DEV_PCI_CAPS 8
#define DEV_PCI_CAP_BYTES 64
#define DEV_PCI_MSIX_MAX 64
#define DEV_PCI_BAR_MIN 4096ull
#define DEV_PCI_BAR_MAX (256ull << 20)

/* A memory BAR the device serves. `ops` get guest accesses with `off`
 * relative to the BAR's start, wherever the guest put it. A doorbell
 * (bell_len 1, 2, 4 or 8; 0: none) is a write of exactly bell_len bytes at
 * bell_off that arrives as bell_fn with no exit through wisp (KVM's
 * ioeventfd, re-registered by wisp when the guest moves the BAR); it never
 * reaches `ops`. */
struct dev_pci_bar {
	uint64_t size; /* 0: unused; else a power of two >= 4096 */
	const struct dev_io_ops *ops;
	void *opaque;
	uint64_t bell_off;
	unsigned bell_len;
	dev_notify_fn bell_fn;
	void *bell_opaque;
};

/* A capability wisp links into config space (virtio's are vendor
 * capabilities, id 0x09). data[0] and data[1] (id, next) are wisp's; len
 * counts them too. */
struct dev_pci_cap {
	uint8_t len; /* 2..DEV_PCI_CAP_BYTES */
	uint8_t data[DEV_PCI_CAP_BYTES];
};

struct dev_pci_func {
	uint16_t vendor, device, subsys_vendor, subsys;
	uint8_t revision;
	uint32_t class_code; /* base class << 16 | subclass << 8 | prog-if */
	struct dev_pci_bar bar[DEV_PCI_BARS];
	unsigned n_caps;
	struct dev_pci_cap caps[DEV_PCI_CAPS];
	/* MSI-X: vectors (0: none, else <= DEV_PCI_MSIX_MAX); the table and
	 * PBA are wisp's, in BAR msix_bar, which must be otherwise unused. */
	unsigned msix_vectors;
	unsigned msix_bar;
};

/* Keys of host files handed to an instance (hvt: manifest indexes). */
#define DEV_FILE_KEYS 64

/*
 * Every call names its caller; the table checks that the caller owns what it
 * touches and returns -EPERM/-EINVAL/-EBUSY/-EFAULT otherwise. The caller
 * never crashes the monitor through this table.
 */
struct dev_hlp {
	/* Claim [base, base+len) in a space; refused on overlap or bad range. */
	int (*io_register)(struct dev_ins *ins, enum dev_space space,
			   uint64_t base, uint64_t len,
			   const struct dev_io_ops *ops, void *opaque);
	/* Release a range this instance registered at `base`. */
	int (*io_unregister)(struct dev_ins *ins, enum dev_space space,
			     uint64_t base);
	/* A doorbell: guest writes of exactly `len` bytes (1, 2, 4 or 8) at
	 * `addr`, inside a range this instance registered, arrive as `fn` with
	 * no exit to wisp (KVM's ioeventfd), without reaching the range's write
	 * callback. Construction only; at most DEV_MAX_IOEVENTS per instance. */
	int (*ioevent_register)(struct dev_ins *ins, enum dev_space space,
				uint64_t addr, unsigned len, dev_notify_fn fn,
				void *opaque);
	/* Claim an interrupt line (GSI); one owner per line. */
	int (*irq_claim)(struct dev_ins *ins, unsigned gsi);
	/* Drive a claimed line. */
	int (*irq_set)(struct dev_ins *ins, unsigned gsi,
		       enum dev_irq_level level);
	/* Guest memory, (gpa, len) checked as a pair; -EFAULT if not RAM. */
	int (*mem_read)(struct dev_ins *ins, uint64_t gpa, void *buf,
			size_t len);
	int (*mem_write)(struct dev_ins *ins, uint64_t gpa, const void *buf,
			 size_t len);
	/* This instance's config: 0, -ENOENT when absent (use a default). */
	int (*cfg_u64)(struct dev_ins *ins, const char *key, uint64_t *out);
	int (*cfg_str)(struct dev_ins *ins, const char *key, const char **out);
	/* Rate-limited log line, prefixed with the instance name. */
	void (*log)(struct dev_ins *ins, enum dev_log_level lvl,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
	/* One-shot timers owned by the instance; ns == 0 disarms. */
	int (*timer_create)(struct dev_ins *ins, dev_timer_fn fn, void *opaque);
	int (*timer_arm)(struct dev_ins *ins, int timer, uint64_t ns);
	/* The console backend attached to this instance (none: output dropped,
	 * no input). chr_set_rx registers the input callback.
	 * Output: chr_write returns the bytes the console took. Without
	 * chr_set_tx it waits until it took all of them (or -errno); after
	 * chr_set_tx it never waits on a slow reader: it takes what the host
	 * accepts now, -EAGAIN when nothing, and then calls the tx callback
	 * once (instance lock held, from the loop that serves the device)
	 * when the console can take more. Back-pressure is the device's to
	 * apply to the guest, as a UART holds THRE clear. */
	long (*chr_write)(struct dev_ins *ins, const void *buf, size_t len);
	int (*chr_set_rx)(struct dev_ins *ins, dev_chr_rx_fn fn);
	void (*chr_rx_ready)(struct dev_ins *ins);
	int (*chr_set_tx)(struct dev_ins *ins, dev_chr_tx_fn fn);
	/*
	 * MMIO2: memory this instance owns, mapped into the guest where it
	 * says (a framebuffer, a BAR), movable. create (during construct
	 * only) returns a handle >= 0; every other call checks it: unknown
	 * -EBADF, another instance's -EPERM. map: page-aligned gpa, -EEXIST
	 * on overlap, -EBUSY if mapped. track: -ENOTSUP without
	 * DEV_MMIO2_TRACK. query: bitmap of dev_mmio2_bitmap_bytes(size)
	 * bytes (else -EINVAL), or NULL to only reset. read/write: (off, len)
	 * checked, -EFAULT outside; writes are marked dirty.
	 */
	int (*mmio2_create)(struct dev_ins *ins, uint64_t size, uint32_t flags);
	int (*mmio2_map)(struct dev_ins *ins, int h, uint64_t gpa);
	int (*mmio2_unmap)(struct dev_ins *ins, int h);
	int (*mmio2_track)(struct dev_ins *ins, int h, bool on);
	int (*mmio2_query)(struct dev_ins *ins, int h, uint64_t *bitmap,
			   size_t bytes);
	int (*mmio2_read)(struct dev_ins *ins, int h, uint64_t off, void *buf,
			  size_t len);
	int (*mmio2_write)(struct dev_ins *ins, int h, uint64_t off,
			   const void *buf, size_t len);
	/* Monotonic clock in ns (injected in tests and fuzzing). */
	uint64_t (*clock_ns)(struct dev_ins *ins);
	/* Wall-clock time, ns since the Unix epoch (hvt WALLTIME). */
	uint64_t (*walltime_ns)(struct dev_ins *ins);
	/* Monotonic ns since wisp started (boot-time stamps in logs). */
	uint64_t (*uptime_ns)(struct dev_ins *ins);
	/* Read-only data the monitor attached under `key` (hvt: the
	 * host-completed manifest): 0, or -ENOENT when there is none. */
	int (*cfg_blob)(struct dev_ins *ins, const char *key, const void **p,
			size_t *len);
	/* Host files the monitor opened for this instance before the sandbox
	 * (disk images, tap devices), each under a key < DEV_FILE_KEYS. A key
	 * the instance was not given: -EPERM; a write to a file opened
	 * read-only (--disk ...,ro=on): -EBADF. Bytes moved or -errno; reads
	 * never block (-EAGAIN). The same in wisp and in a device process. */
	long (*file_pread)(struct dev_ins *ins, unsigned key, void *buf,
			   size_t len, uint64_t off);
	long (*file_pwrite)(struct dev_ins *ins, unsigned key, const void *buf,
			    size_t len, uint64_t off);
	long (*file_read)(struct dev_ins *ins, unsigned key, void *buf,
			  size_t len);
	long (*file_write)(struct dev_ins *ins, unsigned key, const void *buf,
			   size_t len);
	/* Wait up to `ns` for any of this instance's pollable files (taps) to
	 * be readable; *ready gets bit k per readable key. Returns early when
	 * the VM stops. 0, or -EPERM if the monitor gave no wait set. */
	int (*file_poll)(struct dev_ins *ins, uint64_t ns, uint64_t *ready);
	/* The size in bytes of host file `key` (a disk image), as the monitor
	 * found it when it opened the file: 0, or -EPERM (no such key). */
	int (*file_size)(struct dev_ins *ins, unsigned key, uint64_t *size);
	/* Make what was written to host file `key` durable (fdatasync): once
	 * it returns 0 the data survives a host crash. 0 or -errno; -EPERM
	 * (no such key). Allowed on a read-only file (nothing to write). */
	int (*file_sync)(struct dev_ins *ins, unsigned key);
	/* [off, off + len) of host file `key` reads as zeroes afterwards, its
	 * size unchanged: file_punch frees the blocks (a discard), file_zero
	 * may keep them allocated (fallocate PUNCH_HOLE / ZERO_RANGE with
	 * KEEP_SIZE). 0 or -errno: -EPERM, -EBADF (read-only), -EINVAL (the
	 * range passes INT64_MAX), -EOPNOTSUPP (the host's file system cannot,
	 * or the caller runs inside wisp, whose main filter has no fallocate):
	 * the device then writes zeroes, or skips a discard. */
	int (*file_punch)(struct dev_ins *ins, unsigned key, uint64_t off,
			  uint64_t len);
	int (*file_zero)(struct dev_ins *ins, unsigned key, uint64_t off,
			 uint64_t len);
	/* Input readiness without a thread: during construct, watch pollable
	 * file `key`; while the watch is on and the file is readable, fn(ins,
	 * opaque, key) is called with the instance lock held, from the loop
	 * that serves the device, again after each return (level-triggered).
	 * A device with nowhere to put input turns the watch off
	 * (file_watch_set) and on again when the guest gives it room. Watches
	 * start off. 0, -EPERM (key not given or not pollable), -EBUSY. */
	int (*file_watch)(struct dev_ins *ins, unsigned key, dev_notify_fn fn,
			  void *opaque);
	int (*file_watch_set)(struct dev_ins *ins, unsigned key, bool on);
	/* A doorbell: a guest write of exactly `len` bytes to `addr` signals
	 * an eventfd inside KVM (ioeventfd), so it never reaches a vCPU
	 * loop. During construct only, one per VM, inside a range the caller
	 * registered (else -EPERM), as ioevent_register. A handle >= 0, or
	 * -errno (-EOPNOTSUPP: this host's KVM has no ioeventfd). */
	int (*doorbell_create)(struct dev_ins *ins, enum dev_space space,
			       uint64_t addr, unsigned len);
	/* Sleep until the doorbell rang; -ECANCELED once the VM stops. */
	int (*doorbell_wait)(struct dev_ins *ins, int bell);
	/* During construct: run fn on a thread of the instance's own once the
	 * VM runs, under the vCPU sandbox; fn must return when doorbell_wait
	 * says -ECANCELED. It runs outside the instance lock: it may only
	 * touch state no I/O callback touches. One per instance. */
	int (*worker_start)(struct dev_ins *ins, dev_worker_fn fn, void *opaque);
	/*
	 * PCI. pci_register (during construct only, once per instance):
	 * checks every field of `f` (sizes, BAR/cap bounds, vectors), copies
	 * it, and gives the function the next free slot on bus 0: the device
	 * number >= 0, or -errno (-ENOSPC: bus full, -ENODEV: the profile has
	 * no PCI bus). msix_notify: signal MSI-X vector `vec` as the guest
	 * programmed it; a masked vector (or function) is left pending in the
	 * PBA and sent when unmasked; with MSI-X disabled nothing is sent.
	 * 0, -EINVAL (vector out of range), -EPERM (no function). Never
	 * blocks; from a device process it needs no round trip to wisp.
	 */
	int (*pci_register)(struct dev_ins *ins, const struct dev_pci_func *f);
	int (*msix_notify)(struct dev_ins *ins, unsigned vec);
	/* NULL unless the profile trusts this device. */
	/* The guest says its userspace started (the boot port's code 0x01):
	 * the control plane's `guest-boot` event, reported once per VM. */
	void (*guest_booted)(struct dev_ins *ins);
	const struct dev_hlp_trusted *trusted;
};

struct dev_cfg_kv {
	const char *key;
	const char *val;
};

#define DEV_CFG_MAX 16
#define DEV_MAX_IOEVENTS 2

struct dev_ins {
	const struct dev_reg *reg;
	const struct dev_hlp *hlp;
	unsigned idx;     /* instance number within reg, 0-based */
	char name[32];    /* "<reg>.<idx>", for logs */
	void *priv;       /* reg->instance_size zeroed bytes */
	size_t n_cfg;
	struct dev_cfg_kv cfg[DEV_CFG_MAX];
	char cfgbuf[256]; /* storage the cfg pointers point into */
	void *host;       /* owned by the helper table implementation */
};

/* --- framework functions (devices/framework.c) --- */

/* Find a compiled-in registration by name, or NULL. */
const struct dev_entry *dev_lookup(const char *name);

/*
 * Parse "name[,key=value]..." (spec is copied into ins-owned storage) into a
 * fresh instance (reg, name "<reg>.<idx>" filled in with idx 0; the caller
 * sets idx and checks the instance limit). Validates the device name, each
 * key against the schema (unknown key, duplicate key, missing '=', number
 * syntax and bounds, too many keys, spec too long).
 * On failure writes one line into err (no "wisp: " prefix) and returns -1.
 */
int dev_parse_spec(const char *spec, struct dev_ins *ins, char *err,
		   size_t errlen);

/* Parse an unsigned number: decimal, 0x hex, with optional K/M/G suffix when
 * `suffixes` is set. Returns 0 or -1 (syntax, overflow). */
int dev_parse_u64(const char *s, bool suffixes, uint64_t *out);

/* A PCI function description every helper table accepts: BAR sizes
 * powers of two in [DEV_PCI_BAR_MIN, DEV_PCI_BAR_MAX] with ops, doorbells
 * aligned inside their BAR, caps 2..DEV_PCI_CAP_BYTES long, the MSI-X BAR
 * otherwise unused. 0 or -EINVAL. */
int dev_pci_func_check(const struct dev_pci_func *f);

/* Print the compiled-in table (name, class, trust, limits, options). */
void dev_list(int fd);

/* Generic cfg lookups over ins->cfg, used by helper table implementations. */
int dev_cfg_get_u64(const struct dev_ins *ins, const char *key, uint64_t *out);
int dev_cfg_get_str(const struct dev_ins *ins, const char *key,
		    const char **out);

#endif
