/*
 * tests/unit/test_virtq.c - the split virtqueue (devices/virtq.c) over the
 * fake helper table's RAM: chains, indirect tables, the protocol
 * violations (loops, chains longer than the queue, nested or malformed
 * indirect tables, rings outside RAM, an avail index too far ahead), the
 * 16-bit index wrap, the used ring and the segment copies.
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
#include "virtio.h"

#define QSIZE 8
#define DESC 0x1000ull
#define AVAIL 0x2000ull
#define USED 0x3000ull
#define ITABLE 0x4000ull

struct fx {
	struct fuzz_fixture *f;
	struct virtq q;
	struct virtq_chain c;
	uint16_t avail_idx;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (!x || !(x->f = fuzz_fixture_new(&fuzz_probe_reg, false)))
		return -1;
	virtq_reset(&x->q, x->f->ins, QSIZE);
	x->q.desc = DESC;
	x->q.avail = AVAIL;
	x->q.used = USED;
	x->q.indirect = true;
	x->q.enabled = true;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	fuzz_fixture_free(x->f);
	free(x);
	return 0;
}

static uint8_t *mem(struct fx *x, uint64_t gpa)
{
	return x->f->h.mem + gpa;
}

static void desc(struct fx *x, uint64_t table, uint16_t i, uint64_t addr,
		 uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = mem(x, table + 16ull * i);

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static void avail_idx(struct fx *x, uint16_t idx)
{
	memcpy(mem(x, AVAIL + 2), &idx, 2);
}

static void offer(struct fx *x, uint16_t head)
{
	memcpy(mem(x, AVAIL + 4 + 2 * (x->avail_idx % QSIZE)), &head, 2);
	avail_idx(x, ++x->avail_idx);
}

static void test_empty_and_simple(void **state)
{
	struct fx *x = *state;

	assert_int_equal(virtq_pop(&x->q, &x->c), VIRTQ_EMPTY);
	desc(x, DESC, 3, 0x8000, 16, VIRTQ_DESC_F_NEXT, 5);
	desc(x, DESC, 5, 0x9000, 100, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
	desc(x, DESC, 0, 0x9100, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(x, 3);
	assert_int_equal(virtq_pending(&x->q), 1);
	assert_int_equal(virtq_pop(&x->q, &x->c), VIRTQ_CHAIN);
	assert_int_equal(x->c.head, 3);
	assert_int_equal(x->c.n_out, 1);
	assert_int_equal(x->c.n_in, 2);
	assert_int_equal(x->c.out_len, 16);
	assert_int_equal(x->c.in_len, 101);
	assert_int_equal(x->c.seg[1].gpa, 0x9000);
	assert_int_equal(virtq_pop(&x->q, &x->c), VIRTQ_EMPTY);
	assert_int_equal(virtq_push(&x->q, 3, 101), 0);
	uint32_t e[2];
	uint16_t idx;
	memcpy(e, mem(x, USED + 4), 8);
	memcpy(&idx, mem(x, USED + 2), 2);
	assert_int_equal(e[0], 3);
	assert_int_equal(e[1], 101);
	assert_int_equal(idx, 1);
}

static void test_unpop(void **state)
{
	struct fx *x = *state;

	desc(x, DESC, 1, 0x8000, 64, VIRTQ_DESC_F_WRITE, 0);
	offer(x, 1);
	assert_int_equal(virtq_pop(&x->q, &x->c), VIRTQ_CHAIN);
	virtq_unpop(&x->q);
	assert_int_equal(virtq_pending(&x->q), 1);
	assert_int_equal(virtq_pop(&x->q, &x->c), VIRTQ_CHAIN);
	assert_int_equal(x->c.head, 1);
}

static void test_indirect(void **state)
{
	struct fx *x = *state;

	desc(x, ITABLE, 0, 0x8000, 16, VIRTQ_DESC_F_NEXT, 2);
	desc(x, ITABLE, 2, 0x8100, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(x, ITABLE, 1, 0x8400, 1, VIRTQ_DESC_F_WRITE, 0);
	desc(x, DESC, 4, ITABLE, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(x, 4);
	assert_int_equal(virtq_pop(&x->q, &x->c), VIRTQ_CHAIN);
	assert_int_equal(x->c.head, 4);
	assert_int_equal(x->c.n_out, 1);
	assert_int_equal(x->c.n_in, 2);
	assert_int_equal(x->c.seg[2].gpa, 0x8400);
}

/* Each of these is a violation; the queue's index stays where it was. */
static void expect_broken(struct fx *x, uint16_t head)
{
	uint16_t before = x->q.last_avail;

	offer(x, head);
	assert_int_equal(virtq_pop(&x->q, &x->c), VIRTQ_BROKEN);
	assert_int_equal(x->q.last_avail, before);
}

static void test_loop(void **state)
{
	struct fx *x = *state;

	desc(x, DESC, 0, 0x8000, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(x, DESC, 1, 0x8000, 8, VIRTQ_DESC_F_NEXT, 0);
	expect_broken(x, 0);
}

static void test_self_loop_writable(void **state)
{
	struct fx *x = *state;

	desc(x, DESC, 2, 0x8000, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	expect_broken(x, 2);
}

static void test_too_long(void **state)
{
	struct fx *x = *state;

	/* an indirect table longer than the queue */
	for (uint16_t i = 0; i < QSIZE + 1; i++)
		desc(x, ITABLE, i, 0x8000, 1, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	desc(x, DESC, 0, ITABLE, (QSIZE + 1) * 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(x, 0);
}

static void test_indirect_runs_off(void **state)
{
	struct fx *x = *state;

	/* every entry says next, the last one points past the table */
	for (uint16_t i = 0; i < QSIZE; i++)
		desc(x, ITABLE, i, 0x8000, 1, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	desc(x, DESC, 0, ITABLE, QSIZE * 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(x, 0);
}

static void test_bad_indirect(void **state)
{
	struct fx *x = *state;

	desc(x, ITABLE, 0, ITABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(x, DESC, 0, ITABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(x, 0); /* nested */
	x->q.last_avail = x->avail_idx;
	desc(x, DESC, 1, ITABLE, 20, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(x, 1); /* not whole descriptors */
	x->q.last_avail = x->avail_idx;
	desc(x, DESC, 2, ITABLE, 0, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(x, 2); /* empty */
	x->q.last_avail = x->avail_idx;
	desc(x, ITABLE, 0, 0x8000, 1, 0, 0);
	desc(x, DESC, 3, ITABLE, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 4);
	expect_broken(x, 3); /* indirect and next */
	x->q.last_avail = x->avail_idx;
	x->q.indirect = false;
	desc(x, DESC, 5, ITABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(x, 5); /* not negotiated */
}

static void test_readable_after_writable(void **state)
{
	struct fx *x = *state;

	desc(x, DESC, 0, 0x8000, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(x, DESC, 1, 0x8000, 8, 0, 0);
	expect_broken(x, 0);
}

static void test_bad_head_and_next(void **state)
{
	struct fx *x = *state;

	expect_broken(x, QSIZE);
	x->q.last_avail = x->avail_idx;
	desc(x, DESC, 0, 0x8000, 8, VIRTQ_DESC_F_NEXT, QSIZE);
	expect_broken(x, 0);
}

static void test_rings_outside_ram(void **state)
{
	struct fx *x = *state;

	x->q.avail = FUZZ_MEM_SIZE - 2; /* idx past the end */
	assert_int_equal(virtq_pop(&x->q, &x->c), VIRTQ_BROKEN);
	x->q.avail = AVAIL;
	x->q.desc = FUZZ_MEM_SIZE - 16 * 2; /* entry 3 outside */
	offer(x, 3);
	assert_int_equal(virtq_pop(&x->q, &x->c), VIRTQ_BROKEN);
	x->q.desc = DESC;
	desc(x, DESC, 0, UINT64_MAX - 8, 16, VIRTQ_DESC_F_INDIRECT, 0);
	x->q.last_avail = x->avail_idx;
	expect_broken(x, 0); /* an indirect table that wraps */
	x->q.used = UINT64_MAX - 3;
	assert_int_equal(virtq_push(&x->q, 0, 0), VIRTQ_BROKEN);
}

static void test_avail_too_far(void **state)
{
	struct fx *x = *state;

	avail_idx(x, QSIZE + 1);
	assert_int_equal(virtq_pending(&x->q), VIRTQ_BROKEN);
	assert_int_equal(virtq_pop(&x->q, &x->c), VIRTQ_BROKEN);
	avail_idx(x, QSIZE);
	assert_int_equal(virtq_pending(&x->q), QSIZE);
}

/* 65536 entries later the 16-bit indexes have wrapped, slots too. */
static void test_wrap(void **state)
{
	struct fx *x = *state;

	x->q.last_avail = x->q.used_idx = 0xfffe;
	x->avail_idx = 0xfffe;
	avail_idx(x, 0xfffe);
	desc(x, DESC, 7, 0x8000, 4, VIRTQ_DESC_F_WRITE, 0);
	for (int i = 0; i < 4; i++) {
		offer(x, 7);
		assert_int_equal(virtq_pop(&x->q, &x->c), VIRTQ_CHAIN);
		assert_int_equal(x->c.head, 7);
		assert_int_equal(virtq_push(&x->q, 7, 4), 0);
	}
	uint16_t idx;
	memcpy(&idx, mem(x, USED + 2), 2);
	assert_int_equal(idx, 2);
	assert_int_equal(x->q.last_avail, 2);
	assert_int_equal(virtq_pop(&x->q, &x->c), VIRTQ_EMPTY);
}

static void test_notify_flag(void **state)
{
	struct fx *x = *state;
	uint16_t flags = VIRTQ_AVAIL_F_NO_INTERRUPT;

	assert_true(virtq_need_notify(&x->q));
	memcpy(mem(x, AVAIL), &flags, 2);
	assert_false(virtq_need_notify(&x->q));
}

static void test_copy(void **state)
{
	struct fx *x = *state;
	const struct virtq_seg seg[3] = {
		{ 0x8000, 3 }, { 0x9000, 0 }, { 0xa000, 5 } };
	uint8_t out[8], in[8] = "abcdefgh";

	assert_int_equal(virtq_write(x->f->ins, seg, 3, 1, in, 7), 0);
	assert_memory_equal(mem(x, 0x8001), "ab", 2);
	assert_memory_equal(mem(x, 0xa000), "cdefg", 5);
	assert_int_equal(virtq_read(x->f->ins, seg, 3, 2, out, 6), 0);
	assert_memory_equal(out, "bcdefg", 6);
	assert_int_equal(virtq_read(x->f->ins, seg, 3, 3, out, 6), -EFAULT);
	const struct virtq_seg bad[2] = { { 0x8000, 2 }, { FUZZ_MEM_SIZE - 1, 4 } };
	assert_int_equal(virtq_write(x->f->ins, bad, 2, 0, in, 4), -EFAULT);
	const struct virtq_seg wrap[1] = { { UINT64_MAX - 1, 8 } };
	assert_int_equal(virtq_read(x->f->ins, wrap, 1, 4, out, 2), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_empty_and_simple),
		T(test_unpop),
		T(test_indirect),
		T(test_loop),
		T(test_self_loop_writable),
		T(test_too_long),
		T(test_indirect_runs_off),
		T(test_bad_indirect),
		T(test_readable_after_writable),
		T(test_bad_head_and_next),
		T(test_rings_outside_ram),
		T(test_avail_too_far),
		T(test_wrap),
		T(test_notify_flag),
		T(test_copy),
#undef T
	};
	return cmocka_run_group_tests_name("virtq", tests, NULL, NULL);
}
