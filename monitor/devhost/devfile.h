/*
 * monitor/devhost/devfile.h - the helper-table members over host files, attached
 * data, doorbells and worker threads (devfile.c); devhlp.c puts them in
 * both of wisp's tables; the file calls (pread, pwrite, read, write,
 * size, watch) also serve device processes, whose host is rebuilt from
 * the handover with the same files. Each checks that the calling instance
 * was given the key, and that a write goes to a file opened for writing
 * (see dev.h for the contract).
 */
#ifndef WISP_DEVFILE_H
#define WISP_DEVFILE_H

#include "dev.h"

struct dev_host;

int devfile_blob(struct dev_ins *ins, const char *key, const void **p,
		 size_t *len);
long devfile_pread(struct dev_ins *ins, unsigned key, void *buf, size_t len,
		   uint64_t off);
long devfile_pwrite(struct dev_ins *ins, unsigned key, const void *buf,
		    size_t len, uint64_t off);
long devfile_read(struct dev_ins *ins, unsigned key, void *buf, size_t len);
long devfile_write(struct dev_ins *ins, unsigned key, const void *buf,
		   size_t len);
int devfile_size(struct dev_ins *ins, unsigned key, uint64_t *size);
int devfile_sync(struct dev_ins *ins, unsigned key);
/* fallocate in a device process; devfile_nofalloc in wisp's own tables. */
int devfile_punch(struct dev_ins *ins, unsigned key, uint64_t off,
		  uint64_t len);
int devfile_zero(struct dev_ins *ins, unsigned key, uint64_t off,
		 uint64_t len);
int devfile_nofalloc(struct dev_ins *ins, unsigned key, uint64_t off,
		     uint64_t len);
int devfile_watch(struct dev_ins *ins, unsigned key, dev_notify_fn fn,
		  void *opaque);
int devfile_watch_set(struct dev_ins *ins, unsigned key, bool on);
int devfile_poll(struct dev_ins *ins, uint64_t ns, uint64_t *ready);
int devfile_doorbell_create(struct dev_ins *ins, enum dev_space space,
			    uint64_t addr, unsigned len);
int devfile_doorbell_wait(struct dev_ins *ins, int bell);
int devfile_worker_start(struct dev_ins *ins, dev_worker_fn fn, void *opaque);
/* This process's writes to h's writable regular files end at each one's
 * attached size (or at floor, if more): EFBIG past it. 0 or -errno. */
int devfile_limit_fsize(const struct dev_host *h, uint64_t floor);

#endif
