/*
 * tests/unit/test_policy.c - the seccomp policy compiler (policy/compile.c).
 *
 * Linked against build/host/policies-fixture.c, compiled from the fixture
 * policies in tests/policy/ (not the real roles, which change). Every fixture
 * rule is tried in both directions: a forked child installs the role's
 * filter with the raw seccomp() syscall and makes one call; an allowed call
 * must return (the child exits 0), the same call with other arguments must
 * be killed by SIGSYS (shell status 159). Built a second time as
 * test_policy_debug (POLICY_DEBUG_BUILD) against the --debug output, where a
 * denied call traps to a SIGSYS handler instead.
 * The compiler's errors are checked by running it on bad snippets.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"

extern const struct wisp_policy policy_alpha, policy_beta;

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1  /* si_code of a seccomp SIGSYS (asm-generic/siginfo.h) */
#endif

#define TRAPPED 42     /* debug child: SIGSYS handler saw the right syscall */
#define WRONG_TRAP 43  /* debug child: SIGSYS for another syscall */

static long trap_nr;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	syscall(SYS_exit_group, si->si_code == SYS_SECCOMP &&
		si->si_syscall == trap_nr ? TRAPPED : WRONG_TRAP);
}

/* In the child: no core files from the kill, the debug build's handler. */
static void child_prepare(long nr)
{
	struct rlimit no_core = { 0, 0 };
	struct sigaction sa = { .sa_sigaction = on_sigsys,
				.sa_flags = SA_SIGINFO };

	setrlimit(RLIMIT_CORE, &no_core);
	trap_nr = nr;
	sigaction(SIGSYS, &sa, NULL);
}

static void child_install(const struct wisp_policy *p)
{
	struct sock_fprog prog = { .len = p->len,
				   .filter = (struct sock_filter *)p->insns };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		syscall(SYS_exit_group, 2);
}

/* Run one syscall under role's filter in a child; its wait status. */
static int run_filtered(const char *role, long nr, const long a[6])
{
	const struct wisp_policy *p = policy_find(role);
	int status;
	pid_t pid;

	assert_non_null(p);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		child_prepare(nr);
		child_install(p);
		syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		syscall(SYS_exit_group, 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static bool denied(int status)
{
#ifdef POLICY_DEBUG_BUILD
	return WIFEXITED(status) && WEXITSTATUS(status) == TRAPPED;
#else
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
#endif
}

struct call {
	const char *what;
	const char *role;
	long nr;
	long a[6];
	bool allowed;
};

/* musl's ioctl(int, int, ...) sign-extends a request with bit 31 set. */
#define MUSL_REQ(r) ((long)(int)(r))
#define RW (PROT_READ | PROT_WRITE)

static const struct call calls[] = {
	{ "ioctl FD_KVM KVM_CHECK_EXTENSION", "alpha", SYS_ioctl,
	  { FD_KVM, KVM_CHECK_EXTENSION }, true },
	{ "ioctl FD_KVM KVM_CREATE_VM (another request)", "alpha", SYS_ioctl,
	  { FD_KVM, KVM_CREATE_VM }, false },
	{ "ioctl FD_VM KVM_CHECK_EXTENSION (another fd)", "alpha", SYS_ioctl,
	  { FD_VM, KVM_CHECK_EXTENSION }, false },
	{ "ioctl FD_KVM, request with high bits set", "alpha", SYS_ioctl,
	  { FD_KVM, KVM_CHECK_EXTENSION | 0x100000000L }, true },
	{ "ioctl FD_VCPU0 KVM_GET_REGS (glibc)", "alpha", SYS_ioctl,
	  { FD_VCPU0, KVM_GET_REGS }, true },
	{ "ioctl FD_VCPU_LAST KVM_GET_REGS (musl sign-extended)", "alpha",
	  SYS_ioctl, { FD_VCPU_LAST, MUSL_REQ(KVM_GET_REGS) }, true },
	{ "ioctl FD_VCPU0 KVM_SET_REGS (another request)", "alpha", SYS_ioctl,
	  { FD_VCPU0, MUSL_REQ(KVM_SET_REGS) }, false },
	{ "ioctl FD_MEM KVM_GET_REGS (fd below FD_VCPU0)", "alpha", SYS_ioctl,
	  { FD_MEM, KVM_GET_REGS }, false },
	{ "ioctl fd -1 KVM_GET_REGS (negative fd, huge unsigned)", "alpha",
	  SYS_ioctl, { -1, KVM_GET_REGS }, true },
	{ "mmap RW shared FD_MEM", "alpha", SYS_mmap,
	  { 0, 4096, RW, MAP_SHARED, FD_MEM, 0 }, true },
	{ "mmap RWX shared FD_MEM", "alpha", SYS_mmap,
	  { 0, 4096, RW | PROT_EXEC, MAP_SHARED, FD_MEM, 0 }, false },
	{ "mmap R shared FD_MEM", "alpha", SYS_mmap,
	  { 0, 4096, PROT_READ, MAP_SHARED, FD_MEM, 0 }, false },
	{ "mmap RW private FD_MEM", "alpha", SYS_mmap,
	  { 0, 4096, RW, MAP_PRIVATE, FD_MEM, 0 }, false },
	{ "mmap RW shared FD_STOP (another fd)", "alpha", SYS_mmap,
	  { 0, 4096, RW, MAP_SHARED, FD_STOP, 0 }, false },
	{ "mprotect RW", "alpha", SYS_mprotect, { 0, 4096, RW }, true },
	{ "mprotect NONE", "alpha", SYS_mprotect, { 0, 4096, PROT_NONE }, true },
	{ "mprotect R|EXEC", "alpha", SYS_mprotect,
	  { 0, 4096, PROT_READ | PROT_EXEC }, false },
	{ "fcntl FD_STOP F_SETFL O_RDWR|O_NONBLOCK", "alpha", SYS_fcntl,
	  { FD_STOP, F_SETFL, O_RDWR | O_NONBLOCK }, true },
	{ "fcntl FD_STOP F_SETFL O_NONBLOCK", "alpha", SYS_fcntl,
	  { FD_STOP, F_SETFL, O_NONBLOCK }, false },
	{ "fcntl FD_STOP F_GETFL", "alpha", SYS_fcntl, { FD_STOP, F_GETFL },
	  false },
	{ "fcntl FD_RXREADY F_SETFL", "alpha", SYS_fcntl,
	  { FD_RXREADY, F_SETFL, O_RDWR | O_NONBLOCK }, false },
	{ "umask 0x0f (< 0x10)", "alpha", SYS_umask, { 0x0f }, true },
	{ "umask 0x10", "alpha", SYS_umask, { 0x10 }, false },
	{ "umask with the high word set", "alpha", SYS_umask,
	  { 0x100000000L }, false },
	{ "alarm 0 (<= 5)", "alpha", SYS_alarm, { 0 }, true },
	{ "alarm 5 (<= 5)", "alpha", SYS_alarm, { 5 }, true },
	{ "alarm 6", "alpha", SYS_alarm, { 6 }, false },
	{ "alarm 1000", "alpha", SYS_alarm, { 1000 }, false },
	{ "alarm 1001 (> 1000, the second line)", "alpha", SYS_alarm,
	  { 1001 }, true },
	{ "getpriority 0 (!= 1)", "alpha", SYS_getpriority, { 0, 0 }, true },
	{ "getpriority 1", "alpha", SYS_getpriority, { 1, 0 }, false },
	{ "lseek SEEK_END (>= SEEK_CUR)", "alpha", SYS_lseek,
	  { 0, 0, SEEK_END }, true },
	{ "lseek SEEK_CUR", "alpha", SYS_lseek, { 0, 0, SEEK_CUR }, true },
	{ "lseek SEEK_SET", "alpha", SYS_lseek, { 0, 0, SEEK_SET }, false },
	{ "getpid under alpha (not listed)", "alpha", SYS_getpid, { 0 }, false },
	{ "getpid under beta", "beta", SYS_getpid, { 0 }, true },
	{ "umask under beta (alpha's, not beta's)", "beta", SYS_umask,
	  { 0 }, false },
};

static void test_rules_both_ways(void **state)
{
	unsigned wrong = 0;

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		const struct call *c = &calls[i];
		int st = run_filtered(c->role, c->nr, c->a);
		bool ok = c->allowed ? WIFEXITED(st) && WEXITSTATUS(st) == 0 :
				       denied(st);

		if (ok)
			continue;
		print_error("%s/%s: expected %s, child %s %d\n", c->role,
			    c->what, c->allowed ? "allowed" : "denied",
			    WIFSIGNALED(st) ? "killed by signal" : "exited with",
			    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		wrong++;
	}
	assert_int_equal(wrong, 0);
}

/* The x32 call must die even in the debug build: bad arch kills. */
static void test_x32_killed(void **state)
{
	const long a[6] = { 0 };
	int st = run_filtered("beta", SYS_getpid | 0x40000000L, a);

	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}

static void test_table(void **state)
{
	assert_ptr_equal(wisp_policies[0], &policy_alpha);
	assert_ptr_equal(wisp_policies[1], &policy_beta);
	assert_null(wisp_policies[2]);
	assert_ptr_equal(policy_find("alpha"), &policy_alpha);
	assert_ptr_equal(policy_find("beta"), &policy_beta);
	assert_null(policy_find("gamma"));
	assert_null(policy_find(""));
	assert_string_equal(policy_alpha.name, "alpha");
	assert_int_equal(policy_alpha.n_syscalls, 9);
	assert_int_equal(policy_beta.n_syscalls, 2);
}

/* Arch check first, a bad arch kills; the rest falls to the default. */
static void test_shape(void **state)
{
#ifdef POLICY_DEBUG_BUILD
	const uint32_t deflt = SECCOMP_RET_TRAP;
#else
	const uint32_t deflt = SECCOMP_RET_KILL_PROCESS;
#endif
	const struct wisp_policy *p = &policy_beta;
	const struct sock_filter *badarch;
	bool has_default = false;

	assert_true(p->len > 4 && p->len <= BPF_MAXINSNS);
	assert_int_equal(p->insns[0].code, BPF_LD | BPF_W | BPF_ABS);
	assert_int_equal(p->insns[0].k, offsetof(struct seccomp_data, arch));
	assert_int_equal(p->insns[1].code, BPF_JMP | BPF_JEQ | BPF_K);
	assert_int_equal(p->insns[1].k, AUDIT_ARCH_X86_64);
	assert_true(2u + p->insns[1].jf < p->len);
	badarch = &p->insns[2 + p->insns[1].jf];
	assert_int_equal(badarch->code, BPF_RET | BPF_K);
	assert_int_equal(badarch->k, SECCOMP_RET_KILL_PROCESS);
	for (unsigned i = 0; i < p->len; i++)
		has_default |= p->insns[i].code == (BPF_RET | BPF_K) &&
			       p->insns[i].k == deflt;
	assert_true(has_default);
}

static void test_syscall_names(void **state)
{
	assert_true(wisp_syscall_names_len > SYS_futex_waitv);
	assert_true(wisp_syscall_names_len < 1024);
	assert_string_equal(wisp_syscall_names[0], "read");
	assert_string_equal(wisp_syscall_names[SYS_ioctl], "ioctl");
	assert_string_equal(wisp_syscall_names[SYS_exit_group], "exit_group");
	assert_string_equal(wisp_syscall_names[SYS_futex_waitv], "futex_waitv");
	assert_null(wisp_syscall_names[400]);   /* the 335..423 gap */
	assert_non_null(wisp_syscall_names[wisp_syscall_names_len - 1]);
}

#ifndef POLICY_DEBUG_BUILD
/* ---- the compiler on bad input ------------------------------------------- */

struct tmp {
	char dir[64];
	char out[128], err[128];
};

static int setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/wisp-policy.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->out, sizeof(t->out), "%s/stdout", t->dir);
	snprintf(t->err, sizeof(t->err), "%s/stderr", t->dir);
	*state = t;
	return 0;
}

static int teardown_tmp(void **state)
{
	struct tmp *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	free(t);
	return system(cmd) ? -1 : 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Run the compiler with args (NULL-terminated); its exit status. */
static int run_compiler(struct tmp *t, const char *const *args)
{
	const char *argv[8] = { POLICY_COMPILE };
	int status;
	pid_t pid;

	for (unsigned i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen(t->out, "w", stdout) || !freopen(t->err, "w", stderr))
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Compile text as <dir>/<name> (with mode, or to /dev/null without);
 * expect exit 1 and "<dir>/<name>:<msg>" on stderr. */
static void expect_error(struct tmp *t, const char *mode, const char *name,
			 const char *text, const char *msg)
{
	char path[192], want[384];
	const char *gen[] = { "-o", "/dev/null", path, NULL };
	const char *check[] = { mode, path, NULL };
	const char *err;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	write_file(path, text);
	snprintf(want, sizeof(want), "%s:%s", path, msg);
	if (run_compiler(t, mode ? check : gen) != 1)
		fail_msg("%s: compiler did not exit 1 on:\n%s", name, text);
	err = read_file(t->err);
	if (!strstr(err, want))
		fail_msg("%s: expected \"%s\" in:\n%s", name, want, err);
	unlink(path);
}

static void test_compile_errors(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "getpid\n", "1: rule has no '# why' comment" },
		{ "getpid #   \n", "1: rule has no '# why' comment" },
		{ "# header\n\nnosuchcall # x\n", "3: unknown syscall 'nosuchcall'" },
		{ "socketcall # not on x86_64\n", "1: unknown syscall 'socketcall'" },
		{ "ioctl a1 == KVM_NOPE # x\n", "1: unknown name 'KVM_NOPE'" },
		{ "read a6 == 1 # x\n", "1: argument 'a6' out of range" },
		{ "read arg0 == 1 # x\n", "1: expected an argument a0..a5, got 'arg0'" },
		{ "read a0 =< 1 # x\n", "1: unexpected character '='" },
		{ "read a0 1 # x\n", "1: expected one of == != < <= > >=" },
		{ "read a0 == # x\n", "1: expected a number or a name at end" },
		{ "read a0 == 1| # x\n", "1: expected a number or a name at end" },
		{ "read a0 & 4 # x\n", "1: a masked condition is 'aN & MASK == VALUE'" },
		{ "read a0 == 0700 # x\n", "1: number '0700' has a leading 0" },
		{ "read a0 == 12ab # x\n", "1: bad number '12ab'" },
		{ "read a0 == 0x1ffffffffffffffff # x\n", "1: bad number" },
		{ "read a0 == 1 a0 == 2 # x\n", "1: a0 has two conditions" },
		{ "read a0 == 1 # x\nread a0 == 1 # y\n",
		  "2: duplicate rule (same as line 1)" },
		{ "read a1 == 2 a0 == 1 # x\nread a0 == 1 a1 == 2 # y\n",
		  "2: duplicate rule (same as line 1)" },
		{ "read # x\nread a0 == 1 # y\n", "2: read: an unconditional rule" },
		{ "ioctl a1 == 0x100000000 # x\n", "1: ioctl request 0x100000000 "
		  "does not fit 32 bits" },
		{ "== a0 # x\n", "1: a rule starts with a syscall name" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(*state, NULL, "bad.policy", bad[i].text, bad[i].msg);
	expect_error(*state, NULL, "bad-role.policy", "getpid # x\n",
		     " role 'bad-role' is not a C identifier");
	expect_error(*state, NULL, "notpolicy.txt", "getpid # x\n",
		     " a policy file is named ROLE.policy");
}

static void test_check_failures(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "ioctl a0 == FD_KVM # x\n",
		  "1: CHECK: ioctl rule without a condition on the request (a1)" },
		{ "mmap a3 == MAP_SHARED # x\n",
		  "1: CHECK: mmap rule without a condition on prot (a2)" },
		{ "mprotect a2 != 0 # x\n",
		  "1: CHECK: mprotect rule allows PROT_EXEC in a2" },
		{ "mmap a2 == PROT_READ|PROT_EXEC # x\n",
		  "1: CHECK: mmap rule allows PROT_EXEC in a2" },
		{ "pkey_mprotect a2 <= 7 # x\n",
		  "1: CHECK: pkey_mprotect rule allows PROT_EXEC in a2" },
	};
	char many[4096] = "";
	int nr = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(*state, "--check", "bad.policy", bad[i].text,
			     bad[i].msg);
	/* 26 syscalls compile, but fail the check. */
	for (int n = 0; n < 26; nr++) {
		if (!wisp_syscall_names[nr] || !strcmp(wisp_syscall_names[nr], "ioctl") ||
		    !strcmp(wisp_syscall_names[nr], "mmap") ||
		    !strcmp(wisp_syscall_names[nr], "mprotect"))
			continue;
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
			 "%s # x\n", wisp_syscall_names[nr]);
		n++;
	}
	expect_error(*state, "--check", "many.policy", many,
		     " CHECK: 26 syscalls, the limit is 25");
}

static void test_check_output(void **state)
{
	struct tmp *t = *state;
	char path[192];
	const char *args[] = { "--check", path, NULL };
	const char *out;

	snprintf(path, sizeof(path), "%s/good.policy", t->dir);
	write_file(path, "# ok\nioctl a1 == KVM_RUN # x\n"
		   "mmap a2 & PROT_EXEC == 0 # y\nmprotect a2 < PROT_EXEC # z\n");
	assert_int_equal(run_compiler(t, args), 0);
	out = read_file(t->out);
	assert_non_null(strstr(out, "good: 3 syscalls: ioctl mmap mprotect\n"));
	assert_non_null(strstr(out, "pseudo filter code start"));
	assert_non_null(strstr(out, "jeq  #0xc000003e"));
	assert_non_null(strstr(out, "ld   [24]"));   /* a1 lo */
	assert_non_null(strstr(out, "and  #0x00000004"));   /* & PROT_EXEC */
	assert_non_null(strstr(out, "ret  #0x80000000"));
}

static void test_generated_file(void **state)
{
	struct tmp *t = *state;
	char path[192], out[192];
	const char *args[] = { "--debug", "-o", out, path, NULL };
	const char *c;

	snprintf(path, sizeof(path), "%s/dev_x.policy", t->dir);
	snprintf(out, sizeof(out), "%s/gen.c", t->dir);
	write_file(path, "getpid # x\n");
	assert_int_equal(run_compiler(t, args), 0);
	c = read_file(out);
	assert_non_null(strstr(c, "GENERATED"));
	assert_non_null(strstr(c, "DO NOT EDIT"));
	assert_non_null(strstr(c, "const struct wisp_policy policy_dev_x = {"));
	assert_non_null(strstr(c, "\t&policy_dev_x,\n\tNULL,\n"));
	assert_non_null(strstr(c, "0x00030000 }"));   /* SECCOMP_RET_TRAP */
	assert_non_null(strstr(c, "policy_find(const char *role)"));
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_syscall_names),
		cmocka_unit_test(test_rules_both_ways),
		cmocka_unit_test(test_x32_killed),
#ifndef POLICY_DEBUG_BUILD
		cmocka_unit_test_setup_teardown(test_compile_errors, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_check_failures, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_check_output, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_generated_file, setup_tmp,
						teardown_tmp),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
