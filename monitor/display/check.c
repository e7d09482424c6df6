/*
 * monitor/display/check.c - what a display device reports, checked where it
 * enters wisp (its screen and changed rectangles), and the rectangles as
 * text for a log line bounded by its buffer. In every profile: a
 * compromised display device process is answered here.
 */
#include <stdio.h>

#include "display/display.h"

static bool rect_ok(const struct dev_rect *r, unsigned w, unsigned h)
{
	return r->x0 <= r->x1 && r->x1 <= w && r->y0 <= r->y1 && r->y1 <= h;
}

bool screenshot_check(const struct dev_display *d)
{
	if (!d->width || d->width > DEV_DISPLAY_MAX_W || !d->height ||
	    d->height > DEV_DISPLAY_MAX_H || d->n_rects > DEV_DISPLAY_RECTS)
		return false;
	for (unsigned r = 0; r < d->n_rects; r++)
		if (!rect_ok(&d->rects[r], d->width, d->height))
			return false;
	return true;
}

size_t screenshot_rects(const struct dev_display *d, char *buf, size_t size)
{
	size_t len = 0;

	if (!size)
		return 0;
	buf[0] = '\0';
	for (unsigned r = 0; r < d->n_rects && r < DEV_DISPLAY_RECTS; r++) {
		const struct dev_rect *x = &d->rects[r];
		int n = snprintf(buf + len, size - len, " %ux%u+%u+%u",
				 x->x1 - x->x0, x->y1 - x->y0, x->x0, x->y0);
		if (n < 0 || (size_t)n >= size - len)
			return size - 1; /* cut: snprintf ended it in place */
		len += (size_t)n;
	}
	return len;
}
