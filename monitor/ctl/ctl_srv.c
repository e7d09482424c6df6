/*
 * monitor/ctl/ctl_srv.c - the control socket and its thread. The socket is
 * made before privileges drop; the thread starts with the vCPUs, under
 * its own filter (policy/ctl.policy), and serves up to FD_CTL_CLI_MAX
 * clients at fixed fd numbers from one epoll set: requests (ctl_proto.c),
 * replies and events, each client's output bounded (a client that does
 * not read is disconnected, counted, and nobody else waits for it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "policy.h"
#include "ctl/ctl_int.h"
#include "jail/jail.h"

#define CTL_BACKLOG 8
#define CTL_EXIT_FLUSH_MS 200 /* subscribers' last chance to read `exit` */
#define EVK_LISTEN 0xfffe
#define EVK_EVENT 0xffff

static struct ctl ctl_state; /* one VM per process: one control plane */

/* ---- the socket, before the drop ---------------------------------------- */

/* A stale socket of ours from an earlier run is replaced; anything else
 * at PATH (a link, a file, a socket of someone else) is refused. */
static void sock_clear(const struct vm_config *cfg, const char *path)
{
	struct stat st;
	unsigned owner = cfg->has_user ? cfg->uid : geteuid();

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISSOCK(st.st_mode) || st.st_uid != owner)
		die(WISP_EXIT_NOINPUT, "--api-sock: '%s' exists and is not a "
		    "socket of uid %u; refusing to replace it", path, owner);
	if (unlink(path) < 0)
		die(WISP_EXIT_NOINPUT, "--api-sock: cannot remove the old "
		    "socket '%s': %s", path, strerror(errno));
}

static int sock_make(const struct vm_config *cfg, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (strlen(path) >= sizeof(sa.sun_path))
		die(WISP_EXIT_USAGE, "--api-sock: '%s' is longer than %zu bytes",
		    path, sizeof(sa.sun_path) - 1);
	if (fd < 0)
		die(WISP_EXIT_OSERR, "--api-sock: socket: %s", strerror(errno));
	strcpy(sa.sun_path, path);
	sock_clear(cfg, path);
	mode_t old = umask(0177); /* created 0600: no window where it is not */
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0)
		die(WISP_EXIT_NOINPUT, "--api-sock: cannot bind '%s': %s", path,
		    strerror(errno));
	if (cfg->has_user && lchown(path, cfg->uid, cfg->gid) < 0)
		die(WISP_EXIT_OSERR, "--api-sock: chown '%s': %s", path,
		    strerror(errno));
	if (listen(fd, CTL_BACKLOG) < 0)
		die(WISP_EXIT_OSERR, "--api-sock: listen: %s", strerror(errno));
	return fd;
}

static int ctl_eventfd(int target, int flags)
{
	int fd = eventfd(0, EFD_CLOEXEC | flags);

	if (fd < 0)
		die(WISP_EXIT_OSERR, "control plane: eventfd: %s", strerror(errno));
	return fd_pin(fd, target);
}

static void ctl_epoll_add(int fd, uint64_t data, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.u64 = data };

	if (epoll_ctl(FD_CTL_EPOLL, EPOLL_CTL_ADD, fd, &e) < 0)
		die(WISP_EXIT_OSERR, "control plane: epoll_ctl: %s",
		    strerror(errno));
}

void ctl_open(struct vm *vm)
{
	struct ctl *c = &ctl_state;
	const struct vm_config *cfg = vm->cfg;

	if (!cfg->api_sock)
		return;
	c->vm = vm;
	pthread_mutex_init(&c->ev_lock, NULL);
	fd_pin(sock_make(cfg, cfg->api_sock), FD_CTL_LISTEN);
	if (fd_pin(epoll_create1(EPOLL_CLOEXEC), FD_CTL_EPOLL) < 0)
		die(WISP_EXIT_OSERR, "control plane: epoll: %s", strerror(errno));
	ctl_eventfd(FD_CTL_REQ, EFD_NONBLOCK);
	ctl_eventfd(FD_CTL_ACK, 0); /* the control thread blocks on it */
	ctl_eventfd(FD_CTL_EVENT, EFD_NONBLOCK);
	int st = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	fd_pin(st >= 0 ? st : open("/dev/null", O_RDONLY | O_CLOEXEC),
	       FD_CTL_STATM);
	ctl_epoll_add(FD_CTL_LISTEN, EVK_LISTEN, EPOLLIN);
	ctl_epoll_add(FD_CTL_EVENT, EVK_EVENT, EPOLLIN);
	vm->ctl = c;
	vm->event = ctl_event;
}

/* ---- clients ------------------------------------------------------------ */

static void cli_close(struct ctl *c, unsigned i, bool dropped)
{
	close(FD_CTL_CLI0 + (int)i);
	c->used[i] = false;
	if (dropped)
		stat_add(&c->n_dropped, 1);
}

/* Send what the client has room for; watch for room when some is left.
 * False: the client is gone (closed here). */
static bool cli_flush(struct ctl *c, unsigned i)
{
	struct ctl_client *k = &c->cli[i];
	int fd = FD_CTL_CLI0 + (int)i;

	while (k->out_off < k->out_len) {
		ssize_t n = write(fd, k->out + k->out_off, k->out_len - k->out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			cli_close(c, i, false);
			return false;
		}
		k->out_off += (size_t)n;
	}
	if (k->out_off == k->out_len)
		k->out_off = k->out_len = 0;
	else if (k->out_off) { /* keep the room at the end */
		memmove(k->out, k->out + k->out_off, k->out_len - k->out_off);
		k->out_len -= k->out_off;
		k->out_off = 0;
	}
	struct epoll_event e = { .events = EPOLLIN | (k->out_len ? EPOLLOUT : 0),
				 .data.u64 = i };
	epoll_ctl(FD_CTL_EPOLL, EPOLL_CTL_MOD, fd, &e);
	return true;
}

/* Its output passed CTL_OUT_MAX: it does not read; let it go. */
static bool cli_check(struct ctl *c, unsigned i)
{
	if (!c->cli[i].overflow)
		return cli_flush(c, i);
	cli_close(c, i, true);
	return false;
}

static void cli_read(struct ctl *c, unsigned i)
{
	char buf[4096];
	ssize_t n = read(FD_CTL_CLI0 + (int)i, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		cli_close(c, i, false);
		return;
	}
	unsigned r = ctl_feed(&ctl_vm_backend, c, &c->cli[i], buf, (size_t)n);
	stat_add(&c->n_replies, r);
	cli_check(c, i);
}

/* Root or wisp's own uid; anyone else gets one line and is let go. */
static bool cli_allowed(const struct ctl *c, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	return cr.uid == 0 || cr.uid == c->allow_uid;
}

/* One line and let go, through the slot (the only fds this thread may
 * write): what it sent first is read, so the close resets nothing it
 * could still read. */
static void cli_refuse(struct ctl *c, unsigned i, const char *why)
{
	int fd = FD_CTL_CLI0 + (int)i;
	char line[120];
	int n = snprintf(line, sizeof(line),
			 "{\"id\":null,\"ok\":false,\"error\":\"%s\"}\n", why);

	(void)!write(fd, line, (size_t)n);
	(void)!read(fd, line, sizeof(line));
	close(fd);
	stat_add(&c->n_dropped, 1);
}

/* A new client at the first free slot; none free: closed unanswered. */
static void cli_accept(struct ctl *c)
{
	int fd = accept4(FD_CTL_LISTEN, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	unsigned i = 0;

	if (fd < 0)
		return;
	while (i < FD_CTL_CLI_MAX && c->used[i])
		i++;
	int pinned = i < FD_CTL_CLI_MAX ?
		dup3(fd, FD_CTL_CLI0 + (int)i, O_CLOEXEC) : -1;
	close(fd);
	if (pinned < 0) {
		stat_add(&c->n_dropped, 1);
		return;
	}
	if (!cli_allowed(c, pinned)) {
		cli_refuse(c, i, "permission denied");
		return;
	}
	memset(&c->cli[i], 0, offsetof(struct ctl_client, out));
	c->used[i] = true;
	c->ev_next[i] = 0;
	stat_add(&c->n_clients, 1);
	ctl_epoll_add(pinned, i, EPOLLIN);
}

/* ---- events --------------------------------------------------------------- */

static void ev_deliver(struct ctl *c, unsigned i)
{
	struct ctl_ev_rec recs[8];
	char line[512];
	unsigned n;

	while ((n = ctl_events_take(c, &c->ev_next[i], recs, 8)) > 0)
		for (unsigned k = 0; k < n; k++)
			if (ctl_event_line(line, sizeof(line), recs[k].t_ns,
					   recs[k].ev, recs[k].device[0] ? recs[k].device : NULL,
					   recs[k].cause[0] ? recs[k].cause : NULL,
					   recs[k].status) == 0)
				ctl_out(&c->cli[i], line, strlen(line));
	cli_check(c, i);
}

/* Subscribed clients get every event since their last (a new subscriber
 * the ones still in the ring, `started` first while it is there). */
static void ev_pump(struct ctl *c)
{
	uint64_t n;

	(void)!read(FD_CTL_EVENT, &n, sizeof(n));
	for (unsigned i = 0; i < FD_CTL_CLI_MAX; i++)
		if (c->used[i] && c->cli[i].subscribed)
			ev_deliver(c, i);
}

/* ---- the thread ------------------------------------------------------------ */

static void ctl_dispatch(struct ctl *c, const struct epoll_event *e)
{
	uint64_t d = e->data.u64;

	if (d == EVK_LISTEN)
		cli_accept(c);
	else if (d == EVK_EVENT)
		ev_pump(c);
	else if (d < FD_CTL_CLI_MAX && c->used[d]) {
		if (e->events & EPOLLOUT)
			cli_flush(c, (unsigned)d);
		if (c->used[d] && (e->events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			cli_read(c, (unsigned)d);
		/* a `subscribe` just answered: the ring's events follow */
		if (c->used[d] && c->cli[d].subscribed)
			ev_deliver(c, (unsigned)d);
	}
}

/* Once quit is asked: the last events out, for a bounded moment. */
static void ctl_drain(struct ctl *c)
{
	struct epoll_event evs[8];
	uint64_t end = now_ns() + CTL_EXIT_FLUSH_MS * 1000000ull;

	ev_pump(c);
	for (;;) {
		bool pending = false;
		for (unsigned i = 0; i < FD_CTL_CLI_MAX; i++)
			pending |= c->used[i] && c->cli[i].out_len;
		uint64_t t = now_ns();
		if (!pending || t >= end)
			return;
		int n = epoll_wait(FD_CTL_EPOLL, evs, 8, (int)((end - t) / 1000000) + 1);
		for (int i = 0; i < n; i++)
			if (evs[i].data.u64 < FD_CTL_CLI_MAX &&
			    c->used[evs[i].data.u64] && (evs[i].events & EPOLLOUT))
				cli_flush(c, (unsigned)evs[i].data.u64);
	}
}

static void *ctl_thread(void *arg)
{
	struct ctl *c = arg;
	struct epoll_event evs[8];

	sandbox_enter("ctl");
	while (!atomic_load(&c->quit)) {
		int n = epoll_wait(FD_CTL_EPOLL, evs, 8, -1);
		for (int i = 0; i < n && !atomic_load(&c->quit); i++)
			ctl_dispatch(c, &evs[i]);
	}
	ctl_drain(c);
	return NULL;
}

void ctl_start(struct vm *vm)
{
	struct ctl *c = vm->ctl;
	struct timespec ts;

	if (!c)
		return;
	c->allow_uid = geteuid();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->tsc0 = __builtin_ia32_rdtsc();
	c->mono0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	vm_event(vm, VM_EV_STARTED, NULL, NULL, 0);
	int rc = pthread_create(&c->thread, NULL, ctl_thread, c);
	if (rc)
		die(WISP_EXIT_OSERR, "control plane: thread: %s", strerror(rc));
	c->started = true;
}

void ctl_stop(struct vm *vm, int status)
{
	struct ctl *c = vm->ctl;
	uint64_t one = 1;

	if (!c || !c->started)
		return;
	vm_event(vm, VM_EV_EXIT, NULL, NULL, status);
	atomic_store(&c->quit, true);
	/* a request still waiting wakes unserved: it answers -ESHUTDOWN */
	(void)!write(FD_CTL_ACK, &one, sizeof(one));
	(void)!write(FD_CTL_EVENT, &one, sizeof(one));
	pthread_join(c->thread, NULL);
	c->started = false;
}
