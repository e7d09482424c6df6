/*
 * monitor/ctl/ctl_vm.c - the VM as the dispatcher sees it. A command that
 * changes the VM is put in the mailbox and run by the main thread, in the
 * functions its event loop and signals use (vm_pause, vm_resume,
 * vm_request_stop), so no VM state has two writers; the control thread
 * waits for the answer. `info` and `metrics` read counters in place.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "policy.h"
#include "ctl/ctl_int.h"
#include "kvm/kvm.h"

/* ---- the mailbox ------------------------------------------------------------ */

static int vm_act(void *opaque, enum ctl_op op, char *err, size_t errlen)
{
	struct ctl *c = opaque;
	uint64_t one = 1, n;

	if (atomic_load(&c->quit))
		return -ESHUTDOWN;
	uint64_t seq = ++c->mail_seq;
	c->mail_op = op;
	c->mail_err[0] = '\0';
	if (write(FD_CTL_REQ, &one, sizeof(one)) != sizeof(one) ||
	    read(FD_CTL_ACK, &n, sizeof(n)) != sizeof(n))
		return -EIO;
	/* Served: its answer, even when the VM began to stop meanwhile (a
	 * `kill` that worked is ok); woken by ctl_stop unserved: stopping. */
	if (atomic_load(&c->mail_done) != seq)
		return -ESHUTDOWN;
	snprintf(err, errlen, "%s", c->mail_err);
	return c->mail_rc;
}

/* stop: the guest's own power-off path (an ACPI power button) when a
 * device offers one; a paused guest is let go first so it can act. */
static int main_stop(struct vm *vm, struct ctl *c)
{
	vm_resume(vm);
	for (unsigned i = 0; i < vm->n_devs; i++) {
		struct dev_host *h = &vm->hosts[i];
		int (*press)(struct dev_ins *) = h->ins->reg->ops->power_button;
		if (!press || h->proc)
			continue;
		pthread_mutex_lock(&h->lock);
		int rc = press(h->ins);
		pthread_mutex_unlock(&h->lock);
		if (rc == 0) {
			wlog(LOG_INFO, "control socket: stop: %s pressed the "
			     "power button", h->ins->name);
			return 0;
		}
	}
	wlog(LOG_INFO, "control socket: stop: no power button; stopping");
	vm_request_stop(vm, WISP_EXIT_SIGNAL_BASE + SIGTERM, "stop");
	return 0;
}

static int main_run(struct vm *vm, struct ctl *c, enum ctl_op op)
{
	bool was = atomic_load(&vm->pause.paused);
	int rc;

	switch (op) {
	case CTL_OP_PAUSE:
		rc = vm_pause(vm);
		if (rc == 0 && !was)
			vm_event(vm, VM_EV_PAUSED, NULL, NULL, 0);
		return rc;
	case CTL_OP_RESUME:
		rc = vm_resume(vm);
		if (rc == 0 && was)
			vm_event(vm, VM_EV_RESUMED, NULL, NULL, 0);
		return rc;
	case CTL_OP_STOP:
		return main_stop(vm, c);
	case CTL_OP_KILL:
		wlog(LOG_INFO, "control socket: kill: stopping the VM");
		vm_request_stop(vm, WISP_EXIT_SIGNAL_BASE + SIGTERM, "kill");
		return 0;
	}
	return -EINVAL;
}

void ctl_serve_main(struct vm *vm)
{
	struct ctl *c = vm->ctl;
	uint64_t n, one = 1;

	if (read(FD_CTL_REQ, &n, sizeof(n)) != sizeof(n))
		return;
	c->mail_rc = main_run(vm, c, c->mail_op);
	if (c->mail_rc == -EOPNOTSUPP)
		snprintf(c->mail_err, sizeof(c->mail_err),
			 "a device worker thread cannot be held");
	else if (c->mail_rc == -ESHUTDOWN)
		snprintf(c->mail_err, sizeof(c->mail_err), "the VM is stopping");
	atomic_store(&c->mail_done, c->mail_seq);
	(void)!write(FD_CTL_ACK, &one, sizeof(one));
}

/* ---- info ------------------------------------------------------------------- */

static const char *vm_state(struct vm *vm)
{
	if (atomic_load(&vm->stopping))
		return "stopping";
	return atomic_load(&vm->pause.paused) ? "paused" : "running";
}

static void vm_info(void *opaque, struct ctl_info *out)
{
	struct ctl *c = opaque;
	struct vm *vm = c->vm;

	out->profile = WISP_PROFILE;
	out->version = WISP_VERSION;
	out->state = vm_state(vm);
	out->ncpus = vm->ncpus;
	out->mem_bytes = vm->mem.size;
	out->uptime_ns = uptime_ns();
	out->ndevs = vm->n_devs;
	for (unsigned i = 0; i < vm->n_devs; i++) {
		out->dev[i].name = vm->devs[i].name;
		out->dev[i].sandboxed = vm->hosts[i].sandboxed;
		out->dev[i].trusted = vm->hosts[i].trusted;
	}
}

/* ---- metrics ---------------------------------------------------------------- */

/* Resident bytes from a statm file ("size resident ..." in pages). */
static int64_t statm_rss(int fd)
{
	char buf[128];
	unsigned long long size, res;
	ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &res) != 2)
		return -1;
	return (int64_t)res * 4096;
}

/* TSC ticks to ns, by the rate measured since the thread started. */
static uint64_t tsc_ns(const struct ctl *c, uint64_t ticks)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t mono = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	uint64_t dt = __builtin_ia32_rdtsc() - c->tsc0, dm = mono - c->mono0;
	return dt && dm ? (uint64_t)((long double)ticks * dm / dt) : 0;
}

static void vcpu_metrics(struct ctl *c, struct vcpu *v, struct ctl_vcpu_m *m)
{
	uint64_t start = stat_get(&v->start_tsc), run = stat_get(&v->run_tsc);
	uint64_t all = start ? __builtin_ia32_rdtsc() - start : 0;

	for (unsigned k = 0; k < VX_KINDS && k < CTL_EXIT_KINDS; k++)
		m->exits[k] = stat_get(&v->exit_kind[k]);
	m->run_ns = tsc_ns(c, run);
	m->wisp_ns = all > run ? tsc_ns(c, all - run) : 0;
}

static void dev_metrics(struct dev_host *h, struct ctl_dev_m *m)
{
	m->name = h->ins->name;
	m->sandboxed = h->proc != NULL;
	m->accesses = stat_get(&h->accesses);
	pthread_mutex_lock(&h->rl.lock);
	m->log_dropped = h->rl.dropped;
	pthread_mutex_unlock(&h->rl.lock);
	m->upcalls = stat_get(&h->upcalls);
	m->answers = stat_get(&h->answers);
	for (unsigned b = 0; b < CTL_LAT_BUCKETS; b++)
		m->lat[b] = stat_get(&h->answer_lat[b]);
	m->rss_bytes = h->proc ? statm_rss(h->proc->statm_fd) : -1;
}

static void vm_metrics(void *opaque, struct ctl_metrics *m)
{
	struct ctl *c = opaque;
	struct vm *vm = c->vm;

	m->uptime_ns = uptime_ns();
	m->rss_bytes = statm_rss(FD_CTL_STATM);
	m->dirty_pages = __atomic_load_n(&vm->mem.dirty_pages, __ATOMIC_RELAXED);
	m->clients = stat_get(&c->n_clients);
	m->replies = stat_get(&c->n_replies);
	m->events = stat_get(&c->n_events);
	m->dropped = stat_get(&c->n_dropped);
	m->ncpus = vm->ncpus;
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_metrics(c, &vm->vcpus[i], &m->vcpu[i]);
	m->ndevs = vm->n_devs;
	for (unsigned i = 0; i < vm->n_devs; i++)
		dev_metrics(&vm->hosts[i], &m->dev[i]);
}

const struct ctl_backend ctl_vm_backend = {
	.act = vm_act,
	.info = vm_info,
	.metrics = vm_metrics,
};
