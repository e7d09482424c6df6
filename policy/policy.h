/*
 * policy/policy.h - seccomp policies compiled at build time.
 *
 * policy/<role>.policy files are compiled by policy/compile (a host tool
 * linked with libseccomp) into build/<profile>/policies.c: one BPF program
 * per role, embedded as const data. The monitor installs them with the plain
 * seccomp() syscall; libseccomp is never linked into wisp.
 *
 * Policy file format, one rule per line, '#' starts a comment:
 *   SYSCALL [COND [COND...]]   # why it is needed (required)
 * COND is `aN OP VALUE` or `aN & MASK == VALUE`, N in 0..5, OP one of
 * == != < <= > >=; conditions on one line are ANDed, several lines for one
 * syscall are ORed. VALUE is a number or a name the compiler knows: ioctl
 * requests (KVM_RUN, ...), PROT_/MAP_/O_ flags, and wisp's fixed fd numbers
 * (FD_KVM, FD_VM, FD_VCPU0, ...; see below). A rule without its comment is
 * a compile error. The arch check comes first; anything else kills the
 * process (SECCOMP_RET_KILL_PROCESS), or in the debug build traps to a
 * handler that names the syscall and fails it with ENOSYS.
 */
#ifndef WISP_POLICY_H
#define WISP_POLICY_H

#include <linux/filter.h>
#include <stddef.h>

/* wisp moves its long-lived fds to these numbers before any filter is
 * installed, so policies can name them at build time. */
#define FD_KVM 100
#define FD_VM 101
#define FD_STOP 102   /* eventfd: stop request */
#define FD_RXREADY 103 /* eventfd: console input room */
#define FD_MEM 104    /* guest RAM memfd */
#define FD_VCPU0 128  /* vCPU n is FD_VCPU0 + n */
#define FD_VCPU_LAST (FD_VCPU0 + 255)

struct wisp_policy {
	const char *name;               /* role: "main", "vcpu", "dev_uart" */
	const struct sock_filter *insns;
	unsigned short len;
	unsigned n_syscalls;            /* distinct syscalls allowed */
};

/* Generated: every role compiled for this binary (NULL-terminated). */
extern const struct wisp_policy *const wisp_policies[];

/* Generated: syscall names by number for the debug build's messages. */
extern const char *const wisp_syscall_names[];
extern const unsigned wisp_syscall_names_len;

/* The policy for a role, or NULL. */
const struct wisp_policy *policy_find(const char *role);

#endif
