/*
 * Unit tests: --disk, --net and --rng (monitor/cli/cli_virtio.c). The
 * registry here has a virtio_blk (2 instances, ro option) and a virtio_net
 * (mac option) but no virtio_rng, standing in for the devices, which the
 * CLI finds by name. Bad input is one line and its exit code; good input
 * becomes an instance spec and a file attached to that instance.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "core/exitcode.h"
#include "devhost/devhost.h"
#include "policy.h"

static const struct dev_opt blk_opts[] = {
	{ .key = "ro", .type = DEV_OPT_U64, .max = 1 },
};
static const struct dev_opt net_opts[] = {
	{ .key = "mac", .type = DEV_OPT_STR },
};
static const struct dev_ops ops;
static const struct dev_reg blk = { .name = "virtio_blk", .max_instances = 2,
				    .opts = blk_opts, .n_opts = 1, .ops = &ops };
static const struct dev_reg net = { .name = "virtio_net", .max_instances = 2,
				    .opts = net_opts, .n_opts = 1, .ops = &ops };
const struct dev_entry dev_registry[] = { { &blk, false, true },
					  { &net, false, true } };
const size_t dev_registry_len = 2;

static struct vm_config cfg;
static struct vm vm;
static char err[300];
static char img[] = "/tmp/wisp-cli-virtio-XXXXXX";

void vm_request_stop(struct vm *v, int code, const char *why)
{
}

static int setup(void **state)
{
	int fd = mkstemp(img);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	memset(&cfg, 0, sizeof(cfg));
	memset(&vm, 0, sizeof(vm));
	return 0;
}

static int teardown(void **state)
{
	unlink(img);
	strcpy(img, "/tmp/wisp-cli-virtio-XXXXXX");
	for (unsigned n = 0; n < vm.n_files; n++)
		close(FD_FILE0 + (int)n);
	return 0;
}

static void test_disk_split(void **state)
{
	char path[16];
	bool ro = true;

	assert_int_equal(cli_disk_split("a.img", path, sizeof(path), &ro, err,
					sizeof(err)), 0);
	assert_string_equal(path, "a.img");
	assert_false(ro);
	assert_int_equal(cli_disk_split("a.img,ro=on", path, sizeof(path), &ro,
					err, sizeof(err)), 0);
	assert_true(ro);
	assert_int_equal(cli_disk_split("a.img,ro=off", path, sizeof(path), &ro,
					err, sizeof(err)), 0);
	assert_false(ro);
	const char *bad[] = { "", ",ro=on", "a.img,ro=yes", "a.img,ro=on,x=1",
			      "a.img,cache=none", "a-path-longer-than-16" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cli_disk_split(bad[i], path, sizeof(path), &ro,
						err, sizeof(err)),
				 WISP_EXIT_USAGE);
}

static void test_disk_open(void **state)
{
	int fd;

	assert_int_equal(cli_disk_open(img, false, &fd, err, sizeof(err)), 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_int_equal(cli_disk_open(img, true, &fd, err, sizeof(err)), 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
	assert_int_equal(cli_disk_open("/nonexistent/disk.img", true, &fd, err,
				       sizeof(err)), WISP_EXIT_NOINPUT);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(cli_disk_open("/tmp", true, &fd, err, sizeof(err)),
			 WISP_EXIT_NOINPUT);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(cli_disk_open("/dev/null", true, &fd, err, sizeof(err)),
			 WISP_EXIT_NOINPUT);
	assert_int_equal(fd, -1);
}

static void test_net_split(void **state)
{
	struct cli_net n;

	assert_int_equal(cli_net_split("tap=tap0", &n, err, sizeof(err)), 0);
	assert_int_equal(n.len[CLI_NET_TAP], 4);
	assert_memory_equal(n.val[CLI_NET_TAP], "tap0", 4);
	assert_null(n.val[CLI_NET_MAC]);
	assert_int_equal(cli_net_split("fd=3,mac=52:54:00:12:34:56", &n, err,
				       sizeof(err)), 0);
	assert_int_equal(n.len[CLI_NET_FD], 1);
	assert_int_equal(n.len[CLI_NET_MAC], 17);
	const char *bad[] = { "", "tap=a,fd=3", "mac=52:54:00:12:34:56",
			      "tap=", "tap=a,tap=b", "bogus=1", "tap",
			      "tap=a,", "fd=3,mac" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cli_net_split(bad[i], &n, err, sizeof(err)),
				 WISP_EXIT_USAGE);
}

static void test_mac_check(void **state)
{
	assert_int_equal(cli_mac_check("52:54:00:12:34:56"), 0);
	assert_int_equal(cli_mac_check("02:AB:cd:EF:00:01"), 0);
	const char *bad[] = { "01:00:5e:00:00:01", /* multicast */
			      "00:00:00:00:00:00", "52:54:00:12:34",
			      "52:54:00:12:34:567", "52-54-00-12-34-56",
			      "g2:54:00:12:34:56", "52:54:00:12:34:5", "",
			      " 2:54:00:12:34:56" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cli_mac_check(bad[i]), -1);
}

/* Only taps: a pipe given as fd=N, a name no interface has. */
static void test_tap_refused(void **state)
{
	struct cli_net n;
	int p[2], fd;
	char arg[32];

	assert_int_equal(pipe(p), 0);
	snprintf(arg, sizeof(arg), "fd=%d", p[0]);
	assert_int_equal(cli_net_split(arg, &n, err, sizeof(err)), 0);
	assert_int_equal(cli_tap_open(&n, &fd, err, sizeof(err)),
			 WISP_EXIT_USAGE);
	assert_non_null(strstr(err, "not a tap"));
	assert_int_equal(fcntl(p[0], F_GETFD), 0); /* left as it was */
	close(p[0]);
	close(p[1]);
	const char *bad[] = { "fd=abc", "fd=-1", "fd=2", "tap=wisp-no-such0",
			      "tap=a-name-longer-than-ifnamsiz" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cli_net_split(bad[i], &n, err, sizeof(err)), 0);
		assert_int_equal(cli_tap_open(&n, &fd, err, sizeof(err)),
				 WISP_EXIT_USAGE);
	}
}

/* f(arg) in a child: its exit status and its one stderr line. */
static int dies(void (*f)(const char *), const char *arg, char *line,
		size_t len)
{
	FILE *out = tmpfile();
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		dup2(fileno(out), STDERR_FILENO);
		f(arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	rewind(out);
	if (!fgets(line, (int)len, out))
		line[0] = '\0';
	assert_null(fgets(err, sizeof(err), out)); /* one line only */
	fclose(out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void disk(const char *a) { cli_parse_disk(&cfg, a); }
static void nic(const char *a) { cli_parse_net(&cfg, a); }
static void rng(const char *a) { cli_parse_rng(&cfg); }

static void test_parse_refused(void **state)
{
	char line[300];

	assert_int_equal(dies(rng, NULL, line, sizeof(line)), WISP_EXIT_USAGE);
	assert_string_equal(line, "wisp: --rng: this profile has no virtio_rng "
				  "device\n");
	assert_int_equal(dies(disk, "/nonexistent.img", line, sizeof(line)),
			 WISP_EXIT_NOINPUT);
	assert_int_equal(dies(disk, "x.img,ro=1", line, sizeof(line)),
			 WISP_EXIT_USAGE);
	assert_int_equal(dies(nic, "tap=t0,mac=01:02:03:04:05:06", line,
			      sizeof(line)), WISP_EXIT_USAGE);
	assert_non_null(strstr(line, "unicast"));
	assert_int_equal(dies(nic, "tap=t0,mac=52:54:00:12:34:56:78", line,
			      sizeof(line)), WISP_EXIT_USAGE);
	assert_int_equal(dies(nic, "fd=0", line, sizeof(line)), WISP_EXIT_USAGE);
	assert_int_equal(dies(nic, "speed=10", line, sizeof(line)),
			 WISP_EXIT_USAGE);
	/* Two virtio_blk instances at most: the third is refused first. */
	cli_parse_disk(&cfg, img);
	cli_parse_disk(&cfg, img);
	assert_int_equal(dies(disk, img, line, sizeof(line)), WISP_EXIT_USAGE);
	assert_non_null(strstr(line, "at most 2"));
	close(cfg.files[0].fd);
	close(cfg.files[1].fd);
}

/* The instances as devmgr makes them from the specs, and what each gets. */
static void make_instances(void)
{
	for (unsigned i = 0; i < cfg.n_devs; i++) {
		struct dev_ins *ins = &vm.devs[i];
		assert_int_equal(dev_parse_spec(cfg.dev_specs[i], ins, err,
						sizeof(err)), 0);
		ins->idx = 0;
		for (unsigned j = 0; j < i; j++)
			ins->idx += vm.devs[j].reg == ins->reg;
		snprintf(ins->name, sizeof(ins->name), "%s.%u", ins->reg->name,
			 ins->idx);
		vm.hosts[i] = (struct dev_host){ .vm = &vm, .ins = ins };
		ins->host = &vm.hosts[i];
		ins->hlp = devhlp_table(false, false);
	}
	vm.n_devs = cfg.n_devs;
	vm.cfg = &cfg;
}

static void test_parse_attach(void **state)
{
	char arg[300];
	uint64_t size;

	cfg.dev_specs[cfg.n_devs++] = "virtio_blk"; /* --device: no file */
	snprintf(arg, sizeof(arg), "%s,ro=on", img);
	cli_parse_disk(&cfg, arg);
	assert_int_equal(cfg.n_devs, 2);
	assert_string_equal(cfg.dev_specs[0], "virtio_blk");
	assert_string_equal(cfg.dev_specs[1], "virtio_blk,ro=1");
	assert_int_equal(cfg.files[0].idx, 1); /* after --device's instance */
	make_instances();
	cli_attach_files(&vm);
	struct dev_ins *d0 = &vm.devs[0], *d1 = &vm.devs[1];
	assert_int_equal(d0->hlp->file_size(d0, 0, &size), -EPERM);
	assert_int_equal(d1->hlp->file_size(d1, 0, &size), 0);
	assert_int_equal(size, 10);
	assert_int_equal(d1->hlp->file_pwrite(d1, 0, "x", 1, 0), -EBADF);
	assert_int_equal(vm.hosts[1].files[0], FD_FILE0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_disk_split), T(test_disk_open), T(test_net_split),
		T(test_mac_check), T(test_tap_refused), T(test_parse_refused),
		T(test_parse_attach),
	};
	return cmocka_run_group_tests_name("cli_virtio", tests, NULL, NULL);
}
