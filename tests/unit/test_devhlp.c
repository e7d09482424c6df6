/*
 * Unit tests: the monitor's helper tables (monitor/devhost/devhlp.c). Two instances
 * share one VM; each call must be refused when it touches what the caller
 * does not own. KVM is not needed: refusals happen before any ioctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/exitcode.h"
#include "hlp_complete.h"
#include "policy.h"
#include "core/vm.h"
#include "devhost/devfile.h"
#include "devhost/devhost.h"
#include "kvm/kvm.h"
#include "devhost/devproc.h"

const struct dev_entry dev_registry[] = { { 0 } };
const size_t dev_registry_len = 0;
static const struct dev_reg reg_a = { .name = "a" }, reg_b = { .name = "b" };
static struct vm vm;
static int stop_code = -1;

void vm_request_stop(struct vm *v, int code, const char *why)
{
	stop_code = code;
}

static uint64_t rd(struct dev_ins *ins, void *o, uint64_t off, unsigned sz)
{
	return 0x1234;
}

static const struct dev_io_ops ops = { .read = rd };

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	vm.vm_fd = -1;
	iobus_init(&vm.pio, "port", 0x10000);
	assert_int_equal(mem_init(&vm.mem, 2 << 20), 0);
	vm.n_devs = 2;
	for (unsigned i = 0; i < 2; i++) {
		vm.devs[i].reg = i ? &reg_b : &reg_a;
		snprintf(vm.devs[i].name, sizeof(vm.devs[i].name), "%s.0",
			 vm.devs[i].reg->name);
		vm.hosts[i] = (struct dev_host){ .vm = &vm, .ins = &vm.devs[i] };
		vm.hosts[i].rl = (struct ratelimit)RATELIMIT_INIT(10);
		vm.devs[i].host = &vm.hosts[i];
		vm.devs[i].hlp = devhlp_table(i == 1, false);
	}
	stop_code = -1;
	return 0;
}

static int teardown(void **state)
{
	for (unsigned n = 0; n < vm.n_files; n++)
		close(FD_FILE0 + (int)n);
	iobus_free(&vm.pio);
	mem_destroy(&vm.mem);
	return 0;
}

static void test_tables(void **state)
{
	assert_null(devhlp_table(false, false)->trusted);
	assert_non_null(devhlp_table(true, false)->trusted);
}

/* Every member of every table is set: wisp's two, the device process's
 * two (calls it cannot serve refuse, they are never NULL). */
static void test_tables_complete(void **state)
{
	for (int i = 0; i < 4; i++)
		assert_int_equal(hlp_table_first_null(devhlp_table(i & 1, i & 2)),
				 -1);
}

/* In a device process wisp's files, doorbells, workers, RAM tracking and
 * vm_fault are refused with an error, not called through NULL. */
static void test_sandboxed_refusals(void **state)
{
	struct dev_ins *b = &vm.devs[1];
	const struct dev_hlp *t = devhlp_table(true, true);
	uint64_t ready = 0;
	char buf[4];

	assert_int_equal(t->file_pread(b, 1, buf, 4, 0), -EPERM);
	assert_int_equal(t->file_pwrite(b, 1, buf, 4, 0), -EPERM);
	assert_int_equal(t->file_read(b, 1, buf, 4), -EPERM);
	assert_int_equal(t->file_write(b, 1, buf, 4), -EPERM);
	assert_int_equal(t->file_poll(b, 1000, &ready), -EPERM);
	assert_int_equal(t->doorbell_create(b, DEV_SPACE_PIO, 0x10, 1), -EPERM);
	assert_int_equal(t->doorbell_wait(b, 0), -ECANCELED);
	assert_int_equal(t->worker_start(b, NULL, NULL), -EPERM);
	assert_int_equal(t->trusted->ram_track(b, true), -EPERM);
	t->trusted->vm_fault(b, "test");
	assert_int_equal(stop_code, -1); /* refused, not acted on */
}

static void test_ranges_owned(void **state)
{
	struct dev_ins *a = &vm.devs[0], *b = &vm.devs[1];
	const struct dev_hlp *h = a->hlp;

	assert_int_equal(h->io_register(a, DEV_SPACE_PIO, 0x3f8, 8, &ops, NULL), 0);
	assert_int_equal(h->io_register(b, DEV_SPACE_PIO, 0x3fc, 1, &ops, NULL),
			 -EEXIST);
	assert_int_equal(h->io_unregister(b, DEV_SPACE_PIO, 0x3f8), -EPERM);
	assert_int_equal(h->io_register(a, 7, 0, 1, &ops, NULL), -EINVAL);
	assert_int_equal(h->io_register(a, DEV_SPACE_PIO, 0x10, 1, NULL, NULL),
			 -EINVAL);
	/* Once constructed, ranges are fixed (the exit path takes no lock). */
	vm.hosts[0].constructed = true;
	assert_int_equal(h->io_unregister(a, DEV_SPACE_PIO, 0x3f8), -EINVAL);
	vm.hosts[0].constructed = false;
	assert_int_equal(h->io_unregister(a, DEV_SPACE_PIO, 0x3f8), 0);
}

static void bell(struct dev_ins *ins, void *opaque, uint64_t n)
{
}

/* A doorbell only inside the caller's own range, of a real size, during
 * construction; a KVM that refuses it (no VM here) is reported. */
static void test_ioevent_owned(void **state)
{
	struct dev_ins *a = &vm.devs[0], *b = &vm.devs[1];
	const struct dev_hlp *h = a->hlp;

	assert_int_equal(h->io_register(a, DEV_SPACE_MMIO, 0xd0000000, 4096, &ops,
					NULL), 0);
	assert_int_equal(h->ioevent_register(b, DEV_SPACE_MMIO, 0xd0000ff0, 4,
					     bell, NULL), -EPERM);
	assert_int_equal(h->ioevent_register(a, DEV_SPACE_MMIO, 0xd0001000, 4,
					     bell, NULL), -EPERM);
	assert_int_equal(h->ioevent_register(a, DEV_SPACE_MMIO, 0xd0000ffe, 4,
					     bell, NULL), -EPERM);
	assert_int_equal(h->ioevent_register(a, DEV_SPACE_MMIO, 0xd0000ff0, 3,
					     bell, NULL), -EINVAL);
	assert_int_equal(h->ioevent_register(a, DEV_SPACE_MMIO, 0xd0000ff0, 4,
					     NULL, NULL), -EINVAL);
	assert_int_equal(h->ioevent_register(a, DEV_SPACE_MMIO, 0xd0000ff0, 4,
					     bell, NULL), -EBADF);
	vm.hosts[0].constructed = true;
	assert_int_equal(h->ioevent_register(a, DEV_SPACE_MMIO, 0xd0000ff0, 4,
					     bell, NULL), -EINVAL);
	vm.hosts[0].constructed = false;
}

static void test_dispatch(void **state)
{
	struct dev_ins *a = &vm.devs[0];
	uint32_t v = 0;

	pthread_mutex_init(&vm.hosts[0].lock, NULL);
	vm.unclaimed_rl = (struct ratelimit)RATELIMIT_INIT(5);
	assert_int_equal(a->hlp->io_register(a, DEV_SPACE_MMIO, 0xd0000000,
					     0x1000, &ops, NULL), 0);
	mmio_dispatch(&vm, 0xd0000010, &v, 4, false);
	assert_int_equal(v, 0x1234);
	mmio_dispatch(&vm, 0xd0000ffe, &v, 4, false); /* straddles */
	assert_int_equal(v, 0xffffffff);
	uint16_t w = 0;
	io_dispatch(&vm, &vm.pio, 0x80, &w, 2, false);
	assert_int_equal(w, 0xffff);
	assert_int_equal(atomic_load(&vm.unclaimed), 2);
}

static void test_irq_owned(void **state)
{
	struct dev_ins *a = &vm.devs[0], *b = &vm.devs[1];
	const struct dev_hlp *h = a->hlp;

	assert_int_equal(h->irq_claim(a, 4), 0);
	assert_int_equal(h->irq_claim(b, 4), -EBUSY);
	assert_int_equal(h->irq_claim(a, 2), -EINVAL);
	assert_int_equal(h->irq_claim(a, VM_NR_GSI), -EINVAL);
	assert_int_equal(h->irq_set(b, 4, DEV_IRQ_HIGH), -EPERM);
	assert_int_equal(h->irq_set(a, 5, DEV_IRQ_HIGH), -EPERM);
	assert_int_equal(h->irq_set(a, 1000, DEV_IRQ_HIGH), -EPERM);
}

static void test_mem_checked(void **state)
{
	struct dev_ins *a = &vm.devs[0];
	uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8];

	assert_int_equal(a->hlp->mem_write(a, 0x1000, buf, 8), 0);
	assert_int_equal(a->hlp->mem_read(a, 0x1000, out, 8), 0);
	assert_memory_equal(buf, out, 8);
	assert_int_equal(a->hlp->mem_read(a, (2 << 20) - 4, out, 8), -EFAULT);
	assert_int_equal(a->hlp->mem_write(a, ~0ull - 3, buf, 8), -EFAULT);
	assert_int_equal(a->hlp->mem_read(a, MEM_HOLE_START, out, 1), -EFAULT);
}

/* By guest address a device reaches RAM only, in wisp and in a device
 * process: another device's MMIO2 and a ROM are refused both ways; its
 * own MMIO2 it reaches by handle. */
static void test_mem_ram_only(void **state)
{
	static const uint8_t rom[8] = { 0x5a };
	struct dev_ins *a = &vm.devs[0], *b = &vm.devs[1];
	uint8_t v = 0x33, out = 0;

	int hb = b->hlp->mmio2_create(b, 4096, 0);
	assert_true(hb >= 0);
	assert_int_equal(b->hlp->mmio2_map(b, hb, 0xd0000000), 0);
	assert_int_equal(mem_rom_add(&vm.mem, 0xe0000000, rom, sizeof(rom),
				     "rom", NULL, 0), 0);
	for (int i = 0; i < 2; i++) {
		const struct dev_hlp *t = devhlp_table(false, i);
		assert_int_equal(t->mem_write(a, 0x2000, &v, 1), 0);
		assert_int_equal(t->mem_read(a, 0x2000, &out, 1), 0);
		assert_int_equal(out, 0x33);
		assert_int_equal(t->mem_write(a, 0xd0000000, &v, 1), -EFAULT);
		assert_int_equal(t->mem_read(a, 0xd0000000, &out, 1), -EFAULT);
		assert_int_equal(t->mem_write(a, 0xe0000000, &v, 1), -EFAULT);
		assert_int_equal(t->mem_read(a, 0xe0000000, &out, 1), -EFAULT);
		assert_int_equal(t->mmio2_read(a, hb, 0, &out, 1), -EPERM);
	}
	assert_int_equal(b->hlp->mmio2_write(b, hb, 0, &v, 1), 0);
	assert_int_equal(b->hlp->mmio2_read(b, hb, 0, &out, 1), 0);
	assert_int_equal(out, 0x33);
}

static void test_timers_owned(void **state)
{
	struct dev_ins *a = &vm.devs[0];

	assert_int_equal(a->hlp->timer_arm(a, 0, 1000), -EINVAL);
	assert_int_equal(a->hlp->timer_arm(a, -1, 1000), -EINVAL);
	assert_int_equal(a->hlp->timer_create(a, NULL, NULL), -EINVAL);
}

static void test_trusted_powers(void **state)
{
	struct dev_ins *b = &vm.devs[1];
	const struct dev_hlp_trusted *t = b->hlp->trusted;

	t->vm_poweroff(b, 63);
	assert_int_equal(stop_code, 63);
	t->vm_poweroff(b, 64);
	assert_int_equal(stop_code, WISP_EXIT_GUEST_RANGE);
	t->vm_poweroff(b, -1);
	assert_int_equal(stop_code, WISP_EXIT_GUEST_RANGE);
	t->vm_reset(b);
	assert_int_equal(stop_code, WISP_EXIT_GUEST_REBOOT);
	/* A panic is wisp's status, not one a guest could write. */
	t->vm_panic(b);
	assert_int_equal(stop_code, WISP_EXIT_GUEST_PANIC);
	assert_ptr_equal(t->dev_find(b, "a", 0), &vm.devs[0]);
	assert_null(t->dev_find(b, "a", 1));
	assert_null(t->dev_find(b, "zzz", 0));
}

/* Counted from wisp's start, on the monotonic clock. */
static void test_uptime(void **state)
{
	struct dev_ins *a = &vm.devs[0];
	uint64_t t0 = now_ns();

	uptime_start();
	uint64_t u = a->hlp->uptime_ns(a);
	assert_true(u <= now_ns() - t0);
	assert_true(a->hlp->uptime_ns(a) >= u);
}

static void test_no_console(void **state)
{
	struct dev_ins *a = &vm.devs[0];

	/* No console attached: output is dropped, input never arrives. */
	assert_int_equal(a->hlp->chr_write(a, "hi", 2), 2);
	assert_int_equal(a->hlp->chr_set_rx(a, NULL), 0);
}

/* ---- a sandboxed instance's MMIO2 up-calls (devproc.c) ---------------- */

static struct dp_shm shm;
static int mine, theirs; /* a's and b's MMIO2 handles, 2 pages each */

static int setup_proc(void **state)
{
	setup(state);
	memset(&shm, 0, sizeof(shm));
	vm.procs[0] = (struct devproc){ .shm = &shm };
	vm.hosts[0].proc = &vm.procs[0];
	vm.hosts[0].sandboxed = true;
	mine = mem_mmio2_create(&vm.mem, &vm.devs[0], "a", 8192,
				MEM_MMIO2_F_TRACK);
	theirs = mem_mmio2_create(&vm.mem, &vm.devs[1], "b", 8192,
				  MEM_MMIO2_F_TRACK);
	assert_true(mine >= 0 && theirs >= 0);
	return 0;
}

/* The child posts an up-call; wisp serves it as its event loop would. */
static int up(uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
	shm.up.op = op;
	shm.up.a0 = a0;
	shm.up.a1 = a1;
	shm.up.a2 = a2;
	atomic_store(&shm.up_state, DP_UP_POSTED);
	devproc_serve_up(&vm.hosts[0]);
	assert_int_equal(atomic_load(&shm.up_state), DP_UP_DONE);
	return shm.up.rc;
}

static void expect_stopped(bool stopped)
{
	assert_int_equal(stop_code, stopped ? WISP_EXIT_SANDBOX : -1);
	assert_int_equal(atomic_load(&vm.procs[0].dead), stopped);
}

static void test_up_mmio2_own(void **state)
{
	assert_int_equal(up(DP_UP_MMIO2_MARK, mine, 4096, 1), 0);
	assert_int_equal(up(DP_UP_MMIO2_QUERY, mine, 8, 0), 0);
	assert_int_equal(shm.bitmap[0], 0x3); /* unmapped: every page */
	assert_int_equal(up(DP_UP_MMIO2_QUERY, mine, 8, 0), 0);
	assert_int_equal(shm.bitmap[0], 0);
	assert_int_equal(up(DP_UP_MMIO2_QUERY, mine, DP_NO_BITMAP, 0), 0);
	/* A bad span or size of its own is a refused request, not a misdeed. */
	assert_int_equal(up(DP_UP_MMIO2_MARK, mine, ~0ull, 2), -EFAULT);
	assert_int_equal(up(DP_UP_MMIO2_MARK, mine, 4096, 4097), -EFAULT);
	assert_int_equal(up(DP_UP_MMIO2_QUERY, mine, 16, 0), -EINVAL);
	assert_int_equal(up(DP_UP_MMIO2_UNMAP, mine, 0, 0), -ENOENT);
	expect_stopped(false);
}

static void test_up_mmio2_foreign_map(void **state)
{
	assert_int_equal(up(DP_UP_MMIO2_MAP, theirs, 0xd0000000, 0), -EPERM);
	expect_stopped(true);
	/* Dead: nothing more is served. */
	assert_int_equal(up(DP_UP_MMIO2_QUERY, mine, 8, 0), -EPIPE);
}

static void test_up_mmio2_foreign_query(void **state)
{
	shm.bitmap[0] = 0x5a;
	assert_int_equal(up(DP_UP_MMIO2_QUERY, theirs, 8, 0), -EPERM);
	assert_int_equal(shm.bitmap[0], 0x5a); /* nothing of b's leaked */
	expect_stopped(true);
}

static void test_up_mmio2_no_handle(void **state)
{
	assert_int_equal(up(DP_UP_MMIO2_TRACK, (uint64_t)-1, 1, 0), -EBADF);
	expect_stopped(true);
}

static void test_up_mmio2_foreign_mark(void **state)
{
	assert_int_equal(up(DP_UP_MMIO2_MARK, theirs, 0, 1), -EPERM);
	expect_stopped(true);
}

static void test_up_mmio2_big_bitmap(void **state)
{
	assert_int_equal(up(DP_UP_MMIO2_QUERY, mine, DEVPROC_BITMAP + 8, 0),
			 -EINVAL);
	expect_stopped(true);
}

/* A panic up-call ends the VM with the panic status only for a device the
 * profile trusts; an untrusted one asking for it is a misdeed. */
static void test_up_panic_untrusted(void **state)
{
	assert_int_equal(up(DP_UP_PANIC, 0, 0, 0), -EPERM);
	expect_stopped(true);
}

static void test_up_panic_trusted(void **state)
{
	vm.hosts[0].trusted = true;
	assert_int_equal(up(DP_UP_PANIC, 0, 0, 0), 0);
	assert_int_equal(stop_code, WISP_EXIT_GUEST_PANIC);
	assert_false(atomic_load(&vm.procs[0].dead));
}

/* The child's own side: refused before anything is posted; its copy of
 * the regions is checked as in wisp. */
static void test_child_mmio2(void **state)
{
	struct dev_ins *a = &vm.devs[0];
	static uint64_t big[DEVPROC_BITMAP / 8 + 1];
	uint8_t b[8] = { 7 };

	assert_int_equal(devproc_child_mmio2_query(a, mine, big, sizeof(big)),
			 -E2BIG);
	assert_int_equal(atomic_load(&shm.up_state), DP_UP_IDLE);
	assert_int_equal(devproc_child_mmio2_read(a, theirs, 0, b, 8), -EPERM);
	assert_int_equal(devproc_child_mmio2_read(a, mine, 8190, b, 8), -EFAULT);
	assert_int_equal(devproc_child_mmio2_read(a, mine, ~0ull - 3, b, 8),
			 -EFAULT);
	assert_int_equal(devproc_child_mmio2_read(a, mine, 0, b, 8), 0);
	assert_int_equal(b[0], 0);
}

/* stderr into a file while f runs; returns the lines and the sum of the
 * suppressed counts they report. */
static unsigned captured(void (*f)(void), uint64_t *supp)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	char line[512];
	unsigned n = 0;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	f();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	*supp = 0;
	while (fgets(line, sizeof(line), tmp)) {
		char *p = strstr(line, " lines suppressed");
		n++;
		while (p && p > line && p[-1] >= '0' && p[-1] <= '9')
			p--;
		if (p)
			*supp += strtoull(p, NULL, 10);
	}
	fclose(tmp);
	return n;
}

#define FLOOD 1000

/* Two instances, each under its own limit (raised here to 15 a second),
 * flood: the global limit holds them to LOG_GUEST_BURST together. */
static void flood_log(void)
{
	for (unsigned i = 0; i < FLOOD; i++)
		for (unsigned d = 0; d < 2; d++)
			vm.devs[d].hlp->log(&vm.devs[d], DEV_LOG_ERR, "line %u", i);
}

static void one_more(void)
{
	vm.devs[0].hlp->log(&vm.devs[0], DEV_LOG_ERR, "after the window");
}

static void test_log_limited(void **state)
{
	uint64_t supp;

	vm.hosts[0].rl.burst = vm.hosts[1].rl.burst = 15;
	unsigned n = captured(flood_log, &supp);
	assert_true(n <= LOG_GUEST_BURST + 2);
	usleep(1100 * 1000); /* the next window reports what was dropped */
	n = captured(one_more, &supp);
	assert_true(n >= 2 && n <= 3);
	assert_true(supp >= FLOOD - 15);
}

/* A guest choosing a bad place for an MMIO2 region (testdev command 3, fb's
 * map) gets a line, not one per try. */
static void flood_map(void)
{
	struct dev_ins *a = &vm.devs[0];
	int r = mem_mmio2_create(&vm.mem, a, "a", 4096, 0);

	for (unsigned i = 0; i < FLOOD; i++)
		assert_true(a->hlp->mmio2_map(a, r, 0x1000) < 0);
}

static void test_map_errors_limited(void **state)
{
	uint64_t supp;

	assert_true(captured(flood_map, &supp) <= 10);
}

/* The child's bits: 1 a stale guest address reached, 2 the new one
 * reached, 4 its own region by handle shows wisp's later write. */
static int child_view(struct dev_ins *a, int go)
{
	const struct dev_hlp *t = devhlp_table(false, true);
	uint8_t out = 0;
	char c;
	int bits = 0;

	if (read(go, &c, 1) != 1)
		return 64;
	bits |= t->mem_read(a, 0xd0000000, &out, 1) == 0 ? 1 : 0;
	bits |= t->mem_read(a, 0xd0100000, &out, 1) == 0 ? 2 : 0;
	bits |= t->mmio2_read(a, mine, 0, &out, 1) == 0 && out == 0x42 ? 4 : 0;
	return bits;
}

/* A device process floods wisp with log up-calls: wisp prints a bounded
 * number of lines, each attributed to the instance (a line that does not
 * name it gets its name), and the next window reports what it dropped. */
static void flood_up_log(void)
{
	for (unsigned i = 0; i < FLOOD; i++) {
		snprintf(shm.up.line, sizeof(shm.up.line), "%s%u",
			 i & 1 ? "a.0: line " : "wisp: forged ", i);
		assert_int_equal(up(DP_UP_LOG, i & 1 ? LOG_ERR : 99, 0, 0), 0);
	}
}

static void one_up_log(void)
{
	memset(shm.up.line, 'x', sizeof(shm.up.line)); /* no NUL of its own */
	assert_int_equal(up(DP_UP_LOG, LOG_WARN, 0, 0), 0);
}

/* f's stderr, as a file read from its start. */
static FILE *stderr_of(void (*f)(void))
{
	FILE *out = tmpfile();
	int saved = dup(STDERR_FILENO);

	assert_non_null(out);
	dup2(fileno(out), STDERR_FILENO);
	f();
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(out);
	return out;
}

static void test_up_log_limited(void **state)
{
	unsigned long long dropped = 0;
	unsigned n = 0, named = 0, full = 0;
	char line[600];

	FILE *out = stderr_of(flood_up_log);
	while (fgets(line, sizeof(line), out))
		n++, named += !strncmp(line, "wisp: a.0: ", 11);
	fclose(out);
	assert_true(n >= 1 && n <= 10 && named == n);
	usleep(1100 * 1000); /* the next window reports what was dropped */
	out = stderr_of(one_up_log);
	while (fgets(line, sizeof(line), out)) {
		sscanf(line, "wisp: a.0: %llu lines suppressed", &dropped);
		full += strlen(line) == strlen("wisp: a.0: \n") + DEVPROC_LINE - 1;
	}
	fclose(out);
	assert_true(dropped >= FLOOD - n);
	assert_int_equal(full, 1); /* cut at DEVPROC_LINE - 1 bytes */
	expect_stopped(false);
}

/* A device process's copy of wisp's state is taken at fork; wisp then
 * moves the device's region. The child reaches guest memory by address
 * (RAM only) and its own region by handle, never through a stale map. */
static void test_child_after_move(void **state)
{
	struct dev_ins *a = &vm.devs[0];
	uint8_t v = 0x42;
	int pfd[2], st;

	assert_int_equal(up(DP_UP_MMIO2_MAP, mine, 0xd0000000, 0), 0);
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_view(a, pfd[0]));
	assert_int_equal(up(DP_UP_MMIO2_UNMAP, mine, 0, 0), 0);
	assert_int_equal(up(DP_UP_MMIO2_MAP, mine, 0xd0100000, 0), 0);
	assert_int_equal(mem_mmio2_write(&vm.mem, a, mine, 0, &v, 1), 0);
	assert_int_equal(write(pfd[1], "g", 1), 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(pfd[0]);
	close(pfd[1]);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 4);
}


/* ---- host files (devfile.c): keys, sizes, read-only, watches ---------- */

/* A temporary file of len bytes 'd', opened with flags; its fd. */
static int temp_file(size_t len, int flags)
{
	char path[] = "/tmp/wisp-devhlp-XXXXXX", data[64];
	int fd = mkstemp(path);

	assert_true(fd >= 0 && len <= sizeof(data));
	memset(data, 'd', len);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	fd = open(path, flags | O_CLOEXEC);
	unlink(path);
	assert_true(fd >= 0);
	return fd;
}

/* The size measured when the file was attached, only for its own key. */
static void test_file_size(void **state)
{
	struct dev_ins *a = &vm.devs[0], *b = &vm.devs[1];
	uint64_t size = 0;

	dev_attach_file(&vm, "a", 0, 3, temp_file(42, O_RDWR), 0);
	assert_int_equal(a->hlp->file_size(a, 3, &size), 0);
	assert_int_equal(size, 42);
	assert_int_equal(b->hlp->file_size(b, 3, &size), -EPERM);
	assert_int_equal(a->hlp->file_size(a, 0, &size), -EPERM);
	assert_int_equal(a->hlp->file_size(a, DEV_FILE_KEYS, &size), -EPERM);
	assert_int_equal(a->hlp->file_size(a, 3, NULL), -EINVAL);
	/* Pinned in the host-file block the policies name. */
	assert_int_equal(vm.hosts[0].files[3], FD_FILE0);
	assert_int_equal(vm.n_files, 1);
}

/* A file attached read-only refuses writes in the table itself: here its
 * fd could write (the CLI opens it O_RDONLY too, so the kernel would
 * refuse as well). */
static void test_file_readonly(void **state)
{
	struct dev_ins *a = &vm.devs[0];
	char buf[8];

	dev_attach_file(&vm, "a", 0, 0, temp_file(8, O_RDWR), DEVFILE_RO);
	dev_attach_file(&vm, "a", 0, 1, temp_file(8, O_RDWR), 0);
	assert_int_equal(a->hlp->file_pread(a, 0, buf, 8, 0), 8);
	assert_int_equal(a->hlp->file_pwrite(a, 0, buf, 8, 0), -EBADF);
	assert_int_equal(a->hlp->file_write(a, 0, buf, 8), -EBADF);
	assert_int_equal(a->hlp->file_pread(a, 0, buf, 8, 0), 8);
	assert_memory_equal(buf, "dddddddd", 8);
	assert_int_equal(a->hlp->file_pwrite(a, 1, "xy", 2, 6), 2);
	assert_int_equal(a->hlp->file_pread(a, 1, buf, 8, 0), 8);
	assert_memory_equal(buf, "ddddddxy", 8);
	assert_int_equal(a->hlp->file_pread(a, 2, buf, 8, 0), -EPERM);
}

/* file_sync on the caller's own keys only (read-only too); fallocate
 * only in a device process's table, never on a read-only file, never
 * growing the file: wisp's own tables say -EOPNOTSUPP (main's filter has
 * no fallocate). */
static void test_file_sync_falloc(void **state)
{
	struct dev_ins *a = &vm.devs[0], *b = &vm.devs[1];
	const struct dev_hlp *t = devhlp_table(false, true);
	char buf[8];
	int rc;

	dev_attach_file(&vm, "a", 0, 0, temp_file(8, O_RDWR), 0);
	dev_attach_file(&vm, "a", 0, 1, temp_file(8, O_RDONLY), DEVFILE_RO);
	assert_int_equal(a->hlp->file_sync(a, 0), 0);
	assert_int_equal(a->hlp->file_sync(a, 1), 0);
	assert_int_equal(b->hlp->file_sync(b, 0), -EPERM);
	assert_int_equal(a->hlp->file_sync(a, 2), -EPERM);
	assert_int_equal(a->hlp->file_punch(a, 0, 0, 4), -EOPNOTSUPP);
	assert_int_equal(a->hlp->file_zero(a, 0, 0, 4), -EOPNOTSUPP);
	assert_int_equal(a->hlp->file_punch(a, 1, 0, 4), -EBADF);
	assert_int_equal(t->file_punch(a, 1, 0, 4), -EBADF);
	assert_int_equal(t->file_punch(b, 0, 0, 4), -EPERM);
	assert_int_equal(t->file_zero(a, 0, INT64_MAX, 2), -EINVAL);
	assert_int_equal(t->file_punch(a, 0, 2, 4), 0);
	assert_int_equal(t->file_punch(a, 0, 6, 100), 0); /* past the end */
	assert_int_equal(t->file_pread(a, 0, buf, 8, 0), 8);
	assert_memory_equal(buf, "dd\0\0\0\0\0\0", 8);
	assert_int_equal(t->file_pread(a, 0, buf, 8, 8), 0); /* no growth */
	rc = t->file_zero(a, 0, 0, 1); /* tmpfs has no ZERO_RANGE */
	assert_true(rc == 0 || rc == -EOPNOTSUPP);
	assert_int_equal(t->file_pread(a, 0, buf, 1, 0), 1);
	assert_int_equal(buf[0], rc ? 'd' : 0);
}

static unsigned fired;
static uint64_t fired_key;

static void on_input(struct dev_ins *ins, void *opaque, uint64_t key)
{
	fired++;
	fired_key = key;
}

/* Key 0 of a is a pipe's read end (pollable), key 1 a plain file. */
static int attach_pipe(int *wr)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	dev_attach_file(&vm, "a", 0, 0, p[0], DEVFILE_POLL);
	dev_attach_file(&vm, "a", 0, 1, temp_file(4, O_RDWR), 0);
	*wr = p[1];
	return p[0];
}

static void test_file_watch_refused(void **state)
{
	struct dev_ins *a = &vm.devs[0], *b = &vm.devs[1];
	int wr;

	attach_pipe(&wr);
	assert_int_equal(a->hlp->file_watch(a, 1, on_input, NULL), -EPERM);
	assert_int_equal(b->hlp->file_watch(b, 0, on_input, NULL), -EPERM);
	assert_int_equal(a->hlp->file_watch(a, 5, on_input, NULL), -EPERM);
	assert_int_equal(a->hlp->file_watch(a, 0, NULL, NULL), -EINVAL);
	assert_int_equal(a->hlp->file_watch_set(a, 0, true), -EPERM);
	assert_int_equal(a->hlp->file_watch(a, 0, on_input, NULL), 0);
	assert_int_equal(a->hlp->file_watch(a, 0, on_input, NULL), -EBUSY);
	assert_int_equal(b->hlp->file_watch_set(b, 0, true), -EPERM);
	vm.hosts[0].constructed = true; /* construction only */
	assert_int_equal(a->hlp->file_watch(a, 0, on_input, NULL), -EINVAL);
	close(wr);
}

/* What the loop's epoll reports, as its dispatch would act on it. */
static int loop_once(int ep)
{
	struct epoll_event e;
	int n = epoll_wait(ep, &e, 1, 0);

	if (n == 1)
		devfile_watch_fire(&vm.hosts[0], (unsigned)(e.data.u64 - 0x500));
	return n;
}

/* Level-triggered while on: reported on every wait while readable; off
 * leaves the set, and a report read before it went off is dropped. */
static void test_file_watch_loop(void **state)
{
	struct dev_ins *a = &vm.devs[0];
	int wr, ep = epoll_create1(EPOLL_CLOEXEC);

	attach_pipe(&wr);
	fired = 0;
	assert_int_equal(a->hlp->file_watch(a, 0, on_input, NULL), 0);
	vm.hosts[0].constructed = true;
	assert_int_equal(a->hlp->file_watch_set(a, 0, true), 0); /* no loop yet */
	devfile_watch_loop(&vm.hosts[0], ep, 0x500);
	assert_int_equal(loop_once(ep), 0); /* nothing to read */
	assert_int_equal(write(wr, "x", 1), 1);
	assert_int_equal(loop_once(ep), 1);
	assert_int_equal(loop_once(ep), 1); /* not read: told again */
	assert_int_equal(fired, 2);
	assert_int_equal(fired_key, 0);
	assert_int_equal(a->hlp->file_watch_set(a, 0, false), 0);
	assert_int_equal(loop_once(ep), 0);
	devfile_watch_fire(&vm.hosts[0], 0); /* a stale report */
	devfile_watch_fire(&vm.hosts[0], DEV_MAX_WATCHES);
	assert_int_equal(fired, 2);
	assert_int_equal(a->hlp->file_watch_set(a, 0, true), 0);
	assert_int_equal(loop_once(ep), 1);
	assert_int_equal(fired, 3);
	close(wr);
	close(ep);
}

/* In a child, as a device process before its filter (the limit is per
 * process): a compromised device writing past the end of its image, or
 * growing it by truncation, fails with EFBIG (no SIGXFSZ kills it); the
 * image keeps its size. Its read-only file and its pipe are not bounded. */
static int fsize_child(const struct dev_hlp *t, struct dev_ins *a, int wr)
{
	char b = 'x', buf[2] = "yz";

	if (devfile_limit_fsize(&vm.hosts[0], 0) < 0)
		return 1;
	if (t->file_pwrite(a, 1, &b, 1, 40) != -EFBIG ||
	    t->file_pwrite(a, 1, &b, 1, (1ull << 40)) != -EFBIG)
		return 2;
	if (t->file_pwrite(a, 1, buf, 2, 31) != 1) /* cut at the end */
		return 3;
	if (ftruncate(vm.hosts[0].files[1], 1 << 20) != -1 || errno != EFBIG)
		return 4;
	if (t->file_pwrite(a, 1, &b, 1, 0) != 1 || write(wr, buf, 2) != 2)
		return 5;
	return 0;
}

static void test_file_fsize_bound(void **state)
{
	struct dev_ins *a = &vm.devs[0];
	const struct dev_hlp *t = devhlp_table(false, true);
	int wr, st;
	struct stat s;

	attach_pipe(&wr);
	dev_attach_file(&vm, "a", 0, 2, temp_file(64, O_RDONLY), DEVFILE_RO);
	assert_int_equal(ftruncate(vm.hosts[0].files[1], 32), 0);
	vm.hosts[0].file_size[1] = 32; /* as if attached at 32 bytes */
	pid_t pid = fork();
	if (pid == 0)
		_exit(fsize_child(t, a, wr));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(fstat(vm.hosts[0].files[1], &s), 0);
	assert_int_equal(s.st_size, 32);
	close(wr);
}

/* A device process's table runs the same file calls and checks on the
 * files its host was given; what only wisp has stays refused. */
static void test_file_sandboxed_table(void **state)
{
	struct dev_ins *a = &vm.devs[0];
	const struct dev_hlp *t = devhlp_table(false, true);
	uint64_t size, ready;
	char buf[4];

	dev_attach_file(&vm, "a", 0, 2, temp_file(4, O_RDWR), DEVFILE_RO);
	assert_int_equal(t->file_size(a, 2, &size), 0);
	assert_int_equal(size, 4);
	assert_int_equal(t->file_pread(a, 2, buf, 4, 0), 4);
	assert_int_equal(t->file_pwrite(a, 2, buf, 4, 0), -EBADF);
	assert_int_equal(t->file_read(a, 3, buf, 4), -EPERM);
	assert_int_equal(t->file_poll(a, 1000, &ready), -EPERM);
}

/* In a device process each host file call is progress wisp sees while
 * it waits, and no call leaves the process marked as in host I/O. */
static void test_file_calls_progress(void **state)
{
	struct dev_ins *a = &vm.devs[0];
	const struct dev_hlp *t = devhlp_table(false, true);
	char buf[4];

	dev_attach_file(&vm, "a", 0, 2, temp_file(4, O_RDWR), 0);
	assert_int_equal(t->file_pread(a, 2, buf, 4, 0), 4);
	assert_int_equal(atomic_load(&shm.progress), 1);
	assert_int_equal(t->file_pwrite(a, 2, buf, 4, 0), 4);
	assert_int_equal(t->file_sync(a, 2), 0);
	assert_int_equal(t->file_read(a, 3, buf, 4), -EPERM); /* no call */
	assert_int_equal(atomic_load(&shm.progress), 3);
	assert_int_equal(atomic_load(&shm.in_io), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TP(f) cmocka_unit_test_setup_teardown(f, setup_proc, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tables), T(test_ranges_owned), T(test_ioevent_owned),
		T(test_dispatch),
		T(test_irq_owned), T(test_mem_checked), T(test_timers_owned),
		T(test_trusted_powers), T(test_uptime), T(test_no_console),
		T(test_log_limited), T(test_map_errors_limited),
		TP(test_up_mmio2_own), TP(test_up_mmio2_foreign_map),
		TP(test_up_mmio2_foreign_query), TP(test_up_mmio2_no_handle),
		TP(test_up_mmio2_foreign_mark), TP(test_up_mmio2_big_bitmap),
		TP(test_up_panic_untrusted), TP(test_up_panic_trusted),
		TP(test_child_mmio2), TP(test_child_after_move),
		TP(test_up_log_limited), TP(test_file_calls_progress),
		T(test_tables_complete), T(test_sandboxed_refusals),
		T(test_mem_ram_only), T(test_file_size), T(test_file_readonly),
		T(test_file_sync_falloc),
		T(test_file_watch_refused), T(test_file_watch_loop),
		T(test_file_sandboxed_table), T(test_file_fsize_bound),
	};
	return cmocka_run_group_tests_name("devhlp", tests, NULL, NULL);
}
