/*
 * monitor/devhost/devfile.c - host files and read-only data handed to a device
 * before the sandbox (disk images, taps, the hvt manifest), doorbells
 * (ioeventfds) and worker threads, and the helper table members that reach
 * them. Each call checks that the caller was given
 * the key (and, for a write, that the file was opened for writing); the fd
 * numbers are fixed (the VM's files are FD_FILE0 + n) so the policies can
 * name exactly them. The file calls serve device processes too: their host
 * is rebuilt from the handover with the same keys, fds and flags.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "devhost/devfile.h"
#include "hlp_check.h"
#include "core/exitcode.h"
#include "policy.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "devhost/devproc.h"
#include "jail/jail.h"

#define WAIT_STOP DEV_FILE_KEYS       /* epoll data of the stop eventfd */
#define WAIT_TIMER (DEV_FILE_KEYS + 1) /* and of the timeout timerfd */

static struct dev_host *host_by_name(struct vm *vm, const char *dev,
				     unsigned idx)
{
	for (unsigned i = 0; i < vm->n_devs; i++)
		if (!strcmp(vm->devs[i].reg->name, dev) && vm->devs[i].idx == idx)
			return &vm->hosts[i];
	die(WISP_EXIT_INTERNAL, "no instance %u of device '%s' to attach to",
	    idx, dev);
}

static void wait_add(int fd, uint64_t data)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = data };

	if (epoll_ctl(FD_POLL_EP, EPOLL_CTL_ADD, fd, &e) < 0)
		die(WISP_EXIT_OSERR, "wait set: %s", strerror(errno));
}

void dev_attach_waitset(struct vm *vm, const char *dev)
{
	struct dev_host *h = host_by_name(vm, dev, 0);

	if (fd_pin(epoll_create1(EPOLL_CLOEXEC), FD_POLL_EP) < 0 ||
	    fd_pin(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
		   FD_POLL_TIMER) < 0)
		die(WISP_EXIT_OSERR, "wait set for %s: %s", dev, strerror(errno));
	wait_add(FD_POLL_TIMER, WAIT_TIMER);
	wait_add(vm->stop_fd, WAIT_STOP);
	h->has_waitset = true;
}

/* What file_size reports: a regular file's size, a block device's end,
 * 0 for anything else (a tap). */
static uint64_t file_measure(const char *dev, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		die(WISP_EXIT_OSERR, "%s: host file: %s", dev, strerror(errno));
	if (S_ISREG(st.st_mode))
		return (uint64_t)st.st_size;
	if (!S_ISBLK(st.st_mode))
		return 0;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < 0 || lseek(fd, 0, SEEK_SET) < 0)
		die(WISP_EXIT_OSERR, "%s: size of a block device: %s", dev,
		    strerror(errno));
	return (uint64_t)end;
}

void dev_attach_file(struct vm *vm, const char *dev, unsigned idx,
		     unsigned key, int fd, unsigned flags)
{
	struct dev_host *h = host_by_name(vm, dev, idx);

	if (key >= DEV_FILE_KEYS || (h->file_keys >> key) & 1)
		die(WISP_EXIT_INTERNAL, "%s: file key %u given twice", dev, key);
	if (vm->n_files >= FD_FILE_MAX)
		die(WISP_EXIT_USAGE, "more than %d host files", FD_FILE_MAX);
	h->files[key] = fd_pin(fd, FD_FILE0 + (int)vm->n_files++);
	h->file_size[key] = file_measure(dev, h->files[key]);
	h->file_keys |= 1ull << key;
	if (flags & DEVFILE_RO)
		h->file_ro |= 1ull << key;
	if (!(flags & DEVFILE_POLL))
		return;
	h->file_pollable |= 1ull << key;
	if (h->has_waitset)
		wait_add(h->files[key], key);
}

void dev_attach_blob(struct vm *vm, const char *dev, const char *key,
		     const void *p, size_t len)
{
	struct dev_host *h = host_by_name(vm, dev, 0);

	h->blob_key = key;
	h->blob = p;
	h->blob_len = len;
}

int devfile_blob(struct dev_ins *ins, const char *key, const void **p,
		 size_t *len)
{
	struct dev_host *h = ins->host;
	int rc = hlp_check_blob(h->blob_key, key);

	if (rc < 0)
		return rc;
	*p = h->blob;
	*len = h->blob_len;
	return 0;
}

/* What the checks (hlp_check.h) are told of the caller's files. */
static struct hlp_files files_of(const struct dev_ins *ins)
{
	const struct dev_host *h = ins->host;

	return (struct hlp_files){ .keys = h->file_keys, .ro = h->file_ro,
				   .pollable = h->file_pollable };
}

/* The caller's fd for key once check (0 or -errno) has passed. */
static int file_fd(struct dev_ins *ins, unsigned key, int check)
{
	return check < 0 ? check : ((struct dev_host *)ins->host)->files[key];
}

static long io_result(ssize_t n)
{
	return n < 0 ? -errno : n;
}

/* Around a host call that may block on the host's disk: in a device
 * process, wisp does not count that time against the process's deadline,
 * and its end is progress (devproc.h). */
static void io_begin(struct dev_ins *ins)
{
	dp_in_io(ins->host, true);
}

static long io_end(struct dev_ins *ins, long rc)
{
	dp_in_io(ins->host, false);
	return rc;
}

long devfile_pread(struct dev_ins *ins, unsigned key, void *buf, size_t len,
		   uint64_t off)
{
	struct hlp_files f = files_of(ins);
	int fd = file_fd(ins, key,
			 hlp_check_file_io(&f, key, false, buf, len, off));

	if (fd < 0)
		return fd;
	io_begin(ins);
	return io_end(ins, io_result(pread(fd, buf, len, (off_t)off)));
}

long devfile_pwrite(struct dev_ins *ins, unsigned key, const void *buf,
		    size_t len, uint64_t off)
{
	struct hlp_files f = files_of(ins);
	int fd = file_fd(ins, key,
			 hlp_check_file_io(&f, key, true, buf, len, off));

	if (fd < 0)
		return fd;
	io_begin(ins);
	return io_end(ins, io_result(pwrite(fd, buf, len, (off_t)off)));
}

long devfile_read(struct dev_ins *ins, unsigned key, void *buf, size_t len)
{
	struct hlp_files f = files_of(ins);
	int fd = file_fd(ins, key,
			 hlp_check_file_stream(&f, key, false, buf, len));

	return fd < 0 ? fd : io_result(read(fd, buf, len));
}

long devfile_write(struct dev_ins *ins, unsigned key, const void *buf,
		   size_t len)
{
	struct hlp_files f = files_of(ins);
	int fd = file_fd(ins, key,
			 hlp_check_file_stream(&f, key, true, buf, len));

	return fd < 0 ? fd : io_result(write(fd, buf, len));
}

int devfile_size(struct dev_ins *ins, unsigned key, uint64_t *size)
{
	struct hlp_files f = files_of(ins);
	int rc = hlp_check_file_size(&f, key, size);

	if (rc < 0)
		return rc;
	*size = ((struct dev_host *)ins->host)->file_size[key];
	return 0;
}

int devfile_sync(struct dev_ins *ins, unsigned key)
{
	struct hlp_files f = files_of(ins);
	int fd = file_fd(ins, key, hlp_check_file(&f, key, false));

	if (fd < 0)
		return fd;
	io_begin(ins);
	return (int)io_end(ins, fdatasync(fd) < 0 ? -errno : 0);
}

#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10 /* linux/falloc.h; musl's fcntl.h lacks it */
#endif

/* fallocate over [off, off + len) with KEEP_SIZE: the file never grows. */
static int file_falloc(struct dev_ins *ins, unsigned key, int mode,
		       uint64_t off, uint64_t len)
{
	struct hlp_files f = files_of(ins);
	int rc = hlp_check_falloc(&f, key, off, len);

	if (rc != 0)
		return rc < 0 ? rc : 0; /* 1: an empty range, nothing to do */
	io_begin(ins);
	return (int)io_end(ins, fallocate(file_fd(ins, key, 0), mode | FALLOC_FL_KEEP_SIZE,
					  (off_t)off, (off_t)len) < 0 ? -errno
								     : 0);
}

int devfile_punch(struct dev_ins *ins, unsigned key, uint64_t off,
		  uint64_t len)
{
	return file_falloc(ins, key, FALLOC_FL_PUNCH_HOLE, off, len);
}

int devfile_zero(struct dev_ins *ins, unsigned key, uint64_t off,
		 uint64_t len)
{
	return file_falloc(ins, key, FALLOC_FL_ZERO_RANGE, off, len);
}

/* Inside wisp: main's filter is at its syscall budget without fallocate,
 * so the device takes the path a file system without it would (dev.h). */
int devfile_nofalloc(struct dev_ins *ins, unsigned key, uint64_t off,
		     uint64_t len)
{
	struct hlp_files f = files_of(ins);
	int rc = hlp_check_file(&f, key, true);

	return rc < 0 ? rc : -EOPNOTSUPP;
}

/* A compromised device writes where its policy lets it, at any offset:
 * each regular file it may write ends at its size when it was attached (a
 * disk image never grows), or at floor (the largest screenshot) if that
 * is more. Past it a write fails with EFBIG, SIGXFSZ being ignored, and
 * the device answers its request with an error status. Taps, pipes and
 * block devices are not bounded by it (a block device cannot grow). A
 * device process calls it before its filter (setrlimit is in no policy). */
int devfile_limit_fsize(const struct dev_host *h, uint64_t floor)
{
	uint64_t max = floor;
	bool any = floor != 0;
	struct stat st;

	for (unsigned k = 0; k < DEV_FILE_KEYS; k++) {
		if (!((h->file_keys >> k) & 1) || ((h->file_ro >> k) & 1))
			continue;
		if (fstat(h->files[k], &st) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode))
			continue;
		any = true;
		max = h->file_size[k] > max ? h->file_size[k] : max;
	}
	struct rlimit rl = { .rlim_cur = max, .rlim_max = max };
	if (any && (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
		    setrlimit(RLIMIT_FSIZE, &rl) < 0))
		return -errno;
	return 0;
}

/* --- watches: a pollable file in the epoll set of the loop that serves
 * the instance, level-triggered, while the device has room for input --- */

static int watch_find(const struct dev_host *h, unsigned key)
{
	for (unsigned w = 0; w < h->n_watches; w++)
		if (h->watches[w].key == key)
			return (int)w;
	return -1;
}

int devfile_watch(struct dev_ins *ins, unsigned key, dev_notify_fn fn,
		  void *opaque)
{
	struct dev_host *h = ins->host;
	struct hlp_files f = files_of(ins);
	int rc = hlp_check_watch(&f, key, fn, h->constructed,
				 watch_find(h, key) >= 0,
				 h->n_watches >= DEV_MAX_WATCHES);

	if (rc < 0)
		return rc;
	h->watches[h->n_watches++] =
		(struct dev_watch){ .key = key, .fn = fn, .opaque = opaque };
	return 0;
}

/* Before the loop adopts the watches there is no set: only the state. */
static int watch_ctl(struct dev_host *h, unsigned w, bool on)
{
	struct epoll_event e = { .events = EPOLLIN,
				 .data.u64 = h->watch_data + w };

	if (!h->watch_live)
		return 0;
	if (epoll_ctl(h->watch_ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
		      h->files[h->watches[w].key], &e) < 0)
		return -errno;
	return 0;
}

int devfile_watch_set(struct dev_ins *ins, unsigned key, bool on)
{
	struct dev_host *h = ins->host;
	int w = watch_find(h, key);

	if (w < 0)
		return -EPERM;
	if (h->watches[w].on == on)
		return 0;
	int rc = watch_ctl(h, (unsigned)w, on);
	if (rc == 0)
		h->watches[w].on = on;
	return rc;
}

void devfile_watch_loop(struct dev_host *h, int ep, uint64_t data)
{
	h->watch_ep = ep;
	h->watch_data = data;
	h->watch_live = true;
	for (unsigned w = 0; w < h->n_watches; w++) {
		int rc = h->watches[w].on ? watch_ctl(h, w, true) : 0;
		if (rc < 0)
			die(WISP_EXIT_OSERR, "%s: watching host file %u: %s",
			    h->ins->name, h->watches[w].key, strerror(-rc));
	}
}

/* epoll may report a watch the device turned off after the wait. */
void devfile_watch_fire(struct dev_host *h, unsigned w)
{
	if (w >= h->n_watches || !h->watches[w].on)
		return;
	h->watches[w].fn(h->ins, h->watches[w].opaque, h->watches[w].key);
}

/* One wait with the kick signal unblocked only inside epoll_pwait, so a
 * stop request between the check and the wait is never lost. */
static int wait_once(struct vm *vm, uint64_t *ready, bool *done)
{
	struct epoll_event evs[DEV_FILE_KEYS + 2];
	sigset_t kick, old;

	sigemptyset(&kick);
	sigaddset(&kick, WISP_SIG_KICK);
	pthread_sigmask(SIG_BLOCK, &kick, &old);
	int n = atomic_load(&vm->stopping) ? 0 :
		epoll_pwait(FD_POLL_EP, evs, DEV_FILE_KEYS + 2, -1, &old);
	int e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* A kick (the halt watchdog's, or a stop) interrupts the wait: go on
	 * waiting unless the VM stops; the timer stays armed. */
	*done = n > 0 || atomic_load(&vm->stopping);
	if (n < 0)
		return e == EINTR ? 0 : -e;
	for (int i = 0; i < n; i++)
		if (evs[i].data.u64 < DEV_FILE_KEYS)
			*ready |= 1ull << evs[i].data.u64;
	return 0;
}

int devfile_poll(struct dev_ins *ins, uint64_t ns, uint64_t *ready)
{
	struct dev_host *h = ins->host;
	/* Never 0: a zero it_value would disarm instead of expiring now. */
	struct itimerspec its = { .it_value = {
		.tv_sec = (time_t)(ns / 1000000000ull),
		.tv_nsec = (long)(ns % 1000000000ull) | 1 } };
	bool done = false;
	int rc = 0;

	*ready = 0;
	if (!h->has_waitset)
		return -EPERM;
	if (timerfd_settime(FD_POLL_TIMER, 0, &its, NULL) < 0)
		return -errno;
	while (!done && rc == 0)
		rc = wait_once(h->vm, ready, &done);
	return rc;
}

/* --- doorbells and workers --- */

int devfile_doorbell_create(struct dev_ins *ins, enum dev_space space,
			    uint64_t addr, unsigned len)
{
	struct dev_host *h = ins->host;
	struct vm *vm = h->vm;
	int rc = devhlp_ioevent_check(ins, space, addr, len);

	if (rc < 0)
		return rc;
	if (fcntl(FD_DOORBELL, F_GETFD) >= 0)
		return -EBUSY; /* one per VM: the policies name its fd */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) <= 0)
		return -EOPNOTSUPP;
	int fd = eventfd(0, EFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	fd = fd_pin(fd, FD_DOORBELL);
	if ((rc = devhlp_ioevent_kvm(vm, space, addr, len, fd)) < 0) {
		close(fd);
		return rc;
	}
	h->has_doorbell = true;
	return 0;
}

int devfile_doorbell_wait(struct dev_ins *ins, int bell)
{
	struct dev_host *h = ins->host;
	uint64_t v;

	if (!h->has_doorbell || bell != 0)
		return -EPERM;
	/* The stop sets `stopping` before it rings: never missed. */
	while (!atomic_load(&h->vm->stopping))
		if (read(FD_DOORBELL, &v, sizeof(v)) == sizeof(v))
			return 0;
	return -ECANCELED;
}

int devfile_worker_start(struct dev_ins *ins, dev_worker_fn fn, void *opaque)
{
	struct dev_host *h = ins->host;

	return hlp_worker_record(&h->worker, &h->worker_opaque, h->constructed,
				 fn, opaque);
}
