/*
 * monitor/jail/fd.c - fixed fd numbers: every long-lived fd is moved to the number
 * policy/policy.h gives it, so the build-time seccomp policies can name it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
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

/* path's last component: a plain name, not "", "." or "..". */
static const char *path_last(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return NULL;
	return name;
}

/* The folder part of path (before name) into dir (PATH_MAX bytes): "."
 * for a bare name; the slash is kept, so "/" stays "/". */
static bool path_dir_copy(const char *path, const char *name, char *dir)
{
	size_t n = (size_t)(name - path);

	if (n >= PATH_MAX)
		return false;
	memcpy(dir, n ? path : ".", n ? n : 1);
	dir[n ? n : 1] = '\0';
	return true;
}

static int path_openat2(const char *dir)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS, /* and no magic links */
	};

	return (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));
}

int path_dir_open(const char *opt, const char *path, const char **name)
{
	char dir[PATH_MAX];

	*name = path_last(path);
	if (!*name)
		die(WISP_EXIT_NOINPUT, "%s: '%s' does not end in a file name",
		    opt, path);
	if (!path_dir_copy(path, *name, dir))
		die(WISP_EXIT_NOINPUT, "%s: '%s' is too long", opt, path);
	int fd = path_openat2(dir);
	if (fd < 0 && errno == ENOSYS)
		die(WISP_EXIT_OSERR, "%s: '%s': this kernel has no openat2 "
		    "(Linux 5.6), which wisp needs to refuse symbolic links",
		    opt, path);
	if (fd < 0 && errno == ELOOP)
		die(WISP_EXIT_NOINPUT, "%s: a folder in '%s' is a symbolic "
		    "link; refusing to follow it", opt, path);
	if (fd < 0)
		die(WISP_EXIT_NOINPUT, "%s: cannot open the folder of '%s': %s",
		    opt, path, strerror(errno));
	return fd;
}

/* name in dir, created (*made) or as it was; a link there is not followed.
 * Bounded: a file removed between the two opens is tried once more. */
static int out_at(int dir, const char *name, bool *made)
{
	const int fl = O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		       O_CLOEXEC;

	for (int i = 0; i < 2; i++) {
		int fd = openat(dir, name, fl | O_CREAT | O_EXCL, 0600);
		*made = fd >= 0;
		if (fd >= 0 || errno != EEXIST)
			return fd;
		fd = openat(dir, name, fl);
		if (fd >= 0 || errno != ENOENT)
			return fd;
	}
	return -1;
}

/* A file that was there already must be plainly the runner's: one
 * regular file, one name (no hard link to another file), owned by the
 * uid wisp runs as, so root never takes over someone else's file. */
static void out_check(const struct vm_config *cfg, const char *opt,
		      const char *path, int fd, bool made)
{
	uid_t want = cfg->has_user ? cfg->uid : geteuid();
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
		die(WISP_EXIT_NOINPUT, "%s: '%s' is not a regular file with "
		    "one name", opt, path);
	if (!made && st.st_uid != want)
		die(WISP_EXIT_NOINPUT, "%s: '%s' belongs to uid %u, not to uid "
		    "%u that wisp runs as; refusing to take it over", opt, path,
		    (unsigned)st.st_uid, (unsigned)want);
}

/* An output file named on the command line, opened while wisp may still be
 * root: resolved without symbolic links, never a file that has another name
 * (a hard link) or another owner, truncated only once checked, 0600, and
 * the --user's. */
int out_open(const struct vm_config *cfg, const char *opt, const char *path)
{
	const char *name;
	int dir = path_dir_open(opt, path, &name);
	bool made;
	int fd = out_at(dir, name, &made);

	close(dir);
	if (fd < 0 && errno == ELOOP)
		die(WISP_EXIT_NOINPUT, "%s: '%s' is a symbolic link; refusing "
		    "to follow it", opt, path);
	if (fd < 0)
		die(WISP_EXIT_NOINPUT, "%s: cannot open '%s': %s", opt, path,
		    strerror(errno));
	out_check(cfg, opt, path, fd, made);
	if ((cfg->has_user && fchown(fd, cfg->uid, cfg->gid) < 0) ||
	    fchmod(fd, 0600) < 0 || ftruncate(fd, 0) < 0)
		die(WISP_EXIT_OSERR, "%s: '%s': %s", opt, path, strerror(errno));
	return fd;
}
