/*
 * tests/bench/bare.c - the baseline: the same test image under the smallest
 * possible monitor, a bare KVM_RUN loop. It loads with wisp's own loader (so
 * the guest is identical) and handles only the two ports the benchmark
 * guests use: 0xe0 (a counter, like testdev) and 0xe4 (mark), and 0xf4 to
 * exit. No devices, no threads, no locks, no lookup.
 *   bare IMAGE [CMDLINE]
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boot/loader.h"
#include "mem.h"

static void fail(const char *what)
{
	perror(what);
	exit(100);
}

/* The image opened for the loader, which preads it; *len its size. */
static int image(const char *path, uint64_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		fail(path);
	*len = (uint64_t)st.st_size;
	return fd;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int setup(const char *path, const char *cmdline, struct kvm_run **run)
{
	static struct mem m;
	struct boot_info bi;
	char err[256];
	uint64_t len;
	int img = image(path, &len);
	int kvm = open("/dev/kvm", O_RDWR);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);

	if (vm < 0 || mem_init(&m, 64ull << 20) < 0 ||
	    mem_register_kvm(&m, vm) < 0)
		fail("vm");
	if (loader_testimg_load(&m, img, len, cmdline, &bi, err, sizeof(err)))
		fprintf(stderr, "bare: %s\n", err), exit(100);
	if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0 ||
	    ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		fail("irqchip");
	int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	*run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
	if (cpu < 0 || *run == MAP_FAILED || cpu_boot_setup(cpu, &bi, &m, 0, 1))
		fail("vcpu");
	return cpu;
}

int main(int argc, char **argv)
{
	struct kvm_run *run;
	uint64_t counter = 0;

	if (argc < 2)
		return fprintf(stderr, "usage: bare IMAGE [CMDLINE]\n"), 100;
	int cpu = setup(argv[1], argc > 2 ? argv[2] : NULL, &run);
	for (;;) {
		if (ioctl(cpu, KVM_RUN, 0) < 0)
			fail("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_MMIO) {
			counter++; /* the bench guest's MMIO writes: nothing else */
			continue;
		}
		if (run->exit_reason != KVM_EXIT_IO)
			return fprintf(stderr, "bare: exit %u\n", run->exit_reason), 100;
		if (run->io.port == 0xe0)
			counter++;
		else if (run->io.port == 0xe4)
			fprintf(stderr, "bare: mark t=%llu\n",
				(unsigned long long)mono_ns());
		else if (run->io.port == 0xf4)
			break;
	}
	fprintf(stderr, "bare: %llu counter writes\n", (unsigned long long)counter);
	return 0;
}
