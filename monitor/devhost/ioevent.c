/*
 * monitor/devhost/ioevent.c - doorbells (KVM_IOEVENTFD) for both their kinds,
 * a device's ioevent_register (devhlp.c) and devfile's doorbell_create:
 * the caller may place one only on a range it registered, during
 * construction.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "devhost/devhost.h"
#include "hlp_check.h"

int devhlp_ioevent_check(struct dev_ins *ins, enum dev_space space,
			 uint64_t addr, unsigned len)
{
	struct dev_host *h = ((struct dev_host *)ins->host);
	struct io_target t;
	bool found = io_find(h->vm, space, addr, len, &t);

	return hlp_check_bell(ins, space, len, h->constructed,
			      found ? t.owner : NULL);
}

int devhlp_ioevent_kvm(struct vm *vm, enum dev_space space, uint64_t addr,
		       unsigned len, int fd)
{
	struct kvm_ioeventfd io = {
		.addr = addr, .len = len, .fd = fd,
		.flags = space == DEV_SPACE_PIO ? KVM_IOEVENTFD_FLAG_PIO : 0,
	};

	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}
