/*
 * tests/unit/test_virtio_rng.c - virtio_rng through its guest-facing
 * interface (tests/unit/virtio_drv.h): the PCI function it registers, the
 * transport's negotiation rules, buffers filled from host file 0, the
 * MSI-X record, and a protocol violation putting it into NEEDS_RESET.
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

extern const struct dev_reg dev_reg_virtio_rng;

struct fx {
	struct fuzz_fixture *f;
	struct fuzz_host *h;
	struct dev_ins *ins;
	struct vdrv d;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (!x || !(x->f = fuzz_fixture_new(NULL, false)))
		return -1;
	x->h = &x->f->h;
	if (fuzz_stage_file(x->h, 0, NULL, 0, false) < 0 ||
	    fuzz_dev_create(x->h, &dev_reg_virtio_rng, false, NULL, &x->ins) < 0)
		return -1;
	fuzz_file_of(x->h, x->ins, 0)->endless = true;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	fuzz_fixture_free(x->f);
	free(x);
	return 0;
}

static void test_pci_function(void **state)
{
	struct fx *x = *state;
	const struct fuzz_pci *p = fuzz_pci_of(x->h, x->ins);

	assert_non_null(p);
	assert_int_equal(p->f.vendor, 0x1af4);
	assert_int_equal(p->f.device, 0x1044);
	assert_int_equal(p->f.subsys_vendor, 0x1af4);
	assert_int_equal(p->f.subsys, 4);
	assert_int_equal(p->f.revision, 1);
	assert_int_equal(p->f.msix_vectors, 2);
	assert_int_equal(p->f.msix_bar, 1);
	assert_int_equal(p->f.bar[0].size, 0x4000);
	assert_int_equal(p->f.bar[0].bell_off, 0x3000);
	assert_int_equal(p->f.bar[0].bell_len, 2);
	assert_int_equal(p->f.n_caps, 3); /* common, notify, ISR: no config */
	assert_int_equal(p->f.caps[0].data[3], 1);
	assert_int_equal(p->f.caps[1].data[3], 2);
	assert_int_equal(p->f.caps[1].len, 20);
	assert_int_equal(p->f.caps[2].data[3], 3);
	assert_int_equal(fuzz_pci_bar(x->h, x->ins, 0), FUZZ_PCI_MMIO_BASE);
}

static void test_negotiation(void **state)
{
	struct fx *x = *state;
	struct vdrv *d = &x->d;

	*d = (struct vdrv){ .h = x->h, .ins = x->ins,
			    .bar0 = fuzz_pci_bar(x->h, x->ins, 0) };
	uint64_t f = vdrv_dev_features(d);
	assert_true(f & 1ull << VIRTIO_F_VERSION_1);
	assert_true(f & 1ull << VIRTIO_F_INDIRECT_DESC);
	assert_int_equal(vdrv_r(d, VIRTIO_C_NUM_QUEUES, 2), 1);
	assert_int_equal(vdrv_r(d, VIRTIO_C_Q_SIZE, 2), 64);
	assert_int_equal(vdrv_r(d, VIRTIO_C_MSIX_CONFIG, 2), VIRTIO_MSI_NO_VECTOR);
	/* without VERSION_1 FEATURES_OK does not stick (no legacy) */
	vdrv_w(d, VIRTIO_C_STATUS, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	vdrv_set_features(d, 1ull << VIRTIO_F_INDIRECT_DESC);
	vdrv_w(d, VIRTIO_C_STATUS, 1, 0x0b);
	assert_int_equal(vdrv_status(d), 0x03);
	/* nor with a bit the device did not offer */
	vdrv_set_features(d, 1ull << VIRTIO_F_VERSION_1 | 1ull << 5);
	vdrv_w(d, VIRTIO_C_STATUS, 1, 0x0b);
	assert_int_equal(vdrv_status(d), 0x03);
	vdrv_set_features(d, 1ull << VIRTIO_F_VERSION_1);
	vdrv_w(d, VIRTIO_C_STATUS, 1, 0x0b);
	assert_int_equal(vdrv_status(d), 0x0b);
	/* features are frozen once accepted */
	vdrv_set_features(d, 0);
	vdrv_w(d, VIRTIO_C_GFSELECT, 4, 1);
	assert_int_equal(vdrv_r(d, VIRTIO_C_GF, 4), 1);
	/* queue size: a power of two up to the maximum, else kept */
	vdrv_w(d, VIRTIO_C_Q_SIZE, 2, 48);
	assert_int_equal(vdrv_r(d, VIRTIO_C_Q_SIZE, 2), 64);
	vdrv_w(d, VIRTIO_C_Q_SIZE, 2, 128);
	assert_int_equal(vdrv_r(d, VIRTIO_C_Q_SIZE, 2), 64);
	vdrv_w(d, VIRTIO_C_Q_SIZE, 2, 16);
	assert_int_equal(vdrv_r(d, VIRTIO_C_Q_SIZE, 2), 16);
	/* a vector the function lacks reads back as none */
	vdrv_w(d, VIRTIO_C_Q_MSIX, 2, 2);
	assert_int_equal(vdrv_r(d, VIRTIO_C_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	vdrv_w(d, VIRTIO_C_Q_MSIX, 2, 1);
	assert_int_equal(vdrv_r(d, VIRTIO_C_Q_MSIX, 2), 1);
	/* 64-bit addresses whole or in halves; a queue past num_queues */
	vdrv_w(d, VIRTIO_C_Q_DESC, 8, 0x123456789abcdef0ull);
	assert_int_equal(vdrv_r(d, VIRTIO_C_Q_DESC + 4, 4), 0x12345678);
	assert_int_equal(vdrv_r(d, VIRTIO_C_Q_DESC, 4), 0x9abcdef0);
	vdrv_w(d, VIRTIO_C_Q_SELECT, 2, 1);
	assert_int_equal(vdrv_r(d, VIRTIO_C_Q_SIZE, 2), 0);
	/* odd accesses read 0 and change nothing */
	assert_int_equal(vdrv_r(d, VIRTIO_C_STATUS, 2), 0);
	vdrv_w(d, VIRTIO_C_Q_SELECT - 1, 2, 0);
	assert_int_equal(vdrv_r(d, VIRTIO_C_Q_SELECT, 2), 1);
	/* writing 0 resets */
	vdrv_w(d, VIRTIO_C_STATUS, 1, 0);
	assert_int_equal(vdrv_status(d), 0);
	vdrv_w(d, VIRTIO_C_GFSELECT, 4, 1);
	assert_int_equal(vdrv_r(d, VIRTIO_C_GF, 4), 0);
}

static void request(struct fx *x, uint64_t gpa, uint32_t len)
{
	const struct vdrv_seg s = { gpa, len, true };

	vdrv_chain(&x->d, 0, &s, 1);
}

static void test_fill(void **state)
{
	struct fx *x = *state;
	uint32_t id, len;

	assert_int_equal(vdrv_init(&x->d, x->h, x->ins, 0, 16), 0);
	request(x, VDRV_DATA, 64);
	request(x, VDRV_DATA + 0x100, 32);
	vdrv_kick(&x->d, 0);
	assert_true(vdrv_used(&x->d, 0, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 64);
	assert_true(vdrv_used(&x->d, 0, &id, &len));
	assert_int_equal(id, 1);
	assert_int_equal(len, 32);
	assert_false(vdrv_used(&x->d, 0, &id, &len));
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(x->h->mem[VDRV_DATA + i], fuzz_stream_byte(i));
	assert_int_equal(x->h->mem[VDRV_DATA + 0x100], fuzz_stream_byte(64));
	assert_int_equal(vdrv_irqs(&x->d, 1), 1); /* one per doorbell */
	assert_int_equal(vdrv_irqs(&x->d, 0), 0);
	/* a kick with nothing new sends nothing */
	vdrv_kick(&x->d, 0);
	assert_int_equal(vdrv_irqs(&x->d, 1), 1);
}

static void test_cap_and_bad_buffer(void **state)
{
	struct fx *x = *state;
	uint32_t id, len;

	assert_int_equal(vdrv_init(&x->d, x->h, x->ins, 0, 16), 0);
	request(x, VDRV_DATA, 0x18000); /* capped at 64 KiB */
	request(x, FUZZ_MEM_SIZE - 8, 16); /* runs out of RAM: 8 bytes */
	vdrv_kick(&x->d, 0);
	assert_true(vdrv_used(&x->d, 0, &id, &len));
	assert_int_equal(len, 65536);
	assert_true(vdrv_used(&x->d, 0, &id, &len));
	assert_int_equal(len, 0); /* the chunk did not fit: nothing */
	assert_int_equal(vdrv_status(&x->d) & VIRTIO_S_NEEDS_RESET, 0);
}

static void test_masked_pending(void **state)
{
	struct fx *x = *state;
	const struct fuzz_pci *p;

	assert_int_equal(vdrv_init(&x->d, x->h, x->ins, 0, 16), 0);
	fuzz_msix_mask(x->h, x->ins, 1, true);
	request(x, VDRV_DATA, 8);
	vdrv_kick(&x->d, 0);
	p = fuzz_pci_of(x->h, x->ins);
	assert_true(p->pending[1]);
	assert_int_equal(p->sent[1], 0);
	fuzz_msix_mask(x->h, x->ins, 1, false);
	assert_int_equal(p->sent[1], 1);
	assert_false(p->pending[1]);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_ISR_OFF, 1), VIRTIO_ISR_QUEUE);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_ISR_OFF, 1), 0);
}

static void test_no_interrupt_flag(void **state)
{
	struct fx *x = *state;
	uint16_t flags = VIRTQ_AVAIL_F_NO_INTERRUPT;

	assert_int_equal(vdrv_init(&x->d, x->h, x->ins, 0, 16), 0);
	memcpy(x->h->mem + x->d.q[0].avail, &flags, 2);
	request(x, VDRV_DATA, 8);
	vdrv_kick(&x->d, 0);
	assert_int_equal(vdrv_used_idx(&x->d, 0), 1);
	assert_int_equal(vdrv_irqs(&x->d, 1), 0);
}

/* A loop in the descriptor table: NEEDS_RESET, a config interrupt, no
 * used entry, nothing served until the driver resets. */
static void test_violation(void **state)
{
	struct fx *x = *state;

	assert_int_equal(vdrv_init(&x->d, x->h, x->ins, 0, 16), 0);
	vdrv_desc(&x->d, x->d.q[0].desc, 0, VDRV_DATA, 8,
		  VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
	vdrv_avail(&x->d, 0, 0);
	vdrv_kick(&x->d, 0);
	assert_true(vdrv_status(&x->d) & VIRTIO_S_NEEDS_RESET);
	assert_int_equal(vdrv_used_idx(&x->d, 0), 0);
	assert_int_equal(vdrv_irqs(&x->d, 0), 1);
	assert_int_equal(vdrv_r(&x->d, VIRTIO_C_CFG_GEN, 1), 1);
	x->d.q[0].next_desc = 1;
	request(x, VDRV_DATA, 8);
	vdrv_kick(&x->d, 0);
	assert_int_equal(vdrv_used_idx(&x->d, 0), 0);
	/* the driver's bit writes cannot clear it; a reset can */
	vdrv_w(&x->d, VIRTIO_C_STATUS, 1, 0x0f);
	assert_true(vdrv_status(&x->d) & VIRTIO_S_NEEDS_RESET);
	assert_int_equal(vdrv_init(&x->d, x->h, x->ins, 0, 16), 0);
	request(x, VDRV_DATA, 8);
	vdrv_kick(&x->d, 0);
	assert_int_equal(vdrv_used_idx(&x->d, 0), 1);
}

static void test_not_live(void **state)
{
	struct fx *x = *state;

	assert_int_equal(vdrv_init(&x->d, x->h, x->ins, 0, 16), 0);
	/* rings set up, DRIVER_OK taken away by a reset op of the VM */
	fuzz_dev_reset(x->h, x->ins);
	request(x, VDRV_DATA, 8);
	vdrv_kick(&x->d, 0);
	assert_int_equal(vdrv_used_idx(&x->d, 0), 0);
	assert_int_equal(vdrv_status(&x->d), 0);
}

/* The guest moves BAR0 (the doorbell with it): still served. */
static void test_bar_moved(void **state)
{
	struct fx *x = *state;
	uint64_t to = FUZZ_PCI_MMIO_BASE + 0x200000;
	uint32_t id, len;

	assert_int_equal(vdrv_init(&x->d, x->h, x->ins, 0, 16), 0);
	assert_int_equal(fuzz_pci_move_bar(x->h, x->ins, 0, to), 0);
	x->d.bar0 = to;
	assert_int_equal(vdrv_status(&x->d), 0x0f);
	request(x, VDRV_DATA, 16);
	vdrv_kick(&x->d, 0);
	assert_true(vdrv_used(&x->d, 0, &id, &len));
	assert_int_equal(len, 16);
}

static void test_registration_rules(void **state)
{
	struct fx *x = *state;
	struct dev_ins *ins2;

	/* max one instance */
	assert_int_equal(fuzz_dev_create(x->h, &dev_reg_virtio_rng, false,
					 NULL, &ins2), -EBUSY);
	/* a second function registration, and one after construct */
	const struct dev_pci_func *f = &fuzz_pci_of(x->h, x->ins)->f;
	assert_int_equal(x->ins->hlp->pci_register(x->ins, f), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_pci_function),
		T(test_negotiation),
		T(test_fill),
		T(test_cap_and_bad_buffer),
		T(test_masked_pending),
		T(test_no_interrupt_flag),
		T(test_violation),
		T(test_not_live),
		T(test_bar_moved),
		T(test_registration_rules),
#undef T
	};
	return cmocka_run_group_tests_name("virtio_rng", tests, NULL, NULL);
}
