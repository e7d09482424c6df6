/* monitor/cli/cli.h - command-line parsing into a struct vm_config. */
#ifndef WISP_CLI_H
#define WISP_CLI_H

#include <stdint.h>

#include "core/vm.h"

#define CLI_MEM_MIN (2ull << 20)
#define CLI_MAX_CPUS VM_MAX_CPUS
#define CLI_MAX_DEVICES VM_MAX_DEVICES

/* Parse argv into cfg (defaults filled in). Exits with WISP_EXIT_USAGE and
 * one line for any bad option; handles --help/--version/--list-devices. */
void cli_parse(int argc, char **argv, struct vm_config *cfg);

/* --mem's size syntax, validated against limits and host RAM. */
uint64_t cli_parse_mem(const char *s);
/* --mem SIZE[,hugepages=on|off][,prefault=on|off] into cfg (memopt.c). */
void cli_parse_mem_opts(struct vm_config *cfg, const char *arg);
/* --rom PATH[,addr=GPA] into cfg, and the images into the guest-physical
 * map once RAM exists (cli_rom.c); overlaps are bad input (64). */
void cli_parse_rom(struct vm_config *cfg, const char *arg);
void cli_load_roms(struct vm *vm);

/* --disk PATH[,ro=on|off], --net tap=IFNAME|fd=N[,mac=MAC], --rng
 * (cli_virtio.c): each adds an instance of virtio_blk, virtio_net or
 * virtio_rng to cfg and opens its host file (key 0) now; dies with one
 * line (64; 66 for a disk that cannot be opened; 71 for a host failure)
 * when the profile has no such device or the input is bad.
 * cli_attach_files hands the files to the instances once they exist. */
void cli_parse_disk(struct vm_config *cfg, const char *arg);
void cli_parse_net(struct vm_config *cfg, const char *arg);
void cli_parse_rng(struct vm_config *cfg);
void cli_attach_files(struct vm *vm);
/* Their parts, each 0 or a WISP_EXIT_* code with one line in err. */
enum { CLI_NET_TAP, CLI_NET_FD, CLI_NET_MAC, CLI_NET_KEYS };
struct cli_net {
	const char *val[CLI_NET_KEYS]; /* into the argument, not terminated */
	size_t len[CLI_NET_KEYS];
};
int cli_disk_split(const char *arg, char *path, size_t pathlen, bool *ro,
		   char *err, size_t errlen);
int cli_disk_open(const char *path, bool ro, int *fd, char *err,
		  size_t errlen);
int cli_net_split(const char *arg, struct cli_net *n, char *err,
		  size_t errlen);
int cli_tap_open(const struct cli_net *n, int *fd, char *err, size_t errlen);
/* 0 for a unicast MAC written xx:xx:xx:xx:xx:xx, else -1. */
int cli_mac_check(const char *s);

#endif
