/*
 * fuzz/virtio_blk_fuzz.c - libFuzzer target for virtio_blk over the
 * virtio-pci transport: MMIO over BAR0 and guest-memory writes planting
 * rings, descriptors and request headers; the image is an 8-sector buffer
 * with a guard after it. The first input byte chooses a read-only disk
 * (bit 0) and a host without fallocate (bit 1: the written-zeroes
 * fallback). Invariants: fuzz/virtio_check.h; the image's guard is never
 * touched (every request stayed inside the capacity); a read-only disk is
 * never written; the error count only grows.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlp.h"
#include "virtio_blk.c"
#include "virtio_check.h"

#define FZ_DISK (8 * 512)
#define FZ_GUARD 512

struct blk_model {
	struct virtio_model vm;
	uint8_t disk[FZ_DISK + FZ_GUARD];
	uint8_t orig[FZ_DISK];
	bool ro;
};

static void blk_check(struct fuzz_host *h, struct dev_ins *ins,
		      const struct fuzz_op *op, void *ctx)
{
	struct blk_model *m = ctx;
	const struct virtio_blk *b = ins->priv;

	virtio_check(h, ins, &b->vd, &m->vm);
	for (unsigned i = FZ_DISK; i < FZ_DISK + FZ_GUARD; i++)
		if (m->disk[i] != 0xa5)
			fuzz_fail("blk: image guard byte %u written", i - FZ_DISK);
	if (m->ro && memcmp(m->disk, m->orig, FZ_DISK))
		fuzz_fail("blk: a read-only image was written");
	if (b->capacity != FZ_DISK / 512 || b->errors > b->requests)
		fuzz_fail("blk: capacity %llu, %llu errors of %llu",
			  (unsigned long long)b->capacity,
			  (unsigned long long)b->errors,
			  (unsigned long long)b->requests);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	static struct blk_model m;
	struct dev_ins *ins;
	const struct fuzz_target t = {
		.mmio_base = FUZZ_PCI_MMIO_BASE, .mmio_span = VIRTIO_BAR0_SIZE,
		.check = blk_check, .ctx = &m,
	};

	memset(&m, 0, sizeof(m));
	for (unsigned i = 0; i < FZ_DISK; i++)
		m.disk[i] = m.orig[i] = (uint8_t)(i * 7 + i / 512);
	memset(m.disk + FZ_DISK, 0xa5, FZ_GUARD);
	/* the first input byte chooses a read-only disk (and is used up) */
	m.ro = size && (data[0] & 1);
	fuzz_host_init(&h);
	fuzz_stage_file(&h, BLK_KEY, m.disk, FZ_DISK, false);
	if (fuzz_dev_create(&h, &dev_reg_virtio_blk, false,
			    m.ro ? "virtio_blk,ro=1" : NULL, &ins) < 0)
		fuzz_fail("virtio_blk: %s", h.err);
	fuzz_file_of(&h, ins, BLK_KEY)->no_falloc = size && (data[0] & 2);
	fuzz_msix_enable(&h, ins, true);
	if (size)
		fuzz_run(&h, ins, &t, data + 1, size - 1);
	fuzz_host_fini(&h);
	return 0;
}
