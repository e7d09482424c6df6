/*
 * monitor/testimg_layout.h - the one layout fact loader_testimg.c and
 * cpu_x86.c must agree on beyond loader.h: how many per-vCPU stacks sit at
 * the top of low RAM. The loader keeps segments out of that area, and
 * cpu_boot_setup refuses a vCPU index whose stack would fall outside it.
 */
#ifndef WISP_TESTIMG_LAYOUT_H
#define WISP_TESTIMG_LAYOUT_H

#include "loader.h"

#define TESTIMG_MAX_VCPUS 256u /* covers the CLI's --cpus range */
#define TESTIMG_STACK_AREA (TESTIMG_MAX_VCPUS * TESTIMG_STACK_SIZE)

/* Real mode: stacks grow down from here, 0x200 bytes each, 32 of them,
 * ending above the boot GDT/page-table area, below the command line. */
#define TESTIMG_REAL_STACK_TOP 0x8000ull
#define TESTIMG_REAL_STACK_SIZE 0x200ull
#define TESTIMG_REAL_MAX_VCPUS 32u

#endif
