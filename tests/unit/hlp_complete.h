/*
 * tests/unit/hlp_complete.h - every member of a helper table is set: a
 * device calling a member its table left NULL would crash the process
 * that runs it. Walks the structs as arrays of function pointers, so a
 * member added to devices/dev.h is checked without touching the tests.
 */
#ifndef WISP_HLP_COMPLETE_H
#define WISP_HLP_COMPLETE_H

#include <stddef.h>
#include <string.h>

#include "dev.h"

typedef void (*hlp_fn)(void);

/* struct dev_hlp is function pointers, then `trusted` (NULL in an
 * untrusted table) last; struct dev_hlp_trusted is function pointers. */
_Static_assert(offsetof(struct dev_hlp, trusted) + sizeof(void *) ==
		       sizeof(struct dev_hlp),
	       "trusted is the last member of struct dev_hlp");
_Static_assert(offsetof(struct dev_hlp, trusted) % sizeof(hlp_fn) == 0 &&
		       sizeof(struct dev_hlp_trusted) % sizeof(hlp_fn) == 0,
	       "helper tables are arrays of function pointers");

/* Index of the first NULL member, or -1 when every member is set. */
static inline int hlp_first_null(const void *table, size_t bytes)
{
	for (size_t i = 0; i < bytes / sizeof(hlp_fn); i++) {
		hlp_fn f;
		memcpy(&f, (const char *)table + i * sizeof(hlp_fn), sizeof(f));
		if (!f)
			return (int)i;
	}
	return -1;
}

/* -1 when t, and its trusted powers when it has them, are complete;
 * else the first NULL member's index (powers counted after t's). */
static inline int hlp_table_first_null(const struct dev_hlp *t)
{
	size_t n = offsetof(struct dev_hlp, trusted);
	int i = hlp_first_null(t, n);

	if (i >= 0 || !t->trusted)
		return i;
	i = hlp_first_null(t->trusted, sizeof(*t->trusted));
	return i < 0 ? -1 : (int)(n / sizeof(hlp_fn)) + i;
}

#endif
