/* monitor/kvm/vcpu.c - vCPU creation, threads and the KVM_RUN loop. */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "core/exitcode.h"
#include "policy.h"
#include "core/vm.h"
#include "jail/jail.h"
#include "kvm/kvm.h"

/* The kick signal only interrupts KVM_RUN; the handler does nothing because
 * the kicker already set immediate_exit. */
#define SIG_KICK WISP_SIG_KICK

static void kick_handler(int sig)
{
	(void)sig;
}

#define CPUID_MAX 256

/* KVM_GET_SUPPORTED_CPUID costs ~0.4 ms here (the kernel runs CPUID for
 * every leaf, each a trap when wisp itself runs nested): once per VM. */
static int vcpu_supported_cpuid(struct vm *vm)
{
	struct kvm_cpuid2 *c;

	if (vm->cpuid)
		return 0;
	c = calloc(1, sizeof(*c) + CPUID_MAX * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = CPUID_MAX;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		int rc = -errno;
		free(c);
		return rc;
	}
	vm->cpuid = c;
	return 0;
}

/* Give the guest the host's supported CPUID, with this vCPU's APIC ID:
 * patched in place (every vCPU rewrites the same fields), freed after the
 * last vCPU so it costs no memory while the guest runs. */
static int vcpu_set_cpuid(struct vm *vm, struct vcpu *v)
{
	int rc = vcpu_supported_cpuid(vm);
	struct kvm_cpuid2 *c = vm->cpuid;

	for (unsigned i = 0; rc == 0 && i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffffu) | (v->idx << 24);
			/* KVM leaves the hypervisor bit to the VMM; Linux looks
			 * for kvm-clock's leaves (0x40000000) only when it is set */
			e->ecx |= 1u << 31;
		}
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = v->idx;
	}
	if (rc == 0 && ioctl(v->fd, KVM_SET_CPUID2, c) < 0)
		rc = -errno;
	if (rc < 0 || v->idx + 1 == vm->ncpus) {
		free(vm->cpuid);
		vm->cpuid = NULL;
	}
	return rc;
}

int vcpu_create(struct vm *vm, unsigned idx)
{
	struct vcpu *v = &vm->vcpus[idx];
	int sz;

	v->vm = vm;
	v->idx = idx;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, idx);
	if (v->fd < 0)
		return -errno;
	v->fd = fd_pin(v->fd, FD_VCPU0 + (int)idx);
	sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run))
		return -EINVAL;
	v->run_size = (size_t)sz;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED)
		return -errno;
	int rc = vcpu_set_cpuid(vm, v);
	if (rc < 0)
		return rc;
	return cpu_boot_setup(v->fd, &vm->boot, &vm->mem, idx, vm->ncpus);
}

/* Sampled by the halt watchdog: a vCPU halted with interrupts disabled can
 * never wake (wisp injects no NMI or INIT). */
static void vcpu_sample_halt(struct vcpu *v)
{
	struct kvm_mp_state mp;
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0 ||
	    mp.mp_state != KVM_MP_STATE_HALTED ||
	    ioctl(v->fd, KVM_GET_REGS, &regs) < 0) {
		atomic_store(&v->halted_dead, false);
		return;
	}
	atomic_store(&v->halt_rip, regs.rip);
	atomic_store(&v->halted_dead, (regs.rflags & (1u << 9)) == 0);
}

/* Out of KVM_RUN: tell a holder waiting for the last one. */
static void vcpu_gate_leave(struct vcpu *v)
{
	struct vm *vm = v->vm;

	atomic_store(&v->in_run, false);
	if (!atomic_load(&vm->held))
		return;
	pthread_mutex_lock(&vm->hold_lock);
	pthread_cond_broadcast(&vm->hold_cond);
	pthread_mutex_unlock(&vm->hold_lock);
}

/* Into KVM_RUN only while no one holds the vCPUs. in_run is stored before
 * held is read, and the holder does the opposite (both seq_cst): either
 * this vCPU sees held and waits, or the holder sees in_run and kicks. */
static void vcpu_gate_enter(struct vcpu *v)
{
	struct vm *vm = v->vm;

	for (;;) {
		atomic_store(&v->in_run, true);
		if (!atomic_load(&vm->held))
			return;
		vcpu_gate_leave(v);
		pthread_mutex_lock(&vm->hold_lock);
		while (atomic_load(&vm->held))
			pthread_cond_wait(&vm->hold_cond, &vm->hold_lock);
		pthread_mutex_unlock(&vm->hold_lock);
	}
}

static bool vcpus_in_run(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (atomic_load(&vm->vcpus[i].in_run))
			return true;
	return false;
}

/* mem's writers.stop, from any thread but never with mem's lock held; a
 * vCPU thread calls it from an exit, so it is not in KVM_RUN itself. */
static void vcpus_hold(void *ctx)
{
	struct vm *vm = ctx;

	pthread_mutex_lock(&vm->hold_one);
	atomic_store(&vm->held, true);
	pthread_mutex_lock(&vm->hold_lock);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (atomic_load(&vm->vcpus[i].in_run))
			vcpu_kick(&vm->vcpus[i]);
	while (vcpus_in_run(vm))
		pthread_cond_wait(&vm->hold_cond, &vm->hold_lock);
	pthread_mutex_unlock(&vm->hold_lock);
}

static void vcpus_release(void *ctx)
{
	struct vm *vm = ctx;

	pthread_mutex_lock(&vm->hold_lock);
	atomic_store(&vm->held, false);
	pthread_cond_broadcast(&vm->hold_cond);
	pthread_mutex_unlock(&vm->hold_lock);
	pthread_mutex_unlock(&vm->hold_one);
}

void vcpus_hold_init(struct vm *vm)
{
	pthread_mutex_init(&vm->hold_one, NULL);
	pthread_mutex_init(&vm->hold_lock, NULL);
	pthread_cond_init(&vm->hold_cond, NULL);
	vm->mem.writers = (struct mem_writers){ vcpus_hold, vcpus_release,
						vm };
}

/* Returns false when the loop must end. */
static bool vcpu_run_once(struct vcpu *v)
{
	uint64_t t0 = __builtin_ia32_rdtsc();

	vcpu_gate_enter(v);
	int rc = ioctl(v->fd, KVM_RUN, 0);
	vcpu_gate_leave(v);
	/* Metrics: the TSC, no clock call on the exit path. */
	stat_add(&v->run_tsc, __builtin_ia32_rdtsc() - t0);
	if (rc == 0) {
		atomic_fetch_add_explicit(&v->exits, 1, memory_order_relaxed);
		return exit_dispatch(v);
	}
	if (errno != EINTR && errno != EAGAIN) {
		wlog(LOG_ERR, "vCPU %u: KVM_RUN: %s", v->idx, strerror(errno));
		vm_request_stop(v->vm, WISP_EXIT_OSERR, "KVM_RUN failed");
		return false;
	}
	v->run->immediate_exit = 0;
	if (atomic_load(&v->vm->stopping))
		return false;
	vcpu_park(v); /* kicked for a pause: held here until resumed */
	vcpu_sample_halt(v);
	return true;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	sandbox_enter("vcpu");
	atomic_store(&v->start_tsc, __builtin_ia32_rdtsc());
	while (!atomic_load(&v->vm->stopping) && vcpu_run_once(v))
		;
	return NULL;
}

/* Called from the main thread, which keeps every signal blocked; vCPU
 * threads inherit that mask and unblock only the kick. */
int vcpu_start(struct vcpu *v)
{
	static const struct sigaction sa = { .sa_handler = kick_handler };

	if (v->idx == 0 && sigaction(SIG_KICK, &sa, NULL) < 0)
		return -errno;
	int rc = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (rc)
		return -rc;
	v->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->started)
		return;
	/* Set before the signal: if it lands just before KVM_RUN enters the
	 * guest, immediate_exit still makes KVM_RUN return at once. */
	v->run->immediate_exit = 1;
	pthread_kill(v->thread, SIG_KICK);
}

/* Watchdog tick (main thread): sample vCPUs that made no exit since the last
 * tick; when every vCPU is halted with interrupts off, the VM is dead. */
void vcpus_halt_check(struct vm *vm)
{
	unsigned dead = 0;

	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		uint64_t e = atomic_load(&v->exits);
		if (e == v->wd_last)
			vcpu_kick(v);
		else
			atomic_store(&v->halted_dead, false);
		v->wd_last = e;
		dead += atomic_load(&v->halted_dead);
	}
	if (dead < vm->ncpus || atomic_load(&vm->stopping))
		return;
	wlog(LOG_ERR, "vCPU 0: halted with interrupts disabled (rip 0x%llx)%s",
	     (unsigned long long)atomic_load(&vm->vcpus[0].halt_rip),
	     vm->ncpus > 1 ? ", and so is every other vCPU" : "");
	vm_request_stop(vm, WISP_EXIT_HLT,
			"every vCPU halted with interrupts disabled");
}
