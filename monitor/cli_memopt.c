/* monitor/cli_memopt.c - `--mem SIZE[,hugepages=on|off][,prefault=on|off]`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "exitcode.h"
#include "log.h"

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
