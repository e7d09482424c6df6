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

enum dev_opt_type { DEV_OPT_U64, DEV_OPT_STR };

/* One accepted `--device name,key=value` key. Values are validated against
 * this schema before any device is constructed. */
struct dev_opt {
	const char *key;
	enum dev_opt_type type;
	uint64_t min, max; /* DEV_OPT_U64 inclusive bounds */
	const char *help;
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

/* One entry of the generated table: a registration and the profile's trust. */
struct dev_entry {
	const struct dev_reg *reg;
	bool trusted;
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
typedef void (*dev_timer_fn)(struct dev_ins *ins, void *opaque);
typedef void (*dev_worker_fn)(struct dev_ins *ins, void *opaque);

/* VM-wide powers, only in the trusted table. */
struct dev_hlp_trusted {
	/* Ask the VM to stop: `status` becomes wisp's exit status (0..63). */
	void (*vm_poweroff)(struct dev_ins *ins, int status);
	/* Guest asked for a reset (wisp ends the VM, status 0). */
	void (*vm_reset)(struct dev_ins *ins);
	/* Another instance by registration name and index, or NULL. */
	struct dev_ins *(*dev_find)(struct dev_ins *ins, const char *name,
				    unsigned idx);
	/* The guest broke the device's ABI in a way it answers by ending the
	 * VM (hvt: a bad pointer): logs `why`, exit WISP_EXIT_GUEST_ABI. */
	void (*vm_fault)(struct dev_ins *ins, const char *why);
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
	 * no input). chr_set_rx registers the input callback. */
	long (*chr_write)(struct dev_ins *ins, const void *buf, size_t len);
	int (*chr_set_rx)(struct dev_ins *ins, dev_chr_rx_fn fn);
	void (*chr_rx_ready)(struct dev_ins *ins);
	/* Monotonic clock in ns (injected in tests and fuzzing). */
	uint64_t (*clock_ns)(struct dev_ins *ins);
	/* Wall-clock time, ns since the Unix epoch (hvt WALLTIME). */
	uint64_t (*walltime_ns)(struct dev_ins *ins);
	/* Read-only data the monitor attached under `key` (hvt: the
	 * host-completed manifest): 0, or -ENOENT when there is none. */
	int (*cfg_blob)(struct dev_ins *ins, const char *key, const void **p,
			size_t *len);
	/* Host files the monitor opened for this instance before the sandbox
	 * (disk images, tap devices), each under a key < DEV_FILE_KEYS. A key
	 * the instance was not given: -EPERM. Bytes moved or -errno; reads
	 * never block (-EAGAIN). */
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
	/* A doorbell: a guest write of exactly `len` bytes to `addr` signals
	 * an eventfd inside KVM (ioeventfd), so it never reaches a vCPU
	 * loop. During construct only, one per VM. A handle >= 0, or -errno
	 * (-EOPNOTSUPP: this host's KVM has no ioeventfd). */
	int (*doorbell_create)(struct dev_ins *ins, enum dev_space space,
			       uint64_t addr, unsigned len);
	/* Sleep until the doorbell rang; -ECANCELED once the VM stops. */
	int (*doorbell_wait)(struct dev_ins *ins, int bell);
	/* During construct: run fn on a thread of the instance's own once the
	 * VM runs, under the vCPU sandbox; fn must return when doorbell_wait
	 * says -ECANCELED. It runs outside the instance lock: it may only
	 * touch state no I/O callback touches. One per instance. */
	int (*worker_start)(struct dev_ins *ins, dev_worker_fn fn, void *opaque);
	/* NULL unless the profile trusts this device. */
	const struct dev_hlp_trusted *trusted;
};

struct dev_cfg_kv {
	const char *key;
	const char *val;
};

#define DEV_CFG_MAX 16

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

/* Print the compiled-in table (name, class, trust, limits, options). */
void dev_list(int fd);

/* Generic cfg lookups over ins->cfg, used by helper table implementations. */
int dev_cfg_get_u64(const struct dev_ins *ins, const char *key, uint64_t *out);
int dev_cfg_get_str(const struct dev_ins *ins, const char *key,
		    const char **out);

#endif
