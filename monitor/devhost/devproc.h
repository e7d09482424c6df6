/*
 * monitor/devhost/devproc.h - untrusted devices in their own processes.
 *
 * A sandboxed instance is constructed in wisp like any other (its ranges,
 * lines and timers are claimed through the checked helper table), then
 * started as a fresh exec of wisp's own binary (FD_SELF_EXE, opened before
 * the jail), so it holds nothing of wisp's memory, address layout or stack
 * canary. It is handed only its own fds and a handover (struct
 * dp_handover, below) from which it constructs its device again: the
 * calls that touched the VM were made in wisp and are not repeated. It
 * maps guest RAM, its own request page and its own MMIO2 regions, installs
 * its own seccomp policy (policy/dev_<name>.policy) and serves:
 *
 *  down  wisp -> device: trapped port/MMIO accesses, console input,
 *        a screenshot (display, below), destruct.
 *        One request at a time (the instance lock): wisp writes the request
 *        into the shared page, bumps down_seq and rings the child's eventfd
 *        only if the child sleeps; the child answers in the same page and
 *        bumps down_ack; wisp spins briefly, then futex-waits, with a
 *        deadline. A child that dies, hangs past the deadline or asks for
 *        something it does not own stops the VM (WISP_EXIT_SANDBOX).
 *        A trapped access may queue behind long work (a doorbell's queue
 *        of disk requests, a slow flush): for it the deadline counts only
 *        time the child makes no progress (dp_shm.progress, in_io) and a
 *        VM that stops gives up on it (the process is then abandoned).
 *        wisp's own requests (console input, a screenshot, destruct) are
 *        made on its main thread, which must stay free to stop the VM:
 *        for them the deadline runs from the request.
 *  up    device -> wisp: the helper calls that touch the VM (level interrupt
 *        lines, console flow control, power off/reset/panic for a trusted
 *        device, MMIO2 map/unmap/track/query, marking its host-side MMIO2
 *        writes dirty) and its log lines (it has no stderr: wisp prints them
 *        under the instance's rate limit). Each is validated by wisp's own helper table against what
 *        the instance owns, served by whichever wisp thread is waiting on
 *        the device, or by the event loop. A dirty bitmap comes back in the
 *        page's bitmap area (DEVPROC_BITMAP bytes, checked on both sides).
 *  hold  wisp -> device (DP_HOLD, DP_RELEASE): the VM is paused. Once
 *        it has answered DP_HOLD the process serves wisp's requests only
 *        (it sleeps on a futex on down_seq, which wisp wakes), and its
 *        doorbells, timers and file watches wait in their fds until
 *        DP_RELEASE: nothing it does changes guest memory meanwhile.
 *  display  wisp -> device (DP_DISPLAY): a screenshot of a sandboxed
 *        display device. The child runs its display op and writes the PNG
 *        to FD_SCREENSHOT itself (pixels never cross into wisp); the
 *        answer (struct dp_display) is only what wisp prints.
 *  fast  never through wisp: guest RAM is the shared memfd, the instance's
 *        own MMIO2 regions are shared mappings it keeps (read and written
 *        in place, bounds checked), interrupt pulses
 *        leave by irqfd, doorbell writes arrive by ioeventfd straight from
 *        KVM, timers are the child's own timerfds, console output is
 *        written by the child, never waiting (a full stdout arms its own
 *        EPOLLOUT watch: a slow reader is no missed deadline).
 *
 * Calls that only make sense during construction (io_register, irq_claim,
 * timer_create, chr_set_rx) are refused in the child as they are in wisp
 * once a device is constructed.
 */
#ifndef WISP_DEVPROC_H
#define WISP_DEVPROC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/vm.h"
#include "dev.h"
#include "devhost/devhost.h"
#include "pci.h"

struct vm;
struct dev_host;
struct dev_ins;

#define DEVPROC_DATA 256      /* console bytes per request */
#define DEVPROC_DEADLINE_MS 2000
#define DEVPROC_BITMAP 2048   /* dirty bitmap bytes: MMIO2 regions <= 64 MiB */
#define DP_NO_BITMAP (~0ull)  /* MMIO2_QUERY a1: reset only (bitmap NULL) */
#define DEVPROC_LINE 256      /* a log line's bytes, NUL included */
#define DEVPROC_ARGV0 "wisp-device" /* argv[0] of an exec'd device process */

enum dp_down_op { DP_IO_READ = 1, DP_IO_WRITE, DP_CHR_RX, DP_DESTRUCT,
		  DP_DISPLAY, DP_HOLD, DP_RELEASE };
/* down.space of an access to the device's PCI BAR n: DP_SPACE_BAR0 + n,
 * down.addr the offset in the BAR (the guest moves BARs; the process's
 * own map does not follow). Below it: enum dev_space. */
#define DP_SPACE_BAR0 2
/* a0, a1, a2 per op: IRQ_SET gsi, level; POWEROFF status; MMIO2_MAP
 * handle, gpa; MMIO2_UNMAP handle; MMIO2_TRACK handle, on; MMIO2_QUERY
 * handle, bitmap bytes or DP_NO_BITMAP; MMIO2_MARK handle, off, len;
 * LOG level (the text in up.line). */
enum dp_up_op { DP_UP_IRQ_SET = 1, DP_UP_RX_READY, DP_UP_POWEROFF,
		DP_UP_RESET, DP_UP_MMIO2_MAP, DP_UP_MMIO2_UNMAP,
		DP_UP_MMIO2_TRACK, DP_UP_MMIO2_QUERY, DP_UP_MMIO2_MARK,
		DP_UP_PANIC, DP_UP_LOG, DP_UP_BOOTED };
enum dp_up_state { DP_UP_IDLE, DP_UP_POSTED, DP_UP_SERVING, DP_UP_DONE };

/* The page shared between wisp and one device process. */
struct dp_shm {
	_Atomic uint32_t down_seq, down_ack; /* request posted / answered */
	_Atomic uint32_t child_sleeping;     /* child is in epoll_wait */
	_Atomic uint32_t mon_bell;           /* bumped on answer or up-call */
	_Atomic uint32_t mon_waiting;        /* a wisp thread futex-waits */
	_Atomic uint32_t up_state;           /* enum dp_up_state */
	/* Liveness, read by wisp while it waits: the child bumps progress
	 * each time it finishes a unit of work (a host file call, an event
	 * it was woken for) and keeps in_io set while it is blocked in a
	 * host file call (the host's disk is slow, not the process hung). */
	_Atomic uint32_t progress, in_io;
	struct {
		uint32_t op, space, size, len;
		uint64_t addr, val;
		uint8_t data[DEVPROC_DATA];
	} down;
	struct {
		uint32_t op;
		int32_t rc;
		uint64_t a0, a1, a2;
		char line[DEVPROC_LINE]; /* LOG's text */
	} up;
	uint64_t bitmap[DEVPROC_BITMAP / 8]; /* MMIO2_QUERY's answer */
	/* Its PCI function's MSI-X mask and pending bits: wisp writes the
	 * masks, both set and take pending bits (pci_msix_notify). What
	 * the process writes here decides only its own interrupts. */
	struct pci_msix_live msix;
};

/* DP_DISPLAY's answer, in down.data: what the screenshot line says. */
struct dp_display {
	int32_t rc;
	uint32_t width, height, pages_read, n_rects;
	struct dev_rect rects[DEV_DISPLAY_RECTS];
};
_Static_assert(sizeof(struct dp_display) <= DEVPROC_DATA,
	       "a display answer fits the request's data");
_Static_assert(sizeof(struct dp_shm) <= 4096, "the request page is a page");

/*
 * The handover: all a device process learns from wisp besides its fds,
 * written by wisp after the request page in the same memfd (DP_HO_OFF).
 * Fixed size and versioned; the process checks it (dp_handover_check)
 * before it uses any of it: it trusts wisp, but reads it as input.
 */
#define DP_HO_MAGIC 0x6f687077u /* "wpho" */
#define DP_HO_VERSION 3
#define DP_HO_OFF 4096
#define DP_HO_SPEC 256      /* the --device spec, as dev_ins.cfgbuf holds it */
#define DP_HO_MAX_RAM 2     /* MEM_MAX_RAM_RANGES */
#define DP_HO_MAX_TIMERS 4  /* DEV_MAX_TIMERS */
#define DP_HO_MAX_IOEV 8    /* DEV_HOST_IOEVENTS: its own, then PCI bells */
#define DP_HO_MAX_MMIO2 DEVPROC_MAX_MMIO2
#define DP_HO_MAX_FILES 4   /* host files per sandboxed instance */
#define DP_HO_FILE_RO DEVFILE_RO     /* opened read-only */
#define DP_HO_FILE_POLL DEVFILE_POLL /* pollable: file_watch takes it */
#define DP_HO_TRUSTED (1u << 0)    /* the trusted table (wisp still checks) */
#define DP_HO_SCREENSHOT (1u << 1) /* it writes FD_SCREENSHOT */

struct dp_handover {
	uint32_t magic, version, size, flags;
	char spec[DP_HO_SPEC];  /* "name[,key=value...]", NUL-terminated */
	uint32_t idx;           /* instance number of the registration */
	int32_t console_fd;     /* -1, STDOUT_FILENO or FD_CONSOLE */
	uint64_t ram_total;     /* bytes of the RAM memfd (FD_MEM) */
	uint32_t n_ram, n_timers, n_ioevents, n_irq, n_mmio2;
	struct { uint64_t gpa, off, size; } ram[DP_HO_MAX_RAM];
	int32_t timer_fd[DP_HO_MAX_TIMERS];   /* in creation order */
	int32_t ioevent_fd[DP_HO_MAX_IOEV];   /* in registration order */
	uint32_t irq_gsi[DEVPROC_MAX_IRQFD];  /* irqfd i: FD_DPC_IRQ0 + i */
	struct { int32_t handle; uint32_t flags; uint64_t size; }
		mmio2[DP_HO_MAX_MMIO2];       /* memfd i: FD_DPC_MMIO2_0 + i */
	/* Its host files, each at the fd number it has in wisp (inside
	 * FD_FILE0..FD_FILE0+FD_FILE_MAX), under the instance's key. */
	uint32_t n_files;
	struct { uint64_t size; uint32_t key, flags; int32_t fd; }
		files[DP_HO_MAX_FILES];
	/* Its PCI function (slot 0: none): the device number pci_register
	 * returned, and vector v's eventfd at FD_MSIX0 + msix_gsi0 -
	 * PCI_MSI_GSI0 + v, wisp's own numbers. Its doorbells follow its
	 * ioevent_register ones in ioevent_fd, in BAR order. */
	uint32_t pci_slot, msix_gsi0, msix_n;
};
_Static_assert(DP_HO_OFF >= sizeof(struct dp_shm), "after the request page");
_Static_assert(sizeof(struct dp_handover) <= 4096, "the handover is a page");

/* 0 when ho (len bytes) is a handover this binary can use, else -EINVAL
 * with why filled in. */
int dp_handover_check(const struct dp_handover *ho, size_t len, char *why,
		      size_t whylen);
/* In the device process: give its rebuilt host the checked handover's
 * files (fds, keys, sizes, flags) for the shared file calls (devfile.c). */
void dp_handover_files(struct dev_host *h, const struct dp_handover *ho);


/* Open wisp's own binary while its path still resolves (before --chroot
 * and --jail); only when some instance is sandboxed. */
void devproc_open_exe(struct vm *vm);

/* Start every sandboxed instance's process (after priv_confine, before
 * vCPUs start). Dies with a clear message when one cannot be set up. */
void devproc_spawn_all(struct vm *vm);

/* main() of an exec'd device process (argv[0] DEVPROC_ARGV0). */
_Noreturn void devproc_exec_main(void);

/* A trapped access to a sandboxed instance; caller holds the instance lock.
 * A read that gets no answer returns all-ones. */
void devproc_io(struct dev_host *h, unsigned space, uint64_t addr,
		void *data, unsigned size, bool is_write);

/* A screenshot of a sandboxed display device: the child writes the PNG
 * to FD_SCREENSHOT; out gets what to report (pixels NULL). Caller holds
 * the instance lock. */
int devproc_display(struct dev_host *h, struct dev_display *out);

/* The instance lock, taken by wisp's main thread: meanwhile a vCPU that
 * holds it waits for the device process with the fixed deadline, so the
 * main thread (and the VM's stop) never waits on a process's progress. */
void devproc_lock_main(struct dev_host *h);

/* Console input for a sandboxed instance: its chr rx once spawned. Not
 * static so fuzz/devproc_target.c can feed it the process's answers. */
size_t dp_chr_rx(struct dev_ins *ins, const uint8_t *buf, size_t len);

/* Event loop hooks: an up-call was posted; a device process ended. */
void devproc_serve_up(struct dev_host *h);
/* Hold a device process still (the VM paused) or let it go; caller holds
 * the instance lock. Returns once the process has answered. */
void devproc_hold(struct dev_host *h, bool hold);
void devproc_reap(struct dev_host *h);

/* Ask the process to destruct its device and exit, then kill it (it may
 * not answer within the deadline). Caller holds the instance lock. */
void devproc_stop(struct dev_host *h);

/* Wait for every stopped device process. */
void devproc_reap_all(struct vm *vm);

/* ---- shared by devproc.c and devproc_child.c and devhlp.c ---- */
enum dev_irq_level;

/* The handover wisp writes for h (devproc_handover.c): -E2BIG when the
 * instance does not fit one (its spec, its MMIO2 regions). */
int dp_handover_fill(struct vm *vm, struct dev_host *h, struct dp_handover *ho);
/* wisp's side of a LOG up-call: the line, attributed and rate-limited. */
int dp_up_log(struct dev_host *h, uint64_t level);
/* The sandboxed helper table's own members. */
int devproc_child_irq_set(struct dev_ins *ins, unsigned gsi,
			  enum dev_irq_level level);
void devproc_child_rx_ready(struct dev_ins *ins);
void devproc_child_guest_booted(struct dev_ins *ins);
long devproc_child_chr_write(struct dev_ins *ins, const void *buf, size_t len);
/* What woke a device process's epoll loop: the high 32 bits of an event's
 * data (the low ones index a timer or doorbell). */
enum dpc_ev { DPC_EV_DOWN, DPC_EV_TIMER, DPC_EV_IOEVENT, DPC_EV_CONSOLE,
	      DPC_EV_WATCH };
void devproc_child_poweroff(struct dev_ins *ins, int status);
void devproc_child_reset(struct dev_ins *ins);
void devproc_child_panic(struct dev_ins *ins);
/* Post an up-call and wait for wisp's answer (dpc_calls.c; the process's
 * log sink posts DP_UP_LOG through it too). */
long dpc_up(struct dev_ins *ins, uint32_t op, uint64_t a0, uint64_t a1,
	    uint64_t a2);
struct dev_ins *devproc_child_dev_find(struct dev_ins *ins, const char *name,
				       unsigned idx);
int devproc_child_mmio2_map(struct dev_ins *ins, int h, uint64_t gpa);
int devproc_child_mmio2_unmap(struct dev_ins *ins, int h);
int devproc_child_mmio2_track(struct dev_ins *ins, int h, bool on);
int devproc_child_mmio2_query(struct dev_ins *ins, int h, uint64_t *bitmap,
			      size_t bytes);
int devproc_child_mmio2_read(struct dev_ins *ins, int h, uint64_t off,
			     void *buf, size_t len);
int devproc_child_mmio2_write(struct dev_ins *ins, int h, uint64_t off,
			      const void *buf, size_t len);
int devproc_child_ram_track(struct dev_ins *ins, bool on);
int devproc_child_ram_query(struct dev_ins *ins, uint64_t gpa, uint64_t size,
			    uint64_t *bitmap, size_t bytes);
void devproc_child_vm_fault(struct dev_ins *ins, const char *why);
int devproc_child_file_poll(struct dev_ins *ins, uint64_t ns, uint64_t *ready);
int devproc_child_doorbell_create(struct dev_ins *ins, enum dev_space space,
				  uint64_t addr, unsigned len);
int devproc_child_doorbell_wait(struct dev_ins *ins, int bell);
int devproc_child_worker_start(struct dev_ins *ins, dev_worker_fn fn,
			       void *opaque);
/* PCI in a device process (dpc_pci.c): the replayed pci_register binds
 * the function handed over (its BARs' ops, its doorbells' eventfds, its
 * vectors); msix_notify sends from here, never through wisp; an access to
 * BAR `bar` at `off` (down.space DP_SPACE_BAR0 + bar). */
int dpc_pci_replay(struct dev_ins *ins, const struct dev_pci_func *f,
		   const struct dp_handover *ho, unsigned *ioevents);
int devproc_child_msix_notify(struct dev_ins *ins, unsigned vec);
bool dpc_pci_bound(void); /* the replay registered the function */
void dpc_pci_io(struct dev_host *h, struct dp_shm *s, unsigned bar);
/* In a device process (no-ops for an in-process host): a unit of work
 * is done; a host file call begins (on) or ends (off, which is progress). */
void dp_progress(const struct dev_host *h);
void dp_in_io(const struct dev_host *h, bool on);
/* Cross-process futex on a word of the request page. */
void dp_futex_wait(_Atomic uint32_t *w, uint32_t val, long ns);
void dp_futex_wake(_Atomic uint32_t *w);
/* wisp's fd number `which` (FD_DP_*) in this process's block. */
int dp_fd(const struct devproc *p, int which);
/* Report a misbehaving device, stop the VM with WISP_EXIT_SANDBOX. */
void dp_fail(struct dev_host *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
