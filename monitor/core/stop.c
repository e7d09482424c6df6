/*
 * monitor/core/stop.c - services every room shares: the stop request (any
 * thread may ask the VM to stop; the first request's code wins), opening
 * an input file (guest images, initrds) and reading a whole one (ROMs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "core/vm.h"

#define IMAGE_MAX (1ull << 30)

void vm_request_stop(struct vm *vm, int code, const char *why)
{
	bool expected = false;
	uint64_t one = 1;

	if (!atomic_compare_exchange_strong(&vm->stopping, &expected, true))
		return;
	atomic_store(&vm->exit_code, code);
	(void)why;
	(void)!write(vm->stop_fd, &one, sizeof(one));
}

/* The input file opened read-only, *len its size; missing or unreadable
 * is the user's problem. The loaders pread it (never a whole kernel or
 * initrd in wisp's memory). */
int image_open(const char *path, uint64_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die(WISP_EXIT_NOINPUT, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		die(WISP_EXIT_NOINPUT, "'%s' is not a regular file", path);
	if ((uint64_t)st.st_size > IMAGE_MAX)
		die(WISP_EXIT_IMAGE, "'%s' is larger than 1 GiB", path);
	*len = (uint64_t)st.st_size;
	return fd;
}

/* The whole (small) file in memory: ROM images. */
void *image_read(const char *path, size_t *len)
{
	uint64_t size;
	int fd = image_open(path, &size);
	void *buf = malloc((size_t)size + 1);

	if (!buf)
		die(WISP_EXIT_OSERR, "out of memory reading '%s'", path);
	ssize_t n = read(fd, buf, (size_t)size);
	if (n < 0 || (uint64_t)n != size)
		die(WISP_EXIT_NOINPUT, "cannot read '%s': %s", path,
		    n < 0 ? strerror(errno) : "short read");
	close(fd);
	*len = (size_t)n;
	return buf;
}
