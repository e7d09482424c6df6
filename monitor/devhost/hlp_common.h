/*
 * monitor/devhost/hlp_common.h - what every implementation of the helper
 * table shares beyond its checks (devices/hlp_check.h): wisp's tables
 * (devhlp.c, devfile.c) and the fake host the unit tests and fuzz targets
 * use (fuzz/fuzz_hlp.c, fuzz_file.c).
 *
 * - The members that are mem/'s own calls on the caller's map (MMIO2
 *   regions) and the config lookups, once (hlp_common.c). Each host says
 *   which map an instance's calls act on by defining hlp_host_map: wisp
 *   the VM's, the fake its own map without KVM.
 * - The lists of members a host names by one prefix (its functions are
 *   <prefix><member>), so the tables and the prototypes are written once.
 */
#ifndef WISP_HLP_COMMON_H
#define WISP_HLP_COMMON_H

#include <stdbool.h>

#include "dev.h"
#include "mem.h"

/* Defined by each host: the map ins's MMIO2 calls act on, and whether ins
 * has been constructed (MMIO2 regions are created while constructing). */
struct mem *hlp_host_map(struct dev_ins *ins, bool *constructed);

int hlp_cfg_u64(struct dev_ins *ins, const char *key, uint64_t *out);
int hlp_cfg_str(struct dev_ins *ins, const char *key, const char **out);
int hlp_mmio2_create(struct dev_ins *ins, uint64_t size, uint32_t flags);
int hlp_mmio2_unmap(struct dev_ins *ins, int h);
int hlp_mmio2_track(struct dev_ins *ins, int h, bool on);
int hlp_mmio2_query(struct dev_ins *ins, int h, uint64_t *bitmap,
		    size_t bytes);
int hlp_mmio2_read(struct dev_ins *ins, int h, uint64_t off, void *buf,
		   size_t len);
int hlp_mmio2_write(struct dev_ins *ins, int h, uint64_t off,
		    const void *buf, size_t len);

/* The members above, and the MMIO2 ones but map (which only wisp logs). */
#define HLP_COMMON_MEMBERS                                                     \
	.cfg_u64 = hlp_cfg_u64, .cfg_str = hlp_cfg_str,                        \
	.mmio2_create = hlp_mmio2_create
#define HLP_MMIO2_MEMBERS                                                      \
	.mmio2_unmap = hlp_mmio2_unmap, .mmio2_track = hlp_mmio2_track,        \
	.mmio2_query = hlp_mmio2_query, .mmio2_read = hlp_mmio2_read,          \
	.mmio2_write = hlp_mmio2_write

/* The trusted powers of a host that names them <p>vm_poweroff, ... */
#define HLP_TRUSTED_MEMBERS(p)                                                 \
	.vm_poweroff = p##vm_poweroff, .vm_reset = p##vm_reset,                \
	.dev_find = p##dev_find, .ram_track = p##ram_track,                    \
	.ram_query = p##ram_query, .vm_fault = p##vm_fault,                    \
	.vm_panic = p##vm_panic

/* The calls on an instance's own ranges, lines, timers and console. */
#define HLP_OWN_MEMBERS(p)                                                     \
	.io_register = p##io_register, .io_unregister = p##io_unregister,      \
	.ioevent_register = p##ioevent_register, .irq_claim = p##irq_claim,    \
	.mem_read = p##mem_read, .mem_write = p##mem_write, .log = p##log,     \
	.timer_create = p##timer_create, .timer_arm = p##timer_arm,            \
	.chr_set_rx = p##chr_set_rx, .chr_set_tx = p##chr_set_tx,              \
	.clock_ns = p##clock_ns, .walltime_ns = p##walltime_ns,                \
	.pci_register = p##pci_register

/* The host-file calls (devfile.c, fuzz_file.c): <p>pread, ... */
#define HLP_FILE_MEMBERS(p)                                                    \
	.cfg_blob = p##blob, .file_pread = p##pread, .file_pwrite = p##pwrite, \
	.file_read = p##read, .file_write = p##write, .file_size = p##size,    \
	.file_sync = p##sync, .file_watch = p##watch,                          \
	.file_watch_set = p##watch_set
/* The wait set, doorbell and worker, which a device process lacks. */
#define HLP_WAIT_MEMBERS(p)                                                    \
	.file_poll = p##poll, .doorbell_create = p##doorbell_create,           \
	.doorbell_wait = p##doorbell_wait, .worker_start = p##worker_start

/* Their prototypes, and fallocate's two calls (file_punch, file_zero). */
#define HLP_FILE_DECLS(p)                                                      \
	int p##blob(struct dev_ins *ins, const char *key, const void **data,   \
		    size_t *len);                                              \
	long p##pread(struct dev_ins *ins, unsigned key, void *buf,            \
		      size_t len, uint64_t off);                               \
	long p##pwrite(struct dev_ins *ins, unsigned key, const void *buf,     \
		       size_t len, uint64_t off);                              \
	long p##read(struct dev_ins *ins, unsigned key, void *buf,             \
		     size_t len);                                              \
	long p##write(struct dev_ins *ins, unsigned key, const void *buf,      \
		      size_t len);                                             \
	int p##size(struct dev_ins *ins, unsigned key, uint64_t *size);        \
	int p##sync(struct dev_ins *ins, unsigned key);                        \
	int p##punch(struct dev_ins *ins, unsigned key, uint64_t off,          \
		     uint64_t len);                                            \
	int p##zero(struct dev_ins *ins, unsigned key, uint64_t off,           \
		    uint64_t len);                                             \
	int p##watch(struct dev_ins *ins, unsigned key, dev_notify_fn fn,      \
		     void *opaque);                                            \
	int p##watch_set(struct dev_ins *ins, unsigned key, bool on);          \
	int p##poll(struct dev_ins *ins, uint64_t ns, uint64_t *ready);        \
	int p##doorbell_create(struct dev_ins *ins, enum dev_space space,      \
			       uint64_t addr, unsigned len);                   \
	int p##doorbell_wait(struct dev_ins *ins, int bell);                   \
	int p##worker_start(struct dev_ins *ins, dev_worker_fn fn,             \
			    void *opaque)

#endif
