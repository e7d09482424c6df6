/*
 * Unit tests: monitor/kvm/exit.c maps each KVM exit to its documented outcome.
 * A fake kvm_run stands in for KVM; exits that no guest can provoke on
 * demand (FAIL_ENTRY, unknown reasons) are checked here.
 */
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/exitcode.h"
#include "core/vm.h"
#include "kvm/kvm.h"

const struct dev_entry dev_registry[] = { { 0 } };
const size_t dev_registry_len = 0;
static struct vm vm;
static struct vcpu v;
static union {
	struct kvm_run run;
	uint8_t page[8192]; /* KVM's data page follows the header's page */
} area;
static int stop_code;

void vm_request_stop(struct vm *m, int code, const char *why)
{
	stop_code = code;
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	memset(&area, 0, sizeof(area));
	iobus_init(&vm.pio, "port", 0x10000);
	mem_init_empty(&vm.mem);
	vm.unclaimed_rl = (struct ratelimit)RATELIMIT_INIT(5);
	v = (struct vcpu){ .vm = &vm, .fd = -1, .run = &area.run,
			   .run_size = sizeof(area) };
	stop_code = -1;
	return 0;
}

static void expect(uint32_t reason, bool cont, int code)
{
	area.run.exit_reason = reason;
	stop_code = -1;
	assert_int_equal(exit_dispatch(&v), cont);
	assert_int_equal(stop_code, code);
}

static void test_fatal_exits(void **state)
{
	expect(KVM_EXIT_HLT, false, WISP_EXIT_HLT);
	expect(KVM_EXIT_SHUTDOWN, false, WISP_EXIT_TRIPLE_FAULT);
	expect(KVM_EXIT_FAIL_ENTRY, false, WISP_EXIT_FAIL_ENTRY);
	area.run.internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	expect(KVM_EXIT_INTERNAL_ERROR, false, WISP_EXIT_KVM_INTERNAL);
	expect(0x7777, false, WISP_EXIT_UNKNOWN_EXIT);
	expect(KVM_EXIT_INTR, true, -1);
}

static void test_system_events(void **state)
{
	area.run.system_event.type = KVM_SYSTEM_EVENT_RESET;
	expect(KVM_EXIT_SYSTEM_EVENT, false, WISP_EXIT_GUEST_REBOOT);
	area.run.system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
	expect(KVM_EXIT_SYSTEM_EVENT, false, WISP_EXIT_OK);
	area.run.system_event.type = 0x99;
	expect(KVM_EXIT_SYSTEM_EVENT, false, WISP_EXIT_UNKNOWN_EXIT);
}

/* Unclaimed port reads of each size return all ones, a rep-string exit
 * handles every element, and a data area outside kvm_run is refused. */
static void test_io(void **state)
{
	area.run.io.direction = KVM_EXIT_IO_IN;
	area.run.io.port = 0x80;
	area.run.io.size = 2;
	area.run.io.count = 3;
	area.run.io.data_offset = 4096;
	expect(KVM_EXIT_IO, true, -1);
	for (int i = 0; i < 6; i++)
		assert_int_equal(area.page[4096 + i], 0xff);
	assert_int_equal(atomic_load(&vm.unclaimed), 3);
	area.run.io.data_offset = 8192 - 4; /* 6 bytes would run past */
	expect(KVM_EXIT_IO, false, WISP_EXIT_INTERNAL);
	/* inside the header: the data could rewrite the exit's own fields */
	area.run.io.data_offset = offsetof(struct kvm_run, io);
	expect(KVM_EXIT_IO, false, WISP_EXIT_INTERNAL);
	area.run.io.data_offset = 4096;
	area.run.io.size = 3;
	expect(KVM_EXIT_IO, false, WISP_EXIT_INTERNAL);
}

static void test_mmio(void **state)
{
	area.run.mmio.phys_addr = 0xd0100000;
	area.run.mmio.len = 8;
	area.run.mmio.is_write = 0;
	expect(KVM_EXIT_MMIO, true, -1);
	for (int i = 0; i < 8; i++)
		assert_int_equal(area.run.mmio.data[i], 0xff);
	area.run.mmio.len = 3;
	expect(KVM_EXIT_MMIO, false, WISP_EXIT_INTERNAL);
}

/* A guest write to ROM exits (read-only memslot): dropped, the VM goes
 * on, the ROM is unchanged. */
static void test_rom_write(void **state)
{
	const uint8_t rom[16] = { 0xea };

	assert_int_equal(mem_rom_add(&vm.mem, 0xfffff000, rom, sizeof(rom),
				     "bios", NULL, 0), 0);
	area.run.mmio.phys_addr = 0xfffff000;
	area.run.mmio.len = 1;
	area.run.mmio.is_write = 1;
	area.run.mmio.data[0] = 0x11;
	expect(KVM_EXIT_MMIO, true, -1);
	const struct gmap_range *r = gmap_find(&vm.mem.map, 0xfffff000, 1);
	assert_non_null(r);
	assert_int_equal(r->host[0], 0xea);
	assert_int_equal(atomic_load(&vm.unclaimed), 1);
	mem_destroy(&vm.mem);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fatal_exits), T(test_system_events), T(test_io),
		T(test_mmio), T(test_rom_write),
	};
	return cmocka_run_group_tests_name("exit", tests, NULL, NULL);
}
