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

/* By guest address only RAM is reached: another device's MMIO2 region and
 * a ROM are refused both ways; a region's owner reaches it by handle. */
static void test_gpa_ram_only(void **state)
{
	static const uint8_t rom[16] = { 0x5a };
	static const int a = 1, b = 2;
	uint8_t v = 0x77, out = 0;
	struct mem m;

	assert_int_equal(mem_init(&m, 2 << 20), 0);
	int ha = mem_mmio2_create(&m, &a, "a MMIO2", 4096, 0);
	int hb = mem_mmio2_create(&m, &b, "b MMIO2", 4096, 0);
	assert_true(ha >= 0 && hb >= 0);
	assert_int_equal(mem_mmio2_map(&m, &b, hb, 0xd0000000, NULL, 0), 0);
	assert_int_equal(mem_rom_add(&m, 0xe0000000, rom, sizeof(rom), "rom",
				     NULL, 0), 0);
	assert_int_equal(mem_write(&m, 0x1000, &v, 1), 0);
	assert_int_equal(mem_read(&m, 0x1000, &out, 1), 0);
	assert_int_equal(out, 0x77);
	assert_int_equal(mem_write(&m, 0xd0000000, &v, 1), -EFAULT);
	assert_int_equal(mem_read(&m, 0xd0000000, &out, 1), -EFAULT);
	assert_null(mem_gpa_ptr(&m, 0xd0000000, 1));
	assert_int_equal(mem_write(&m, 0xe0000000, &v, 1), -EFAULT);
	assert_int_equal(mem_read(&m, 0xe0000000, &out, 1), -EFAULT);
	assert_null(mem_gpa_ptr(&m, 0xe0000000, 1));
	assert_int_equal(((uint8_t *)gmap_find(&m.map, 0xe0000000, 1)->host)[0],
			 0x5a); /* unchanged */
	/* Its own region by handle: yes; the other's: -EPERM. */
	assert_int_equal(mem_mmio2_write(&m, &b, hb, 0, &v, 1), 0);
	assert_int_equal(mem_mmio2_read(&m, &b, hb, 0, &out, 1), 0);
	assert_int_equal(mem_mmio2_read(&m, &a, hb, 0, &out, 1), -EPERM);
	assert_int_equal(mem_mmio2_write(&m, &a, ha, 0, &v, 1), 0);
	mem_destroy(&m);
}

/* A refused ROM (over RAM, or over another ROM at the same address) leaves
 * what was there in the map: the cleanup once removed the range starting
 * at that address, RAM included (found by the map fuzz target). */
static void test_refused_rom_keeps_ranges(void **state)
{
	struct mem m;
	struct gmap_range r;
	const uint8_t rom[16] = { 1 };

	assert_int_equal(mem_init(&m, 1 << 20), 0);
	assert_int_equal(mem_rom_add(&m, 0, rom, sizeof(rom), "r", NULL, 0),
			 -EEXIST);
	assert_true(gmap_lookup(&m.map, 0, 1, &r) && r.kind == GMAP_RAM);
	assert_int_equal(mem_rom_add(&m, 0xd0000000, rom, 16, "a", NULL, 0), 0);
	assert_int_equal(mem_rom_add(&m, 0xd0000000, rom, 16, "b", NULL, 0),
			 -EEXIST);
	assert_true(gmap_lookup(&m.map, 0xd0000000, 1, &r) && r.kind == GMAP_ROM);
	mem_destroy(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_layout),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_hole_split),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_gpa_ram_only),
		cmocka_unit_test(test_refused_rom_keeps_ranges),
	};
	return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
