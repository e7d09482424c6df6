/*
 * tests/unit/test_policy_roles.c - the real roles (policy/main.policy,
 * policy/vcpu.policy, policy/dev_*.policy) in both directions. A forked child installs the role's
 * filter with the raw seccomp() syscall, makes one call, and leaves with the
 * exit call its role allows: an allowed call (its result does not matter:
 * most fds here are not open) ends with status 0, the same call with other
 * arguments must be killed by SIGSYS (shell status 159).
 */
#include <linux/futex.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"

struct call {
	const char *what;
	long nr;
	long a[6];
	bool allowed;
};

static void child(const struct wisp_policy *p, const struct call *c,
		  long exit_nr)
{
	struct rlimit no_core = { 0, 0 };
	struct sock_fprog prog = { p->len, (struct sock_filter *)p->insns };

	setrlimit(RLIMIT_CORE, &no_core);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		_exit(99);
	syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	syscall(exit_nr, 0);
}

static void check(const char *role, long exit_nr, const struct call *calls,
		  size_t n)
{
	const struct wisp_policy *p = policy_find(role);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		int st;
		pid_t pid = fork();
		if (pid == 0)
			child(p, &calls[i], exit_nr);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		bool killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
		bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (calls[i].allowed ? !ok : !killed)
			fail_msg("%s: %s: status 0x%x, wanted %s", role,
				 calls[i].what, st,
				 calls[i].allowed ? "exit 0" : "SIGSYS");
	}
}

#define VCPU(n) (FD_VCPU0 + (n))
static char buf[64];
static struct itimerspec its;

#pragma GCC diagnostic ignored "-Wmissing-field-initializers" /* a[] tails are 0 */

static void test_vcpu(void **state)
{
	const struct call calls[] = {
		{ "KVM_RUN on a vCPU fd", SYS_ioctl, { VCPU(3), KVM_RUN }, true },
		{ "KVM_RUN on the last vCPU fd", SYS_ioctl, { VCPU(255), KVM_RUN }, true },
		{ "KVM_RUN past the vCPU block", SYS_ioctl, { VCPU(256), KVM_RUN }, false },
		{ "KVM_GET_REGS on a vCPU fd", SYS_ioctl, { VCPU(0), (int)KVM_GET_REGS }, true },
		{ "KVM_SET_REGS on a vCPU fd", SYS_ioctl, { VCPU(0), KVM_SET_REGS }, false },
		{ "KVM_IRQ_LINE on the VM fd", SYS_ioctl, { FD_VM, KVM_IRQ_LINE }, true },
		{ "KVM_RUN on the VM fd", SYS_ioctl, { FD_VM, KVM_RUN }, false },
		{ "map a memslot (a device moves its MMIO2)", SYS_ioctl, { FD_VM, KVM_SET_USER_MEMORY_REGION }, true },
		{ "KVM_SET_USER_MEMORY_REGION on a vCPU fd", SYS_ioctl, { VCPU(0), KVM_SET_USER_MEMORY_REGION }, false },
		{ "KVM_CREATE_VCPU on the VM fd", SYS_ioctl, { FD_VM, KVM_CREATE_VCPU }, false },
		{ "write to stderr", SYS_write, { 2, (long)buf, 0 }, true },
		{ "write to another fd", SYS_write, { 7, (long)buf, 0 }, false },
		{ "arm a device timer", SYS_timerfd_settime, { FD_TIMER0 + 5, 0, (long)&its, 0 }, true },
		{ "arm another fd", SYS_timerfd_settime, { 5, 0, (long)&its, 0 }, false },
		{ "mmap anything", SYS_mmap, { 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 }, false },
		{ "openat", SYS_openat, { AT_FDCWD, (long)"/etc/passwd", O_RDONLY }, false },
		{ "read", SYS_read, { 0, (long)buf, 0 }, false },
		{ "wake a device process", SYS_write, { FD_DP0 + 9, (long)buf, 0 }, true },
		{ "write past the device-process block", SYS_write, { FD_DP0 + 256, (long)buf, 0 }, false },
		{ "has a device process died", SYS_waitid, { 3 /* P_PIDFD */, FD_DP0, 0, WEXITED | WNOHANG }, true },
		{ "wait for any child", SYS_waitid, { P_ALL, 0, 0, WEXITED | WNOHANG }, false },
		{ "turn a device's file watch on", SYS_epoll_ctl, { FD_EPOLL, EPOLL_CTL_ADD, FD_FILE0 + 5, 0 }, true },
		{ "watch stdin (the main loop's)", SYS_epoll_ctl, { FD_EPOLL, EPOLL_CTL_ADD, 0, 0 }, false },
		{ "kick another vCPU (an MMIO2 unmap)", SYS_tkill, { -1, WISP_SIG_KICK }, true },
		{ "another signal", SYS_tkill, { -1, SIGKILL }, false },
	};
	check("vcpu", SYS_exit, calls, sizeof(calls) / sizeof(calls[0]));
}

static void test_main(void **state)
{
	const struct call calls[] = {
		{ "mmap read/write", SYS_mmap, { 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 }, true },
		{ "mmap executable", SYS_mmap, { 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 }, false },
		{ "mprotect", SYS_mprotect, { 0, 4096, PROT_READ | PROT_EXEC }, false },
		{ "kick signal", SYS_tkill, { -1, WISP_SIG_KICK }, true },
		{ "another signal", SYS_tkill, { -1, SIGKILL }, false },
		{ "TCSETS on stdin", SYS_ioctl, { 0, TCSETS, 0 }, true },
		{ "TIOCSTI on stdin", SYS_ioctl, { 0, TIOCSTI, 0 }, false },
		{ "KVM_IRQ_LINE on the VM fd", SYS_ioctl, { FD_VM, KVM_IRQ_LINE }, true },
		{ "KVM_RUN from the main thread", SYS_ioctl, { VCPU(0), KVM_RUN }, false },
		{ "read the signalfd", SYS_read, { FD_SIGNAL, (long)buf, 0 }, true },
		{ "read another fd", SYS_read, { 9, (long)buf, 0 }, false },
		{ "watch stdin", SYS_epoll_ctl, { FD_EPOLL, EPOLL_CTL_ADD, 0, 0 }, true },
		{ "watch another fd", SYS_epoll_ctl, { FD_EPOLL, EPOLL_CTL_ADD, 5, 0 }, false },
		{ "fdatasync the console", SYS_fdatasync, { FD_CONSOLE }, true },
		{ "fdatasync another fd", SYS_fdatasync, { 3 }, false },
		{ "fdatasync a disk inside wisp (FLUSH)", SYS_fdatasync, { FD_FILE0 + 1 }, true },
		{ "fallocate a disk inside wisp", SYS_fallocate, { FD_FILE0, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 512 }, false },
		{ "openat", SYS_openat, { AT_FDCWD, (long)"/etc/passwd", O_RDONLY }, false },
		{ "socket", SYS_socket, { 2, 1, 0 }, false },
		{ "clone", SYS_clone, { SIGCHLD, 0, 0, 0, 0 }, false },
		{ "execve", SYS_execve, { (long)"/bin/true", 0, 0 }, false },
		{ "read a device process's up-call", SYS_read, { FD_DP0 + 2, (long)buf, 0 }, true },
		{ "reap a device process", SYS_waitid, { 3 /* P_PIDFD */, FD_DP0 + 8, 0, WEXITED }, true },
		{ "reap any child", SYS_waitid, { P_ALL, 0, 0, WEXITED | WNOHANG }, false },
		{ "SIGKILL a device process", SYS_pidfd_send_signal, { FD_DP0 + 8, SIGKILL, 0, 0 }, true },
		{ "SIGTERM a device process", SYS_pidfd_send_signal, { FD_DP0 + 8, SIGTERM, 0, 0 }, false },
		{ "SIGKILL through another fd", SYS_pidfd_send_signal, { 5, SIGKILL, 0, 0 }, false },
		{ "pread a device's host file", SYS_pread64, { FD_FILE0 + 3, (long)buf, 0, 0 }, true },
		{ "pread past the host files", SYS_pread64, { FD_FILE0 + FD_FILE_MAX, (long)buf, 0, 0 }, false },
		{ "pwrite the guest's RAM memfd", SYS_pwrite64, { FD_MEM, (long)buf, 0, 0 }, false },
		{ "read a device's tap", SYS_read, { FD_FILE0 + 63, (long)buf, 0 }, true },
		{ "watch a device's tap", SYS_epoll_ctl, { FD_EPOLL, EPOLL_CTL_ADD, FD_FILE0 + 1, 0 }, true },
		{ "watch a host file in another set", SYS_epoll_ctl, { FD_DPC_EPOLL, EPOLL_CTL_ADD, FD_FILE0 + 1, 0 }, false },
		/* musl's free of a slot spanning pages (a virtio device's state at destruct) */
		{ "free's madvise(MADV_FREE)", SYS_madvise, { 0, 8192, MADV_FREE }, true },
		{ "madvise(MADV_DONTFORK)", SYS_madvise, { 0, 8192, MADV_DONTFORK }, false },
	};
	check("main", SYS_exit_group, calls, sizeof(calls) / sizeof(calls[0]));
}

/* The control thread: its socket and clients, nothing of the VM's. */
static void test_ctl(void **state)
{
	const struct call calls[] = {
		{ "accept a client", SYS_accept4, { FD_CTL_LISTEN, 0, 0, SOCK_NONBLOCK }, true },
		{ "accept on another fd", SYS_accept4, { 5, 0, 0, 0 }, false },
		{ "ask a client's uid", SYS_getsockopt, { 7, SOL_SOCKET, SO_PEERCRED, 0, 0 }, true },
		{ "another socket option", SYS_getsockopt, { 7, SOL_SOCKET, SO_RCVBUF, 0, 0 }, false },
		{ "pin a client", SYS_dup3, { 7, FD_CTL_CLI0 + 7, O_CLOEXEC }, true },
		{ "dup onto the VM fd", SYS_dup3, { 7, FD_VM, O_CLOEXEC }, false },
		{ "read a client", SYS_read, { FD_CTL_CLI0 + 3, (long)buf, 0 }, true },
		{ "read the signalfd", SYS_read, { FD_SIGNAL, (long)buf, 0 }, false },
		{ "reply to a client", SYS_write, { FD_CTL_CLI0, (long)buf, 0 }, true },
		{ "hand the main thread a command", SYS_write, { FD_CTL_REQ, (long)buf, 0 }, true },
		{ "write the stop eventfd itself", SYS_write, { FD_STOP, (long)buf, 0 }, false },
		{ "read wisp's statm", SYS_pread64, { FD_CTL_STATM, (long)buf, 0, 0 }, true },
		{ "pread the guest's RAM memfd", SYS_pread64, { FD_MEM, (long)buf, 0, 0 }, false },
		{ "wait on its epoll", SYS_epoll_pwait, { FD_CTL_EPOLL, (long)buf, 1, 0, 0, 8 }, true },
		{ "wait on the main loop's", SYS_epoll_pwait, { FD_EPOLL, (long)buf, 1, 0, 0, 8 }, false },
		{ "KVM_RUN", SYS_ioctl, { VCPU(0), KVM_RUN }, false },
		{ "KVM_IRQ_LINE", SYS_ioctl, { FD_VM, KVM_IRQ_LINE }, false },
		{ "socket", SYS_socket, { 1, 1, 0 }, false },
		{ "connect", SYS_connect, { 7, 0, 0 }, false },
		{ "tkill a vCPU", SYS_tkill, { -1, WISP_SIG_KICK }, false },
		{ "mmap executable", SYS_mmap, { 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 }, false },
	};
	check("ctl", SYS_exit, calls, sizeof(calls) / sizeof(calls[0]));
}

static uint32_t word;

/* What every device process may do, and what none may. */
#define DEVPROC_CALLS                                                          \
	{ "wait in its loop", SYS_epoll_pwait, { FD_DPC_EPOLL, (long)buf, 1, 0, 0, 8 }, true }, \
	{ "watch a host file", SYS_epoll_ctl, { FD_DPC_EPOLL, EPOLL_CTL_DEL, FD_FILE0 + 2, 0 }, true }, \
	{ "watch the request eventfd again", SYS_epoll_ctl, { FD_DPC_EPOLL, EPOLL_CTL_DEL, FD_DPC_DOWN, 0 }, false }, \
	{ "wait on another epoll", SYS_epoll_pwait, { FD_EPOLL, (long)buf, 1, 0, 0, 8 }, false }, \
	{ "read a doorbell", SYS_read, { FD_IOEV0 + 3, (long)buf, 0 }, true },                    \
	{ "read the request eventfd (edge-triggered, never read)", SYS_read, { FD_DPC_DOWN, (long)buf, 0 }, false }, \
	{ "read wisp's signalfd", SYS_read, { FD_SIGNAL, (long)buf, 0 }, false }, \
	{ "read stdin", SYS_read, { 0, (long)buf, 0 }, false },                  \
	{ "post an up-call", SYS_write, { FD_DPC_UP, (long)buf, 0 }, true },      \
	{ "write stderr (its lines are up-calls)", SYS_write, { 2, (long)buf, 0 }, false }, \
	{ "writev stderr", SYS_writev, { 2, (long)buf, 0 }, false },             \
	{ "execveat (it is exec'd once, before its filter)", SYS_execveat, { FD_SELF_EXE, (long)"", 0, 0, AT_EMPTY_PATH }, false }, \
	{ "write wisp's stop eventfd", SYS_write, { FD_STOP, (long)buf, 0 }, false }, \
	{ "futex wake", SYS_futex, { (long)&word, FUTEX_WAKE, 1 }, true },        \
	{ "futex requeue", SYS_futex, { (long)&word, FUTEX_REQUEUE, 1 }, false }, \
	{ "KVM_IRQ_LINE on the VM fd", SYS_ioctl, { FD_VM, KVM_IRQ_LINE }, false }, \
	{ "map guest RAM again", SYS_mmap, { 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, FD_MEM, 0 }, false }, \
	{ "openat", SYS_openat, { AT_FDCWD, (long)"/etc/passwd", O_RDONLY }, false }, \
	{ "socket", SYS_socket, { 2, 1, 0 }, false },                            \
	{ "fork", SYS_clone, { SIGCHLD, 0, 0, 0, 0 }, false },                   \
	{ "kill", SYS_kill, { 1, 0 }, false }

static void test_dev_plain(void **state)
{
	const struct call calls[] = {
		DEVPROC_CALLS,
		{ "pulse a line by irqfd", SYS_write, { FD_DPC_IRQ0, (long)buf, 0 }, false },
		{ "arm a timer", SYS_timerfd_settime, { FD_TIMER0, 0, (long)&its, 0 }, false },
		{ "console output", SYS_write, { 1, (long)buf, 0 }, false },
		{ "pread a host file (a device without files)", SYS_pread64, { FD_FILE0, (long)buf, 0, 0 }, false },
	};
	check("dev_i8042", SYS_exit_group, calls, sizeof(calls) / sizeof(calls[0]));
	check("dev_debug_exit", SYS_exit_group, calls, sizeof(calls) / sizeof(calls[0]));
}

static void test_dev_irqfd(void **state)
{
	const struct call calls[] = {
		DEVPROC_CALLS,
		{ "pulse its first line", SYS_write, { FD_DPC_IRQ0, (long)buf, 0 }, true },
		{ "pulse its fourth line", SYS_write, { FD_DPC_IRQ0 + 3, (long)buf, 0 }, true },
		{ "write past its irqfds", SYS_write, { FD_DPC_IRQ0 + 4, (long)buf, 0 }, false },
		{ "console output", SYS_write, { 1, (long)buf, 0 }, false },
	};
	check("dev_testdev", SYS_exit_group, calls, sizeof(calls) / sizeof(calls[0]));
	check("dev_testbad", SYS_exit_group, calls, sizeof(calls) / sizeof(calls[0]));
}

static void test_dev_uart(void **state)
{
	const struct call calls[] = {
		DEVPROC_CALLS,
		{ "console output", SYS_write, { 1, (long)buf, 0 }, true },
		{ "console output to a file", SYS_write, { FD_CONSOLE, (long)buf, 0 }, true },
		{ "arm its timer", SYS_timerfd_settime, { FD_TIMER0 + 2, 0, (long)&its, 0 }, true },
		{ "arm another fd", SYS_timerfd_settime, { FD_WATCHDOG, 0, (long)&its, 0 }, false },
		{ "pulse a line by irqfd", SYS_write, { FD_DPC_IRQ0, (long)buf, 0 }, false },
	};
	check("dev_uart", SYS_exit_group, calls, sizeof(calls) / sizeof(calls[0]));
}

static void test_dev_fb(void **state)
{
	const struct call calls[] = {
		DEVPROC_CALLS,
		{ "write the screenshot", SYS_pwrite64, { FD_SCREENSHOT, (long)buf, 0, 0 }, true },
		{ "pwrite another fd", SYS_pwrite64, { FD_CONSOLE, (long)buf, 0, 0 }, false },
		{ "truncate the screenshot", SYS_ftruncate, { FD_SCREENSHOT, 0 }, true },
		{ "truncate another fd", SYS_ftruncate, { FD_MEM, 0 }, false },
		{ "malloc a PNG buffer", SYS_mmap, { 0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 }, true },
		{ "mmap executable", SYS_mmap, { 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 }, false },
		{ "mmap at a fixed address", SYS_mmap, { 4096, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0 }, false },
		{ "mmap shared memory", SYS_mmap, { 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0 }, false },
		{ "mprotect", SYS_mprotect, { 0, 4096, PROT_READ | PROT_EXEC }, false },
		{ "console output", SYS_write, { 1, (long)buf, 0 }, false },
		{ "pulse a line by irqfd", SYS_write, { FD_DPC_IRQ0, (long)buf, 0 }, false },
		{ "map a memslot itself", SYS_ioctl, { FD_VM, KVM_SET_USER_MEMORY_REGION }, false },
		{ "fetch a dirty log itself", SYS_ioctl, { FD_VM, KVM_GET_DIRTY_LOG }, false },
	};
	check("dev_fb", SYS_exit_group, calls, sizeof(calls) / sizeof(calls[0]));
}

/* The virtio devices: their host files (the FD_FILE0 block: a device
 * process holds only its own) as each needs them, their MSI-X irqfds
 * (FD_MSIX0 block), nothing else. */
static void test_dev_virtio_rng(void **state)
{
	const struct call calls[] = {
		DEVPROC_CALLS,
		{ "read entropy", SYS_read, { FD_FILE0, (long)buf, 0 }, true },
		{ "read past the file block", SYS_read, { FD_FILE0 + FD_FILE_MAX, (long)buf, 0 }, false },
		{ "write its entropy file", SYS_write, { FD_FILE0, (long)buf, 0 }, false },
		{ "signal an MSI-X vector", SYS_write, { FD_MSIX0 + 1, (long)buf, 0 }, true },
		{ "getrandom itself", SYS_getrandom, { (long)buf, 0, 0 }, false },
		{ "pread a file", SYS_pread64, { FD_FILE0, (long)buf, 0, 0 }, false },
	};
	check("dev_virtio_rng", SYS_exit_group, calls, sizeof(calls) / sizeof(calls[0]));
}

static void test_dev_virtio_blk(void **state)
{
	const struct call calls[] = {
		DEVPROC_CALLS,
		{ "read the image", SYS_pread64, { FD_FILE0, (long)buf, 0, 0 }, true },
		{ "write the image", SYS_pwrite64, { FD_FILE0, (long)buf, 0, 0 }, true },
		{ "pread past the file block", SYS_pread64, { FD_FILE0 + FD_FILE_MAX, (long)buf, 0, 0 }, false },
		{ "pwrite guest RAM's memfd", SYS_pwrite64, { FD_MEM, (long)buf, 0, 0 }, false },
		{ "fsync the image", SYS_fsync, { FD_FILE0 }, false },
		{ "fdatasync the image (FLUSH)", SYS_fdatasync, { FD_FILE0 }, true },
		{ "fdatasync guest RAM's memfd", SYS_fdatasync, { FD_MEM }, false },
		{ "punch a hole (DISCARD)", SYS_fallocate, { FD_FILE0, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 512 }, true },
		{ "zero a range (WRITE_ZEROES)", SYS_fallocate, { FD_FILE0, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 512 }, true },
		{ "grow the image", SYS_fallocate, { FD_FILE0, 0, 0, 512 }, false },
		{ "zero a range, growing it", SYS_fallocate, { FD_FILE0, FALLOC_FL_ZERO_RANGE, 0, 512 }, false },
		{ "punch guest RAM's memfd", SYS_fallocate, { FD_MEM, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 512 }, false },
		{ "signal an MSI-X vector", SYS_write, { FD_MSIX0, (long)buf, 0 }, true },
		{ "read the image sequentially", SYS_read, { FD_FILE0, (long)buf, 0 }, false },
	};
	check("dev_virtio_blk", SYS_exit_group, calls, sizeof(calls) / sizeof(calls[0]));
}

static void test_dev_virtio_net(void **state)
{
	struct epoll_event ev = { 0 };
	const struct call calls[] = {
		DEVPROC_CALLS,
		{ "read a frame", SYS_read, { FD_FILE0, (long)buf, 0 }, true },
		{ "write a frame", SYS_write, { FD_FILE0, (long)buf, 0 }, true },
		/* FD_FILE0 + FD_FILE_MAX is FD_MSIX0, whose writes pci.inc allows */
		{ "write past the file and MSI-X blocks", SYS_write, { FD_MSIX0 + FD_MSIX_MAX, (long)buf, 0 }, false },
		{ "watch the tap", SYS_epoll_ctl, { FD_DPC_EPOLL, EPOLL_CTL_DEL, FD_FILE0, (long)&ev }, true },
		{ "watch another fd", SYS_epoll_ctl, { FD_DPC_EPOLL, EPOLL_CTL_DEL, FD_MEM, (long)&ev }, false },
		{ "signal an MSI-X vector", SYS_write, { FD_MSIX0 + 2, (long)buf, 0 }, true },
		{ "ioctl the tap", SYS_ioctl, { FD_FILE0, 0x400454ca }, false },
	};
	check("dev_virtio_net", SYS_exit_group, calls, sizeof(calls) / sizeof(calls[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu),
		cmocka_unit_test(test_main),
		cmocka_unit_test(test_ctl),
		cmocka_unit_test(test_dev_plain),
		cmocka_unit_test(test_dev_irqfd),
		cmocka_unit_test(test_dev_uart),
		cmocka_unit_test(test_dev_fb),
		cmocka_unit_test(test_dev_virtio_rng),
		cmocka_unit_test(test_dev_virtio_blk),
		cmocka_unit_test(test_dev_virtio_net),
	};
	return cmocka_run_group_tests_name("policy roles", tests, NULL, NULL);
}
