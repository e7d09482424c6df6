/*
 * monitor/devhost/chr.c - the console backend behind the first serial device:
 * stdio (output to stdout, input from stdin, a terminal put in raw mode and
 * restored at exit), none, or file:PATH (output only).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "policy.h"
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

	pthread_mutex_lock(&h->lock);
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
