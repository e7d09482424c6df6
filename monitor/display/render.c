/*
 * monitor/display/render.c - a display device's screen as a PNG file, for
 * wisp and for a sandboxed display device's own process: what the device
 * reports is checked (check.c), the file is bounded. Linked, with png.c
 * and zlib, only into profiles with a display device (WISP_DISPLAY).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "display/display.h"
#include "display/png.h"

static int screenshot_write(int fd, const struct dev_display *d)
{
	size_t size = png_size(d->width, d->height);
	uint8_t *buf = size ? malloc(size) : NULL;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	size_t n = png_encode(d->pixels, d->width, d->height, d->stride, buf);
	if (!n)
		rc = -ENOMEM;
	else if (pwrite(fd, buf, n, 0) != (ssize_t)n ||
		 ftruncate(fd, (off_t)n) < 0)
		rc = -errno;
	free(buf);
	return rc;
}

int screenshot_render(struct dev_ins *ins, int fd, struct dev_display *d)
{
	int rc = ins->reg->ops->display ? ins->reg->ops->display(ins, d)
					: -EOPNOTSUPP;

	if (rc == 0 && (!screenshot_check(d) || d->stride < d->width))
		rc = -EIO;
	return rc == 0 ? screenshot_write(fd, d) : rc;
}

/* The largest PNG of the largest screen: a device process's file size
 * limit (devfile_limit_fsize) is at least this when it writes screenshots,
 * so a write past it fails instead of filling the disk. */
uint64_t screenshot_max_size(void)
{
	return png_size(DEV_DISPLAY_MAX_W, DEV_DISPLAY_MAX_H);
}
