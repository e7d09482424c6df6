/*
 * monitor/cli/cli.c - the command line. Every bad input is reported as one line
 * naming the problem, with a WISP_EXIT_* code, before anything starts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/exitcode.h"
#include "core/log.h"
#include "jail/jail.h"
#include "policy.h"
#if WISP_PASSTHRU
#include "vfio.h"
#endif
#ifdef WISP_LOADER_linux
#include "boot/linux.h"
#define WISP_HAS_LINUX 1
#else
#define WISP_HAS_LINUX 0
#endif


static const char cli_usage[] =
	"usage: wisp [OPTIONS] --kernel IMAGE\n"
	"  --kernel PATH       guest image: a test ELF64 (long mode) or ELF32 (real\n"
	"                      mode); with the Linux loader a bzImage or a vmlinux\n"
	"                      with a PVH note (told apart by content)\n"
	"  --initrd PATH       initial ramdisk of a Linux kernel\n"
	"  --cmdline STR       command line passed to the guest\n"
	"  --mem SIZE[,hugepages=on][,prefault=on]\n"
	"                      guest RAM, MiB or with K/M/G suffix (default 64M)\n"
	"  --cpus N            number of vCPUs (default 1)\n"
	"  --serial SPEC       console of the first serial device:\n"
	"                      stdio (default), none, file:PATH\n"
	"  --device SPEC       NAME[,KEY=VALUE...]; repeat for several instances\n"
	"  --disk PATH[,ro=on] a virtio_blk disk: a regular file or block device\n"
	"  --net tap=IFNAME|fd=N[,mac=MAC]\n"
	"                      a virtio_net NIC on an existing tap, or an open tap fd\n"
	"  --rng               a virtio_rng entropy device fed from /dev/urandom\n"
#if WISP_PASSTHRU
	"  --vfio ADDR         pass the host PCI function ADDR (0000:01:00.0, bound\n"
	"                      to vfio-pci) through to the guest (repeatable)\n"
#endif
#if WISP_CTL
	"  --api-sock PATH     serve the control socket (JSON lines) at PATH\n"
#endif
	"  --sandbox=all       run every device in its own sandboxed process\n"
	"                      (default: as the profile says, see --list-devices)\n"
	"  --user UID:GID      run the VM under these numeric ids\n"
	"  --chroot DIR        make DIR the root once everything is open\n"
	"  --jail              new mount/ipc/uts/net/pid (and user) namespaces,\n"
	"                      each as the host allows\n"
	"  --screenshot PATH   the display as PNG, at exit and on SIGUSR1\n"
	"  --rom PATH[,addr=GPA]  a read-only image; default: ending at 4 GiB\n"
	"  --list-devices      print the devices compiled into this binary\n"
	"  --help, --version\n"
	"Exit status: the guest's own status 0-63; wisp errors 64-79\n"
	"(see README); 128+N after signal N.\n";

enum { OPT_MEM = 256, OPT_CPUS, OPT_KERNEL, OPT_CMDLINE, OPT_SERIAL,
       OPT_DEVICE, OPT_LIST, OPT_HELP, OPT_VERSION, OPT_SANDBOX, OPT_USER, OPT_CHROOT, OPT_JAIL,
       OPT_SCREENSHOT, OPT_ROM, OPT_INITRD, OPT_DISK, OPT_NET, OPT_RNG, OPT_VFIO,
       OPT_API_SOCK };

static const struct option cli_opts[] = {
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "screenshot", required_argument, NULL, OPT_SCREENSHOT },
	{ "rom", required_argument, NULL, OPT_ROM },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "rng", no_argument, NULL, OPT_RNG },
#if WISP_PASSTHRU
	{ "vfio", required_argument, NULL, OPT_VFIO },
#endif
#if WISP_CTL
	{ "api-sock", required_argument, NULL, OPT_API_SOCK },
#endif
	{ "list-devices", no_argument, NULL, OPT_LIST },
	{ "sandbox", required_argument, NULL, OPT_SANDBOX },
	{ "user", required_argument, NULL, OPT_USER },
	{ "chroot", required_argument, NULL, OPT_CHROOT },
	{ "jail", no_argument, NULL, OPT_JAIL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ 0 },
};

static unsigned cli_parse_cpus(const char *s)
{
	uint64_t v;

	if (dev_parse_u64(s, false, &v) < 0 || v < 1 || v > CLI_MAX_CPUS)
		die(WISP_EXIT_USAGE, "--cpus: '%s' is not a number from 1 to %d",
		    s, CLI_MAX_CPUS);
	return (unsigned)v;
}

static void cli_add_device(struct vm_config *cfg, const char *spec)
{
	if (cfg->n_devs >= CLI_MAX_DEVICES)
		die(WISP_EXIT_USAGE, "--device: at most %d devices", CLI_MAX_DEVICES);
	cfg->dev_specs[cfg->n_devs++] = spec;
}

/* Numeric ids only: wisp reads no user database. 0:0 is allowed (it still
 * drops supplementary groups). */
static void cli_parse_user(struct vm_config *cfg, const char *s)
{
	char *end;
	const char *colon = strchr(s, ':');
	uint64_t uid, gid;

	if (!colon || dev_parse_u64(colon + 1, false, &gid) < 0)
		die(WISP_EXIT_USAGE, "--user: '%s' is not UID:GID (numbers)", s);
	uid = strtoull(s, &end, 10);
	if (end != colon || s == colon || uid >= 0xffffffffu ||
	    gid >= 0xffffffffu)
		die(WISP_EXIT_USAGE, "--user: '%s' is not UID:GID (numbers)", s);
	cfg->has_user = true;
	cfg->uid = (unsigned)uid;
	cfg->gid = (unsigned)gid;
}

static void cli_parse_chroot(struct vm_config *cfg, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		die(WISP_EXIT_NOINPUT, "--chroot: '%s' is not a directory", dir);
	cfg->chroot = dir;
}

#if WISP_PASSTHRU
/* --vfio ADDR: the form here (vfio_parse_addr), the host's preparation
 * when it is opened, before privileges drop. */
static void cli_parse_vfio(struct vm_config *cfg, const char *arg)
{
	char err[200], addr[VFIO_ADDR_LEN];

	if (vfio_parse_addr(arg, addr, err, sizeof(err)) < 0)
		die(WISP_EXIT_USAGE, "%s", err);
	for (unsigned i = 0; i < cfg->n_vfio; i++)
		if (!strcmp(cfg->vfio[i], addr))
			die(WISP_EXIT_USAGE, "--vfio %s: given twice", addr);
	if (cfg->n_vfio >= VM_MAX_VFIO)
		die(WISP_EXIT_USAGE, "--vfio: at most %d functions",
		    VM_MAX_VFIO);
	snprintf(cfg->vfio[cfg->n_vfio++], sizeof(cfg->vfio[0]), "%s", addr);
}
#endif

static void cli_one(struct vm_config *cfg, int c, const char *arg,
		    const char *bad)
{
	switch (c) {
	case OPT_MEM: cli_parse_mem_opts(cfg, arg); break;
	case OPT_CPUS: cfg->ncpus = cli_parse_cpus(arg); break;
	case OPT_KERNEL: cfg->kernel = arg; break;
	case OPT_CMDLINE: cfg->cmdline = arg; break;
	case OPT_INITRD: cfg->initrd = arg; break;
	case OPT_SERIAL: cfg->serial = arg; break;
	case OPT_DEVICE: cli_add_device(cfg, arg); break;
	case OPT_SANDBOX:
		if (strcmp(arg, "all"))
			die(WISP_EXIT_USAGE, "--sandbox: '%s' is not 'all'", arg);
		cfg->sandbox_all = true;
		break;
	case OPT_USER: cli_parse_user(cfg, arg); break;
	case OPT_CHROOT: cli_parse_chroot(cfg, arg); break;
	case OPT_JAIL: cfg->jail = true; break;
	case OPT_SCREENSHOT: cfg->screenshot = arg; break;
	case OPT_ROM: cli_parse_rom(cfg, arg); break;
	case OPT_DISK: cli_parse_disk(cfg, arg); break;
	case OPT_NET: cli_parse_net(cfg, arg); break;
	case OPT_RNG: cli_parse_rng(cfg); break;
#if WISP_PASSTHRU
	case OPT_VFIO: cli_parse_vfio(cfg, arg); break;
#endif
#if WISP_CTL
	case OPT_API_SOCK: cfg->api_sock = arg; break;
#endif
	case OPT_LIST: dev_list(STDOUT_FILENO); exit(WISP_EXIT_OK);
	case OPT_HELP: fputs(cli_usage, stdout); exit(WISP_EXIT_OK);
	case OPT_VERSION:
		printf("wisp %s (profile %s)\n", WISP_VERSION, WISP_PROFILE);
		exit(WISP_EXIT_OK);
	case ':': die(WISP_EXIT_USAGE, "option '%s' needs a value", bad);
	default: die(WISP_EXIT_USAGE, "unknown option '%s' (see --help)", bad);
	}
}

#ifdef WISP_LOADER_linux
/* A Linux kernel, by content; false: not one (a test image). */
static bool load_linux(struct vm *vm, int fd, uint64_t len)
{
	char err[256];
	struct linux_args a = { vm->cfg->cmdline ? vm->cfg->cmdline : "",
				-1, 0, vm->ncpus };

	if (linux_detect(fd, len) == LINUX_NONE)
		return false;
	if (vm->cfg->initrd)
		a.initrd_fd = image_open(vm->cfg->initrd, &a.initrd_len);
	if (loader_linux_load(&vm->mem, fd, len, &a, &vm->boot, err,
			      sizeof(err)) < 0)
		die(WISP_EXIT_IMAGE, "%s: %s", vm->cfg->kernel, err);
	if (a.initrd_fd >= 0)
		close(a.initrd_fd);
	return true;
}
#else
static bool load_linux(struct vm *vm, int fd, uint64_t len)
{
	return false; /* this profile has no Linux loader */
}
#endif

static void guest_memory(struct vm *vm)
{
	int rc = mem_init_opts(&vm->mem, vm->cfg->mem_size, &vm->cfg->mem_opts);

	if (rc < 0 && vm->cfg->mem_opts.hugepages)
		die(WISP_EXIT_OSERR, "guest memory: %llu MiB of 2 MiB huge pages "
		    "unavailable (%s); see /proc/sys/vm/nr_hugepages",
		    (unsigned long long)(vm->cfg->mem_size >> 20), strerror(-rc));
	if (rc < 0)
		die(WISP_EXIT_OSERR, "guest memory: %s", strerror(-rc));
	vm->mem.memfd = fd_pin(vm->mem.memfd, FD_MEM);
}

/* This CLI's guests: Linux kernels (loader_linux.c, when the profile has
 * it) and test images (loader_testimg.c). */
static void cli_load_guest(struct vm *vm)
{
	char err[256];
	uint64_t len;
	int fd = image_open(vm->cfg->kernel, &len);

	cli_attach_files(vm);
	guest_memory(vm);
	if (load_linux(vm, fd, len)) {
		close(fd);
		return;
	}
	if (vm->cfg->initrd)
		die(WISP_EXIT_USAGE, "--initrd: %s is not a Linux kernel%s",
		    vm->cfg->kernel, WISP_HAS_LINUX ? "" :
		    " (this build has no Linux loader: make PROFILE=linux)");
	if (loader_testimg_load(&vm->mem, fd, len, vm->cfg->cmdline, &vm->boot,
				err, sizeof(err)) < 0)
		die(WISP_EXIT_IMAGE, "%s: %s", vm->cfg->kernel, err);
	if (vm->boot.mode == BOOT_REAL16 && vm->ncpus > TESTIMG_REAL_MAX_VCPUS)
		die(WISP_EXIT_USAGE, "--cpus %u: a real-mode image runs on at most "
		    "%u vCPUs", vm->ncpus, TESTIMG_REAL_MAX_VCPUS);
	close(fd);
}

void cli_parse(int argc, char **argv, struct vm_config *cfg)
{
	int c;

	*cfg = (struct vm_config){ .mem_size = 64ull << 20, .ncpus = 1,
				   .serial = "stdio", .warn_root = true,
				   .load_guest = cli_load_guest,
				   .map_late = cli_load_roms };
	opterr = 0; /* getopt's own messages are not one clear line */
	while ((c = getopt_long(argc, argv, ":", cli_opts, NULL)) != -1)
		cli_one(cfg, c, optarg, argv[optind - 1]);
	if (optind < argc)
		die(WISP_EXIT_USAGE, "unexpected argument '%s' (see --help)",
		    argv[optind]);
	if (!cfg->kernel)
		die(WISP_EXIT_USAGE, "no guest image: --kernel PATH is required");
}
