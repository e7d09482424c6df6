/*
 * tests/guests/guest.h - the small library the long-mode test guests share:
 * port and MMIO accessors of each size, the UART console, the debug-exit
 * port and command-line parsing. Freestanding: no libc, no SSE.
 *
 * Entry (monitor/boot/loader.h): start.S calls main(vCPU index, vCPU count,
 * command line or NULL) on this vCPU's own stack; main's return value is
 * the exit status.
 */
#ifndef WISP_GUEST_H
#define WISP_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEBUG_EXIT_PORT 0xf4
#define UART0_BASE 0x3f8
#define TESTDEV_PORT 0xe0
#define TESTDEV_MMIO 0xd0000000ull
#define TESTDEV_MMIO_SIZE 0x1000ull
#define UNCLAIMED_PORT 0x1000 /* a port range no profile claims */
#define UNCLAIMED_MMIO 0xd0100000ull

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* MMIO: one volatile access of exactly the named size. */
#define MMIO_ACCESSORS(bits)                                               \
	static inline uint##bits##_t mmio_read##bits(uint64_t a)           \
	{                                                                  \
		return *(volatile uint##bits##_t *)(uintptr_t)a;           \
	}                                                                  \
	static inline void mmio_write##bits(uint64_t a, uint##bits##_t v) \
	{                                                                  \
		*(volatile uint##bits##_t *)(uintptr_t)a = v;              \
	}
MMIO_ACCESSORS(8)
MMIO_ACCESSORS(16)
MMIO_ACCESSORS(32)
MMIO_ACCESSORS(64)

static inline void cpu_pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* Ends the VM: wisp exits with `status` (0..63; above 63 gives 67). */
__attribute__((noreturn)) void guest_exit(uint32_t status);

/* UART 0 console, polled. Harmless without a UART: unclaimed ports read
 * all ones, so the transmitter looks empty and writes are dropped. */
void uart_putc(char c);
void uart_puts(const char *s);
void uart_putdec(uint64_t v);
void uart_puthex(uint64_t v);

/* Prints "<name>: check <code> failed: <what>" and exits with code. */
__attribute__((noreturn)) void fail(const char *name, unsigned code,
				    const char *what);
#define CHECK(name, code, cond) \
	do { if (!(cond)) fail(name, code, #cond); } while (0)

/* Command line: whitespace-separated words. NULL cmdline means empty. */
bool cmdline_has(const char *cmdline, const char *word);
/* Decimal value of the first word, or of "key=N"; dflt when absent.
 * *ok (may be NULL) is cleared when the text is not a decimal number. */
uint64_t cmdline_u64(const char *cmdline, const char *key, uint64_t dflt,
		     bool *ok);

/* wisp's ECAM window (bus 0): config space of device `slot` at reg. */
#define ECAM 0xe0000000ull
static inline uint64_t ecam(unsigned slot, unsigned reg)
{
	return ECAM + ((uint64_t)slot << 15) + reg;
}

/* Whether cond becomes true within a bounded spin (SPIN pauses; no time
 * base: the test never depends on how fast the machine is), interrupts
 * on meanwhile. */
#define SPIN 20000000u
#define WAIT_FOR(cond) ({ uint32_t _n = 0; \
	__asm__ volatile("sti" ::: "memory"); \
	while (!(cond) && ++_n < SPIN) cpu_pause(); \
	__asm__ volatile("cli" ::: "memory"); (cond); })

/* PCI configuration mechanism #1 (ports 0xcf8/0xcfc), bus 0. */
uint32_t c1_read(unsigned slot, unsigned reg);
void c1_write(unsigned slot, unsigned reg, uint32_t v);

/* idt.c (guests built with isr idt): every vector to isr.S's stubs, which
 * call the guest's isr_dispatch(vector). */
void idt_init(void);
void lapic_enable(void);
void isr_dispatch(uint64_t vec);

#endif
