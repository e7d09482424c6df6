/*
 * Unit tests: closing every fd but a device process's own (monitor/jail/fd.c).
 * When close_range fails (an old kernel, a filter) the process must still
 * end up with nothing else open, or refuse to run.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/vm.h"
#include "jail/jail.h"

#define HIGH_FD 900 /* like wisp's pinned fds: far above the rest */

static long fails(unsigned lo, unsigned hi)
{
	errno = ENOSYS;
	return -1;
}

/* Closes the first range it is given, then fails. */
static long fails_later(unsigned lo, unsigned hi)
{
	static unsigned calls;

	if (calls++ == 0)
		return fd_close_range(lo, hi);
	errno = EINVAL;
	return -1;
}

static bool open_fd(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* In a child: pipes at low numbers, one at HIGH_FD, one kept at 700; only
 * stderr and 700 may remain. */
static int child(fd_range_closer cr)
{
	int p[2], q[2];

	if (pipe(p) < 0 || pipe(q) < 0 || dup2(p[0], HIGH_FD) < 0 ||
	    dup2(q[1], 700) < 0)
		return 10;
	int keep[] = { 700, STDERR_FILENO };
	if (fd_close_all_but(keep, 2, cr) < 0)
		return 11;
	for (int fd = 0; fd < 1024; fd++)
		if (open_fd(fd) != (fd == 700 || fd == STDERR_FILENO))
			return 12;
	return 0;
}

static void run(fd_range_closer cr)
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(child(cr));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_close_range(void **state)
{
	run(fd_close_range);
}

static void test_close_range_fails(void **state)
{
	run(fails);
}

static void test_close_range_fails_midway(void **state)
{
	run(fails_later);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_close_range),
		cmocka_unit_test(test_close_range_fails),
		cmocka_unit_test(test_close_range_fails_midway),
	};
	return cmocka_run_group_tests_name("fd", tests, NULL, NULL);
}
