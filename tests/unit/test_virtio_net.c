/*
 * tests/unit/test_virtio_net.c - virtio_net through its guest-facing
 * interface (tests/unit/virtio_drv.h) over a fake tap: config (MAC, link
 * status), a transmitted frame reaching the tap without its header, a
 * received frame reaching the guest with one, oversize frames dropped and
 * counted, the tap's watch following the receive buffers, the MAC option.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "virtio_drv.h"

extern const struct dev_reg dev_reg_virtio_net;

#define RXQ 0
#define TXQ 1
#define RXBUF VDRV_DATA
#define TXBUF (VDRV_DATA + 0x4000)

struct fx {
	struct fuzz_fixture *f;
	struct fuzz_host *h;
	struct dev_ins *ins;
	struct fuzz_file *tap;
	struct vdrv d;
};

static int make(void **state, const char *spec, bool init)
{
	struct fx *x = calloc(1, sizeof(*x));

	*state = x;
	if (!x || !(x->f = fuzz_fixture_new(NULL, false)))
		return -1;
	x->h = &x->f->h;
	if (fuzz_stage_file(x->h, 0, NULL, 0, true) < 0 ||
	    fuzz_dev_create(x->h, &dev_reg_virtio_net, false, spec, &x->ins) < 0)
		return -1;
	x->tap = fuzz_file_of(x->h, x->ins, 0);
	return init ? vdrv_init(&x->d, x->h, x->ins, 1ull << 5 | 1ull << 16, 16)
		    : 0;
}

static int setup(void **state)
{
	return make(state, NULL, true);
}

static int teardown(void **state)
{
	struct fx *x = *state;

	if (x)
		fuzz_fixture_free(x->f);
	free(x);
	return 0;
}

static void tap_frame(struct fx *x, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		x->tap->rx[i] = (uint8_t)(seed + i);
	x->tap->rx_len = len;
}

static void rx_buffer(struct fx *x, uint64_t gpa, uint32_t len)
{
	const struct vdrv_seg s = { gpa, len, true };

	vdrv_chain(&x->d, RXQ, &s, 1);
}

static void test_config(void **state)
{
	struct fx *x = *state;
	const struct fuzz_pci *p = fuzz_pci_of(x->h, x->ins);

	assert_int_equal(p->f.device, 0x1041);
	assert_int_equal(p->f.class_code, 0x020000);
	assert_int_equal(p->f.msix_vectors, 3);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_C_NUM_QUEUES, 2), 2);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF, 4), 0x73697702);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 4, 2), 0x0070);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 6, 2), 1);
	assert_true(vdrv_dev_features(&x->d) & 1ull << 5);
	assert_true(vdrv_dev_features(&x->d) & 1ull << 16);
}

static void test_tx(void **state)
{
	struct fx *x = *state;
	uint8_t *m = x->h->mem;
	struct vdrv_seg s[3] = { { TXBUF, 12, false }, { TXBUF + 0x100, 20, false },
				 { TXBUF + 0x200, 40, false } };
	uint32_t id, len;

	memset(m + TXBUF, 0, 12);
	for (unsigned i = 0; i < 20; i++)
		m[TXBUF + 0x100 + i] = (uint8_t)i;
	for (unsigned i = 0; i < 40; i++)
		m[TXBUF + 0x200 + i] = (uint8_t)(20 + i);
	vdrv_chain(&x->d, TXQ, s, 3);
	vdrv_kick(&x->d, TXQ);
	assert_int_equal(x->tap->tx_frames, 1);
	assert_int_equal(x->tap->tx_len, 60);
	for (unsigned i = 0; i < 60; i++)
		assert_int_equal(x->tap->tx[i], i);
	assert_true(vdrv_used(&x->d, TXQ, &id, &len));
	assert_int_equal(len, 0);
	assert_int_equal(vdrv_irqs(&x->d, 2), 1);
	/* header and frame in one buffer */
	s[0].len = 12 + 20;
	m[TXBUF + 12] = 0xab;
	vdrv_chain(&x->d, TXQ, s, 1);
	vdrv_kick(&x->d, TXQ);
	assert_int_equal(x->tap->tx_frames, 2);
	assert_int_equal(x->tap->tx_len, 20);
	assert_int_equal(x->tap->tx[0], 0xab);
}

static void test_tx_bad(void **state)
{
	struct fx *x = *state;
	const struct vdrv_seg shorthdr = { TXBUF, 11, false };
	const struct vdrv_seg wr[2] = { { TXBUF, 12, false },
					{ TXBUF + 12, 60, true } };
	const struct vdrv_seg outside = { FUZZ_MEM_SIZE - 30, 60, false };
	uint32_t id, len;

	vdrv_chain(&x->d, TXQ, &shorthdr, 1);
	vdrv_chain(&x->d, TXQ, wr, 2);
	vdrv_chain(&x->d, TXQ, &outside, 1);
	vdrv_kick(&x->d, TXQ);
	for (int i = 0; i < 3; i++)
		assert_true(vdrv_used(&x->d, TXQ, &id, &len));
	assert_int_equal(x->tap->tx_frames, 0);
	/* the tap refuses a frame: dropped, the buffer returned */
	x->tap->fail = -EAGAIN;
	const struct vdrv_seg ok = { TXBUF, 72, false };
	vdrv_chain(&x->d, TXQ, &ok, 1);
	vdrv_kick(&x->d, TXQ);
	assert_true(vdrv_used(&x->d, TXQ, &id, &len));
	assert_int_equal(vdrv_status(&x->d) & VIRTIO_S_NEEDS_RESET, 0);
	assert_int_equal(x->tap->tx_frames, 0);
}

static void test_rx(void **state)
{
	struct fx *x = *state;
	uint8_t *m = x->h->mem;
	uint32_t id, len;

	assert_false(x->tap->watch_on); /* no buffers yet */
	rx_buffer(x, RXBUF, 1526);
	assert_false(x->tap->watch_on); /* not until the driver rings */
	vdrv_kick(&x->d, RXQ);
	assert_true(x->tap->watch_on);
	tap_frame(x, 60, 0x10);
	assert_int_equal(fuzz_file_ready(x->h, x->ins, 0), 1);
	assert_true(vdrv_used(&x->d, RXQ, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 72);
	for (unsigned i = 0; i < 12; i++)
		assert_int_equal(m[RXBUF + i], i == 10 ? 1 : 0);
	for (unsigned i = 0; i < 60; i++)
		assert_int_equal(m[RXBUF + 12 + i], (uint8_t)(0x10 + i));
	assert_int_equal(vdrv_irqs(&x->d, 1), 1);
	/* no buffers left: the watch is off, the next frame waits */
	assert_false(x->tap->watch_on);
	tap_frame(x, 60, 0x20);
	assert_int_equal(fuzz_file_ready(x->h, x->ins, 0), 0);
	assert_int_equal(x->tap->rx_len, 60);
	rx_buffer(x, RXBUF + 0x800, 100);
	rx_buffer(x, RXBUF + 0x1000, 100);
	vdrv_kick(&x->d, RXQ);
	assert_int_equal(fuzz_file_ready(x->h, x->ins, 0), 1);
	assert_true(x->tap->watch_on); /* one buffer left */
	assert_true(vdrv_used(&x->d, RXQ, &id, &len));
	assert_int_equal(m[RXBUF + 0x800 + 12], 0x20);
}

static void test_rx_split_and_oversize(void **state)
{
	struct fx *x = *state;
	const struct vdrv_seg two[2] = { { RXBUF, 12, true },
					 { RXBUF + 0x100, 100, true } };
	uint32_t id, len;

	vdrv_chain(&x->d, RXQ, two, 2);
	vdrv_kick(&x->d, RXQ);
	tap_frame(x, 101, 0); /* one byte too many: dropped */
	assert_int_equal(fuzz_file_ready(x->h, x->ins, 0), 1);
	assert_int_equal(x->tap->rx_len, 0); /* read, and gone */
	assert_false(vdrv_used(&x->d, RXQ, &id, &len));
	assert_true(x->tap->watch_on); /* the buffer stays for the next */
	tap_frame(x, 100, 0x40);
	assert_int_equal(fuzz_file_ready(x->h, x->ins, 0), 1);
	assert_true(vdrv_used(&x->d, RXQ, &id, &len));
	assert_int_equal(len, 112);
	assert_int_equal(x->h->mem[RXBUF + 0x100], 0x40);
	assert_int_equal(x->h->mem[RXBUF + 0x100 + 99], 0x40 + 99);
}

static void test_rx_readable_is_violation(void **state)
{
	struct fx *x = *state;
	const struct vdrv_seg bad = { RXBUF, 1526, false };

	vdrv_chain(&x->d, RXQ, &bad, 1);
	vdrv_kick(&x->d, RXQ);
	tap_frame(x, 60, 0);
	fuzz_file_ready(x->h, x->ins, 0);
	assert_true(vdrv_status(&x->d) & VIRTIO_S_NEEDS_RESET);
	assert_false(x->tap->watch_on);
	assert_int_equal(vdrv_used_idx(&x->d, RXQ), 0);
}

static void test_reset_turns_watch_off(void **state)
{
	struct fx *x = *state;

	rx_buffer(x, RXBUF, 1526);
	vdrv_kick(&x->d, RXQ);
	assert_true(x->tap->watch_on);
	vdrv_w(&x->d, VIRTIO_C_STATUS, 1, 0);
	assert_false(x->tap->watch_on);
	tap_frame(x, 60, 0);
	assert_int_equal(fuzz_file_ready(x->h, x->ins, 0), 0);
	/* buffers made available before DRIVER_OK count once it is set */
	assert_int_equal(vdrv_init(&x->d, x->h, x->ins, 1ull << 5, 16), 0);
	assert_false(x->tap->watch_on);
	rx_buffer(x, RXBUF, 1526);
	vdrv_w(&x->d, VIRTIO_C_STATUS, 1, 0x0b);
	vdrv_w(&x->d, VIRTIO_C_STATUS, 1, 0x0f);
	assert_true(x->tap->watch_on);
}

/* A deleted tap: its read fails (EBADFD) however often epoll reports it.
 * EAGAIN (a read that raced) leaves the watch on; a failure ends it at
 * once, one line says so, and new receive buffers do not turn it on
 * again; the chain stays unused and the device does not need a reset. */
static void test_rx_tap_error_ends_watch(void **state)
{
	struct fx *x = *state;

	rx_buffer(x, RXBUF, 1526);
	vdrv_kick(&x->d, RXQ);
	tap_frame(x, 60, 0); /* readable, as a failed fd reports EPOLLERR */
	x->tap->fail = -EAGAIN;
	assert_true(fuzz_file_ready(x->h, x->ins, 0) > 1);
	assert_true(x->tap->watch_on);
	x->tap->watch_calls = 0;
	x->tap->fail = -EBADFD;
	assert_int_equal(fuzz_file_ready(x->h, x->ins, 0), 1);
	assert_false(x->tap->watch_on);
	assert_int_equal(x->h->log_lines[DEV_LOG_ERR], 1);
	assert_non_null(strstr(x->h->last_log, "tap read failed"));
	rx_buffer(x, RXBUF + 0x800, 1526);
	vdrv_kick(&x->d, RXQ);
	assert_false(x->tap->watch_on);
	assert_int_equal(fuzz_file_ready(x->h, x->ins, 0), 0);
	assert_int_equal(x->tap->watch_calls, 1);
	assert_int_equal(vdrv_used_idx(&x->d, RXQ), 0);
	assert_int_equal(x->h->log_lines[DEV_LOG_ERR], 1);
	assert_int_equal(vdrv_status(&x->d) & VIRTIO_S_NEEDS_RESET, 0);
}

static void test_mac_option(void **state)
{
	struct fx *x;

	assert_int_equal(make(state, "virtio_net,mac=52:54:00:AB:cd:0f", true), 0);
	x = *state;
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF, 4), 0xab005452);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_DEVCFG_OFF + 4, 2), 0x0fcd);
	teardown(state);
	static const char *const bad[] = {
		"virtio_net,mac=01:00:5e:00:00:01", /* multicast */
		"virtio_net,mac=52:54:00:ab:cd", "virtio_net,mac=52-54-00-ab-cd-ef",
		"virtio_net,mac=52:54:00:ab:cd:eg", "virtio_net,mac=52:54:00:ab:cd:ef:",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(make(state, bad[i], false), -1);
		teardown(state);
	}
	*state = NULL;
}

static void test_no_tap(void **state)
{
	struct fuzz_fixture *f = fuzz_fixture_new(NULL, false);
	struct dev_ins *ins;

	assert_non_null(f);
	assert_int_equal(fuzz_dev_create(&f->h, &dev_reg_virtio_net, false, NULL,
					 &ins), -EPERM);
	fuzz_stage_file(&f->h, 0, NULL, 0, false); /* not pollable */
	assert_int_equal(fuzz_dev_create(&f->h, &dev_reg_virtio_net, false, NULL,
					 &ins), -EPERM);
	fuzz_fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_config),
		T(test_tx),
		T(test_tx_bad),
		T(test_rx),
		T(test_rx_split_and_oversize),
		T(test_rx_readable_is_violation),
		T(test_reset_turns_watch_off),
		T(test_rx_tap_error_ends_watch),
		cmocka_unit_test_teardown(test_mac_option, teardown),
		cmocka_unit_test(test_no_tap),
#undef T
	};
	return cmocka_run_group_tests_name("virtio_net", tests, NULL, NULL);
}
