/*
 * tests/hvt/start.S - hvt entry: rdi = the boot info's GPA, rsp = top of
 * guest memory - 8, interrupts off, no IDT. Calls hvt_main(boot info) on a
 * 16-byte aligned stack and halts with its return value.
 */
	.section .text.start, "ax"
	.globl _start
	.code64
_start:
	cld
	and $-16, %rsp
	call hvt_main
	mov %eax, %edi
	call hvt_exit
1:	jmp 1b
