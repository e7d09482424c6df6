/*
 * tests/unit/test_vcpu_noalloc.c - nothing a guest makes a vCPU thread do
 * allocates: the vCPU filter (policy/vcpu.policy) has no mmap or brk, so a
 * malloc that needs memory kills the whole VM (SIGSYS, status 159).
 *
 * The largest PCI bus the monitor allows (a function in every slot, each
 * with its six BARs, MSI-X vectors for all the bus has) and every MMIO2
 * region are built as the main thread builds them, the map's room is
 * reserved as main.c does (mem_map_reserve), then a forked child installs
 * the real vCPU filter and does what a guest's exits make a vCPU do:
 * config writes through the port dispatch decode every BAR, BARs move,
 * MSI-X tables are programmed (GSI routes pushed) and fired, every MMIO2
 * region is mapped, queried and unmapped through the helper table.
 *
 * Two detectors, so the check does not depend on the allocator's luck
 * (a malloc served from memory it already has makes no syscall): the
 * filter kills a child whose allocator does reach mmap/brk, and this
 * binary is linked with --wrap for the malloc family (unit.mk), so any
 * call to them from wisp's code while the child runs as a vCPU ends it
 * with NOALLOC_CAUGHT, naming the call. A control runs the same without
 * the reservation and must be caught: the map's growth is the bug.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/vm.h"
#include "devhost/devhost.h"
#include "jail/jail.h"
#include "kvm/kvm.h"
#include "pci/pcibus.h"
#include "policy.h"

#define NOALLOC_CAUGHT 97
#define NVEC 2 /* per function: 31 functions fit the bus's 64 vectors */
#define NFN (PCI_SLOTS - 1)
#define MMIO2_GPA 0x40000000ull

const struct dev_entry dev_registry[] = { { 0 } };
const size_t dev_registry_len = 0;
static const struct dev_reg reg = { .name = "fn" };
static struct vm vm;

void vm_request_stop(struct vm *v, int code, const char *why)
{
}

/* ---- the detector: wisp's calls to the malloc family ---------------------- */

static volatile int as_vcpu; /* set in the child once its filter is on */

/* write and exit: both in the vCPU policy. */
static void caught(const char *what)
{
	static const char pre[] = "allocation on a vCPU path: ";

	(void)!write(2, pre, sizeof(pre) - 1);
	(void)!write(2, what, strlen(what));
	(void)!write(2, "\n", 1);
	syscall(SYS_exit, NOALLOC_CAUGHT);
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__real_reallocarray(void *p, size_t n, size_t size);
char *__real_strdup(const char *s);
int __real_posix_memalign(void **p, size_t align, size_t n);

void *__wrap_malloc(size_t n)
{
	if (as_vcpu)
		caught("malloc");
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	if (as_vcpu)
		caught("calloc");
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	if (as_vcpu)
		caught("realloc");
	return __real_realloc(p, n);
}

void *__wrap_reallocarray(void *p, size_t n, size_t size)
{
	if (as_vcpu)
		caught("reallocarray");
	return __real_reallocarray(p, n, size);
}

void __wrap_free(void *p)
{
	if (as_vcpu)
		caught("free");
	__real_free(p);
}

char *__wrap_strdup(const char *s)
{
	if (as_vcpu)
		caught("strdup");
	return __real_strdup(s);
}

int __wrap_posix_memalign(void **p, size_t align, size_t n)
{
	if (as_vcpu)
		caught("posix_memalign");
	return __real_posix_memalign(p, align, n);
}

/* ---- the largest bus ----------------------------------------------------- */

static uint64_t fn_read(struct dev_ins *ins, void *o, uint64_t off,
			unsigned size)
{
	return 0x5a5a0000u | off;
}

static void fn_write(struct dev_ins *ins, void *o, uint64_t off,
		     unsigned size, uint64_t val)
{
}

static void fn_bell(struct dev_ins *ins, void *o, uint64_t n)
{
}

static const struct dev_io_ops fn_ops = { .read = fn_read,
					  .write = fn_write };

/* Five 4 KiB BARs, one with a doorbell, and the MSI-X BAR: all six. */
static struct dev_pci_func func(void)
{
	struct dev_pci_func f = {
		.vendor = 0x1af4, .device = 0x1044, .class_code = 0x00ff00,
		.msix_vectors = NVEC, .msix_bar = 5,
	};

	for (unsigned i = 0; i < 5; i++)
		f.bar[i] = (struct dev_pci_bar){ .size = 4096, .ops = &fn_ops };
	f.bar[0].bell_len = 4;
	f.bar[0].bell_fn = fn_bell;
	return f;
}

static void add_device(unsigned i)
{
	struct dev_ins *ins = &vm.devs[i];
	struct dev_pci_func f = func();

	ins->reg = &reg;
	snprintf(ins->name, sizeof(ins->name), "fn.%u", i);
	vm.hosts[i] = (struct dev_host){ .vm = &vm, .ins = ins };
	vm.hosts[i].rl = (struct ratelimit)RATELIMIT_INIT(10);
	pthread_mutex_init(&vm.hosts[i].lock, NULL);
	ins->host = &vm.hosts[i];
	ins->hlp = devhlp_table(false, false);
	assert_true(ins->hlp->pci_register(ins, &f) > 0);
	/* Every MMIO2 region mem/ allows, spread over the first devices. */
	if (i < MEM_MAX_MMIO2)
		assert_int_equal(ins->hlp->mmio2_create(ins, 4096,
							DEV_MMIO2_TRACK), i);
	vm.hosts[i].constructed = true;
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	vm.vm_fd = -1;
	vm.unclaimed_rl = (struct ratelimit)RATELIMIT_INIT(5);
	iobus_init(&vm.pio, "port", 0x10000);
	assert_int_equal(mem_init(&vm.mem, 2 << 20), 0);
	pcibus_create(&vm);
	vm.n_devs = NFN;
	for (unsigned i = 0; i < NFN; i++)
		add_device(i);
	return 0;
}

static int teardown(void **state)
{
	for (unsigned i = 0; i < NFN; i++)
		for (unsigned d = 0; d < vm.hosts[i].n_ioevents; d++)
			close(vm.hosts[i].ioevents[d].fd);
	pcibus_destroy(&vm);
	iobus_free(&vm.pio);
	mem_destroy(&vm.mem);
	return 0;
}

/* ---- what a vCPU does for the guest (no cmocka in the child) ------------- */

static uint32_t c1(unsigned slot, unsigned reg_off, bool wr, uint32_t v)
{
	uint32_t addr = 0x80000000u | slot << 11 | (reg_off & 0xfc);

	io_dispatch(&vm, &vm.pio, 0xcf8, &addr, 4, true);
	io_dispatch(&vm, &vm.pio, 0xcfc, &v, 4, wr);
	return v;
}

static uint64_t mmio(uint64_t gpa, bool wr, uint64_t v)
{
	mmio_dispatch(&vm, gpa, &v, 4, wr);
	return v;
}

/* Memory space on for every function, then every BAR answers. */
static int decode_all(void)
{
	for (unsigned s = 1; s <= NFN; s++)
		c1(s, 0x4, true, PCI_CMD_MEM | PCI_CMD_MASTER);
	for (unsigned s = 1; s <= NFN; s++)
		for (unsigned b = 0; b < 5; b++)
			if (mmio(c1(s, 0x10 + 4 * b, false, 0) & ~0xfu, false,
				 0) != 0x5a5a0000u)
				return 1;
	return 0;
}

/* Each function's MSI-X: vector 0 aimed and unmasked (a routing push),
 * enabled, fired. */
static void msix_all(void)
{
	for (unsigned s = 1; s <= NFN; s++) {
		uint64_t t = c1(s, 0x24, false, 0) & ~0xfu;
		mmio(t, true, 0xfee00000u);
		mmio(t + 8, true, 0x41);
		mmio(t + 12, true, 0);
		c1(s, 0x40, true, 0x80000000u); /* MSI-X enable (cap at 0x40) */
		vm.devs[s - 1].hlp->msix_notify(&vm.devs[s - 1], 0);
	}
}

/* Every BAR moved 16 MiB up and back: each move removes and inserts. */
static void move_all(uint32_t delta)
{
	for (unsigned s = 1; s <= NFN; s++)
		for (unsigned b = 0; b < 5; b++)
			c1(s, 0x10 + 4 * b, true,
			   c1(s, 0x10 + 4 * b, false, 0) + delta);
}

static int mmio2_all(void)
{
	for (int h = 0; h < MEM_MAX_MMIO2; h++) {
		struct dev_ins *ins = &vm.devs[h];
		uint64_t bitmap[1];
		if (ins->hlp->mmio2_map(ins, h, MMIO2_GPA + 4096ull * h) < 0 ||
		    ins->hlp->mmio2_query(ins, h, bitmap, sizeof(bitmap)) < 0)
			return 2;
	}
	for (int h = 0; h < MEM_MAX_MMIO2; h++)
		if (vm.devs[h].hlp->mmio2_unmap(&vm.devs[h], h) < 0)
			return 3;
	return 0;
}

static void as_vcpu_thread(void)
{
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(99);
	sandbox_enter("vcpu");
	as_vcpu = 1;
	int rc = decode_all();
	msix_all();
	move_all(16u << 20);
	move_all(-(16u << 20));
	if (rc == 0)
		rc = decode_all() ? 4 : mmio2_all();
	syscall(SYS_exit, rc);
}

/* The child's status: 0, NOALLOC_CAUGHT, or killed (SIGSYS). */
static int run_as_vcpu(void)
{
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		as_vcpu_thread();
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_reserved_no_alloc(void **state)
{
	assert_int_equal(pcibus_bar_count(&vm), NFN * DEV_PCI_BARS);
	assert_int_equal(mem_map_reserve(&vm.mem, pcibus_bar_count(&vm)), 0);
	int st = run_as_vcpu();
	if (st != 0)
		fail_msg("the vCPU work ended with %d (%s)", st,
			 st == NOALLOC_CAUGHT ? "it allocated" :
			 st == 128 + SIGSYS ? "killed by the vCPU filter" :
			 "a step failed");
}

/* Control: without the reservation the map grows on the vCPU thread,
 * which is what killed wisp; the detector must see it. */
static void test_unreserved_caught(void **state)
{
	assert_int_equal(run_as_vcpu(), NOALLOC_CAUGHT);
}

/* One range past the room is refused with a line's worth of reason,
 * never an allocation. */
static void test_full_map_refuses(void **state)
{
	char err[200] = "";

	assert_int_equal(mem_map_reserve(&vm.mem, 0), 0);
	size_t cap = vm.mem.map.cap;
	for (size_t i = vm.mem.map.n; i < cap; i++)
		assert_int_equal(mem_reserve(&vm.mem, 0x80000000ull + 4096 * i,
					     4096, "filler", err, sizeof(err)), 0);
	assert_int_equal(mem_reserve(&vm.mem, 0x90000000ull, 4096, "one more",
				     err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "the guest-physical map is full"));
	assert_int_equal(vm.mem.map.cap, cap);
}

int main(void)
{
	/* The bus pins its fds at fixed numbers (policy.h); one inherited
	 * from whatever started the test must not hold one of them. */
	fd_close_range(3, ~0u);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reserved_no_alloc, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unreserved_caught, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_map_refuses, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
