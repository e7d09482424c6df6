/* monitor/kvm/kvm.c - open KVM, check what wisp relies on, create the VM. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "policy.h"
#include "core/vm.h"
#include "jail/jail.h"
#include "kvm/kvm.h"

/* Each capability wisp cannot run without, and what it is needed for. */
static const struct {
	int cap;
	const char *name;
} kvm_required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY (guest RAM)" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP (in-kernel interrupt controller)" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2 (in-kernel timer)" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT (stopping vCPUs)" },
	{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE (starting vCPUs)" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
};

/* Fails the VM before it starts: a missing capability is the host's
 * problem, reported by name. */
static void kvm_check_caps(int kvm_fd)
{
	int ver = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);

	if (ver != KVM_API_VERSION)
		die(WISP_EXIT_KVM, "KVM API version %d, wisp needs %d", ver,
		    KVM_API_VERSION);
	for (size_t i = 0; i < sizeof(kvm_required_caps) /
				       sizeof(kvm_required_caps[0]); i++) {
		if (ioctl(kvm_fd, KVM_CHECK_EXTENSION,
			  kvm_required_caps[i].cap) <= 0)
			die(WISP_EXIT_KVM, "KVM lacks %s",
			    kvm_required_caps[i].name);
	}
}

static unsigned kvm_max_vcpus(int kvm_fd)
{
	int n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (n <= 0)
		n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	return n > 0 ? (unsigned)n : 1;
}

int kvm_open_vm(struct vm *vm)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		die(WISP_EXIT_KVM, "cannot open /dev/kvm: %s", strerror(errno));
	vm->kvm_fd = fd_pin(vm->kvm_fd, FD_KVM);
	kvm_check_caps(vm->kvm_fd);
	unsigned max = kvm_max_vcpus(vm->kvm_fd);
	if (vm->ncpus > max)
		die(WISP_EXIT_USAGE, "--cpus %u: this host's KVM allows at most %u",
		    vm->ncpus, max);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		die(WISP_EXIT_KVM, "KVM_CREATE_VM: %s", strerror(errno));
	vm->vm_fd = fd_pin(vm->vm_fd, FD_VM);
	/* RAM slots go in before the irqchip exists: once it does, each
	 * memslot change waits for an SRCU grace period (6-10 ms measured
	 * here, against 0.1 ms before). */
	int rc = mem_register_kvm(&vm->mem, vm->vm_fd);
	if (rc < 0)
		die(WISP_EXIT_KVM, "registering guest memory: %s", strerror(-rc));
	vcpus_hold_init(vm);
	/* KVM's own pages go in the map first: a device or ROM placed on
	 * them later is refused, naming both ranges. */
	char err[200];
	if (mem_reserve_kvm(&vm->mem, err, sizeof(err)) < 0)
		die(WISP_EXIT_USAGE, "guest memory: %s", err);
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)MEM_KVM_TSS) < 0)
		die(WISP_EXIT_KVM, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	uint64_t idmap = MEM_KVM_IDMAP;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0 &&
	    errno != EINVAL)
		die(WISP_EXIT_KVM, "KVM_SET_IDENTITY_MAP_ADDR: %s",
		    strerror(errno));
	return 0;
}

void kvm_create_irqchip(struct vm *vm)
{
	/* The PIT: Linux calibrates its timers against it (and the test
	 * images never program it, so it stays quiet for them). */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		die(WISP_EXIT_KVM, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		die(WISP_EXIT_KVM, "KVM_CREATE_PIT2: %s", strerror(errno));
}
