/*
 * tests/bench/pgm.c - `make bench` lines for mem/ (the compact PGM), each a
 * ratio against a baseline measured in the same run:
 *   dirty query-and-reset of a 1 GiB tracked MMIO2 region with 1% of its
 *   pages written by the guest, against bare KVM_GET_DIRTY_LOG +
 *   KVM_CLEAR_DIRTY_LOG on the same memslot, rounds alternating;
 *   guest-physical map lookup (what an MMIO exit does) with 8 and 512
 *   ranges, against a bare KVM_RUN port-I/O exit of the same guest.
 *   pgm GUEST_DIR
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

#define REGION_GPA 0x40000000ull
#define REGION_SIZE (1ull << 30)
#define DIRTY_PAGES 2622 /* every 100th of 2^18 pages */
#define ROUNDS 15        /* each way */
#define BASE_EXITS 20000
#define LOOKUPS 2000000

static struct mem m;
static const int owner = 1;
static int region, vm_fd, cpu_fd;
static struct kvm_run *run;
static uint64_t bitmap[REGION_SIZE / 4096 / 64];

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The image opened for the loader, which preads it; *len its size. */
static int image_fd(const char *path, uint64_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		fail(path);
	*len = (uint64_t)st.st_size;
	return fd;
}

/* A VM like bare.c's, plus the tracked region, mapped before any vCPU. */
static void setup(const char *image)
{
	struct boot_info bi;
	char err[256];
	uint64_t len;
	int img = image_fd(image, &len);
	int kvm = open("/dev/kvm", O_RDWR);

	vm_fd = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm_fd < 0 || mem_init(&m, 64ull << 20) < 0 ||
	    mem_register_kvm(&m, vm_fd) < 0)
		fail("vm");
	region = mem_mmio2_create(&m, &owner, "bench", REGION_SIZE,
				  MEM_MMIO2_F_TRACK);
	if (region < 0 || mem_mmio2_map(&m, &owner, region, REGION_GPA, err,
					sizeof(err)) < 0)
		fail("region");
	if (loader_testimg_load(&m, img, len, NULL, &bi, err, sizeof(err)))
		fprintf(stderr, "pgm: %s\n", err), exit(1);
	ioctl(vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	cpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		   cpu_fd, 0);
	if (cpu_fd < 0 || run == MAP_FAILED ||
	    cpu_boot_setup(cpu_fd, &bi, &m, 0, 1))
		fail("vcpu");
}

/* Run until a port write to `port`; returns its time. */
static uint64_t run_to(unsigned port)
{
	for (;;) {
		if (ioctl(cpu_fd, KVM_RUN, 0) < 0)
			fail("KVM_RUN");
		if (run->exit_reason != KVM_EXIT_IO)
			fprintf(stderr, "pgm: exit %u\n", run->exit_reason), exit(1);
		if (run->io.port == port)
			return mono_ns();
	}
}

static unsigned popcount(void)
{
	unsigned n = 0;

	for (size_t i = 0; i < sizeof(bitmap) / 8; i++)
		n += (unsigned)__builtin_popcountll(bitmap[i]);
	return n;
}

static uint64_t bare_query(void)
{
	struct kvm_dirty_log l = { .slot = (uint32_t)m.mmio2[region].d.slot,
				   .dirty_bitmap = bitmap };
	struct kvm_clear_dirty_log c = { .slot = l.slot, .num_pages =
		REGION_SIZE / 4096, .dirty_bitmap = bitmap };
	uint64_t t = mono_ns();

	if (ioctl(vm_fd, KVM_GET_DIRTY_LOG, &l) < 0 ||
	    (m.manual_protect && ioctl(vm_fd, KVM_CLEAR_DIRTY_LOG, &c) < 0))
		fail("bare dirty log");
	return mono_ns() - t;
}

static uint64_t our_query(void)
{
	uint64_t t = mono_ns();

	if (mem_mmio2_query(&m, &owner, region, bitmap, sizeof(bitmap)) < 0)
		fail("mem_mmio2_query");
	return mono_ns() - t;
}

static int cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp64);
	return (double)v[n / 2];
}

static void bench_dirty(void)
{
	uint64_t ours[ROUNDS], bare[ROUNDS];

	for (int r = 0; r < 2 * ROUNDS; r++) {
		run_to(0xe0); /* the guest wrote its 1% */
		uint64_t dt = r % 2 ? bare_query() : our_query();
		if (popcount() != DIRTY_PAGES)
			fprintf(stderr, "pgm: round %d: %u pages dirty, want %u\n",
				r, popcount(), DIRTY_PAGES), exit(1);
		(r % 2 ? bare : ours)[r / 2] = dt;
	}
	double o = median(ours, ROUNDS), b = median(bare, ROUNDS);
	printf("bench dirty-query-1g-1pct: %.1f us (%.2fx vs bare "
	       "KVM_GET_DIRTY_LOG+CLEAR %.1f us)\n", o / 1e3, o / b, b / 1e3);
}

/* n MMIO ranges of 4 KiB, 64 KiB apart; lookups cycle through them. */
static double lookup_ns(unsigned n)
{
	struct gmap g;
	struct gmap_range r = { .kind = GMAP_MMIO, .size = 4096 }, out;
	uint64_t hits = 0;

	gmap_init(&g);
	for (unsigned i = 0; i < n; i++) {
		r.gpa = 0xd0000000ull + (uint64_t)i * 0x10000;
		if (gmap_insert(&g, &r, NULL, 0) < 0)
			fail("gmap_insert");
	}
	uint64_t t = mono_ns();
	for (unsigned i = 0; i < LOOKUPS; i++)
		hits += gmap_lookup(&g, 0xd0000000ull +
				   (uint64_t)((i * 2654435761u) % n) * 0x10000 + 8,
				   4, &out);
	double ns = (double)(mono_ns() - t) / LOOKUPS;
	if (hits != LOOKUPS)
		fprintf(stderr, "pgm: lookups missed\n"), exit(1);
	gmap_free(&g);
	return ns;
}

int main(int argc, char **argv)
{
	char image[4096];

	if (argc < 2)
		return fprintf(stderr, "usage: pgm GUEST_DIR\n"), 1;
	snprintf(image, sizeof(image), "%s/dirtybench.elf", argv[1]);
	setup(image);
	uint64_t t0 = run_to(0xe4);
	double exit_ns = (double)(run_to(0xe4) - t0);
	t0 = mono_ns();
	for (int i = 2; i < BASE_EXITS; i++)
		run_to(0xe4);
	exit_ns = (double)(mono_ns() - t0) / (BASE_EXITS - 2);
	bench_dirty();
	for (unsigned n = 8; n <= 512; n *= 64) {
		double ns = lookup_ns(n);
		printf("bench map-lookup-%u: %.1f ns/exit (%.4fx vs bare KVM_RUN "
		       "exit %.0f ns)\n", n, ns, ns / exit_ns, exit_ns);
	}
	return 0;
}
