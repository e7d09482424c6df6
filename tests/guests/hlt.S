/*
 * tests/guests/hlt.S - halts with interrupts disabled: nothing can ever
 * wake it, so wisp should end the VM (exit 72) rather than wait forever.
 */
	.code64
	.section .text.start, "ax"
	.globl _start
_start:
	cli
	hlt
	/* woken after all: report it */
	mov $0xf4, %dx
	mov $1, %eax
	outl %eax, %dx
1:	jmp 1b
