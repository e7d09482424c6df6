/*
 * monitor/devhost/devproc.c - wisp's side of device processes: spawning them, the
 * request slot (down), serving their up-calls, noticing their death.
 * The child's side is devproc_child.c. Protocol: devproc.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "policy.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "display/display.h"
#include "jail/jail.h"
#include "devhost/devproc.h"
#if WISP_PCI
#include "pci/pcibus.h"
#endif

#define DP_SPIN_NS 20000ull       /* spin this long before sleeping: an answer
				    * usually comes within a few us */
#define DP_SLICE_NS 10000000l     /* futex sleep slice */
#define DP_P_PIDFD 3              /* waitid idtype; older libcs lack it */

/* A sandboxed device broke the rules or the protocol: say which and why,
 * stop the VM, and send it nothing more. */
void dp_fail(struct dev_host *h, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	wlog(LOG_ERR, "sandboxed device %s: %s; stopping the VM", h->ins->name,
	     why);
	vm_event(h->vm, VM_EV_DEVICE_ERROR, h->ins->name, why, 0);
	atomic_store(&h->proc->dead, true);
	vm_request_stop(h->vm, WISP_EXIT_SANDBOX, why);
	atomic_fetch_add(&h->proc->shm->mon_bell, 1);
	dp_futex_wake(&h->proc->shm->mon_bell);
}

/* ---- up-calls: validated by wisp's own checked helper table -------------- */

static int dp_up_irq(struct dev_host *h, uint64_t gsi, uint64_t level)
{
	if (gsi >= VM_NR_GSI || level > DEV_IRQ_PULSE)
		return -EINVAL;
	int rc = devhlp_table(h->trusted, false)->irq_set(
		h->ins, (unsigned)gsi, (enum dev_irq_level)level);
	if (rc == -EPERM)
		dp_fail(h, "drove interrupt line %llu, which it does not own",
			(unsigned long long)gsi);
	return rc;
}

static int dp_up_power(struct dev_host *h, uint32_t op, uint64_t status)
{
	const struct dev_hlp_trusted *t = devhlp_table(h->trusted, false)->trusted;

	if (!t) {
		dp_fail(h, "%s", "asked for a VM-wide power it was not granted");
		return -EPERM;
	}
	if (op == DP_UP_RESET)
		t->vm_reset(h->ins);
	else if (op == DP_UP_PANIC)
		t->vm_panic(h->ins);
	else
		t->vm_poweroff(h->ins, status > INT_MAX ? -1 : (int)status);
	return 0;
}

/* Into wisp's own buffer first: KVM clears the pages it reports from the
 * bitmap it was given, which must not be one the child can rewrite. */
static int dp_up_query(struct dev_host *h, int hd, uint64_t bytes)
{
	const struct dev_hlp *t = devhlp_table(h->trusted, false);
	uint64_t bm[DEVPROC_BITMAP / 8];

	if (bytes == DP_NO_BITMAP)
		return t->mmio2_query(h->ins, hd, NULL, 0);
	if (bytes > sizeof(bm)) {
		dp_fail(h, "asked for a %llu-byte dirty bitmap (at most %d)",
			(unsigned long long)bytes, DEVPROC_BITMAP);
		return -EINVAL;
	}
	int rc = t->mmio2_query(h->ins, hd, bm, (size_t)bytes);
	if (rc == 0)
		memcpy(h->proc->shm->bitmap, bm, (size_t)bytes);
	return rc;
}

/* The same checked calls an in-process device makes; a handle that is not
 * the instance's own (another's, or none) stops the VM. */
static int dp_up_mmio2(struct dev_host *h, uint32_t op, uint64_t a0,
		       uint64_t a1, uint64_t a2)
{
	const struct dev_hlp *t = devhlp_table(h->trusted, false);
	int hd = a0 > INT_MAX ? -1 : (int)a0, rc;

	switch (op) {
	case DP_UP_MMIO2_MAP: rc = t->mmio2_map(h->ins, hd, a1); break;
	case DP_UP_MMIO2_UNMAP: rc = t->mmio2_unmap(h->ins, hd); break;
	case DP_UP_MMIO2_TRACK: rc = t->mmio2_track(h->ins, hd, a1 != 0); break;
	case DP_UP_MMIO2_QUERY: rc = dp_up_query(h, hd, a1); break;
	case DP_UP_MMIO2_MARK:
		rc = mem_mmio2_mark(&h->vm->mem, h->ins, hd, a1, a2);
		break;
	default: rc = -EINVAL; /* dp_up_call sends only the ops above */
	}
	if (rc == -EPERM || rc == -EBADF)
		dp_fail(h, "used MMIO2 region %lld, which it does not own",
			(long long)a0);
	return rc;
}

/* Whether line already names the instance ("uart.0: ..."). */
static bool dp_line_named(const char *line, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(line, name, n) && line[n] == ':';
}

/* A device process's log line: copied out of the shared page once (the
 * process may rewrite it meanwhile), attributed to the instance whatever
 * it says, and under the instance's and the global rate limit, which a
 * compromised process cannot skip as it can its own. */
int dp_up_log(struct dev_host *h, uint64_t level)
{
	char line[DEVPROC_LINE];
	const char *name = h->ins->name;
	enum log_level lvl = level > LOG_DEBUG ? LOG_ERR : (enum log_level)level;

	memcpy(line, h->proc->shm->up.line, sizeof(line));
	line[sizeof(line) - 1] = '\0';
	if (dp_line_named(line, name))
		wlog_guest(&h->rl, name, lvl, "%s", line);
	else
		wlog_guest(&h->rl, name, lvl, "%s: %s", name, line);
	return 0;
}

static int dp_up_call(struct dev_host *h, uint32_t op, uint64_t a0,
		      uint64_t a1, uint64_t a2)
{
	switch (op) {
	case DP_UP_LOG: return dp_up_log(h, a0);
	case DP_UP_IRQ_SET: return dp_up_irq(h, a0, a1);
	case DP_UP_RX_READY:
		devhlp_table(h->trusted, false)->chr_rx_ready(h->ins);
		return 0;
	case DP_UP_BOOTED:
		devhlp_table(h->trusted, false)->guest_booted(h->ins);
		return 0;
	case DP_UP_POWEROFF:
	case DP_UP_RESET:
	case DP_UP_PANIC: return dp_up_power(h, op, a0);
	case DP_UP_MMIO2_MAP:
	case DP_UP_MMIO2_UNMAP:
	case DP_UP_MMIO2_TRACK:
	case DP_UP_MMIO2_QUERY:
	case DP_UP_MMIO2_MARK: return dp_up_mmio2(h, op, a0, a1, a2);
	}
	dp_fail(h, "%s", "sent an unknown request");
	return -EINVAL;
}

void devproc_serve_up(struct dev_host *h)
{
	struct dp_shm *s = h->proc->shm;
	uint32_t posted = DP_UP_POSTED;

	/* Any waiting wisp thread may serve; exactly one does. */
	if (!atomic_compare_exchange_strong(&s->up_state, &posted,
					    DP_UP_SERVING))
		return;
	stat_add(&h->upcalls, 1);
	uint32_t op = s->up.op;
	uint64_t a0 = s->up.a0, a1 = s->up.a1, a2 = s->up.a2;
	int rc = atomic_load(&h->proc->dead) ? -EPIPE
					      : dp_up_call(h, op, a0, a1, a2);
	s->up.rc = rc;
	atomic_store(&s->up_state, DP_UP_DONE);
	dp_futex_wake(&s->up_state);
}

/* ---- down: one request, answered before the vCPU resumes ---------------- */

static void dp_post(struct devproc *p)
{
	struct dp_shm *s = p->shm;
	uint64_t one = 1;

	atomic_store(&s->down_seq, ++p->seq);
	/* Pairs with the child's store of child_sleeping before it re-reads
	 * down_seq: one of the two sees the other, no wakeup is lost. */
	if (atomic_load(&s->child_sleeping))
		(void)!write(dp_fd(p, FD_DP_DOWN), &one, sizeof(one));
	if (p->held)
		dp_futex_wake(&s->down_seq);
}

/* Whether the process has ended (it is then reaped and reported). */
static bool dp_exited(struct dev_host *h)
{
	siginfo_t si = { 0 };

	if (waitid((idtype_t)DP_P_PIDFD, (id_t)dp_fd(h->proc, FD_DP_PIDFD), &si,
		   WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
		return false;
	devproc_reap(h);
	return true;
}

/* Sleep until the child rings the bell, with the bell re-checked under
 * mon_waiting so an answer between the check and the sleep is not lost. */
static void dp_sleep(struct dp_shm *s, uint32_t seq)
{
	atomic_store(&s->mon_waiting, 1);
	uint32_t bell = atomic_load(&s->mon_bell);
	if (atomic_load(&s->down_ack) != seq &&
	    atomic_load(&s->up_state) != DP_UP_POSTED)
		dp_futex_wait(&s->mon_bell, bell, DP_SLICE_NS);
	atomic_store(&s->mon_waiting, 0);
}

/* The first microseconds: an answer usually comes this fast. 0 once
 * answered, -EPIPE when the process is gone, -EAGAIN to go on waiting. */
static int dp_check(struct dev_host *h)
{
	struct dp_shm *s = h->proc->shm;

	if (atomic_load(&s->down_ack) == h->proc->seq)
		return 0;
	if (atomic_load(&s->up_state) == DP_UP_POSTED)
		devproc_serve_up(h);
	return atomic_load(&h->proc->dead) ? -EPIPE : -EAGAIN;
}

static int dp_spin(struct dev_host *h)
{
	uint64_t start = now_ns();
	int rc;

	for (unsigned i = 1; (rc = dp_check(h)) == -EAGAIN; i++) {
		if (!(i & 63) && now_ns() - start >= DP_SPIN_NS)
			break;
		__builtin_ia32_pause();
	}
	return rc;
}

/* How a wait ends when no answer comes (devproc.h): DP_FIXED, the
 * deadline from the request; DP_PROGRESS, the deadline from the last sign
 * of life, and a stopping VM ends it. */
enum dp_patience { DP_FIXED, DP_PROGRESS };

struct dp_clock {
	uint64_t quiet_since; /* last sign of life (DP_FIXED: the request) */
	uint32_t seen;        /* the progress counter then */
};

/* Whether the process has been quiet past the deadline. A compromised
 * process can feign progress: it then only holds its own guest's vCPU,
 * which it could stall anyway, and never wisp's stop. */
static bool dp_hung(struct dev_host *h, enum dp_patience pat,
		    struct dp_clock *c)
{
	struct dp_shm *s = h->proc->shm;
	uint64_t t = now_ns();
	uint32_t p = atomic_load(&s->progress);

	if (pat == DP_PROGRESS && !atomic_load(&h->main_wants) &&
	    (p != c->seen || atomic_load(&s->in_io))) {
		c->seen = p;
		c->quiet_since = t;
	}
	return t - c->quiet_since > DEVPROC_DEADLINE_MS * 1000000ull;
}

static int dp_wait(struct dev_host *h, enum dp_patience pat)
{
	struct dp_shm *s = h->proc->shm;
	struct dp_clock c = { now_ns(), atomic_load(&s->progress) };
	int rc = dp_spin(h);

	for (; rc == -EAGAIN; rc = dp_check(h)) {
		if (dp_hung(h, pat, &c))
			return -ETIMEDOUT;
		if (pat == DP_PROGRESS && atomic_load(&h->vm->stopping))
			return -ECANCELED;
		if (dp_exited(h))
			return -EPIPE;
		dp_sleep(s, h->proc->seq);
	}
	return rc;
}

/* Post the request already written into shm->down and wait for it. A
 * request the stopping VM gave up on leaves the process abandoned: it
 * may still be serving it, so it is sent nothing more and killed. */
static int dp_request(struct dev_host *h, const char *what,
		      enum dp_patience pat)
{
	if (atomic_load(&h->proc->dead))
		return -EPIPE;
	dp_post(h->proc);
	int rc = dp_wait(h, pat);
	if (rc == -ETIMEDOUT && atomic_load(&h->main_wants))
		dp_fail(h, "did not answer a %s within %d ms while wisp waited "
			"for it", what, DEVPROC_DEADLINE_MS);
	else if (rc == -ETIMEDOUT && pat == DP_PROGRESS)
		dp_fail(h, "did not answer a %s and made no progress for %d ms",
			what, DEVPROC_DEADLINE_MS);
	else if (rc == -ETIMEDOUT)
		dp_fail(h, "did not answer a %s within %d ms", what,
			DEVPROC_DEADLINE_MS);
	else if (rc == -ECANCELED)
		atomic_store(&h->proc->dead, true);
	return rc;
}

void devproc_lock_main(struct dev_host *h)
{
	atomic_fetch_add(&h->main_wants, 1);
	pthread_mutex_lock(&h->lock);
	atomic_fetch_sub(&h->main_wants, 1);
}

/* Metrics: how long an answer took, in ctl.h's buckets (x4 each). */
static void dp_answer_time(struct dev_host *h, uint64_t ns)
{
	unsigned b = 0;

	for (uint64_t le = 1000; b < 7 && ns > le; le *= 4)
		b++;
	stat_add(&h->answers, 1);
	stat_add(&h->answer_lat[b], 1);
}

void devproc_hold(struct dev_host *h, bool hold)
{
	struct devproc *p = h->proc;

	if (p->held == hold || atomic_load(&p->dead))
		return;
	p->shm->down.op = hold ? DP_HOLD : DP_RELEASE;
	if (dp_request(h, hold ? "pause" : "resume", DP_FIXED) == 0)
		p->held = hold;
}

void devproc_io(struct dev_host *h, unsigned space, uint64_t addr,
		void *data, unsigned size, bool is_write)
{
	struct dp_shm *s = h->proc->shm;
	uint64_t val = 0, t0 = now_ns();

	s->down.op = is_write ? DP_IO_WRITE : DP_IO_READ;
	s->down.space = space;
	s->down.addr = addr;
	s->down.size = size;
	if (is_write)
		memcpy(&val, data, size);
	s->down.val = val;
	if (dp_request(h, is_write ? "write" : "read", DP_PROGRESS) < 0)
		val = ~0ull;
	else
		val = s->down.val;
	dp_answer_time(h, now_ns() - t0);
	if (!is_write)
		memcpy(data, &val, size);
}

/* The console hands input to a sandboxed device through this. */
size_t dp_chr_rx(struct dev_ins *ins, const uint8_t *buf, size_t len)
{
	struct dev_host *h = ins->host;
	struct dp_shm *s = h->proc->shm;
	size_t n = len < DEVPROC_DATA ? len : DEVPROC_DATA;

	s->down.op = DP_CHR_RX;
	s->down.len = (uint32_t)n;
	memcpy(s->down.data, buf, n);
	if (dp_request(h, "console input request", DP_FIXED) < 0)
		return len; /* dropped: the VM is stopping */
	/* The child's count is untrusted: never more than it was given. */
	return s->down.val < n ? (size_t)s->down.val : n;
}

int devproc_display(struct dev_host *h, struct dev_display *out)
{
	struct dp_shm *s = h->proc->shm;
	struct dp_display r;

	s->down.op = DP_DISPLAY;
	int rc = dp_request(h, "screenshot request", DP_FIXED);
	if (rc < 0)
		return rc;
	memcpy(&r, s->down.data, sizeof(r));
	if (r.rc < 0)
		return r.rc < -4095 ? -EIO : r.rc;
	*out = (struct dev_display){ .width = r.width, .height = r.height,
				     .pages_read = r.pages_read,
				     .n_rects = r.n_rects };
	memcpy(out->rects, r.rects, sizeof(out->rects));
	/* The child's numbers are checked here, where they enter wisp. */
	if (!screenshot_check(out)) {
		dp_fail(h, "%s", "reported a screen or rectangles out of bounds");
		return -EIO;
	}
	return 0;
}

/* ---- death, and the orderly end ----------------------------------------- */

static void dp_describe(const siginfo_t *si, char *buf, size_t len)
{
	if (si->si_code == CLD_EXITED)
		snprintf(buf, len, "exited unexpectedly with status %d",
			 si->si_status);
	else if (si->si_status == SIGSYS)
		snprintf(buf, len, "broke its seccomp policy (killed by SIGSYS)");
	else
		snprintf(buf, len, "crashed (killed by %s)",
			 strsignal(si->si_status));
}

static bool dp_waitid(struct devproc *p, int flags, siginfo_t *si)
{
	memset(si, 0, sizeof(*si));
	if (p->pid <= 0)
		return false;
	if (waitid((idtype_t)DP_P_PIDFD, (id_t)dp_fd(p, FD_DP_PIDFD), si,
		   WEXITED | flags) < 0 || si->si_pid == 0)
		return false;
	p->pid = 0; /* reaped */
	return true;
}

void devproc_reap(struct dev_host *h)
{
	siginfo_t si;
	char why[96];

	if (!dp_waitid(h->proc, WNOHANG, &si))
		return;
	if (atomic_load(&h->proc->dead))
		return; /* already reported */
	dp_describe(&si, why, sizeof(why));
	if (!atomic_load(&h->vm->stopping)) {
		dp_fail(h, "%s", why);
		return;
	}
	/* While the VM stops, one process ending may end others (the PID
	 * namespace's init takes the rest with it): not a failure. */
	atomic_store(&h->proc->dead, true);
	wlog(LOG_DEBUG, "device process %s %s during the stop", h->ins->name,
	     why);
}

void devproc_stop(struct dev_host *h)
{
	struct devproc *p = h->proc;

	if (!atomic_load(&p->dead)) {
		p->shm->down.op = DP_DESTRUCT;
		if (dp_request(h, "destruct request", DP_FIXED) == 0)
			atomic_store(&p->dead, true);
	}
	if (p->pid > 0)
		syscall(SYS_pidfd_send_signal, dp_fd(p, FD_DP_PIDFD), SIGKILL,
			NULL, 0);
}

void devproc_reap_all(struct vm *vm)
{
	siginfo_t si;

	/* Last forked first: under --jail the first is its PID namespace's
	 * init, which cannot finish while the others are unreaped. */
	for (unsigned i = vm->n_devs; i-- > 0;)
		if (vm->hosts[i].proc)
			dp_waitid(vm->hosts[i].proc, 0, &si);
}

/* ---- spawning ----------------------------------------------------------- */

static int dp_eventfd(struct devproc *p, int which)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		die(WISP_EXIT_OSERR, "eventfd for a device process: %s",
		    strerror(errno));
	return fd_pin(fd, dp_fd(p, which));
}

/* An irqfd per claimed line: the child's interrupt pulses go straight to
 * KVM. */
static void dp_irqfds(struct vm *vm, struct dev_host *h, struct devproc *p)
{
	for (unsigned gsi = 0; gsi < VM_NR_GSI; gsi++) {
		if (!(h->irqs & (1u << gsi)))
			continue;
		if (p->n_irqfd == DEVPROC_MAX_IRQFD)
			die(WISP_EXIT_USAGE, "device %s claims more than %d "
			    "interrupt lines and cannot be sandboxed",
			    h->ins->name, DEVPROC_MAX_IRQFD);
		int fd = dp_eventfd(p, FD_DP_IRQ + (int)p->n_irqfd);
		struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = gsi };
		if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
			die(WISP_EXIT_KVM, "KVM_IRQFD for %s: %s", h->ins->name,
			    strerror(errno));
		p->irq_gsi[p->n_irqfd++] = gsi;
	}
}

/* The request page and, after it, the handover: a memfd, so the process
 * (a fresh exec, sharing nothing) maps the same page. */
static void dp_shm_create(struct devproc *p, const char *name)
{
	int fd = memfd_create("wisp-devproc", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, DP_HO_OFF + sizeof(struct dp_handover)) < 0)
		die(WISP_EXIT_OSERR, "request page for %s: %s", name,
		    strerror(errno));
	fd_pin(fd, dp_fd(p, FD_DP_SHM));
	p->shm = mmap(NULL, sizeof(struct dp_shm), PROT_READ | PROT_WRITE,
		      MAP_SHARED, dp_fd(p, FD_DP_SHM), 0);
	if (p->shm == MAP_FAILED)
		die(WISP_EXIT_OSERR, "request page for %s: %s", name,
		    strerror(errno));
}

static void dp_prepare(struct vm *vm, struct dev_host *h, int slot)
{
	struct devproc *p = &vm->procs[slot];

	*p = (struct devproc){ .slot = slot };
	dp_shm_create(p, h->ins->name);
	dp_eventfd(p, FD_DP_DOWN);
	dp_eventfd(p, FD_DP_UP);
	dp_irqfds(vm, h, p);
	h->proc = p;
#if WISP_PCI
	pcibus_share(h, &p->shm->msix);
#endif
}

/* The process holds the instance's host files now, and its loop serves
 * their watches: wisp keeps neither. */
static void dp_files_after_fork(struct dev_host *h)
{
	for (unsigned k = 0; k < DEV_FILE_KEYS; k++)
		if ((h->file_keys >> k) & 1)
			close(h->files[k]);
	h->file_keys = h->file_ro = h->file_pollable = 0;
	h->n_watches = 0;
}

/* Its resident set for the control plane's metrics, where /proc is
 * reachable (not under a --chroot without it): a missing one is -1. */
static void dp_statm_open(struct devproc *p)
{
	char path[40];
	int fd;

	p->statm_fd = -1;
#if WISP_CTL
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		p->statm_fd = fd_pin(fd, dp_fd(p, FD_DP_STATM));
#else
	(void)path; (void)fd;
#endif
}

/* In wisp after the fork: the process holds the device's timers, doorbells
 * and irqfds now, and console input goes to it through the slot. */
static void dp_parent_after_fork(struct dev_host *h)
{
	struct devproc *p = h->proc;
	int pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);

	if (pidfd < 0)
		die(WISP_EXIT_OSERR, "pidfd_open: %s", strerror(errno));
	fd_pin(pidfd, dp_fd(p, FD_DP_PIDFD));
	for (unsigned t = 0; t < h->n_timers; t++)
		close(h->timers[t].fd);
	h->n_timers = 0;
	for (unsigned d = 0; d < h->n_ioevents; d++)
		close(h->ioevents[d].fd);
	h->n_ioevents = 0;
	h->n_pci_bells = 0; /* wisp keeps its own copies (pci/pcibus.c) */
	for (unsigned i = 0; i < p->n_irqfd; i++)
		close(dp_fd(p, FD_DP_IRQ + (int)i));
	close(dp_fd(p, FD_DP_SHM));
	dp_statm_open(p);
	dp_files_after_fork(h);
	if (h->chr && h->chr->rx_owner == h->ins)
		h->chr->rx = dp_chr_rx;
}

/* What the process learns besides its fds, after its request page. */
static void dp_handover_write(struct vm *vm, struct dev_host *h)
{
	struct dp_handover ho;

	if (dp_handover_fill(vm, h, &ho) < 0)
		die(WISP_EXIT_USAGE, "device %s has more MMIO2 regions (%d), "
		    "more host files (%d) or a longer spec than a device "
		    "process takes", h->ins->name, DP_HO_MAX_MMIO2,
		    DP_HO_MAX_FILES);
	if (pwrite(dp_fd(h->proc, FD_DP_SHM), &ho, sizeof(ho), DP_HO_OFF) !=
	    (ssize_t)sizeof(ho))
		die(WISP_EXIT_OSERR, "handover for %s: %s", h->ins->name,
		    strerror(errno));
}

/* An fd the exec'd process gets at number `to` (its own numbering, which
 * its policy names), inherited across the exec. */
static int dp_give(int from, int to)
{
	/* A source among the targets could be overwritten before it moved. */
	if (from != to && from >= FD_DPC_FIRST && from <= FD_DPC_LAST)
		return -EBADF;
	if (from == to)
		return fcntl(from, F_SETFD, 0) < 0 ? -errno : 0;
	return dup3(from, to, 0) < 0 ? -errno : 0;
}

#define DP_MAX_GIVE (8 + DEV_MAX_TIMERS + DEV_HOST_IOEVENTS + \
		     DEVPROC_MAX_IRQFD + DP_HO_MAX_MMIO2 + DP_HO_MAX_FILES + \
		     DEV_PCI_MSIX_MAX)

/* Its MSI-X vectors' eventfds, under wisp's numbers (wisp keeps them too:
 * it sends a pending vector the guest unmasks). */
static int dp_give_vectors(struct dev_host *h, int *keep, int *n)
{
	unsigned slot, gsi0, nvec;
	int rc = 0;

#if WISP_PCI
	if (pcibus_fn_info(h, &slot, &gsi0, &nvec) < 0)
		return 0;
	for (unsigned v = 0; v < nvec; v++) {
		int fd = FD_MSIX0 + (int)(gsi0 - PCI_MSI_GSI0 + v);
		rc |= dp_give(fd, keep[(*n)++] = fd);
	}
#else
	(void)slot, (void)gsi0, (void)nvec, (void)h, (void)keep, (void)n;
#endif
	return rc;
}

/* Everything the process is handed, and nothing else: every other fd of
 * wisp's (stderr too) is closed before the exec. */
static int dp_exec_fds(struct vm *vm, struct dev_host *h)
{
	struct devproc *p = h->proc;
	int keep[DP_MAX_GIVE], n = 0, rc = 0;

#define GIVE(from, to) (rc |= dp_give((from), keep[n++] = (to)))
	GIVE(dp_fd(p, FD_DP_SHM), FD_DPC_SHM);
	GIVE(dp_fd(p, FD_DP_DOWN), FD_DPC_DOWN);
	GIVE(dp_fd(p, FD_DP_UP), FD_DPC_UP);
	GIVE(vm->mem.memfd, FD_MEM);
	for (unsigned i = 0; i < p->n_irqfd; i++)
		GIVE(dp_fd(p, FD_DP_IRQ + (int)i), FD_DPC_IRQ0 + (int)i);
	for (unsigned i = 0; i < p->n_mmio2; i++)
		GIVE(p->mmio2_fd[i], FD_DPC_MMIO2_0 + (int)i);
	for (unsigned t = 0; t < h->n_timers; t++)
		GIVE(h->timers[t].fd, h->timers[t].fd);
	for (unsigned d = 0; d < h->n_ioevents; d++)
		GIVE(h->ioevents[d].fd, h->ioevents[d].fd);
	/* At most DP_HO_MAX_FILES: the handover was refused before the fork
	 * otherwise. Each keeps its number, as the handover says. */
	for (unsigned k = 0; k < DEV_FILE_KEYS; k++)
		if ((h->file_keys >> k) & 1)
			GIVE(h->files[k], h->files[k]);
	if (h->chr && h->chr->out_fd >= 0)
		GIVE(h->chr->out_fd, h->chr->out_fd);
	if (vm->shot_fd >= 0 && h->ins->reg->ops->display)
		GIVE(vm->shot_fd, vm->shot_fd);
#undef GIVE
	rc |= dp_give_vectors(h, keep, &n);
	keep[n++] = FD_SELF_EXE; /* close-on-exec: gone once it served */
	return rc < 0 ? rc : fd_close_all_but(keep, (unsigned)n, fd_close_range);
}

/* In the forked copy of wisp: die with wisp, drop every privilege, keep
 * only the device's fds, and replace this copy of wisp's memory with a
 * fresh image of the same binary. */
static _Noreturn void dp_exec(struct vm *vm, struct dev_host *h, pid_t parent)
{
	char *argv[] = { DEVPROC_ARGV0, NULL }, *envp[] = { NULL };
	pid_t pp = getppid();

	/* In a new PID namespace the parent is outside it: getppid() is 0. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || (pp != parent && pp != 0))
		_exit(WISP_EXIT_OSERR);
	if (priv_finish(vm->cfg, true) < 0 || dp_exec_fds(vm, h) < 0)
		_exit(WISP_EXIT_OSERR);
	syscall(SYS_execveat, FD_SELF_EXE, "", argv, envp, AT_EMPTY_PATH);
	_exit(WISP_EXIT_OSERR);
}

static void dp_spawn(struct vm *vm, struct dev_host *h)
{
	pid_t parent = getpid();

	dp_handover_write(vm, h);
	pid_t pid = fork();
	if (pid < 0)
		die(WISP_EXIT_OSERR, "fork for device %s: %s", h->ins->name,
		    strerror(errno));
	if (pid == 0)
		dp_exec(vm, h, parent); /* never returns */
	h->proc->pid = pid;
	dp_parent_after_fork(h);
}

/* Through /proc/self/exe, which --chroot or --jail may hide later. */
void devproc_open_exe(struct vm *vm)
{
	bool any = false;

	for (unsigned i = 0; i < vm->n_devs; i++)
		any |= vm->hosts[i].sandboxed;
	if (!any)
		return;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(WISP_EXIT_OSERR, "opening wisp's own binary for its device "
		    "processes: %s", strerror(errno));
	fd_pin(fd, FD_SELF_EXE);
}

void devproc_spawn_all(struct vm *vm)
{
	int slot = 0;

	for (unsigned i = 0; i < vm->n_devs; i++)
		if (vm->hosts[i].sandboxed) {
			if (slot == FD_DP_MAX)
				die(WISP_EXIT_USAGE, "more than %d sandboxed "
				    "devices", FD_DP_MAX);
			dp_prepare(vm, &vm->hosts[i], slot++);
		}
	for (unsigned i = 0; i < vm->n_devs; i++)
		if (vm->hosts[i].sandboxed)
			dp_spawn(vm, &vm->hosts[i]);
	close(FD_SELF_EXE); /* wisp itself never execs */
}
