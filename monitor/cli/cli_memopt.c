/* monitor/cli/cli_memopt.c - `--mem SIZE[,hugepages=on|off][,prefault=on|off]`. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/exitcode.h"
#include "core/log.h"

/* A plain number is MiB (like QEMU's -m); a suffix gives the unit. */
uint64_t cli_parse_mem(const char *s)
{
	uint64_t v;
	size_t n = strlen(s);
	bool plain = n && s[n - 1] >= '0' && s[n - 1] <= '9';

	if (dev_parse_u64(s, true, &v) < 0 ||
	    (plain && __builtin_mul_overflow(v, 1ull << 20, &v)))
		die(WISP_EXIT_USAGE, "--mem: bad size '%s'", s);
	if (v < CLI_MEM_MIN || (v & 0xfff))
		die(WISP_EXIT_USAGE,
		    "--mem: %s is not a multiple of 4 KiB of at least 2 MiB", s);
	uint64_t host = (uint64_t)sysconf(_SC_PHYS_PAGES) *
			(uint64_t)sysconf(_SC_PAGESIZE);
	if (v > host)
		die(WISP_EXIT_USAGE, "--mem: %s is more than this host's %llu MiB",
		    s, (unsigned long long)(host >> 20));
	return v;
}

static bool memopt_bool(const char *key, const char *val)
{
	if (!strcmp(val, "on"))
		return true;
	if (strcmp(val, "off"))
		die(WISP_EXIT_USAGE, "--mem: %s=%s: expected on or off", key, val);
	return false;
}

static void memopt_one(struct vm_config *cfg, char *kv)
{
	char *eq = strchr(kv, '=');

	if (!eq)
		die(WISP_EXIT_USAGE, "--mem: '%s' is not KEY=VALUE", kv);
	*eq = '\0';
	if (!strcmp(kv, "hugepages"))
		cfg->mem_opts.hugepages = memopt_bool(kv, eq + 1);
	else if (!strcmp(kv, "prefault"))
		cfg->mem_opts.prefault = memopt_bool(kv, eq + 1);
	else
		die(WISP_EXIT_USAGE, "--mem: unknown option '%s' (hugepages, "
		    "prefault)", kv);
}

void cli_parse_mem_opts(struct vm_config *cfg, const char *arg)
{
	char buf[128], *save = NULL;

	if (strlen(arg) >= sizeof(buf))
		die(WISP_EXIT_USAGE, "--mem: '%s' is too long", arg);
	snprintf(buf, sizeof(buf), "%s", arg);
	char *size = strtok_r(buf, ",", &save);
	cfg->mem_size = cli_parse_mem(size ? size : "");
	for (char *kv; (kv = strtok_r(NULL, ",", &save));)
		memopt_one(cfg, kv);
	if (cfg->mem_opts.hugepages && cfg->mem_size % (2ull << 20))
		die(WISP_EXIT_USAGE, "--mem: with hugepages=on the size must be "
		    "a multiple of 2 MiB");
}
