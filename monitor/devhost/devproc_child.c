/*
 * monitor/devhost/devproc_child.c - inside a device process, a fresh exec of wisp's
 * binary: check the handover, map guest RAM, the request page and the
 * device's own MMIO2 regions from the fds it was handed, construct the
 * device again in this process, install the device's policy, then serve
 * requests, timers, doorbells and watches on its host files. The
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
#include "devhost/devfile.h"
#include "devhost/devhost.h"
#include "display/display.h"
#include "jail/jail.h"
#include "devhost/devproc.h"

#define DPC_SPIN_NS 50000ull /* keep answering without sleeping this long:
				* back-to-back exits come every ~8 us, and a
				* sleeping process costs a wakeup (~3x slower
				* exits measured on an idle 2-core host) */
#define DPC_POLL_EVERY 64     /* look at timers every N back-to-back requests */
#define DPC_HELD_SLICE_NS 200000000L /* held: re-check down_seq this often
					* even if a wake-up were lost */


static void dpc_io(struct vm *vm, struct dev_host *h, struct dp_shm *s)
{
	unsigned size = s->down.size;
	struct io_target t;

	if (s->down.space >= DP_SPACE_BAR0) {
		dpc_pci_io(h, s, s->down.space - DP_SPACE_BAR0);
		return;
	}
	/* Its own ranges, claimed again at its construction here: they never move. */
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

static void dpc_console_room(struct dev_host *h)
{
	if (h->chr && h->chr->tx_owner == h->ins)
		h->chr->tx(h->ins);
}

static void dpc_event(struct dev_host *h, uint64_t d)
{
	if ((d >> 32) == DPC_EV_TIMER)
		dpc_timer(h, (unsigned)d);
	else if ((d >> 32) == DPC_EV_CONSOLE)
		dpc_console_room(h);
	else if ((d >> 32) == DPC_EV_WATCH)
		devfile_watch_fire(h, (unsigned)d);
	else
		dpc_ioevent(h, (unsigned)d);
}

/* A request posted since *seen is served now, between two events: a
 * trapped access waits for one event's work, not for a whole batch. */
static void dpc_serve_posted(struct vm *vm, struct dev_host *h,
			     uint32_t *seen)
{
	uint32_t seq = atomic_load(&h->proc->shm->down_seq);

	if (seq == *seen)
		return;
	*seen = seq;
	dpc_serve(vm, h, seq);
}

/* Each event handled is progress wisp sees while a request waits. */
static void dpc_poll(struct vm *vm, struct dev_host *h, int timeout,
		     uint32_t *seen)
{
	struct epoll_event evs[8];
	int n = epoll_wait(FD_DPC_EPOLL, evs, 8, timeout);

	for (int i = 0; i < n; i++) {
		uint64_t d = evs[i].data.u64;
		if ((d >> 32) == DPC_EV_DOWN)
			continue; /* the request itself is in the shared page */
		dpc_event(h, d);
		dp_progress(h);
		dpc_serve_posted(vm, h, seen);
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

/* Held (the VM paused, devproc.h): serve wisp's requests only, sleeping
 * on a futex on down_seq that wisp wakes; until DP_RELEASE. */
static void dpc_held(struct vm *vm, struct dev_host *h, uint32_t *seen)
{
	struct dp_shm *s = h->proc->shm;

	for (;;) {
		uint32_t seq = atomic_load(&s->down_seq);
		if (seq == *seen) {
			dp_futex_wait(&s->down_seq, seq, DPC_HELD_SLICE_NS);
			continue;
		}
		*seen = seq;
		bool release = s->down.op == DP_RELEASE;
		dpc_serve(vm, h, seq);
		if (release)
			return;
	}
}

static _Noreturn void dpc_loop(struct vm *vm, struct dev_host *h)
{
	struct dp_shm *s = h->proc->shm;
	uint32_t seen = 0; /* a fresh page: wisp may have posted a request
			    * before this loop starts */

	for (unsigned n = 1;; n++) {
		if (dpc_spin(s, &seen)) {
			/* read before the answer: then wisp may post again */
			bool hold = s->down.op == DP_HOLD;
			dpc_serve(vm, h, seen);
			if (hold)
				dpc_held(vm, h, &seen);
			if (!(n % DPC_POLL_EVERY))
				dpc_poll(vm, h, 0, &seen);
			continue;
		}
		/* Pairs with wisp's store of down_seq before it reads this. */
		atomic_store(&s->child_sleeping, 1);
		if (atomic_load(&s->down_seq) == seen)
			dpc_poll(vm, h, -1, &seen);
		atomic_store(&s->child_sleeping, 0);
	}
}

/* ---- log lines: up-calls, wisp prints them -------------------------------- */

static struct dev_host *dpc_self; /* set once the request page is mapped */

/* This process has no stderr: a line goes to wisp, which attributes it
 * and rate-limits it again. Before the page is mapped there is no one to
 * tell: the line is dropped (wisp reports the process's exit status). */
static void dpc_log_sink(enum log_level lvl, const char *line)
{
	if (!dpc_self)
		return;
	struct dp_shm *s = dpc_self->proc->shm;
	snprintf(s->up.line, sizeof(s->up.line), "%s", line);
	dpc_up(dpc_self->ins, DP_UP_LOG, (uint64_t)lvl, 0, 0);
}

/* ---- after the exec: rebuilding the device from the handover ------------- */

/* The handover, read once into this process's memory and checked: a bad
 * one is a wisp bug, reported by the exit status alone (70). */
static void dpc_handover(struct dp_handover *ho)
{
	char why[120];
	ssize_t n = pread(FD_DPC_SHM, ho, sizeof(*ho), DP_HO_OFF);

	if (dp_handover_check(ho, n < 0 ? 0 : (size_t)n, why, sizeof(why)) < 0)
		_exit(WISP_EXIT_INTERNAL);
}

static void dpc_map_shm(struct devproc *p)
{
	p->shm = mmap(NULL, sizeof(struct dp_shm), PROT_READ | PROT_WRITE,
		      MAP_SHARED, FD_DPC_SHM, 0);
	if (p->shm == MAP_FAILED)
		_exit(WISP_EXIT_OSERR);
	close(FD_DPC_SHM);
}

static void dpc_map_ram(struct mem *m, const struct dp_handover *ho)
{
	struct mem_ram_layout l[DP_HO_MAX_RAM];

	for (unsigned i = 0; i < ho->n_ram; i++)
		l[i] = (struct mem_ram_layout){ ho->ram[i].gpa, ho->ram[i].off,
						ho->ram[i].size };
	if (mem_init_shared(m, FD_MEM, ho->ram_total, l, ho->n_ram) < 0)
		_exit(WISP_EXIT_OSERR);
}

/* The instance from its spec, parsed and checked as wisp parsed it. */
static void dpc_instance(struct dev_ins *ins, const struct dp_handover *ho)
{
	char err[160];

	if (dev_parse_spec(ho->spec, ins, err, sizeof(err)) < 0 ||
	    ho->idx >= ins->reg->max_instances)
		_exit(WISP_EXIT_INTERNAL);
	ins->idx = ho->idx;
	snprintf(ins->name, sizeof(ins->name), "%s.%u", ins->reg->name,
		 ho->idx);
	ins->priv = calloc(1, ins->reg->instance_size ? ins->reg->instance_size
						      : 1);
	if (!ins->priv)
		_exit(WISP_EXIT_OSERR);
}

/* This process's own small VM: guest RAM, one instance, its console. */
static struct dev_host *dpc_rebuild(struct vm *vm, const struct dp_handover *ho)
{
	static struct vm_config cfg;
	struct dev_host *h = &vm->hosts[0];
	struct devproc *p = &vm->procs[0];

	*vm = (struct vm){ .cfg = &cfg, .kvm_fd = -1, .vm_fd = -1, .n_devs = 1,
			   .shot_fd = ho->flags & DP_HO_SCREENSHOT ? FD_SCREENSHOT
								   : -1 };
	iobus_init(&vm->pio, "port", 0x10000);
	dpc_map_ram(&vm->mem, ho);
	dpc_instance(&vm->devs[0], ho);
	*h = (struct dev_host){ .vm = vm, .ins = &vm->devs[0], .proc = p,
				.trusted = ho->flags & DP_HO_TRUSTED,
				.sandboxed = true,
				.rl = (struct ratelimit)RATELIMIT_INIT(10) };
	vm->console = (struct chr){ .out_fd = ho->console_fd, .in_fd = -1 };
	h->chr = ho->console_fd >= 0 ? &vm->console : NULL;
	vm->devs[0].host = h;
	p->n_irqfd = ho->n_irq;
	memcpy(p->irq_gsi, ho->irq_gsi, sizeof(p->irq_gsi));
	dpc_map_shm(p);
	return h;
}

/* Construction again, here: ranges, lines and console input are claimed
 * in this process's own map; timers, doorbells and MMIO2 regions are the
 * ones wisp created, handed over in the order the device made them. What
 * touched the VM (driving a line, mapping a region, logging) was done by
 * wisp's construction and is not done twice. */
static struct {
	const struct dp_handover *ho;
	unsigned timers, ioevents, mmio2;
} dpc_rp;

static int rp_timer_create(struct dev_ins *ins, dev_timer_fn fn, void *opaque)
{
	struct dev_host *h = ins->host;

	if (!fn || dpc_rp.timers >= dpc_rp.ho->n_timers)
		return -EINVAL;
	int fd = dpc_rp.ho->timer_fd[dpc_rp.timers++];
	h->timers[h->n_timers] = (struct dev_timer){ fd, fn, opaque };
	return (int)h->n_timers++;
}

static int rp_ioevent_register(struct dev_ins *ins, enum dev_space space,
			       uint64_t addr, unsigned len, dev_notify_fn fn,
			       void *opaque)
{
	struct dev_host *h = ins->host;
	int rc = fn ? devhlp_ioevent_check(ins, space, addr, len) : -EINVAL;

	if (rc < 0 || dpc_rp.ioevents >= dpc_rp.ho->n_ioevents)
		return rc < 0 ? rc : -ENOSPC;
	int fd = dpc_rp.ho->ioevent_fd[dpc_rp.ioevents++];
	h->ioevents[h->n_ioevents++] = (struct dev_ioevent){ fd, fn, opaque };
	return 0;
}

static int rp_mmio2_create(struct dev_ins *ins, uint64_t size, uint32_t flags)
{
	char name[GMAP_NAME_LEN];
	unsigned i = dpc_rp.mmio2;

	if (i >= dpc_rp.ho->n_mmio2 || dpc_rp.ho->mmio2[i].size != size ||
	    dpc_rp.ho->mmio2[i].flags !=
		    (flags & DEV_MMIO2_TRACK ? MEM_MMIO2_F_TRACK : 0))
		return -EINVAL;
	snprintf(name, sizeof(name), "%s MMIO2", ins->name);
	int h = dpc_rp.ho->mmio2[i].handle;
	int rc = mem_mmio2_adopt(&((struct dev_host *)ins->host)->vm->mem, ins, name, h,
				 FD_DPC_MMIO2_0 + (int)i, size,
				 dpc_rp.ho->mmio2[i].flags);
	dpc_rp.mmio2++;
	return rc < 0 ? rc : h;
}

/* The function wisp placed: its doorbells are the handed-over eventfds
 * after the instance's own, its vectors wisp's irqfds. */
static int rp_pci_register(struct dev_ins *ins, const struct dev_pci_func *f)
{
	return dpc_pci_replay(ins, f, dpc_rp.ho, &dpc_rp.ioevents);
}

static int rp_irq_set(struct dev_ins *ins, unsigned gsi,
		      enum dev_irq_level level)
{
	return 0;
}

static int rp_mmio2_map(struct dev_ins *ins, int h, uint64_t gpa)
{
	return 0;
}

static int rp_mmio2_unmap(struct dev_ins *ins, int h)
{
	return 0;
}

static int rp_mmio2_track(struct dev_ins *ins, int h, bool on)
{
	return 0;
}

static void rp_log(struct dev_ins *ins, enum dev_log_level lvl,
		   const char *fmt, ...)
{
}

static void rp_rx_ready(struct dev_ins *ins)
{
}

static uint32_t dpc_gsi_mask(const struct dp_handover *ho)
{
	uint32_t m = 0;

	for (unsigned i = 0; i < ho->n_irq; i++)
		m |= 1u << ho->irq_gsi[i];
	return m;
}

/* The device made exactly the claims wisp saw, or this is not it. */
static void dpc_replay(struct dev_host *h, const struct dp_handover *ho)
{
	static struct dev_hlp rp;

	rp = *devhlp_table(h->trusted, true);
	rp.timer_create = rp_timer_create;
	rp.ioevent_register = rp_ioevent_register;
	rp.mmio2_create = rp_mmio2_create;
	rp.pci_register = rp_pci_register;
	rp.irq_set = rp_irq_set;
	rp.mmio2_map = rp_mmio2_map;
	rp.mmio2_unmap = rp_mmio2_unmap;
	rp.mmio2_track = rp_mmio2_track;
	rp.log = rp_log;
	rp.chr_rx_ready = rp_rx_ready;
	dpc_rp.ho = ho;
	h->ins->hlp = &rp;
	if (h->ins->reg->ops->construct(h->ins) < 0 ||
	    dpc_rp.timers != ho->n_timers || dpc_rp.ioevents != ho->n_ioevents ||
	    dpc_rp.mmio2 != ho->n_mmio2 || h->irqs != dpc_gsi_mask(ho) ||
	    (ho->pci_slot != 0) != dpc_pci_bound())
		_exit(WISP_EXIT_INTERNAL);
	h->constructed = true;
	h->ins->hlp = devhlp_table(h->trusted, true);
}

/* Mapped, the memfds are not needed, and a process holding one could
 * shrink guest RAM or a region under wisp and KVM. */
static void dpc_close_memfds(struct mem *m)
{
	for (unsigned i = 0; i < MEM_MAX_MMIO2; i++)
		if (m->mmio2[i].used) {
			close(m->mmio2[i].fd);
			m->mmio2[i].fd = -1;
		}
	close(m->memfd);
	m->memfd = -1;
}

/* A display device writes its own screenshots. */
static bool dpc_shots(const struct vm *vm, const struct dev_host *h)
{
	return vm->shot_fd >= 0 && h->ins->reg->ops->display;
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

_Noreturn void devproc_exec_main(void)
{
	static struct vm vm;
	static struct dp_handover ho;
	char role[48];

	prctl(PR_SET_NAME, DEVPROC_ARGV0);
	log_sink = dpc_log_sink;
	dpc_handover(&ho);
	struct dev_host *h = dpc_rebuild(&vm, &ho);
	dpc_self = h;
	dp_handover_files(h, &ho);
	dpc_replay(h, &ho);
	dpc_close_memfds(&vm.mem);
	if (devfile_limit_fsize(h, WISP_DISPLAY && dpc_shots(&vm, h)
					   ? screenshot_max_size() : 0) < 0)
		_exit(WISP_EXIT_OSERR);
	dpc_epoll(h);
	devfile_watch_loop(h, FD_DPC_EPOLL, (uint64_t)DPC_EV_WATCH << 32);
	snprintf(role, sizeof(role), "dev_%s", h->ins->reg->name);
	sandbox_enter(role);
	dpc_loop(&vm, h);
}
