/*
 * tests/bench/ctlbench.c - `make bench`'s control-socket figures (issue
 * 18), each against a baseline measured in this same run:
 *   - `pause` and `resume` round trips (request written -> reply read) on
 *     count.elf at 1 and 2 vCPUs, median and p99, against the bare KVM_RUN
 *     loop's port exit (tests/bench/bare.c);
 *   - `metrics` round trips on an idle VM (idle.elf, asleep in hlt) and on
 *     one taking port exits as fast as it can (count.elf), the same way;
 *   - the port exit cost of bench.elf with --api-sock and a client polling
 *     `metrics` every 10 ms, against the same run without the socket.
 * A C client, so an interpreter does not dominate the timings.
 *   ctlbench WISP BARE GUEST_DIR EXITS [ROUNDS]
 * Prints lines "bench <name>: <value> <unit> (<ratio>x vs <baseline>)".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_LIMIT_S 300  /* each wisp run, as in bench.c */
#define POLL_NS 10000000ull /* the polling client's period: 10 ms */
#define WARMUP 5         /* round trips not counted: first touches */
#define SETTLE_US 1000   /* after a resume: the vCPUs back in KVM_RUN */
#define BEST_OF 5        /* whole-run timings: least disturbed of these */

static char tmpdir[64];

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "ctlbench: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

/* wisp (or the bare loop) in the background, its output in tmpdir/out. */
static pid_t spawn(char *const argv[])
{
	char out[96];

	snprintf(out, sizeof(out), "%s/out", tmpdir);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDWR);
		dup2(null, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		alarm(RUN_LIMIT_S);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0)
		die("fork");
	return pid;
}

/* Its exit status must be `want`; otherwise its output and the end. */
static void reap(pid_t pid, char *const argv[], int want)
{
	char cmd[128];
	int st;

	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	if (WIFEXITED(st) && WEXITSTATUS(st) == want)
		return;
	fprintf(stderr, "ctlbench: %s ended with status 0x%x, not exit %d:\n",
		argv[0], st, want);
	snprintf(cmd, sizeof(cmd), "cat %s/out >&2", tmpdir);
	(void)!system(cmd);
	exit(1);
}

/* ---- the client --------------------------------------------------------- */

static int cli_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* a reply that never comes fails the run instead of hanging it */
	struct timeval tv = { .tv_sec = 60 };

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* One request, its reply line read whole; the round trip in ns, or 0 when
 * the connection failed or the reply is not ok. */
static uint64_t rpc(int fd, const char *cmd)
{
	static _Thread_local char buf[1 << 17];
	static _Thread_local unsigned id;
	char req[128];
	size_t len = 0;
	int n = snprintf(req, sizeof(req), "{\"id\":%u,\"cmd\":\"%s\"}\n", ++id, cmd);
	uint64_t t0 = mono_ns();

	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		return 0;
	while (!memchr(buf, '\n', len)) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			return 0;
		len += (size_t)r;
	}
	uint64_t t = mono_ns() - t0;
	buf[len] = '\0';
	return strstr(buf, "\"ok\":true") ? t : 0;
}

static uint64_t rpc_ok(int fd, const char *cmd)
{
	uint64_t t = rpc(fd, cmd);

	if (!t)
		fprintf(stderr, "ctlbench: `%s` failed (or no reply in 60 s)\n",
			cmd), exit(1);
	return t;
}

/* wisp serving sock with the kernel and vCPUs given; its pid, and a
 * connection that `info` answered (bounded: 30 s). */
static pid_t vm_start(char *wisp, const char *sock, char *kernel, char *cpus,
		      int *fd)
{
	char *argv[] = { wisp, "--api-sock", (char *)sock, "--cpus", cpus,
			 "--kernel", kernel, NULL };
	pid_t pid = spawn(argv);

	for (int i = 0; i < 3000; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			reap(pid, argv, -1); /* it ended: says why */
		*fd = cli_connect(sock);
		if (*fd >= 0 && rpc(*fd, "info"))
			return pid;
		if (*fd >= 0)
			close(*fd);
		usleep(10000);
	}
	fprintf(stderr, "ctlbench: %s never served %s\n", wisp, sock);
	kill(pid, SIGKILL);
	exit(1);
}

/* `kill` ends it with 143 (128 + SIGTERM), as the README says. */
static void vm_end(pid_t pid, int fd, char *wisp)
{
	char *argv[] = { wisp, NULL };

	rpc_ok(fd, "kill");
	close(fd);
	reap(pid, argv, 143);
}

/* ---- figures ---------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* name-median and name-p99 of n round trips, against the bare exit. */
static void print_lat(const char *name, uint64_t *v, int n, double bare_ns)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	double med = (double)v[n / 2], p99 = (double)v[(n * 99) / 100];

	printf("bench %s-median: %.1f us over %d round trips (%.1fx vs bare "
	       "KVM_RUN loop %.3f us/exit)\n", name, med / 1e3, n, med / bare_ns,
	       bare_ns / 1e3);
	printf("bench %s-p99: %.1f us over %d round trips (%.1fx vs bare "
	       "KVM_RUN loop %.3f us/exit)\n", name, p99 / 1e3, n, p99 / bare_ns,
	       bare_ns / 1e3);
}

/* pause then resume, rounds times, on count.elf at `cpus` vCPUs. */
static void bench_pause(char *wisp, const char *dir, char *cpus, int rounds,
			double bare_ns)
{
	char img[512], sock[96], name[64];
	uint64_t *p = calloc((size_t)rounds, sizeof(*p));
	uint64_t *r = calloc((size_t)rounds, sizeof(*r));
	int fd;

	snprintf(img, sizeof(img), "%s/count.elf", dir);
	snprintf(sock, sizeof(sock), "%s/api.sock", tmpdir);
	pid_t pid = vm_start(wisp, sock, img, cpus, &fd);
	for (int i = -WARMUP; i < rounds; i++) {
		uint64_t tp = rpc_ok(fd, "pause");
		uint64_t tr = rpc_ok(fd, "resume");
		if (i >= 0)
			p[i] = tp, r[i] = tr;
		usleep(SETTLE_US);
	}
	vm_end(pid, fd, wisp);
	snprintf(name, sizeof(name), "ctl-pause-%scpu", cpus);
	print_lat(name, p, rounds, bare_ns);
	snprintf(name, sizeof(name), "ctl-resume-%scpu", cpus);
	print_lat(name, r, rounds, bare_ns);
	free(p);
	free(r);
}

/* `metrics`, rounds times back to back, on the guest named. */
static void bench_metrics(char *wisp, const char *dir, const char *guest,
			  const char *name, int rounds, double bare_ns)
{
	char img[512], sock[96];
	uint64_t *v = calloc((size_t)rounds, sizeof(*v));
	int fd;

	snprintf(img, sizeof(img), "%s/%s", dir, guest);
	snprintf(sock, sizeof(sock), "%s/api.sock", tmpdir);
	pid_t pid = vm_start(wisp, sock, img, "1", &fd);
	for (int i = -WARMUP; i < rounds; i++) {
		uint64_t t = rpc_ok(fd, "metrics");
		if (i >= 0)
			v[i] = t;
	}
	vm_end(pid, fd, wisp);
	print_lat(name, v, rounds, bare_ns);
	free(v);
}

/* ---- exit cost with a polling client ------------------------------------ */

struct poller {
	const char *sock, *cmd; /* cmd NULL: the socket open, no client */
	atomic_bool stop;
	unsigned polls;
};

/* Connects as soon as the socket answers, then sends cmd every POLL_NS
 * (absolute deadlines: no drift) until wisp is gone or told. */
static void *poll_thread(void *arg)
{
	struct poller *pl = arg;
	int fd = -1;

	while (fd < 0 && !atomic_load(&pl->stop))
		if ((fd = cli_connect(pl->sock)) < 0)
			usleep(1000);
	uint64_t next = mono_ns();
	while (fd >= 0 && !atomic_load(&pl->stop)) {
		next += POLL_NS;
		struct timespec ts = { .tv_sec = (time_t)(next / 1000000000ull),
				       .tv_nsec = (long)(next % 1000000000ull) };
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (atomic_load(&pl->stop) || !rpc(fd, pl->cmd))
			break;
		pl->polls++;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* One whole run (exec to exit, exit status 0), with the poller when it
 * has a command; ns. */
static uint64_t timed_run(char *const argv[], struct poller *pl)
{
	pthread_t th;
	bool poll = pl && pl->cmd;
	uint64_t t0 = mono_ns();
	pid_t pid = spawn(argv);

	if (poll) {
		atomic_store(&pl->stop, false);
		pl->polls = 0;
		if (pthread_create(&th, NULL, poll_thread, pl))
			die("pthread_create");
	}
	reap(pid, argv, 0);
	uint64_t t = mono_ns() - t0;
	if (poll) {
		atomic_store(&pl->stop, true);
		pthread_join(th, NULL);
	}
	return t;
}

/* The least disturbed of BEST_OF runs of each command, alternating so
 * drift in the machine's load hits them all; polls[c]: that run's. */
static void best_runs(char **const cmds[], struct poller *pls, int n,
		      uint64_t *best, unsigned *polls)
{
	for (int c = 0; c < n; c++)
		best[c] = ~0ull;
	for (int i = 0; i < BEST_OF; i++)
		for (int c = 0; c < n; c++) {
			uint64_t t = timed_run(cmds[c], &pls[c]);
			if (t < best[c])
				best[c] = t, polls[c] = pls[c].polls;
		}
}

/* Per port exit: (run of n exits - run of none) / n, so the start-up of
 * the process (half a second in the testbed) is not spread over them. */
static double per_exit(uint64_t t, uint64_t t0, double n)
{
	return t > t0 ? (double)(t - t0) / n : 0;
}

/* bench.elf's EXITS port writes without the socket, with it open and no
 * client, with a client polling `info`, and one polling `metrics`. */
static void bench_polled(char *wisp, const char *dir, char *exits)
{
	char img[512], sock[96];
	double n = strtod(exits, NULL);
	uint64_t t[5];
	unsigned polls[5] = { 0 };

	snprintf(img, sizeof(img), "%s/bench.elf", dir);
	snprintf(sock, sizeof(sock), "%s/api.sock", tmpdir);
	char *za[] = { wisp, "--kernel", img, "--cmdline", "0", NULL };
	char *pa[] = { wisp, "--kernel", img, "--cmdline", exits, NULL };
	char *sa[] = { wisp, "--api-sock", sock, "--kernel", img, "--cmdline",
		       exits, NULL };
	char **const cmds[] = { za, pa, sa, sa, sa };
	struct poller pls[5] = { { .sock = sock }, { .sock = sock },
				 { .sock = sock }, { .sock = sock, .cmd = "info" },
				 { .sock = sock, .cmd = "metrics" } };
	best_runs(cmds, pls, 5, t, polls);
	double plain = per_exit(t[1], t[0], n);
	const char *names[] = { "ctl-pio-exit-socket", "ctl-pio-exit-polled-info",
				"ctl-pio-exit-polled" };
	for (int c = 2; c < 5; c++) {
		double e = per_exit(t[c], t[0], n);
		printf("bench %s: %.3f us/exit, %u polls in %.2f s (%.3fx vs no "
		       "--api-sock %.3f us/exit)\n", names[c - 2], e / 1e3,
		       polls[c], t[c] / 1e9, e / plain, plain / 1e3);
	}
}

/* The bare loop's ns per port exit: bench.elf's EXITS writes less none. */
static double bare_exit_ns(char *bare, const char *dir, char *exits)
{
	char img[512];
	uint64_t t[2];
	unsigned polls[2];
	struct poller pls[2] = { { 0 }, { 0 } };

	snprintf(img, sizeof(img), "%s/bench.elf", dir);
	char *za[] = { bare, img, "0", NULL };
	char *ba[] = { bare, img, exits, NULL };
	char **const cmds[] = { za, ba };
	best_runs(cmds, pls, 2, t, polls);
	return per_exit(t[1], t[0], strtod(exits, NULL));
}

static void cleanup(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	(void)!system(cmd);
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: ctlbench WISP BARE GUEST_DIR EXITS [ROUNDS]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		printf("SKIP: /dev/kvm is not usable here; no benchmark\n");
		return 0;
	}
	int rounds = argc > 5 ? atoi(argv[5]) : 1000;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ctlbench.XXXXXX");
	if (rounds < 1 || !mkdtemp(tmpdir))
		die("ROUNDS or mkdtemp");
	atexit(cleanup);
	double bare_ns = bare_exit_ns(argv[2], argv[3], argv[4]);
	bench_pause(argv[1], argv[3], "1", rounds, bare_ns);
	bench_pause(argv[1], argv[3], "2", rounds, bare_ns);
	bench_metrics(argv[1], argv[3], "idle.elf", "ctl-metrics-idle", rounds, bare_ns);
	bench_metrics(argv[1], argv[3], "count.elf", "ctl-metrics-busy", rounds, bare_ns);
	bench_polled(argv[1], argv[3], argv[4]);
	return 0;
}
