/*
 * monitor/devhost/devproc_child.c - inside a device process: shed everything of
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

#include "core/exitcode.h"
#include "policy.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "display/display.h"
#include "jail/jail.h"
#include "devhost/devproc.h"

#define DPC_SPIN_NS 50000ull /* keep answering without sleeping this long:
				* back-to-back exits come every ~8 us, and a
				* sleeping process costs a wakeup (~3x slower
				* exits measured on an idle 2-core host) */
#define DPC_POLL_EVERY 64     /* look at timers every N back-to-back requests */
#define DPC_MAX_KEEP (8 + DEV_MAX_TIMERS + DEV_MAX_IOEVENTS + DEVPROC_MAX_IRQFD)

enum dpc_ev { DPC_EV_DOWN, DPC_EV_TIMER, DPC_EV_IOEVENT };

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

	r.rc = WISP_DISPLAY ? screenshot_render(h->ins, FD_SCREENSHOT, &d)
			    : -EOPNOTSUPP;
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
	if (WISP_DISPLAY && dpc_shots(vm, h) && screenshot_limit_fsize() < 0)
		_exit(WISP_EXIT_OSERR);
	dpc_epoll(h);
	h->ins->hlp = devhlp_table(h->trusted, true);
	snprintf(role, sizeof(role), "dev_%s", h->ins->reg->name);
	sandbox_enter(role);
	dpc_loop(vm, h);
}
