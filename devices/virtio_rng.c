/*
 * devices/virtio_rng.c - virtio entropy device (virtio 1.2, 5.4) over
 * virtio-pci (devices/virtio.h): one request queue whose device-writable
 * buffers are filled from host file key 0, which wisp opens read-only on
 * /dev/urandom (--rng). The device never asks the kernel for randomness
 * itself: it acts only through its helper table (file_read).
 *
 * Per doorbell at most one pass over the queue (its size in chains), each
 * chain filled with at most RNG_CHAIN_MAX bytes: the used length tells the
 * driver how much it got. Readable descriptors carry nothing for this
 * device and are skipped. A buffer outside guest RAM ends that chain's
 * fill where it stands.
 */
#include <stdint.h>

#include "virtio.h"

#define RNG_QUEUE_SIZE 64
#define RNG_CHAIN_MAX 65536u /* bytes one request gets at most */
#define RNG_CHUNK 4096u
#define RNG_KEY 0

struct virtio_rng {
	struct virtio_dev vd; /* first: the transport's callbacks cast back */
	uint64_t bytes;       /* entropy handed to the guest */
	uint64_t read_errors; /* host reads that failed */
	struct virtq_chain chain;
	uint8_t buf[RNG_CHUNK];
};

/* Bytes written into the chain's writable buffers. */
static uint32_t rng_fill(struct virtio_rng *r, const struct virtq_chain *c)
{
	struct dev_ins *ins = r->vd.ins;
	const struct virtq_seg *in = c->seg + c->n_out;
	uint64_t want = c->in_len < RNG_CHAIN_MAX ? c->in_len : RNG_CHAIN_MAX;
	uint64_t done = 0;

	while (done < want) {
		size_t k = want - done < RNG_CHUNK ? (size_t)(want - done)
						   : RNG_CHUNK;
		long n = ins->hlp->file_read(ins, RNG_KEY, r->buf, k);
		if (n <= 0) {
			r->read_errors++;
			ins->hlp->log(ins, DEV_LOG_WARN, "entropy read: "
				      "error %ld", n);
			break;
		}
		if (virtq_write(ins, in, c->n_in, done, r->buf, (size_t)n) < 0)
			break;
		done += (uint64_t)n;
	}
	r->bytes += done;
	return (uint32_t)done;
}

static int64_t rng_request(struct virtio_dev *vd, const struct virtq_chain *c)
{
	return rng_fill((struct virtio_rng *)vd, c);
}

static void rng_notify(struct virtio_dev *vd, unsigned qi)
{
	virtio_serve(vd, 0, &((struct virtio_rng *)vd)->chain, rng_request,
		     "request queue");
}

static const struct virtio_type virtio_rng_type = {
	.id = VIRTIO_ID_RNG,
	.class_code = 0xff0000, /* unclassified device */
	.n_queues = 1,
	.queue_max = RNG_QUEUE_SIZE,
	.cfg_len = 0,
	.notify = rng_notify,
};

static int virtio_rng_construct(struct dev_ins *ins)
{
	struct virtio_rng *r = ins->priv;

	return virtio_pci_init(&r->vd, ins, &virtio_rng_type, 0);
}

static void virtio_rng_reset(struct dev_ins *ins)
{
	struct virtio_rng *r = ins->priv;

	virtio_reset(&r->vd);
}

static const struct dev_ops virtio_rng_ops = {
	.construct = virtio_rng_construct,
	.reset = virtio_rng_reset,
};

const struct dev_reg dev_reg_virtio_rng = {
	.name = "virtio_rng",
	.desc = "virtio-pci entropy source (host file 0: /dev/urandom, --rng)",
	.cls = DEV_CLASS_MISC,
	.flags = DEV_F_NO_DEFAULT, /* only --disk/--net/--rng give it a host file */
	.max_instances = 1,
	.instance_size = sizeof(struct virtio_rng),
	.opts = NULL,
	.n_opts = 0,
	.ops = &virtio_rng_ops,
};
