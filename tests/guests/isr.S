/*
 * tests/guests/isr.S - interrupt entry stubs for 64-bit guests. Stub n
 * pushes n and jumps to a common path that saves the caller-saved
 * registers (and rbx, which it uses) (guests are built -mgeneral-regs-only, so no SSE state) and
 * calls isr_dispatch(vector). Exceptions that push an error code never
 * return here (the C side exits), so one frame layout serves all vectors.
 */
	.code64
	.text
	.globl isr_stubs
	.balign 16
isr_stubs:
	vec = 0
	.rept 256
	.balign 16
	pushq $vec
	jmp isr_common
	vec = vec + 1
	.endr

isr_common:
	push %rbx			/* callee-saved, but used below */
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	mov 80(%rsp), %rdi		/* the vector the stub pushed */
	mov %rsp, %rbx
	and $-16, %rsp			/* the ABI's call alignment */
	call isr_dispatch
	mov %rbx, %rsp
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	pop %rbx
	add $8, %rsp			/* the vector */
	iretq
