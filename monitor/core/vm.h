/*
 * monitor/core/vm.h - the VM's state, one struct every room works on: its
 * KVM handles, vCPU threads, device instances and their hosts, device
 * processes, the console, the event loop; and the services the rooms share
 * (the stop request, the range lookup, reading input files). Each room's
 * functions are in its own header. Only monitor/ includes this; devices
 * see a struct dev_hlp and nothing else.
 */
#ifndef WISP_VM_H
#define WISP_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev.h"
#include "hlp_check.h"
#include <sys/types.h>
#include "core/iobus.h"
#include "boot/loader.h"
#include "core/log.h"
#include "mem.h"

#ifndef WISP_VERSION
#define WISP_VERSION "0.1.0"
#endif
#ifndef WISP_PROFILE
#define WISP_PROFILE "host" /* compiled outside a profile: tests, fuzzing */
#endif

#define VM_MAX_DEVICES 32
#define VM_MAX_VFIO 4 /* passed-through functions */
#define VM_MAX_CPUS 255
#define DEV_MAX_TIMERS HLP_MAX_TIMERS
#define DEV_MAX_WATCHES 2 /* file_watch keys per instance (a NIC's tap) */
#define VM_NR_GSI HLP_NR_GSI /* IOAPIC pins of KVM's in-kernel irqchip */
/* Doorbells per instance: its own, and one per PCI BAR. */
#define DEV_HOST_IOEVENTS (DEV_MAX_IOEVENTS + DEV_PCI_BARS)

/* A counter one thread writes (a vCPU its own, a device under its lock)
 * and the control thread reads: a plain store, never a locked add. */
typedef _Atomic uint64_t stat_t;
static inline void stat_add(stat_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}
static inline uint64_t stat_get(stat_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

struct vm;
struct kvm_run;
struct dp_shm;
struct pcibus;
struct pcibus_fn;
struct pcibus_vfio;

#define DEVPROC_MAX_IRQFD 4 /* interrupt lines per sandboxed device */
#define DEVPROC_MAX_MMIO2 4 /* MMIO2 regions per sandboxed device */

/* A sandboxed device's process, as wisp keeps it (devhost/devproc.h has
 * the protocol and the functions). */
struct devproc {
	struct dp_shm *shm;
	unsigned n_mmio2;  /* its regions' memfds, handed over at the exec */
	int mmio2_fd[DEVPROC_MAX_MMIO2];
	pid_t pid;         /* 0 once reaped */
	int slot;          /* fd block: FD_DP0 + slot * FD_DP_STRIDE */
	uint32_t seq;
	atomic_bool dead;  /* exited, killed or abandoned: no more requests */
	bool held;         /* answered DP_HOLD: wake it by futex (devproc.h) */
	int statm_fd;      /* its /proc/PID/statm (metrics), -1: none */
	unsigned n_irqfd;
	unsigned irq_gsi[DEVPROC_MAX_IRQFD];
};

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

/* A watch on a pollable host file (file_watch, devfile.c). */
struct dev_watch {
	unsigned key;
	dev_notify_fn fn;
	void *opaque;
	bool on; /* in the serving loop's epoll set while on */
};

/* What the monitor keeps per device instance (ins->host points here). */
struct dev_host {
	struct vm *vm;
	struct dev_ins *ins;
	pthread_mutex_t lock; /* serialises every call into the device */
	/* wisp's main thread waits for the lock (devproc_lock_main): a vCPU
	 * holding it for a device process's long work stops waiting. */
	atomic_uint main_wants;
	bool trusted;
	bool sandboxed;       /* runs in its own process (devproc.h) */
	bool constructed;
	uint32_t irqs;        /* claimed GSIs, bit n = GSI n */
	struct ratelimit rl;
	struct chr *chr;      /* NULL: no console attached */
	struct devproc *proc; /* set when sandboxed, once spawned */
	unsigned n_timers;
	struct dev_timer timers[DEV_MAX_TIMERS];
	unsigned n_ioevents;  /* ioevent_register's, then PCI doorbells */
	struct dev_ioevent ioevents[DEV_HOST_IOEVENTS];
	unsigned n_pci_bells; /* of n_ioevents, pci_register's doorbells */
	struct pcibus_fn *pci; /* its PCI function (pci/pcibus.h), or NULL */
	/* host files and data the monitor handed over (devfile.c) */
	int files[DEV_FILE_KEYS];  /* fd of key k when file_keys bit k */
	uint64_t file_keys;
	uint64_t file_ro;          /* bit k: opened read-only, writes refused */
	uint64_t file_pollable;    /* bit k: a tap, file_watch may watch it */
	uint64_t file_size[DEV_FILE_KEYS]; /* measured when it was attached */
	unsigned n_watches;
	struct dev_watch watches[DEV_MAX_WATCHES];
	bool watch_live;           /* the serving loop adopted the watches: */
	int watch_ep;              /* its epoll, and the event data of */
	uint64_t watch_data;       /* watch 0 (watch w is watch_data + w) */
	bool has_waitset;          /* FD_POLL_EP/FD_POLL_TIMER are its own */
	const char *blob_key;
	const void *blob;
	size_t blob_len;
	bool has_doorbell;         /* FD_DOORBELL is its own */
	stat_t accesses;           /* trapped accesses (under the lock) */
	stat_t upcalls;            /* a device process's calls served */
	stat_t answers;            /* its answers to trapped accesses */
	stat_t answer_lat[8];      /* ... by time taken (ctl.h's buckets) */
	dev_worker_fn worker;      /* started by dev_workers_start */
	void *worker_opaque;
	pthread_t worker_thread;
	bool worker_started;
};

/* Exits by kind, for the control plane's metrics. */
enum vcpu_exit_kind { VX_IO, VX_MMIO, VX_HLT, VX_INTR, VX_SYSTEM, VX_OTHER,
		      VX_KINDS };

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
	atomic_bool in_run;           /* inside KVM_RUN, or about to be */
	stat_t exit_kind[VX_KINDS];   /* metrics: exits by kind */
	stat_t run_tsc;               /* TSC ticks spent in KVM_RUN */
	stat_t start_tsc;             /* the thread's first KVM_RUN */
};

/* Pausing (kvm/pause.c): vCPUs kicked out of KVM_RUN park until resumed;
 * device processes hold still; the main loop waits on a smaller set. */
struct vm_pause {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool want;        /* under lock: vCPUs must park */
	unsigned parked;  /* under lock */
	atomic_bool paused; /* the VM is held (read by info and the loop) */
};

/* The main thread's event loop state (evloop.c). */
struct evloop {
	struct vm *vm;
	int ep;
	int ep_paused;  /* FD_EPOLL_PAUSED: signals, stop, the mailbox */
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

/* --disk, --net, --rng (cli_virtio.c): an instance the CLI created and
 * its host file (key 0), opened before anything starts. */
#define CLI_MAX_FILES 16
#define CLI_FILE_SPEC 48 /* "virtio_net,mac=xx:xx:xx:xx:xx:xx" */
struct cli_file {
	const char *dev; /* registration name */
	unsigned idx;    /* its instance number */
	int fd;
	unsigned flags;  /* DEVFILE_RO, DEVFILE_POLL (devhost.h) */
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
	const char *api_sock;   /* --api-sock PATH or NULL (profiles with CTL=1) */
	unsigned n_roms;
	struct cli_rom roms[CLI_MAX_ROMS];
	unsigned n_devs;
	const char *dev_specs[VM_MAX_DEVICES];
	unsigned n_files;
	struct cli_file files[CLI_MAX_FILES];
	char file_specs[CLI_MAX_FILES][CLI_FILE_SPEC]; /* their dev_specs */
	/* Set by the profile's CLI: */
	void (*load_guest)(struct vm *vm); /* fills vm->mem and vm->boot */
	void (*map_late)(struct vm *vm); /* NULL or after the devices: --rom,
					  * so a clash names the device */
	/* --vfio ADDR (profiles with PASSTHRU=1): canonical PCI addresses,
	 * checked for form only; the host's side is checked at setup. */
	unsigned n_vfio;
	char vfio[VM_MAX_VFIO][16];
	int guest_status_max; /* highest status a guest may report (63) */
	bool strict_io;       /* an unclaimed port or MMIO access ends the VM */
};

/* Lifecycle events (the control plane's, ctl/ctl.h; vm_event below). */
enum vm_event {
	VM_EV_STARTED, VM_EV_GUEST_BOOT, VM_EV_PAUSED, VM_EV_RESUMED,
	VM_EV_DEVICE_ERROR, VM_EV_PANIC, VM_EV_REBOOT, VM_EV_EXIT,
	VM_EV_COUNT
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
	unsigned n_files;    /* host files, each at FD_FILE0 + n */
	struct pcibus *pci;  /* the PCI bus (pci/pcibus.h), NULL: none */
	struct pcibus_vfio *vfio; /* --vfio's functions (pci/pcibus_vfio.c) */
	unsigned n_vfio;
	int vfio_kvm;        /* their KVM_DEV_TYPE_VFIO fd (one per VM) */
	struct evloop ev;
	struct vm_pause pause;
	struct ctl *ctl;     /* the control plane (ctl/ctl.h), NULL: none */
	/* its event sink (vm_event), set by the control plane */
	void (*event)(struct vm *vm, enum vm_event ev, const char *device,
		      const char *cause, int status);
	atomic_bool booted;  /* guest-boot reported (once) */
	int shot_fd;    /* --screenshot file, -1 without */
	unsigned shots;
	/* vCPUs held out of KVM_RUN (vcpu.c, mem's writers hook) */
	pthread_mutex_t hold_one;   /* one holder at a time */
	pthread_mutex_t hold_lock;  /* with hold_cond: in_run, held changes */
	pthread_cond_t hold_cond;
	atomic_bool held;
};

/* Lifecycle events (the control plane's, ctl/ctl.h): any thread reports
 * one through vm_event; vm->event is NULL (nothing listens) unless the
 * profile has the control plane and --api-sock was given. */
static inline void vm_event(struct vm *vm, enum vm_event ev,
			    const char *device, const char *cause, int status)
{
	if (vm && vm->event)
		vm->event(vm, ev, device, cause, status);
}

/* stop.c: ask the VM to stop with `code`; the first request wins. Any
 * thread. */
void vm_request_stop(struct vm *vm, int code, const char *why);

/* Where a trapped access goes: a range's owner and handlers. */
struct io_target {
	struct dev_ins *owner;
	const struct dev_io_ops *ops;
	void *opaque;
	enum dev_space space;
	uint64_t base;
};
/* io.c: the device range of `space` wholly holding [addr, addr+len). */
bool io_find(struct vm *vm, enum dev_space space, uint64_t addr,
	     unsigned len, struct io_target *t);
/* stop.c: the file opened read-only (fd, *len its size), or the whole
 * (small) file in memory; missing or unreadable exits 66, over 1 GiB 65. */
int image_open(const char *path, uint64_t *len);
void *image_read(const char *path, size_t *len);

#endif
