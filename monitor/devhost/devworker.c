/*
 * monitor/devhost/devworker.c - device worker threads (worker_start in the helper
 * table): started once the VM runs, after the privilege drop, each under
 * the vCPU sandbox; stopped after the vCPUs by ringing the device's
 * doorbell (doorbell_wait then says -ECANCELED) and joining.
 */
#include <string.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "policy.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "jail/jail.h"

static void *worker_thread(void *arg)
{
	struct dev_host *h = arg;

	sandbox_enter("vcpu"); /* device code, as on a vCPU thread */
	h->worker(h->ins, h->worker_opaque);
	return NULL;
}

void dev_workers_start(struct vm *vm)
{
	for (unsigned i = 0; i < vm->n_devs; i++) {
		struct dev_host *h = &vm->hosts[i];
		if (!h->worker)
			continue;
		int rc = pthread_create(&h->worker_thread, NULL, worker_thread, h);
		if (rc)
			die(WISP_EXIT_OSERR, "%s: worker thread: %s", h->ins->name,
			    strerror(rc));
		h->worker_started = true;
	}
}

void dev_workers_stop(struct vm *vm)
{
	uint64_t one = 1;

	for (unsigned i = 0; i < vm->n_devs; i++) {
		struct dev_host *h = &vm->hosts[i];
		if (!h->worker_started)
			continue;
		if (h->has_doorbell)
			(void)!write(FD_DOORBELL, &one, sizeof(one));
		pthread_join(h->worker_thread, NULL);
		h->worker_started = false;
	}
}
