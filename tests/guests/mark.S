/*
 * tests/guests/mark.S - the startup benchmark's guest: its very first
 * instruction writes a testdev mark (wisp logs "mark <value> t=<ns>"),
 * then it exits 0.
 */
	.code64
	.section .text.start, "ax"
	.globl _start
_start:
	outb %al, $0xe4
	mov $0xf4, %dx
	xor %eax, %eax
	outl %eax, %dx
1:	hlt
	jmp 1b
