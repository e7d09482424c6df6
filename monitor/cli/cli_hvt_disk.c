/*
 * monitor/cli/cli_hvt_disk.c - the host side of hvt block devices: disk images
 * opened by the CLI before anything starts (see monitor/hvt.h). Linked only
 * into monitors with the block back end.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/hvt.h"

#define FAIL(...) hvt_err(err, errlen, __VA_ARGS__)

int hvt_disk_open(const char *path, int *fd, uint64_t *size, char *err,
		  size_t errlen)
{
	struct stat st;

	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		return FAIL("cannot open '%s': %s", path, strerror(errno));
	off_t end = lseek(*fd, 0, SEEK_END);
	if (fstat(*fd, &st) < 0 || end < 0 ||
	    (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)))
		return FAIL("'%s' is not a regular file or block device", path);
	*size = (uint64_t)end;
	return 0;
}

