/*
 * monitor/cli/cli_hvt.c - the hvt profile's command line, a drop-in for
 * solo5-hvt's: wisp [OPTIONS] [--] UNIKERNEL [ARGS...].
 *
 * Like solo5-hvt it makes two passes: the first finds the unikernel (the
 * first argument not starting with '-', or the one after "--") and handles
 * --help/--version; then the ELF, its ABI note and its manifest are read
 * and checked; the second pass attaches devices to manifest entries. Every
 * mistake is one "wisp: " line and an exit status before the guest starts:
 * 64 bad option or manifest mismatch, 65 bad unikernel or disk size, 66 a
 * file that cannot be opened. Guest statuses 0-255 pass through (HALT).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/exitcode.h"
#include "boot/hvt.h"
#include "hvt_dev.h"
#include "policy.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "jail/jail.h"


static const char hvt_usage[] =
	"usage: wisp [OPTIONS] [--] UNIKERNEL [ARGS...]\n"
	"Runs a Solo5 hvt unikernel (ABI version 2); ARGS become its command "
	"line.\n"
	"  --mem=N                      guest memory in MiB (default 512; "
	"rounded down\n"
	"                               to a multiple of 2, at most 4096)\n"
	"  --block:NAME=PATH            attach block device NAME to a disk "
	"image\n"
	"  --block-sector-size:NAME=N   its sector size: a power of two, "
	"512-32768\n"
	"  --net:NAME=IFACE             attach network device NAME to tap "
	"IFACE\n"
	"  --net:NAME=@FD               ... to an open tap fd\n"
	"  --net-mac:NAME=MAC           its MAC address (default: random)\n"
	"  --help, --version\n"
	"Exit status: the unikernel's own (0 success, 1 failure, 255 abort); "
	"wisp's\n"
	"errors print a line starting \"wisp: \" and exit 64-79 (see README).\n";

/* What the command line and the unikernel say, kept for the loader. */
static struct {
	const char *kernel;
	int kfd; /* the unikernel, open until hvt_load */
	struct hvt_elf elf;
	uint64_t mib;
	int fd[MFT_MAX_ENTRIES];
	uint16_t mtu[MFT_MAX_ENTRIES];
	uint32_t sector[MFT_MAX_ENTRIES];
	bool mac_set[MFT_MAX_ENTRIES];
	char cmdline[HVT_CMDLINE_SIZE];
	uint64_t alloc, guest, ring;
	bool nic;
	struct hvt_dev_cfg devcfg;
} hc;

/* --- first pass --- */

static int find_kernel(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			if (i + 1 >= argc)
				break;
			return i + 1;
		}
		if (a[0] != '-')
			return i;
		if (!strcmp(a, "--help")) {
			fputs(hvt_usage, stdout);
			exit(WISP_EXIT_OK);
		}
		if (!strcmp(a, "--version")) {
			printf("wisp %s (profile %s): solo5-hvt compatible, ABI "
			       "version %d\n", WISP_VERSION, WISP_PROFILE,
			       HVT_ABI_VERSION);
			exit(WISP_EXIT_OK);
		}
	}
	die(WISP_EXIT_USAGE, "no unikernel given (see --help)");
}

static void read_unikernel(const char *path)
{
	char err[256];
	uint64_t len;

	hc.kernel = path;
	hc.kfd = image_open(path, &len);
	if (hvt_elf_parse(hc.kfd, len, &hc.elf, err, sizeof(err)) < 0)
		die(WISP_EXIT_IMAGE, "%s: %s", path, err);
	hc.elf.elf.err = NULL; /* hvt_load gives its own buffer */
	hc.elf.elf.errlen = 0;
}

/* --- second pass: one option --- */

/* "--opt:NAME=VALUE": the entry of `type` called NAME, and VALUE. */
static int entry_arg(const char *opt, const char *arg, uint32_t type,
		     const char **value)
{
	char name[MFT_NAME_SIZE];
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(name) || !eq[1])
		die(WISP_EXIT_USAGE, "%s: expected %sNAME=VALUE", opt, opt);
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = 0;
	int i = hvt_mft_find(hc.elf.mft, name, type);
	if (i < 0)
		die(WISP_EXIT_USAGE, "%s%s: no %s device '%s' declared in the "
		    "unikernel's manifest", opt, name,
		    type == MFT_DEV_BLOCK_BASIC ? "block" : "network", name);
	*value = eq + 1;
	return i;
}

/* A back end left out of this build (its host side is a NULL weak
 * reference): the monitor was built for another unikernel. */
static void need_backend(const char *opt, bool linked)
{
	if (!linked)
		die(WISP_EXIT_USAGE, "%s: this wisp has no back end for it (built "
		    "for a unikernel that declares no such device)", opt);
}

static void opt_block(const char *arg)
{
	const char *path;
	char err[256];
	int i = entry_arg("--block:", arg, MFT_DEV_BLOCK_BASIC, &path);
	struct mft_entry *e = &hc.elf.mft->e[i];

	need_backend("--block", hvt_disk_open != NULL);
	if (hc.fd[i] >= 0)
		die(WISP_EXIT_USAGE, "--block:%s given twice", e->name);
	if (hvt_disk_open(path, &hc.fd[i], &e->u.block_basic.capacity, err,
			  sizeof(err)) < 0)
		die(WISP_EXIT_NOINPUT, "--block:%s: %s", e->name, err);
	e->attached = 1;
}

static void opt_sector(const char *arg)
{
	const char *v;
	uint64_t n;
	int i = entry_arg("--block-sector-size:", arg, MFT_DEV_BLOCK_BASIC, &v);

	if (dev_parse_u64(v, false, &n) < 0 || n < 512 || n > 32768 ||
	    (n & (n - 1)))
		die(WISP_EXIT_USAGE, "--block-sector-size:%s: '%s' is not a power "
		    "of two from 512 to 32768", hc.elf.mft->e[i].name, v);
	hc.sector[i] = (uint32_t)n;
}

static void opt_net(const char *arg)
{
	const char *spec;
	char err[256];
	int i = entry_arg("--net:", arg, MFT_DEV_NET_BASIC, &spec);
	struct mft_entry *e = &hc.elf.mft->e[i];

	need_backend("--net", hvt_tap_open != NULL);
	if (hc.fd[i] >= 0)
		die(WISP_EXIT_USAGE, "--net:%s given twice", e->name);
	if (hvt_tap_open(spec, &hc.fd[i], &hc.mtu[i], err, sizeof(err)) < 0)
		die(WISP_EXIT_NOINPUT, "--net:%s: %s", e->name, err);
	e->attached = 1;
	hc.nic = true;
}

static void opt_mac(const char *arg)
{
	const char *v;
	int i = entry_arg("--net-mac:", arg, MFT_DEV_NET_BASIC, &v);
	struct mft_entry *e = &hc.elf.mft->e[i];

	need_backend("--net-mac", hvt_mac_parse != NULL);
	if (hvt_mac_parse(v, e->u.net_basic.mac) < 0)
		die(WISP_EXIT_USAGE, "--net-mac:%s: '%s' is not xx:xx:xx:xx:xx:xx",
		    e->name, v);
	hc.mac_set[i] = true;
}

static bool prefixed(const char *a, const char *p, const char **rest)
{
	size_t n = strlen(p);

	if (strncmp(a, p, n))
		return false;
	*rest = a + n;
	return true;
}

static void opt_one(const char *a)
{
	const char *r;

	if (prefixed(a, "--mem=", &r)) {
		if (dev_parse_u64(r, false, &hc.mib) < 0)
			die(WISP_EXIT_USAGE, "--mem=%s: not a number of MiB", r);
	} else if (prefixed(a, "--block-sector-size:", &r)) {
		opt_sector(r);
	} else if (prefixed(a, "--block:", &r)) {
		opt_block(r);
	} else if (prefixed(a, "--net-mac:", &r)) {
		opt_mac(r);
	} else if (prefixed(a, "--net:", &r)) {
		opt_net(r);
	} else {
		die(WISP_EXIT_USAGE, "unknown option '%s' (see --help)", a);
	}
}

/* --- after the options: complete the manifest --- */

static void finish_block(uint32_t i)
{
	struct mft_entry *e = &hc.elf.mft->e[i];
	uint64_t cap = e->u.block_basic.capacity;
	uint32_t bs = hc.sector[i] ? hc.sector[i] : 512;

	if (cap < bs || cap % bs)
		die(WISP_EXIT_IMAGE, "--block:%s: disk size %llu is not a "
		    "multiple of its %u-byte sectors", e->name,
		    (unsigned long long)cap, bs);
	e->u.block_basic.block_size = (uint16_t)bs;
}

static void finish_net(uint32_t i)
{
	struct mft_entry *e = &hc.elf.mft->e[i];

	if (!hc.mac_set[i] && hvt_mac_random)
		hvt_mac_random(e->u.net_basic.mac);
	e->u.net_basic.mtu = hc.mtu[i];
}

/* Every entry attached, or one line naming those that are not. */
static void finish_manifest(void)
{
	struct mft *m = hc.elf.mft;
	char missing[512] = "";

	for (uint32_t i = 1; i < m->entries; i++) {
		if (!m->e[i].attached) {
			size_t n = strlen(missing);
			snprintf(missing + n, sizeof(missing) - n, "%s%s (%s)",
				 n ? ", " : "", m->e[i].name,
				 m->e[i].type == MFT_DEV_BLOCK_BASIC ? "--block"
								     : "--net");
		} else if (m->e[i].type == MFT_DEV_BLOCK_BASIC) {
			finish_block(i);
		} else {
			finish_net(i);
		}
	}
	if (missing[0])
		die(WISP_EXIT_USAGE, "manifest devices not attached: %s", missing);
}

/* --- the loader hook (main calls it once vm->devs exist) --- */

static void attach_backends(struct vm *vm)
{
	struct mft *m = hc.elf.mft;

	hc.devcfg = (struct hvt_dev_cfg){ .mem_size = hc.guest, .mft = m,
					  .ring_gpa = hc.ring };
	dev_attach_blob(vm, "hvt", HVT_BLOB, &hc.devcfg, sizeof(hc.devcfg));
	/* POLL sleeps on the taps and a timeout. */
	dev_attach_waitset(vm, "hvt");
	for (uint32_t i = 1; i < m->entries; i++)
		dev_attach_file(vm, "hvt", 0, i, hc.fd[i],
				m->e[i].type == MFT_DEV_NET_BASIC ? DEVFILE_POLL
								  : 0);
}

static void hvt_load_guest(struct vm *vm)
{
	char err[256];
	int rc = mem_init_flat(&vm->mem, hc.alloc);

	if (rc < 0)
		die(WISP_EXIT_OSERR, "guest memory: %s", strerror(-rc));
	vm->mem.memfd = fd_pin(vm->mem.memfd, FD_MEM);
	struct hvt_boot b = { .mem_size = hc.guest, .mft = hc.elf.mft,
			      .mft_len = hc.elf.mft_len, .cmdline = hc.cmdline };
	if (hvt_load(&vm->mem, &hc.elf, &b, &vm->boot, err, sizeof(err)) < 0)
		die(WISP_EXIT_IMAGE, "%s: %s", hc.kernel, err);
	close(hc.kfd);
	hc.kfd = -1;
	attach_backends(vm);
}

void cli_parse(int argc, char **argv, struct vm_config *cfg)
{
	char err[256];
	int k = find_kernel(argc, argv);

	for (int i = 0; i < MFT_MAX_ENTRIES; i++)
		hc.fd[i] = -1;
	hc.mib = HVT_MEM_DEFAULT_MIB;
	read_unikernel(argv[k]);
	for (int i = 1; i < k; i++)
		if (strcmp(argv[i], "--"))
			opt_one(argv[i]);
	finish_manifest();
	if (hvt_mem_size(hc.mib, hc.nic, &hc.alloc, &hc.guest, &hc.ring, err,
			 sizeof(err)) < 0)
		die(WISP_EXIT_USAGE, "%s", err);
	if (hvt_cmdline(argc - k - 1, argv + k + 1, hc.cmdline,
			sizeof(hc.cmdline)) < 0)
		die(WISP_EXIT_USAGE, "the unikernel's command line is longer "
		    "than %d characters", HVT_CMDLINE_SIZE - 1);
	*cfg = (struct vm_config){
		.mem_size = hc.alloc, .ncpus = 1, .kernel = hc.kernel,
		.cmdline = hc.cmdline, .serial = "stdio",
		.load_guest = hvt_load_guest, .guest_status_max = 255,
		.strict_io = true,
	};
}
