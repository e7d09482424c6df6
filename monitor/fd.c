/*
 * monitor/fd.c - fixed fd numbers: every long-lived fd is moved to the number
 * policy/policy.h gives it, so the build-time seccomp policies can name it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "vm.h"

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
