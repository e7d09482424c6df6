/*
 * devices/virtio_blk.c - virtio block device (virtio 1.2, 5.2) over
 * virtio-pci (devices/virtio.h): one request queue, the image is host
 * file key 0 (wisp's --disk PATH[,ro=on] opens it and passes ro=1),
 * capacity file_size / 512 (trailing bytes of a size that is not a whole
 * number of sectors are not shown to the guest).
 *
 * Features: SEG_MAX (queue size - 2), BLK_SIZE (512), FLUSH, and RO with
 * option ro=1. Requests IN, OUT, FLUSH and GET_ID (serial "wisp-<idx>");
 * any other type is UNSUPP. A request is a readable 16-byte header
 * (type, reserved, sector), its data, and one writable status byte, the
 * last byte of the chain, written last. IN/OUT data must be whole sectors
 * inside the capacity (checked without overflow); a short header, a bad
 * length or range, a write to a read-only disk, a failed host I/O or a
 * data buffer outside guest RAM: IOERR. A chain with no writable byte for
 * the status, or a status byte outside guest RAM, cannot be answered:
 * that is a protocol violation (NEEDS_RESET).
 *
 * I/O is synchronous through file_pread/file_pwrite: a request is
 * complete before the doorbell returns. FLUSH succeeds once every earlier
 * write has returned: wisp does not fsync (pwrite returns with the data in
 * the host's page cache, which survives the VM but not a host crash).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "virtio.h"

#define BLK_QUEUE_SIZE 128
#define BLK_SECTOR 512u
#define BLK_KEY 0
#define BLK_CHUNK 65536u /* bounce buffer: bytes moved per host call */
#define BLK_ID_BYTES 20
#define BLK_HDR_LEN 16u
#define BLK_CFG_LEN 36u /* through num_queues; writeback etc. read 0 */

#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

struct virtio_blk {
	struct virtio_dev vd; /* first: the transport's callbacks cast back */
	uint64_t capacity;    /* in 512-byte sectors */
	bool ro;
	char serial[BLK_ID_BYTES];
	uint64_t requests, errors;
	struct virtq_chain chain;
	uint8_t buf[BLK_CHUNK];
};

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static void blk_cfg_read(struct virtio_dev *vd, uint32_t off, void *buf,
			 unsigned len)
{
	const struct virtio_blk *b = (const struct virtio_blk *)vd;
	uint8_t cfg[BLK_CFG_LEN] = { 0 };
	uint32_t seg_max = BLK_QUEUE_SIZE - 2, blk_size = BLK_SECTOR;

	memcpy(cfg + 0, &b->capacity, 8);
	memcpy(cfg + 12, &seg_max, 4);
	memcpy(cfg + 20, &blk_size, 4);
	memcpy(buf, cfg + off, len);
}

/* [sector, sector + len / 512) inside the disk, len whole sectors. */
static bool blk_span_ok(const struct virtio_blk *b, uint64_t sector,
			uint64_t len)
{
	return len % BLK_SECTOR == 0 && sector <= b->capacity &&
	       len / BLK_SECTOR <= b->capacity - sector;
}

static size_t chunk(uint64_t left)
{
	return left < BLK_CHUNK ? (size_t)left : BLK_CHUNK;
}

/* Disk to the writable buffers before the status byte. */
static uint8_t blk_in(struct virtio_blk *b, const struct virtq_chain *c,
		      uint64_t sector, uint64_t *written)
{
	struct dev_ins *ins = b->vd.ins;
	const struct virtq_seg *in = c->seg + c->n_out;
	uint64_t len = c->in_len - 1;

	if (!blk_span_ok(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	for (uint64_t done = 0; done < len; done += chunk(len - done)) {
		size_t k = chunk(len - done);
		long n = ins->hlp->file_pread(ins, BLK_KEY, b->buf, k,
					      sector * BLK_SECTOR + done);
		if (n != (long)k ||
		    virtq_write(ins, in, c->n_in, done, b->buf, k) < 0)
			return VIRTIO_BLK_S_IOERR;
		*written = done + k;
	}
	return VIRTIO_BLK_S_OK;
}

/* The readable buffers after the header to the disk. */
static uint8_t blk_out(struct virtio_blk *b, const struct virtq_chain *c,
		       uint64_t sector)
{
	struct dev_ins *ins = b->vd.ins;
	uint64_t len = c->out_len - BLK_HDR_LEN;

	if (b->ro || !blk_span_ok(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	for (uint64_t done = 0; done < len; done += chunk(len - done)) {
		size_t k = chunk(len - done);
		if (virtq_read(ins, c->seg, c->n_out, BLK_HDR_LEN + done, b->buf,
			       k) < 0 ||
		    ins->hlp->file_pwrite(ins, BLK_KEY, b->buf, k,
					  sector * BLK_SECTOR + done) != (long)k)
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* The serial, cut to the buffer (not NUL-terminated when it fills 20). */
static uint8_t blk_get_id(struct virtio_blk *b, const struct virtq_chain *c,
			  uint64_t *written)
{
	uint64_t len = c->in_len - 1;

	len = len < BLK_ID_BYTES ? len : BLK_ID_BYTES;
	if (virtq_write(b->vd.ins, c->seg + c->n_out, c->n_in, 0, b->serial,
			(size_t)len) < 0)
		return VIRTIO_BLK_S_IOERR;
	*written = len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_do(struct virtio_blk *b, const struct virtq_chain *c,
		      uint64_t *written)
{
	struct blk_hdr h;

	if (c->out_len < BLK_HDR_LEN ||
	    virtq_read(b->vd.ins, c->seg, c->n_out, 0, &h, sizeof(h)) < 0)
		return VIRTIO_BLK_S_IOERR;
	switch (h.type) {
	case VIRTIO_BLK_T_IN: return blk_in(b, c, h.sector, written);
	case VIRTIO_BLK_T_OUT: return blk_out(b, c, h.sector);
	case VIRTIO_BLK_T_FLUSH: return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID: return blk_get_id(b, c, written);
	default: return VIRTIO_BLK_S_UNSUPP;
	}
}

/* One request: the used length (data written plus the status byte), or
 * VIRTQ_BROKEN when there is nowhere to put the status. */
static int64_t blk_request(struct virtio_dev *vd, const struct virtq_chain *c)
{
	struct virtio_blk *b = (struct virtio_blk *)vd;
	uint64_t written = 0;
	uint8_t st;

	if (!c->in_len)
		return VIRTQ_BROKEN;
	st = blk_do(b, c, &written);
	b->requests++;
	b->errors += st != VIRTIO_BLK_S_OK;
	if (virtq_write(b->vd.ins, c->seg + c->n_out, c->n_in, c->in_len - 1,
			&st, 1) < 0)
		return VIRTQ_BROKEN;
	return (int64_t)written + 1;
}

static void blk_notify(struct virtio_dev *vd, unsigned qi)
{
	virtio_serve(vd, 0, &((struct virtio_blk *)vd)->chain, blk_request,
		     "request queue");
}

static const struct virtio_type virtio_blk_type = {
	.id = VIRTIO_ID_BLOCK,
	.class_code = 0x018000, /* mass storage, other */
	.n_queues = 1,
	.queue_max = BLK_QUEUE_SIZE,
	.cfg_len = BLK_CFG_LEN,
	.cfg_read = blk_cfg_read,
	.notify = blk_notify,
};

static int virtio_blk_construct(struct dev_ins *ins)
{
	struct virtio_blk *b = ins->priv;
	uint64_t size = 0, ro = 0;
	int rc = ins->hlp->file_size(ins, BLK_KEY, &size);

	if (rc < 0) {
		ins->hlp->log(ins, DEV_LOG_ERR, "no disk image (host file 0): "
			      "error %d", rc);
		return rc;
	}
	if (size % BLK_SECTOR)
		ins->hlp->log(ins, DEV_LOG_WARN, "image size %" PRIu64 " is not "
			      "whole sectors: the last %" PRIu64 " bytes are "
			      "not shown", size, size % BLK_SECTOR);
	ins->hlp->cfg_u64(ins, "ro", &ro);
	b->capacity = size / BLK_SECTOR;
	b->ro = ro != 0;
	snprintf(b->serial, sizeof(b->serial), "wisp-%u", ins->idx);
	return virtio_pci_init(&b->vd, ins, &virtio_blk_type,
			       1ull << VIRTIO_BLK_F_SEG_MAX |
			       1ull << VIRTIO_BLK_F_BLK_SIZE |
			       1ull << VIRTIO_BLK_F_FLUSH |
			       (b->ro ? 1ull << VIRTIO_BLK_F_RO : 0));
}

static void virtio_blk_reset(struct dev_ins *ins)
{
	struct virtio_blk *b = ins->priv;

	virtio_reset(&b->vd);
}

static const struct dev_ops virtio_blk_ops = {
	.construct = virtio_blk_construct,
	.reset = virtio_blk_reset,
};

static const struct dev_opt virtio_blk_opts[] = {
	{ .key = "ro", .type = DEV_OPT_U64, .min = 0, .max = 1,
	  .help = "1: read-only disk (VIRTIO_BLK_F_RO; writes get IOERR)" },
};

const struct dev_reg dev_reg_virtio_blk = {
	.name = "virtio_blk",
	.desc = "virtio-pci block device (host file 0: the image, --disk)",
	.cls = DEV_CLASS_MISC,
	.flags = DEV_F_NO_DEFAULT, /* only --disk/--net/--rng give it a host file */
	.max_instances = 8,
	.instance_size = sizeof(struct virtio_blk),
	.opts = virtio_blk_opts,
	.n_opts = sizeof(virtio_blk_opts) / sizeof(virtio_blk_opts[0]),
	.ops = &virtio_blk_ops,
};
