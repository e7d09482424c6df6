/*
 * monitor/boot/acpi.h - ACPI tables for Linux guests (acpi.c): where they go, the
 * ports of the power-management registers the FADT names (the pm device,
 * devices/pm.c, owns them), and the DSDT compiled at build time by iasl
 * from monitor/dsdt.asl (the Makefile's $(B)/dsdt.c).
 */
#ifndef WISP_ACPI_H
#define WISP_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

/* Hardware-reduced ACPI's registers, byte-wide I/O ports (pm device). */
#define ACPI_PM_SLEEP_CONTROL_PORT 0x3c0
#define ACPI_PM_SLEEP_STATUS_PORT 0x3c1
#define ACPI_PM_RESET_PORT 0x3c2
#define ACPI_PM_RESET_VALUE 0x01
#define ACPI_S5_SLP_TYP 5 /* \_S5's first value in dsdt.asl */

extern const unsigned char *const acpi_dsdt_aml;
extern const size_t acpi_dsdt_len;

/* Write RSDP, XSDT, FADT, MADT (ncpus local APICs) and DSDT into guest RAM
 * at 0xe0000, and at the reset vector (0xffff0) code that writes the reset
 * register; *rsdp gets the RSDP's address. 0, or -1 when that area is
 * not RAM or ncpus is not 1-255. */
int acpi_build(const struct mem *m, unsigned ncpus, uint64_t *rsdp);

#endif
