/*
 * tests/unit/test_hvt.c - the hvt device and its block and net back ends
 * through the guest-facing interface (a 32-bit OUT of an argument struct's
 * GPA) on the fake helper table: every hypercall, every bad request that
 * gets EINVAL, every bad pointer or port access that ends the VM.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz_hlp.h"
#include "hvt_dev.h"

extern const struct dev_reg dev_reg_hvt;

#define ARG 0x1000  /* argument structs live here in guest memory */
#define DATA 0x2000 /* and buffers here */
#define DISK 4096
#define BS 512
#define H_DISK 1
#define H_NET 2

struct fix {
	struct fuzz_host h; /* first: the fixture is also the host */
	struct dev_ins *ins;
	struct hvt_dev_cfg cfg;
	uint8_t mft[MFT_SIZE(3)];
	uint8_t disk[DISK];
};

static struct mft *fix_mft(struct fix *f)
{
	return (struct mft *)f->mft;
}

/* A host-completed manifest: disk (attached, 512-byte blocks), net0. */
static void fix_manifest(struct fix *f, bool devices)
{
	struct mft *m = fix_mft(f);

	m->version = MFT_VERSION;
	m->entries = devices ? 3 : 1;
	m->e[0].type = MFT_RESERVED_FIRST;
	strcpy(m->e[H_DISK].name, "disk");
	m->e[H_DISK].type = MFT_DEV_BLOCK_BASIC;
	m->e[H_DISK].u.block_basic.capacity = DISK;
	m->e[H_DISK].u.block_basic.block_size = BS;
	m->e[H_DISK].attached = 1;
	strcpy(m->e[H_NET].name, "net0");
	m->e[H_NET].type = MFT_DEV_NET_BASIC;
	m->e[H_NET].attached = 1;
}

#define RING 0x11000 /* the ring above a guest-visible mem_size of RING */

static struct fix *fix_new_ring(bool devices, uint64_t ring)
{
	struct fix *f = calloc(1, sizeof(*f));

	fuzz_host_init(&f->h);
	fix_manifest(f, devices);
	f->cfg = (struct hvt_dev_cfg){ .mem_size = ring ? ring : FUZZ_MEM_SIZE,
				       .mft = fix_mft(f), .ring_gpa = ring };
	f->h.next_blob_key = HVT_BLOB;
	f->h.next_blob = &f->cfg;
	f->h.next_blob_len = sizeof(f->cfg);
	assert_int_equal(fuzz_dev_create(&f->h, &dev_reg_hvt, true, NULL,
					 &f->ins), 0);
	fuzz_dev_attach_waitset(&f->h, f->ins);
	if (devices) {
		assert_int_equal(fuzz_dev_attach_file(&f->h, f->ins, H_DISK,
						      f->disk, DISK, false), 0);
		assert_int_equal(fuzz_dev_attach_file(&f->h, f->ins, H_NET, NULL,
						      0, true), 0);
	}
	return f;
}

static struct fix *fix_new(bool devices)
{
	return fix_new_ring(devices, 0);
}

static int setup(void **state)
{
	*state = fix_new(true);
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	fuzz_host_fini(&f->h);
	free(f);
	return 0;
}

/* Put the struct at ARG, make the call, read the struct back. */
static void call(struct fix *f, enum hvt_hc nr, void *arg, size_t len)
{
	memcpy(f->h.mem + ARG, arg, len);
	fuzz_pio_write(&f->h, HVT_PIO_BASE + nr, 4, ARG);
	memcpy(arg, f->h.mem + ARG, len);
}

static int32_t blk(struct fix *f, bool write, uint64_t handle, uint64_t off,
		   uint64_t data, uint64_t len)
{
	struct hvt_hc_block a = { handle, off, data, len, -1, 0 };

	call(f, write ? HVT_HC_BLOCK_WRITE : HVT_HC_BLOCK_READ, &a, sizeof(a));
	return a.ret;
}

static void test_walltime_puts(void **state)
{
	struct fix *f = *state;
	struct hvt_hc_walltime w = { 0 };
	struct hvt_hc_puts p = { DATA, 5 };

	f->h.walltime_ns = 1234567890123ull;
	call(f, HVT_HC_WALLTIME, &w, sizeof(w));
	assert_int_equal(w.nsecs, 1234567890123ull);
	memcpy(f->h.mem + DATA, "hello", 5);
	call(f, HVT_HC_PUTS, &p, sizeof(p));
	struct fuzz_dev *d = fuzz_dev_of(&f->h, f->ins);
	assert_int_equal(d->out_len, 5);
	assert_memory_equal(d->out, "hello", 5);
	assert_int_equal(f->h.fault_calls, 0);
}

static void test_halt(void **state)
{
	struct fix *f = *state;
	struct hvt_hc_halt a = { 0, 0, 0 };
	const int32_t st[] = { 0, 1, 255, -1, 0x1ff };
	const int want[] = { 0, 1, 255, 255, 255 };

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		a.exit_status = st[i];
		call(f, HVT_HC_HALT, &a, sizeof(a));
		assert_int_equal(f->h.poweroff_status, want[i]);
	}
	a.cookie = FUZZ_MEM_SIZE - HVT_HALT_COOKIE_MAX - 1; /* the last fit */
	call(f, HVT_HC_HALT, &a, sizeof(a));
	assert_int_equal(f->h.poweroff_calls, 6);
	a.cookie = FUZZ_MEM_SIZE - HVT_HALT_COOKIE_MAX;
	call(f, HVT_HC_HALT, &a, sizeof(a));
	assert_int_equal(f->h.poweroff_calls, 6);
	assert_int_equal(f->h.fault_calls, 1);
	assert_non_null(strstr(f->h.fault_why, "cookie"));
}

/* Each of these ends the VM through vm_fault and nothing else. */
static void test_bad_pointers_and_ports(void **state)
{
	struct fix *f = *state;
	struct hvt_hc_puts p = { FUZZ_MEM_SIZE - 2, 2 };
	unsigned n = 0;

	fuzz_pio_write(&f->h, HVT_PIO_BASE + HVT_HC_WALLTIME, 4,
		       FUZZ_MEM_SIZE - 8); /* struct ends at mem_size */
	assert_int_equal(f->h.fault_calls, ++n);
	fuzz_pio_write(&f->h, HVT_PIO_BASE + HVT_HC_PUTS, 4, 0xfffffff8);
	assert_int_equal(f->h.fault_calls, ++n);
	call(f, HVT_HC_PUTS, &p, sizeof(p));
	assert_int_equal(f->h.fault_calls, ++n);
	p = (struct hvt_hc_puts){ DATA, ~0ull - DATA + 2 }; /* wraps */
	call(f, HVT_HC_PUTS, &p, sizeof(p));
	assert_int_equal(f->h.fault_calls, ++n);
	fuzz_pio_write(&f->h, HVT_PIO_BASE + HVT_HC_PUTS, 1, ARG);
	assert_int_equal(f->h.fault_calls, ++n);
	fuzz_pio_write(&f->h, HVT_PIO_BASE + HVT_HC_PUTS, 2, ARG);
	assert_int_equal(f->h.fault_calls, ++n);
	fuzz_pio_write(&f->h, HVT_PIO_BASE, 4, ARG); /* reserved 0 */
	assert_int_equal(f->h.fault_calls, ++n);
	fuzz_pio_write(&f->h, HVT_PIO_BASE + 9, 1, ARG);
	assert_int_equal(f->h.fault_calls, ++n);
	fuzz_pio_read(&f->h, HVT_PIO_BASE + HVT_HC_WALLTIME, 4);
	assert_int_equal(f->h.fault_calls, ++n);
	fuzz_pio_write(&f->h, HVT_PIO_BASE + 12, 4, ARG); /* not ours */
	assert_int_equal(f->h.fault_calls, n);
	assert_int_equal(fuzz_dev_of(&f->h, f->ins)->out_len, 0);
	assert_int_equal(f->h.poweroff_calls, 0);
}

static void test_block_rw(void **state)
{
	struct fix *f = *state;

	memset(f->h.mem + DATA, 0xab, BS);
	assert_int_equal(blk(f, true, H_DISK, 0, DATA, BS), HVT_R_OK);
	assert_int_equal(f->disk[0], 0xab);
	assert_int_equal(f->disk[BS], 0);
	memset(f->h.mem + DATA, 0xcd, BS);
	assert_int_equal(blk(f, true, H_DISK, DISK - BS, DATA, BS), HVT_R_OK);
	assert_int_equal(f->disk[DISK - 1], 0xcd);
	memset(f->h.mem + DATA, 0, 2 * BS);
	assert_int_equal(blk(f, false, H_DISK, 0, DATA, 2 * BS), HVT_R_OK);
	assert_int_equal(f->h.mem[DATA], 0xab);
	assert_int_equal(f->h.mem[DATA + BS], 0);
	assert_int_equal(f->h.fault_calls, 0);
}

static void test_block_einval(void **state)
{
	struct fix *f = *state;

	assert_int_equal(blk(f, false, H_DISK, DISK, DATA, BS), HVT_R_EINVAL);
	assert_int_equal(blk(f, true, H_DISK, DISK - BS, DATA, 2 * BS), HVT_R_EINVAL);
	assert_int_equal(blk(f, false, H_DISK, 1, DATA, BS), HVT_R_EINVAL);
	assert_int_equal(blk(f, false, H_DISK, 0, DATA, BS - 1), HVT_R_EINVAL);
	assert_int_equal(blk(f, false, H_DISK, 0, DATA, 0), HVT_R_EINVAL);
	assert_int_equal(blk(f, false, H_DISK, ~0ull - BS + 1, DATA, BS), HVT_R_EINVAL);
	assert_int_equal(blk(f, false, H_DISK, BS, DATA, ~0ull - BS + 1), HVT_R_EINVAL);
	assert_int_equal(blk(f, false, 0, 0, DATA, BS), HVT_R_EINVAL);
	assert_int_equal(blk(f, false, H_NET, 0, DATA, BS), HVT_R_EINVAL);
	assert_int_equal(blk(f, false, 3, 0, DATA, BS), HVT_R_EINVAL);
	assert_int_equal(blk(f, false, 1ull << 63, 0, DATA, BS), HVT_R_EINVAL);
	assert_int_equal(f->h.fault_calls, 0);
	/* a valid request with a wild buffer ends the VM, disk untouched */
	assert_int_equal(blk(f, true, H_DISK, 0, FUZZ_MEM_SIZE - 256, BS), -1);
	assert_int_equal(f->h.fault_calls, 1);
	assert_int_equal(f->disk[0], 0);
	/* a host I/O error is the guest's EUNSPEC */
	fuzz_file_of(&f->h, f->ins, H_DISK)->fail = -EIO;
	assert_int_equal(blk(f, false, H_DISK, 0, DATA, BS), HVT_R_EUNSPEC);
}

static int32_t net(struct fix *f, bool write, uint64_t handle, uint64_t *len)
{
	struct hvt_hc_net a = { handle, DATA, *len, -1, 0 };

	call(f, write ? HVT_HC_NET_WRITE : HVT_HC_NET_READ, &a, sizeof(a));
	*len = a.len;
	return a.ret;
}

static void test_net(void **state)
{
	struct fix *f = *state;
	struct fuzz_file *t = fuzz_file_of(&f->h, f->ins, H_NET);
	uint64_t len = 60;

	memset(f->h.mem + DATA, 0x42, 60);
	assert_int_equal(net(f, true, H_NET, &len), HVT_R_OK);
	assert_int_equal(t->tx_frames, 1);
	assert_int_equal(t->tx_len, 60);
	assert_int_equal(net(f, false, H_NET, &len), HVT_R_AGAIN);
	memset(t->rx, 0x77, 100);
	t->rx_len = 100;
	len = 1514;
	assert_int_equal(net(f, false, H_NET, &len), HVT_R_OK);
	assert_int_equal(len, 100);
	assert_int_equal(f->h.mem[DATA + 99], 0x77);
	len = 60;
	assert_int_equal(net(f, true, H_DISK, &len), HVT_R_EINVAL);
	assert_int_equal(net(f, false, 0, &len), HVT_R_EINVAL);
	assert_int_equal(net(f, false, 64, &len), HVT_R_EINVAL);
	len = HVT_BUF_SIZE + 1;
	assert_int_equal(net(f, true, H_NET, &len), HVT_R_EINVAL);
	assert_int_equal(f->h.fault_calls, 0);
	len = FUZZ_MEM_SIZE; /* a read buffer past guest memory */
	assert_int_equal(net(f, false, H_NET, &len), -1);
	assert_int_equal(f->h.fault_calls, 1);
}

static void test_poll(void **state)
{
	struct fix *f = *state;
	struct hvt_hc_poll a = { 5000000, 99, -1, 0 };

	call(f, HVT_HC_POLL, &a, sizeof(a));
	assert_int_equal(a.ret, 0);
	assert_int_equal(a.ready_set, 0);
	assert_int_equal(f->h.now_ns, 5000000);
	assert_int_equal(f->h.poll_ns, 5000000);
	fuzz_file_of(&f->h, f->ins, H_NET)->rx_len = 60;
	call(f, HVT_HC_POLL, &a, sizeof(a));
	assert_int_equal(a.ret, 1);
	assert_int_equal(a.ready_set, 1u << H_NET);
	assert_int_equal(f->h.now_ns, 5000000);
}

/* Without block or net entries the back ends do not answer. */
static void test_no_devices(void **state)
{
	struct fix *f = fix_new(false);
	uint64_t len = 60;

	assert_int_equal(blk(f, false, H_DISK, 0, DATA, BS), -1);
	assert_int_equal(f->h.fault_calls, 1);
	assert_non_null(strstr(f->h.fault_why, "not available"));
	assert_int_equal(net(f, true, H_NET, &len), -1);
	assert_int_equal(f->h.fault_calls, 2);
	teardown((void **)&f);
}

static void test_needs_trust_and_cfg(void **state)
{
	struct fuzz_host *h = calloc(1, sizeof(*h));
	struct dev_ins *ins;

	fuzz_host_init(h);
	assert_int_equal(fuzz_dev_create(h, &dev_reg_hvt, false, NULL, &ins),
			 -EPERM);
	assert_int_equal(fuzz_dev_create(h, &dev_reg_hvt, true, NULL, &ins),
			 -EINVAL); /* no blob: no unikernel loaded */
	fuzz_host_fini(h);
	free(h);
}

/* --- the shared net ring --- */

static int setup_ring(void **state)
{
	*state = fix_new_ring(true, RING);
	return 0;
}

static struct hvt_ring *ring_of(struct fix *f)
{
	return (struct hvt_ring *)(f->h.mem + RING);
}

static void submit(struct fix *f, uint32_t op, uint32_t handle, uint64_t data,
		   uint32_t len, uint32_t id)
{
	struct hvt_ring *r = ring_of(f);

	r->entries[r->ent_tail & HVT_RING_MASK] = (struct hvt_ring_entry){
		.operation = op, .handle = handle, .data = data, .len = len,
		.id = id };
	r->ent_tail++;
}

static void test_ring_offered(void **state)
{
	struct fix *f = *state;
	struct fuzz_dev *d = fuzz_dev_of(&f->h, f->ins);
	struct hvt_boot_info bi;

	assert_true(d->doorbell);
	assert_int_equal(d->bell_space, DEV_SPACE_PIO);
	assert_int_equal(d->bell_addr, HVT_RING_KICK_PORT);
	assert_int_equal(d->bell_len, 4);
	assert_non_null(d->worker);
	memcpy(&bi, f->h.mem + HVT_BOOT_INFO, sizeof(bi));
	assert_int_equal(bi.host_features, HVT_FEATURE_RING_IO);
	assert_int_equal(bi.net_ring, RING);
	/* nothing to do: ask for a kick, then wait on the doorbell */
	assert_int_equal(fuzz_worker_run(&f->h, f->ins), 0);
	assert_int_equal(d->bell_waits, 1);
	assert_int_equal(ring_of(f)->needs_kick, 1);
}

static void test_ring_io(void **state)
{
	struct fix *f = *state;
	struct hvt_ring *r = ring_of(f);
	struct fuzz_file *t = fuzz_file_of(&f->h, f->ins, H_NET);

	memset(f->h.mem + DATA, 0x42, 60);
	submit(f, HVT_RING_OP_WRITE, H_NET, DATA, 60, 1);   /* no commit */
	submit(f, HVT_RING_OP_READ, H_NET, DATA, 1514, 2);  /* empty: AGAIN */
	submit(f, HVT_RING_OP_READ, H_DISK, DATA, 1514, 3); /* not a NIC */
	submit(f, HVT_RING_OP_WRITE, 9, DATA, 60, 4);       /* skipped */
	submit(f, 77, H_NET, DATA, 60, 5);                  /* unknown: skipped */
	fuzz_worker_run(&f->h, f->ins);
	assert_int_equal(r->ent_head, 5);
	assert_int_equal(t->tx_frames, 1);
	assert_int_equal(t->tx_len, 60);
	assert_int_equal(r->com_tail, 2);
	assert_int_equal(r->commits[0].id, 2);
	assert_int_equal(r->commits[0].ret, HVT_R_AGAIN);
	assert_int_equal(r->commits[1].id, 3);
	assert_int_equal(r->commits[1].ret, HVT_R_EINVAL);
	memset(t->rx, 0x77, 100);
	t->rx_len = 100;
	submit(f, HVT_RING_OP_READ, H_NET, DATA, 1514, 6);
	fuzz_worker_run(&f->h, f->ins);
	assert_int_equal(r->commits[2].id, 6);
	assert_int_equal(r->commits[2].ret, HVT_R_OK);
	assert_int_equal(r->commits[2].len, 100);
	assert_int_equal(f->h.mem[DATA + 99], 0x77);
	assert_int_equal(f->h.fault_calls, 0);
}

/* A data pointer into the ring itself, or indexes out of range: the VM
 * ends. */
static void test_ring_faults(void **state)
{
	struct fix *f = *state;
	struct hvt_ring *r = ring_of(f);

	submit(f, HVT_RING_OP_READ, H_NET, RING, 64, 1);
	fuzz_worker_run(&f->h, f->ins);
	assert_int_equal(f->h.fault_calls, 1);
	assert_int_equal(r->com_tail, 0);
	r->ent_head = r->ent_tail = 0;
	submit(f, HVT_RING_OP_WRITE, H_NET, RING - 10, 60, 2);
	fuzz_worker_run(&f->h, f->ins);
	assert_int_equal(f->h.fault_calls, 2);
	r->ent_head = 0;
	r->ent_tail = HVT_RING_ENTRIES + 1;
	fuzz_worker_run(&f->h, f->ins);
	assert_int_equal(f->h.fault_calls, 3);
	assert_non_null(strstr(f->h.fault_why, "index"));
}

/* No room for the ring (ring_gpa 0): not offered, hypercalls only. */
static void test_ring_not_offered(void **state)
{
	struct fix *f = *state;
	struct hvt_boot_info bi;

	assert_int_equal(fuzz_worker_run(&f->h, f->ins), -ENOENT);
	memcpy(&bi, f->h.mem + HVT_BOOT_INFO, sizeof(bi));
	assert_int_equal(bi.host_features, 0);
	assert_int_equal(bi.net_ring, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TR(f) cmocka_unit_test_setup_teardown(f, setup_ring, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_walltime_puts),
		T(test_halt),
		T(test_bad_pointers_and_ports),
		T(test_block_rw),
		T(test_block_einval),
		T(test_net),
		T(test_poll),
		TR(test_ring_offered),
		TR(test_ring_io),
		TR(test_ring_faults),
		T(test_ring_not_offered),
		cmocka_unit_test(test_no_devices),
		cmocka_unit_test(test_needs_trust_and_cfg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
