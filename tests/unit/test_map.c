/*
 * Unit tests: mem/map.c's guest-physical map against a naive model (one
 * owner per 4 KiB unit) under random insert/remove sequences, the error
 * that names both ranges, listeners, and mem.c's memslot limit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mem.h"

#define UNITS 256 /* model space: [0, 1 MiB) in pages */
#define NOBODY (-1)

struct model {
	int at[UNITS];          /* range id covering each page */
	uint64_t gpa[UNITS], size[UNITS];
	bool live[UNITS];
	uint64_t ram_bytes;     /* what the listener should have seen */
};

struct listen_state {
	uint64_t ram_bytes;
	unsigned calls;
};

static void on_ram(void *opaque, const struct gmap_range *r, bool mapped)
{
	struct listen_state *l = opaque;

	l->calls++;
	l->ram_bytes += mapped ? r->size : -r->size;
}

static uint32_t rng = 12345;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) % n;
}

static bool model_free(const struct model *m, uint64_t first, uint64_t n)
{
	for (uint64_t i = first; i < first + n; i++)
		if (m->at[i] != NOBODY)
			return false;
	return true;
}

static void model_set(struct model *m, uint64_t first, uint64_t n, int id)
{
	for (uint64_t i = first; i < first + n; i++)
		m->at[i] = id;
}

/* The map's answer for [a, a+len) equals the model's. */
static void check_probe(struct gmap *g, const struct model *m, uint64_t a,
			uint64_t len)
{
	const struct gmap_range *r = gmap_find(g, a, len);
	uint64_t first = a / 4096, last = (a + (len ? len : 1) - 1) / 4096;
	int id = m->at[first];

	for (uint64_t p = first; p <= last && id != NOBODY; p++)
		if (p >= UNITS || m->at[p] != id)
			id = NOBODY;
	if (id == NOBODY) {
		assert_null(r);
		return;
	}
	assert_non_null(r);
	assert_int_equal(r->gpa, m->gpa[id]);
	assert_int_equal(r->size, m->size[id]);
	assert_int_equal(r->id, id);
}

static void check_sorted(const struct gmap *g)
{
	for (size_t i = 1; i < g->n; i++)
		assert_true(g->r[i - 1].gpa + g->r[i - 1].size <= g->r[i].gpa);
}

static void random_insert(struct gmap *g, struct model *m, int id)
{
	uint64_t first = rnd(UNITS), n = 1 + rnd(16);

	if (m->live[id])
		return;
	if (first + n > UNITS)
		n = UNITS - first;
	struct gmap_range nr = { .gpa = first * 4096, .size = n * 4096,
				 .kind = (enum gmap_kind)rnd(5), .id = id,
				 .owner = (void *)(uintptr_t)(1 + id % 3) };
	char err[200] = "";

	snprintf(nr.name, sizeof(nr.name), "r%d", id);
	int rc = gmap_insert(g, &nr, err, sizeof(err));
	if (!model_free(m, first, n)) {
		char want[64];
		uint64_t p = first;
		while (m->at[p] == NOBODY)
			p++;
		assert_int_equal(rc, -EEXIST);
		/* both ranges named: the new one, then the one in the way */
		snprintf(want, sizeof(want), " r%d [", id);
		assert_ptr_equal(strstr(err, want), strchr(err, ' '));
		snprintf(want, sizeof(want), " r%d [", m->at[p]);
		assert_non_null(strstr(strstr(err, " overlaps "), want));
		return;
	}
	assert_int_equal(rc, 0);
	model_set(m, first, n, id);
	m->gpa[id] = nr.gpa;
	m->size[id] = nr.size;
	m->live[id] = true;
	if (nr.kind == GMAP_RAM)
		m->ram_bytes += nr.size;
}

static void random_remove(struct gmap *g, struct model *m)
{
	int id = (int)rnd(UNITS);
	const void *owner = (void *)(uintptr_t)(1 + id % 3);
	struct gmap_range out;

	if (!m->live[id])
		return;
	/* wrong owner, then not the start, then right */
	assert_int_equal(gmap_remove(g, m->gpa[id], (void *)99, NULL), -EPERM);
	if (m->size[id] > 4096)
		assert_int_equal(gmap_remove(g, m->gpa[id] + 4096, owner, NULL),
				 -ENOENT);
	assert_int_equal(gmap_remove(g, m->gpa[id], owner, &out), 0);
	assert_int_equal(out.id, id);
	if (out.kind == GMAP_RAM)
		m->ram_bytes -= out.size;
	model_set(m, m->gpa[id] / 4096, m->size[id] / 4096, NOBODY);
	m->live[id] = false;
}

static void test_random_vs_model(void **state)
{
	static struct model m;
	struct listen_state l = { 0 };
	struct gmap g;

	gmap_init(&g);
	assert_int_equal(gmap_listen(&g, on_ram, &l), 0);
	for (int i = 0; i < UNITS; i++)
		m.at[i] = NOBODY;
	for (int step = 0; step < 20000; step++) {
		if (rnd(3))
			random_insert(&g, &m, step % UNITS);
		else
			random_remove(&g, &m);
		check_sorted(&g);
		for (int p = 0; p < 8; p++)
			check_probe(&g, &m, rnd(UNITS * 4096), rnd(3) ? rnd(9)
								  : rnd(40000));
	}
	uint64_t ram = 0;
	for (size_t i = 0; i < g.n; i++)
		ram += g.r[i].kind == GMAP_RAM ? g.r[i].size : 0;
	assert_int_equal(l.ram_bytes, ram);
	gmap_free(&g);
}

static void test_edges(void **state)
{
	struct gmap g;
	struct gmap_range a = { .gpa = 0x1000, .size = 0x1000, .name = "a" };
	char err[200];

	gmap_init(&g);
	assert_int_equal(gmap_insert(&g, &a, err, sizeof(err)), 0);
	struct gmap_range z = { .gpa = 0, .size = 0, .name = "z" };
	assert_int_equal(gmap_insert(&g, &z, err, sizeof(err)), -EINVAL);
	z = (struct gmap_range){ .gpa = ~0ull - 10, .size = 0x1000 };
	assert_int_equal(gmap_insert(&g, &z, NULL, 0), -EINVAL);
	z = (struct gmap_range){ .gpa = GMAP_LIMIT - 0x1000, .size = 0x2000 };
	assert_int_equal(gmap_insert(&g, &z, NULL, 0), -EINVAL);
	assert_null(gmap_find(&g, 0x1fff, 2));     /* straddles the end */
	assert_null(gmap_find(&g, ~0ull, 2));
	assert_null(gmap_find(&g, 0x1000, ~0ull));
	assert_non_null(gmap_find(&g, 0x1fff, 1));
	assert_non_null(gmap_find(&g, 0x1fff, 0));
	assert_null(gmap_find(&g, 0x2000, 0));
	gmap_free(&g);
}

static void test_clash_message(void **state)
{
	struct mem m;
	char err[200];

	mem_init_empty(&m);
	assert_int_equal(mem_reserve(&m, 0xfec00000, 0x1000, "ioapic", err,
				     sizeof(err)), 0);
	assert_int_equal(mem_mmio_add(&m, 0xfec00800, 0x1000, NULL, "dev.0",
				      NULL, NULL, err, sizeof(err)), -EEXIST);
	assert_string_equal(err, "MMIO dev.0 [0xfec00800, 0xfec01800) overlaps "
			    "reserved ioapic [0xfec00000, 0xfec01000)");
	mem_destroy(&m);
}

/* Memslots: a clear error past the limit, and slots come back on unmap. */
static void test_slot_limit(void **state)
{
	struct mem m;
	char err[200] = "";
	int h[3];

	mem_init_empty(&m);
	m.max_slots = 2;
	for (int i = 0; i < 3; i++)
		h[i] = mem_mmio2_create(&m, &m, "vram", 0x1000, 0);
	assert_int_equal(mem_mmio2_map(&m, &m, h[0], 0x10000, err, 200), 0);
	assert_int_equal(mem_mmio2_map(&m, &m, h[1], 0x20000, err, 200), 0);
	assert_int_equal(mem_mmio2_map(&m, &m, h[2], 0x30000, err, 200),
			 -ENOSPC);
	assert_non_null(strstr(err, "KVM_CAP_NR_MEMSLOTS allows 2"));
	assert_null(gmap_find(&m.map, 0x30000, 1)); /* rolled back */
	assert_int_equal(mem_mmio2_unmap(&m, &m, h[0]), 0);
	assert_int_equal(mem_mmio2_map(&m, &m, h[2], 0x30000, err, 200), 0);
	mem_destroy(&m);
}

static void test_access_kinds(void **state)
{
	struct mem m;
	uint8_t rom[100] = { 0x5a }, b[4] = { 0 };

	assert_int_equal(mem_init(&m, 2 << 20), 0);
	assert_int_equal(mem_rom_add(&m, 0xfff00000, rom, sizeof(rom), "bios",
				     NULL, 0), 0);
	assert_int_equal(mem_mmio_add(&m, 0xd0000000, 0x1000, NULL, "t", NULL,
				      NULL, NULL, 0), 0);
	/* The map holds the ROM; access by guest address reaches RAM only. */
	const struct gmap_range *r = gmap_find(&m.map, 0xfff00ff0, 4);
	assert_non_null(r);
	assert_int_equal(r->kind, GMAP_ROM);
	assert_int_equal(r->host[0], 0x5a);
	assert_int_equal(mem_read(&m, 0xfff00000, b, 1), -EFAULT);
	assert_int_equal(mem_write(&m, 0xfff00000, b, 1), -EFAULT);
	assert_int_equal(mem_read(&m, 0xd0000000, b, 1), -EFAULT);
	assert_int_equal(mem_write(&m, 0xd0000000, b, 1), -EFAULT);
	assert_int_equal(mem_read(&m, 0xe0000000, b, 1), -EFAULT);
	assert_int_equal(mem_rom_add(&m, 0x1000, rom, 1, "over-ram", NULL, 0),
			 -EEXIST);
	mem_destroy(&m);
}

/* KVM's own pages are reserved: a ROM, MMIO or MMIO2 range on them is
 * refused naming both; firmware's 16 MiB below 4 GiB stays free. */
static void test_kvm_reserved(void **state)
{
	static uint8_t img[16 << 20];
	char err[200] = "";
	struct mem m;

	assert_int_equal(mem_init(&m, 2 << 20), 0);
	assert_int_equal(mem_reserve_kvm(&m, err, sizeof(err)), 0);
	assert_int_equal(mem_rom_add(&m, MEM_LAPIC, img, 4096, "rom0", err,
				     sizeof(err)), -EEXIST);
	assert_string_equal(err, "ROM rom0 [0xfee00000, 0xfee01000) overlaps "
			    "reserved KVM local APIC [0xfee00000, 0xfee01000)");
	assert_int_equal(mem_mmio_add(&m, MEM_IOAPIC - 0x1000, 0x2000, NULL,
				      "dev", NULL, NULL, err, sizeof(err)),
			 -EEXIST);
	assert_non_null(strstr(err, "KVM IOAPIC"));
	int h = mem_mmio2_create(&m, &m, "dev MMIO2", 0x2000, 0);
	assert_int_equal(mem_mmio2_map(&m, &m, h, MEM_KVM_TSS + 0x1000, err,
				       sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "KVM TSS"));
	assert_int_equal(mem_mmio2_map(&m, &m, h, MEM_KVM_IDMAP - 0x1000, err,
				       sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "KVM identity map"));
	assert_int_equal(mem_rom_add(&m, MEM_HOLE_END - sizeof(img), img,
				     sizeof(img), "bios", err, sizeof(err)), 0);
	mem_destroy(&m);
	/* Flat RAM over them (hvt's up to 4 GiB): refused, both named. */
	assert_int_equal(mem_init_flat(&m, MEM_IOAPIC + 0x200000), 0);
	assert_int_equal(mem_reserve_kvm(&m, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "KVM IOAPIC"));
	assert_non_null(strstr(err, "RAM"));
	mem_destroy(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_vs_model),
		cmocka_unit_test(test_kvm_reserved),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_clash_message),
		cmocka_unit_test(test_slot_limit),
		cmocka_unit_test(test_access_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
