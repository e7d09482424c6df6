/*
 * monitor/jail/fd.c - fixed fd numbers: every long-lived fd is moved to the number
 * policy/policy.h gives it, so the build-time seccomp policies can name it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "core/vm.h"
#include "jail/jail.h"

int fd_pin(int fd, int target)
{
	if (fd < 0 || fd == target)
		return fd;
	/* A taken target means two owners for one number: a wisp bug. */
	if (fcntl(target, F_GETFD) >= 0)
		die(WISP_EXIT_INTERNAL, "fd %d is already in use", target);
	if (dup3(fd, target, O_CLOEXEC) < 0)
		die(WISP_EXIT_OSERR, "moving fd %d to %d: %s", fd, target,
		    strerror(errno));
	close(fd);
	return target;
}

long fd_close_range(unsigned lo, unsigned hi)
{
	return syscall(SYS_close_range, lo, hi, 0);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static bool fd_kept(const int *keep, unsigned n, int fd)
{
	return bsearch(&fd, keep, n, sizeof(*keep), cmp_int) != NULL;
}

/* Closed, and seen closed: close() may report an error yet close. */
static int fd_close_checked(int fd)
{
	if (fcntl(fd, F_GETFD) < 0)
		return 0;
	close(fd);
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF ? 0 : -EBADF;
}

/* Every fd number this process can hold, one by one: slow (up to the hard
 * RLIMIT_NOFILE), but it needs nothing close_range or /proc provide. */
static int fd_close_each(const int *keep, unsigned n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	long top = rl.rlim_max > INT_MAX ? INT_MAX : (long)rl.rlim_max;
	for (long fd = 0; fd < top; fd++)
		if (!fd_kept(keep, n, (int)fd) && fd_close_checked((int)fd) < 0)
			return -EBADF;
	return 0;
}

int fd_close_all_but(int *keep, unsigned n, fd_range_closer close_range)
{
	unsigned next = 0;
	bool ok = true;

	qsort(keep, n, sizeof(*keep), cmp_int);
	for (unsigned i = 0; i < n; i++) {
		if ((unsigned)keep[i] > next)
			ok &= close_range(next, (unsigned)keep[i] - 1) == 0;
		next = (unsigned)keep[i] + 1;
	}
	ok &= close_range(next, ~0u) == 0;
	/* A failed close_range (an old kernel, a filter) must not leave this
	 * process holding fds that are not its own. */
	return ok ? 0 : fd_close_each(keep, n);
}

/* An output file named on the command line, opened while wisp may still be
 * root: never through a symbolic link, never a file that has another name
 * (a hard link), truncated only once checked, 0600, and the --user's. */
int out_open(const struct vm_config *cfg, const char *opt, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
				    O_CLOEXEC, 0600);
	struct stat st;

	if (fd < 0 && errno == ELOOP)
		die(WISP_EXIT_NOINPUT, "%s: '%s' is a symbolic link; refusing "
		    "to follow it", opt, path);
	if (fd < 0)
		die(WISP_EXIT_NOINPUT, "%s: cannot open '%s': %s", opt, path,
		    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
		die(WISP_EXIT_NOINPUT, "%s: '%s' is not a regular file with "
		    "one name", opt, path);
	if ((cfg->has_user && fchown(fd, cfg->uid, cfg->gid) < 0) ||
	    fchmod(fd, 0600) < 0 || ftruncate(fd, 0) < 0)
		die(WISP_EXIT_OSERR, "%s: '%s': %s", opt, path, strerror(errno));
	return fd;
}
