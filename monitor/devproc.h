/*
 * monitor/devproc.h - untrusted devices in their own processes.
 *
 * A sandboxed instance is constructed in wisp like any other (its ranges,
 * lines and timers are claimed through the checked helper table), then, after
 * the privilege drop, forked into a child that keeps only its own fds, maps
 * nothing of wisp's shared memory but guest RAM, its own request page and
 * its own MMIO2 regions, installs its own seccomp policy (policy/dev_<name>.policy) and serves:
 *
 *  down  wisp -> device: trapped port/MMIO accesses, console input,
 *        a screenshot (display, below), destruct.
 *        One request at a time (the instance lock): wisp writes the request
 *        into the shared page, bumps down_seq and rings the child's eventfd
 *        only if the child sleeps; the child answers in the same page and
 *        bumps down_ack; wisp spins briefly, then futex-waits, with a
 *        deadline. A child that dies, hangs past the deadline or asks for
 *        something it does not own stops the VM (WISP_EXIT_SANDBOX).
 *  up    device -> wisp: the helper calls that touch the VM (level interrupt
 *        lines, console flow control, power off/reset for a trusted device,
 *        MMIO2 map/unmap/track/query, marking its host-side MMIO2 writes
 *        dirty). Each is validated by wisp's own helper table against what
 *        the instance owns, served by whichever wisp thread is waiting on
 *        the device, or by the event loop. A dirty bitmap comes back in the
 *        page's bitmap area (DEVPROC_BITMAP bytes, checked on both sides).
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

#include "dev.h"

struct vm;
struct dev_host;
struct dev_ins;

#define DEVPROC_DATA 256      /* console bytes per request */
#define DEVPROC_MAX_IRQFD 4   /* interrupt lines per sandboxed device */
#define DEVPROC_DEADLINE_MS 2000
#define DEVPROC_BITMAP 2048   /* dirty bitmap bytes: MMIO2 regions <= 64 MiB */
#define DP_NO_BITMAP (~0ull)  /* MMIO2_QUERY a1: reset only (bitmap NULL) */

enum dp_down_op { DP_IO_READ = 1, DP_IO_WRITE, DP_CHR_RX, DP_DESTRUCT,
		  DP_DISPLAY };
/* a0, a1, a2 per op: IRQ_SET gsi, level; POWEROFF status; MMIO2_MAP
 * handle, gpa; MMIO2_UNMAP handle; MMIO2_TRACK handle, on; MMIO2_QUERY
 * handle, bitmap bytes or DP_NO_BITMAP; MMIO2_MARK handle, off, len. */
enum dp_up_op { DP_UP_IRQ_SET = 1, DP_UP_RX_READY, DP_UP_POWEROFF,
		DP_UP_RESET, DP_UP_MMIO2_MAP, DP_UP_MMIO2_UNMAP,
		DP_UP_MMIO2_TRACK, DP_UP_MMIO2_QUERY, DP_UP_MMIO2_MARK };
enum dp_up_state { DP_UP_IDLE, DP_UP_POSTED, DP_UP_SERVING, DP_UP_DONE };

/* The page shared between wisp and one device process. */
struct dp_shm {
	_Atomic uint32_t down_seq, down_ack; /* request posted / answered */
	_Atomic uint32_t child_sleeping;     /* child is in epoll_wait */
	_Atomic uint32_t mon_bell;           /* bumped on answer or up-call */
	_Atomic uint32_t mon_waiting;        /* a wisp thread futex-waits */
	_Atomic uint32_t up_state;           /* enum dp_up_state */
	struct {
		uint32_t op, space, size, len;
		uint64_t addr, val;
		uint8_t data[DEVPROC_DATA];
	} down;
	struct {
		uint32_t op;
		int32_t rc;
		uint64_t a0, a1, a2;
	} up;
	uint64_t bitmap[DEVPROC_BITMAP / 8]; /* MMIO2_QUERY's answer */
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

struct devproc {
	struct dp_shm *shm;
	pid_t pid;         /* 0 once reaped */
	int slot;          /* fd block: FD_DP0 + slot * FD_DP_STRIDE */
	uint32_t seq;
	atomic_bool dead;  /* exited, killed or abandoned: no more requests */
	unsigned n_irqfd;
	unsigned irq_gsi[DEVPROC_MAX_IRQFD];
};

/* Fork every sandboxed instance (after priv_drop, before vCPUs start).
 * Dies with a clear message when a process cannot be set up. */
void devproc_spawn_all(struct vm *vm);

/* A trapped access to a sandboxed instance; caller holds the instance lock.
 * A read that gets no answer returns all-ones. */
void devproc_io(struct dev_host *h, unsigned space, uint64_t addr,
		void *data, unsigned size, bool is_write);

/* A screenshot of a sandboxed display device: the child writes the PNG
 * to FD_SCREENSHOT; out gets what to report (pixels NULL). Caller holds
 * the instance lock. */
int devproc_display(struct dev_host *h, struct dev_display *out);

/* Event loop hooks: an up-call was posted; a device process ended. */
void devproc_serve_up(struct dev_host *h);
void devproc_reap(struct dev_host *h);

/* Ask the process to destruct its device and exit, then kill it (it may
 * not answer within the deadline). Caller holds the instance lock. */
void devproc_stop(struct dev_host *h);

/* Wait for every stopped device process. */
void devproc_reap_all(struct vm *vm);

/* ---- shared by devproc.c and devproc_child.c and devhlp.c ---- */
enum dev_irq_level;

/* The child: sheds wisp, installs policy dev_<name>, serves; never returns. */
_Noreturn void devproc_child_main(struct vm *vm, struct dev_host *h,
				  pid_t parent);
/* The sandboxed helper table's own members. */
int devproc_child_irq_set(struct dev_ins *ins, unsigned gsi,
			  enum dev_irq_level level);
void devproc_child_rx_ready(struct dev_ins *ins);
long devproc_child_chr_write(struct dev_ins *ins, const void *buf, size_t len);
void devproc_child_poweroff(struct dev_ins *ins, int status);
void devproc_child_reset(struct dev_ins *ins);
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
long devproc_child_file_pread(struct dev_ins *ins, unsigned key, void *buf,
			      size_t len, uint64_t off);
long devproc_child_file_pwrite(struct dev_ins *ins, unsigned key,
			       const void *buf, size_t len, uint64_t off);
long devproc_child_file_read(struct dev_ins *ins, unsigned key, void *buf,
			     size_t len);
long devproc_child_file_write(struct dev_ins *ins, unsigned key,
			      const void *buf, size_t len);
int devproc_child_file_poll(struct dev_ins *ins, uint64_t ns, uint64_t *ready);
int devproc_child_doorbell_create(struct dev_ins *ins, enum dev_space space,
				  uint64_t addr, unsigned len);
int devproc_child_doorbell_wait(struct dev_ins *ins, int bell);
int devproc_child_worker_start(struct dev_ins *ins, dev_worker_fn fn,
			       void *opaque);
/* Cross-process futex on a word of the request page. */
void dp_futex_wait(_Atomic uint32_t *w, uint32_t val, long ns);
void dp_futex_wake(_Atomic uint32_t *w);
/* wisp's fd number `which` (FD_DP_*) in this process's block. */
int dp_fd(const struct devproc *p, int which);
/* Report a misbehaving device, stop the VM with WISP_EXIT_SANDBOX. */
void dp_fail(struct dev_host *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
