/*
 * Unit tests: how long wisp waits for a device process (devproc.c). A
 * forked peer plays the process on a shared request page, as
 * devproc_child.c does: it takes the request, works (slowly, making
 * progress; blocked in a host call; or not at all) and answers. A trapped
 * access must outlast the deadline while the process makes progress or
 * sits in host I/O, and still stop the VM (79) when it makes none; wisp's
 * own requests keep a fixed deadline, as does an access while wisp's main
 * thread waits for the instance; a stopping VM gives up the wait.
 * The deadline is the production one (DEVPROC_DEADLINE_MS).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/exitcode.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "devhost/devproc.h"

const struct dev_entry dev_registry[] = { { 0 } };
const size_t dev_registry_len = 0;
static const struct dev_reg reg = { .name = "slow" };
static struct vm vm;
static struct dp_shm *shm; /* shared with the peer */
static int stop_code;
static pid_t peer;

#define DEADLINE_NS (DEVPROC_DEADLINE_MS * 1000000ull)
#define ANSWER 0x5a5au

void vm_request_stop(struct vm *v, int code, const char *why)
{
	stop_code = code;
	atomic_store(&v->stopping, true);
}

enum peer_mode { PEER_PROGRESS, PEER_IN_IO, PEER_IDLE };

static void nap(void)
{
	struct timespec ts = { 0, 20000000 }; /* a slice of slow work */

	nanosleep(&ts, NULL);
}

static void peer_answer(uint32_t seq)
{
	shm->down.val = ANSWER;
	atomic_store(&shm->down_ack, seq);
	atomic_fetch_add(&shm->mon_bell, 1);
	dp_futex_wake(&shm->mon_bell);
}

/* The peer: takes the first request, works for busy_ns as `mode` says
 * (idle: no progress, no answer, until killed), then answers. */
static _Noreturn void peer_run(enum peer_mode mode, uint64_t busy_ns)
{
	uint32_t seq;

	while (!(seq = atomic_load(&shm->down_seq)))
		dp_futex_wait(&shm->down_seq, 0, 10000000);
	uint64_t end = now_ns() + busy_ns;
	atomic_store(&shm->in_io, mode == PEER_IN_IO);
	while (mode == PEER_IDLE || now_ns() < end) {
		nap();
		if (mode == PEER_PROGRESS)
			atomic_fetch_add(&shm->progress, 1);
	}
	atomic_store(&shm->in_io, 0);
	peer_answer(seq);
	_exit(0);
}

static void peer_start(enum peer_mode mode, uint64_t busy_ns)
{
	peer = fork();
	assert_true(peer >= 0);
	if (peer == 0)
		peer_run(mode, busy_ns);
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(shm != MAP_FAILED);
	vm.n_devs = 1;
	vm.stop_fd = -1;
	vm.devs[0].reg = &reg;
	strcpy(vm.devs[0].name, "slow.0");
	vm.procs[0] = (struct devproc){ .shm = shm };
	vm.hosts[0] = (struct dev_host){ .vm = &vm, .ins = &vm.devs[0],
					 .proc = &vm.procs[0],
					 .sandboxed = true };
	vm.devs[0].host = &vm.hosts[0];
	stop_code = -1;
	peer = 0;
	return 0;
}

static int teardown(void **state)
{
	if (peer > 0) {
		kill(peer, SIGKILL);
		waitpid(peer, NULL, 0);
	}
	munmap(shm, sizeof(*shm));
	return 0;
}

/* A trapped read of the instance's port; its value and how long it took. */
static uint32_t access_read(uint64_t *took)
{
	uint32_t v = 0;
	uint64_t t = now_ns();

	devproc_io(&vm.hosts[0], DEV_SPACE_PIO, 0x10, &v, sizeof(v), false);
	*took = now_ns() - t;
	return v;
}

/* A doorbell's long queue ahead of an ISR read: the process works past
 * the deadline, every slice progress; the read is answered, the VM runs. */
static void test_progress_outlasts_deadline(void **state)
{
	uint64_t took;

	peer_start(PEER_PROGRESS, DEADLINE_NS * 3 / 2);
	assert_int_equal(access_read(&took), ANSWER);
	assert_true(took > DEADLINE_NS);
	assert_int_equal(stop_code, -1);
	assert_false(atomic_load(&vm.procs[0].dead));
}

/* A slow disk: one host call (a long flush) blocks past the deadline. */
static void test_host_io_outlasts_deadline(void **state)
{
	uint64_t took;

	peer_start(PEER_IN_IO, DEADLINE_NS * 3 / 2);
	assert_int_equal(access_read(&took), ANSWER);
	assert_true(took > DEADLINE_NS);
	assert_int_equal(stop_code, -1);
}

/* No answer and no progress: still a hung process, caught at the
 * deadline, and the VM stops blaming it. */
static void test_no_progress_is_hung(void **state)
{
	uint64_t took;

	peer_start(PEER_IDLE, 0);
	assert_int_equal(access_read(&took), 0xffffffffu);
	assert_true(took >= DEADLINE_NS && took < 2 * DEADLINE_NS);
	assert_int_equal(stop_code, WISP_EXIT_SANDBOX);
	assert_true(atomic_load(&vm.procs[0].dead));
}

/* wisp's own requests run on its main thread, which must stay free to
 * stop the VM: progress does not extend their deadline. */
static void test_own_request_fixed_deadline(void **state)
{
	uint64_t t = now_ns();

	peer_start(PEER_PROGRESS, 10 * DEADLINE_NS);
	assert_int_equal(dp_chr_rx(&vm.devs[0], (const uint8_t *)"x", 1), 1);
	assert_true(now_ns() - t < 2 * DEADLINE_NS);
	assert_int_equal(stop_code, WISP_EXIT_SANDBOX);
}

/* A stopping VM does not wait for a busy process: the access gives up
 * without blaming it, and the process is sent nothing more. */
static void test_stopping_gives_up(void **state)
{
	uint64_t took;

	peer_start(PEER_PROGRESS, 10 * DEADLINE_NS);
	atomic_store(&vm.stopping, true);
	assert_int_equal(access_read(&took), 0xffffffffu);
	assert_true(took < DEADLINE_NS);
	assert_int_equal(stop_code, -1);
	assert_true(atomic_load(&vm.procs[0].dead));
}

/* While wisp's main thread waits for the instance lock (console input,
 * a screenshot), a vCPU holding it is not patient: progress a process may
 * feign cannot keep the main thread, and with it the VM's stop, waiting. */
static void test_main_thread_waiting(void **state)
{
	uint64_t took;

	peer_start(PEER_PROGRESS, 3 * DEADLINE_NS);
	atomic_store(&vm.hosts[0].main_wants, 1);
	assert_int_equal(access_read(&took), 0xffffffffu);
	assert_true(took < 2 * DEADLINE_NS);
	assert_int_equal(stop_code, WISP_EXIT_SANDBOX);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_progress_outlasts_deadline),
		T(test_host_io_outlasts_deadline),
		T(test_no_progress_is_hung),
		T(test_own_request_fixed_deadline),
		T(test_stopping_gives_up), T(test_main_thread_waiting),
	};
	return cmocka_run_group_tests_name("devproc_wait", tests, NULL, NULL);
}
