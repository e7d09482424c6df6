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
#include "devhost/hlp_common.h"

struct dev_host;

/* devfile_blob, _pread, _pwrite, _read, _write, _size, _sync, _punch,
 * _zero (fallocate in a device process), _watch, _watch_set, _poll,
 * _doorbell_create, _doorbell_wait, _worker_start. */
HLP_FILE_DECLS(devfile_);
/* fallocate in wisp's own tables: -EOPNOTSUPP once the key checks pass. */
int devfile_nofalloc(struct dev_ins *ins, unsigned key, uint64_t off,
		     uint64_t len);
/* This process's writes to h's writable regular files end at each one's
 * attached size (or at floor, if more): EFBIG past it. 0 or -errno. */
int devfile_limit_fsize(const struct dev_host *h, uint64_t floor);

#endif
