/*
 * tests/guests/triple.S - a deliberate triple fault: with an empty IDT,
 * ud2 raises #UD, whose delivery raises #GP, then #DF, which shuts the vCPU
 * down (KVM_EXIT_SHUTDOWN; wisp exits 73). Not int3: the host's instruction
 * emulator implements software interrupts in real mode only, and fails
 * with an emulation error (KVM_EXIT_INTERNAL_ERROR) in long mode.
 */
	.code64
	.section .text.start, "ax"
	.globl _start
_start:
	lidt empty_idtr
	ud2
	/* not reached: report the surprise */
	mov $0xf4, %dx
	mov $1, %eax
	outl %eax, %dx
1:	hlt
	jmp 1b

	.section .rodata
empty_idtr:
	.word 0
	.quad 0
