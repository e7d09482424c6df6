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

#endif
