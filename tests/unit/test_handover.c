/*
 * Unit tests: the handover a device process gets after its exec
 * (monitor/devproc_handover.c). wisp fills it from what an instance owns;
 * the process accepts exactly a well-formed one: every field out of its
 * bounds (size, version, flags, spec, console fd, RAM layout, fd blocks,
 * lines, MMIO2 handles and sizes, host files' keys, fds, flags and
 * sizes) is refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"
#include "core/vm.h"
#include "devhost/devproc.h"

static const struct dev_opt opts[] = {
	{ .key = "port", .type = DEV_OPT_U64, .max = 0xffff },
	{ .key = "path", .type = DEV_OPT_STR },
};
static const struct dev_ops ops;
static const struct dev_reg reg = { .name = "hodev", .max_instances = 4,
				    .opts = opts, .n_opts = 2, .ops = &ops };
const struct dev_entry dev_registry[] = { { &reg, false, true } };
const size_t dev_registry_len = 1;
static struct vm vm;
static struct dp_handover ho;
static char why[160];

void vm_request_stop(struct vm *v, int code, const char *w)
{
}

static void fn(struct dev_ins *ins, void *opaque)
{
}

/* One instance of hodev, index 1, with a timer, a line, an MMIO2 region,
 * the console and a spec of two options; 5 MiB of RAM in two ranges. */
static int setup(void **state)
{
	char err[160];
	struct dev_ins *ins = &vm.devs[0];
	struct dev_host *h = &vm.hosts[0];

	memset(&vm, 0, sizeof(vm));
	vm.shot_fd = -1;
	assert_int_equal(mem_init(&vm.mem, 5 << 20), 0);
	vm.mem.ranges[1] = vm.mem.ranges[0];
	vm.mem.ranges[1].gpa = MEM_HOLE_END;
	vm.mem.ranges[1].d = (struct mem_dirty){ .slot = -1 }; /* its own */
	vm.mem.n_ranges = 2;
	assert_int_equal(dev_parse_spec("hodev,port=0x3f8,path=/x", ins, err,
					 sizeof(err)), 0);
	ins->idx = 1;
	*h = (struct dev_host){ .vm = &vm, .ins = ins, .proc = &vm.procs[0],
				.n_timers = 1, .chr = &vm.console };
	h->timers[0] = (struct dev_timer){ FD_TIMER0 + 3, fn, NULL };
	vm.procs[0] = (struct devproc){ .n_irqfd = 1, .irq_gsi = { 4 } };
	vm.console.out_fd = FD_CONSOLE;
	assert_true(mem_mmio2_create(&vm.mem, ins, "r", 8192, 0) >= 0);
	assert_int_equal(dp_handover_fill(&vm, h, &ho), 0);
	return 0;
}

static int teardown(void **state)
{
	mem_destroy(&vm.mem);
	return 0;
}

static int check(void)
{
	return dp_handover_check(&ho, sizeof(ho), why, sizeof(why));
}

/* What wisp fills is accepted, and says what the instance owns. */
static void test_filled(void **state)
{
	assert_int_equal(check(), 0);
	assert_string_equal(ho.spec, "hodev,port=0x3f8,path=/x");
	assert_int_equal(ho.idx, 1);
	assert_int_equal(ho.console_fd, FD_CONSOLE);
	assert_int_equal(ho.n_ram, 2);
	assert_int_equal(ho.ram_total, 5 << 20);
	assert_int_equal(ho.n_timers, 1);
	assert_int_equal(ho.timer_fd[0], FD_TIMER0 + 3);
	assert_int_equal(ho.n_irq, 1);
	assert_int_equal(ho.irq_gsi[0], 4);
	assert_int_equal(ho.n_mmio2, 1);
	assert_int_equal(ho.mmio2[0].size, 8192);
	assert_int_equal(vm.procs[0].mmio2_fd[0], vm.mem.mmio2[0].fd);
}

static void test_head(void **state)
{
	assert_int_equal(dp_handover_check(&ho, sizeof(ho) - 1, why,
					   sizeof(why)), -EINVAL);
	ho.magic ^= 1;
	assert_int_equal(check(), -EINVAL);
	ho.magic ^= 1;
	ho.version = DP_HO_VERSION + 1;
	assert_int_equal(check(), -EINVAL);
	assert_non_null(strstr(why, "version"));
	ho.version = DP_HO_VERSION;
	ho.flags = 1u << 7;
	assert_int_equal(check(), -EINVAL);
	ho.flags = 0;
	memset(ho.spec, 'a', sizeof(ho.spec)); /* no terminator */
	assert_int_equal(check(), -EINVAL);
	ho.spec[0] = '\0';
	ho.console_fd = STDERR_FILENO; /* never wisp's stderr */
	assert_int_equal(check(), -EINVAL);
	ho.console_fd = -1;
	ho.idx = VM_MAX_DEVICES;
	assert_int_equal(check(), -EINVAL);
}

static void test_ram(void **state)
{
	ho.ram[1].off = ~0ull & ~(MEM_PAGE - 1); /* off + size wraps */
	assert_int_equal(check(), -EINVAL);
	ho.ram[1].off = 0;
	ho.ram[1].size = ho.ram_total + MEM_PAGE; /* past the memfd */
	assert_int_equal(check(), -EINVAL);
	ho.ram[1].size = MEM_PAGE;
	ho.ram[1].gpa = GMAP_LIMIT; /* past the guest-physical space */
	assert_int_equal(check(), -EINVAL);
	ho.ram[1].gpa = 0x800; /* unaligned */
	assert_int_equal(check(), -EINVAL);
	ho.ram[1].gpa = 0;
	ho.n_ram = DP_HO_MAX_RAM + 1;
	assert_int_equal(check(), -EINVAL);
	ho.n_ram = 0;
	assert_int_equal(check(), -EINVAL);
}

static void test_fds_and_lines(void **state)
{
	ho.timer_fd[0] = FD_TIMER0 + FD_TIMER_MAX; /* outside its policy's block */
	assert_int_equal(check(), -EINVAL);
	ho.timer_fd[0] = FD_TIMER0;
	ho.n_timers = DP_HO_MAX_TIMERS + 1;
	assert_int_equal(check(), -EINVAL);
	ho.n_timers = 0;
	ho.n_ioevents = 1;
	ho.ioevent_fd[0] = FD_STOP; /* wisp's, not a doorbell */
	assert_int_equal(check(), -EINVAL);
	ho.n_ioevents = 0;
	ho.irq_gsi[0] = 2; /* the cascade */
	assert_int_equal(check(), -EINVAL);
	ho.irq_gsi[0] = VM_NR_GSI;
	assert_int_equal(check(), -EINVAL);
	ho.irq_gsi[0] = 4;
	ho.n_irq = DEVPROC_MAX_IRQFD + 1;
	assert_int_equal(check(), -EINVAL);
}

static void test_mmio2(void **state)
{
	ho.n_mmio2 = 2;
	ho.mmio2[1] = ho.mmio2[0]; /* one handle twice */
	assert_int_equal(check(), -EINVAL);
	ho.mmio2[1].handle = MEM_MAX_MMIO2;
	assert_int_equal(check(), -EINVAL);
	ho.mmio2[1].handle = 3;
	ho.mmio2[1].size = 4097;
	assert_int_equal(check(), -EINVAL);
	ho.mmio2[1].size = 4096;
	ho.mmio2[1].flags = 2;
	assert_int_equal(check(), -EINVAL);
	ho.mmio2[1].flags = MEM_MMIO2_F_TRACK;
	assert_int_equal(check(), 0);
	ho.n_mmio2 = DP_HO_MAX_MMIO2 + 1;
	assert_int_equal(check(), -EINVAL);
}

/* A PCI function: a slot on the bus, vectors inside FD_MSIX0's block;
 * none: all zero. */
static void test_pci(void **state)
{
	assert_int_equal(ho.pci_slot, 0); /* this instance registered none */
	ho.msix_n = 1;
	assert_int_equal(check(), -EINVAL);
	ho.pci_slot = 1;
	ho.msix_gsi0 = PCI_MSI_GSI0;
	assert_int_equal(check(), 0);
	ho.pci_slot = PCI_SLOTS;
	assert_int_equal(check(), -EINVAL);
	ho.pci_slot = 31;
	ho.msix_gsi0 = PCI_MSI_GSI0 - 1;
	assert_int_equal(check(), -EINVAL);
	ho.msix_gsi0 = PCI_MSI_GSI0 + PCI_MAX_VECTORS;
	assert_int_equal(check(), -EINVAL);
	ho.msix_gsi0 = PCI_MSI_GSI0 + PCI_MAX_VECTORS - 1;
	assert_int_equal(check(), 0);
	ho.msix_n = 2;
	assert_int_equal(check(), -EINVAL);
	ho.msix_gsi0 = 0xffffffffu;
	assert_int_equal(check(), -EINVAL);
	ho.msix_gsi0 = PCI_MSI_GSI0;
	ho.msix_n = DEV_PCI_MSIX_MAX + 1;
	assert_int_equal(check(), -EINVAL);
}

/* An instance with more regions than a handover carries is refused in
 * wisp, before any process starts. */
static void test_fill_too_many(void **state)
{
	for (unsigned i = 0; i < DP_HO_MAX_MMIO2; i++)
		assert_true(mem_mmio2_create(&vm.mem, &vm.devs[0], "r", 4096,
					     0) >= 0);
	assert_int_equal(dp_handover_fill(&vm, &vm.hosts[0], &ho), -E2BIG);
}


/* ---- host files --------------------------------------------------------- */

/* Two files of the instance: key 0 read-only (a disk) at FD_FILE0 + 2,
 * key 5 pollable (a tap) at FD_FILE0 + 7. */
static void give_files(struct dev_host *h)
{
	h->file_keys = 1ull << 0 | 1ull << 5;
	h->files[0] = FD_FILE0 + 2;
	h->files[5] = FD_FILE0 + 7;
	h->file_size[0] = 1 << 20;
	h->file_ro = 1ull << 0;
	h->file_pollable = 1ull << 5;
	assert_int_equal(dp_handover_fill(&vm, h, &ho), 0);
}

static void test_files_filled(void **state)
{
	give_files(&vm.hosts[0]);
	assert_int_equal(check(), 0);
	assert_int_equal(ho.n_files, 2);
	assert_int_equal(ho.files[0].key, 0);
	assert_int_equal(ho.files[0].fd, FD_FILE0 + 2);
	assert_int_equal(ho.files[0].size, 1 << 20);
	assert_int_equal(ho.files[0].flags, DP_HO_FILE_RO);
	assert_int_equal(ho.files[1].key, 5);
	assert_int_equal(ho.files[1].fd, FD_FILE0 + 7);
	assert_int_equal(ho.files[1].flags, DP_HO_FILE_POLL);
}

/* A forged handover: each bad count, key, fd, flag or size is refused. */
static void test_files_forged(void **state)
{
	give_files(&vm.hosts[0]);
	ho.n_files = DP_HO_MAX_FILES + 1;
	assert_int_equal(check(), -EINVAL);
	assert_non_null(strstr(why, "host files"));
	ho.n_files = 2;
	ho.files[1].key = DEV_FILE_KEYS;
	assert_int_equal(check(), -EINVAL);
	ho.files[1].key = 0; /* key 0 twice */
	assert_int_equal(check(), -EINVAL);
	ho.files[1].key = 5;
	ho.files[1].fd = FD_MEM; /* guest RAM's memfd, not a host file */
	assert_int_equal(check(), -EINVAL);
	ho.files[1].fd = FD_FILE0 - 1;
	assert_int_equal(check(), -EINVAL);
	ho.files[1].fd = FD_FILE0 + FD_FILE_MAX;
	assert_int_equal(check(), -EINVAL);
	ho.files[1].fd = FD_FILE0 + 2; /* one fd for two keys */
	assert_int_equal(check(), -EINVAL);
	ho.files[1].fd = FD_FILE0 + 7;
	ho.files[1].flags = 1u << 5;
	assert_int_equal(check(), -EINVAL);
	ho.files[1].flags = DP_HO_FILE_POLL;
	ho.files[0].size = (uint64_t)INT64_MAX + 1;
	assert_int_equal(check(), -EINVAL);
	ho.files[0].size = 0;
	assert_int_equal(check(), 0);
}

/* More files than a handover carries: refused in wisp before any fork. */
static void test_files_too_many(void **state)
{
	struct dev_host *h = &vm.hosts[0];

	for (unsigned k = 0; k <= DP_HO_MAX_FILES; k++) {
		h->file_keys |= 1ull << k;
		h->files[k] = FD_FILE0 + (int)k;
	}
	assert_int_equal(dp_handover_fill(&vm, h, &ho), -E2BIG);
}

/* The process's host gets exactly the checked files, and its table then
 * reads them and refuses writes to the read-only one. */
static void test_files_adopted(void **state)
{
	static struct dev_host child;
	static struct dev_ins ins;
	const struct dev_hlp *t = devhlp_table(false, true);
	uint64_t size;
	char buf[4];
	FILE *f = tmpfile();

	assert_non_null(f);
	assert_int_equal(fwrite("abcd", 1, 4, f), 4);
	fflush(f);
	assert_int_equal(dup2(fileno(f), FD_FILE0 + 2), FD_FILE0 + 2);
	give_files(&vm.hosts[0]);
	assert_int_equal(check(), 0);
	child = (struct dev_host){ .ins = &ins };
	ins = (struct dev_ins){ .host = &child, .name = "hodev.1" };
	dp_handover_files(&child, &ho);
	assert_int_equal(child.file_keys, 1ull << 0 | 1ull << 5);
	assert_int_equal(child.file_ro, 1ull << 0);
	assert_int_equal(child.file_pollable, 1ull << 5);
	assert_int_equal(t->file_size(&ins, 0, &size), 0);
	assert_int_equal(size, 1 << 20);
	assert_int_equal(t->file_pread(&ins, 0, buf, 4, 0), 4);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(t->file_pwrite(&ins, 0, buf, 4, 0), -EBADF);
	assert_int_equal(t->file_read(&ins, 1, buf, 4), -EPERM);
	close(FD_FILE0 + 2);
	fclose(f);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_filled), T(test_head), T(test_ram),
		T(test_fds_and_lines), T(test_mmio2), T(test_fill_too_many),
		T(test_files_filled), T(test_files_forged),
		T(test_files_too_many), T(test_files_adopted),
		T(test_pci),
	};
	return cmocka_run_group_tests_name("handover", tests, NULL, NULL);
}
