/*
 * Unit tests: a screenshot of a sandboxed display device (monitor/
 * screenshot.c, devproc.c). The device process is hostile: what it reports
 * is checked where it enters wisp, the line that reports it is bounded by
 * its buffer, and the file it writes cannot grow past the largest PNG.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/exitcode.h"
#include "display/png.h"
#include "core/vm.h"
#include "display/display.h"
#include "monitor.h"
#include "devhost/devfile.h"
#include "devhost/devhost.h"
#include "devhost/devproc.h"

const struct dev_entry dev_registry[] = { { 0 } };
const size_t dev_registry_len = 0;
static int stop_code = -1;

void vm_request_stop(struct vm *v, int code, const char *why)
{
	stop_code = code;
}

static int no_display(struct dev_ins *ins, struct dev_display *d)
{
	return -EIO; /* never called: the device is sandboxed */
}

static const struct dev_ops fb_ops = { .display = no_display };
static const struct dev_reg reg_fb = { .name = "fb", .ops = &fb_ops };
static struct vm vm;
static struct dp_shm shm;
static struct vm_config cfg = { .screenshot = "/dev/null" };

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	memset(&shm, 0, sizeof(shm));
	vm.cfg = &cfg;
	vm.n_devs = 1;
	vm.devs[0] = (struct dev_ins){ .reg = &reg_fb, .name = "fb.0" };
	vm.hosts[0] = (struct dev_host){ .vm = &vm, .ins = &vm.devs[0],
					 .constructed = true,
					 .sandboxed = true };
	pthread_mutex_init(&vm.hosts[0].lock, NULL);
	vm.devs[0].host = &vm.hosts[0];
	vm.procs[0] = (struct devproc){ .shm = &shm };
	vm.hosts[0].proc = &vm.procs[0];
	vm.shot_fd = 1; /* the child writes it; wisp only prints */
	stop_code = -1;
	return 0;
}

/* The "child" has answered already: the next request's ack is posted. */
static void answer(const struct dp_display *r)
{
	memcpy(shm.down.data, r, sizeof(*r));
	atomic_store(&shm.down_ack, vm.procs[0].seq + 1);
}

static void hostile(struct dp_display *r)
{
	*r = (struct dp_display){ .width = 320, .height = 200,
				  .n_rects = DEV_DISPLAY_RECTS };
	for (unsigned i = 0; i < DEV_DISPLAY_RECTS; i++)
		r->rects[i] = (struct dev_rect){ 1000000000u, 1000000000u,
						~0u, ~0u };
}

/* Huge rectangles once overflowed the line's stack buffer (ASan). */
static void test_hostile_rects(void **state)
{
	struct dp_display r;

	hostile(&r);
	answer(&r);
	screenshot_take(&vm, "test");
	assert_int_equal(stop_code, WISP_EXIT_SANDBOX);
	assert_int_equal(vm.shots, 0);
}

static void test_hostile_counts(void **state)
{
	struct dp_display r = { .width = 320, .height = 200,
				.n_rects = 1000 };
	struct dev_display d;

	answer(&r);
	assert_int_equal(devproc_display(&vm.hosts[0], &d), -EIO);
	r = (struct dp_display){ .width = 100000, .height = 200 };
	atomic_store(&vm.procs[0].dead, false);
	answer(&r);
	assert_int_equal(devproc_display(&vm.hosts[0], &d), -EIO);
}

static void test_good_answer(void **state)
{
	struct dp_display r = { .width = 320, .height = 200, .n_rects = 1,
				.rects = { { 0, 16, 320, 32 } } };

	answer(&r);
	screenshot_take(&vm, "test");
	assert_int_equal(stop_code, -1);
	assert_int_equal(vm.shots, 1);
}

/* Whatever the rectangles, the text stays inside the buffer. */
static void test_rects_bounded(void **state)
{
	struct dev_display d = { .n_rects = DEV_DISPLAY_RECTS };
	char buf[64];

	for (unsigned i = 0; i < DEV_DISPLAY_RECTS; i++)
		d.rects[i] = (struct dev_rect){ 4000000000u, 1, 0, ~0u };
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(screenshot_rects(&d, buf, 40), 39);
	assert_int_equal(strlen(buf), 39);
	assert_int_equal(buf[40], 'x');
	d.n_rects = 1;
	d.rects[0] = (struct dev_rect){ 1, 2, 11, 22 };
	assert_int_equal(screenshot_rects(&d, buf, sizeof(buf)), 10);
	assert_string_equal(buf, " 10x20+1+2");
}

/* In a child (the limit is per process): a display device's process with
 * no other file writes up to the largest PNG; past it writes fail with
 * EFBIG, no SIGXFSZ kills it. */
static int fsize_child(int fd)
{
	off_t max = (off_t)png_size(DEV_DISPLAY_MAX_W, DEV_DISPLAY_MAX_H);
	struct dev_host none = { 0 };
	char b = 1;

	if (devfile_limit_fsize(&none, screenshot_max_size()) < 0 ||
	    pwrite(fd, &b, 1, max - 1) != 1)
		return 1;
	if (pwrite(fd, &b, 1, max) != -1 || errno != EFBIG)
		return 2;
	if (ftruncate(fd, max + 4096) != -1 || errno != EFBIG)
		return 3;
	return 0;
}

static void test_fsize_bound(void **state)
{
	char path[] = "/tmp/wisp-shot-XXXXXX";
	int fd = mkstemp(path), st;

	assert_true(fd >= 0);
	unlink(path);
	pid_t pid = fork();
	if (pid == 0)
		_exit(fsize_child(fd));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(fd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hostile_rects), T(test_hostile_counts),
		T(test_good_answer), T(test_rects_bounded),
		cmocka_unit_test(test_fsize_bound),
	};
	return cmocka_run_group_tests_name("screenshot", tests, NULL, NULL);
}
