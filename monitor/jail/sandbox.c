/*
 * monitor/jail/sandbox.c - per-thread seccomp filters.
 *
 * Filters are compiled at build time (policy/); here they are only installed,
 * with the plain seccomp() syscall, per thread: the main thread and each vCPU
 * thread install their own role's filter once their setup is done. Failing
 * to install is fatal: wisp never runs a guest with a sandbox it was asked to
 * have but could not get.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "policy.h"
#include "core/vm.h"
#include "jail/jail.h"

#ifdef WISP_SECCOMP_DEBUG
/* Debug build only: a denied syscall traps here; name it and fail it with
 * ENOSYS so one run finds every missing rule. Only async-signal-safe calls. */
static void sigsys_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	unsigned nr = (unsigned)si->si_syscall;
	const char *name = nr < wisp_syscall_names_len && wisp_syscall_names[nr]
				   ? wisp_syscall_names[nr]
				   : "?";
	char line[128] = "wisp: seccomp: denied syscall ";
	char a0[24] = "(0x";
	unsigned long v = (unsigned long)uc->uc_mcontext.gregs[REG_RDI];
	int n = 3;

	/* The first argument (often the fd) in hex, without printf. */
	for (int sh = 60; sh >= 0; sh -= 4)
		if ((v >> sh) || sh == 0 || n > 3)
			a0[n++] = "0123456789abcdef"[(v >> sh) & 0xf];
	a0[n++] = ')';
	a0[n] = '\0';
	strncat(line, name, 40);
	strcat(line, a0);
	strcat(line, "\n");
	/* A device process has no stderr (its lines are up-calls, not safe
	 * from a signal handler): the call just fails there. */
	if (!log_sink)
		(void)!write(STDERR_FILENO, line, strlen(line));
	uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
}

static void sandbox_debug_handler(void)
{
	struct sigaction sa = { .sa_sigaction = sigsys_handler,
				.sa_flags = SA_SIGINFO };
	sigset_t set;

	sigaction(SIGSYS, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}
#endif

void sandbox_enter(const char *role)
{
	const struct wisp_policy *p = policy_find(role);

	if (!p)
		die(WISP_EXIT_INTERNAL, "no seccomp policy for role '%s'", role);
	struct sock_fprog prog = { .len = p->len,
				   .filter = (struct sock_filter *)p->insns };
#ifdef WISP_SECCOMP_DEBUG
	sandbox_debug_handler();
#endif
	/* no_new_privs is already set (priv_confine); the filter needs it. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		die(WISP_EXIT_OSERR, "installing the %s seccomp filter: %s", role,
		    strerror(errno));
}
