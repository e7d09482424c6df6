/*
 * fuzz/virtio_rng_fuzz.c - libFuzzer target for virtio_rng and, through
 * it, the virtio-pci transport and the split virtqueue: MMIO accesses of
 * every size over BAR0 (common config, ISR, notify; the 2-byte doorbell
 * at 0x3000 is caught as KVM would) and guest-memory writes that plant
 * rings and descriptors. MSI-X is enabled. The entropy file never runs
 * dry. Invariants: fuzz/virtio_check.h, and what the guest's buffers got
 * is the stream's next bytes, no more than the requests asked for.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlp.h"
#include "virtio_rng.c"
#include "virtio_check.h"

struct rng_model {
	struct virtio_model vm;
	uint64_t bytes;
};

static void rng_check(struct fuzz_host *h, struct dev_ins *ins,
		      const struct fuzz_op *op, void *ctx)
{
	struct rng_model *m = ctx;
	const struct virtio_rng *r = ins->priv;
	const struct fuzz_file *f = fuzz_file_of(h, ins, RNG_KEY);

	virtio_check(h, ins, &r->vd, &m->vm);
	if (r->bytes > f->streamed || r->bytes < m->bytes)
		fuzz_fail("rng: %llu bytes given, %llu read, %llu before",
			  (unsigned long long)r->bytes,
			  (unsigned long long)f->streamed,
			  (unsigned long long)m->bytes);
	m->bytes = r->bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	static struct rng_model m;
	struct dev_ins *ins;
	const struct fuzz_target t = {
		.mmio_base = FUZZ_PCI_MMIO_BASE, .mmio_span = VIRTIO_BAR0_SIZE,
		.check = rng_check, .ctx = &m,
	};

	memset(&m, 0, sizeof(m));
	fuzz_host_init(&h);
	fuzz_stage_file(&h, RNG_KEY, NULL, 0, false);
	if (fuzz_dev_create(&h, &dev_reg_virtio_rng, false, NULL, &ins) < 0)
		fuzz_fail("virtio_rng: %s", h.err);
	fuzz_file_of(&h, ins, RNG_KEY)->endless = true;
	fuzz_msix_enable(&h, ins, true);
	fuzz_run(&h, ins, &t, data, size);
	fuzz_host_fini(&h);
	return 0;
}
