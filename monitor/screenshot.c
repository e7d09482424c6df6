/*
 * monitor/screenshot.c - `--screenshot PATH`: the display device's screen
 * as a PNG, at exit and on SIGUSR1. The file is opened before the sandbox
 * and rewritten in place (pwrite + ftruncate) by each screenshot: by wisp,
 * or for a sandboxed display device by its process (DP_DISPLAY, devproc.h),
 * which keeps the file's fd and its pixels to itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "png.h"
#include "policy.h"
#include "vm.h"

void screenshot_open(struct vm *vm)
{
	const char *path = vm->cfg->screenshot;

	vm->shot_fd = -1;
	if (!path)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(WISP_EXIT_NOINPUT, "--screenshot: cannot open '%s': %s", path,
		    strerror(errno));
	vm->shot_fd = fd_pin(fd, FD_SCREENSHOT);
}

static unsigned display_device(struct vm *vm)
{
	for (unsigned i = 0; i < vm->n_devs; i++)
		if (vm->devs[i].reg->ops->display && vm->hosts[i].constructed)
			return i;
	return vm->n_devs;
}

static int screenshot_write(int fd, const struct dev_display *d)
{
	size_t size = png_size(d->width, d->height);
	uint8_t *buf = size ? malloc(size) : NULL;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	size_t n = png_encode(d->pixels, d->width, d->height, d->stride, buf);
	if (pwrite(fd, buf, n, 0) != (ssize_t)n || ftruncate(fd, (off_t)n) < 0)
		rc = -errno;
	free(buf);
	return rc;
}

int screenshot_render(struct dev_ins *ins, int fd, struct dev_display *d)
{
	int rc = ins->reg->ops->display ? ins->reg->ops->display(ins, d)
					: -EOPNOTSUPP;

	return rc == 0 ? screenshot_write(fd, d) : rc;
}

/* The device's copy stays ours until we unlock: encode under its lock. */
static int shot_take(struct vm *vm, unsigned i, struct dev_display *d)
{
	struct dev_host *h = &vm->hosts[i];
	int rc;

	pthread_mutex_lock(&h->lock);
	if (h->sandboxed)
		rc = h->proc ? devproc_display(h, d) : -ESRCH;
	else
		rc = screenshot_render(&vm->devs[i], vm->shot_fd, d);
	pthread_mutex_unlock(&h->lock);
	return rc;
}

void screenshot_take(struct vm *vm, const char *why)
{
	unsigned i = display_device(vm);
	struct dev_display d;

	if (vm->shot_fd < 0)
		return;
	if (i == vm->n_devs) {
		wlog(LOG_WARN, "screenshot (%s): no display device", why);
		return;
	}
	int rc = shot_take(vm, i, &d);
	if (rc < 0) {
		wlog(LOG_ERR, "screenshot (%s): %s", why, strerror(-rc));
		return;
	}
	char rects[DEV_DISPLAY_RECTS * 32] = "";
	for (unsigned r = 0, len = 0; r < d.n_rects; r++)
		len += (unsigned)snprintf(rects + len, sizeof(rects) - len,
					  " %ux%u+%u+%u", d.rects[r].x1 -
					  d.rects[r].x0, d.rects[r].y1 -
					  d.rects[r].y0, d.rects[r].x0,
					  d.rects[r].y0);
	wlog(LOG_INFO, "screenshot %u (%s): %ux%u, %u dirty pages read, "
	     "changed:%s, %s", ++vm->shots, why, d.width, d.height,
	     d.pages_read, d.n_rects ? rects : " none", vm->cfg->screenshot);
}
