/*
 * monitor/ctl/ctl_int.h - what the control plane's own files share (the
 * socket's thread, the mailbox, the event ring); nothing outside ctl/
 * includes it.
 */
#ifndef WISP_CTL_INT_H
#define WISP_CTL_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "ctl/ctl.h"

#define CTL_EVENTS 64       /* the ring: the last 64 events are kept */
#define CTL_EV_TEXT 96      /* an event's device or cause, truncated */

struct ctl_ev_rec {
	enum vm_event ev;
	uint64_t t_ns;
	int status;
	char device[32];
	char cause[CTL_EV_TEXT];
};

struct ctl {
	struct vm *vm;
	pthread_t thread;
	bool started;
	atomic_bool quit;
	unsigned allow_uid;       /* besides root: wisp's own uid */
	uint64_t tsc0, mono0;     /* TSC calibration for run/wisp time */
	/* the mailbox: one request at a time (the control thread waits);
	 * mail_rc is the answer when mail_done reached the request's seq */
	enum ctl_op mail_op;
	uint64_t mail_seq;
	_Atomic uint64_t mail_done;
	int mail_rc;
	char mail_err[160];
	/* the event ring, under ev_lock: events [ev_seq - n, ev_seq) */
	pthread_mutex_t ev_lock;
	struct ctl_ev_rec ring[CTL_EVENTS];
	uint64_t ev_seq;
	/* clients: slot n is fd FD_CTL_CLI0 + n */
	bool used[FD_CTL_CLI_MAX];
	uint64_t ev_next[FD_CTL_CLI_MAX]; /* next event seq a client gets */
	struct ctl_client cli[FD_CTL_CLI_MAX];
	stat_t n_clients, n_replies, n_events, n_dropped;
};

/* ctl_vm.c: the backend wisp gives the dispatcher. */
extern const struct ctl_backend ctl_vm_backend;

/* ctl_ev.c: events from index `from` on, copied out under the lock; the
 * count copied, and *from moved past them (or to the oldest kept). */
unsigned ctl_events_take(struct ctl *c, uint64_t *from,
			 struct ctl_ev_rec *out, unsigned max);

#endif
