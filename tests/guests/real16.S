/*
 * tests/guests/real16.S - a 16-bit real-mode guest: prints a line over the
 * UART and exits 0. Loaded at 0x10000: the monitor enters with CS = 0x1000
 * (IP = 0) and DS = ES = SS = 0, so own data is read through %cs and the
 * command line (dx, a physical address below 64 KiB) through %ds.
 * Only vCPU 0 (di = 0) prints; the others wait with interrupts off.
 */
	.code16
	.section .text.start, "ax"
	.globl _start
_start:
	cli
	test %di, %di
	jnz park
	mov %dx, %bx			/* command line, 0 if none */
	mov $(msg - _start), %si
	call puts_cs
	test %bx, %bx
	jz 1f
	mov $(cmd - _start), %si
	call puts_cs
	mov %bx, %si
	call puts_ds
	mov $(nl - _start), %si
	call puts_cs
1:	mov $0xf4, %dx
	xor %eax, %eax
	outl %eax, %dx
2:	hlt
	jmp 2b

park:	pause
	jmp park

/* print the NUL-terminated string at %cs:%si */
puts_cs:
	movb %cs:(%si), %al
	test %al, %al
	jz 9f
	call putc
	inc %si
	jmp puts_cs
9:	ret

/* print the NUL-terminated string at %ds:%si */
puts_ds:
	movb (%si), %al
	test %al, %al
	jz 9f
	call putc
	inc %si
	jmp puts_ds
9:	ret

/* write %al to the UART once its transmitter is empty (bounded wait) */
putc:
	mov %al, %ah
	mov $0x3fd, %dx
	mov $0xffff, %cx
1:	in %dx, %al
	test $0x20, %al
	jnz 2f
	loop 1b
2:	mov $0x3f8, %dx
	mov %ah, %al
	out %al, %dx
	ret

msg:	.asciz "real16: hello from 16-bit real mode\r\n"
cmd:	.asciz "real16: command line: "
nl:	.asciz "\r\n"
