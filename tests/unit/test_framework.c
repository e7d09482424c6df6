/*
 * tests/unit/test_framework.c - devices/framework.c (number and spec
 * parsing, config getters, the device list) and the ownership rules of the
 * fuzz helper table, which are the monitor's own checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev.h"
#include "fuzz_hlp.h"
#include "hlp_complete.h"

extern const struct dev_reg dev_reg_uart, dev_reg_testdev;

/* --- dev_parse_u64 --- */

static void assert_u64(const char *s, bool suffixes, uint64_t want)
{
	uint64_t v = 12345;

	assert_int_equal(dev_parse_u64(s, suffixes, &v), 0);
	assert_true(v == want);
}

static void assert_u64_bad(const char *s, bool suffixes)
{
	uint64_t v = 12345;

	assert_int_equal(dev_parse_u64(s, suffixes, &v), -1);
	assert_true(v == 12345); /* untouched on failure */
}

static void test_u64_plain(void **state)
{
	assert_u64("0", false, 0);
	assert_u64("123", false, 123);
	assert_u64("010", false, 10); /* no octal */
	assert_u64("0x10", false, 16);
	assert_u64("0XfF", false, 255);
	assert_u64("0x0", false, 0);
	assert_u64("18446744073709551615", false, UINT64_MAX);
	assert_u64("0xffffffffffffffff", false, UINT64_MAX);
}

static void test_u64_rejects(void **state)
{
	assert_u64_bad("", false);
	assert_u64_bad("0x", false);
	assert_u64_bad("-1", false);
	assert_u64_bad("+1", false);
	assert_u64_bad(" 1", false);
	assert_u64_bad("1 ", false);
	assert_u64_bad("12abc", false);
	assert_u64_bad("0x1g", false);
	assert_u64_bad("0b101", false);
	assert_u64_bad("18446744073709551616", false);
	assert_u64_bad("0x10000000000000000", false);
	assert_u64_bad("99999999999999999999999", false);
	assert_int_equal(dev_parse_u64(NULL, true, &(uint64_t){ 0 }), -1);
}

static void test_u64_suffixes(void **state)
{
	assert_u64("4K", true, 4096);
	assert_u64("4k", true, 4096);
	assert_u64("2M", true, 2ull << 20);
	assert_u64("3G", true, 3ull << 30);
	assert_u64("0x10K", true, 16ull << 10);
	assert_u64("17179869183G", true, 17179869183ull << 30);
	assert_u64("7", true, 7);
	assert_u64_bad("4K", false);
	assert_u64_bad("17179869184G", true); /* 2^64 */
	assert_u64_bad("1KB", true);
	assert_u64_bad("K", true);
	assert_u64_bad("1T", true);
	assert_u64_bad("1KK", true);
}

/* --- dev_parse_spec --- */

static void assert_spec_err(const char *spec, const char *want)
{
	struct dev_ins ins;
	char err[160] = "";

	memset(&ins, 0, sizeof(ins));
	assert_int_equal(dev_parse_spec(spec, &ins, err, sizeof(err)), -1);
	assert_string_equal(err, want);
}

static void test_spec_errors(void **state)
{
	assert_spec_err("foo", "unknown device 'foo' (see --list-devices)");
	assert_spec_err("UART", "unknown device 'UART' (see --list-devices)");
	assert_spec_err("", "device spec has no device name");
	assert_spec_err(",port=1", "device spec has no device name");
	assert_spec_err("uart,bar=1", "device uart: unknown option 'bar'");
	assert_spec_err("uart,port=xyz",
			"device uart: option 'port': bad number 'xyz'");
	assert_spec_err("uart,port=-1",
			"device uart: option 'port': bad number '-1'");
	assert_spec_err("uart,port=0x10000",
			"device uart: option 'port' out of range 0x0..0xfff8");
	assert_spec_err("uart,irq=24",
			"device uart: option 'irq' out of range 0..23");
	assert_spec_err("uart,port=1,port=2",
			"device uart: option 'port' given twice");
	assert_spec_err("uart,port",
			"device uart: option 'port' needs a value (port=VALUE)");
	assert_spec_err("uart,port=", "device uart: option 'port' needs a value");
	assert_spec_err("uart,,irq=3", "device uart: empty option");
	assert_spec_err("uart,", "device uart: empty option");
	assert_spec_err("uart,=3", "device uart: empty option");
}

static void test_spec_length(void **state)
{
	struct dev_ins ins;
	char spec[300], err[160] = "";
	const char *head = "testdev,mmio=0x", *tail = "1000";
	size_t zeros = sizeof(ins.cfgbuf) - 1 - strlen(head) - strlen(tail);

	/* Exactly 255 bytes (leading zeros are still a number): accepted. */
	snprintf(spec, sizeof(spec), "%s%0*d%s", head, (int)zeros, 0, tail);
	assert_int_equal(strlen(spec), sizeof(ins.cfgbuf) - 1);
	memset(&ins, 0, sizeof(ins));
	assert_int_equal(dev_parse_spec(spec, &ins, err, sizeof(err)), 0);
	uint64_t v = 0;
	assert_int_equal(dev_cfg_get_u64(&ins, "mmio", &v), 0);
	assert_true(v == 0x1000);
	/* One more byte is refused before anything is parsed. */
	snprintf(spec, sizeof(spec), "%s%0*d%s", head, (int)zeros + 1, 0, tail);
	assert_int_equal(dev_parse_spec(spec, &ins, err, sizeof(err)), -1);
	assert_string_equal(err, "device spec too long (at most 255 bytes)");
}

static void test_spec_ok_and_getters(void **state)
{
	struct dev_ins ins;
	char err[160] = "";
	const char *s = NULL;
	uint64_t v = 0;

	memset(&ins, 0xa5, sizeof(ins)); /* fresh means overwritten */
	assert_int_equal(dev_parse_spec("uart,irq=3,port=0x2f8", &ins, err,
					sizeof(err)), 0);
	assert_ptr_equal(ins.reg, &dev_reg_uart);
	assert_string_equal(ins.name, "uart.0");
	assert_int_equal(ins.idx, 0);
	assert_int_equal(ins.n_cfg, 2);
	assert_int_equal(dev_cfg_get_u64(&ins, "port", &v), 0);
	assert_true(v == 0x2f8);
	assert_int_equal(dev_cfg_get_u64(&ins, "irq", &v), 0);
	assert_true(v == 3);
	assert_int_equal(dev_cfg_get_str(&ins, "irq", &s), 0);
	assert_string_equal(s, "3");
	assert_int_equal(dev_cfg_get_u64(&ins, "nope", &v), -ENOENT);
	assert_int_equal(dev_cfg_get_str(&ins, "nope", &s), -ENOENT);
	assert_int_equal(dev_parse_spec("testdev,mmio=3G", &ins, err,
					sizeof(err)), 0);
	assert_int_equal(dev_cfg_get_u64(&ins, "mmio", &v), 0);
	assert_true(v == 3ull << 30);
	assert_int_equal(ins.n_cfg, 1);
	/* The spec is copied: the caller's string may go away. */
	assert_true(ins.cfg[0].val >= ins.cfgbuf &&
		    ins.cfg[0].val < ins.cfgbuf + sizeof(ins.cfgbuf));
}

static void test_lookup(void **state)
{
	assert_non_null(dev_lookup("uart"));
	assert_ptr_equal(dev_lookup("uart")->reg, &dev_reg_uart);
	assert_null(dev_lookup("uar"));
	assert_null(dev_lookup(""));
}

static void test_list(void **state)
{
	char buf[4096];
	FILE *f = tmpfile();

	assert_non_null(f);
	dev_list(fileno(f));
	rewind(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "uart         serial    untrusted  wisp          4"));
	assert_non_null(strstr(buf, "i8042        platform  trusted    wisp          1"));
	assert_non_null(strstr(buf, "testdev      misc      trusted    wisp          1"));
	assert_non_null(strstr(buf, "    port=<0x0..0xfff8>  base I/O port"));
	assert_non_null(strstr(buf, "    irq=<0..23>  interrupt line"));
}

/* --- the fuzz table's ownership rules (the monitor's, mirrored) --- */

static int setup_host(void **state)
{
	struct fuzz_host *h = malloc(sizeof(*h));

	if (!h)
		return -1;
	fuzz_host_init(h);
	*state = h;
	return 0;
}

static int teardown_host(void **state)
{
	fuzz_host_fini(*state);
	free(*state);
	return 0;
}

/* A probe device: its construct runs the test's script of helper calls.
 * The script lives in a test static because construct has no argument. */
static int (*probe_script)(struct dev_ins *ins);

static int probe_construct(struct dev_ins *ins)
{
	return probe_script(ins);
}

static void probe_reset(struct dev_ins *ins)
{
}

static void probe_timer(struct dev_ins *ins, void *opaque)
{
}

static uint64_t probe_read(struct dev_ins *ins, void *opaque, uint64_t off,
			   unsigned size)
{
	return 0x42;
}

static const struct dev_io_ops probe_io = { .read = probe_read };
static const struct dev_ops probe_ops = { .construct = probe_construct,
					  .reset = probe_reset };
static const struct dev_reg probe_reg = {
	.name = "probe", .cls = DEV_CLASS_MISC, .max_instances = 4,
	.ops = &probe_ops,
};

static int script_ranges(struct dev_ins *ins)
{
	const struct dev_hlp *hl = ins->hlp;

	assert_int_equal(hl->io_register(ins, DEV_SPACE_PIO, 0x3fc, 1,
					 &probe_io, NULL), -EEXIST);
	assert_int_equal(hl->io_register(ins, DEV_SPACE_PIO, 0x3f0, 9,
					 &probe_io, NULL), -EEXIST);
	assert_int_equal(hl->io_register(ins, DEV_SPACE_PIO, 0x3f0, 8,
					 &probe_io, NULL), 0);
	assert_int_equal(hl->io_register(ins, DEV_SPACE_PIO, 0x500, 0,
					 &probe_io, NULL), -EINVAL);
	assert_int_equal(hl->io_register(ins, DEV_SPACE_PIO, 0xffff, 2,
					 &probe_io, NULL), -EINVAL);
	assert_int_equal(hl->io_register(ins, DEV_SPACE_MMIO, UINT64_MAX, 2,
					 &probe_io, NULL), -EINVAL);
	assert_int_equal(hl->io_register(ins, DEV_SPACE_MMIO, 0x3f8, 8, NULL,
					 NULL), -EINVAL);
	/* The same numbers in the other space do not clash. */
	assert_int_equal(hl->io_register(ins, DEV_SPACE_MMIO, 0x3f8, 8,
					 &probe_io, NULL), 0);
	assert_int_equal(hl->io_unregister(ins, DEV_SPACE_PIO, 0x3f8), -EPERM);
	assert_int_equal(hl->io_unregister(ins, DEV_SPACE_PIO, 0x3f9), -ENOENT);
	assert_int_equal(hl->io_unregister(ins, DEV_SPACE_MMIO, 0x3f8), 0);
	return 0;
}

static void test_hlp_ranges(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *uart, *probe, *uart2;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_uart, false, "uart",
					 &uart), 0);
	probe_script = script_ranges;
	assert_int_equal(fuzz_dev_create(h, &probe_reg, false, NULL, &probe), 0);
	/* A second UART cannot take the first one's ports... */
	assert_int_equal(fuzz_dev_create(h, &dev_reg_uart, false,
					 "uart,port=0x3fc,irq=3", &uart2),
			 -EEXIST);
	assert_non_null(strstr(h->last_log, "ports 0x3fc-0x403 are taken"));
	/* ...which still answer to the first: SCR round trip. */
	fuzz_pio_write(h, 0x3ff, 1, 0x5a);
	assert_int_equal(fuzz_pio_read(h, 0x3ff, 1), 0x5a);
	assert_int_equal(fuzz_pio_read(h, 0x3f0, 1), 0x42);
	/* Ranges are fixed once constructed, as in the monitor. */
	assert_int_equal(probe->hlp->io_register(probe, DEV_SPACE_PIO, 0x600, 1,
						 &probe_io, NULL), -EINVAL);
}

static int script_irqs(struct dev_ins *ins)
{
	const struct dev_hlp *hl = ins->hlp;

	assert_int_equal(hl->irq_claim(ins, 4), -EBUSY); /* the UART's */
	assert_int_equal(hl->irq_claim(ins, 2), -EINVAL); /* PIC cascade */
	assert_int_equal(hl->irq_claim(ins, FUZZ_NR_GSI), -EINVAL);
	assert_int_equal(hl->irq_claim(ins, 9), 0);
	assert_int_equal(hl->irq_claim(ins, 9), -EBUSY);
	return 0;
}

static void test_hlp_irqs(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *uart, *probe;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_uart, false, NULL, &uart),
			 0);
	probe_script = script_irqs;
	assert_int_equal(fuzz_dev_create(h, &probe_reg, false, NULL, &probe), 0);
	const struct dev_hlp *hl = probe->hlp;
	assert_int_equal(hl->irq_set(probe, 4, DEV_IRQ_HIGH), -EPERM);
	assert_int_equal(hl->irq_set(probe, 99, DEV_IRQ_HIGH), -EPERM);
	assert_int_equal(hl->irq_set(probe, 9, (enum dev_irq_level)7), -EINVAL);
	assert_int_equal(hl->irq_set(probe, 9, DEV_IRQ_HIGH), 0);
	assert_int_equal(hl->irq_set(probe, 9, DEV_IRQ_HIGH), 0);
	assert_true(h->irqs[9].level);
	assert_int_equal(h->irqs[9].rises, 1);
	assert_int_equal(hl->irq_set(probe, 9, DEV_IRQ_PULSE), 0);
	assert_false(h->irqs[9].level); /* a pulse ends low */
	assert_int_equal(h->irqs[9].pulses, 1);
	assert_int_equal(hl->irq_set(probe, 9, DEV_IRQ_PULSE), 0);
	assert_int_equal(h->irqs[9].rises, 2);
	/* Destroying the owner frees the line. */
	fuzz_dev_destroy(h, probe);
	assert_null(h->irqs[9].owner);
}

static int script_fail(struct dev_ins *ins)
{
	assert_int_equal(ins->hlp->io_register(ins, DEV_SPACE_PIO, 0x700, 4,
					       &probe_io, NULL), 0);
	assert_int_equal(ins->hlp->irq_claim(ins, 11), 0);
	return -EIO;
}

static int script_timers(struct dev_ins *ins)
{
	for (int i = 0; i < FUZZ_MAX_TIMERS; i++)
		assert_int_equal(ins->hlp->timer_create(ins, probe_timer, NULL),
				 i);
	assert_int_equal(ins->hlp->timer_create(ins, probe_timer, NULL),
			 -EINVAL);
	assert_int_equal(ins->hlp->timer_create(ins, NULL, NULL), -EINVAL);
	assert_int_equal(ins->hlp->timer_arm(ins, FUZZ_MAX_TIMERS, 1), -EINVAL);
	assert_int_equal(ins->hlp->timer_arm(ins, -1, 1), -EINVAL);
	return ins->hlp->io_register(ins, DEV_SPACE_PIO, 0x700, 4, &probe_io,
				     NULL);
}

static void test_hlp_construct_failure_releases(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *probe;

	probe_script = script_fail;
	assert_int_equal(fuzz_dev_create(h, &probe_reg, false, NULL, &probe),
			 -EIO);
	assert_null(h->irqs[11].owner);
	assert_int_equal(fuzz_pio_read(h, 0x700, 1), 0xff); /* unclaimed */
	probe_script = script_timers; /* takes 0x700 again */
	assert_int_equal(fuzz_dev_create(h, &probe_reg, false, NULL, &probe), 0);
	assert_int_equal(fuzz_pio_read(h, 0x700, 4), 0x42);
	assert_int_equal(fuzz_pio_read(h, 0x6ff, 2), 0xffff); /* straddles */
	assert_int_equal(h->unclaimed, 2);
}

static void test_hlp_mem(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *probe;
	uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	probe_script = script_timers;
	assert_int_equal(fuzz_dev_create(h, &probe_reg, false, NULL, &probe), 0);
	const struct dev_hlp *hl = probe->hlp;
	assert_int_equal(hl->mem_write(probe, FUZZ_MEM_SIZE - 4, buf, 4), 0);
	assert_memory_equal(h->mem + FUZZ_MEM_SIZE - 4, buf, 4);
	assert_int_equal(hl->mem_write(probe, FUZZ_MEM_SIZE - 4, buf, 5),
			 -EFAULT);
	assert_int_equal(hl->mem_read(probe, UINT64_MAX, buf, 2), -EFAULT);
	assert_int_equal(hl->mem_read(probe, 2, buf, SIZE_MAX), -EFAULT);
	assert_int_equal(hl->mem_read(probe, FUZZ_MEM_SIZE, buf, 0), -EFAULT);
	assert_int_equal(hl->mem_read(probe, FUZZ_MEM_SIZE - 8, buf, 8), 0);
	assert_int_equal(buf[7], 4);
}

/* Where the fake once restated wisp's checks and differed: it now answers
 * as wisp does (devices/hlp_check.c, monitor/devhost/devfile.c). */
static int script_limit(struct dev_ins *ins)
{
	/* wisp's guest-physical map ends at GMAP_LIMIT */
	assert_int_equal(ins->hlp->io_register(ins, DEV_SPACE_MMIO,
					       GMAP_LIMIT - 0x1000, 0x2000,
					       &probe_io, NULL), -EINVAL);
	return 0;
}

static void test_hlp_checks_as_wisp(void **state)
{
	struct fuzz_host *h = *state;
	static uint8_t disk[4096];
	struct dev_ins *probe;

	probe_script = script_limit;
	assert_int_equal(fuzz_stage_file(h, 0, disk, sizeof(disk), false), 0);
	assert_int_equal(fuzz_dev_create(h, &probe_reg, false, NULL, &probe), 0);
	const struct dev_hlp *hl = probe->hlp;
	struct fuzz_file *f = fuzz_file_of(h, probe, 0);
	assert_int_equal(hl->file_size(probe, 0, NULL), -EINVAL);
	/* An empty range is no fallocate call at all. */
	f->no_falloc = true;
	assert_int_equal(hl->file_punch(probe, 0, 0, 0), 0);
	assert_int_equal(f->punches, 0);
	/* Bad arguments are refused before the host call could fail. */
	f->fail = -EIO;
	assert_int_equal(hl->file_pread(probe, 0, NULL, 1, 0), -EINVAL);
	assert_int_equal(hl->file_pread(probe, 0, disk, 1, 0), -EIO);
}

static void test_hlp_instances(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *ins[5];

	assert_int_equal(fuzz_dev_create(h, &dev_reg_uart, false, "i8042",
					 &ins[0]), -EINVAL);
	assert_int_equal(fuzz_dev_create(h, &dev_reg_uart, false, "uart,x=1",
					 &ins[0]), -EINVAL);
	assert_string_equal(h->err, "device uart: unknown option 'x'");
	assert_int_equal(fuzz_dev_create(h, &dev_reg_uart, false, NULL,
					 &ins[0]), 0);
	assert_int_equal(fuzz_dev_create(h, &dev_reg_uart, false, NULL,
					 &ins[1]), 0);
	assert_string_equal(ins[1]->name, "uart.1");
	assert_int_equal(fuzz_pio_read(h, 0x2fd, 1), 0x60); /* COM2's LSR */
	/* COM3 defaults to COM1's IRQ 4: ISA lines are not shared. */
	assert_int_equal(fuzz_dev_create(h, &dev_reg_uart, false, NULL,
					 &ins[2]), -EBUSY);
	assert_non_null(strstr(h->last_log, "irq 4 cannot be claimed"));
	assert_int_equal(fuzz_dev_create(h, &dev_reg_uart, false,
					 "uart,irq=5", &ins[2]), 0);
	assert_int_equal(fuzz_dev_create(h, &dev_reg_uart, false,
					 "uart,irq=6", &ins[3]), 0);
	assert_int_equal(fuzz_dev_create(h, &dev_reg_uart, false,
					 "uart,irq=7", &ins[4]), -EBUSY);
	assert_ptr_equal(ins[1]->hlp->trusted, NULL);
}

/* Both fuzz tables, and the trusted powers, have every member set. */
static void test_hlp_tables_complete(void **state)
{
	struct fuzz_host *h = *state;
	struct dev_ins *u, *t;

	assert_int_equal(fuzz_dev_create(h, &dev_reg_uart, false, NULL, &u), 0);
	assert_int_equal(fuzz_dev_create(h, &dev_reg_testdev, true, NULL, &t),
			 0);
	assert_null(u->hlp->trusted);
	assert_non_null(t->hlp->trusted);
	assert_int_equal(hlp_table_first_null(u->hlp), -1);
	assert_int_equal(hlp_table_first_null(t->hlp), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_plain),
		cmocka_unit_test(test_u64_rejects),
		cmocka_unit_test(test_u64_suffixes),
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test(test_spec_length),
		cmocka_unit_test(test_spec_ok_and_getters),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_list),
		cmocka_unit_test_setup_teardown(test_hlp_ranges, setup_host,
						teardown_host),
		cmocka_unit_test_setup_teardown(test_hlp_irqs, setup_host,
						teardown_host),
		cmocka_unit_test_setup_teardown(
			test_hlp_construct_failure_releases, setup_host,
			teardown_host),
		cmocka_unit_test_setup_teardown(test_hlp_mem, setup_host,
						teardown_host),
		cmocka_unit_test_setup_teardown(test_hlp_checks_as_wisp,
						setup_host, teardown_host),
		cmocka_unit_test_setup_teardown(test_hlp_instances, setup_host,
						teardown_host),
		cmocka_unit_test_setup_teardown(test_hlp_tables_complete,
						setup_host, teardown_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
