/*
 * monitor/main.c - one process, one VM. Order of life: parse and check all
 * input, build memory and load the guest, open KVM and create the VM, build
 * devices and vCPUs, drop privileges, run, stop in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/exitcode.h"
#include "policy.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "jail/jail.h"
#include "kvm/kvm.h"
#include "monitor.h"
#include "devhost/devproc.h"
#if WISP_PCI
#include "pci/pcibus.h"
#endif
#if WISP_CTL
#include "ctl/ctl.h"
#endif

static void vm_prepare(struct vm *vm, const struct vm_config *cfg)
{
	char err[256];

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->ncpus = cfg->ncpus;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->unclaimed_rl = (struct ratelimit)RATELIMIT_INIT(5);
	iobus_init(&vm->pio, "port", 0x10000);
	int rc = chr_open(&vm->console, cfg, err, sizeof(err));
	if (rc < 0)
		die(WISP_EXIT_USAGE, "%s", err);
	if (devmgr_create(vm, err, sizeof(err)) < 0)
		die(WISP_EXIT_USAGE, "%s", err);
	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->rxready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0 || vm->rxready_fd < 0)
		die(WISP_EXIT_OSERR, "eventfd: %s", strerror(errno));
	vm->stop_fd = fd_pin(vm->stop_fd, FD_STOP);
	pthread_mutex_init(&vm->pause.lock, NULL);
	pthread_cond_init(&vm->pause.cond, NULL);
	screenshot_open(vm);
	vm->rxready_fd = fd_pin(vm->rxready_fd, FD_RXREADY);
}


/* The map's room is fixed before vCPUs run: decoding a BAR or mapping
 * MMIO2 happens on a vCPU thread, whose filter has no mmap for malloc. */
static void vm_map_reserve(struct vm *vm)
{
	unsigned bars = 0;

#if WISP_PCI
	bars = pcibus_bar_count(vm);
#endif
	int rc = mem_map_reserve(&vm->mem, bars);
	if (rc < 0)
		die(WISP_EXIT_OSERR, "guest-physical map: no room for %u BARs "
		    "and %d MMIO2 regions: %s", bars, MEM_MAX_MMIO2,
		    strerror(-rc));
}

static void vm_build(struct vm *vm)
{
	int rc;

	kvm_open_vm(vm);
#if WISP_PCI
	pcibus_create(vm); /* before the devices that register functions */
#endif
	devmgr_construct(vm);
#if WISP_PASSTHRU
	pcibus_vfio_attach(vm); /* after the devices: theirs keep their slots */
#endif
	if (vm->cfg->map_late)
		vm->cfg->map_late(vm);
	kvm_create_irqchip(vm);
#if WISP_PCI
	pcibus_start(vm); /* irqfds and routes need the irqchip */
#endif
#if WISP_PASSTHRU
	pcibus_vfio_start(vm); /* after RAM, irqchip and routes exist */
#endif
	vm_map_reserve(vm); /* last: nothing is added to the map after it */
	for (unsigned i = 0; i < vm->ncpus; i++)
		if ((rc = vcpu_create(vm, i)) < 0)
			die(WISP_EXIT_KVM, "creating vCPU %u: %s", i, strerror(-rc));
}

/* Every signal stays blocked in the main thread (the event loop reads them
 * from a signalfd) and in the vCPU threads, which unblock only the kick. */
static void block_signals(void)
{
	sigset_t set;

	sigfillset(&set);
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGFPE);
	sigdelset(&set, SIGILL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int vm_run(struct vm *vm)
{
	int rc;

	for (unsigned i = 0; i < vm->ncpus; i++)
		if ((rc = vcpu_start(&vm->vcpus[i])) < 0)
			die(WISP_EXIT_OSERR, "starting vCPU %u: %s", i, strerror(-rc));
	dev_workers_start(vm);
#if WISP_CTL
	ctl_start(vm);
#endif
	/* The main thread's filter goes on last: vCPU, worker and control
	 * threads are created (clone is not in its policy) and install their
	 * own. */
	sandbox_enter("main");
	int code = evloop_run(vm);
	vcpus_unpark(vm); /* parked by a pause: they see the stop */
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
	dev_workers_stop(vm);
#if WISP_CTL
	ctl_stop(vm, code);
#endif
	return code;
}

static void vm_teardown(struct vm *vm)
{
	uint64_t n = atomic_load(&vm->unclaimed);

	screenshot_take(vm, "exit");
#if WISP_PASSTHRU
	pcibus_vfio_stop(vm); /* the device quiet before anything else goes */
#endif
	devmgr_destruct(vm);
	devproc_reap_all(vm);
	chr_close(&vm->console);
	if (n)
		wlog(LOG_INFO, "%llu accesses to unclaimed ports/MMIO",
		     (unsigned long long)n);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct vm vm;
	struct vm_config cfg;

	uptime_start();
	/* wisp re-executed as one of its own device processes (devproc.h). */
	if (argc == 1 && !strcmp(argv[0], DEVPROC_ARGV0))
		devproc_exec_main();
	cli_parse(argc, argv, &cfg);
	block_signals();
	vm_prepare(&vm, &cfg);
#if WISP_PASSTHRU
	/* --vfio first: the host's preparation (vfio-pci, a viable group, an
	 * IOMMU with interrupt remapping) gets its one line before anything
	 * starts, and its fds take their fixed numbers while those are free */
	pcibus_vfio_open(&vm);
#endif
	cfg.load_guest(&vm);
	vm_build(&vm);
#if WISP_CTL
	ctl_open(&vm); /* before the drop: the path may need its privileges */
#endif
	devproc_open_exe(&vm);
	if (priv_confine(&cfg) < 0)
		die(WISP_EXIT_OSERR, "confining wisp failed");
	/* Device processes are started into the jail; each finishes its own
	 * drop before its exec, as wisp does next. */
	devproc_spawn_all(&vm);
	if (priv_finish(&cfg, false) < 0)
		die(WISP_EXIT_OSERR, "dropping privileges failed");
	evloop_init(&vm);
	int code = vm_run(&vm);
	vm_teardown(&vm);
	return code;
}
