/*
 * tests/guests/start.S - long-mode entry for the C guests. The monitor
 * enters here on every vCPU with rdi = index, rsi = count, rdx = command
 * line (0: none) and rsp = this vCPU's stack top, 16-byte aligned: exactly
 * main's arguments, so the call needs no shuffling.
 */
	.section .text.start, "ax"
	.globl _start
	.code64
_start:
	cld
	call main
	mov %eax, %edi
	call guest_exit
1:	cli
	hlt
	jmp 1b
