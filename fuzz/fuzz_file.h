/*
 * fuzz/fuzz_file.h - the fake helper table's host files, attached data,
 * doorbells and workers (fuzz_file.c), over fuzz_core.h's state.
 */
#ifndef WISP_FUZZ_FILE_H
#define WISP_FUZZ_FILE_H

#include "devhost/hlp_common.h"
#include "fuzz_core.h"

/* Hand a file to ins under key (fuzz_file.c): disk (may be NULL) backs
 * pread/pwrite; a pollable file joins the wait set, which
 * fuzz_dev_attach_waitset gives. -EINVAL: bad or taken key. */
int fuzz_dev_attach_file(struct fuzz_host *h, struct dev_ins *ins,
			 unsigned key, uint8_t *disk, size_t size, bool pollable);
void fuzz_dev_attach_waitset(struct fuzz_host *h, struct dev_ins *ins);
/* The loop's side of file_watch: while the watch on `key` is on and the
 * file holds a frame, call the device's callback (at most
 * FUZZ_WATCH_MAX_CALLS times). Returns the calls made, or -EPERM (no such
 * file or no watch). */
#define FUZZ_WATCH_MAX_CALLS 64
int fuzz_file_ready(struct fuzz_host *h, struct dev_ins *ins, unsigned key);
struct fuzz_file *fuzz_file_of(struct fuzz_host *h, struct dev_ins *ins,
			       unsigned key);
/* The helper members over them, for fuzz_hlp.c's tables: fuzz_file_blob,
 * _pread, ... (hlp_common.h). */
HLP_FILE_DECLS(fuzz_file_);
/* Run ins's worker now, on this thread: the fake's doorbell_wait says
 * -ECANCELED, so it returns once it has nothing left to do. -ENOENT if the
 * instance started none. */
int fuzz_worker_run(struct fuzz_host *h, struct dev_ins *ins);

#endif
