/*
 * policy/compile.c - the build-time seccomp policy compiler (host tool).
 *
 *   policy-compile [--debug] [-o OUT.c] ROLE.policy...
 *       write one C file holding every role's BPF program, wisp_policies[],
 *       wisp_syscall_names[] and policy_find() (see policy.h)
 *   policy-compile --check [--max N] ROLE.policy...
 *       print each role's syscalls, libseccomp's pseudo-code and the raw BPF,
 *       and fail if a role allows more than N (25) syscalls, an ioctl rule
 *       leaves the request (a1) open, or an mmap/mprotect/pkey_mprotect rule
 *       can allow PROT_EXEC
 *
 * The role is the file's basename. The format is policy.h's; this compiler
 * also fixes what that text leaves open:
 *   - tokens need no spaces around operators (`a1==KVM_RUN` is fine);
 *   - numbers are decimal or 0x hex, optionally negative (-1 is 2^64-1, how
 *     an int -1 reaches the kernel); a leading 0 (`0700`) is an error rather
 *     than octal; VALUE and MASK may be `A|B|C`;
 *   - comparisons are unsigned 64-bit, except `ioctl a1 == V`, which
 *     compares the low 32 bits: the kernel takes the request as an unsigned
 *     int, and musl's ioctl(int, int, ...) sign-extends every request with
 *     bit 31 set (all _IOR/_IOWR, e.g. KVM_GET_REGS);
 *   - one condition per argument and rule (a libseccomp limit), an
 *     identical rule twice, or an unconditional rule next to conditional
 *     ones for the same syscall are errors;
 *   - the '#' comment must hold some text;
 *   - the first line naming a syscall sets its priority: earlier syscalls
 *     are checked first in the filter (put hot ones such as ioctl first).
 * Errors print `FILE:LINE: message` and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/falloc.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <linux/vfio.h>
#include <sched.h>
#include <sys/socket.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"

#define MAX_SYSCALLS_DEFAULT 25
#define MAX_LINE 1024
#define MAX_TOKENS 64
#define MAX_ROLE 64
#define SYSCALL_NR_SCAN 1024 /* x86_64 numbers to try for the name table */
#define IOCTL_REQ_MASK 0xffffffffULL

/* ---- names a VALUE may use ---------------------------------------------- */

struct name {
	const char *name;
	uint64_t value;
};

#define N(x) { #x, (uint64_t)(x) }
static const struct name names[] = {
	/* wisp's fixed fds (policy.h) */
	N(FD_KVM), N(FD_VM), N(FD_STOP), N(FD_RXREADY), N(FD_MEM),
	N(FD_CONSOLE), N(FD_SIGNAL), N(FD_WATCHDOG), N(FD_EPOLL), N(FD_SCREENSHOT),
	N(FD_VCPU0), N(FD_VCPU_LAST), N(FD_VCPU_MASK), N(FD_TIMER0),
	N(FD_TIMER_MASK), N(WISP_SIG_KICK), N(FD_DP0), N(FD_DP_MASK), N(FD_IOEV0), N(FD_IOEV_MASK),
	N(FD_DPC_DOWN), N(FD_DPC_UP), N(FD_DPC_EPOLL), N(FD_DPC_IRQ0),
	N(FD_DPC_IRQ_MASK), { "P_PIDFD", 3 }, N(WEXITED),
	N(FD_POLL_EP), N(FD_POLL_TIMER), N(FD_DOORBELL),
	N(FD_FILE0), N(FD_FILE_MASK), N(FD_MSIX0), N(FD_MSIX_MASK),
	N(FD_VFIO_DEV0), N(FD_VFIO_CONT0), N(FD_VFIO_GROUP0), N(FD_VFIO_MASK),
	N(FD_CTL_LISTEN), N(FD_CTL_EPOLL), N(FD_CTL_REQ), N(FD_CTL_ACK),
	N(FD_CTL_EVENT), N(FD_CTL_STATM), N(FD_EPOLL_PAUSED), N(FD_CTL_CLI0),
	N(FD_CTL_CLI_MASK), N(SOL_SOCKET), N(SO_PEERCRED),
	N(STDIN_FILENO), N(STDOUT_FILENO), N(STDERR_FILENO), N(AT_FDCWD),
	/* KVM ioctls on /dev/kvm, the VM fd and vCPU fds */
	N(KVM_GET_API_VERSION), N(KVM_CREATE_VM), N(KVM_CHECK_EXTENSION),
	N(KVM_GET_VCPU_MMAP_SIZE), N(KVM_GET_SUPPORTED_CPUID),
	N(KVM_GET_MSR_INDEX_LIST), N(KVM_CREATE_VCPU),
	N(KVM_SET_USER_MEMORY_REGION), N(KVM_SET_TSS_ADDR),
	N(KVM_SET_IDENTITY_MAP_ADDR), N(KVM_CREATE_IRQCHIP), N(KVM_CREATE_PIT2),
	N(KVM_IRQ_LINE), N(KVM_IRQ_LINE_STATUS), N(KVM_IOEVENTFD), N(KVM_IRQFD),
	N(KVM_SET_GSI_ROUTING), N(KVM_SIGNAL_MSI), N(KVM_GET_DIRTY_LOG),
	N(KVM_CLEAR_DIRTY_LOG), N(KVM_ENABLE_CAP), N(KVM_GET_CLOCK),
	N(KVM_SET_CLOCK), N(KVM_GET_IRQCHIP), N(KVM_SET_IRQCHIP),
	N(KVM_RUN), N(KVM_GET_REGS), N(KVM_SET_REGS), N(KVM_GET_SREGS),
	N(KVM_SET_SREGS), N(KVM_GET_FPU), N(KVM_SET_FPU), N(KVM_GET_MSRS),
	N(KVM_SET_MSRS), N(KVM_GET_MP_STATE), N(KVM_SET_MP_STATE),
	N(KVM_SET_CPUID2), N(KVM_GET_LAPIC), N(KVM_SET_LAPIC),
	N(KVM_GET_VCPU_EVENTS), N(KVM_SET_VCPU_EVENTS), N(KVM_GET_XSAVE),
	N(KVM_SET_XSAVE), N(KVM_GET_XCRS), N(KVM_SET_XCRS),
	N(KVM_GET_DEBUGREGS), N(KVM_SET_DEBUGREGS), N(KVM_SET_SIGNAL_MASK),
	N(KVM_INTERRUPT), N(KVM_NMI), N(KVM_KVMCLOCK_CTRL),
	N(KVM_SET_GUEST_DEBUG), N(KVM_TRANSLATE), N(KVM_CREATE_DEVICE),
	N(KVM_SET_DEVICE_ATTR),
	/* VFIO (passthru/): the container, group and device fds */
	N(VFIO_GET_API_VERSION), N(VFIO_CHECK_EXTENSION), N(VFIO_SET_IOMMU),
	N(VFIO_GROUP_GET_STATUS), N(VFIO_GROUP_SET_CONTAINER),
	N(VFIO_GROUP_GET_DEVICE_FD), N(VFIO_DEVICE_GET_INFO),
	N(VFIO_DEVICE_GET_REGION_INFO), N(VFIO_DEVICE_GET_IRQ_INFO),
	N(VFIO_DEVICE_SET_IRQS), N(VFIO_DEVICE_RESET),
	N(VFIO_IOMMU_MAP_DMA), N(VFIO_IOMMU_UNMAP_DMA),
	/* terminal and generic ioctls */
	N(TCGETS), N(TCSETS), N(TCSETSW), N(TCSETSF), N(TIOCGWINSZ),
	N(TIOCSWINSZ), N(FIONBIO), N(FIONREAD), N(FIOCLEX), N(FIONCLEX),
	/* mmap / mprotect / madvise */
	N(PROT_NONE), N(PROT_READ), N(PROT_WRITE), N(PROT_EXEC),
	N(MAP_SHARED), N(MAP_PRIVATE), N(MAP_ANONYMOUS), N(MAP_FIXED),
	N(MAP_FIXED_NOREPLACE), N(MAP_NORESERVE), N(MAP_POPULATE),
	N(MAP_STACK), N(MAP_GROWSDOWN), N(MAP_HUGETLB), N(MREMAP_MAYMOVE),
	N(MADV_DONTNEED), N(MADV_FREE), N(MADV_REMOVE), N(MADV_DONTFORK),
	N(MADV_DODUMP), N(MADV_DONTDUMP), N(MADV_HUGEPAGE),
	N(MADV_NOHUGEPAGE), N(MADV_MERGEABLE),
	N(MFD_CLOEXEC), N(MFD_ALLOW_SEALING),
	/* open / fcntl */
	N(O_RDONLY), N(O_WRONLY), N(O_RDWR), N(O_ACCMODE), N(O_CLOEXEC),
	N(O_NONBLOCK), N(O_CREAT), N(O_EXCL), N(O_TRUNC), N(O_APPEND),
	N(O_DIRECTORY), N(O_NOFOLLOW), N(O_NOCTTY), N(O_PATH), N(O_LARGEFILE),
	N(F_GETFL), N(F_SETFL), N(F_GETFD), N(F_SETFD), N(F_DUPFD),
	N(F_DUPFD_CLOEXEC), N(FD_CLOEXEC), N(F_ADD_SEALS), N(F_GET_SEALS),
	N(SEEK_SET), N(SEEK_CUR), N(SEEK_END),
	N(FALLOC_FL_KEEP_SIZE), N(FALLOC_FL_PUNCH_HOLE), N(FALLOC_FL_ZERO_RANGE),
	/* eventfd, signalfd, timerfd, epoll */
	N(EFD_CLOEXEC), N(EFD_NONBLOCK), N(EFD_SEMAPHORE),
	N(SFD_CLOEXEC), N(SFD_NONBLOCK),
	N(TFD_CLOEXEC), N(TFD_NONBLOCK), N(TFD_TIMER_ABSTIME),
	N(TFD_TIMER_CANCEL_ON_SET),
	N(EPOLL_CLOEXEC), N(EPOLL_CTL_ADD), N(EPOLL_CTL_DEL), N(EPOLL_CTL_MOD),
	N(CLOCK_REALTIME), N(CLOCK_MONOTONIC), N(CLOCK_MONOTONIC_RAW),
	N(CLOCK_BOOTTIME), N(CLOCK_PROCESS_CPUTIME_ID),
	N(CLOCK_THREAD_CPUTIME_ID), N(TIMER_ABSTIME),
	/* clone flags (pthread_create passes VM|FS|FILES|SIGHAND|THREAD|
	 * SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID) */
	N(CLONE_VM), N(CLONE_FS), N(CLONE_FILES), N(CLONE_SIGHAND),
	N(CLONE_THREAD), N(CLONE_SYSVSEM), N(CLONE_SETTLS),
	N(CLONE_PARENT_SETTID), N(CLONE_CHILD_CLEARTID),
	N(CLONE_CHILD_SETTID), N(CLONE_DETACHED), N(CLONE_PIDFD),
	N(CLONE_VFORK), N(CLONE_PARENT), N(CLONE_NEWNS), N(CLONE_NEWUSER),
	N(CLONE_NEWPID), N(CLONE_NEWNET), N(CLONE_NEWIPC), N(CLONE_NEWUTS),
	/* signals */
	N(SIG_BLOCK), N(SIG_UNBLOCK), N(SIG_SETMASK),
	N(SIGHUP), N(SIGINT), N(SIGQUIT), N(SIGILL), N(SIGTRAP), N(SIGABRT),
	N(SIGBUS), N(SIGFPE), N(SIGKILL), N(SIGUSR1), N(SIGSEGV), N(SIGUSR2),
	N(SIGPIPE), N(SIGALRM), N(SIGTERM), N(SIGCHLD), N(SIGCONT),
	N(SIGSTOP), N(SIGTSTP), N(SIGTTIN), N(SIGTTOU), N(SIGWINCH), N(SIGSYS),
	/* futex */
	N(FUTEX_WAIT), N(FUTEX_WAKE), N(FUTEX_FD), N(FUTEX_REQUEUE),
	N(FUTEX_CMP_REQUEUE), N(FUTEX_WAKE_OP), N(FUTEX_LOCK_PI),
	N(FUTEX_UNLOCK_PI), N(FUTEX_TRYLOCK_PI), N(FUTEX_WAIT_BITSET),
	N(FUTEX_WAKE_BITSET), N(FUTEX_WAIT_REQUEUE_PI),
	N(FUTEX_CMP_REQUEUE_PI), N(FUTEX_LOCK_PI2), N(FUTEX_PRIVATE_FLAG),
	N(FUTEX_CLOCK_REALTIME), N(FUTEX_CMD_MASK),
	N(FUTEX_WAIT_PRIVATE), N(FUTEX_WAKE_PRIVATE),
	N(FUTEX_REQUEUE_PRIVATE), N(FUTEX_CMP_REQUEUE_PRIVATE),
	N(FUTEX_WAKE_OP_PRIVATE), N(FUTEX_LOCK_PI_PRIVATE),
	N(FUTEX_UNLOCK_PI_PRIVATE), N(FUTEX_TRYLOCK_PI_PRIVATE),
	N(FUTEX_WAIT_BITSET_PRIVATE), N(FUTEX_WAKE_BITSET_PRIVATE),
	/* prctl */
	N(PR_SET_NO_NEW_PRIVS), N(PR_GET_NO_NEW_PRIVS), N(PR_SET_SECCOMP),
	N(PR_GET_SECCOMP), N(PR_SET_NAME), N(PR_GET_NAME), N(PR_SET_DUMPABLE),
	N(PR_GET_DUMPABLE), N(PR_SET_KEEPCAPS), N(PR_GET_KEEPCAPS),
	N(PR_CAPBSET_READ), N(PR_CAPBSET_DROP), N(PR_CAP_AMBIENT),
	N(PR_CAP_AMBIENT_CLEAR_ALL), N(PR_SET_SECUREBITS),
	N(PR_GET_SECUREBITS), N(PR_SET_PDEATHSIG), N(PR_GET_PDEATHSIG),
	N(PR_SET_TIMERSLACK), N(PR_GET_TIMERSLACK),
	/* seccomp(2) */
	N(SECCOMP_SET_MODE_STRICT), N(SECCOMP_SET_MODE_FILTER),
	N(SECCOMP_FILTER_FLAG_TSYNC), N(SECCOMP_FILTER_FLAG_LOG),
};
#undef N

/* ---- errors ---------------------------------------------------------------- */

static unsigned n_errors;

__attribute__((format(printf, 3, 4)))
static void error_at(const char *path, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (line)
		fprintf(stderr, "%s:%u: ", path, line);
	else
		fprintf(stderr, "%s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	n_errors++;
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("policy-compile: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- parsed policies --------------------------------------------------- */

struct cond {
	unsigned arg;               /* 0..5 */
	enum scmp_compare op;
	uint64_t mask;              /* SCMP_CMP_MASKED_EQ only */
	uint64_t value;
};

struct rule {
	char sys[48];
	int nr;
	unsigned line;
	unsigned n;                 /* conditions, sorted by arg */
	struct cond c[6];
};

struct policy {
	const char *path;
	char role[MAX_ROLE];
	struct rule *rules;
	unsigned n_rules;
	int *nrs;                   /* distinct syscalls in first-use order */
	unsigned n_syscalls;
	scmp_filter_ctx ctx;
	struct sock_filter *insns;
	size_t len;
};

/* ---- tokenizer ---------------------------------------------------------- */

enum tok_kind { T_WORD, T_NUM, T_OP };

struct tok {
	enum tok_kind kind;
	char text[48];
};

struct line_ctx {
	const char *path;
	unsigned line;
	struct tok t[MAX_TOKENS];
	unsigned n, pos;
};

static bool is_word_char(char c, bool first)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (!first && c >= '0' && c <= '9');
}

static size_t op_len(const char *s)
{
	static const char *const ops[] = { "==", "!=", "<=", ">=", "<", ">",
					   "&", "|" };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(s, ops[i], strlen(ops[i])))
			return strlen(ops[i]);
	return 0;
}

static size_t token_len(const char *s, enum tok_kind *kind)
{
	size_t n = 0;

	if (is_word_char(*s, true)) {
		while (is_word_char(s[n], false))
			n++;
		*kind = T_WORD;
	} else if ((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' &&
						 s[1] <= '9')) {
		n = 1;
		while (is_word_char(s[n], false))
			n++;
		*kind = T_NUM;
	} else {
		n = op_len(s);
		*kind = T_OP;
	}
	return n;
}

/* Split the rule part of a line (comment already cut off) into tokens. */
static bool tokenize(struct line_ctx *lc, const char *s)
{
	lc->n = lc->pos = 0;
	while (*s) {
		enum tok_kind kind;
		size_t n;

		if (*s == ' ' || *s == '\t' || *s == '\r') {
			s++;
			continue;
		}
		n = token_len(s, &kind);
		if (!n) {
			error_at(lc->path, lc->line, "unexpected character '%c'", *s);
			return false;
		}
		if (n >= sizeof(lc->t[0].text) || lc->n == MAX_TOKENS) {
			error_at(lc->path, lc->line, "token or line too long");
			return false;
		}
		lc->t[lc->n].kind = kind;
		memcpy(lc->t[lc->n].text, s, n);
		lc->t[lc->n].text[n] = '\0';
		lc->n++;
		s += n;
	}
	return true;
}

static const struct tok *peek(struct line_ctx *lc)
{
	return lc->pos < lc->n ? &lc->t[lc->pos] : NULL;
}

static bool accept_op(struct line_ctx *lc, const char *op)
{
	const struct tok *t = peek(lc);

	if (t && t->kind == T_OP && !strcmp(t->text, op)) {
		lc->pos++;
		return true;
	}
	return false;
}

/* ---- values ------------------------------------------------------------- */

static bool lookup_name(const char *s, uint64_t *v)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].name, s)) {
			*v = names[i].value;
			return true;
		}
	return false;
}

static bool parse_number(struct line_ctx *lc, const char *s, uint64_t *v)
{
	bool neg = *s == '-';
	const char *digits = s + neg;
	int base = 10;
	char *end;

	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
		base = 16;
		digits += 2;
	} else if (digits[0] == '0' && digits[1]) {
		error_at(lc->path, lc->line,
			 "number '%s' has a leading 0: write decimal or 0x hex", s);
		return false;
	}
	errno = 0;
	*v = strtoull(digits, &end, base);
	if (!*digits || *digits == '-' || *digits == '+' || *end || errno) {
		error_at(lc->path, lc->line, "bad number '%s'", s);
		return false;
	}
	if (neg)
		*v = -*v;
	return true;
}

static bool parse_atom(struct line_ctx *lc, uint64_t *v)
{
	const struct tok *t = peek(lc);

	if (!t || t->kind == T_OP) {
		error_at(lc->path, lc->line, "expected a number or a name%s%s",
			 t ? " before " : " at end of rule", t ? t->text : "");
		return false;
	}
	lc->pos++;
	if (t->kind == T_NUM)
		return parse_number(lc, t->text, v);
	if (lookup_name(t->text, v))
		return true;
	error_at(lc->path, lc->line, "unknown name '%s'", t->text);
	return false;
}

/* VALUE := ATOM ('|' ATOM)* */
static bool parse_value(struct line_ctx *lc, uint64_t *v)
{
	uint64_t a;

	if (!parse_atom(lc, v))
		return false;
	while (accept_op(lc, "|")) {
		if (!parse_atom(lc, &a))
			return false;
		*v |= a;
	}
	return true;
}

/* ---- rules ---------------------------------------------------------------- */

static bool parse_arg(struct line_ctx *lc, unsigned *arg)
{
	const struct tok *t = peek(lc);
	char *end;
	unsigned long n;

	if (!t || t->kind != T_WORD || t->text[0] != 'a' ||
	    t->text[1] < '0' || t->text[1] > '9') {
		error_at(lc->path, lc->line, "expected an argument a0..a5, got '%s'",
			 t ? t->text : "");
		return false;
	}
	n = strtoul(t->text + 1, &end, 10);
	if (*end || n > 5) {
		error_at(lc->path, lc->line,
			 "argument '%s' out of range: syscalls have a0..a5", t->text);
		return false;
	}
	lc->pos++;
	*arg = n;
	return true;
}

static bool parse_op(struct line_ctx *lc, enum scmp_compare *op)
{
	static const struct { const char *s; enum scmp_compare op; } ops[] = {
		{ "==", SCMP_CMP_EQ }, { "!=", SCMP_CMP_NE },
		{ "<", SCMP_CMP_LT }, { "<=", SCMP_CMP_LE },
		{ ">", SCMP_CMP_GT }, { ">=", SCMP_CMP_GE },
	};
	const struct tok *t = peek(lc);

	for (size_t i = 0; t && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (t->kind == T_OP && !strcmp(t->text, ops[i].s)) {
			lc->pos++;
			*op = ops[i].op;
			return true;
		}
	error_at(lc->path, lc->line,
		 "expected one of == != < <= > >= or '& MASK ==' after the "
		 "argument, got '%s'", t ? t->text : "end of rule");
	return false;
}

/* COND := aN OP VALUE | aN '&' VALUE '==' VALUE */
static bool parse_cond(struct line_ctx *lc, struct cond *c)
{
	c->mask = 0;
	if (!parse_arg(lc, &c->arg))
		return false;
	if (accept_op(lc, "&")) {
		c->op = SCMP_CMP_MASKED_EQ;
		if (!parse_value(lc, &c->mask))
			return false;
		if (!accept_op(lc, "==")) {
			error_at(lc->path, lc->line,
				 "a masked condition is 'aN & MASK == VALUE'");
			return false;
		}
	} else if (!parse_op(lc, &c->op)) {
		return false;
	}
	return parse_value(lc, &c->value);
}

static int cmp_cond(const void *a, const void *b)
{
	const struct cond *x = a, *y = b;

	return (int)x->arg - (int)y->arg;
}

/* The kernel reads ioctl's request as an unsigned int, and musl sign-extends
 * it, so `ioctl a1 == V` only looks at the low 32 bits. */
static bool fix_ioctl_request(struct line_ctx *lc, struct rule *r,
			      struct cond *c)
{
	if (strcmp(r->sys, "ioctl") || c->arg != 1 || c->op != SCMP_CMP_EQ)
		return true;
	if (c->value > IOCTL_REQ_MASK) {
		error_at(lc->path, lc->line,
			 "ioctl request 0x%" PRIx64 " does not fit 32 bits",
			 c->value);
		return false;
	}
	c->op = SCMP_CMP_MASKED_EQ;
	c->mask = IOCTL_REQ_MASK;
	return true;
}

static bool parse_conds(struct line_ctx *lc, struct rule *r)
{
	unsigned seen = 0;

	for (r->n = 0; peek(lc); r->n++) {
		struct cond *c = &r->c[r->n];

		if (r->n == 6) {
			error_at(lc->path, lc->line, "more than 6 conditions");
			return false;
		}
		if (!parse_cond(lc, c))
			return false;
		if (seen & (1u << c->arg)) {
			error_at(lc->path, lc->line,
				 "a%u has two conditions in one rule (libseccomp "
				 "allows one per argument; use two rules)", c->arg);
			return false;
		}
		seen |= 1u << c->arg;
		if (!fix_ioctl_request(lc, r, c))
			return false;
	}
	qsort(r->c, r->n, sizeof(r->c[0]), cmp_cond);
	return true;
}

static bool parse_syscall(struct line_ctx *lc, struct rule *r)
{
	const struct tok *t = peek(lc);

	if (t->kind != T_WORD) {
		error_at(lc->path, lc->line, "a rule starts with a syscall name, "
			 "not '%s'", t->text);
		return false;
	}
	lc->pos++;
	snprintf(r->sys, sizeof(r->sys), "%s", t->text);
	r->nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, r->sys);
	if (r->nr < 0) {
		error_at(lc->path, lc->line, "unknown syscall '%s' (not an x86_64 "
			 "syscall)", r->sys);
		return false;
	}
	return true;
}

/* Cut the '# why' comment off a line; false for a rule without one. */
static bool split_comment(struct line_ctx *lc, char *s, bool *blank)
{
	char *hash = strchr(s, '#');
	const char *p;

	if (hash)
		*hash = '\0';
	*blank = s[strspn(s, " \t\r\n")] == '\0';
	if (*blank)
		return true;
	p = hash ? hash + 1 : "";
	if (p[strspn(p, " \t\r\n")] == '\0') {
		error_at(lc->path, lc->line,
			 "rule has no '# why' comment saying why it is needed");
		return false;
	}
	return true;
}

static bool same_rule(const struct rule *a, const struct rule *b)
{
	if (a->nr != b->nr || a->n != b->n)
		return false;
	for (unsigned i = 0; i < a->n; i++)
		if (a->c[i].arg != b->c[i].arg || a->c[i].op != b->c[i].op ||
		    a->c[i].mask != b->c[i].mask || a->c[i].value != b->c[i].value)
			return false;
	return true;
}

/* Identical rules, or an unconditional rule that swallows conditional ones. */
static bool check_against_earlier(struct policy *p, const struct rule *r)
{
	for (unsigned i = 0; i < p->n_rules; i++) {
		const struct rule *o = &p->rules[i];

		if (same_rule(o, r)) {
			error_at(p->path, r->line, "duplicate rule (same as line %u)",
				 o->line);
			return false;
		}
		if (o->nr == r->nr && (!o->n || !r->n)) {
			error_at(p->path, r->line, "%s: an unconditional rule and a "
				 "conditional one (line %u): the conditions would "
				 "never narrow anything", r->sys, o->line);
			return false;
		}
	}
	return true;
}

static void add_rule(struct policy *p, const struct rule *r)
{
	bool known = false;

	p->rules = realloc(p->rules, (p->n_rules + 1) * sizeof(*p->rules));
	p->nrs = realloc(p->nrs, (p->n_syscalls + 1) * sizeof(*p->nrs));
	if (!p->rules || !p->nrs)
		die("out of memory");
	p->rules[p->n_rules++] = *r;
	for (unsigned i = 0; i < p->n_syscalls; i++)
		known |= p->nrs[i] == r->nr;
	if (!known)
		p->nrs[p->n_syscalls++] = r->nr;
}

static void parse_line(struct policy *p, const char *path, unsigned lineno,
		       char *s)
{
	struct line_ctx lc = { .path = path, .line = lineno };
	struct rule r = { .line = lineno };
	bool blank;

	if (!split_comment(&lc, s, &blank) || blank || !tokenize(&lc, s))
		return;
	if (!parse_syscall(&lc, &r) || !parse_conds(&lc, &r))
		return;
	if (check_against_earlier(p, &r))
		add_rule(p, &r);
}

static bool set_role(struct policy *p)
{
	const char *base = strrchr(p->path, '/');
	size_t n;

	base = base ? base + 1 : p->path;
	n = strlen(base);
	if (n < 8 || strcmp(base + n - 7, ".policy") || n - 7 >= MAX_ROLE) {
		error_at(p->path, 0, "a policy file is named ROLE.policy");
		return false;
	}
	memcpy(p->role, base, n - 7);
	p->role[n - 7] = '\0';
	for (size_t i = 0; i < n - 7; i++)
		if (!is_word_char(p->role[i], i == 0)) {
			error_at(p->path, 0, "role '%s' is not a C identifier "
				 "([A-Za-z_][A-Za-z0-9_]*)", p->role);
			return false;
		}
	return true;
}

static void parse_lines(struct policy *p, const char *path, unsigned depth);

/* `include NAME.inc`: rules shared by several roles, from a file next to the
 * including one. Returns whether the line was an include. */
static bool parse_include(struct policy *p, const char *path, unsigned lineno,
			  const char *s, unsigned depth)
{
	char name[128], full[1024];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (sscanf(s, " include %127s", name) != 1)
		return false;
	n = strlen(name);
	if (strchr(name, '/') || n < 5 || strcmp(name + n - 4, ".inc") ||
	    depth > 0) {
		error_at(path, lineno, "include takes NAME.inc from the same "
			 "folder, one level deep");
		return true;
	}
	snprintf(full, sizeof(full), "%.*s%s", slash ? (int)(slash - path + 1) : 0,
		 path, name);
	parse_lines(p, full, depth + 1);
	return true;
}

static void parse_lines(struct policy *p, const char *path, unsigned depth)
{
	char buf[MAX_LINE];
	unsigned lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		error_at(path, 0, "%s", strerror(errno));
		return;
	}
	while (fgets(buf, sizeof(buf), f)) {
		lineno++;
		if (!strchr(buf, '\n') && !feof(f)) {
			error_at(path, lineno, "line longer than %d characters",
				 MAX_LINE - 2);
			break;
		}
		if (!parse_include(p, path, lineno, buf, depth))
			parse_line(p, path, lineno, buf);
	}
	fclose(f);
}

static void parse_file(struct policy *p)
{
	if (set_role(p))
		parse_lines(p, p->path, 0);
}

/* ---- libseccomp ------------------------------------------------------------ */

static void seccomp_fail(const struct policy *p, const char *what, int rc,
			 unsigned line)
{
	error_at(p->path, line, "libseccomp %s: %s", what, strerror(-rc));
}

static scmp_filter_ctx new_ctx(const struct policy *p, bool debug)
{
	scmp_filter_ctx ctx = seccomp_init(debug ? SCMP_ACT_TRAP :
					   SCMP_ACT_KILL_PROCESS);
	int rc;

	if (!ctx)
		die("seccomp_init failed");
	/* wisp sets no_new_privs itself, before any filter is installed. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* Another arch's (or x32's) syscall numbers mean something else. */
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				      SCMP_ACT_KILL_PROCESS);
	/* x86_64 is the only arch: seccomp_init added the native one. */
	if (!rc && seccomp_arch_exist(ctx, SCMP_ARCH_X86_64))
		rc = -EINVAL;
	if (!rc && !seccomp_arch_exist(ctx, SCMP_ARCH_X86))
		rc = seccomp_arch_remove(ctx, SCMP_ARCH_X86);
	if (!rc && !seccomp_arch_exist(ctx, SCMP_ARCH_X32))
		rc = seccomp_arch_remove(ctx, SCMP_ARCH_X32);
	if (rc)
		seccomp_fail(p, "setup", rc, 0);
	return ctx;
}

static void add_to_ctx(struct policy *p, const struct rule *r)
{
	struct scmp_arg_cmp a[6];
	int rc;

	for (unsigned i = 0; i < r->n; i++) {
		a[i].arg = r->c[i].arg;
		a[i].op = r->c[i].op;
		a[i].datum_a = r->c[i].op == SCMP_CMP_MASKED_EQ ? r->c[i].mask :
			       r->c[i].value;
		a[i].datum_b = r->c[i].op == SCMP_CMP_MASKED_EQ ? r->c[i].value : 0;
	}
	rc = seccomp_rule_add_exact_array(p->ctx, SCMP_ACT_ALLOW, r->nr, r->n, a);
	if (rc)
		seccomp_fail(p, "rule_add", rc, r->line);
}

/* Export the BPF through a memfd and read the instructions back. */
static void export_bpf(struct policy *p)
{
	int fd = memfd_create("wisp-bpf", MFD_CLOEXEC);
	struct stat st;
	int rc;

	if (fd < 0)
		die("memfd_create: %s", strerror(errno));
	rc = seccomp_export_bpf(p->ctx, fd);
	if (rc) {
		seccomp_fail(p, "export_bpf", rc, 0);
		close(fd);
		return;
	}
	if (fstat(fd, &st) || st.st_size % sizeof(struct sock_filter))
		die("%s: bad BPF export", p->path);
	p->len = st.st_size / sizeof(struct sock_filter);
	if (!p->len || p->len > BPF_MAXINSNS)
		die("%s: %zu BPF instructions (1..%d)", p->path, p->len,
		    BPF_MAXINSNS);
	p->insns = malloc(st.st_size);
	if (!p->insns || pread(fd, p->insns, st.st_size, 0) != st.st_size)
		die("%s: reading the BPF back failed", p->path);
	close(fd);
}

static void compile_policy(struct policy *p, bool debug)
{
	unsigned prio = 255;

	p->ctx = new_ctx(p, debug);
	if (n_errors)
		return;
	/* Syscalls named first are checked first. */
	for (unsigned i = 0; i < p->n_syscalls; i++, prio -= prio > 1) {
		int rc = seccomp_syscall_priority(p->ctx, p->nrs[i], prio);

		if (rc)
			seccomp_fail(p, "syscall_priority", rc, 0);
	}
	for (unsigned i = 0; i < p->n_rules; i++)
		add_to_ctx(p, &p->rules[i]);
	if (!n_errors)
		export_bpf(p);
}

/* ---- BPF disassembly ------------------------------------------------------ */

static const char *data_field(uint32_t k, char *buf, size_t n)
{
	if (k == offsetof(struct seccomp_data, nr))
		return "nr";
	if (k == offsetof(struct seccomp_data, arch))
		return "arch";
	if (k == offsetof(struct seccomp_data, instruction_pointer))
		return "ip lo";
	if (k == offsetof(struct seccomp_data, instruction_pointer) + 4)
		return "ip hi";
	if (k >= offsetof(struct seccomp_data, args) && k < sizeof(struct seccomp_data)) {
		unsigned off = k - offsetof(struct seccomp_data, args);

		snprintf(buf, n, "a%u %s", off / 8, off % 8 ? "hi" : "lo");
		return buf;
	}
	return "?";
}

static const char *action_name(uint32_t k, char *buf, size_t n)
{
	switch (k & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS: return "KILL_PROCESS";
	case SECCOMP_RET_KILL_THREAD: return "KILL_THREAD";
	case SECCOMP_RET_TRAP: return "TRAP";
	case SECCOMP_RET_ALLOW: return "ALLOW";
	case SECCOMP_RET_LOG: return "LOG";
	case SECCOMP_RET_TRACE: return "TRACE";
	case SECCOMP_RET_USER_NOTIF: return "USER_NOTIF";
	case SECCOMP_RET_ERRNO:
		snprintf(buf, n, "ERRNO(%u)", k & SECCOMP_RET_DATA);
		return buf;
	}
	return "?";
}

/* The annotation for a jump's constant: a syscall name after `ld [nr]`. */
static void jump_note(uint32_t last_ld, const struct sock_filter *in,
		      char *note, size_t n)
{
	char *s = NULL;

	if (last_ld == offsetof(struct seccomp_data, nr) &&
	    BPF_OP(in->code) == BPF_JEQ)
		s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, (int)in->k);
	else if (last_ld == offsetof(struct seccomp_data, arch) &&
		 in->k == AUDIT_ARCH_X86_64)
		s = strdup("AUDIT_ARCH_X86_64");
	snprintf(note, n, "%s", s ? s : "");
	free(s);
}

/* One instruction as text: "ld   [0]   nr", "jeq  #0x10  jt 3 jf 4  ioctl" */
static void disasm(const struct sock_filter *in, unsigned pc, uint32_t *last_ld,
		   char *out, size_t n)
{
	static const char *const jmp[] = { "ja", "jeq", "jgt", "jge", "jset" };
	char arg[48] = "", note[48] = "", tmp[32];
	const char *op = NULL;
	unsigned jop = BPF_OP(in->code) >> 4;

	if (in->code == (BPF_LD | BPF_W | BPF_ABS)) {
		op = "ld";
		*last_ld = in->k;
		snprintf(arg, sizeof(arg), "[%u]", in->k);
		snprintf(note, sizeof(note), "%s", data_field(in->k, tmp, sizeof(tmp)));
	} else if (in->code == (BPF_RET | BPF_K)) {
		op = "ret";
		snprintf(arg, sizeof(arg), "#0x%08x", in->k);
		snprintf(note, sizeof(note), "%s", action_name(in->k, tmp, sizeof(tmp)));
	} else if (in->code == (BPF_ALU | BPF_AND | BPF_K)) {
		op = "and";
		snprintf(arg, sizeof(arg), "#0x%08x", in->k);
	} else if (in->code == (BPF_JMP | BPF_JA)) {
		op = "ja";
		snprintf(arg, sizeof(arg), "%u", pc + 1 + in->k);
	} else if (BPF_CLASS(in->code) == BPF_JMP && BPF_SRC(in->code) == BPF_K &&
		   jop > 0 && jop < sizeof(jmp) / sizeof(jmp[0])) {
		op = jmp[jop];
		snprintf(arg, sizeof(arg), "#0x%08x  jt %-4u jf %-4u", in->k,
			 pc + 1 + in->jt, pc + 1 + in->jf);
		jump_note(*last_ld, in, note, sizeof(note));
	}
	if (op)
		snprintf(out, n, "%-4s %-32s %s", op, arg, note);
	else
		snprintf(out, n, "op 0x%04x jt %u jf %u k 0x%08x", in->code,
			 in->jt, in->jf, in->k);
	/* No trailing blanks. */
	for (size_t l = strlen(out); l && out[l - 1] == ' '; l--)
		out[l - 1] = '\0';
}

/* ---- output: the generated C file ---------------------------------------- */

static void emit_insns(FILE *o, const struct policy *p)
{
	uint32_t last_ld = ~0u;
	char text[96];

	fprintf(o, "static const struct sock_filter policy_%s_insns[%zu] = {\n",
		p->role, p->len);
	for (size_t i = 0; i < p->len; i++) {
		const struct sock_filter *in = &p->insns[i];

		disasm(in, i, &last_ld, text, sizeof(text));
		fprintf(o, "\t{ 0x%02x, %3u, %3u, 0x%08x }, /* %4zu: %s */\n",
			in->code, in->jt, in->jf, in->k, i, text);
	}
	fputs("};\n", o);
}

static void print_syscalls(FILE *o, const struct policy *p)
{
	fprintf(o, "%s: %u syscalls:", p->role, p->n_syscalls);
	for (unsigned i = 0; i < p->n_syscalls; i++) {
		char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64,
							    p->nrs[i]);

		fprintf(o, " %s", s ? s : "?");
		free(s);
	}
	fputc('\n', o);
}

static void emit_policy(FILE *o, const struct policy *p)
{
	fprintf(o, "\n/* %s, from %s\n * ", p->role, p->path);
	print_syscalls(o, p);
	fputs(" */\n", o);
	emit_insns(o, p);
	fprintf(o, "const struct wisp_policy policy_%s = {\n"
		"\t.name = \"%s\",\n\t.insns = policy_%s_insns,\n"
		"\t.len = %zu,\n\t.n_syscalls = %u,\n};\n",
		p->role, p->role, p->role, p->len, p->n_syscalls);
}

static void emit_syscall_names(FILE *o)
{
	int max = -1;

	for (int nr = 0; nr < SYSCALL_NR_SCAN; nr++) {
		char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);

		if (s)
			max = nr;
		free(s);
	}
	fprintf(o, "\n/* x86_64 syscall names by number (NULL: no syscall). */\n"
		"const char *const wisp_syscall_names[%d] = {\n", max + 1);
	for (int nr = 0; nr <= max; nr++) {
		char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);

		if (s)
			fprintf(o, "\t[%d] = \"%s\",\n", nr, s);
		free(s);
	}
	fprintf(o, "};\nconst unsigned wisp_syscall_names_len = %d;\n", max + 1);
}

static void emit(FILE *o, struct policy *ps, unsigned n, bool debug)
{
	fputs("/* GENERATED by policy/compile.c from", o);
	for (unsigned i = 0; i < n; i++)
		fprintf(o, " %s", ps[i].path);
	fprintf(o, ".\n * DO NOT EDIT: edit the .policy files instead.\n"
		" * Anything not allowed: %s. */\n"
		"#include <stddef.h>\n#include <string.h>\n\n"
		"#include \"policy.h\"\n",
		debug ? "SECCOMP_RET_TRAP (debug build)" :
			"SECCOMP_RET_KILL_PROCESS");
	for (unsigned i = 0; i < n; i++)
		emit_policy(o, &ps[i]);
	fputs("\nconst struct wisp_policy *const wisp_policies[] = {\n", o);
	for (unsigned i = 0; i < n; i++)
		fprintf(o, "\t&policy_%s,\n", ps[i].role);
	fputs("\tNULL,\n};\n", o);
	emit_syscall_names(o);
	fputs("\nconst struct wisp_policy *policy_find(const char *role)\n{\n"
	      "\tfor (const struct wisp_policy *const *p = wisp_policies; *p; p++)\n"
	      "\t\tif (!strcmp((*p)->name, role))\n\t\t\treturn *p;\n"
	      "\treturn NULL;\n}\n", o);
}

static void write_output(const char *out, struct policy *ps, unsigned n,
			 bool debug)
{
	char tmp[4096];
	FILE *o = stdout;

	if (out) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", out);
		o = fopen(tmp, "w");
		if (!o)
			die("%s: %s", tmp, strerror(errno));
	}
	emit(o, ps, n, debug);
	if (fflush(o) || ferror(o))
		die("writing %s failed", out ? tmp : "stdout");
	if (out && (fclose(o) || rename(tmp, out)))
		die("%s: %s", out, strerror(errno));
}

/* ---- --check -------------------------------------------------------------- */

/* Can some x with `bit` set satisfy c? */
static bool cond_allows_bit(const struct cond *c, uint64_t bit)
{
	switch (c->op) {
	case SCMP_CMP_EQ: return c->value & bit;
	case SCMP_CMP_LT: return bit < c->value;
	case SCMP_CMP_LE: return bit <= c->value;
	case SCMP_CMP_GT: return c->value < UINT64_MAX;
	case SCMP_CMP_MASKED_EQ: return !(c->mask & bit) || (c->value & bit);
	default: return true;
	}
}

static const struct cond *cond_on(const struct rule *r, unsigned arg)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->c[i].arg == arg)
			return &r->c[i];
	return NULL;
}

static unsigned check_rules(const struct policy *p)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < p->n_rules; i++) {
		const struct rule *r = &p->rules[i];
		const struct cond *c = cond_on(r, 2);

		if (!strcmp(r->sys, "ioctl") && !cond_on(r, 1)) {
			error_at(p->path, r->line, "CHECK: ioctl rule without a "
				 "condition on the request (a1)");
			bad++;
		}
		if ((!strcmp(r->sys, "mmap") || !strcmp(r->sys, "mprotect") ||
		     !strcmp(r->sys, "pkey_mprotect")) &&
		    (!c || cond_allows_bit(c, PROT_EXEC))) {
			error_at(p->path, r->line, "CHECK: %s rule %s", r->sys,
				 c ? "allows PROT_EXEC in a2" :
				     "without a condition on prot (a2)");
			bad++;
		}
	}
	return bad;
}

static void dump_bpf(const struct policy *p)
{
	uint32_t last_ld = ~0u;
	char text[96];

	printf("-- BPF: %zu instructions --\n", p->len);
	for (size_t i = 0; i < p->len; i++) {
		disasm(&p->insns[i], i, &last_ld, text, sizeof(text));
		printf("%4zu: %s\n", i, text);
	}
}

static unsigned check_policy(const struct policy *p, unsigned max)
{
	unsigned bad = check_rules(p);

	printf("== %s (%s) ==\n", p->role, p->path);
	print_syscalls(stdout, p);
	printf("-- libseccomp pseudo-code --\n");
	fflush(stdout);
	if (seccomp_export_pfc(p->ctx, STDOUT_FILENO))
		die("%s: seccomp_export_pfc failed", p->path);
	dump_bpf(p);
	if (p->n_syscalls > max) {
		error_at(p->path, 0, "CHECK: %u syscalls, the limit is %u",
			 p->n_syscalls, max);
		bad++;
	}
	printf("\n");
	return bad;
}

/* ---- main ------------------------------------------------------------------ */

struct opts {
	bool debug, check;
	const char *out;
	unsigned max;
	char **files;
	unsigned n_files;
};

static void usage(void)
{
	fputs("usage: policy-compile [--debug] [-o OUT.c] ROLE.policy...\n"
	      "       policy-compile --check [--max N] ROLE.policy...\n", stderr);
	exit(2);
}

static unsigned parse_max(const char *s)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);

	if (!*s || *end || n > 4096)
		usage();
	return (unsigned)n;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int i = 1;

	*o = (struct opts){ .max = MAX_SYSCALLS_DEFAULT };
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--debug"))
			o->debug = true;
		else if (!strcmp(argv[i], "--check"))
			o->check = true;
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			o->out = argv[++i];
		else if (!strcmp(argv[i], "--max") && i + 1 < argc)
			o->max = parse_max(argv[++i]);
		else
			usage();
	}
	o->files = argv + i;
	o->n_files = argc - i;
}

static int cmp_role(const void *a, const void *b)
{
	return strcmp(((const struct policy *)a)->role,
		      ((const struct policy *)b)->role);
}

static struct policy *parse_all(const struct opts *o)
{
	struct policy *ps = calloc(o->n_files + 1, sizeof(*ps));

	if (!ps)
		die("out of memory");
	for (unsigned i = 0; i < o->n_files; i++) {
		ps[i].path = o->files[i];
		parse_file(&ps[i]);
	}
	qsort(ps, o->n_files, sizeof(*ps), cmp_role);
	for (unsigned i = 1; i < o->n_files; i++)
		if (!strcmp(ps[i].role, ps[i - 1].role) && ps[i].role[0])
			error_at(ps[i].path, 0, "role '%s' also comes from %s",
				 ps[i].role, ps[i - 1].path);
	return ps;
}

static void free_all(struct policy *ps, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (ps[i].ctx)
			seccomp_release(ps[i].ctx);
		free(ps[i].rules);
		free(ps[i].nrs);
		free(ps[i].insns);
	}
	free(ps);
}

static unsigned check_all(const struct opts *o, const struct policy *ps)
{
	unsigned bad = 0;

	if (!o->n_files)
		printf("no policy files\n");
	for (unsigned i = 0; i < o->n_files; i++)
		bad += check_policy(&ps[i], o->max);
	if (bad)
		fprintf(stderr, "policy-check: %u problem(s)\n", bad);
	return bad;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct policy *ps;
	int rc = 1;

	parse_opts(argc, argv, &o);
	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		die("wisp's policies are x86_64 only; run this on an x86_64 host");
	ps = parse_all(&o);
	for (unsigned i = 0; i < o.n_files && !n_errors; i++)
		compile_policy(&ps[i], o.debug);
	if (!n_errors && !o.check) {
		write_output(o.out, ps, o.n_files, o.debug);
		rc = 0;
	} else if (!n_errors) {
		rc = check_all(&o, ps) ? 1 : 0;
	}
	free_all(ps, o.n_files);
	return rc;
}
