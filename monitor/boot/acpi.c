/*
 * monitor/boot/acpi.c - the ACPI tables a Linux guest reads (acpi.h): RSDP, XSDT,
 * a hardware-reduced FADT (no PM timer, no SCI, no fixed buttons: power-off
 * through the sleep control register, reboot through the reset register,
 * both the pm device's ports), a MADT with one local APIC per vCPU and
 * KVM's IOAPIC, the DSDT compiled from monitor/dsdt.asl by iasl at
 * build time and, with a PCI bus (WISP_PCI), an MCFG naming its ECAM
 * (bus 0 only; the DSDT's PCI0 is the root bridge). Built once per VM in the BIOS area below 1 MiB, which the
 * e820 map reserves, with the firmware's one duty left, the reset vector
 * (reset_vector below).
 */
#include <string.h>

#include "boot/acpi.h"

#ifndef WISP_PCI
#define WISP_PCI 0
#endif

#define ACPI_BASE 0xe0000ull
#define ACPI_END 0xffff0ull      /* the reset vector's 16 bytes follow */
#define RESET_VECTOR 0xffff0ull  /* F000:FFF0, where a CPU reset starts */
#define ACPI_OEM "WISP  "

#define FADT_LEN 276
#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PWR_BUTTON (1u << 4) /* set: no fixed power button */
#define FADT_F_SLP_BUTTON (1u << 5)
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_HW_REDUCED (1u << 20)
#define BOOT_ARCH_8042 (1u << 1)      /* Linux probes the i8042 only then */
#define BOOT_ARCH_NO_VGA (1u << 2)
#define RTC_CENTURY 0x32             /* CMOS index of the century */

#define MADT_PCAT_COMPAT 1u
#define LAPIC_BASE 0xfee00000u
#define IOAPIC_BASE 0xfec00000u

/* A Generic Address Structure for a byte-wide I/O port. */
struct gas {
	uint8_t space, bit_width, bit_offset, access_size;
	uint64_t address;
} __attribute__((packed));

struct acpi_alloc {
	const struct mem *m;
	uint64_t next;
};

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum += *p++;
	return (uint8_t)-sum;
}

/* n bytes of zeroed table space, 16-byte aligned; NULL past the area. */
static uint8_t *alloc(struct acpi_alloc *a, size_t n, uint64_t *gpa)
{
	uint64_t at = (a->next + 15) & ~15ull;
	uint8_t *p = at + n <= ACPI_END ? mem_gpa_ptr(a->m, at, n) : NULL;

	if (p) {
		memset(p, 0, n);
		*gpa = at;
		a->next = at + n;
	}
	return p;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	memcpy(t + 4, &len, 4);
	t[8] = rev;
	memcpy(t + 10, ACPI_OEM, 6);
	memcpy(t + 16, "WISP", 4);
	memcpy(t + 20, sig, 4); /* OEM table id: WISP<sig> */
	memcpy(t + 28, "WISP", 4);
	t[9] = checksum(t, len);
}

static void put_gas(uint8_t *p, uint16_t port)
{
	struct gas g = { .space = 1, .bit_width = 8, .access_size = 1,
			 .address = port };

	memcpy(p, &g, sizeof(g));
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static int fadt(struct acpi_alloc *a, uint64_t dsdt, uint64_t *gpa)
{
	uint8_t *t = alloc(a, FADT_LEN, gpa);
	uint32_t flags = FADT_F_WBINVD | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON |
			 FADT_F_RESET_REG_SUP | FADT_F_HW_REDUCED;
	uint16_t arch = BOOT_ARCH_8042 | BOOT_ARCH_NO_VGA;

	if (!t)
		return -1;
	put32(t + 40, (uint32_t)dsdt);
	t[108] = RTC_CENTURY;
	memcpy(t + 109, &arch, 2);
	put32(t + 112, flags);
	put_gas(t + 116, ACPI_PM_RESET_PORT);
	t[128] = ACPI_PM_RESET_VALUE;
	t[131] = 0; /* FADT minor version: 6.0 */
	put64(t + 140, dsdt);
	put_gas(t + 244, ACPI_PM_SLEEP_CONTROL_PORT);
	put_gas(t + 256, ACPI_PM_SLEEP_STATUS_PORT);
	memcpy(t + 268, "WISPWISP", 8); /* hypervisor vendor identity */
	header(t, "FACP", FADT_LEN, 6);
	return 0;
}

static int madt(struct acpi_alloc *a, unsigned ncpus, uint64_t *gpa)
{
	uint32_t len = 44 + 8 * ncpus + 12;
	uint8_t *t = alloc(a, len, gpa), *e;

	if (!t)
		return -1;
	put32(t + 36, LAPIC_BASE);
	put32(t + 40, MADT_PCAT_COMPAT);
	e = t + 44;
	for (unsigned i = 0; i < ncpus; i++, e += 8) {
		e[0] = 0; /* processor local APIC */
		e[1] = 8;
		e[2] = (uint8_t)i; /* ACPI processor UID */
		e[3] = (uint8_t)i; /* APIC ID: CPUID's, vcpu.c */
		put32(e + 4, 1);   /* enabled */
	}
	e[0] = 1; /* IOAPIC: KVM's, GSI 0-23 */
	e[1] = 12;
	e[2] = (uint8_t)ncpus;
	put32(e + 4, IOAPIC_BASE);
	put32(e + 8, 0);
	header(t, "APIC", len, 5);
	return 0;
}

static int xsdt(struct acpi_alloc *a, const uint64_t *tables, unsigned n,
		uint64_t *gpa)
{
	uint32_t len = 36 + 8 * n;
	uint8_t *t = alloc(a, len, gpa);

	if (!t)
		return -1;
	for (unsigned i = 0; i < n; i++)
		put64(t + 36 + 8 * i, tables[i]);
	header(t, "XSDT", len, 1);
	return 0;
}

static int rsdp(struct acpi_alloc *a, uint64_t xsdt_gpa, uint64_t *gpa)
{
	uint8_t *t = alloc(a, 36, gpa);
	uint32_t len = 36;

	if (!t)
		return -1;
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, ACPI_OEM, 6);
	t[15] = 2; /* revision: XSDT */
	memcpy(t + 20, &len, 4);
	put64(t + 24, xsdt_gpa);
	t[8] = checksum(t, 20);
	t[32] = checksum(t, 36);
	return 0;
}

/* The ECAM of segment 0, buses 0-0 (pci/pci.h). */
static int mcfg(struct acpi_alloc *a, uint64_t *gpa)
{
	uint32_t len = 44 + 16;
	uint8_t *t = alloc(a, len, gpa);

	if (!t)
		return -1;
	put64(t + 44, MEM_PCI_ECAM);
	t[44 + 8] = 0; /* segment 0 (2 bytes) */
	t[44 + 10] = 0; /* start bus */
	t[44 + 11] = (uint8_t)(MEM_PCI_ECAM_SIZE / (1u << 20) - 1); /* end bus */
	header(t, "MCFG", len, 1);
	return 0;
}

static int dsdt(struct acpi_alloc *a, uint64_t *gpa)
{
	uint8_t *t = alloc(a, acpi_dsdt_len, gpa);

	if (!t)
		return -1;
	memcpy(t, acpi_dsdt_aml, acpi_dsdt_len);
	return 0;
}

/*
 * What a BIOS does when entered at its reset vector: reset the platform,
 * here through the FADT's reset register (the pm device ends the VM,
 * exit 80). Linux needs it: a hardware-reduced FADT makes its reboot_init
 * choose EFI's ResetSystem (efi_reboot_required), which without EFI falls
 * through to BOOT_BIOS, machine_real_restart's far jump to F000:FFF0;
 * the ACPI and i8042 resets it would have tried are never reached, and
 * with nothing there the guest hung. Real-mode code:
 *   mov al, RESET_VALUE; mov dx, RESET_PORT; out dx, al; 1: hlt; jmp 1b
 */
static int reset_vector(const struct mem *m)
{
	static const uint8_t code[16] = {
		0xb0, ACPI_PM_RESET_VALUE,
		0xba, ACPI_PM_RESET_PORT & 0xff, ACPI_PM_RESET_PORT >> 8,
		0xee, 0xf4, 0xeb, 0xfd,
	};
	uint8_t *p = mem_gpa_ptr(m, RESET_VECTOR, sizeof(code));

	if (!p)
		return -1;
	memcpy(p, code, sizeof(code));
	return 0;
}

int acpi_build(const struct mem *m, unsigned ncpus, uint64_t *rsdp_gpa)
{
	struct acpi_alloc a = { m, ACPI_BASE };
	uint64_t tables[3], dsdt_gpa, xsdt_gpa;
	unsigned n = WISP_PCI ? 3 : 2;

	/* The RSDP first: Linux also finds it by scanning 0xe0000 up. */
	if (ncpus < 1 || ncpus > 255 || rsdp(&a, 0, rsdp_gpa) < 0 ||
	    dsdt(&a, &dsdt_gpa) < 0 || fadt(&a, dsdt_gpa, &tables[0]) < 0 ||
	    madt(&a, ncpus, &tables[1]) < 0 ||
	    (WISP_PCI && mcfg(&a, &tables[2]) < 0) ||
	    xsdt(&a, tables, n, &xsdt_gpa) < 0 || reset_vector(m) < 0)
		return -1;
	return rsdp(&(struct acpi_alloc){ m, *rsdp_gpa }, xsdt_gpa, rsdp_gpa);
}
