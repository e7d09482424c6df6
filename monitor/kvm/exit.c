/* monitor/kvm/exit.c - what to do with each KVM exit. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/exitcode.h"
#include "core/vm.h"
#include "kvm/kvm.h"
#include "devhost/devproc.h"
#if WISP_PCI
#include "pci/pcibus.h"
#endif

static void io_unclaimed(struct vm *vm, const char *space, uint64_t addr,
			 void *data, unsigned size, bool is_write)
{
	uint64_t n = atomic_fetch_add(&vm->unclaimed, 1) + 1, supp;

	/* Fatal: its line is never rate-limited, and printed once. */
	if (vm->cfg && vm->cfg->strict_io) {
		if (!atomic_load(&vm->stopping))
			wlog(LOG_ERR, "guest %s %s at 0x%llx size %u: nothing "
			     "handles it", space, is_write ? "write" : "read",
			     (unsigned long long)addr, size);
		vm_request_stop(vm, WISP_EXIT_GUEST_ABI, "unclaimed access");
	}
	if (!is_write)
		memset(data, 0xff, size);
	if (log_guest_ok(&vm->unclaimed_rl, &supp))
		wlog(LOG_WARN,
		     "unclaimed %s %s at 0x%llx size %u (%llu so far, %llu "
		     "lines suppressed)",
		     space, is_write ? "write" : "read",
		     (unsigned long long)addr, size, (unsigned long long)n,
		     (unsigned long long)supp);
}

/* A sandboxed device's access. Its process's map does not follow the
 * guest's BAR moves: a PCI BAR is named by index and offset. */
static void io_call_proc(const struct io_target *t, uint64_t addr, void *data,
			 unsigned size, bool is_write)
{
	unsigned space = t->space;
#if WISP_PCI
	unsigned bar;

	if (pcibus_bar_target(t, &bar)) {
		space = DP_SPACE_BAR0 + bar;
		addr -= t->base;
	}
#endif
	devproc_io(t->owner->host, space, addr, data, size, is_write);
}

/* One access into a device, under its lock; a sandboxed device gets it as
 * a request in its own process (devproc.h). */
static void io_call(const struct io_target *t, uint64_t addr, void *data,
		    unsigned size, bool is_write)
{
	struct dev_host *h = t->owner->host;
	const struct dev_io_ops *ops = t->ops;
	struct dev_ins *owner = t->owner;
	void *opaque = t->opaque;
	uint64_t val = 0, off = addr - t->base;

	pthread_mutex_lock(&h->lock);
	stat_add(&h->accesses, 1);
	if (h->proc) {
		io_call_proc(t, addr, data, size, is_write);
	} else if (is_write) {
		memcpy(&val, data, size);
		if (ops->write)
			ops->write(owner, opaque, off, size, val);
	} else {
		val = ops->read ? ops->read(owner, opaque, off, size) : ~0ull;
		memcpy(data, &val, size);
	}
	pthread_mutex_unlock(&h->lock);
}

void io_dispatch(struct vm *vm, struct iobus *bus, uint64_t addr, void *data,
		 unsigned size, bool is_write)
{
	const struct iobus_range *r = iobus_find(bus, addr, size);

	if (!r) {
		io_unclaimed(vm, bus->name, addr, data, size, is_write);
		return;
	}
	struct io_target t = { r->owner, r->ops, r->opaque, DEV_SPACE_PIO,
			       r->base };
	io_call(&t, addr, data, size, is_write);
}

/* MMIO exits are looked up in mem/'s guest-physical map. A write to ROM
 * (a read-only memslot) exits too: it is dropped, the VM goes on. */
void mmio_dispatch(struct vm *vm, uint64_t addr, void *data, unsigned size,
		   bool is_write)
{
	struct gmap_range r;
	bool found = gmap_lookup(&vm->mem.map, addr, size, &r);

	if (found && r.kind == GMAP_MMIO) {
		struct io_target t = { (struct dev_ins *)r.owner, r.ops,
				       r.opaque, DEV_SPACE_MMIO, r.gpa };
		io_call(&t, addr, data, size, is_write);
	} else
		io_unclaimed(vm, found && r.kind == GMAP_ROM ? "ROM" : "MMIO",
			     addr, data, size, is_write);
}

static unsigned long long vcpu_rip(struct vcpu *v)
{
	struct kvm_regs regs;

	return ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ? ~0ull : regs.rip;
}

/* Exits that end the VM: the message says what and where. */
static bool exit_fatal(struct vcpu *v, int code, const char *what)
{
	wlog(LOG_ERR, "vCPU %u: %s (rip 0x%llx)", v->idx, what, vcpu_rip(v));
	vm_request_stop(v->vm, code, what);
	return false;
}

static bool exit_io(struct vcpu *v)
{
	/* Read once: the data area must not be able to rewrite the exit. */
	typeof(v->run->io) io = v->run->io;
	unsigned size = io.size;
	uint64_t span = (uint64_t)io.count * size;

	/* KVM puts the data on a page of its own past struct kvm_run; a data
	 * area inside the header or past the mapping would mean a broken
	 * kernel contract: stop rather than touch memory we do not own. */
	if ((size != 1 && size != 2 && size != 4) ||
	    io.data_offset < sizeof(struct kvm_run) ||
	    io.data_offset > v->run_size || span > v->run_size - io.data_offset)
		return exit_fatal(v, WISP_EXIT_INTERNAL, "bad KVM_EXIT_IO");
	uint8_t *data = (uint8_t *)v->run + io.data_offset;
	for (uint32_t i = 0; i < io.count; i++)
		io_dispatch(v->vm, &v->vm->pio, io.port, data + i * size, size,
			    io.direction == KVM_EXIT_IO_OUT);
	return true;
}

static bool exit_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len;

	if (len != 1 && len != 2 && len != 4 && len != 8) {
		return exit_fatal(v, WISP_EXIT_INTERNAL, "bad KVM_EXIT_MMIO");
	}
	mmio_dispatch(v->vm, run->mmio.phys_addr, run->mmio.data, len,
		      run->mmio.is_write);
	return true;
}

static bool exit_internal(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char what[128];

	snprintf(what, sizeof(what), "KVM internal error, suberror %u%s",
		 run->internal.suberror,
		 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
			 ? " (instruction emulation failed)"
			 : "");
	return exit_fatal(v, WISP_EXIT_KVM_INTERNAL, what);
}

static bool exit_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_stop(v->vm, WISP_EXIT_OK, "guest shutdown event");
		return false;
	case KVM_SYSTEM_EVENT_RESET:
		wlog(LOG_INFO, "vCPU %u: guest reset (KVM system event); stopping",
		     v->idx);
		vm_event(v->vm, VM_EV_REBOOT, NULL, "KVM system event", 0);
		vm_request_stop(v->vm, WISP_EXIT_GUEST_REBOOT, "guest reset event");
		return false;
	default:
		return exit_fatal(v, WISP_EXIT_UNKNOWN_EXIT,
				  "unknown KVM system event");
	}
}

/* Metrics: exits by kind, as kind + 1 (0: other). */
static const uint8_t exit_kinds[] = {
	[KVM_EXIT_IO] = VX_IO + 1, [KVM_EXIT_MMIO] = VX_MMIO + 1,
	[KVM_EXIT_HLT] = VX_HLT + 1, [KVM_EXIT_INTR] = VX_INTR + 1,
	[KVM_EXIT_SYSTEM_EVENT] = VX_SYSTEM + 1,
};

static void exit_count(struct vcpu *v, uint32_t reason)
{
	unsigned k = reason < sizeof(exit_kinds) ? exit_kinds[reason] : 0;

	stat_add(&v->exit_kind[k ? k - 1 : VX_OTHER], 1);
}

bool exit_dispatch(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char what[96];

	exit_count(v, run->exit_reason);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return exit_io(v);
	case KVM_EXIT_MMIO:
		return exit_mmio(v);
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_HLT:
		return exit_fatal(v, WISP_EXIT_HLT, "guest halted (KVM_EXIT_HLT)");
	case KVM_EXIT_SHUTDOWN:
		return exit_fatal(v, WISP_EXIT_TRIPLE_FAULT,
				  "guest triple fault (KVM_EXIT_SHUTDOWN)");
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what),
			 "VM entry failed, hardware reason 0x%llx",
			 (unsigned long long)run->fail_entry
				 .hardware_entry_failure_reason);
		return exit_fatal(v, WISP_EXIT_FAIL_ENTRY, what);
	case KVM_EXIT_INTERNAL_ERROR:
		return exit_internal(v);
	case KVM_EXIT_SYSTEM_EVENT:
		return exit_system_event(v);
	default:
		snprintf(what, sizeof(what), "unhandled KVM exit reason %u",
			 run->exit_reason);
		return exit_fatal(v, WISP_EXIT_UNKNOWN_EXIT, what);
	}
}
