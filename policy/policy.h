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
 * a compile error. `include NAME.inc` reads the rules of a file next to the
 * policy (rules several roles share, such as every device process's loop).
 * The arch check comes first; anything else kills the
 * process (SECCOMP_RET_KILL_PROCESS), or in the debug build traps to a
 * handler that names the syscall and fails it with ENOSYS.
 */
#ifndef WISP_POLICY_H
#define WISP_POLICY_H

#include <linux/filter.h>
#include <stddef.h>

/* wisp moves each long-lived fd to one of these numbers where it creates
 * it (jail/fd.c), so policies can name fds at build time. The vCPU and timer
 * blocks are aligned so one masked compare covers a block (libseccomp takes
 * one condition per argument): `a0 & FD_VCPU_MASK == FD_VCPU0`. */
#define FD_KVM 100
#define FD_VM 101
#define FD_STOP 102     /* eventfd: stop request */
#define FD_RXREADY 103  /* eventfd: console input room */
#define FD_MEM 104      /* guest RAM memfd (shared with device processes) */
#define FD_CONSOLE 105  /* console output when not stdout */
#define FD_SIGNAL 106   /* signalfd of the event loop */
#define FD_WATCHDOG 107 /* halt watchdog timerfd */
#define FD_EPOLL 108    /* the event loop's epoll */
#define FD_SCREENSHOT 109 /* --screenshot PATH, rewritten by each screenshot */
#define FD_POLL_EP 110  /* a device's wait set (hvt POLL): epoll */
#define FD_POLL_TIMER 111 /* and its timeout timerfd */
#define FD_DOORBELL 112 /* a device's ioeventfd (the hvt net ring kick) */
#define FD_SELF_EXE 113 /* wisp's own binary, opened before --chroot/--jail:
			 * device processes are exec'd from it */
/* The control plane (--api-sock, monitor/ctl/): its listening socket and
 * epoll, the mailbox to the main thread (a request, then its answer), the
 * event wake-up any thread writes, wisp's /proc/self/statm, the main
 * loop's second epoll while the VM is paused, and its clients. */
#define FD_CTL_LISTEN 92
#define FD_CTL_EPOLL 93
#define FD_CTL_REQ 94   /* eventfd: the control thread asks the main thread */
#define FD_CTL_ACK 95   /* eventfd: the main thread has answered */
#define FD_CTL_EVENT 96 /* eventfd: an event was posted (any thread) */
#define FD_CTL_STATM 97 /* /proc/self/statm, opened before the drop */
#define FD_EPOLL_PAUSED 98 /* the main loop's set while paused */
#define FD_CTL_CLI0 120 /* client n is FD_CTL_CLI0 + n, n < 8 (in wisp these
			 * numbers are free: FD_DPC_* exist only in a device
			 * process) */
#define FD_CTL_CLI_MASK 0xfffffffffffffff8
#define FD_CTL_CLI_MAX 8
#define FD_VCPU0 256    /* vCPU n is FD_VCPU0 + n, n < 256 */
#define FD_VCPU_LAST (FD_VCPU0 + 255)
#define FD_VCPU_MASK 0xffffffffffffff00
#define FD_TIMER0 512   /* device timer n is FD_TIMER0 + n, n < 128 */
#define FD_TIMER_MASK 0xffffffffffffff80
#define FD_TIMER_MAX 128
/* Host files (disk images, taps) attached to instances: file n of the VM
 * is FD_FILE0 + n, n < FD_FILE_MAX, the same number in wisp and in the
 * device process it is handed to. */
#define FD_FILE0 128
#define FD_FILE_MASK 0xffffffffffffffc0
#define FD_FILE_MAX 64
/* Doorbell eventfds (KVM_IOEVENTFD), FD_IOEV0 + n, n < FD_IOEV_MAX: read
 * by the main loop, or by the device process that owns one. */
#define FD_IOEV0 640
#define FD_IOEV_MASK 0xffffffffffffff80
#define FD_IOEV_MAX 128
/* Device processes, seen from wisp: sandboxed instance n owns the block
 * FD_DP0 + n * FD_DP_STRIDE: its pidfd, the eventfd that wakes it, the
 * eventfd by which it posts up-calls, and its irqfds (closed in wisp once
 * the child holds them). */
#define FD_DP0 768
#define FD_DP_MASK 0xffffffffffffff00
#define FD_DP_STRIDE 8
#define FD_DP_PIDFD 0
#define FD_DP_DOWN 1
#define FD_DP_UP 2
#define FD_DP_IRQ 3
#define FD_DP_SHM 7     /* the request page's memfd (and the handover) */
#define FD_DP_STATM 7   /* after the fork (the memfd closed): the process's
			 * /proc/PID/statm, for the control plane's RSS */
#define FD_DP_MAX 32
/* MSI-X vectors' eventfds (irqfds), FD_MSIX0 + n for the vector whose GSI
 * is PCI_MSI_GSI0 + n (pci/pci.h), n < 64: written by wisp (a device's
 * msix_notify, a pending vector unmasked) and by the device process of the
 * function, which gets them under the same numbers. (The block after the
 * host files': every fixed fd stays below the usual limit of 1024.) */
#define FD_MSIX0 192
#define FD_MSIX_MASK 0xffffffffffffffc0
#define FD_MSIX_MAX 64
/* VFIO (profiles with PASSTHRU=1): passed-through function n < 4 has its
 * device fd at FD_VFIO_DEV0 + n (BAR and config accesses, interrupts,
 * reset), its container at FD_VFIO_CONT0 + n (the DMA map) and its group
 * at FD_VFIO_GROUP0 + n; each block of 4 is one masked compare. They are
 * opened first of all, while the low numbers are still free. */
#define FD_VFIO_DEV0 80
#define FD_VFIO_CONT0 84
#define FD_VFIO_GROUP0 88
#define FD_VFIO_MASK 0xfffffffffffffffc
#define FD_VFIO_MAX 4
/* ...and seen from inside a device process, whichever instance it is. */
#define FD_DPC_DOWN 120  /* eventfd: a request is waiting */
#define FD_DPC_UP 121    /* eventfd: wisp, serve my up-call */
#define FD_DPC_EPOLL 122 /* the device process's loop */
#define FD_DPC_IRQ0 124  /* irqfds, one per claimed line, up to 4 */
#define FD_DPC_IRQ_MASK 0xfffffffffffffffc
/* Handed over at the exec, mapped and closed before the filter goes on. */
#define FD_DPC_SHM 123     /* the request page memfd; the handover after it */
#define FD_DPC_MMIO2_0 114 /* its MMIO2 regions' memfds, up to 4 */
#define FD_DPC_FIRST 114   /* the numbers wisp moves fds to before the exec */
#define FD_DPC_LAST 127

/* The signal that kicks a vCPU out of KVM_RUN: a realtime signal free in
 * musl (SIGRTMIN is 35 there), fixed so the main policy can name it. */
#define WISP_SIG_KICK 40

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
