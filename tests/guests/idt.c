/*
 * tests/guests/idt.c - an IDT whose 256 gates all lead to isr.S's stubs
 * (and from there to the guest's own isr_dispatch), for the guests that
 * take interrupts (GUEST_EXTRA_<name> := isr idt).
 */
#include "guest.h"

struct idt_entry {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static struct idt_entry idt[256];
extern char isr_stubs[];

void idt_init(void)
{
	uint16_t cs;
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) r;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (unsigned v = 0; v < 256; v++) {
		uint64_t a = (uint64_t)(uintptr_t)(isr_stubs + 16 * v);
		idt[v] = (struct idt_entry){
			.off0 = (uint16_t)a, .sel = cs, .type = 0x8e,
			.off1 = (uint16_t)(a >> 16), .off2 = (uint32_t)(a >> 32),
		};
	}
	r.limit = sizeof(idt) - 1;
	r.base = (uint64_t)(uintptr_t)idt;
	__asm__ volatile("lidt %0" : : "m"(r));
}

/* The local APIC software-enabled (spurious vector 0xff), for MSIs. */
void lapic_enable(void)
{
	mmio_write32(0xfee000f0ull, 0x1ff);
}
