/*
 * fuzz/map_target.c - libFuzzer target for mem/'s API: the guest-physical
 * map (RAM, ROM, MMIO, reserved), MMIO2 regions and dirty tracking, and
 * checked guest memory access, without KVM. Invariants checked after every
 * op: ranges sorted and disjoint; lookups agree with a linear scan; a query
 * never misses a page written since the last one, is exact while the region
 * stayed mapped and tracked, and sets no bit past the region.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define RAM (1u << 20)
#define NREG 4
#define REG_PAGES 80 /* at most: two bitmap words */

struct shadow {
	int h;
	uint64_t pages;
	uint64_t written[2]; /* pages written since the last query */
	bool exact;          /* mapped and tracked since the last query */
};

struct ctx {
	struct mem m;
	const uint8_t *p, *end;
	struct shadow s[NREG];
};

static void __attribute__((format(printf, 1, 2), noreturn))
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("map invariant failed: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static uint64_t take(struct ctx *c, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)(c->p < c->end ? *c->p++ : 0) << (8 * i);
	return v;
}

/* Addresses cluster where things live, with wild values sometimes. */
static uint64_t take_gpa(struct ctx *c)
{
	uint8_t sel = (uint8_t)take(c, 1);

	if (sel < 16)
		return take(c, 8);
	return (sel & 1 ? 0xd0000000ull : 0) + (take(c, 2) << 12) +
	       (sel & 2 ? take(c, 2) : 0);
}

static const struct gmap_range *linear(const struct gmap *g, uint64_t a,
				       uint64_t len)
{
	uint64_t l = len ? len : 1;

	for (size_t i = 0; i < g->n; i++) {
		const struct gmap_range *r = &g->r[i];
		if (a >= r->gpa && l <= r->size && a - r->gpa <= r->size - l)
			return r;
	}
	return NULL;
}

static void check_map(struct ctx *c)
{
	const struct gmap *g = &c->m.map;

	for (size_t i = 1; i < g->n; i++)
		if (g->r[i - 1].gpa + g->r[i - 1].size > g->r[i].gpa)
			fail("map ranges %zu and %zu overlap", i - 1, i);
	uint64_t a = take_gpa(c), len = take(c, 2);
	if (gmap_find(g, a, len) != linear(g, a, len))
		fail("lookup 0x%llx+%llu disagrees with a scan",
			  (unsigned long long)a, (unsigned long long)len);
}

static void mark(struct shadow *s, uint64_t off, uint64_t len)
{
	for (uint64_t p = off / 4096; len && p <= (off + len - 1) / 4096; p++)
		s->written[p / 64] |= 1ull << (p % 64);
}

static void op_query(struct ctx *c, struct shadow *s)
{
	uint64_t bm[2] = { ~0ull, ~0ull };
	size_t bytes = mem_bitmap_bytes(s->pages * 4096);

	if (mem_mmio2_query(&c->m, c, s->h, bm, bytes) < 0)
		fail("query of a tracked region failed");
	for (int w = 0; w < 2; w++) {
		uint64_t valid = s->pages >= 64 * (uint64_t)(w + 1) ? ~0ull
				 : s->pages > 64ull * w
					 ? (1ull << (s->pages - 64 * w)) - 1
					 : 0;
		if (bm[w] & ~valid && (size_t)(w * 8) < bytes)
			fail("bit past the region's end");
		if ((s->written[w] & ~bm[w]) && (size_t)(w * 8) < bytes)
			fail("query missed a written page");
		if (s->exact && (size_t)(w * 8) < bytes &&
		    bm[w] != s->written[w])
			fail("query not exact while mapped and tracked");
	}
	memset(s->written, 0, sizeof(s->written));
	s->exact = c->m.mmio2[s->h].mapped && c->m.mmio2[s->h].d.track;
}

static void op_mmio2(struct ctx *c, uint8_t kind)
{
	struct shadow *s = &c->s[take(c, 1) % NREG];
	struct mem_mmio2 *r = &c->m.mmio2[s->h];
	uint64_t off = take(c, 3) % (s->pages * 4096 + 64), len = take(c, 1);
	uint8_t buf[256] = { 0 };
	char err[200];

	switch (kind % 6) {
	case 0:
		if (mem_mmio2_map(&c->m, c, s->h, take_gpa(c), err, 200) == 0)
			s->exact = false; /* unmapped part of the interval */
		break;
	case 1:
		mem_mmio2_unmap(&c->m, c, s->h);
		s->exact = false;
		break;
	case 2: {
		bool on = take(c, 1) & 1;
		if (on != r->d.track)
			s->exact = false;
		mem_mmio2_track(&c->m, c, s->h, on);
		break;
	}
	case 3:
		if (mem_mmio2_write(&c->m, c, s->h, off, buf, len) == 0)
			mark(s, off, len);
		break;
	case 4:
		if (r->mapped &&
		    mem_sim_guest_write(&c->m, r->gpa + off, buf, len) == 0)
			mark(s, off, len);
		break;
	default:
		op_query(c, s);
	}
	if (mem_mmio2_query(&c->m, (void *)1, s->h, NULL, 0) != -EPERM)
		fail("another owner was not refused");
}

/* mem_write/mem_read by guest address: RAM only, never a region or ROM. */
static void op_access(struct ctx *c, bool write)
{
	uint64_t gpa = take_gpa(c), len = take(c, 1) + (take(c, 1) == 0xff
							      ? ~0ull / 2 : 0);
	static uint8_t buf[256];
	struct gmap_range r;

	if (len > sizeof(buf))
		len = take(c, 1) & 1 ? len : sizeof(buf);
	bool found = gmap_lookup(&c->m.map, gpa, len, &r);
	int rc = write ? mem_write(&c->m, gpa, buf, len)
		       : mem_read(&c->m, gpa, buf, len);
	bool ok = found && r.kind == GMAP_RAM;
	if ((rc == 0) != ok || (rc && rc != -EFAULT))
		fail("access 0x%llx+%llu gave %d", (unsigned long long)gpa,
			  (unsigned long long)len, rc);
}

static void op_range(struct ctx *c, uint8_t kind)
{
	uint64_t gpa = take_gpa(c), size = take(c, 3) << (take(c, 1) & 12);
	static const uint8_t data[4096];

	switch (kind % 4) {
	case 0: mem_mmio_add(&c->m, gpa, size, c, "mmio", NULL, NULL, NULL, 0);
		break;
	case 1: mem_reserve(&c->m, gpa, size, "hole", NULL, 0); break;
	case 2: mem_rom_add(&c->m, gpa, data, size % sizeof(data), "rom",
			    NULL, 0);
		break;
	default: mem_mmio_del(&c->m, gpa, take(c, 1) & 1 ? c : NULL);
	}
}

static void setup(struct ctx *c)
{
	if (mem_init(&c->m, RAM) < 0)
		fail("mem_init");
	for (int i = 0; i < NREG; i++) {
		uint64_t pages = 1 + take(c, 1) % REG_PAGES;
		c->s[i] = (struct shadow){ .pages = pages };
		c->s[i].h = mem_mmio2_create(&c->m, c, "r", pages * 4096,
					     MEM_MMIO2_F_TRACK);
		if (c->s[i].h < 0)
			fail("mmio2_create");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctx c;

	memset(&c, 0, sizeof(c));
	c.p = data;
	c.end = data + size;
	setup(&c);
	for (unsigned n = 0; c.p < c.end && n < 512; n++) {
		uint8_t op = (uint8_t)take(&c, 1);
		if (op < 96)
			op_mmio2(&c, op);
		else if (op < 160)
			op_access(&c, op & 1);
		else
			op_range(&c, op);
		check_map(&c);
	}
	mem_destroy(&c.m);
	return 0;
}
