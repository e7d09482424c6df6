/*
 * tests/guests/spin.S - runs forever, for the signal tests. Its first
 * instruction writes a testdev mark, so a test can tell it has started;
 * vCPU 0 then spins, the others too.
 */
	.code64
	.section .text.start, "ax"
	.globl _start
_start:
	outb %al, $0xe4
1:	pause
	jmp 1b
