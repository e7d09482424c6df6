/* Unit tests: monitor/core/iobus.c against a naive model. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/iobus.h"

static struct dev_ins owners[4];

static void test_insert_overlap(void **state)
{
	struct iobus b;
	struct dev_ins *clash = NULL;

	iobus_init(&b, "port", 0x10000);
	struct iobus_range r = { 0x3f8, 8, &owners[0], NULL, NULL };
	assert_int_equal(iobus_insert(&b, &r, &clash), 0);
	struct iobus_range o = { 0x3ff, 1, &owners[1], NULL, NULL };
	assert_int_equal(iobus_insert(&b, &o, &clash), -EEXIST);
	assert_ptr_equal(clash, &owners[0]);
	struct iobus_range below = { 0x3f0, 9, &owners[1], NULL, NULL };
	assert_int_equal(iobus_insert(&b, &below, &clash), -EEXIST);
	struct iobus_range adj = { 0x3f0, 8, &owners[1], NULL, NULL };
	assert_int_equal(iobus_insert(&b, &adj, NULL), 0);
	iobus_free(&b);
}

static void test_bad_ranges(void **state)
{
	struct iobus b;

	iobus_init(&b, "port", 0x10000);
	struct iobus_range zero = { 0x10, 0, &owners[0], NULL, NULL };
	struct iobus_range past = { 0xffff, 2, &owners[0], NULL, NULL };
	struct iobus_range wrap = { ~0ull, 2, &owners[0], NULL, NULL };
	assert_int_equal(iobus_insert(&b, &zero, NULL), -EINVAL);
	assert_int_equal(iobus_insert(&b, &past, NULL), -EINVAL);
	assert_int_equal(iobus_insert(&b, &wrap, NULL), -EINVAL);
	iobus_free(&b);
}

static void test_find_whole_access(void **state)
{
	struct iobus b;

	iobus_init(&b, "MMIO", ~0ull);
	struct iobus_range r = { 0x1000, 0x10, &owners[0], NULL, NULL };
	assert_int_equal(iobus_insert(&b, &r, NULL), 0);
	assert_non_null(iobus_find(&b, 0x1000, 8));
	assert_non_null(iobus_find(&b, 0x1008, 8));
	assert_null(iobus_find(&b, 0x1009, 8)); /* straddles the end */
	assert_null(iobus_find(&b, 0xfff, 2));  /* straddles the start */
	assert_null(iobus_find(&b, 0x1010, 1));
	assert_null(iobus_find(&b, ~0ull, 8));
	iobus_free(&b);
}

static void test_remove_owner(void **state)
{
	struct iobus b;

	iobus_init(&b, "port", 0x10000);
	struct iobus_range r = { 0x60, 1, &owners[0], NULL, NULL };
	assert_int_equal(iobus_insert(&b, &r, NULL), 0);
	assert_int_equal(iobus_remove(&b, 0x60, &owners[1]), -EPERM);
	assert_int_equal(iobus_remove(&b, 0x61, &owners[0]), -ENOENT);
	assert_int_equal(iobus_remove(&b, 0x60, &owners[0]), 0);
	assert_null(iobus_find(&b, 0x60, 1));
	iobus_free(&b);
}

/* Random inserts/removes over a small space; every lookup agrees with a
 * byte map of owners. */
static void test_random_model(void **state)
{
	enum { SPACE = 512 };
	struct dev_ins *model[SPACE] = { 0 };
	struct iobus b;

	srand(1234);
	iobus_init(&b, "port", SPACE);
	for (int step = 0; step < 20000; step++) {
		uint64_t base = (uint64_t)(rand() % SPACE), len = 1 + rand() % 16;
		struct dev_ins *o = &owners[rand() % 4];
		if (rand() % 3) {
			struct iobus_range r = { base, len, o, NULL, NULL };
			bool free_span = base + len <= SPACE;
			for (uint64_t a = base; free_span && a < base + len; a++)
				free_span = !model[a];
			int rc = iobus_insert(&b, &r, NULL);
			assert_int_equal(rc == 0, free_span);
			for (uint64_t a = base; rc == 0 && a < base + len; a++)
				model[a] = o;
		} else {
			const struct iobus_range *r = iobus_find(&b, base, 1);
			if (r) {
				uint64_t rb = r->base, rl = r->len;
				struct dev_ins *ro = r->owner;
				assert_int_equal(iobus_remove(&b, rb, ro), 0);
				for (uint64_t a = rb; a < rb + rl; a++)
					model[a] = NULL;
			}
		}
		for (uint64_t a = 0; a < SPACE; a++) {
			const struct iobus_range *r = iobus_find(&b, a, 1);
			assert_ptr_equal(r ? r->owner : NULL, model[a]);
		}
	}
	for (size_t i = 1; i < b.n; i++)
		assert_true(b.r[i - 1].base + b.r[i - 1].len <= b.r[i].base);
	iobus_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_overlap),
		cmocka_unit_test(test_bad_ranges),
		cmocka_unit_test(test_find_whole_access),
		cmocka_unit_test(test_remove_owner),
		cmocka_unit_test(test_random_model),
	};
	return cmocka_run_group_tests_name("iobus", tests, NULL, NULL);
}
