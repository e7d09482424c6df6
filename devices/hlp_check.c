/*
 * devices/hlp_check.c - the helper table's checks (see hlp_check.h): pure,
 * the same for wisp's tables and the fake host's.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "hlp_check.h"

static bool space_ok(enum dev_space space)
{
	return space == DEV_SPACE_PIO || space == DEV_SPACE_MMIO;
}

int hlp_check_io_register(enum dev_space space, const struct dev_io_ops *ops,
			  bool constructed)
{
	return space_ok(space) && ops && !constructed ? 0 : -EINVAL;
}

int hlp_check_io_unregister(enum dev_space space, bool constructed)
{
	return space_ok(space) && !constructed ? 0 : -EINVAL;
}

int hlp_check_span(uint64_t base, uint64_t len, uint64_t limit, uint64_t *end)
{
	if (len == 0 || __builtin_add_overflow(base, len, end) || *end > limit)
		return -EINVAL;
	return 0;
}

int hlp_check_bell(const struct dev_ins *ins, enum dev_space space,
		   unsigned len, bool constructed, const struct dev_ins *owner)
{
	if (!space_ok(space) || constructed ||
	    (len != 1 && len != 2 && len != 4 && len != 8))
		return -EINVAL;
	/* Only inside what the caller itself registered. */
	return owner && owner == ins ? 0 : -EPERM;
}

int hlp_check_ioevent(dev_notify_fn fn, int bell, unsigned n_own,
		      bool host_full)
{
	if (!fn || bell < 0)
		return !fn ? -EINVAL : bell;
	return n_own >= DEV_MAX_IOEVENTS || host_full ? -ENOSPC : 0;
}

int hlp_check_irq_claim(unsigned gsi, bool constructed, bool taken)
{
	/* GSI 2 is the PIC cascade; nothing may drive it. */
	if (gsi >= HLP_NR_GSI || gsi == 2 || constructed)
		return -EINVAL;
	return taken ? -EBUSY : 0;
}

int hlp_check_irq_set(uint32_t owned, unsigned gsi, enum dev_irq_level level)
{
	if (gsi >= HLP_NR_GSI || !(owned & (1u << gsi)))
		return -EPERM;
	switch (level) {
	case DEV_IRQ_LOW:
	case DEV_IRQ_HIGH:
	case DEV_IRQ_PULSE:
		return 0;
	}
	return -EINVAL;
}

int hlp_check_timer_create(dev_timer_fn fn, bool constructed,
			   unsigned n_timers, bool host_full)
{
	if (!fn || constructed || n_timers >= HLP_MAX_TIMERS || host_full)
		return -EINVAL;
	return 0;
}

int hlp_check_timer_arm(int timer, unsigned n_timers)
{
	return timer < 0 || (unsigned)timer >= n_timers ? -EINVAL : 0;
}

int hlp_check_chr_set_tx(dev_chr_tx_fn fn, bool constructed)
{
	return !fn || constructed ? -EINVAL : 0;
}

int hlp_check_mmio2_create(uint32_t flags, bool constructed)
{
	return constructed || (flags & ~DEV_MMIO2_TRACK) ? -EINVAL : 0;
}

int hlp_check_blob(const char *have, const char *key)
{
	return !have || !key || strcmp(have, key) ? -ENOENT : 0;
}

int hlp_check_file(const struct hlp_files *f, unsigned key, bool write)
{
	if (key >= DEV_FILE_KEYS || !((f->keys >> key) & 1))
		return -EPERM;
	if (write && ((f->ro >> key) & 1))
		return -EBADF;
	return 0;
}

int hlp_check_file_io(const struct hlp_files *f, unsigned key, bool write,
		      const void *buf, size_t len, uint64_t off)
{
	int rc = hlp_check_file(f, key, write);

	if (rc < 0)
		return rc;
	return off > INT64_MAX || hlp_buf_bad(buf, len) ? -EINVAL : 0;
}

int hlp_check_file_stream(const struct hlp_files *f, unsigned key, bool write,
			  const void *buf, size_t len)
{
	int rc = hlp_check_file(f, key, write);

	if (rc < 0)
		return rc;
	return hlp_buf_bad(buf, len) ? -EINVAL : 0;
}

int hlp_check_file_size(const struct hlp_files *f, unsigned key,
			const uint64_t *size)
{
	int rc = hlp_check_file(f, key, false);

	return rc < 0 ? rc : size ? 0 : -EINVAL;
}

int hlp_check_falloc(const struct hlp_files *f, unsigned key, uint64_t off,
		     uint64_t len)
{
	int rc = hlp_check_file(f, key, true);

	if (rc < 0)
		return rc;
	if (off > INT64_MAX || len > INT64_MAX - off)
		return -EINVAL;
	return len ? 0 : 1;
}

int hlp_check_watch(const struct hlp_files *f, unsigned key, dev_notify_fn fn,
		    bool constructed, bool taken, bool full)
{
	if (!fn || constructed)
		return -EINVAL;
	if (hlp_check_file(f, key, false) < 0 || !((f->pollable >> key) & 1))
		return -EPERM;
	return taken || full ? -EBUSY : 0;
}

int hlp_worker_record(dev_worker_fn *slot, void **slot_opaque,
		      bool constructed, dev_worker_fn fn, void *opaque)
{
	if (constructed || *slot || !fn)
		return -EINVAL;
	*slot = fn;
	*slot_opaque = opaque;
	return 0;
}
