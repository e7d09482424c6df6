/*
 * tests/guests/idle.S - an idle VM for the control socket's benchmark
 * (tests/bench/ctlbench.c): it masks both 8259s (no interrupt source is
 * programmed, and a stray one would find no IDT), writes a testdev mark so
 * the benchmark knows it is up, and then sleeps in hlt with interrupts on,
 * for ever: a vCPU blocked in KVM_RUN, no exits.
 */
	.code64
	.section .text.start, "ax"
	.globl _start
_start:
	mov $0xff, %al
	outb %al, $0x21
	outb %al, $0xa1
	outb %al, $0xe4
	sti
1:	hlt
	jmp 1b
