/*
 * tests/bench/bench.c - `make bench`: every figure is a ratio against a
 * baseline measured in the same run, because this machine is shared and its
 * KVM emulates guest instructions.
 *   bench WISP BARE GUEST_DIR [EXITS [HVT_WISP HVT_GUEST_DIR ECHO_SCRIPT]]
 * With the hvt arguments it also measures the hvt hello unikernel from exec
 * to exit (time and peak RSS) and a net echo (ECHO_SCRIPT prints
 * "echo: N rounds, X us/round"), against the bare loop.
 * Prints lines "bench <name>: <value> <unit> (<ratio>x vs <baseline>)".
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct result {
	uint64_t start_ns, end_ns;
	uint64_t mark_ns; /* guest's first instruction, from the "mark" line */
	int status;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Each measured program gets this long (its SIGALRM, kept across exec,
 * ends it): a run that hangs fails its step with its output instead of
 * silently using the testbed's whole time limit. */
#define RUN_LIMIT_S 300

static void child(char *const argv[], int errfd)
{
	int null = open("/dev/null", O_WRONLY);

	dup2(errfd, STDERR_FILENO);
	dup2(null, STDOUT_FILENO);
	alarm(RUN_LIMIT_S);
	execv(argv[0], argv);
	_exit(127);
}

/* First "t=<ns>" on a line mentioning "mark", or 0. */
static uint64_t find_mark(const char *out)
{
	const char *m = strstr(out, "mark");
	const char *t = m ? strstr(m, "t=") : NULL;

	return t ? strtoull(t + 2, NULL, 10) : 0;
}

static struct result run(char *const argv[])
{
	struct result r = { 0 };
	static char out[1 << 16];
	size_t len = 0;
	int p[2];

	if (pipe(p) < 0)
		exit(1);
	fflush(stdout); /* or the child inherits unwritten lines */
	r.start_ns = mono_ns();
	pid_t pid = fork();
	if (pid == 0)
		child(argv, p[1]);
	close(p[1]);
	ssize_t n;
	while ((n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = 0;
	close(p[0]);
	waitpid(pid, &r.status, 0);
	r.end_ns = mono_ns();
	r.mark_ns = find_mark(out);
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
		fprintf(stderr, "bench: %s failed (status 0x%x):\n%s", argv[0],
			r.status, out);
		exit(1);
	}
	return r;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

#define ROUNDS 3

/* Best (least disturbed) whole-process time of each command over ROUNDS
 * rounds, the commands alternating so drift in the machine's load hits
 * them all. */
static void best_times(char **const cmds[], int n, uint64_t *best)
{
	for (int c = 0; c < n; c++)
		best[c] = ~0ull;
	for (int i = 0; i < ROUNDS; i++)
		for (int c = 0; c < n; c++) {
			struct result r = run(cmds[c]);
			if (r.end_ns - r.start_ns < best[c])
				best[c] = r.end_ns - r.start_ns;
		}
}

static void print_exit(const char *name, uint64_t t, uint64_t bare, double n)
{
	printf("bench %s: %.3f us/exit (%.3fx vs bare KVM_RUN loop %.3f us/exit)\n",
	       name, t / n / 1e3, (double)t / (double)bare, bare / n / 1e3);
}

/* EXITS port writes to the trusted test device, wisp against the bare
 * loop; then EXITS MMIO writes to the same device run in wisp, in its own
 * sandboxed process (--sandbox=all), and under the bare loop. */
/* Returns the bare loop's ns per port exit, the baseline of later lines. */
static double bench_exit_cost(char *wisp, char *bare, const char *dir,
			      const char *exits)
{
	char img[512], cl[64], clm[80];
	double n = strtod(exits, NULL);
	uint64_t t[5];

	snprintf(img, sizeof(img), "%s/bench.elf", dir);
	snprintf(cl, sizeof(cl), "%s", exits);
	snprintf(clm, sizeof(clm), "%s mmio", exits);
	char *wa[] = { wisp, "--kernel", img, "--cmdline", cl, NULL };
	char *ba[] = { bare, img, cl, NULL };
	char *ma[] = { wisp, "--kernel", img, "--cmdline", clm, NULL };
	char *sa[] = { wisp, "--sandbox=all", "--kernel", img, "--cmdline", clm,
		       NULL };
	char *bm[] = { bare, img, clm, NULL };
	char **const cmds[] = { wa, ba, ma, sa, bm };
	best_times(cmds, 5, t);
	print_exit("pio-exit", t[0], t[1], n);
	print_exit("mmio-exit-inprocess", t[2], t[4], n);
	print_exit("mmio-exit-sandboxed", t[3], t[4], n);
	return t[1] / n;
}

/* The KiB value of the first line starting with `key` in a /proc file of
 * pid, or 0. */
static long proc_kib(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	long kib = 0;
	size_t n = strlen(key);

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n)) {
			kib = strtol(line + n, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return kib;
}

/* Peak RSS of pid at its exit stop. VmHWM alone undercounts a short
 * process: before Linux 6.2 a thread's RSS counts reach the mm only every
 * 64 faults, so a small program read 4 KiB; smaps_rollup walks the page
 * tables, and at the exit stop every mapping is still there. */
static long read_hwm(pid_t pid)
{
	long hwm = proc_kib(pid, "status", "VmHWM:");
	long rss = proc_kib(pid, "smaps_rollup", "Rss:");

	return hwm > rss ? hwm : rss;
}

/* Peak RSS of the program itself. ru_maxrss would include the forked
 * parent's pages from before exec, so the child is stopped at its exit
 * (PTRACE_O_TRACEEXIT), while its memory still exists, and VmHWM read. */
static long run_peak_rss(char *const argv[])
{
	int st;
	long kib = 0;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		alarm(RUN_LIMIT_S);
		execv(argv[0], argv); /* stops with SIGTRAP after exec */
		_exit(127);
	}
	waitpid(pid, &st, 0);
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_TRACEEXIT);
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	while (waitpid(pid, &st, 0) == pid && !WIFEXITED(st) && !WIFSIGNALED(st)) {
		long sig = 0;
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)))
			kib = read_hwm(pid);
		else if (WIFSTOPPED(st))
			sig = WSTOPSIG(st); /* the program's own signal: deliver it */
		ptrace(PTRACE_CONT, pid, NULL, (void *)sig);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench: %s failed under ptrace (status 0x%x)\n",
			argv[0], st);
		exit(1);
	}
	return kib;
}

/* wisp (wa) and the bare loop (ba) alternating, N runs each: the median
 * time from exec to the guest's first instruction (its mark line) or to the
 * process's exit, and the median peak RSS; printed as two bench lines. */
static void bench_pair(char *const wa[], char *const ba[], bool to_mark,
		       const char *tname, const char *rname)
{
	enum { N = 7 };
	uint64_t w[N], b[N], wr[N], br[N];

	for (int i = 0; i < N; i++) {
		struct result rw = run(wa), rb = run(ba);
		if (to_mark && (!rw.mark_ns || !rb.mark_ns))
			fprintf(stderr, "bench: no mark line\n"), exit(1);
		w[i] = (to_mark ? rw.mark_ns : rw.end_ns) - rw.start_ns;
		b[i] = (to_mark ? rb.mark_ns : rb.end_ns) - rb.start_ns;
		wr[i] = (uint64_t)run_peak_rss(wa);
		br[i] = (uint64_t)run_peak_rss(ba);
	}
	uint64_t mw = median(w, N), mb = median(b, N);
	uint64_t rw = median(wr, N), rb = median(br, N);
	printf("bench %s: %.3f ms (%.2fx vs bare KVM_RUN loop %.3f ms)\n",
	       tname, mw / 1e6, (double)mw / (double)mb, mb / 1e6);
	printf("bench %s: %llu KiB (%.2fx vs bare KVM_RUN loop %llu KiB)\n",
	       rname, (unsigned long long)rw, (double)rw / (double)rb,
	       (unsigned long long)rb);
}

/* exec to the guest's first instruction (it writes the mark port first). */
static void bench_startup(char *wisp, char *bare, const char *dir)
{
	char img[512];

	snprintf(img, sizeof(img), "%s/mark.elf", dir);
	char *wa[] = { wisp, "--kernel", img, NULL };
	char *ba[] = { bare, img, NULL };
	bench_pair(wa, ba, true, "exec-to-first-insn", "peak-rss");
}

/* The hvt hello unikernel, exec to exit, against the bare loop running the
 * smallest test image (mark.elf) exec to exit. */
static void bench_hvt_hello(char *hw, char *bare, const char *hdir,
			    const char *dir)
{
	char img[512], mark[512];

	snprintf(img, sizeof(img), "%s/hello.hvt", hdir);
	snprintf(mark, sizeof(mark), "%s/mark.elf", dir);
	char *wa[] = { hw, img, NULL };
	char *ba[] = { bare, mark, NULL };
	bench_pair(wa, ba, false, "hvt-hello-exec-to-exit", "hvt-hello-peak-rss");
}

/* One echo round costs several exits (NET_READ, NET_WRITE, POLL when the
 * tap is empty; on the ring POLL and maybe a kick) plus the host's tap
 * path: the ratio is per bare exit. */
static void bench_hvt_echo(const char *script, const char *mode,
			   const char *name, double bare_ns)
{
	char line[256] = "", cmd[600];
	double us = 0;
	int n = 0;

	fflush(stdout);
	const char *rounds = getenv("BENCH_ECHO_ROUNDS");

	snprintf(cmd, sizeof(cmd), "%s %d %s 2>&1", script,
		 rounds ? atoi(rounds) : 10000, mode);
	FILE *p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		if (sscanf(line, "echo: %d rounds, %lf us/round", &n, &us) == 2)
			break;
		if (!strncmp(line, "SKIP", 4)) {
			printf("bench %s: %s", name, line);
			break;
		}
	}
	if (p)
		pclose(p);
	if (n > 0)
		printf("bench %s: %.2f us/round over %d rounds (%.1fx vs "
		       "bare KVM_RUN loop %.3f us/exit)\n", name, us, n,
		       us * 1e3 / bare_ns, bare_ns / 1e3);
	else if (strncmp(line, "SKIP", 4))
		printf("bench %s: failed (%s)\n", name, script);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench WISP BARE GUEST_DIR [EXITS]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* each figure as soon as it exists */
	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		printf("SKIP: /dev/kvm is not usable here; no benchmark\n");
		return 0;
	}
	bench_startup(argv[1], argv[2], argv[3]);
	double bare_ns = bench_exit_cost(argv[1], argv[2], argv[3],
					 argc > 4 ? argv[4] : "1000000");
	if (argc > 7) {
		bench_hvt_hello(argv[5], argv[2], argv[6], argv[3]);
		bench_hvt_echo(argv[7], "noring", "hvt-net-echo", bare_ns);
		bench_hvt_echo(argv[7], "ring", "hvt-net-echo-ring", bare_ns);
	}
	return 0;
}
