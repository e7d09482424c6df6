/*
 * monitor/evloop.c - the main thread after start: signals, console input,
 * device timers and doorbells, watches on in-process devices' host files
 * (taps), the halt watchdog, and the stop request, over one epoll.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "policy.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "jail/jail.h"
#include "kvm/kvm.h"
#include "monitor.h"
#include "devhost/devproc.h"
#if WISP_CTL
#include "ctl/ctl.h"
#endif

/* epoll user data: what kind of fd fired, and which one. */
enum ev_kind { EV_SIGNAL, EV_STOP, EV_RXREADY, EV_CONSOLE, EV_TIMER, EV_WATCHDOG,
	       EV_DP_UP, EV_DP_EXIT, EV_IOEVENT, EV_CONSOLE_OUT, EV_WATCH,
	       EV_CTL };
#define EV_DATA(kind, a, b) (((uint64_t)(kind) << 32) | ((uint64_t)(a) << 16) | (b))

static bool ev_drain(int fd);

static void ev_add_to(int ep, int fd, uint64_t data)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = data };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0)
		die(WISP_EXIT_OSERR, "epoll_ctl: %s", strerror(errno));
}

static void ev_add(struct evloop *ev, int fd, uint64_t data)
{
	ev_add_to(ev->ep, fd, data);
}

/* What the loop serves while the VM is paused (kvm/pause.c): signals,
 * the stop request and the control plane's mailbox; no device's timers,
 * doorbells or files, which wait in their fds until the resume. */
static void ev_setup_ctl(struct evloop *ev)
{
#if WISP_CTL
	if (!ev->vm->ctl)
		return;
	ev->ep_paused = fd_pin(epoll_create1(EPOLL_CLOEXEC), FD_EPOLL_PAUSED);
	if (ev->ep_paused < 0)
		die(WISP_EXIT_OSERR, "event loop setup: %s", strerror(errno));
	ev_add_to(ev->ep_paused, ev->sig_fd, EV_DATA(EV_SIGNAL, 0, 0));
	ev_add_to(ev->ep_paused, ev->vm->stop_fd, EV_DATA(EV_STOP, 0, 0));
	ev_add_to(ev->ep_paused, FD_CTL_REQ, EV_DATA(EV_CTL, 0, 0));
	ev_add(ev, FD_CTL_REQ, EV_DATA(EV_CTL, 0, 0));
#endif
}

static void ev_console_watch(struct evloop *ev, bool on)
{
	struct chr *c = &ev->vm->console;
	struct epoll_event e = { .events = EPOLLIN,
				 .data.u64 = EV_DATA(EV_CONSOLE, 0, 0) };

	if (!ev->console_pollable || on == ev->console_watched)
		return;
	epoll_ctl(ev->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, c->in_fd, &e);
	ev->console_watched = on;
}

/* Input is pumped while it flows; a regular file as stdin cannot be polled,
 * so it is pumped until the device is full or the file ends. */
static void ev_console_pump(struct evloop *ev, bool readable)
{
	struct chr *c = &ev->vm->console;
	bool more;

	readable |= !ev->console_pollable; /* a file never blocks for long */
	do {
		more = chr_pump(ev->vm, c, readable);
	} while (more && !ev->console_pollable && !c->in_eof);
	ev_console_watch(ev, more && !c->in_eof);
}

/* A device inside wisp had output refused (chr.c): watch for room. A
 * watch that cannot be set would stall the guest for good. */
static void ev_console_out_arm(struct evloop *ev)
{
	struct chr *c = &ev->vm->console;
	int rc;

	if (!atomic_exchange(&c->tx_wanted, false))
		return;
	rc = chr_watch_out(c, ev->ep, EV_DATA(EV_CONSOLE_OUT, 0, 0));
	if (rc < 0)
		die(WISP_EXIT_OSERR, "watching console output: %s", strerror(-rc));
}

/* Room again: the device retries what it holds, under its lock. */
static void ev_console_out(struct evloop *ev)
{
	struct chr *c = &ev->vm->console;
	struct dev_host *h = c->tx_owner ? c->tx_owner->host : NULL;

	if (!h || h->proc)
		return; /* a device process watches its own output */
	pthread_mutex_lock(&h->lock);
	c->tx(h->ins);
	pthread_mutex_unlock(&h->lock);
}

static void ev_setup_console(struct evloop *ev)
{
	struct chr *c = &ev->vm->console;
	struct epoll_event e = { .events = EPOLLIN,
				 .data.u64 = EV_DATA(EV_CONSOLE, 0, 0) };

	if (c->in_fd < 0 || !c->rx_owner)
		return;
	chr_start_input(c);
	if (epoll_ctl(ev->ep, EPOLL_CTL_ADD, c->in_fd, &e) == 0) {
		ev->console_pollable = ev->console_watched = true;
		return;
	}
	ev_console_pump(ev, true);
}

static void ev_setup_timers(struct evloop *ev)
{
	struct vm *vm = ev->vm;

	for (unsigned i = 0; i < vm->n_devs; i++) {
		for (unsigned t = 0; t < vm->hosts[i].n_timers; t++)
			ev_add(ev, vm->hosts[i].timers[t].fd,
			       EV_DATA(EV_TIMER, i, t));
		for (unsigned d = 0; d < vm->hosts[i].n_ioevents; d++)
			ev_add(ev, vm->hosts[i].ioevents[d].fd,
			       EV_DATA(EV_IOEVENT, i, d));
	}
	/* Twice a second: cheap, and a halted VM ends within a second. */
	struct itimerspec its = { { 0, 500000000 }, { 0, 500000000 } };
	ev->wd_fd = fd_pin(timerfd_create(CLOCK_MONOTONIC,
					  TFD_CLOEXEC | TFD_NONBLOCK), FD_WATCHDOG);
	if (ev->wd_fd < 0 || timerfd_settime(ev->wd_fd, 0, &its, NULL) < 0)
		die(WISP_EXIT_OSERR, "watchdog timer: %s", strerror(errno));
	ev_add(ev, ev->wd_fd, EV_DATA(EV_WATCHDOG, 0, 0));
}

/* In-process devices' file watches join this loop; a device process's
 * are its own loop's. Under the lock: a vCPU may turn one on meanwhile. */
static void ev_setup_watches(struct evloop *ev)
{
	struct vm *vm = ev->vm;

	for (unsigned i = 0; i < vm->n_devs; i++) {
		struct dev_host *h = &vm->hosts[i];
		if (h->proc || !h->n_watches)
			continue;
		pthread_mutex_lock(&h->lock);
		devfile_watch_loop(h, ev->ep, EV_DATA(EV_WATCH, i, 0));
		pthread_mutex_unlock(&h->lock);
	}
}

/* A watched file is readable: the device reads it under its lock, and is
 * told again on the next wait while it stays readable and watched. */
static void ev_watch(struct evloop *ev, unsigned dev, unsigned w)
{
	struct dev_host *h = &ev->vm->hosts[dev];

	pthread_mutex_lock(&h->lock);
	devfile_watch_fire(h, w);
	pthread_mutex_unlock(&h->lock);
}

/* Device processes post up-calls on an eventfd; their pidfd reports death. */
static void ev_setup_devprocs(struct evloop *ev)
{
	struct vm *vm = ev->vm;

	for (unsigned i = 0; i < vm->n_devs; i++) {
		struct devproc *p = vm->hosts[i].proc;
		if (!p)
			continue;
		ev_add(ev, dp_fd(p, FD_DP_UP), EV_DATA(EV_DP_UP, i, 0));
		ev_add(ev, dp_fd(p, FD_DP_PIDFD), EV_DATA(EV_DP_EXIT, i, 0));
	}
}

static void ev_devproc(struct evloop *ev, unsigned dev, bool exited)
{
	struct dev_host *h = &ev->vm->hosts[dev];

	if (exited) {
		devproc_reap(h);
		/* Reaped: its pidfd would stay readable. */
		if (!h->proc->pid)
			close(dp_fd(h->proc, FD_DP_PIDFD));
		return;
	}
	ev_drain(dp_fd(h->proc, FD_DP_UP));
	devproc_serve_up(h);
}

static void ev_setup(struct evloop *ev, struct vm *vm)
{
	sigset_t set;

	ev->vm = vm;
	ev->ep = fd_pin(epoll_create1(EPOLL_CLOEXEC), FD_EPOLL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1); /* a screenshot, the VM goes on */
	ev->sig_fd = fd_pin(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK),
			    FD_SIGNAL);
	if (ev->ep < 0 || ev->sig_fd < 0)
		die(WISP_EXIT_OSERR, "event loop setup: %s", strerror(errno));
	ev_add(ev, ev->sig_fd, EV_DATA(EV_SIGNAL, 0, 0));
	ev_add(ev, vm->stop_fd, EV_DATA(EV_STOP, 0, 0));
	ev_add(ev, vm->rxready_fd, EV_DATA(EV_RXREADY, 0, 0));
	ev_setup_timers(ev);
	ev_setup_watches(ev);
	ev_setup_devprocs(ev);
	ev_setup_console(ev);
	ev_setup_ctl(ev);
}

/* Returns whether anything was pending. */
static bool ev_drain(int fd)
{
	uint64_t buf[16];

	return read(fd, buf, sizeof(buf)) > 0;
}

static void ev_signal(struct evloop *ev)
{
	struct signalfd_siginfo si;

	if (read(ev->sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR1) {
		screenshot_take(ev->vm, "SIGUSR1");
		return;
	}
	wlog(LOG_INFO, "%s received, stopping the VM", strsignal((int)si.ssi_signo));
	vm_request_stop(ev->vm, WISP_EXIT_SIGNAL_BASE + (int)si.ssi_signo,
			"signal");
}

static void ev_timer(struct evloop *ev, unsigned dev, unsigned t)
{
	struct dev_host *h = &ev->vm->hosts[dev];
	struct dev_timer *tm = &h->timers[t];

	/* Re-arming a timerfd clears an expiry epoll already reported. */
	if (!ev_drain(tm->fd))
		return;
	pthread_mutex_lock(&h->lock);
	tm->fn(h->ins, tm->opaque);
	pthread_mutex_unlock(&h->lock);
}

/* A doorbell of an in-process device: KVM counted the writes. */
static void ev_ioevent(struct evloop *ev, unsigned dev, unsigned d)
{
	struct dev_host *h = &ev->vm->hosts[dev];
	struct dev_ioevent *io = &h->ioevents[d];
	uint64_t n;

	if (read(io->fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&h->lock);
	io->fn(h->ins, io->opaque, n);
	pthread_mutex_unlock(&h->lock);
}

static void ev_dispatch(struct evloop *ev, uint64_t d)
{
	switch ((enum ev_kind)(d >> 32)) {
	case EV_SIGNAL: ev_signal(ev); break;
	case EV_STOP: ev_drain(ev->vm->stop_fd); break;
	case EV_RXREADY:
		ev_drain(ev->vm->rxready_fd);
		ev_console_pump(ev, false);
		ev_console_out_arm(ev);
		break;
	case EV_CONSOLE_OUT: ev_console_out(ev); break;
	case EV_CONSOLE: ev_console_pump(ev, true); break;
	case EV_TIMER: ev_timer(ev, (d >> 16) & 0xffff, d & 0xffff); break;
	case EV_WATCHDOG: ev_drain(ev->wd_fd); vcpus_halt_check(ev->vm); break;
	case EV_DP_UP: ev_devproc(ev, (d >> 16) & 0xffff, false); break;
	case EV_DP_EXIT: ev_devproc(ev, (d >> 16) & 0xffff, true); break;
	case EV_IOEVENT: ev_ioevent(ev, (d >> 16) & 0xffff, d & 0xffff); break;
	case EV_WATCH: ev_watch(ev, (d >> 16) & 0xffff, d & 0xffff); break;
#if WISP_CTL
	case EV_CTL: ctl_serve_main(ev->vm); break;
#else
	case EV_CTL: break;
#endif
	}
}

/* A pause earlier in the same batch: a device's event waits (level
 * triggered, it is reported again after the resume). */
static bool ev_held(struct vm *vm, uint64_t d)
{
	enum ev_kind k = (enum ev_kind)(d >> 32);

	return atomic_load(&vm->pause.paused) && k != EV_SIGNAL &&
	       k != EV_STOP && k != EV_CTL;
}

void evloop_init(struct vm *vm)
{
	ev_setup(&vm->ev, vm);
}

int evloop_run(struct vm *vm)
{
	struct evloop *ev = &vm->ev;
	struct epoll_event evs[16];

	while (!atomic_load(&vm->stopping)) {
		/* paused: a device event left unserved is served on resume */
		int ep = atomic_load(&vm->pause.paused) ? ev->ep_paused : ev->ep;
		int n = epoll_wait(ep, evs, 16, -1);
		if (n < 0 && errno != EINTR)
			die(WISP_EXIT_OSERR, "epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			if (!ev_held(vm, evs[i].data.u64))
				ev_dispatch(ev, evs[i].data.u64);
	}
	return atomic_load(&vm->exit_code);
}
