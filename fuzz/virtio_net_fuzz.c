/*
 * fuzz/virtio_net_fuzz.c - libFuzzer target for virtio_net over the
 * virtio-pci transport: MMIO over BAR0 and guest-memory writes planting
 * both rings, descriptors and frames. The tap always holds a frame (its
 * length cycles through small, large and oversize ones) and is offered
 * to the device's watch after every op, as wisp's loop would.
 * Invariants: fuzz/virtio_check.h; the tap's watch is on only while the
 * device is live and as the device believes; frames delivered never
 * exceed frames read; every transmitted frame fits the bounce buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlp.h"
#include "virtio_net.c"
#include "virtio_check.h"

struct net_model {
	struct virtio_model vm;
	unsigned planted;
};

static void plant_frame(struct fuzz_file *tap, struct net_model *m)
{
	size_t len = 14 + (m->planted * 397u) % (FUZZ_FRAME_MAX - 14);

	for (size_t i = 0; i < len; i++)
		tap->rx[i] = (uint8_t)(i + m->planted);
	tap->rx_len = len;
	m->planted++;
}

static void net_check(struct fuzz_host *h, struct dev_ins *ins,
		      const struct fuzz_op *op, void *ctx)
{
	struct net_model *m = ctx;
	const struct virtio_net *n = ins->priv;
	struct fuzz_file *tap = fuzz_file_of(h, ins, NET_KEY);

	if (!tap->rx_len)
		plant_frame(tap, m);
	fuzz_file_ready(h, ins, NET_KEY);
	virtio_check(h, ins, &n->vd, &m->vm);
	if (tap->watch_on != n->watching || (n->watching && !virtio_live(&n->vd)))
		fuzz_fail("net: watch %d, device thinks %d, live %d",
			  tap->watch_on, n->watching, virtio_live(&n->vd));
	if (n->rx_frames > m->planted || n->tx_frames > tap->tx_frames)
		fuzz_fail("net: %llu frames received of %u, %llu sent of %u",
			  (unsigned long long)n->rx_frames, m->planted,
			  (unsigned long long)n->tx_frames, tap->tx_frames);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	static struct net_model m;
	struct dev_ins *ins;
	const struct fuzz_target t = {
		.mmio_base = FUZZ_PCI_MMIO_BASE, .mmio_span = VIRTIO_BAR0_SIZE,
		.check = net_check, .ctx = &m,
	};

	memset(&m, 0, sizeof(m));
	fuzz_host_init(&h);
	fuzz_stage_file(&h, NET_KEY, NULL, 0, true);
	if (fuzz_dev_create(&h, &dev_reg_virtio_net, false, NULL, &ins) < 0)
		fuzz_fail("virtio_net: %s", h.err);
	fuzz_msix_enable(&h, ins, true);
	fuzz_run(&h, ins, &t, data, size);
	fuzz_host_fini(&h);
	return 0;
}
