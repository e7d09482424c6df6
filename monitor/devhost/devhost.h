/*
 * monitor/devhost/devhost.h - the host side of the device framework: device
 * instances from the CLI and profile (devmgr.c), the helper tables
 * (devhlp.c; the members the fuzz host shares in hlp_common.c, the checks
 * in devices/hlp_check.c; a device process's calls in dpc_calls.c), doorbells
 * (ioevent.c), host files, wait sets and workers (devfile.c, devworker.c),
 * device processes (devproc.h) and the console backend (chr.c). It may
 * call display/ (screenshots), jail/ (a device process's drop and filter)
 * and core/.
 */
#ifndef WISP_DEVHOST_H
#define WISP_DEVHOST_H

#include "core/vm.h"

/* devmgr.c: instances from the CLI and profile defaults. */
int devmgr_create(struct vm *vm, char *err, size_t errlen);
int devmgr_construct(struct vm *vm);
void devmgr_destruct(struct vm *vm);
const struct dev_hlp *devhlp_table(bool trusted, bool sandboxed);
/* A doorbell (KVM_IOEVENTFD) for both its kinds (ioevent_register and
 * devfile's doorbell_create): check the caller may place one there (a
 * range it registered, during construction), then register fd with KVM. */
int devhlp_ioevent_check(struct dev_ins *ins, enum dev_space space,
			 uint64_t addr, unsigned len);
int devhlp_ioevent_kvm(struct vm *vm, enum dev_space space, uint64_t addr,
		       unsigned len, int fd);

/* chr.c: console backend */
int chr_open(struct chr *c, const struct vm_config *cfg, char *err,
	     size_t errlen);
void chr_close(struct chr *c);
void chr_start_input(struct chr *c);
/* Move console input to the device (reading when can_read); false: stop
 * watching the input fd. */
bool chr_pump(struct vm *vm, struct chr *c, bool can_read);
/* Output for ins: all of it, waiting, unless ins set chr_set_tx; then what
 * the host takes now or -EAGAIN, and *wait says to call tx once out_fd
 * has room (chr_watch_out). */
long chr_out(struct chr *c, struct dev_ins *ins, const void *buf, size_t len,
	     bool *wait);
/* One EPOLLOUT report of out_fd in epoll set ep, with `data`: 0 or -errno. */
int chr_watch_out(const struct chr *c, int ep, uint64_t data);

/* devfile.c: hand host resources to instance `idx` of device `dev`
 * (registration name) before devices are constructed. File n of the VM is
 * pinned to FD_FILE0 + n and its size measured (fstat; a block device's
 * end); a pollable one (a tap) may be watched (file_watch) and joins the
 * instance's wait set when it has one, which dev_attach_waitset creates
 * (hvt: one instance per VM). Die on failure. */
#define DEVFILE_POLL (1u << 0) /* a tap: file_watch and the wait set take it */
#define DEVFILE_RO (1u << 1)   /* opened read-only: writes are refused */
void dev_attach_file(struct vm *vm, const char *dev, unsigned idx,
		     unsigned key, int fd, unsigned flags);
void dev_attach_waitset(struct vm *vm, const char *dev);
void dev_attach_blob(struct vm *vm, const char *dev, const char *key,
		     const void *p, size_t len);

/* file_watch's other half (devfile.c): the loop that serves h (wisp's
 * event loop, or a device process's own) adopts its watches, in epoll set
 * ep with event data data + w for watch w: those on join it now, the rest
 * as they are turned on. Caller holds the instance lock (or is the device
 * process); dies when the set refuses one. Then fire calls watch w's
 * callback (instance lock held) unless the watch went off meanwhile. */
void devfile_watch_loop(struct dev_host *h, int ep, uint64_t data);
void devfile_watch_fire(struct dev_host *h, unsigned w);

/* Device worker threads (devfile.c): started once the VM runs, after the
 * privilege drop; stopped (doorbell rung, joined) after the vCPUs. */
void dev_workers_start(struct vm *vm);
void dev_workers_stop(struct vm *vm);

#endif
