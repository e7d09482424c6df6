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
#if WISP_PASSTHRU
#include <cap-ng.h>
#include <sys/resource.h>

#include "vfio.h"
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
	screenshot_open(vm);
	vm->rxready_fd = fd_pin(vm->rxready_fd, FD_RXREADY);
}

#if WISP_PASSTHRU
/* --vfio: each function opened and checked while wisp still has its
 * privileges, so the host's preparation (vfio-pci, a viable group, an
 * IOMMU with interrupt remapping) gets its one line before anything
 * starts. Attaching it to the VM (BARs as memslots, MSI routes, the DMA
 * map) is issue 14's next step: until then wisp refuses to start rather
 * than run the guest without the function it was given. */
/* What VFIO may pin: the kernel counts mapped pages against
 * RLIMIT_MEMLOCK unless the mapper has CAP_IPC_LOCK, and wisp maps guest
 * RAM before it drops its capabilities. */
static uint64_t vfio_memlock(void)
{
	struct rlimit rl;

	if (capng_get_caps_process() == 0 &&
	    capng_have_capability(CAPNG_EFFECTIVE, CAP_IPC_LOCK))
		return UINT64_MAX;
	return getrlimit(RLIMIT_MEMLOCK, &rl) < 0 ? 0 : rl.rlim_cur;
}

static void vm_open_vfio(const struct vm_config *cfg)
{
	static struct vfio_dev d;
	char err[300];

	if (!cfg->n_vfio)
		return;
	struct vfio_host h = {"/sys", "/dev/vfio", &vfio_sys_host,
			      vfio_memlock()};
	for (unsigned i = 0; i < cfg->n_vfio; i++) {
		int rc = vfio_dev_open(&d, &h, cfg->vfio[i], err, sizeof(err));
		if (rc < 0)
			die(rc == -ENOENT ? WISP_EXIT_NOINPUT : WISP_EXIT_USAGE,
			    "%s", err);
		vfio_dev_close(&d);
	}
	die(WISP_EXIT_USAGE, "--vfio %s: opened and checked, but this build "
	    "cannot attach it to a VM yet", cfg->vfio[0]);
}
#endif

static void vm_build(struct vm *vm)
{
	int rc;

	kvm_open_vm(vm);
#if WISP_PCI
	pcibus_create(vm); /* before the devices that register functions */
#endif
	devmgr_construct(vm);
	if (vm->cfg->map_late)
		vm->cfg->map_late(vm);
	kvm_create_irqchip(vm);
#if WISP_PCI
	pcibus_start(vm); /* irqfds and routes need the irqchip */
#endif
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
	/* The main thread's filter goes on last: vCPU and worker threads are
	 * created (clone is not in its policy) and install their own. */
	sandbox_enter("main");
	int code = evloop_run(vm);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
	dev_workers_stop(vm);
	return code;
}

static void vm_teardown(struct vm *vm)
{
	uint64_t n = atomic_load(&vm->unclaimed);

	screenshot_take(vm, "exit");
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
#if WISP_PASSTHRU
	vm_open_vfio(&cfg);
#endif
	vm_prepare(&vm, &cfg);
	cfg.load_guest(&vm);
	vm_build(&vm);
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
