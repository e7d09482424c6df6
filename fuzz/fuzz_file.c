/*
 * fuzz/fuzz_file.c - the fake helper table's host files and attached data
 * (see fuzz_hlp.h), checked by wisp's own checks (devices/hlp_check.h); a
 * file's `fail` is the error its host call returns once they pass. Disks
 * are the test's buffers, taps one frame each way, the wait advances the
 * clock; doorbells and workers are recorded, a worker runs when the test
 * says.
 */
#include <errno.h>
#include <string.h>

#include "fuzz_file.h"

int fuzz_dev_attach_file(struct fuzz_host *h, struct dev_ins *ins,
			 unsigned key, uint8_t *disk, size_t size, bool pollable)
{
	struct fuzz_dev *d = fuzz_dev_of(h, ins);

	if (!d || key >= DEV_FILE_KEYS || d->files[key].used ||
	    (pollable && !d->waitset))
		return -EINVAL;
	d->files[key] = (struct fuzz_file){ .used = true, .pollable = pollable,
					    .disk = disk, .disk_size = size };
	d->fk.keys |= 1ull << key;
	d->fk.pollable |= (uint64_t)pollable << key;
	return 0;
}

void fuzz_dev_attach_waitset(struct fuzz_host *h, struct dev_ins *ins)
{
	struct fuzz_dev *d = fuzz_dev_of(h, ins);

	if (d)
		d->waitset = true;
}

struct fuzz_file *fuzz_file_of(struct fuzz_host *h, struct dev_ins *ins,
			       unsigned key)
{
	struct fuzz_dev *d = fuzz_dev_of(h, ins);

	return d && key < DEV_FILE_KEYS && d->files[key].used ? &d->files[key]
							     : NULL;
}

int fuzz_file_blob(struct dev_ins *ins, const char *key, const void **p,
		   size_t *len)
{
	struct fuzz_dev *d = fuzz_caller(ins);
	int rc = hlp_check_blob(d->blob_key, key);

	if (rc < 0)
		return rc;
	*p = d->blob;
	*len = d->blob_len;
	return 0;
}

/* The caller's file for key, or NULL (-EPERM). */
static struct fuzz_file *file(struct dev_ins *ins, unsigned key)
{
	struct fuzz_dev *d = fuzz_caller(ins);

	return key < DEV_FILE_KEYS && d->files[key].used ? &d->files[key] : NULL;
}

/* pread/pwrite semantics: short at the end, 0 past it. */
static long disk_span(struct fuzz_file *f, size_t len, uint64_t off)
{
	if (off >= f->disk_size)
		return 0;
	return (long)(len < f->disk_size - off ? len : f->disk_size - off);
}

/* The caller's file for key once `check` (hlp_check.h's verdict) has
 * passed and the host call did not fail (f->fail); NULL with *rc the
 * error otherwise. */
static struct fuzz_file *file_io(struct dev_ins *ins, unsigned key, int check,
				 long *rc)
{
	struct fuzz_file *f = file(ins, key);

	*rc = check < 0 ? check : f->fail;
	return *rc ? NULL : f;
}

static const struct hlp_files *keys_of(struct dev_ins *ins)
{
	return &fuzz_caller(ins)->fk;
}

static long disk_io(struct dev_ins *ins, unsigned key, void *rbuf,
		    const void *wbuf, size_t len, uint64_t off)
{
	long n;
	int rc = hlp_check_file_io(keys_of(ins), key, !rbuf,
				   rbuf ? rbuf : wbuf, len, off);
	struct fuzz_file *f = file_io(ins, key, rc, &n);

	if (!f)
		return n;
	n = disk_span(f, len, off);
	if (n > 0 && rbuf)
		memcpy(rbuf, f->disk + off, (size_t)n);
	else if (n > 0)
		memcpy(f->disk + off, wbuf, (size_t)n);
	f->unsynced |= n > 0 && !rbuf;
	return n;
}

long fuzz_file_pread(struct dev_ins *ins, unsigned key, void *buf, size_t len,
		     uint64_t off)
{
	return disk_io(ins, key, buf, NULL, len, off);
}

long fuzz_file_pwrite(struct dev_ins *ins, unsigned key, const void *buf,
		      size_t len, uint64_t off)
{
	return disk_io(ins, key, NULL, buf, len, off);
}

/* A tap read takes the waiting frame whole, truncated to len. */
long fuzz_file_read(struct dev_ins *ins, unsigned key, void *buf, size_t len)
{
	long rc;
	struct fuzz_file *f = file_io(ins, key,
		hlp_check_file_stream(keys_of(ins), key, false, buf, len), &rc);

	if (!f)
		return rc;
	if (f->endless) {
		for (size_t i = 0; i < len; i++)
			((uint8_t *)buf)[i] = fuzz_stream_byte(f->streamed + i);
		f->streamed += len;
		return (long)len;
	}
	if (!f->rx_len)
		return -EAGAIN;
	size_t n = len < f->rx_len ? len : f->rx_len;
	memcpy(buf, f->rx, n);
	f->rx_len = 0;
	return (long)n;
}

long fuzz_file_write(struct dev_ins *ins, unsigned key, const void *buf,
		     size_t len)
{
	long rc;
	struct fuzz_file *f = file_io(ins, key,
		hlp_check_file_stream(keys_of(ins), key, true, buf, len), &rc);

	if (!f)
		return rc;
	f->tx_len = len < FUZZ_FRAME_MAX ? len : FUZZ_FRAME_MAX;
	memcpy(f->tx, buf, f->tx_len);
	f->tx_frames++;
	return (long)len;
}

/* Ready at once if a pollable file holds a frame; else the timeout
 * passes on the fake clock. */
int fuzz_file_poll(struct dev_ins *ins, uint64_t ns, uint64_t *ready)
{
	struct fuzz_dev *d = fuzz_caller(ins);
	struct fuzz_host *h = ins->host;

	*ready = 0;
	if (!d->waitset)
		return -EPERM;
	h->poll_calls++;
	h->poll_ns = ns;
	for (unsigned k = 0; k < DEV_FILE_KEYS; k++)
		if (d->files[k].used && d->files[k].pollable && d->files[k].rx_len)
			*ready |= 1ull << k;
	if (!*ready)
		fuzz_advance(h, ns);
	return 0;
}

int fuzz_file_size(struct dev_ins *ins, unsigned key, uint64_t *size)
{
	int rc = hlp_check_file_size(keys_of(ins), key, size);

	if (rc < 0)
		return rc;
	*size = file(ins, key)->disk_size;
	return 0;
}

int fuzz_file_sync(struct dev_ins *ins, unsigned key)
{
	long rc;
	struct fuzz_file *f = file_io(ins, key,
		hlp_check_file(keys_of(ins), key, false), &rc);

	if (!f)
		return (int)rc;
	f->syncs++;
	f->unsynced = false;
	return 0;
}

/* Both fallocate calls: the range zeroed up to the disk's end (the file
 * never grows); an empty one is no call, as in wisp. */
static int disk_zero(struct dev_ins *ins, unsigned key, uint64_t off,
		     uint64_t len, unsigned *count)
{
	long rc;
	int check = hlp_check_falloc(keys_of(ins), key, off, len);
	struct fuzz_file *f;

	if (check != 0)
		return check < 0 ? check : 0; /* 1: an empty range, no call */
	if (!(f = file_io(ins, key, 0, &rc)))
		return (int)rc;
	if (f->no_falloc)
		return -EOPNOTSUPP;
	if (off < f->disk_size && f->disk)
		memset(f->disk + off, 0, (size_t)(len < f->disk_size - off ?
						  len : f->disk_size - off));
	(*count)++;
	return 0;
}

int fuzz_file_punch(struct dev_ins *ins, unsigned key, uint64_t off,
		    uint64_t len)
{
	struct fuzz_file *f = file(ins, key);

	return disk_zero(ins, key, off, len, f ? &f->punches : NULL);
}

int fuzz_file_zero(struct dev_ins *ins, unsigned key, uint64_t off,
		   uint64_t len)
{
	struct fuzz_file *f = file(ins, key);

	return disk_zero(ins, key, off, len, f ? &f->zeroes : NULL);
}

/* As wisp's: construct only, a pollable file given to the caller, one
 * watch per key. */
int fuzz_file_watch(struct dev_ins *ins, unsigned key, dev_notify_fn fn,
		    void *opaque)
{
	struct fuzz_dev *d = fuzz_caller(ins);
	struct fuzz_file *f = file(ins, key);
	int rc = hlp_check_watch(&d->fk, key, fn, d->constructed,
				 f && f->watch_fn, false);

	if (rc < 0)
		return rc;
	f->watch_fn = fn;
	f->watch_opaque = opaque;
	f->watch_on = false;
	return 0;
}

int fuzz_file_watch_set(struct dev_ins *ins, unsigned key, bool on)
{
	struct fuzz_file *f = file(ins, key);

	if (!f || !f->watch_fn)
		return -EPERM;
	f->watch_sets += f->watch_on != on;
	f->watch_on = on;
	return 0;
}

/* Level-triggered, as wisp's loop: again after each return while the
 * file is readable and the watch on; bounded for a device that never
 * reads. */
int fuzz_file_ready(struct fuzz_host *h, struct dev_ins *ins, unsigned key)
{
	struct fuzz_file *f = fuzz_file_of(h, ins, key);
	int n = 0;

	if (!f || !f->watch_fn)
		return -EPERM;
	while (f->watch_on && f->rx_len && n < FUZZ_WATCH_MAX_CALLS) {
		n++;
		f->watch_calls++;
		f->watch_fn(ins, f->watch_opaque, key);
	}
	return n;
}

/* --- doorbells and workers: recorded; the worker runs when told --- */

int fuzz_file_doorbell_create(struct dev_ins *ins, enum dev_space space,
			      uint64_t addr, unsigned len)
{
	struct fuzz_dev *d = fuzz_caller(ins);
	struct fuzz_host *h = ins->host;
	int rc = fuzz_doorbell_check(ins, space, addr, len);

	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < FUZZ_MAX_DEVS; i++)
		if (h->devs[i].used && h->devs[i].doorbell)
			return -EBUSY; /* one per VM, as in the monitor */
	d->doorbell = true;
	d->bell_space = space;
	d->bell_addr = addr;
	d->bell_len = len;
	return 0;
}

int fuzz_file_doorbell_wait(struct dev_ins *ins, int bell)
{
	struct fuzz_dev *d = fuzz_caller(ins);

	if (!d->doorbell || bell != 0)
		return -EPERM;
	d->bell_waits++;
	return -ECANCELED;
}

int fuzz_file_worker_start(struct dev_ins *ins, dev_worker_fn fn, void *opaque)
{
	struct fuzz_dev *d = fuzz_caller(ins);

	return hlp_worker_record(&d->worker, &d->worker_opaque, d->constructed,
				 fn, opaque);
}

int fuzz_worker_run(struct fuzz_host *h, struct dev_ins *ins)
{
	struct fuzz_dev *d = fuzz_dev_of(h, ins);

	if (!d || !d->worker)
		return -ENOENT;
	d->worker(ins, d->worker_opaque);
	return 0;
}
