/*
 * fuzz/fuzz_core.c - the fake host's lowest layer (see fuzz_hlp.h): finding
 * an instance's record, the invariant failure, the guest-visible ranges'
 * lookup, console input and the virtual clock's timers. The helper calls
 * (fuzz_hlp.c, fuzz_file.c) are built on these and nothing here calls them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_core.h"

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz invariant failed: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

struct fuzz_dev *fuzz_dev_of(struct fuzz_host *h, const struct dev_ins *ins)
{
	for (unsigned i = 0; i < FUZZ_MAX_DEVS; i++)
		if (h->devs[i].used && &h->devs[i].ins == ins)
			return &h->devs[i];
	return NULL;
}

/* The caller's record; a device passing a foreign ins is a harness bug. */
struct fuzz_dev *fuzz_caller(struct dev_ins *ins)
{
	struct fuzz_dev *d = ins ? fuzz_dev_of(ins->host, ins) : NULL;

	if (!d)
		fuzz_fail("helper called with an instance the host does not own");
	return d;
}

const struct fuzz_range *fuzz_range_find(const struct fuzz_host *h,
					 enum dev_space space, uint64_t addr,
					 unsigned size)
{
	for (size_t i = 0; i < h->n_ranges; i++) {
		const struct fuzz_range *r = &h->ranges[i];
		if (r->space != space || addr < r->base ||
		    addr - r->base >= r->len)
			continue;
		/* The whole access in one range, as iobus_find demands. */
		return addr - r->base + size > r->len ? NULL : r;
	}
	return NULL;
}

int fuzz_doorbell_check(struct dev_ins *ins, enum dev_space space,
			uint64_t addr, unsigned len)
{
	const struct fuzz_range *r = fuzz_range_find(ins->host, space, addr, len);

	return hlp_check_bell(ins, space, len, fuzz_caller(ins)->constructed,
			      r ? r->owner : NULL);
}

/* --- console input --- */

static void chr_offer(struct fuzz_dev *d)
{
	size_t took = d->rx(&d->ins, d->pend, d->pend_len);

	if (took > d->pend_len)
		fuzz_fail("%s took %zu of %zu input bytes", d->ins.name, took,
			  d->pend_len);
	memmove(d->pend, d->pend + took, d->pend_len - took);
	d->pend_len -= took;
	d->rx_waiting = d->pend_len != 0;
}

void fuzz_chr_pump(struct fuzz_host *h)
{
	for (unsigned i = 0; i < FUZZ_MAX_DEVS; i++) {
		struct fuzz_dev *d = &h->devs[i];
		if (d->used && d->rx && d->pend_len && !d->rx_waiting)
			chr_offer(d);
	}
}

size_t fuzz_chr_input(struct fuzz_host *h, struct dev_ins *ins,
		      const uint8_t *buf, size_t len)
{
	struct fuzz_dev *d = fuzz_dev_of(h, ins);

	if (!d || !d->rx)
		return 0; /* no input callback: nothing will ever arrive */
	size_t n = FUZZ_PEND_MAX - d->pend_len;
	n = len < n ? len : n;
	memcpy(d->pend + d->pend_len, buf, n);
	d->pend_len += n;
	fuzz_chr_pump(h);
	return n;
}

size_t fuzz_chr_held(struct fuzz_host *h, struct dev_ins *ins)
{
	struct fuzz_dev *d = fuzz_dev_of(h, ins);

	return d ? d->pend_len : 0;
}

/* --- timers --- */

static struct fuzz_timer *earliest_due(struct fuzz_host *h,
				       struct fuzz_dev **owner)
{
	struct fuzz_timer *best = NULL;

	for (unsigned i = 0; i < FUZZ_MAX_DEVS; i++) {
		struct fuzz_dev *d = &h->devs[i];
		for (unsigned t = 0; d->used && t < d->n_timers; t++) {
			struct fuzz_timer *tm = &d->timers[t];
			if (tm->armed && tm->deadline <= h->now_ns &&
			    (!best || tm->deadline < best->deadline)) {
				best = tm;
				*owner = d;
			}
		}
	}
	return best;
}

static void timer_call(struct fuzz_host *h, struct fuzz_dev *d,
		       struct fuzz_timer *tm)
{
	tm->armed = false; /* one-shot: the callback may arm it again */
	tm->fired++;
	tm->fn(&d->ins, tm->opaque);
	fuzz_chr_pump(h);
}

/* A device re-arming with a tiny delay must not spin the harness forever. */
#define FUZZ_MAX_FIRES_PER_ADVANCE 64

void fuzz_advance(struct fuzz_host *h, uint64_t ns)
{
	struct fuzz_dev *d = NULL;
	struct fuzz_timer *tm;

	if (__builtin_add_overflow(h->now_ns, ns, &h->now_ns))
		h->now_ns = UINT64_MAX;
	for (int i = 0; i < FUZZ_MAX_FIRES_PER_ADVANCE &&
			(tm = earliest_due(h, &d)) != NULL; i++)
		timer_call(h, d, tm);
}

int fuzz_timer_fire(struct fuzz_host *h, struct dev_ins *ins, unsigned id)
{
	struct fuzz_dev *d = fuzz_dev_of(h, ins);

	if (!d || id >= d->n_timers)
		return -EINVAL;
	timer_call(h, d, &d->timers[id]);
	return 0;
}

