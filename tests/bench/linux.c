/*
 * tests/bench/linux.c - `make bench`'s Linux figures (issue 13): wisp's
 * linux profile against QEMU's microvm (Debian's qemu-system-x86_64, on
 * the same KVM), side by side in one run, the same kernel, initramfs
 * (tests/linux/), RAM (128 MiB), vCPUs (1), command line and disk image.
 *   linuxbench WISP KERNEL INITRD QEMU
 * Environment: BENCH_LINUX_ROUNDS (boots of each monitor, alternating;
 * default 5), BENCH_LINUX_DISK_MIB (the image, default 256),
 * BENCH_LINUX_TIMEOUT (seconds a boot may take, default 600), TMPDIR (where
 * the image is made, default /tmp).
 * The files both read and QEMU's libraries are read once before the first
 * round. Each boot attaches the image and passes wisp.bench=read: /init
 * (tests/linux/init) prints "wisp-linux: init reached", writes wisp's boot
 * port (0x80), reads all of /dev/vda with O_DIRECT in 1 MiB requests,
 * prints "wisp-linux: bench read N bytes T ns" (the guest's clock) and
 * powers off. From one set of boots:
 *   linux-boot       exec to the "init reached" console line (the host's
 *                    clock, the monitor's stdout read through a pipe; wisp's
 *                    boot-port time shown beside it), median
 *   virtio-blk-read  MB/s as the guest measured it, median
 *   linux-rss        the monitor's RSS when that line arrives, minus its
 *                    guest RAM (every mapping at least as large as guest
 *                    RAM), from /proc/PID/smaps; wisp's device processes on
 *                    the same line, apart; median. Beside it a lower
 *                    bound of the peak: VmHWM minus the guest RAM's Rss at
 *                    /init (the RAM only grows until then)
 * and, first, linux-size: build/linux/wisp stripped, against QEMU's binary
 * stripped the same way (strip -o on a copy).
 * Prints lines "bench <name>: <value> <unit> (<ratio>x vs <baseline>)"; a
 * figure that cannot be measured gets a line saying why, and exit 1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RAM_MIB 128
#define MAX_ROUNDS 32

static const char *CMDLINE = "console=ttyS0 panic=-1 quiet wisp.bench=read";

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : def;
}

/* ---- memory ----------------------------------------------------------- */

struct mem {
	long own_kib;   /* Rss of mappings smaller than guest RAM */
	long ram_kib;   /* Rss of the guest RAM mapping(s) */
	long hwm_kib;   /* VmHWM, guest RAM included */
};

/* Rss of pid's mappings from smaps, split into guest RAM (a mapping at
 * least RAM_MIB large: wisp's memfd, QEMU's anonymous RAM block) and the
 * rest. */
static bool read_mem(pid_t pid, struct mem *m)
{
	char path[64], line[512];
	unsigned long a, b, size = 0;
	long kib;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2)
			size = b - a;
		else if (sscanf(line, "Rss: %ld kB", &kib) == 1) {
			if (size >= (unsigned long)RAM_MIB << 20)
				m->ram_kib += kib;
			else
				m->own_kib += kib;
		}
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			m->hwm_kib = kib;
	if (f)
		fclose(f);
	return true;
}

/* The children of pid (any of its threads'), up to max. */
static int children(pid_t pid, pid_t *out, int max)
{
	char path[320];
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children",
			 (int)pid, e->d_name);
		FILE *f = fopen(path, "r");
		int c;
		while (f && n < max && fscanf(f, "%d", &c) == 1)
			out[n++] = c;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

/* ---- one boot ----------------------------------------------------------- */

struct boot {
	bool ok;
	uint64_t init_ns;       /* exec to the "init reached" line */
	long port_ms;           /* wisp's boot port at /init, or -1 */
	double mbps;            /* the guest's read, or 0 */
	struct mem self;        /* the monitor's process at /init */
	long dev_own_kib;       /* its children's, guest RAM excluded */
	int ndev;
};

static char out_tail[4096]; /* the last output of a failed boot */

static void tail_add(const char *line)
{
	size_t n = strlen(out_tail), l = strlen(line);

	if (n + l >= sizeof(out_tail))
		n = 0; /* keep the recent part only */
	memcpy(out_tail + n, line, l + 1);
}

static void on_line(struct boot *b, pid_t pid, const char *line, uint64_t t0)
{
	unsigned long long bytes, ns;
	unsigned code;
	long ms;
	const char *p;

	if (!b->init_ns && strstr(line, "wisp-linux: init reached")) {
		b->init_ns = mono_ns() - t0;
		read_mem(pid, &b->self);
		pid_t c[16];
		b->ndev = children(pid, c, 16);
		for (int i = 0; i < b->ndev; i++) {
			struct mem m;
			if (read_mem(c[i], &m))
				b->dev_own_kib += m.own_kib;
		}
	} else if ((p = strstr(line, "bootport.0: code ")) &&
		   sscanf(p, "bootport.0: code 0x%x at %ld ms", &code, &ms) == 2 &&
		   code == 1 && b->port_ms < 0) {
		b->port_ms = ms;
	} else if ((p = strstr(line, "wisp-linux: bench read ")) &&
		   sscanf(p, "wisp-linux: bench read %llu bytes %llu ns", &bytes,
			  &ns) == 2 && ns) {
		b->mbps = (double)bytes * 1e3 / (double)ns;
	}
}

/* Runs argv with stdout and stderr on one pipe, each line seen as it
 * arrives; the process (its own group) is killed after timeout_s. */
static struct boot run_boot(char *const argv[], long timeout_s)
{
	struct boot b = { .port_ms = -1 };
	char buf[8192], line[1024];
	size_t ll = 0;
	int p[2], st = 0;

	out_tail[0] = 0;
	if (pipe(p) < 0)
		return b;
	fflush(stdout);
	uint64_t t0 = mono_ns();
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		setpgid(0, 0);
		dup2(null, STDIN_FILENO);
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return b;
	}
	setpgid(pid, pid);
	uint64_t deadline = t0 + (uint64_t)timeout_s * 1000000000ull;
	bool timed_out = false;
	for (;;) {
		uint64_t now = mono_ns();
		if (now >= deadline) {
			timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		int r = poll(&pf, 1, (int)((deadline - now) / 1000000u) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t n = read(p[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n' && ll < sizeof(line) - 2) {
				line[ll++] = buf[i];
				continue;
			}
			if (buf[i] != '\n')
				continue; /* overlong: the rest is dropped */
			line[ll++] = '\n';
			line[ll] = 0;
			on_line(&b, pid, line, t0);
			tail_add(line);
			ll = 0;
		}
	}
	close(p[0]);
	waitpid(pid, &st, 0);
	b.ok = !timed_out && WIFEXITED(st) && WEXITSTATUS(st) == 0 && b.init_ns;
	if (!b.ok)
		fprintf(stderr, "linuxbench: %s %s (status 0x%x)%s; its last "
			"output:\n%s", argv[0], timed_out ? "timed out" : "failed",
			st, b.init_ns ? "" : ", no \"init reached\" line",
			out_tail);
	return b;
}

/* ---- figures ------------------------------------------------------------ */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* "r1-r2": the least and greatest of a[i] / b[i], the rounds' own ratios
 * (how much the shared machine moved the figure). */
static const char *ratio_range(const double *a, const double *b, int n,
			       char *buf, size_t len)
{
	double lo = a[0] / b[0], hi = lo;

	for (int i = 1; i < n; i++) {
		double r = a[i] / b[i];
		lo = r < lo ? r : lo;
		hi = r > hi ? r : hi;
	}
	snprintf(buf, len, "%.2f-%.2fx", lo, hi);
	return buf;
}

/* Size in KiB of path stripped (a copy, strip -o), or -1. */
static long stripped_kib(const char *path)
{
	char tmp[] = "/tmp/linuxbench-strip.XXXXXX";
	int fd = mkstemp(tmp);
	struct stat s;
	int st;

	if (fd < 0)
		return -1;
	close(fd);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		execlp("strip", "strip", "-o", tmp, path, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	long kib = -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && stat(tmp, &s) == 0)
		kib = (long)((s.st_size + 1023) / 1024);
	unlink(tmp);
	return kib;
}

static int bench_size(const char *wisp, const char *qemu)
{
	long w = stripped_kib(wisp), q = stripped_kib(qemu);

	if (w < 0 || q < 0) {
		printf("bench linux-size: failed (strip -o of %s did not work)\n",
		       w < 0 ? wisp : qemu);
		return 1;
	}
	printf("bench linux-size: %ld KiB (%.3fx vs qemu-system-x86_64 "
	       "stripped %ld KiB; %.2fx of the 512 KiB target)\n", w,
	       (double)w / (double)q, q, w / 512.0);
	return 0;
}

/* Before the first round: the files both monitors read (the kernel, the
 * initramfs, wisp) read once, and QEMU run once (-version: its shared
 * libraries), so the first boot of neither pays for a cold cache (in the
 * testbed, the 9p root). */
static void warm(char *const files[], const char *qemu)
{
	static char buf[1 << 16];
	int st;

	for (int i = 0; files[i]; i++) {
		int fd = open(files[i], O_RDONLY);
		while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
			;
		if (fd >= 0)
			close(fd);
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execl(qemu, qemu, "-version", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
}

/* The image: size MiB of a pattern (no holes: both monitors read data). */
static int make_image(char *path, size_t pathlen, long mib)
{
	const char *dir = getenv("TMPDIR");
	static char block[1 << 20];

	snprintf(path, pathlen, "%s/linuxbench-disk.XXXXXX",
		 dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	for (long i = 0; i < mib; i++) {
		for (size_t j = 0; j < sizeof(block); j += 8)
			memcpy(block + j, &(uint64_t){ (uint64_t)i << 20 | j }, 8);
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) {
			close(fd);
			unlink(path);
			return -1;
		}
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: linuxbench WISP KERNEL INITRD QEMU\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	char *wisp = argv[1], *kernel = argv[2], *initrd = argv[3];
	char *qemu = argv[4];
	int rc = 0;

	if (access(qemu, X_OK) < 0) {
		printf("bench linux: failed (no baseline: %s is not an "
		       "executable; install qemu-system-x86)\n", qemu);
		return 1;
	}
	rc |= bench_size(wisp, qemu);
	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		printf("bench linux: failed (/dev/kvm is not usable here)\n");
		return 1;
	}
	int rounds = (int)env_long("BENCH_LINUX_ROUNDS", 5);
	long mib = env_long("BENCH_LINUX_DISK_MIB", 256);
	long tmo = env_long("BENCH_LINUX_TIMEOUT", 600);
	if (rounds < 1 || rounds > MAX_ROUNDS || mib < 1) {
		printf("bench linux: failed (BENCH_LINUX_ROUNDS 1-%d, "
		       "BENCH_LINUX_DISK_MIB > 0)\n", MAX_ROUNDS);
		return 1;
	}
	char img[512], wdisk[600], qdrive[600], mem[16], qmem[16];
	if (make_image(img, sizeof(img), mib) < 0) {
		printf("bench linux: failed (cannot write a %ld MiB image in "
		       "%s: %s)\n", mib, getenv("TMPDIR") ? getenv("TMPDIR") :
		       "/tmp", strerror(errno));
		return 1;
	}
	snprintf(wdisk, sizeof(wdisk), "%s", img);
	snprintf(qdrive, sizeof(qdrive), "file=%s,if=none,id=d0,format=raw",
		 img);
	snprintf(mem, sizeof(mem), "%dM", RAM_MIB);
	snprintf(qmem, sizeof(qmem), "%d", RAM_MIB);
	char *cl = (char *)CMDLINE;
	char *wa[] = { wisp, "--mem", mem, "--cpus", "1", "--kernel", kernel,
		       "--initrd", initrd, "--disk", wdisk, "--cmdline", cl,
		       NULL };
	char *qa[] = { qemu, "-M", "microvm", "-accel", "kvm", "-cpu", "host",
		       "-m", qmem, "-smp", "1", "-nodefaults",
		       "-no-user-config", "-display", "none", "-serial", "stdio",
		       "-no-reboot", "-kernel", kernel, "-initrd", initrd,
		       "-append", cl, "-drive", qdrive, "-device",
		       "virtio-blk-device,drive=d0", NULL };

	warm((char *[]){ wisp, kernel, initrd, NULL }, qemu);
	/* Alternating, so drift in the machine's load hits both. */
	struct boot w[MAX_ROUNDS], q[MAX_ROUNDS];
	int bad = 0;
	for (int i = 0; i < rounds; i++) {
		w[i] = run_boot(wa, tmo);
		q[i] = run_boot(qa, tmo);
		bad += !w[i].ok + !q[i].ok;
	}
	unlink(img);
	if (bad) {
		printf("bench linux-boot: failed (%d of %d boots did not reach "
		       "/init and power off; their output is above)\n", bad,
		       2 * rounds);
		printf("bench virtio-blk-read: failed (see linux-boot)\n");
		printf("bench linux-rss: failed (see linux-boot)\n");
		return 1;
	}
	double wt[MAX_ROUNDS], qt[MAX_ROUNDS], wp[MAX_ROUNDS];
	double wr[MAX_ROUNDS], qr[MAX_ROUNDS], wm[MAX_ROUNDS], qm[MAX_ROUNDS];
	double wh[MAX_ROUNDS], qh[MAX_ROUNDS], wd[MAX_ROUNDS];
	int nport = 0, nread = 0, ndev = 0;
	for (int i = 0; i < rounds; i++) {
		wt[i] = w[i].init_ns / 1e6;
		qt[i] = q[i].init_ns / 1e6;
		if (w[i].port_ms >= 0)
			wp[nport++] = (double)w[i].port_ms;
		if (w[i].mbps > 0 && q[i].mbps > 0) {
			wr[nread] = w[i].mbps;
			qr[nread++] = q[i].mbps;
		}
		wm[i] = (double)w[i].self.own_kib;
		qm[i] = (double)q[i].self.own_kib;
		wh[i] = (double)(w[i].self.hwm_kib - w[i].self.ram_kib);
		qh[i] = (double)(q[i].self.hwm_kib - q[i].self.ram_kib);
		wd[i] = (double)w[i].dev_own_kib;
		ndev = w[i].ndev;
	}
	char br[32], rr[32] = "";
	ratio_range(wt, qt, rounds, br, sizeof(br));
	if (nread)
		ratio_range(wr, qr, nread, rr, sizeof(rr));
	double mwt = median(wt, rounds), mqt = median(qt, rounds);
	char port[64] = "wisp's boot port: none";
	if (nport)
		snprintf(port, sizeof(port), "wisp's boot port at %.0f ms",
			 median(wp, nport));
	printf("bench linux-boot: %.0f ms (%.2fx vs qemu-microvm %.0f ms; exec "
	       "to /init's first console line, median of %d, rounds %s; %s)\n",
	       mwt, mwt / mqt, mqt, rounds, br, port);
	if (nread == rounds) {
		double a = median(wr, nread), c = median(qr, nread);
		printf("bench virtio-blk-read: %.1f MB/s (%.2fx vs qemu-microvm "
		       "virtio-blk-device %.1f MB/s; %ld MiB O_DIRECT 1 MiB "
		       "reads, median of %d, rounds %s)\n", a, a / c, c, mib,
		       nread, rr);
	} else {
		printf("bench virtio-blk-read: failed (%d of %d boot pairs "
		       "printed no \"bench read\" line)\n", rounds - nread,
		       rounds);
		rc = 1;
	}
	double a = median(wm, rounds), c = median(qm, rounds);
	printf("bench linux-rss: %.0f KiB (%.3fx vs qemu-microvm %.0f KiB; RSS "
	       "at /init minus guest RAM, %d MiB 1 vCPU, median of %d; peak "
	       ">= %.0f vs %.0f KiB (VmHWM minus guest RAM); +%.0f KiB in "
	       "wisp's %d device processes)\n", a, a / c, c, RAM_MIB, rounds,
	       median(wh, rounds), median(qh, rounds), median(wd, rounds), ndev);
	return rc;
}
