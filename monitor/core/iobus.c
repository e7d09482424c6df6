/* monitor/core/iobus.c - sorted, non-overlapping device ranges. */
#include "core/iobus.h"
#include "hlp_check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void iobus_init(struct iobus *b, const char *name, uint64_t limit)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->limit = limit;
}

void iobus_free(struct iobus *b)
{
	free(b->r);
	b->r = NULL;
	b->n = b->cap = 0;
}

/* Index of the first range whose end is above addr (n if none). */
static size_t iobus_lower(const struct iobus *b, uint64_t addr)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct iobus_range *r = &b->r[mid];
		if (r->base + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int iobus_grow(struct iobus *b)
{
	size_t cap = b->cap ? b->cap * 2 : 16;
	struct iobus_range *r = realloc(b->r, cap * sizeof(*r));

	if (!r)
		return -ENOMEM;
	b->r = r;
	b->cap = cap;
	return 0;
}

int iobus_insert(struct iobus *b, const struct iobus_range *nr,
		 struct dev_ins **clash)
{
	uint64_t end;

	if (hlp_check_span(nr->base, nr->len, b->limit, &end) < 0)
		return -EINVAL;
	size_t i = iobus_lower(b, nr->base);
	if (i < b->n && b->r[i].base < end) {
		if (clash)
			*clash = b->r[i].owner;
		return -EEXIST;
	}
	if (b->n == b->cap && iobus_grow(b) < 0)
		return -ENOMEM;
	memmove(&b->r[i + 1], &b->r[i], (b->n - i) * sizeof(*b->r));
	b->r[i] = *nr;
	b->n++;
	return 0;
}

int iobus_remove(struct iobus *b, uint64_t base, const struct dev_ins *owner)
{
	size_t i = iobus_lower(b, base);

	if (i >= b->n || b->r[i].base != base)
		return -ENOENT;
	if (b->r[i].owner != owner)
		return -EPERM;
	memmove(&b->r[i], &b->r[i + 1], (b->n - i - 1) * sizeof(*b->r));
	b->n--;
	return 0;
}

const struct iobus_range *iobus_find(const struct iobus *b, uint64_t addr,
				     unsigned size)
{
	size_t i = iobus_lower(b, addr);

	if (i >= b->n)
		return NULL;
	const struct iobus_range *r = &b->r[i];
	/* The whole access must lie in one range: a straddling access is
	 * treated as unclaimed rather than split across owners. */
	if (addr < r->base || addr - r->base + size > r->len)
		return NULL;
	return r;
}
