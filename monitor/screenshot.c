/*
 * monitor/screenshot.c - `--screenshot PATH`: the display device's screen
 * as a PNG, at exit and on SIGUSR1. The file is opened before the sandbox
 * and rewritten in place (pwrite + ftruncate) by each screenshot: by wisp,
 * or for a sandboxed display device by its process (DP_DISPLAY, devproc.h),
 * which keeps the file's fd and its pixels to itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
	vm->shot_fd = fd_pin(out_open(vm->cfg, "--screenshot", path),
			     FD_SCREENSHOT);
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

int screenshot_render(struct dev_ins *ins, int fd, struct dev_display *d)
{
	int rc = ins->reg->ops->display ? ins->reg->ops->display(ins, d)
					: -EOPNOTSUPP;

	if (rc == 0 && (!screenshot_check(d) || d->stride < d->width))
		rc = -EIO;
	return rc == 0 ? screenshot_write(fd, d) : rc;
}

/* Bounded by the FSIZE limit: a write past the largest PNG of the largest
 * screen fails with EFBIG instead of filling the disk (or killing the
 * process with SIGXFSZ). For a device process, before its filter. */
int screenshot_limit_fsize(void)
{
	size_t max = png_size(DEV_DISPLAY_MAX_W, DEV_DISPLAY_MAX_H);
	struct rlimit rl = { .rlim_cur = max, .rlim_max = max };

	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
	    setrlimit(RLIMIT_FSIZE, &rl) < 0)
		return -errno;
	return 0;
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
	char rects[DEV_DISPLAY_RECTS * 48];
	screenshot_rects(&d, rects, sizeof(rects));
	wlog(LOG_INFO, "screenshot %u (%s): %ux%u, %u dirty pages read, "
	     "changed:%s, %s", ++vm->shots, why, d.width, d.height,
	     d.pages_read, d.n_rects ? rects : " none", vm->cfg->screenshot);
}
