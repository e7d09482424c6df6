/*
 * monitor/devhost/chr.c - the console backend behind the first serial device:
 * stdio (output to stdout, input from stdin, a terminal put in raw mode and
 * restored at exit), none, or file:PATH (output only).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>

#include "policy.h"
#include "devhost/devproc.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "jail/jail.h"

static struct termios chr_saved_tio;
static bool chr_tio_saved;

static void chr_restore_tty(void)
{
	if (chr_tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &chr_saved_tio);
}

/* Raw input so the guest sees each key; ISIG stays so Ctrl-C stops wisp. */
static void chr_raw_tty(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t) < 0)
		return;
	chr_saved_tio = t;
	chr_tio_saved = true;
	atexit(chr_restore_tty);
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_iflag &= ~(tcflag_t)(ICRNL | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

int chr_open(struct chr *c, const struct vm_config *cfg, char *err,
	     size_t errlen)
{
	const char *spec = cfg->serial;

	memset(c, 0, sizeof(*c));
	c->out_fd = -1;
	c->in_fd = -1;
	if (!strcmp(spec, "stdio")) {
		c->out_fd = STDOUT_FILENO;
		c->in_fd = STDIN_FILENO;
		return 0;
	}
	if (!strcmp(spec, "none")) {
		c->out_fd = fd_pin(open("/dev/null", O_WRONLY | O_CLOEXEC),
				   FD_CONSOLE);
		return c->out_fd < 0 ? -1 : 0;
	}
	if (!strncmp(spec, "file:", 5) && spec[5]) {
		c->out_fd = fd_pin(out_open(cfg, "--serial", spec + 5),
				   FD_CONSOLE);
		c->is_file = true;
		return 0;
	}
	snprintf(err, errlen,
		 "--serial: '%s' is not one of stdio, none, file:PATH", spec);
	return -1;
}

/* Called once the VM is about to run: input matters only from then on.
 * stdin stays blocking (it may share its file description with stdout);
 * it is read only when epoll reports input. */
void chr_start_input(struct chr *c)
{
	if (c->in_fd == STDIN_FILENO && c->rx_owner)
		chr_raw_tty();
}

void chr_close(struct chr *c)
{
	/* A file console is flushed to disk so a stopped VM's log is whole. */
	if (c->is_file) {
		fdatasync(c->out_fd);
		close(c->out_fd);
	}
	chr_restore_tty();
}

/* Offer held input to the device; returns true when all of it was taken. */
static bool chr_offer(struct vm *vm, struct chr *c)
{
	struct dev_host *h = c->rx_owner->host;

	devproc_lock_main(h);
	size_t took = c->rx(c->rx_owner, c->pending + c->pend_off, c->pend_len);
	pthread_mutex_unlock(&h->lock);
	if (took > c->pend_len)
		took = c->pend_len;
	c->pend_off += took;
	c->pend_len -= took;
	return c->pend_len == 0;
}

/* Offer held input, then read more if `can_read` (input is ready). Returns
 * false when input should not be watched (data held back, or end of file). */
bool chr_pump(struct vm *vm, struct chr *c, bool can_read)
{
	if (c->pend_len && !chr_offer(vm, c))
		return false;
	if (!can_read)
		return true;
	ssize_t n = read(c->in_fd, c->pending, sizeof(c->pending));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		c->in_eof = true;
		return false;
	}
	if (n < 0)
		return true;
	c->pend_off = 0;
	c->pend_len = (size_t)n;
	return chr_offer(vm, c);
}

/* Whole or error: a device without flow control must not lose output. */
static long chr_write_all(struct chr *c, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write(c->out_fd, (const char *)buf + done, len - done);
		if (n < 0 && errno != EINTR)
			return -errno;
		done += n > 0 ? (size_t)n : 0;
	}
	return (long)len;
}

/*
 * Never waits on a slow reader. The output fd may be a file description
 * wisp shares (a pipe or terminal given as stdout is the parent shell's
 * too; stdin may be the same description): O_NONBLOCK on it would change
 * it for every holder and outlive wisp, so it stays blocking and each byte
 * is written only after a zero-timeout poll says there is room. One byte
 * at a time: room for one is all POLLOUT promises.
 */
static long chr_write_some(struct chr *c, const void *buf, size_t len)
{
	struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };
	size_t done = 0;

	while (done < len && poll(&p, 1, 0) == 1) {
		ssize_t n = write(c->out_fd, (const char *)buf + done, 1);
		if (n < 0 && errno != EINTR)
			return done ? (long)done : -errno;
		done += n > 0 ? (size_t)n : 0;
	}
	return done || !len ? (long)done : -EAGAIN;
}

long chr_out(struct chr *c, struct dev_ins *ins, const void *buf, size_t len,
	     bool *wait)
{
	*wait = false;
	if (c->tx_owner != ins)
		return chr_write_all(c, buf, len);
	long n = chr_write_some(c, buf, len);
	*wait = n == -EAGAIN || (n >= 0 && (size_t)n < len);
	return n;
}

/* One-shot: armed by each refused write, so an idle console costs no
 * wakeups. */
int chr_watch_out(const struct chr *c, int ep, uint64_t data)
{
	struct epoll_event e = { .events = EPOLLOUT | EPOLLONESHOT,
				 .data.u64 = data };

	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->out_fd, &e) == 0 ||
	    (errno == ENOENT && epoll_ctl(ep, EPOLL_CTL_ADD, c->out_fd, &e) == 0))
		return 0;
	return -errno;
}
