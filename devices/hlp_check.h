/*
 * devices/hlp_check.h - the checks of the helper table (dev.h), once, for
 * every host that implements it: wisp's tables (monitor/devhost/devhlp.c,
 * devfile.c, a device process's dpc_calls), the fake host the unit tests
 * and fuzz targets drive devices through (fuzz/fuzz_hlp.c, fuzz_file.c).
 *
 * Each check is pure: it is given what the host knows about the calling
 * instance (constructed yet, the keys and lines it owns, the owner of the
 * range an address falls in) and says 0 or the call's error code. The host
 * then does the effect (an ioctl or a pwrite in wisp, a buffer and a record
 * in the fake), so a device the fuzzers pass is refused and answered in
 * production exactly as there: a difference can only be an effect's.
 */
#ifndef WISP_HLP_CHECK_H
#define WISP_HLP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev.h"

#define HLP_NR_GSI 24    /* KVM's in-kernel IOAPIC pins (VM_NR_GSI) */
#define HLP_MAX_TIMERS 4 /* per instance (DEV_MAX_TIMERS) */

/* io_register: a known space, ops, during construction (-EINVAL). */
int hlp_check_io_register(enum dev_space space, const struct dev_io_ops *ops,
			  bool constructed);
/* io_unregister: a known space, during construction (-EINVAL). */
int hlp_check_io_unregister(enum dev_space space, bool constructed);
/* A range [base, base + len) in a space ending at limit: not empty, no
 * wrap, inside (-EINVAL); *end gets base + len. */
int hlp_check_span(uint64_t base, uint64_t len, uint64_t limit, uint64_t *end);
/* Both doorbell kinds (ioevent_register, doorbell_create): a known space
 * and access size (1, 2, 4, 8) during construction (-EINVAL), inside a
 * range the caller registered: `owner` is the owner of the range holding
 * the whole access, or NULL (-EPERM). */
int hlp_check_bell(const struct dev_ins *ins, enum dev_space space,
		   unsigned len, bool constructed, const struct dev_ins *owner);
/* ioevent_register: a callback (-EINVAL), the doorbell check's verdict
 * (`bell`: hlp_check_bell's), room for one more of the instance's own
 * (DEV_MAX_IOEVENTS; `n_own` it has) and in the host's tables
 * (`host_full`), else -ENOSPC. */
int hlp_check_ioevent(dev_notify_fn fn, int bell, unsigned n_own,
		      bool host_full);
/* irq_claim: a line that exists and is not the PIC cascade (GSI 2),
 * during construction (-EINVAL), that nobody holds (`taken`: -EBUSY). */
int hlp_check_irq_claim(unsigned gsi, bool constructed, bool taken);
/* irq_set: a line in `owned` (a GSI mask; -EPERM), a known level
 * (-EINVAL). */
int hlp_check_irq_set(uint32_t owned, unsigned gsi, enum dev_irq_level level);
/* timer_create: a callback, during construction, below the instance's
 * limit and the host's (`host_full`), else -EINVAL. */
int hlp_check_timer_create(dev_timer_fn fn, bool constructed,
			   unsigned n_timers, bool host_full);
/* timer_arm: a timer the instance created (-EINVAL). */
int hlp_check_timer_arm(int timer, unsigned n_timers);
/* chr_set_tx: a callback, during construction (-EINVAL). */
int hlp_check_chr_set_tx(dev_chr_tx_fn fn, bool constructed);
/* mmio2_create: during construction, known flags (-EINVAL). */
int hlp_check_mmio2_create(uint32_t flags, bool constructed);
/* Guest memory and file buffers: no buffer for a non-empty copy. */
static inline bool hlp_buf_bad(const void *buf, size_t len)
{
	return !buf && len;
}
/* cfg_blob: the blob attached under key (-ENOENT). */
int hlp_check_blob(const char *have, const char *key);

/* What the host knows of an instance's files: the keys it was given, those
 * opened read-only and those that can be watched (bit k: key k). */
struct hlp_files {
	uint64_t keys, ro, pollable;
};
/* Any file call: the key was given (-EPERM); a write needs a file opened
 * for writing (-EBADF: the kernel would say the same; saying it first
 * keeps wisp and a device process alike). */
int hlp_check_file(const struct hlp_files *f, unsigned key, bool write);
/* pread/pwrite: an offset a file can have, a buffer (-EINVAL). */
int hlp_check_file_io(const struct hlp_files *f, unsigned key, bool write,
		      const void *buf, size_t len, uint64_t off);
/* read/write (a tap): a buffer (-EINVAL). */
int hlp_check_file_stream(const struct hlp_files *f, unsigned key, bool write,
			  const void *buf, size_t len);
/* file_size: a key, somewhere to put the size (-EINVAL). */
int hlp_check_file_size(const struct hlp_files *f, unsigned key,
			const uint64_t *size);
/* file_punch/file_zero: a writable key, a range a file can have
 * (-EINVAL); 1 when it is empty (nothing to do, the call returns 0). */
int hlp_check_falloc(const struct hlp_files *f, unsigned key, uint64_t off,
		     uint64_t len);
/* file_watch: a callback during construction (-EINVAL), a pollable file
 * given to the caller (-EPERM), one watch per key and room for it
 * (`taken`, `full`: -EBUSY). */
int hlp_check_watch(const struct hlp_files *f, unsigned key, dev_notify_fn fn,
		    bool constructed, bool taken, bool full);
/* worker_start: a callback, during construction, only one (-EINVAL);
 * then the host's record of it (*slot, *slot_opaque) is set. */
int hlp_worker_record(dev_worker_fn *slot, void **slot_opaque,
		      bool constructed, dev_worker_fn fn, void *opaque);

#endif
