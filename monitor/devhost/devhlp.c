/*
 * monitor/devhost/devhlp.c - the monitor's two helper tables. Every call names its
 * caller (ins) and is checked against what that instance owns: its ranges,
 * its claimed interrupt lines, its timers, its console. The trusted table
 * adds VM-wide powers and is handed only to devices the profile trusts.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "devhost/devfile.h"
#include "devhost/hlp_common.h"
#include "hlp_check.h"
#include "core/exitcode.h"
#include "policy.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "jail/jail.h"
#include "devhost/devproc.h"
#if WISP_PCI
#include "pci/pcibus.h"
#endif

static struct dev_host *host_of(struct dev_ins *ins)
{
	return ins->host;
}

static int hlp_mmio_register(struct dev_ins *ins, uint64_t base, uint64_t len,
			     const struct dev_io_ops *ops, void *opaque)
{
	char err[200], name[GMAP_NAME_LEN];

	snprintf(name, sizeof(name), "%s", ins->name);
	int rc = mem_mmio_add(&host_of(ins)->vm->mem, base, len, ins, name, ops,
			      opaque, err, sizeof(err));
	if (rc == -EEXIST)
		wlog(LOG_ERR, "%s: %s", ins->name, err);
	return rc;
}

static int hlp_io_register(struct dev_ins *ins, enum dev_space space,
			   uint64_t base, uint64_t len,
			   const struct dev_io_ops *ops, void *opaque)
{
	struct dev_host *h = host_of(ins);
	struct dev_ins *clash = NULL;
	/* Ranges are fixed once vCPUs run: the port lookup takes no lock. */
	int rc = hlp_check_io_register(space, ops, h->constructed);

	if (rc < 0)
		return rc;
	if (space == DEV_SPACE_MMIO)
		return hlp_mmio_register(ins, base, len, ops, opaque);
	struct iobus_range r = { base, len, ins, ops, opaque };
	rc = iobus_insert(&h->vm->pio, &r, &clash);
	if (rc == -EEXIST)
		wlog(LOG_ERR, "%s: %s range 0x%llx+0x%llx overlaps %s", ins->name,
		     h->vm->pio.name, (unsigned long long)base,
		     (unsigned long long)len, clash->name);
	return rc;
}

static int hlp_io_unregister(struct dev_ins *ins, enum dev_space space,
			     uint64_t base)
{
	struct dev_host *h = host_of(ins);
	int rc = hlp_check_io_unregister(space, h->constructed);

	if (rc < 0)
		return rc;
	if (space == DEV_SPACE_MMIO)
		return mem_mmio_del(&h->vm->mem, base, ins);
	return iobus_remove(&h->vm->pio, base, ins);
}

static int hlp_ioevent_register(struct dev_ins *ins, enum dev_space space,
				uint64_t addr, unsigned len, dev_notify_fn fn,
				void *opaque)
{
	struct dev_host *h = host_of(ins);
	int bell = devhlp_ioevent_check(ins, space, addr, len);
	int rc = hlp_check_ioevent(fn, bell, h->n_ioevents - h->n_pci_bells,
				   h->n_ioevents >= DEV_HOST_IOEVENTS ||
				   h->vm->n_ioevents >= FD_IOEV_MAX);

	if (rc < 0)
		return rc;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	fd = fd_pin(fd, FD_IOEV0 + (int)h->vm->n_ioevents++);
	rc = devhlp_ioevent_kvm(h->vm, space, addr, len, fd);
	if (rc < 0) {
		close(fd);
		h->vm->n_ioevents--;
		return rc;
	}
	h->ioevents[h->n_ioevents++] = (struct dev_ioevent){ fd, fn, opaque };
	return 0;
}

static bool vm_gsi_claimed(struct vm *vm, unsigned gsi)
{
	for (unsigned i = 0; i < vm->n_devs; i++)
		if (vm->hosts[i].irqs & (1u << gsi))
			return true;
	return false;
}

static int hlp_irq_claim(struct dev_ins *ins, unsigned gsi)
{
	struct dev_host *h = host_of(ins);
	bool taken = gsi < VM_NR_GSI && vm_gsi_claimed(h->vm, gsi);
	int rc = hlp_check_irq_claim(gsi, h->constructed, taken);

	if (rc < 0)
		return rc;
	h->irqs |= 1u << gsi;
	return 0;
}

static int irq_line(struct vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = (uint32_t)level };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

static int hlp_irq_set(struct dev_ins *ins, unsigned gsi,
		       enum dev_irq_level level)
{
	struct dev_host *h = host_of(ins);
	int rc = hlp_check_irq_set(h->irqs, gsi, level);

	if (rc < 0)
		return rc;
	if (level != DEV_IRQ_PULSE)
		return irq_line(h->vm, gsi, level == DEV_IRQ_HIGH);
	rc = irq_line(h->vm, gsi, 1);
	return rc ? rc : irq_line(h->vm, gsi, 0);
}

static int hlp_mem_read(struct dev_ins *ins, uint64_t gpa, void *buf,
			size_t len)
{
	if (hlp_buf_bad(buf, len))
		return -EFAULT;
	return mem_read(&host_of(ins)->vm->mem, gpa, buf, len);
}

static int hlp_mem_write(struct dev_ins *ins, uint64_t gpa, const void *buf,
			 size_t len)
{
	if (hlp_buf_bad(buf, len))
		return -EFAULT;
	return mem_write(&host_of(ins)->vm->mem, gpa, buf, len);
}

static struct mem *mem_of(struct dev_ins *ins)
{
	return &host_of(ins)->vm->mem;
}

struct mem *hlp_host_map(struct dev_ins *ins, bool *constructed)
{
	*constructed = host_of(ins)->constructed;
	return mem_of(ins);
}

static int hlp_mmio2_map(struct dev_ins *ins, int h, uint64_t gpa)
{
	char err[200] = "";
	int rc = mem_mmio2_map(mem_of(ins), ins, h, gpa, err, sizeof(err));

	/* The guest chooses where (testdev command 3, fb's map): limited. */
	if (rc < 0 && err[0])
		wlog_guest(&host_of(ins)->rl, ins->name, LOG_ERR, "%s: %s",
			   ins->name, err);
	return rc;
}

static int hlp_ram_track(struct dev_ins *ins, bool on)
{
	return mem_ram_track(mem_of(ins), on);
}

static int hlp_ram_query(struct dev_ins *ins, uint64_t gpa, uint64_t size,
			 uint64_t *bitmap, size_t bytes)
{
	return mem_ram_query(mem_of(ins), gpa, size, bitmap, bytes);
}

static void hlp_log(struct dev_ins *ins, enum dev_log_level lvl,
		    const char *fmt, ...)
{
	char line[400];
	va_list ap;

	if ((int)lvl > (int)log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	wlog_guest(&host_of(ins)->rl, ins->name, (enum log_level)lvl, "%s: %s",
		   ins->name, line);
}

static int hlp_timer_create(struct dev_ins *ins, dev_timer_fn fn, void *opaque)
{
	struct dev_host *h = host_of(ins);
	int rc = hlp_check_timer_create(fn, h->constructed, h->n_timers,
					h->vm->n_timers >= FD_TIMER_MAX);

	if (rc < 0)
		return rc;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	fd = fd_pin(fd, FD_TIMER0 + (int)h->vm->n_timers++);
	h->timers[h->n_timers] = (struct dev_timer){ fd, fn, opaque };
	return (int)h->n_timers++;
}

static int hlp_timer_arm(struct dev_ins *ins, int timer, uint64_t ns)
{
	struct dev_host *h = host_of(ins);
	struct itimerspec its = { 0 };
	int rc = hlp_check_timer_arm(timer, h->n_timers);

	if (rc < 0)
		return rc;
	its.it_value.tv_sec = (time_t)(ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(ns % 1000000000ull);
	if (timerfd_settime(h->timers[timer].fd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

/* A refused write asks the event loop to watch the console for room. */
static long hlp_chr_write(struct dev_ins *ins, const void *buf, size_t len)
{
	struct dev_host *h = host_of(ins);
	uint64_t one = 1;
	bool wait;

	if (!h->chr)
		return (long)len; /* no console: output is dropped */
	long n = chr_out(h->chr, ins, buf, len, &wait);
	if (wait) {
		atomic_store(&h->chr->tx_wanted, true);
		(void)!write(h->vm->rxready_fd, &one, sizeof(one));
	}
	return n;
}

/* Construction only: a device process keeps the fork-time copy. */
static int hlp_chr_set_tx(struct dev_ins *ins, dev_chr_tx_fn fn)
{
	struct dev_host *h = host_of(ins);
	int rc = hlp_check_chr_set_tx(fn, h->constructed);

	if (rc < 0)
		return rc;
	if (!h->chr)
		return 0; /* output is dropped, never refused */
	if (h->chr->tx_owner && h->chr->tx_owner != ins)
		return -EBUSY;
	h->chr->tx_owner = ins;
	h->chr->tx = fn;
	return 0;
}

static int hlp_chr_set_rx(struct dev_ins *ins, dev_chr_rx_fn fn)
{
	struct dev_host *h = host_of(ins);

	if (!h->chr)
		return 0; /* nothing will ever arrive */
	if (h->chr->rx_owner && h->chr->rx_owner != ins)
		return -EBUSY;
	h->chr->rx_owner = ins;
	h->chr->rx = fn;
	return 0;
}

static void hlp_chr_rx_ready(struct dev_ins *ins)
{
	struct dev_host *h = host_of(ins);
	uint64_t one = 1;

	if (h->chr && h->chr->rx_owner == ins && h->chr->pend_len)
		(void)!write(h->vm->rxready_fd, &one, sizeof(one));
}

static uint64_t hlp_clock_ns(struct dev_ins *ins)
{
	return now_ns();
}

static uint64_t hlp_walltime_ns(struct dev_ins *ins)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void hlp_guest_booted(struct dev_ins *ins)
{
	struct vm *vm = host_of(ins)->vm;

	if (!atomic_exchange(&vm->booted, true))
		vm_event(vm, VM_EV_GUEST_BOOT, ins->name, NULL, 0);
}

static uint64_t hlp_uptime_ns(struct dev_ins *ins)
{
	return uptime_ns();
}

static void hlp_vm_poweroff(struct dev_ins *ins, int status)
{
	struct vm *vm = host_of(ins)->vm;
	int max = vm->cfg && vm->cfg->guest_status_max ? vm->cfg->guest_status_max
						       : WISP_EXIT_GUEST_MAX;

	if (status < 0 || status > max) {
		wlog(LOG_ERR, "%s: guest reported status %d, above %d", ins->name,
		     status, max);
		vm_request_stop(vm, WISP_EXIT_GUEST_RANGE, "bad guest status");
		return;
	}
	vm_request_stop(vm, status, "guest reported its status");
}

static void hlp_vm_reset(struct dev_ins *ins)
{
	vm_event(host_of(ins)->vm, VM_EV_REBOOT, ins->name, NULL, 0);
	wlog(LOG_INFO, "%s: guest requested a reboot; stopping (exit 80)",
	     ins->name);
	vm_request_stop(host_of(ins)->vm, WISP_EXIT_GUEST_REBOOT, "guest reset");
}

static struct dev_ins *hlp_dev_find(struct dev_ins *ins, const char *name,
				    unsigned idx)
{
	struct vm *vm = host_of(ins)->vm;

	for (unsigned i = 0; i < vm->n_devs; i++)
		if (!strcmp(vm->devs[i].reg->name, name) &&
		    vm->devs[i].idx == idx)
			return &vm->devs[i];
	return NULL;
}

static void hlp_vm_fault(struct dev_ins *ins, const char *why)
{
	struct dev_host *h = host_of(ins);

	/* The line of the fault that ends the VM: never rate-limited (earlier
	 * guest lines may have used the limit up, and then wisp would exit 74
	 * saying nothing), once: a repeat on the way out is not printed. */
	if (!atomic_load(&h->vm->stopping))
		wlog(LOG_ERR, "%s: guest error, stopping: %s", ins->name, why);
	vm_request_stop(h->vm, WISP_EXIT_GUEST_ABI, why);
}

/* Not vm_poweroff: a guest status is capped at 63, and this one is
 * wisp's, so an orchestrator can tell a panic from any status the guest
 * writes. Once: the guest may write again before its vCPUs stop. */
static void hlp_vm_panic(struct dev_ins *ins)
{
	struct vm *vm = host_of(ins)->vm;

	if (!atomic_load(&vm->stopping)) {
		wlog(LOG_ERR, "%s: the guest kernel panicked; stopping the VM",
		     ins->name);
		vm_event(vm, VM_EV_PANIC, ins->name, NULL, 0);
	}
	vm_request_stop(vm, WISP_EXIT_GUEST_PANIC, "guest kernel panicked");
}

/* The PCI bus is wisp's (pci/pcibus.h), in profiles with a PCI device;
 * in the others every function is refused and no vector exists. */
#if WISP_PCI
static int hlp_pci_register(struct dev_ins *ins, const struct dev_pci_func *f)
{
	return pcibus_register(ins, f);
}

static int hlp_msix_notify(struct dev_ins *ins, unsigned vec)
{
	return pcibus_notify(ins, vec);
}
#else
static int hlp_pci_register(struct dev_ins *ins, const struct dev_pci_func *f)
{
	return dev_pci_func_check(f) < 0 ? -EINVAL : -ENODEV;
}

static int hlp_msix_notify(struct dev_ins *ins, unsigned vec)
{
	return -EPERM;
}
#endif

static const struct dev_hlp_trusted hlp_trusted_powers = {
	HLP_TRUSTED_MEMBERS(hlp_),
};

/* What every table shares: calls that act on the caller's own resources.
 * In a device process they act on that process's own copies: its host
 * files are the same fds, handed over at their wisp numbers, under the
 * same key and read-only checks (devfile.c). */
#define HLP_LOCAL                                                              \
	HLP_OWN_MEMBERS(hlp_), HLP_COMMON_MEMBERS, HLP_FILE_MEMBERS(devfile_), \
	.uptime_ns = hlp_uptime_ns

/* Inside wisp: MMIO2 regions act on the guest-physical map (a device
 * process asks by up-call, devproc.h); wait sets, doorbells and workers
 * are wisp's (devfile.c). Devices that use the latter are
 * DEV_F_NO_SANDBOX: a device process has none of them. fallocate is a
 * device process's alone (devfile_nofalloc). */
#define HLP_MMIO2                                                              \
	.mmio2_map = hlp_mmio2_map, HLP_MMIO2_MEMBERS,                         \
	HLP_WAIT_MEMBERS(devfile_),                                            \
	.file_punch = devfile_nofalloc, .file_zero = devfile_nofalloc

static const struct dev_hlp hlp_untrusted = {
	HLP_LOCAL, HLP_MMIO2, .irq_set = hlp_irq_set,
	.guest_booted = hlp_guest_booted,
	.msix_notify = hlp_msix_notify,
	.chr_write = hlp_chr_write, .chr_rx_ready = hlp_chr_rx_ready,
	.trusted = NULL,
};
static const struct dev_hlp hlp_trusted = {
	HLP_LOCAL, HLP_MMIO2, .irq_set = hlp_irq_set,
	.guest_booted = hlp_guest_booted,
	.msix_notify = hlp_msix_notify,
	.chr_write = hlp_chr_write, .chr_rx_ready = hlp_chr_rx_ready,
	.trusted = &hlp_trusted_powers,
};

/* In a device process: VM-wide calls become up-calls wisp validates. */
static const struct dev_hlp_trusted hlp_sandboxed_powers = {
	.vm_poweroff = devproc_child_poweroff,
	.vm_reset = devproc_child_reset,
	.dev_find = devproc_child_dev_find,
	.ram_track = devproc_child_ram_track,
	.ram_query = devproc_child_ram_query,
	.vm_fault = devproc_child_vm_fault,
	.vm_panic = devproc_child_panic,
};
#define HLP_SANDBOXED                                                          \
	HLP_LOCAL, .irq_set = devproc_child_irq_set,                           \
	.msix_notify = devproc_child_msix_notify,                              \
	.chr_write = devproc_child_chr_write,                                  \
	.chr_rx_ready = devproc_child_rx_ready,                                \
	.guest_booted = devproc_child_guest_booted,                            \
	.mmio2_map = devproc_child_mmio2_map,                                  \
	.mmio2_unmap = devproc_child_mmio2_unmap,                              \
	.mmio2_track = devproc_child_mmio2_track,                              \
	.mmio2_query = devproc_child_mmio2_query,                              \
	.mmio2_read = devproc_child_mmio2_read,                                \
	.mmio2_write = devproc_child_mmio2_write,                              \
	.file_poll = devproc_child_file_poll,                                  \
	.doorbell_create = devproc_child_doorbell_create,                      \
	.doorbell_wait = devproc_child_doorbell_wait,                          \
	.worker_start = devproc_child_worker_start,                            \
	.file_punch = devfile_punch, .file_zero = devfile_zero
static const struct dev_hlp hlp_sandboxed = { HLP_SANDBOXED, .trusted = NULL };
static const struct dev_hlp hlp_sandboxed_trusted = {
	HLP_SANDBOXED, .trusted = &hlp_sandboxed_powers,
};

const struct dev_hlp *devhlp_table(bool trusted, bool sandboxed)
{
	if (sandboxed)
		return trusted ? &hlp_sandboxed_trusted : &hlp_sandboxed;
	return trusted ? &hlp_trusted : &hlp_untrusted;
}
