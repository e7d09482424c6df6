/*
 * monitor/vm.h - the monitor's internal layer: one VM per process, its KVM
 * handles, vCPU threads, device instances and the console. Only monitor/
 * includes this; devices see a struct dev_hlp and nothing else.
 */
#ifndef WISP_VM_H
#define WISP_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev.h"
#include "devproc.h"
#include "iobus.h"
#include "loader.h"
#include "log.h"
#include "mem.h"

#define VM_MAX_DEVICES 32
#define VM_MAX_CPUS 255
#define DEV_MAX_TIMERS 4
#define VM_NR_GSI 24 /* IOAPIC pins of KVM's in-kernel irqchip */

struct vm;
struct kvm_run;

/* The console backend: output fd, optional input fd. */
struct chr {
	int out_fd;
	int in_fd; /* -1: no input */
	bool is_file;
	struct dev_ins *rx_owner; /* instance whose callback gets input */
	dev_chr_rx_fn rx;
	uint8_t pending[256]; /* input the device has not taken yet */
	size_t pend_off, pend_len;
	bool in_eof;
	struct dev_ins *tx_owner; /* its output never waits (chr_set_tx) */
	dev_chr_tx_fn tx;
	atomic_bool tx_wanted; /* wisp's loop: call tx once out_fd has room */
};

struct dev_timer {
	int fd; /* timerfd, watched by the event loop */
	dev_timer_fn fn;
	void *opaque;
};

struct dev_ioevent {
	int fd; /* eventfd KVM signals, watched by the loop or the process */
	dev_notify_fn fn;
	void *opaque;
};

/* What the monitor keeps per device instance (ins->host points here). */
struct dev_host {
	struct vm *vm;
	struct dev_ins *ins;
	pthread_mutex_t lock; /* serialises every call into the device */
	bool trusted;
	bool sandboxed;       /* runs in its own process (devproc.h) */
	bool constructed;
	uint32_t irqs;        /* claimed GSIs, bit n = GSI n */
	struct ratelimit rl;
	struct chr *chr;      /* NULL: no console attached */
	struct devproc *proc; /* set when sandboxed, once spawned */
	unsigned n_timers;
	struct dev_timer timers[DEV_MAX_TIMERS];
	unsigned n_ioevents;
	struct dev_ioevent ioevents[DEV_MAX_IOEVENTS];
	/* host files and data the monitor handed over (devfile.c) */
	int files[DEV_FILE_KEYS];  /* fd of key k when file_keys bit k */
	uint64_t file_keys;
	bool has_waitset;          /* FD_POLL_EP/FD_POLL_TIMER are its own */
	const char *blob_key;
	const void *blob;
	size_t blob_len;
	bool has_doorbell;         /* FD_DOORBELL is its own */
	dev_worker_fn worker;      /* started by dev_workers_start */
	void *worker_opaque;
	pthread_t worker_thread;
	bool worker_started;
};

struct vcpu {
	struct vm *vm;
	unsigned idx;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool started;
	atomic_uint_fast64_t exits;   /* for the halt watchdog */
	atomic_bool halted_dead;      /* halted with interrupts off */
	_Atomic uint64_t halt_rip;    /* where, for the line that says so */
	uint64_t wd_last;             /* exits at the last watchdog tick */
};

/* The main thread's event loop state (evloop.c). */
struct evloop {
	struct vm *vm;
	int ep;
	int sig_fd;
	int wd_fd;
	bool console_pollable;
	bool console_watched;
};

/* --rom PATH[,addr=GPA] (cli_rom.c) */
#define CLI_MAX_ROMS MEM_MAX_ROMS
struct cli_rom {
	const char *path;
	uint64_t gpa;
	bool has_addr; /* else the image ends at 4 GiB */
};

struct vm_config {
	uint64_t mem_size;
	struct mem_opts mem_opts; /* --mem SIZE,hugepages=on,prefault=on */
	unsigned ncpus;
	const char *kernel;
	const char *cmdline;
	const char *initrd; /* --initrd PATH (Linux kernels) */
	const char *serial; /* "stdio", "none" or "file:PATH" */
	bool sandbox_all;   /* --sandbox=all */
	bool has_user;      /* --user UID:GID */
	unsigned uid, gid;
	const char *chroot; /* --chroot DIR */
	bool jail;          /* --jail */
	bool warn_root;     /* say so when root without --user (wisp's CLI;
			     * the solo5-hvt drop-in has no --user) */
	const char *screenshot; /* --screenshot PATH or NULL */
	unsigned n_roms;
	struct cli_rom roms[CLI_MAX_ROMS];
	unsigned n_devs;
	const char *dev_specs[VM_MAX_DEVICES];
	/* Set by the profile's CLI: */
	void (*load_guest)(struct vm *vm); /* fills vm->mem and vm->boot */
	void (*map_late)(struct vm *vm); /* NULL or after the devices: --rom,
					  * so a clash names the device */
	int guest_status_max; /* highest status a guest may report (63) */
	bool strict_io;       /* an unclaimed port or MMIO access ends the VM */
};

struct kvm_cpuid2;

struct vm {
	const struct vm_config *cfg;
	int kvm_fd, vm_fd;
	struct mem mem;
	struct boot_info boot;
	struct iobus pio; /* MMIO lives in mem.map */
	unsigned ncpus;
	struct vcpu vcpus[VM_MAX_CPUS];
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID, fetched once */
	unsigned n_devs;
	struct dev_ins devs[VM_MAX_DEVICES];
	struct dev_host hosts[VM_MAX_DEVICES];
	struct devproc procs[VM_MAX_DEVICES];
	struct chr console;
	int stop_fd;  /* eventfd: someone asked the VM to stop */
	int rxready_fd; /* eventfd: console work for the loop (input room,
			 * output waiting for room) */
	atomic_bool stopping;
	atomic_int exit_code;
	struct ratelimit unclaimed_rl;
	atomic_uint_fast64_t unclaimed;
	unsigned n_timers; /* device timers, each at FD_TIMER0 + n */
	unsigned n_ioevents; /* doorbells, each at FD_IOEV0 + n */
	struct evloop ev;
	int shot_fd;    /* --screenshot file, -1 without */
	unsigned shots;
};

/* Ask the VM to stop with `code`; the first request wins. Any thread. */
void vm_request_stop(struct vm *vm, int code, const char *why);

/* kvm.c: open /dev/kvm, check API and capabilities, create the VM, register
 * guest RAM (vm->mem, already initialised). The irqchip comes after the
 * devices are constructed: memslots they map (MMIO2) are cheap before it. */
int kvm_open_vm(struct vm *vm);
void kvm_create_irqchip(struct vm *vm);
/* vcpu.c */
int vcpu_create(struct vm *vm, unsigned idx);
int vcpu_start(struct vcpu *v);
void vcpu_kick(struct vcpu *v);
void vcpus_halt_check(struct vm *vm);
/* exit.c: one exit of a vCPU; returns false when the VM must stop. */
bool exit_dispatch(struct vcpu *v);
/* Where a trapped access goes: a range's owner and handlers. */
struct io_target {
	struct dev_ins *owner;
	const struct dev_io_ops *ops;
	void *opaque;
	enum dev_space space;
	uint64_t base;
};
/* The device range of `space` wholly holding [addr, addr+len). */
bool io_find(struct vm *vm, enum dev_space space, uint64_t addr,
	     unsigned len, struct io_target *t);
/* io dispatch shared with the benchmark and tests */
void io_dispatch(struct vm *vm, struct iobus *bus, uint64_t addr, void *data,
		 unsigned size, bool is_write);
void mmio_dispatch(struct vm *vm, uint64_t addr, void *data, unsigned size,
		   bool is_write);

/* devmgr.c: instances from the CLI and profile defaults. */
int devmgr_create(struct vm *vm, char *err, size_t errlen);
int devmgr_construct(struct vm *vm);
void devmgr_destruct(struct vm *vm);
const struct dev_hlp *devhlp_table(bool trusted, bool sandboxed);
/* A doorbell (KVM_IOEVENTFD) for both its kinds (ioevent_register and
 * devfile's doorbell_create): check the caller may place one there (a
 * range it registered, during construction), then register fd with KVM. */
int devhlp_ioevent_check(struct dev_ins *ins, enum dev_space space,
			 uint64_t addr, unsigned len);
int devhlp_ioevent_kvm(struct vm *vm, enum dev_space space, uint64_t addr,
		       unsigned len, int fd);

/* chr.c: console backend */
int chr_open(struct chr *c, const struct vm_config *cfg, char *err,
	     size_t errlen);
void chr_close(struct chr *c);
void chr_start_input(struct chr *c);
/* Move console input to the device (reading when can_read); false: stop
 * watching the input fd. */
bool chr_pump(struct vm *vm, struct chr *c, bool can_read);
/* Output for ins: all of it, waiting, unless ins set chr_set_tx; then what
 * the host takes now or -EAGAIN, and *wait says to call tx once out_fd
 * has room (chr_watch_out). */
long chr_out(struct chr *c, struct dev_ins *ins, const void *buf, size_t len,
	     bool *wait);
/* One EPOLLOUT report of out_fd in epoll set ep, with `data`: 0 or -errno. */
int chr_watch_out(const struct chr *c, int ep, uint64_t data);

/* evloop.c: create and register every fd the loop watches (before the
 * sandbox), then run the main thread's loop until stop; returns the code. */
void evloop_init(struct vm *vm);
int evloop_run(struct vm *vm);

/* devfile.c: hand host resources to the instance of `dev` (registration
 * name, instance 0) before devices are constructed. Files are pinned to
 * FD_FILE0 + key; a pollable one joins the instance's wait set, which
 * dev_attach_waitset creates (one instance per VM). Die on failure. */
void dev_attach_file(struct vm *vm, const char *dev, unsigned key, int fd,
		     bool pollable);
void dev_attach_waitset(struct vm *vm, const char *dev);
void dev_attach_blob(struct vm *vm, const char *dev, const char *key,
		     const void *p, size_t len);

/* Device worker threads (devfile.c): started once the VM runs, after the
 * privilege drop; stopped (doorbell rung, joined) after the vCPUs. */
void dev_workers_start(struct vm *vm);
void dev_workers_stop(struct vm *vm);

/* main.c: the whole file in memory; missing or unreadable exits 66. */
void *image_read(const char *path, size_t *len);

/* screenshot.c: open --screenshot's file (exit 66 if it cannot be), and
 * write the display device's screen to it as PNG (main thread). */
void screenshot_open(struct vm *vm);
void screenshot_take(struct vm *vm, const char *why);
/* Run ins's display op into d and write d as PNG into fd, rewritten in
 * place: wisp, or a sandboxed display device's process on its own
 * FD_SCREENSHOT. 0 or -errno. */
int screenshot_render(struct dev_ins *ins, int fd, struct dev_display *d);
/* Whether a display device's report describes a screen wisp accepts
 * (DEV_DISPLAY_MAX_*, at most DEV_DISPLAY_RECTS rectangles inside it). */
bool screenshot_check(const struct dev_display *d);
/* d's rectangles as " WxH+X+Y"..., cut to fit size; returns the length. */
size_t screenshot_rects(const struct dev_display *d, char *buf, size_t size);
/* This process's files end at the largest screenshot PNG (writes past it
 * fail with EFBIG). 0 or -errno. */
int screenshot_limit_fsize(void);

/* priv.c: drop what is no longer needed once setup is done: confine
 * (no_new_privs, --jail, --chroot), fork device processes, then finish
 * (capabilities, --user) in wisp and in each device process. */
int priv_confine(const struct vm_config *cfg);
int priv_finish(const struct vm_config *cfg, bool device);

/* fd.c: move fd to the fixed number target (policy.h), closing fd;
 * returns target (or fd when negative). Dies if target is taken. */
int fd_pin(int fd, int target);
/* Close every fd but keep[0..n) (sorted in place). When close_range fails
 * each fd up to the hard RLIMIT_NOFILE is closed and checked; -errno if
 * one stays open. close_range is fd_close_range but in tests. */
/* Open an output file (--serial file:, --screenshot) safely; dies with
 * one line, exit 66, on a symbolic link or a file that is not plainly
 * one regular file. */
int out_open(const struct vm_config *cfg, const char *opt, const char *path);
typedef long (*fd_range_closer)(unsigned lo, unsigned hi);
long fd_close_range(unsigned lo, unsigned hi);
int fd_close_all_but(int *keep, unsigned n, fd_range_closer close_range);
/* Install this thread's seccomp filter for role ("main", "vcpu"); dies on
 * failure. Call after priv_drop. */
void sandbox_enter(const char *role);

#endif
