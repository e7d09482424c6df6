/*
 * monitor/devhost/dpc_calls.c - inside a device process, the calls of its
 * helper table that touch the VM: up-calls posted on the request page for
 * wisp to validate and serve (lines, power, MMIO2), its own MMIO2 regions
 * by handle, and refusals of what only wisp has. devhlp.c's sandboxed
 * tables point here; the process's loop is devproc_child.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "policy.h"
#include "devhost/devhost.h"
#include "devhost/devproc.h"

/* ---- the device's up-calls --------------------------------------------- */

static struct dp_shm *dpc_shm(struct dev_ins *ins)
{
	return ((struct dev_host *)ins->host)->proc->shm;
}

long dpc_up(struct dev_ins *ins, uint32_t op, uint64_t a0, uint64_t a1,
	    uint64_t a2)
{
	struct dp_shm *s = dpc_shm(ins);
	uint64_t one = 1;
	uint32_t st;

	s->up.op = op;
	s->up.a0 = a0;
	s->up.a1 = a1;
	s->up.a2 = a2;
	atomic_store(&s->up_state, DP_UP_POSTED);
	/* A wisp thread waiting on this device serves it; else the loop. */
	atomic_fetch_add(&s->mon_bell, 1);
	if (atomic_load(&s->mon_waiting))
		dp_futex_wake(&s->mon_bell);
	(void)!write(FD_DPC_UP, &one, sizeof(one));
	while ((st = atomic_load(&s->up_state)) != DP_UP_DONE)
		dp_futex_wait(&s->up_state, st, 10000000l);
	long rc = s->up.rc;
	atomic_store(&s->up_state, DP_UP_IDLE);
	return rc;
}

/* Pulses on the device's own lines leave by irqfd, straight to KVM; levels
 * and anything else are asked of wisp, which checks ownership. */
int devproc_child_irq_set(struct dev_ins *ins, unsigned gsi,
			  enum dev_irq_level level)
{
	struct devproc *p = ((struct dev_host *)ins->host)->proc;
	uint64_t one = 1;

	for (unsigned i = 0; level == DEV_IRQ_PULSE && i < p->n_irqfd; i++)
		if (p->irq_gsi[i] == gsi)
			return write(FD_DPC_IRQ0 + (int)i, &one, sizeof(one)) < 0
				       ? -errno : 0;
	return (int)dpc_up(ins, DP_UP_IRQ_SET, gsi, level, 0);
}

void devproc_child_rx_ready(struct dev_ins *ins)
{
	dpc_up(ins, DP_UP_RX_READY, 0, 0, 0);
}

void devproc_child_guest_booted(struct dev_ins *ins)
{
	dpc_up(ins, DP_UP_BOOTED, 0, 0, 0);
}

/* Console output is this process's own: a refused write arms its own
 * loop's watch (DPC_EV_CONSOLE, devproc_child.c), so it never blocks and
 * wisp's deadline never sees a slow reader. A watch it cannot set would
 * stall the guest for good. */
long devproc_child_chr_write(struct dev_ins *ins, const void *buf, size_t len)
{
	struct chr *c = ((struct dev_host *)ins->host)->chr;
	bool wait;

	if (!c)
		return (long)len;
	long n = chr_out(c, ins, buf, len, &wait);
	if (wait && chr_watch_out(c, FD_DPC_EPOLL, (uint64_t)DPC_EV_CONSOLE << 32) < 0)
		_exit(WISP_EXIT_OSERR);
	return n;
}

void devproc_child_poweroff(struct dev_ins *ins, int status)
{
	dpc_up(ins, DP_UP_POWEROFF, (uint64_t)(int64_t)status, 0, 0);
}

void devproc_child_reset(struct dev_ins *ins)
{
	dpc_up(ins, DP_UP_RESET, 0, 0, 0);
}

void devproc_child_panic(struct dev_ins *ins)
{
	dpc_up(ins, DP_UP_PANIC, 0, 0, 0);
}

/* Other devices live in other processes. */
struct dev_ins *devproc_child_dev_find(struct dev_ins *ins, const char *name,
				       unsigned idx)
{
	return NULL;
}

/* MMIO2 regions: the guest-physical map and the dirty trackers are
 * wisp's, so map, unmap, track and query are up-calls. The region's memory
 * is a shared mapping this process kept (its own regions only): read and
 * written here through the same checked span as in wisp, and a write is
 * then marked dirty in wisp so the tracker never misses it. */
static uint64_t dpc_handle(int h)
{
	return (uint64_t)(int64_t)h;
}

static struct mem *dpc_mem(struct dev_ins *ins)
{
	return &((struct dev_host *)ins->host)->vm->mem;
}

int devproc_child_mmio2_map(struct dev_ins *ins, int h, uint64_t gpa)
{
	return (int)dpc_up(ins, DP_UP_MMIO2_MAP, dpc_handle(h), gpa, 0);
}

int devproc_child_mmio2_unmap(struct dev_ins *ins, int h)
{
	return (int)dpc_up(ins, DP_UP_MMIO2_UNMAP, dpc_handle(h), 0, 0);
}

int devproc_child_mmio2_track(struct dev_ins *ins, int h, bool on)
{
	return (int)dpc_up(ins, DP_UP_MMIO2_TRACK, dpc_handle(h), on, 0);
}

int devproc_child_mmio2_query(struct dev_ins *ins, int h, uint64_t *bitmap,
			      size_t bytes)
{
	struct dp_shm *s = dpc_shm(ins);

	if (bitmap && bytes > sizeof(s->bitmap))
		return -E2BIG;
	int rc = (int)dpc_up(ins, DP_UP_MMIO2_QUERY, dpc_handle(h),
			     bitmap ? bytes : DP_NO_BITMAP, 0);
	if (rc == 0 && bitmap)
		memcpy(bitmap, s->bitmap, bytes);
	return rc;
}

int devproc_child_mmio2_read(struct dev_ins *ins, int h, uint64_t off,
			     void *buf, size_t len)
{
	return mem_mmio2_read(dpc_mem(ins), ins, h, off, buf, len);
}

int devproc_child_mmio2_write(struct dev_ins *ins, int h, uint64_t off,
			      const void *buf, size_t len)
{
	int rc = mem_mmio2_write(dpc_mem(ins), ins, h, off, buf, len);

	return rc < 0 ? rc
		      : (int)dpc_up(ins, DP_UP_MMIO2_MARK, dpc_handle(h), off,
				    len);
}

/* What only wisp has (RAM tracking, ending the VM for the guest's fault,
 * the hvt wait set, doorbells, workers: DEV_F_NO_SANDBOX devices use
 * them) is
 * refused here with a rate-limited line, never a NULL call. */
static int dpc_refuse(struct dev_ins *ins, const char *what)
{
	wlog_guest(&((struct dev_host *)ins->host)->rl, ins->name, LOG_WARN,
		   "%s: %s is not available in a device process", ins->name,
		   what);
	return -EPERM;
}

int devproc_child_ram_track(struct dev_ins *ins, bool on)
{
	return dpc_refuse(ins, "ram_track");
}

int devproc_child_ram_query(struct dev_ins *ins, uint64_t gpa, uint64_t size,
			    uint64_t *bitmap, size_t bytes)
{
	return dpc_refuse(ins, "ram_query");
}

void devproc_child_vm_fault(struct dev_ins *ins, const char *why)
{
	dpc_refuse(ins, "vm_fault");
}

int devproc_child_file_poll(struct dev_ins *ins, uint64_t ns, uint64_t *ready)
{
	return dpc_refuse(ins, "file_poll");
}

int devproc_child_doorbell_create(struct dev_ins *ins, enum dev_space space,
				  uint64_t addr, unsigned len)
{
	return dpc_refuse(ins, "doorbell_create");
}

/* -ECANCELED as when the VM stops: a wait loop ends, never spins. */
int devproc_child_doorbell_wait(struct dev_ins *ins, int bell)
{
	dpc_refuse(ins, "doorbell_wait");
	return -ECANCELED;
}

int devproc_child_worker_start(struct dev_ins *ins, dev_worker_fn fn,
			       void *opaque)
{
	return dpc_refuse(ins, "worker_start");
}

/* ---- serving requests --------------------------------------------------- */

