/*
 * monitor/kvm/pause.c - holding a running VM still and letting it go: every
 * vCPU is kicked out of KVM_RUN and parks; every device process finishes
 * what it serves and then serves nothing but wisp's requests, so no DMA,
 * no doorbell and no timer of a device changes guest memory or raises an
 * interrupt; the main loop (evloop.c) stops serving in-process devices'
 * timers, doorbells and files while vm->pause.paused holds. Main thread.
 */
#include <errno.h>

#include "core/vm.h"
#include "devhost/devproc.h"
#include "kvm/kvm.h"

/* A kicked vCPU: while a pause is wanted, count itself parked and wait. */
void vcpu_park(struct vcpu *v)
{
	struct vm_pause *p = &v->vm->pause;

	pthread_mutex_lock(&p->lock);
	if (p->want && !atomic_load(&v->vm->stopping)) {
		p->parked++;
		pthread_cond_broadcast(&p->cond);
		while (p->want && !atomic_load(&v->vm->stopping))
			pthread_cond_wait(&p->cond, &p->lock);
		p->parked--;
	}
	pthread_mutex_unlock(&p->lock);
}

static unsigned vcpus_started(const struct vm *vm)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vm->ncpus; i++)
		n += vm->vcpus[i].started;
	return n;
}

/* Every started vCPU parked (or the VM stopping). */
static void vcpus_hold(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;
	unsigned want = vcpus_started(vm);

	pthread_mutex_lock(&p->lock);
	p->want = true;
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_mutex_lock(&p->lock);
	while (p->parked < want && !atomic_load(&vm->stopping))
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

/* Parked vCPUs go on (or, the VM stopping, end their loops). */
void vcpus_unpark(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;

	pthread_mutex_lock(&p->lock);
	p->want = false;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void devprocs_hold(struct vm *vm, bool hold)
{
	for (unsigned i = 0; i < vm->n_devs; i++) {
		struct dev_host *h = &vm->hosts[i];
		if (!h->proc)
			continue;
		devproc_lock_main(h);
		devproc_hold(h, hold);
		pthread_mutex_unlock(&h->lock);
	}
}

int vm_pause(struct vm *vm)
{
	if (atomic_load(&vm->pause.paused))
		return 0;
	if (atomic_load(&vm->stopping))
		return -ESHUTDOWN;
	/* A worker thread (the hvt net ring) serves the guest on its own; no
	 * profile with the control plane has one, and none is held. */
	for (unsigned i = 0; i < vm->n_devs; i++)
		if (vm->hosts[i].worker_started)
			return -EOPNOTSUPP;
	vcpus_hold(vm);
	devprocs_hold(vm, true);
	atomic_store(&vm->pause.paused, true);
	return atomic_load(&vm->stopping) ? -ESHUTDOWN : 0;
}

int vm_resume(struct vm *vm)
{
	if (!atomic_load(&vm->pause.paused))
		return 0;
	devprocs_hold(vm, false);
	atomic_store(&vm->pause.paused, false);
	vcpus_unpark(vm);
	return 0;
}
