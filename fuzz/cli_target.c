/*
 * fuzz/cli_target.c - libFuzzer target for wisp's command line: the input
 * is an argument vector (NUL-separated words after argv[0]) given to
 * cli_parse (monitor/cli/cli.c with --mem, --rom, --device, --user ...), then
 * each --device spec is parsed against the registry of every device
 * (dev_parse_spec). Bad input ends in die() -> exit(); the target links
 * with -Wl,--wrap=exit so such an exit returns here (longjmp) with its
 * code. Invariants: an exit has a documented code (0 or usage 64, image
 * 65, no input 66, OS error 71); an accepted command line has a kernel,
 * 1..CLI_MAX_CPUS vCPUs, a nonzero RAM size and at most CLI_MAX_DEVICES
 * device specs, each of which parses or is refused with a reason (printed
 * as one line by log.c, whatever the spec holds: tests/unit/test_log.c).
 */
#include <getopt.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dev.h"
#include "core/exitcode.h"

#define MAX_ARGS 64

static jmp_buf back;
static int in_target, exit_code;

void __real_exit(int code) __attribute__((noreturn));

void __wrap_exit(int code)
{
	if (!in_target)
		__real_exit(code);
	exit_code = code;
	longjmp(back, 1);
}

/* Linked for cli_load_guest, which the parse never calls. */
void *image_read(const char *path, size_t *len)
{
	abort();
}

int image_open(const char *path, uint64_t *len)
{
	abort();
}

/* The same for cli_virtio.c's attach (its --disk/--net/--rng parsing is
 * the parse's). */
void dev_attach_file(struct vm *vm, const char *dev, unsigned idx,
		     unsigned key, int fd, unsigned flags)
{
	abort();
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "cli_target: invariant broken: %s\n", what);
		abort();
	}
}

static void check_specs(const struct vm_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_devs; i++) {
		static struct dev_ins ins;
		char err[256] = "";

		memset(&ins, 0, sizeof(ins));
		if (dev_parse_spec(cfg->dev_specs[i], &ins, err, sizeof(err)) < 0)
			check(err[0] != '\0', "a refused --device spec without a reason");
	}
}

/* The paths --rom copied (those with addr=); wisp keeps them for life. */
static void free_roms(struct vm_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_roms; i++)
		if (cfg->roms[i].has_addr)
			free((void *)cfg->roms[i].path);
	cfg->n_roms = 0;
}

static int split(char *buf, size_t len, char **argv)
{
	int argc = 0;

	argv[argc++] = "wisp";
	for (size_t i = 0; i < len && argc < MAX_ARGS; argc++) {
		argv[argc] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	return argc;
}

/* 0: cli_parse returned; 1: it exited (exit_code), caught by __wrap_exit. */
static int parse_caught(int argc, char **argv, struct vm_config *cfg)
{
	optind = 0; /* getopt starts afresh for each input */
	in_target = 1;
	if (setjmp(back) == 0) {
		cli_parse(argc, argv, cfg);
		in_target = 0;
		return 0;
	}
	in_target = 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm_config cfg;
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 1];

	check(buf != NULL, "malloc");
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (parse_caught(split(buf, size, argv), argv, &cfg) == 0) {
		check(cfg.kernel && cfg.ncpus >= 1 && cfg.ncpus <= CLI_MAX_CPUS &&
		      cfg.mem_size && cfg.n_devs <= CLI_MAX_DEVICES,
		      "an accepted command line out of its bounds");
		check_specs(&cfg);
	} else {
		check(exit_code == WISP_EXIT_OK || exit_code == WISP_EXIT_USAGE ||
		      exit_code == WISP_EXIT_IMAGE || exit_code == WISP_EXIT_NOINPUT ||
		      exit_code == WISP_EXIT_OSERR, "an undocumented exit code");
	}
	free_roms(&cfg);
	free(buf);
	return 0;
}
