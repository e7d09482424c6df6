/*
 * passthru/vfio_sys.c - the real system calls behind struct vfio_sys
 * (the unit tests put a fake VFIO in their place).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio.h"

static int h_open(void *ctx, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int h_close(void *ctx, int fd)
{
	return close(fd) ? -errno : 0;
}

static int h_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	int rc = ioctl(fd, req, arg);
	return rc < 0 ? -errno : rc;
}

static ssize_t h_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off)
{
	ssize_t rc = pread(fd, buf, n, (off_t)off);
	return rc < 0 ? -errno : rc;
}

static ssize_t h_pwrite(void *ctx, int fd, const void *buf, size_t n,
			uint64_t off)
{
	ssize_t rc = pwrite(fd, buf, n, (off_t)off);
	return rc < 0 ? -errno : rc;
}

const struct vfio_sys vfio_sys_host = {
	.open = h_open,
	.close = h_close,
	.ioctl = h_ioctl,
	.pread = h_pread,
	.pwrite = h_pwrite,
};
