/*
 * Unit tests: MMIO2 regions and dirty tracking (mem/mmio2.c, mem/dirty.c)
 * without KVM: mem_sim_guest_write stands in for KVM's dirty log. Bitmap
 * sizing, owner checks, exact reports while mapped and tracked, the
 * conservative rule while unmapped or untracked, host-side writes marked,
 * RAM tracking; against a fake KVM (ioctl wrapped at link time), no guest
 * write lost at an unmap.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mem.h"

#define PAGES 70 /* two bitmap words, the second partly used */
#define SIZE (PAGES * 4096ull)
#define GPA 0xd0000000ull

static struct mem m;
static const int me = 1, other = 2;
static int h;

static int setup(void **state)
{
	assert_int_equal(mem_init(&m, 4 << 20), 0);
	h = mem_mmio2_create(&m, &me, "vram", SIZE, MEM_MMIO2_F_TRACK);
	assert_true(h >= 0);
	return 0;
}

static int teardown(void **state)
{
	mem_destroy(&m);
	return 0;
}

/* Query and compare with the pages listed (terminated by -1). */
static void expect_pages(const int *pages)
{
	uint64_t bm[2], want[2] = { 0, 0 };

	for (; *pages >= 0; pages++)
		want[*pages / 64] |= 1ull << (*pages % 64);
	assert_int_equal(mem_mmio2_query(&m, &me, h, bm, sizeof(bm)), 0);
	assert_int_equal(bm[0], want[0]);
	assert_int_equal(bm[1], want[1]);
}

static const int none[] = { -1 };
static const int all[] = { 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
			   12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
			   24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
			   36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
			   48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,
			   60, 61, 62, 63, 64, 65, 66, 67, 68, 69, -1 };

static void guest_write(uint64_t page, uint64_t off)
{
	uint8_t b = 1;

	assert_int_equal(mem_sim_guest_write(&m, GPA + page * 4096 + off, &b,
					     1), 0);
}

static void test_bitmap_size(void **state)
{
	uint64_t bm[3];

	assert_int_equal(mem_bitmap_bytes(SIZE), 16);
	assert_int_equal(mem_bitmap_bytes(4096), 8);
	assert_int_equal(mem_bitmap_bytes(64 * 4096), 8);
	assert_int_equal(mem_bitmap_bytes(65 * 4096), 16);
	assert_int_equal(mem_mmio2_query(&m, &me, h, bm, 8), -EINVAL);
	assert_int_equal(mem_mmio2_query(&m, &me, h, bm, 24), -EINVAL);
	assert_int_equal(mem_mmio2_query(&m, &me, h, bm, 16), 0);
	assert_int_equal(mem_mmio2_create(&m, &me, "x", 100, 0), -EINVAL);
	assert_int_equal(mem_mmio2_create(&m, &me, "x", 0, 0), -EINVAL);
	assert_int_equal(mem_mmio2_create(&m, &me, "x", 4096, 0x80), -EINVAL);
	/* a device cannot ask for gigabytes of bitmap (libFuzzer's devhlp
	 * target found a 64 TiB region's 2 GiB bitmaps) */
	assert_int_equal(mem_mmio2_create(&m, &me, "x", MEM_MMIO2_MAX + 4096,
					  MEM_MMIO2_F_TRACK), -EINVAL);
	assert_int_equal(mem_mmio2_create(&m, &me, "x", 1ull << 46, 0), -EINVAL);
}

static void test_owner(void **state)
{
	uint64_t bm[2];
	uint8_t b = 0;

	assert_int_equal(mem_mmio2_map(&m, &other, h, GPA, NULL, 0), -EPERM);
	assert_int_equal(mem_mmio2_unmap(&m, &other, h), -EPERM);
	assert_int_equal(mem_mmio2_track(&m, &other, h, false), -EPERM);
	assert_int_equal(mem_mmio2_query(&m, &other, h, bm, 16), -EPERM);
	assert_int_equal(mem_mmio2_write(&m, &other, h, 0, &b, 1), -EPERM);
	assert_int_equal(mem_mmio2_read(&m, &other, h, 0, &b, 1), -EPERM);
	assert_int_equal(mem_mmio2_destroy(&m, &other, h), -EPERM);
	assert_int_equal(mem_mmio2_query(&m, &me, -1, bm, 16), -EBADF);
	assert_int_equal(mem_mmio2_query(&m, &me, MEM_MAX_MMIO2, bm, 16),
			 -EBADF);
	assert_int_equal(mem_mmio2_query(&m, &me, h + 1, bm, 16), -EBADF);
	int u = mem_mmio2_create(&m, &me, "plain", 4096, 0);
	assert_int_equal(mem_mmio2_track(&m, &me, u, true), -ENOTSUP);
	assert_int_equal(mem_mmio2_query(&m, &me, u, bm, 8), -ENOTSUP);
}

static void test_host_access_checked(void **state)
{
	uint8_t b[8] = { 0 };

	assert_int_equal(mem_mmio2_write(&m, &me, h, SIZE - 4, b, 8), -EFAULT);
	assert_int_equal(mem_mmio2_write(&m, &me, h, ~0ull - 2, b, 8), -EFAULT);
	assert_int_equal(mem_mmio2_read(&m, &me, h, SIZE, b, 1), -EFAULT);
	assert_int_equal(mem_mmio2_read(&m, &me, h, 0, NULL, 1), -EFAULT);
	assert_int_equal(mem_mmio2_read(&m, &me, h, SIZE - 8, b, 8), 0);
}

static void test_exact_rounds(void **state)
{
	static const int r1[] = { 0, 5, 63, 64, 69, -1 }, r2[] = { 7, -1 };

	assert_int_equal(mem_mmio2_map(&m, &me, h, GPA, NULL, 0), 0);
	expect_pages(none);
	for (const int *p = r1; *p >= 0; p++)
		guest_write((uint64_t)*p, 4095);
	guest_write(5, 0); /* twice, one bit */
	expect_pages(r1);
	expect_pages(none);
	guest_write(7, 10);
	expect_pages(r2);
	/* a write straddling two pages marks both */
	uint8_t two[2] = { 1, 2 };
	assert_int_equal(mem_sim_guest_write(&m, GPA + 2 * 4096 - 1, two, 2),
			 0);
	static const int r3[] = { 1, 2, -1 };
	expect_pages(r3);
}

static void test_host_writes_marked(void **state)
{
	static const int r1[] = { 3, 68, -1 };
	uint8_t b = 7;

	assert_int_equal(mem_mmio2_map(&m, &me, h, GPA, NULL, 0), 0);
	assert_int_equal(mem_mmio2_write(&m, &me, h, 3 * 4096, &b, 1), 0);
	/* By guest address a region is nobody's to write: only by handle. */
	assert_int_equal(mem_write(&m, GPA + 9 * 4096 + 1, &b, 1), -EFAULT);
	guest_write(68, 0);
	expect_pages(r1);
	expect_pages(none);
}

static void test_unmapped_rule(void **state)
{
	static const int r1[] = { 4, -1 };
	uint8_t b = 1;

	expect_pages(none); /* never mapped, never written */
	assert_int_equal(mem_mmio2_write(&m, &me, h, 0, &b, 1), 0);
	expect_pages(all); /* unmapped and written: every page */
	expect_pages(none);
	assert_int_equal(mem_mmio2_map(&m, &me, h, GPA, NULL, 0), 0);
	guest_write(4, 0);
	expect_pages(r1);
	guest_write(4, 0);
	assert_int_equal(mem_mmio2_unmap(&m, &me, h), 0);
	expect_pages(all); /* written before the unmap, queried after */
	expect_pages(none);
	/* moved: mapped elsewhere, exact again */
	assert_int_equal(mem_mmio2_map(&m, &me, h, GPA + 0x100000, NULL, 0), 0);
	assert_int_equal(mem_sim_guest_write(&m, GPA + 0x100000 + 4 * 4096, &b,
					     1), 0);
	expect_pages(r1);
	assert_int_equal(mem_mmio2_unmap(&m, &me, h), 0);
	expect_pages(none); /* not written since the last query */
	assert_int_equal(mem_mmio2_unmap(&m, &me, h), -ENOENT);
}

static void test_disabled_rule(void **state)
{
	static const int r1[] = { 2, -1 };

	assert_int_equal(mem_mmio2_map(&m, &me, h, GPA, NULL, 0), 0);
	assert_int_equal(mem_mmio2_map(&m, &me, h, GPA, NULL, 0), -EBUSY);
	assert_int_equal(mem_mmio2_track(&m, &me, h, false), 0);
	guest_write(2, 0);
	expect_pages(all); /* mapped, untracked: the guest may write unseen */
	expect_pages(all);
	assert_int_equal(mem_mmio2_track(&m, &me, h, true), 0);
	expect_pages(all); /* the untracked interval */
	expect_pages(none);
	guest_write(2, 0);
	expect_pages(r1);
	/* unmapped while untracked: everything, once */
	assert_int_equal(mem_mmio2_track(&m, &me, h, false), 0);
	assert_int_equal(mem_mmio2_unmap(&m, &me, h), 0);
	expect_pages(all);
	expect_pages(none);
	assert_int_equal(mem_mmio2_track(&m, &me, h, true), 0);
	expect_pages(none); /* unmapped: nothing could write */
}

static void test_reset_only(void **state)
{
	assert_int_equal(mem_mmio2_map(&m, &me, h, GPA, NULL, 0), 0);
	guest_write(1, 0);
	uint8_t b = 1;
	assert_int_equal(mem_mmio2_write(&m, &me, h, 0, &b, 1), 0);
	assert_int_equal(mem_mmio2_query(&m, &me, h, NULL, 0), 0);
	expect_pages(none);
}

static void test_ram_tracking(void **state)
{
	uint64_t bm = 0;
	uint8_t b = 1;

	assert_int_equal(mem_ram_query(&m, 0x10000, 64 * 4096, &bm, 8), 0);
	assert_int_equal(bm, ~0ull); /* untracked: everything */
	assert_int_equal(mem_ram_track(&m, true), 0);
	assert_int_equal(mem_ram_query(&m, 0x10000, 64 * 4096, &bm, 8), 0);
	assert_int_equal(bm, ~0ull); /* the untracked past */
	assert_int_equal(mem_ram_query(&m, 0x10000, 64 * 4096, &bm, 8), 0);
	assert_int_equal(bm, 0);
	assert_int_equal(mem_write(&m, 0x10000 + 3 * 4096, &b, 1), 0);
	/* mem_sim_guest_write only logs into the tracked slot once KVM-like
	 * slots exist; host writes are marked regardless */
	assert_int_equal(mem_ram_query(&m, 0x10000, 64 * 4096, &bm, 8), 0);
	assert_int_equal(bm, 1ull << 3);
	assert_int_equal(mem_ram_query(&m, 0x10001, 4096, &bm, 8), -EINVAL);
	assert_int_equal(mem_ram_query(&m, 0x10000, 4096, &bm, 16), -EINVAL);
	assert_int_equal(mem_ram_query(&m, MEM_HOLE_START, 4096, &bm, 8),
			 -EINVAL);
	assert_int_equal(mem_ram_track(&m, false), 0);
	assert_int_equal(mem_write(&m, 0x10000, &b, 1), 0);
	assert_int_equal(mem_ram_query(&m, 0x10000, 4096, &bm, 8), 0);
	assert_int_equal(bm, 1);
}

static void listen_count(void *opaque, const struct gmap_range *r, bool on)
{
	*(int *)opaque += on ? 1 : -1;
}

static void test_listener_sees_ram_only(void **state)
{
	int n = 0;

	assert_int_equal(gmap_listen(&m.map, listen_count, &n), 0);
	assert_int_equal(n, 1); /* the existing RAM range, replayed */
	assert_int_equal(mem_mmio2_map(&m, &me, h, GPA, NULL, 0), 0);
	assert_int_equal(n, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* A fake KVM behind one "VM" fd (this test links with --wrap=ioctl):
 * memslots and their dirty logs, and one vCPU that, while it may run,
 * writes a new page of the region before each call wisp makes, as a
 * running guest may at any moment. */
#define FAKE_SLOTS 8
static struct {
	bool used, log;
	uint64_t gpa, bm[2];
} fslot[FAKE_SLOTS];
static int fake_fd = -1;
static bool fake_runs;     /* the vCPU may be inside KVM_RUN */
static unsigned fake_next; /* the page it writes next */
static uint64_t fake_wrote[2]; /* every page it wrote into the region */

static void fake_guest_step(void)
{
	for (int i = 0; i < FAKE_SLOTS && fake_runs; i++) {
		if (!fslot[i].used || fslot[i].gpa != GPA)
			continue;
		unsigned p = fake_next++ % PAGES;
		fake_wrote[p / 64] |= 1ull << (p % 64);
		if (fslot[i].log)
			fslot[i].bm[p / 64] |= 1ull << (p % 64);
	}
}

static int fake_set(const struct kvm_userspace_memory_region *r)
{
	assert_true(r->slot < FAKE_SLOTS);
	if (!r->memory_size || !fslot[r->slot].used)
		memset(&fslot[r->slot], 0, sizeof(fslot[0])); /* log dies */
	if (!r->memory_size)
		return 0;
	fslot[r->slot].used = true;
	fslot[r->slot].gpa = r->guest_phys_addr;
	fslot[r->slot].log = r->flags & KVM_MEM_LOG_DIRTY_PAGES;
	if (!fslot[r->slot].log)
		memset(fslot[r->slot].bm, 0, sizeof(fslot[0].bm));
	return 0;
}

static int fake_get(struct kvm_dirty_log *l)
{
	if (l->slot >= FAKE_SLOTS || !fslot[l->slot].log) {
		errno = ENOENT;
		return -1;
	}
	memcpy(l->dirty_bitmap, fslot[l->slot].bm, sizeof(fslot[0].bm));
	memset(fslot[l->slot].bm, 0, sizeof(fslot[0].bm));
	return 0;
}

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;

	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (fd < 0 || fd != fake_fd)
		return __real_ioctl(fd, req, arg);
	fake_guest_step();
	if (req == KVM_SET_USER_MEMORY_REGION)
		return fake_set(arg);
	if (req == KVM_GET_DIRTY_LOG)
		return fake_get(arg);
	errno = ENOTTY;
	return -1;
}

/* The monitor's side of mem_writers: hold the vCPU out of KVM_RUN. */
static void writers_stop(void *ctx)
{
	assert_true(fake_runs); /* never nested */
	fake_runs = false;
}

static void writers_go(void *ctx)
{
	fake_runs = true;
}

/* Every page the guest wrote while the region was mapped is reported,
 * the ones written between the unmap's last harvest and the slot's
 * deletion too: KVM's log dies with the slot, so no vCPU may run then. */
static void test_unmap_race(void **state)
{
	uint64_t bm[2];

	fake_fd = open("/dev/null", O_RDWR);
	assert_true(fake_fd >= 0);
	m.vm_fd = fake_fd;
	m.writers = (struct mem_writers){ writers_stop, writers_go, NULL };
	fake_runs = true;
	assert_int_equal(mem_mmio2_map(&m, &me, h, GPA, NULL, 0), 0);
	fake_guest_step();
	assert_int_equal(mem_mmio2_unmap(&m, &me, h), 0);
	assert_int_equal(mem_mmio2_map(&m, &me, h, GPA, NULL, 0), 0);
	assert_int_equal(mem_mmio2_query(&m, &me, h, bm, sizeof(bm)), 0);
	assert_true(fake_wrote[0] || fake_wrote[1]);
	assert_int_equal(fake_wrote[0] & ~bm[0], 0);
	assert_int_equal(fake_wrote[1] & ~bm[1], 0);
	assert_true(fake_runs);
	m.vm_fd = -1;
	close(fake_fd);
	fake_fd = -1;
}

/* The slot's last dirty bits are taken before it goes; when KVM's log
 * cannot be read then, every page is reported, never none. */
static void test_unmap_harvest(void **state)
{
	static const int r1[] = { 6, -1 };

	assert_int_equal(mem_mmio2_map(&m, &me, h, GPA, NULL, 0), 0);
	guest_write(6, 0);
	assert_int_equal(mem_mmio2_unmap(&m, &me, h), 0);
	assert_int_equal(mem_mmio2_map(&m, &me, h, GPA, NULL, 0), 0);
	expect_pages(r1); /* harvested at the unmap, exact once remapped */
	guest_write(6, 0);
	/* A "VM" fd whose KVM_GET_DIRTY_LOG fails (ENOTTY). */
	int fd = open("/dev/null", O_RDWR);
	assert_true(fd >= 0);
	m.vm_fd = fd;
	assert_int_equal(mem_mmio2_unmap(&m, &me, h), -ENOTTY);
	m.vm_fd = -1;
	close(fd);
	expect_pages(all);
	expect_pages(none);
}

/* A device process (a fresh exec) adopts its region by memfd under wisp's
 * handle: the same pages, nothing mapped in its map; a handle in use, a
 * memfd shorter than said or a bad size is refused. */
static void test_adopt(void **state)
{
	struct mem c;
	uint8_t b = 9, out = 0;
	struct mem_ram_layout l = { 0, 0, 1 << 20 };

	assert_int_equal(mem_init_shared(&c, dup(m.memfd), 1 << 20, &l, 1), 0);
	assert_int_equal(mem_mmio2_adopt(&c, &me, "mine", h, dup(m.mmio2[h].fd),
					 2 * SIZE, 0), -EINVAL); /* short */
	assert_int_equal(mem_mmio2_adopt(&c, &me, "mine", h, dup(m.mmio2[h].fd),
					 SIZE + 1, 0), -EINVAL);
	assert_int_equal(mem_mmio2_adopt(&c, &me, "mine", h, dup(m.mmio2[h].fd),
					 SIZE, MEM_MMIO2_F_TRACK), 0);
	assert_int_equal(mem_mmio2_adopt(&c, &me, "again", h, dup(m.mmio2[h].fd),
					 SIZE, 0), -EINVAL); /* in use */
	assert_int_equal(mem_mmio2_write(&m, &me, h, 5, &b, 1), 0);
	assert_int_equal(mem_mmio2_read(&c, &me, h, 5, &out, 1), 0);
	assert_int_equal(out, 9);
	assert_null(gmap_find(&c.map, GPA, 1));
	assert_int_equal(mem_mmio2_read(&c, &other, h, 5, &out, 1), -EPERM);
	mem_destroy(&c);
}

/* A region over a device's memory (a VFIO BAR): its bytes where the
 * guest maps it, the fd left open for its owner, never tracked. */
static void test_wrap(void **state)
{
	int fd = memfd_create("bar", 0);
	uint8_t b = 0x5a, out = 0;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 3 * 4096), 0);
	assert_int_equal(pwrite(fd, &b, 1, 4096 + 7), 1);
	assert_int_equal(mem_mmio2_wrap(&m, &me, "bar0", fd, 4096, 0), -EINVAL);
	assert_int_equal(mem_mmio2_wrap(&m, &me, "bar0", fd, 100, 4096),
			 -EINVAL);
	int w = mem_mmio2_wrap(&m, &me, "bar0", fd, 4096, 8192);
	assert_true(w >= 0);
	assert_int_equal(mem_mmio2_track(&m, &me, w, true), -ENOTSUP);
	assert_int_equal(mem_mmio2_map(&m, &me, w, 0xc0000000, NULL, 0), 0);
	const struct gmap_range *r = gmap_find(&m.map, 0xc0000007, 1);
	assert_non_null(r);
	assert_int_equal(r->kind, GMAP_MMIO2);
	assert_int_equal(r->host[7], 0x5a);
	assert_int_equal(mem_mmio2_write(&m, &me, w, 8, &b, 1), 0);
	assert_int_equal(pread(fd, &out, 1, 4096 + 8), 1);
	assert_int_equal(out, 0x5a);
	assert_int_equal(mem_mmio2_destroy(&m, &me, w), 0);
	assert_null(gmap_find(&m.map, 0xc0000000, 1));
	assert_int_equal(fcntl(fd, F_GETFD), 0); /* still open */
	close(fd);
}

/* Guest RAM from wisp's memfd: the same bytes at the same addresses; a
 * layout past the memfd's end or unaligned is refused. */
static void test_init_shared(void **state)
{
	struct mem c;
	uint8_t b = 7, out = 0;
	struct mem_ram_layout l = { 0x1000, 0x2000, 0x3000 };
	struct mem_ram_layout past = { 0, 0x1000, 4 << 20 };
	struct mem_ram_layout odd = { 0x800, 0, 0x1000 };

	assert_int_equal(mem_init_shared(&c, m.memfd, 4 << 20, &past, 1),
			 -EINVAL);
	assert_int_equal(mem_init_shared(&c, m.memfd, 2 << 20, &odd, 1),
			 -EINVAL);
	assert_int_equal(mem_init_shared(&c, m.memfd, 1ull << 40, &l, 1),
			 -EINVAL); /* more than the memfd holds */
	assert_int_equal(mem_init_shared(&c, dup(m.memfd), 2 << 20, &l, 1), 0);
	assert_int_equal(mem_write(&m, 0x2010, &b, 1), 0);
	assert_int_equal(mem_read(&c, 0x1010, &out, 1), 0);
	assert_int_equal(out, 7);
	assert_int_equal(mem_read(&c, 0x4000, &out, 1), -EFAULT);
	mem_destroy(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bitmap_size), T(test_owner), T(test_host_access_checked),
		T(test_exact_rounds), T(test_host_writes_marked),
		T(test_unmapped_rule), T(test_adopt), T(test_init_shared),
		T(test_unmap_harvest), T(test_disabled_rule),
		T(test_reset_only), T(test_ram_tracking),
		T(test_listener_sees_ram_only), T(test_wrap),
		T(test_unmap_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
