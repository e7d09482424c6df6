/* Unit tests: mem/mem.c layout and the checked translation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mem.h"

static void test_small_layout(void **state)
{
	struct mem m;

	assert_int_equal(mem_init(&m, 2 << 20), 0);
	assert_int_equal(m.n_ranges, 1);
	assert_int_equal(mem_low_top(&m), 2 << 20);
	assert_non_null(mem_gpa_ptr(&m, 0, 2 << 20));
	assert_null(mem_gpa_ptr(&m, 1, 2 << 20));
	assert_null(mem_gpa_ptr(&m, (2 << 20), 1));
	assert_non_null(mem_gpa_ptr(&m, (2 << 20) - 1, 1));
	mem_destroy(&m);
}

static void test_overflow(void **state)
{
	struct mem m;

	assert_int_equal(mem_init(&m, 2 << 20), 0);
	assert_null(mem_gpa_ptr(&m, 0x1000, ~0ull));
	assert_null(mem_gpa_ptr(&m, ~0ull, 2));
	assert_null(mem_gpa_ptr(&m, ~0ull - 0xfff, 0x2000));
	char buf[4];
	assert_int_equal(mem_read(&m, ~0ull - 1, buf, 4), -EFAULT);
	assert_int_equal(mem_write(&m, (2 << 20) - 2, buf, 4), -EFAULT);
	mem_destroy(&m);
}

/* RAM past the hole start goes above 4 GiB; nothing maps the hole. */
static void test_hole_split(void **state)
{
	struct mem m;
	uint64_t size = MEM_HOLE_START + (16 << 20);

	assert_int_equal(mem_init(&m, size), 0);
	assert_int_equal(m.n_ranges, 2);
	assert_int_equal(mem_low_top(&m), MEM_HOLE_START);
	assert_null(mem_gpa_ptr(&m, MEM_HOLE_START, 1));
	assert_null(mem_gpa_ptr(&m, MEM_HOLE_START - 4, 8)); /* across */
	uint8_t *hi = mem_gpa_ptr(&m, MEM_HOLE_END, 16 << 20);
	assert_non_null(hi);
	assert_ptr_equal(hi, m.base + MEM_HOLE_START);
	assert_null(mem_gpa_ptr(&m, MEM_HOLE_END + (16 << 20), 1));
	uint32_t v = 0xfeedf00d, r = 0;
	assert_int_equal(mem_write(&m, MEM_HOLE_END + 8, &v, 4), 0);
	assert_int_equal(mem_read(&m, MEM_HOLE_END + 8, &r, 4), 0);
	assert_int_equal(r, v);
	mem_destroy(&m);
}

static void test_bad_sizes(void **state)
{
	struct mem m;

	assert_int_equal(mem_init(&m, 0), -EINVAL);
	mem_destroy(&m);
	assert_int_equal(mem_init(&m, 4097), -EINVAL);
	mem_destroy(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_layout),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_hole_split),
		cmocka_unit_test(test_bad_sizes),
	};
	return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
