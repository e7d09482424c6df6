/*
 * monitor/ctl/ctl_ev.c - lifecycle events. Any thread posts one (a vCPU
 * for a panic or a reboot, the main thread for pause and exit): a record
 * copied into a ring under a lock held for that copy only, then the
 * control thread is woken; it formats and sends (no thread but that one
 * allocates or touches a client). The ring keeps the last CTL_EVENTS.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "ctl/ctl_int.h"

void ctl_event(struct vm *vm, enum vm_event ev, const char *device,
	       const char *cause, int status)
{
	struct ctl *c = vm ? vm->ctl : NULL;
	uint64_t one = 1;

	if (!c)
		return;
	pthread_mutex_lock(&c->ev_lock);
	struct ctl_ev_rec *r = &c->ring[c->ev_seq % CTL_EVENTS];
	r->ev = ev;
	r->t_ns = uptime_ns();
	r->status = status;
	snprintf(r->device, sizeof(r->device), "%s", device ? device : "");
	snprintf(r->cause, sizeof(r->cause), "%s", cause ? cause : "");
	c->ev_seq++;
	pthread_mutex_unlock(&c->ev_lock);
	stat_add(&c->n_events, 1);
	(void)!write(FD_CTL_EVENT, &one, sizeof(one));
}

unsigned ctl_events_take(struct ctl *c, uint64_t *from,
			 struct ctl_ev_rec *out, unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&c->ev_lock);
	if (c->ev_seq > CTL_EVENTS && *from < c->ev_seq - CTL_EVENTS)
		*from = c->ev_seq - CTL_EVENTS; /* older ones are gone */
	for (; *from < c->ev_seq && n < max; (*from)++)
		out[n++] = c->ring[*from % CTL_EVENTS];
	pthread_mutex_unlock(&c->ev_lock);
	return n;
}
