/*
 * monitor/devproc_child.c - inside a device process: shed everything of
 * wisp's but guest RAM, the request page, the device's own MMIO2 regions
 * and its own fds, install
 * the device's policy, then serve requests, timers and doorbells. The
 * device's helper table here is devhlp_table(trusted, true): local calls
 * (guest memory, config, log, timers, console output) act on this process's
 * own copies; calls that touch the VM are up-calls wisp validates.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exitcode.h"
#include "policy.h"
#include "vm.h"

#define DPC_SPIN_NS 50000ull /* keep answering without sleeping this long:
				* back-to-back exits come every ~8 us, and a
				* sleeping process costs a wakeup (~3x slower
				* exits measured on an idle 2-core host) */
#define DPC_POLL_EVERY 64     /* look at timers every N back-to-back requests */
#define DPC_MAX_KEEP (8 + DEV_MAX_TIMERS + DEV_MAX_IOEVENTS + DEVPROC_MAX_IRQFD)

enum dpc_ev { DPC_EV_DOWN, DPC_EV_TIMER, DPC_EV_IOEVENT, DPC_EV_CONSOLE };

/* ---- the device's up-calls --------------------------------------------- */

static struct dp_shm *dpc_shm(struct dev_ins *ins)
{
	return ((struct dev_host *)ins->host)->proc->shm;
}

static long dpc_up(struct dev_ins *ins, uint32_t op, uint64_t a0, uint64_t a1,
		   uint64_t a2)
{
	struct dp_shm *s = dpc_shm(ins);
	uint64_t one = 1;
	uint32_t st;

	s->up.op = op;
	s->up.a0 = a0;
	s->up.a1 = a1;
	s->up.a2 = a2;
	atomic_store(&s->up_state, DP_UP_POSTED);
	/* A wisp thread waiting on this device serves it; else the loop. */
	atomic_fetch_add(&s->mon_bell, 1);
	if (atomic_load(&s->mon_waiting))
		dp_futex_wake(&s->mon_bell);
	(void)!write(FD_DPC_UP, &one, sizeof(one));
	while ((st = atomic_load(&s->up_state)) != DP_UP_DONE)
		dp_futex_wait(&s->up_state, st, 10000000l);
	long rc = s->up.rc;
	atomic_store(&s->up_state, DP_UP_IDLE);
	return rc;
}

/* Pulses on the device's own lines leave by irqfd, straight to KVM; levels
 * and anything else are asked of wisp, which checks ownership. */
int devproc_child_irq_set(struct dev_ins *ins, unsigned gsi,
			  enum dev_irq_level level)
{
	struct devproc *p = ((struct dev_host *)ins->host)->proc;
	uint64_t one = 1;

	for (unsigned i = 0; level == DEV_IRQ_PULSE && i < p->n_irqfd; i++)
		if (p->irq_gsi[i] == gsi)
			return write(FD_DPC_IRQ0 + (int)i, &one, sizeof(one)) < 0
				       ? -errno : 0;
	return (int)dpc_up(ins, DP_UP_IRQ_SET, gsi, level, 0);
}

void devproc_child_rx_ready(struct dev_ins *ins)
{
	dpc_up(ins, DP_UP_RX_READY, 0, 0, 0);
}

/* Console output is this process's own: a refused write arms its own
 * loop's watch, so it never blocks and wisp's deadline never sees a
 * slow reader. A watch it cannot set would stall the guest for good. */
long devproc_child_chr_write(struct dev_ins *ins, const void *buf, size_t len)
{
	struct chr *c = ((struct dev_host *)ins->host)->chr;
	bool wait;

	if (!c)
		return (long)len;
	long n = chr_out(c, ins, buf, len, &wait);
	if (wait && chr_watch_out(c, FD_DPC_EPOLL,
				  (uint64_t)DPC_EV_CONSOLE << 32) < 0)
		_exit(WISP_EXIT_OSERR);
	return n;
}

void devproc_child_poweroff(struct dev_ins *ins, int status)
{
	dpc_up(ins, DP_UP_POWEROFF, (uint64_t)(int64_t)status, 0, 0);
}

void devproc_child_reset(struct dev_ins *ins)
{
	dpc_up(ins, DP_UP_RESET, 0, 0, 0);
}

/* Other devices live in other processes. */
struct dev_ins *devproc_child_dev_find(struct dev_ins *ins, const char *name,
				       unsigned idx)
{
	return NULL;
}

/* MMIO2 regions: the guest-physical map and the dirty trackers are
 * wisp's, so map, unmap, track and query are up-calls. The region's memory
 * is a shared mapping this process kept (its own regions only): read and
 * written here through the same checked span as in wisp, and a write is
 * then marked dirty in wisp so the tracker never misses it. */
static uint64_t dpc_handle(int h)
{
	return (uint64_t)(int64_t)h;
}

static struct mem *dpc_mem(struct dev_ins *ins)
{
	return &((struct dev_host *)ins->host)->vm->mem;
}

int devproc_child_mmio2_map(struct dev_ins *ins, int h, uint64_t gpa)
{
	return (int)dpc_up(ins, DP_UP_MMIO2_MAP, dpc_handle(h), gpa, 0);
}

int devproc_child_mmio2_unmap(struct dev_ins *ins, int h)
{
	return (int)dpc_up(ins, DP_UP_MMIO2_UNMAP, dpc_handle(h), 0, 0);
}

int devproc_child_mmio2_track(struct dev_ins *ins, int h, bool on)
{
	return (int)dpc_up(ins, DP_UP_MMIO2_TRACK, dpc_handle(h), on, 0);
}

int devproc_child_mmio2_query(struct dev_ins *ins, int h, uint64_t *bitmap,
			      size_t bytes)
{
	struct dp_shm *s = dpc_shm(ins);

	if (bitmap && bytes > sizeof(s->bitmap))
		return -E2BIG;
	int rc = (int)dpc_up(ins, DP_UP_MMIO2_QUERY, dpc_handle(h),
			     bitmap ? bytes : DP_NO_BITMAP, 0);
	if (rc == 0 && bitmap)
		memcpy(bitmap, s->bitmap, bytes);
	return rc;
}

int devproc_child_mmio2_read(struct dev_ins *ins, int h, uint64_t off,
			     void *buf, size_t len)
{
	return mem_mmio2_read(dpc_mem(ins), ins, h, off, buf, len);
}

int devproc_child_mmio2_write(struct dev_ins *ins, int h, uint64_t off,
			      const void *buf, size_t len)
{
	int rc = mem_mmio2_write(dpc_mem(ins), ins, h, off, buf, len);

	return rc < 0 ? rc
		      : (int)dpc_up(ins, DP_UP_MMIO2_MARK, dpc_handle(h), off,
				    len);
}

/* What only wisp has (RAM tracking, ending the VM for the guest's fault,
 * host files, doorbells, workers: DEV_F_NO_SANDBOX devices use them) is
 * refused here with a rate-limited line, never a NULL call. */
static int dpc_refuse(struct dev_ins *ins, const char *what)
{
	wlog_guest(&((struct dev_host *)ins->host)->rl, ins->name, LOG_WARN,
		   "%s: %s is not available in a device process", ins->name,
		   what);
	return -EPERM;
}

int devproc_child_ram_track(struct dev_ins *ins, bool on)
{
	return dpc_refuse(ins, "ram_track");
}

int devproc_child_ram_query(struct dev_ins *ins, uint64_t gpa, uint64_t size,
			    uint64_t *bitmap, size_t bytes)
{
	return dpc_refuse(ins, "ram_query");
}

void devproc_child_vm_fault(struct dev_ins *ins, const char *why)
{
	dpc_refuse(ins, "vm_fault");
}

long devproc_child_file_pread(struct dev_ins *ins, unsigned key, void *buf,
			      size_t len, uint64_t off)
{
	return dpc_refuse(ins, "file_pread");
}

long devproc_child_file_pwrite(struct dev_ins *ins, unsigned key,
			       const void *buf, size_t len, uint64_t off)
{
	return dpc_refuse(ins, "file_pwrite");
}

long devproc_child_file_read(struct dev_ins *ins, unsigned key, void *buf,
			     size_t len)
{
	return dpc_refuse(ins, "file_read");
}

long devproc_child_file_write(struct dev_ins *ins, unsigned key,
			      const void *buf, size_t len)
{
	return dpc_refuse(ins, "file_write");
}

int devproc_child_file_poll(struct dev_ins *ins, uint64_t ns, uint64_t *ready)
{
	return dpc_refuse(ins, "file_poll");
}

int devproc_child_doorbell_create(struct dev_ins *ins, enum dev_space space,
				  uint64_t addr, unsigned len)
{
	return dpc_refuse(ins, "doorbell_create");
}

/* -ECANCELED as when the VM stops: a wait loop ends, never spins. */
int devproc_child_doorbell_wait(struct dev_ins *ins, int bell)
{
	dpc_refuse(ins, "doorbell_wait");
	return -ECANCELED;
}

int devproc_child_worker_start(struct dev_ins *ins, dev_worker_fn fn,
			       void *opaque)
{
	return dpc_refuse(ins, "worker_start");
}

/* ---- serving requests --------------------------------------------------- */

static void dpc_io(struct vm *vm, struct dev_host *h, struct dp_shm *s)
{
	unsigned size = s->down.size;
	struct io_target t;

	/* The ranges as of the fork: its own never move after construction. */
	if ((size != 1 && size != 2 && size != 4 && size != 8) ||
	    !io_find(vm, (enum dev_space)s->down.space, s->down.addr, size, &t) ||
	    t.owner != h->ins) {
		s->down.val = ~0ull;
		return;
	}
	uint64_t off = s->down.addr - t.base;
	if (s->down.op == DP_IO_WRITE && t.ops->write)
		t.ops->write(h->ins, t.opaque, off, size, s->down.val);
	else if (s->down.op == DP_IO_READ)
		s->down.val = t.ops->read ? t.ops->read(h->ins, t.opaque, off,
							 size)
					  : ~0ull;
}

static void dpc_rx(struct dev_host *h, struct dp_shm *s)
{
	uint8_t buf[DEVPROC_DATA];
	size_t n = s->down.len < DEVPROC_DATA ? s->down.len : DEVPROC_DATA;
	struct chr *c = h->chr;

	memcpy(buf, s->down.data, n);
	s->down.val = c && c->rx && c->rx_owner == h->ins ? c->rx(h->ins, buf, n)
							  : n;
}

/* A screenshot: the pixels stay here, the PNG goes to the one file this
 * process may write; wisp gets what to print. */
static void dpc_display(struct dev_host *h, struct dp_shm *s)
{
	struct dev_display d;
	struct dp_display r = { 0 };

	r.rc = screenshot_render(h->ins, FD_SCREENSHOT, &d);
	if (r.rc == 0) {
		r.width = d.width;
		r.height = d.height;
		r.pages_read = d.pages_read;
		r.n_rects = d.n_rects;
		memcpy(r.rects, d.rects, sizeof(r.rects));
	}
	memcpy(s->down.data, &r, sizeof(r));
}

static void dpc_answer(struct dp_shm *s, uint32_t seq)
{
	atomic_store(&s->down_ack, seq);
	atomic_fetch_add(&s->mon_bell, 1);
	if (atomic_load(&s->mon_waiting))
		dp_futex_wake(&s->mon_bell);
}

static void dpc_serve(struct vm *vm, struct dev_host *h, uint32_t seq)
{
	struct dp_shm *s = h->proc->shm;
	const struct dev_ops *ops = h->ins->reg->ops;

	switch (s->down.op) {
	case DP_IO_READ:
	case DP_IO_WRITE: dpc_io(vm, h, s); break;
	case DP_CHR_RX: dpc_rx(h, s); break;
	case DP_DISPLAY: dpc_display(h, s); break;
	case DP_DESTRUCT:
		if (ops->destruct)
			ops->destruct(h->ins);
		dpc_answer(s, seq);
		_exit(0);
	}
	dpc_answer(s, seq);
}

static void dpc_timer(struct dev_host *h, unsigned t)
{
	uint64_t n;

	/* Re-arming a timerfd clears an expiry epoll already reported. */
	if (t < h->n_timers && read(h->timers[t].fd, &n, sizeof(n)) > 0)
		h->timers[t].fn(h->ins, h->timers[t].opaque);
}

/* A doorbell rang: KVM counted the writes, none crossed wisp. */
static void dpc_ioevent(struct dev_host *h, unsigned d)
{
	uint64_t n;

	if (d < h->n_ioevents && read(h->ioevents[d].fd, &n, sizeof(n)) > 0)
		h->ioevents[d].fn(h->ins, h->ioevents[d].opaque, n);
}

static void dpc_console_room(struct dev_host *h)
{
	if (h->chr && h->chr->tx_owner == h->ins)
		h->chr->tx(h->ins);
}

static void dpc_poll(struct dev_host *h, int timeout)
{
	struct epoll_event evs[8];
	int n = epoll_wait(FD_DPC_EPOLL, evs, 8, timeout);

	for (int i = 0; i < n; i++) {
		uint64_t d = evs[i].data.u64;
		if ((d >> 32) == DPC_EV_DOWN)
			continue; /* the request itself is in the shared page */
		if ((d >> 32) == DPC_EV_TIMER)
			dpc_timer(h, (unsigned)d);
		else if ((d >> 32) == DPC_EV_CONSOLE)
			dpc_console_room(h);
		else
			dpc_ioevent(h, (unsigned)d);
	}
}

/* Whether a new request arrived within the spin window. */
static bool dpc_spin(struct dp_shm *s, uint32_t *seen)
{
	uint64_t start = now_ns();

	for (unsigned i = 1;; i++) {
		uint32_t seq = atomic_load(&s->down_seq);
		if (seq != *seen) {
			*seen = seq;
			return true;
		}
		if (!(i & 63) && now_ns() - start > DPC_SPIN_NS)
			return false;
		__builtin_ia32_pause();
	}
}

static _Noreturn void dpc_loop(struct vm *vm, struct dev_host *h)
{
	struct dp_shm *s = h->proc->shm;
	uint32_t seen = h->proc->seq; /* as of the fork: wisp may post before
				       * this loop starts */

	for (unsigned n = 1;; n++) {
		if (dpc_spin(s, &seen)) {
			dpc_serve(vm, h, seen);
			if (!(n % DPC_POLL_EVERY))
				dpc_poll(h, 0);
			continue;
		}
		/* Pairs with wisp's store of down_seq before it reads this. */
		atomic_store(&s->child_sleeping, 1);
		if (atomic_load(&s->down_seq) == seen)
			dpc_poll(h, -1);
		atomic_store(&s->child_sleeping, 0);
	}
}

/* ---- shedding wisp ------------------------------------------------------ */

/* Writable shared memory of wisp's other than guest RAM and its own MMIO2
 * regions: the other devices' request pages and MMIO2 regions, and the
 * vCPUs' kvm_run pages. The fork-time copy of the map loses its MMIO2
 * mappings: they move in wisp, and guest-address access reaches RAM only. */
static void dpc_unmap(struct vm *vm, const struct devproc *mine,
		      const struct dev_ins *ins)
{
	mem_mmio2_fork_child(&vm->mem, ins);
	for (unsigned i = 0; i < vm->n_devs; i++) {
		struct devproc *p = vm->hosts[i].proc;
		if (p && p != mine)
			munmap(p->shm, sizeof(*p->shm));
	}
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->vcpus[i].run_size);
}

/* A display device writes its own screenshots. */
static bool dpc_shots(const struct vm *vm, const struct dev_host *h)
{
	return vm->shot_fd >= 0 && h->ins->reg->ops->display;
}

static void dpc_move(int from, int to)
{
	if (dup3(from, to, O_CLOEXEC) < 0)
		_exit(WISP_EXIT_OSERR);
}

static void dpc_fds(struct vm *vm, struct dev_host *h)
{
	struct devproc *p = h->proc;
	int keep[DPC_MAX_KEEP];
	unsigned n = 0;

	dpc_move(dp_fd(p, FD_DP_DOWN), FD_DPC_DOWN);
	dpc_move(dp_fd(p, FD_DP_UP), FD_DPC_UP);
	keep[n++] = STDERR_FILENO;
	keep[n++] = FD_DPC_DOWN;
	keep[n++] = FD_DPC_UP;
	for (unsigned i = 0; i < p->n_irqfd; i++) {
		dpc_move(dp_fd(p, FD_DP_IRQ + (int)i), FD_DPC_IRQ0 + (int)i);
		keep[n++] = FD_DPC_IRQ0 + (int)i;
	}
	for (unsigned t = 0; t < h->n_timers; t++)
		keep[n++] = h->timers[t].fd;
	for (unsigned d = 0; d < h->n_ioevents; d++)
		keep[n++] = h->ioevents[d].fd;
	if (h->chr && h->chr->out_fd >= 0 && h->chr->out_fd != STDERR_FILENO)
		keep[n++] = h->chr->out_fd;
	if (dpc_shots(vm, h))
		keep[n++] = vm->shot_fd;
	/* Fail closed: never serve with one of wisp's other fds. */
	if (fd_close_all_but(keep, n, fd_close_range) < 0)
		_exit(WISP_EXIT_OSERR);
}

static void dpc_epoll(struct dev_host *h)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event e = { .events = EPOLLIN };

	if (ep < 0 || dup3(ep, FD_DPC_EPOLL, O_CLOEXEC) < 0)
		_exit(WISP_EXIT_OSERR);
	close(ep);
	/* Edge-triggered: every ring wakes the loop, and the count is never
	 * read back - one syscall less per trapped access. */
	e.events = EPOLLIN | EPOLLET;
	e.data.u64 = (uint64_t)DPC_EV_DOWN << 32;
	epoll_ctl(FD_DPC_EPOLL, EPOLL_CTL_ADD, FD_DPC_DOWN, &e);
	e.events = EPOLLIN;
	for (unsigned t = 0; t < h->n_timers; t++) {
		e.data.u64 = ((uint64_t)DPC_EV_TIMER << 32) | t;
		epoll_ctl(FD_DPC_EPOLL, EPOLL_CTL_ADD, h->timers[t].fd, &e);
	}
	for (unsigned d = 0; d < h->n_ioevents; d++) {
		e.data.u64 = ((uint64_t)DPC_EV_IOEVENT << 32) | d;
		epoll_ctl(FD_DPC_EPOLL, EPOLL_CTL_ADD, h->ioevents[d].fd, &e);
	}
}

_Noreturn void devproc_child_main(struct vm *vm, struct dev_host *h,
				  pid_t parent)
{
	char role[48];

	/* Outlive wisp by nothing: die with it. (In a new PID namespace the
	 * parent is outside it and getppid() says 0.) */
	pid_t pp = getppid();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || (pp != parent && pp != 0))
		_exit(WISP_EXIT_OSERR);
	if (priv_finish(vm->cfg, true) < 0)
		_exit(WISP_EXIT_OSERR);
	dpc_unmap(vm, h->proc, h->ins);
	dpc_fds(vm, h);
	if (dpc_shots(vm, h) && screenshot_limit_fsize() < 0)
		_exit(WISP_EXIT_OSERR);
	dpc_epoll(h);
	h->ins->hlp = devhlp_table(h->trusted, true);
	snprintf(role, sizeof(role), "dev_%s", h->ins->reg->name);
	sandbox_enter(role);
	dpc_loop(vm, h);
}
