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

#include "core/exitcode.h"
#include "core/vm.h"
#include "devhost/devproc.h"
#include "display/display.h"
#include "jail/jail.h"
#include "monitor.h"
#include "policy.h"

void screenshot_open(struct vm *vm)
{
	const char *path = vm->cfg->screenshot;

	vm->shot_fd = -1;
	if (!path)
		return;
	if (!WISP_DISPLAY)
		die(WISP_EXIT_USAGE, "--screenshot: this build has no display "
		    "device (make PROFILE=test has one)");
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

/* The device's copy stays ours until we unlock: encode under its lock. */
static int shot_take(struct vm *vm, unsigned i, struct dev_display *d)
{
	struct dev_host *h = &vm->hosts[i];
	int rc;

	devproc_lock_main(h);
	if (h->sandboxed)
		rc = h->proc ? devproc_display(h, d) : -ESRCH;
	else
		rc = WISP_DISPLAY ? screenshot_render(&vm->devs[i], vm->shot_fd, d)
				  : -EOPNOTSUPP;
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
