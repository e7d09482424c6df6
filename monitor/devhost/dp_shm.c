/*
 * monitor/devhost/dp_shm.c - what both sides of a device process share:
 * the futex on a word of the request page, and the fd block numbering.
 */
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "devhost/devhost.h"
#include "devhost/devproc.h"

void dp_futex_wait(_Atomic uint32_t *w, uint32_t val, long ns)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ns };

	/* Not FUTEX_PRIVATE: the word lives in memory shared with a child. */
	syscall(SYS_futex, w, FUTEX_WAIT, val, &ts, NULL, 0);
}

void dp_futex_wake(_Atomic uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Relaxed: wisp only compares the counter with what it saw before. */
void dp_progress(const struct dev_host *h)
{
	if (h && h->sandboxed && h->proc && h->proc->shm)
		atomic_fetch_add_explicit(&h->proc->shm->progress, 1,
					  memory_order_relaxed);
}

void dp_in_io(const struct dev_host *h, bool on)
{
	if (!h || !h->sandboxed || !h->proc || !h->proc->shm)
		return;
	if (!on)
		dp_progress(h);
	atomic_store(&h->proc->shm->in_io, on);
}

int dp_fd(const struct devproc *p, int which)
{
	return FD_DP0 + p->slot * FD_DP_STRIDE + which;
}
