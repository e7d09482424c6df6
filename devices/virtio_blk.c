/*
 * devices/virtio_blk.c - virtio block device (virtio 1.2, 5.2) over
 * virtio-pci (devices/virtio.h): one request queue, the image is host
 * file key 0 (wisp's --disk PATH[,ro=on] opens it and passes ro=1),
 * capacity file_size / 512 (trailing bytes of a size that is not a whole
 * number of sectors are not shown to the guest).
 *
 * Features: SEG_MAX (queue size - 2), BLK_SIZE (512), FLUSH, and RO with
 * option ro=1, else DISCARD and WRITE_ZEROES. Requests IN, OUT, FLUSH,
 * GET_ID (serial "wisp-<idx>"), DISCARD and WRITE_ZEROES; any other type
 * is UNSUPP. A request is a readable 16-byte header
 * (type, reserved, sector), its data, and one writable status byte, the
 * last byte of the chain, written last. IN/OUT data must be whole sectors
 * inside the capacity (checked without overflow); a short header, a bad
 * length or range, a write to a read-only disk, a failed host I/O or a
 * data buffer outside guest RAM: IOERR. A chain with no writable byte for
 * the status, or a status byte outside guest RAM, cannot be answered:
 * that is a protocol violation (NEEDS_RESET).
 *
 * I/O is synchronous through file_pread/file_pwrite: a request is
 * complete before the doorbell returns, its data in the host's page cache
 * (it survives the VM, not a host crash). FLUSH is file_sync (fdatasync):
 * its OK means every earlier write is durable; a failed sync is IOERR.
 *
 * DISCARD and WRITE_ZEROES carry 1 to BLK_RANGES ranges of 16 bytes
 * (sector, num_sectors <= BLK_RANGE_SECTORS, flags), each checked as IN/OUT
 * spans are; an unknown flag, or UNMAP on a DISCARD, is UNSUPP. A discard
 * frees the range (file_punch) where the host can and is otherwise a
 * no-op, as the spec allows; write-zeroes zeroes it (file_zero, else
 * file_punch, else written zeroes): afterwards it reads as zeroes.
 */
#include <errno.h>
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
#define BLK_CFG_LEN 60u /* through write_zeroes_may_unmap; writeback reads 0 */
#define BLK_RANGE_LEN 16u
#define BLK_RANGES 8u                  /* max_discard_seg, max_write_zeroes_seg */
#define BLK_RANGE_SECTORS (1u << 16)   /* 32 MiB per range: bounds the
					* written-zeroes fallback */
#define BLK_DISCARD_ALIGN 8u           /* sectors: the host's 4 KiB blocks */
#define BLK_WZ_UNMAP 1u                /* range flag: the device may free */

#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

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

struct blk_range { /* virtio_blk_discard_write_zeroes */
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

static void blk_cfg_read(struct virtio_dev *vd, uint32_t off, void *buf,
			 unsigned len)
{
	const struct virtio_blk *b = (const struct virtio_blk *)vd;
	uint8_t cfg[BLK_CFG_LEN] = { 0 };
	uint32_t seg_max = BLK_QUEUE_SIZE - 2, blk_size = BLK_SECTOR;

	uint32_t ranges = BLK_RANGES, sectors = BLK_RANGE_SECTORS,
		 align = BLK_DISCARD_ALIGN;

	memcpy(cfg + 0, &b->capacity, 8);
	memcpy(cfg + 12, &seg_max, 4);
	memcpy(cfg + 20, &blk_size, 4);
	memcpy(cfg + 36, &sectors, 4); /* max_discard_sectors */
	memcpy(cfg + 40, &ranges, 4);  /* max_discard_seg */
	memcpy(cfg + 44, &align, 4);   /* discard_sector_alignment */
	memcpy(cfg + 48, &sectors, 4); /* max_write_zeroes_sectors */
	memcpy(cfg + 52, &ranges, 4);  /* max_write_zeroes_seg */
	cfg[56] = 1;                   /* write_zeroes_may_unmap */
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

static uint8_t blk_flush(struct virtio_blk *b)
{
	struct dev_ins *ins = b->vd.ins;

	return ins->hlp->file_sync(ins, BLK_KEY) < 0 ? VIRTIO_BLK_S_IOERR
						      : VIRTIO_BLK_S_OK;
}

/* Zeroes written over [off, off + len), for a host that cannot fallocate. */
static int blk_write_zeroes(struct virtio_blk *b, uint64_t off, uint64_t len)
{
	struct dev_ins *ins = b->vd.ins;

	memset(b->buf, 0, chunk(len));
	for (uint64_t done = 0; done < len; done += chunk(len - done))
		if (ins->hlp->file_pwrite(ins, BLK_KEY, b->buf, chunk(len - done),
					  off + done) != (long)chunk(len - done))
			return -1;
	return 0;
}

/* One checked range: a discard frees what the host can (else nothing:
 * the spec lets a discard do nothing); write-zeroes leaves zeroes. */
static uint8_t blk_range_do(struct virtio_blk *b, uint32_t type,
			    uint64_t off, uint64_t len)
{
	struct dev_ins *ins = b->vd.ins;
	int rc;

	if (type == VIRTIO_BLK_T_DISCARD) {
		rc = ins->hlp->file_punch(ins, BLK_KEY, off, len);
		return rc < 0 && rc != -EOPNOTSUPP ? VIRTIO_BLK_S_IOERR
						   : VIRTIO_BLK_S_OK;
	}
	rc = ins->hlp->file_zero(ins, BLK_KEY, off, len);
	if (rc == -EOPNOTSUPP)
		rc = ins->hlp->file_punch(ins, BLK_KEY, off, len);
	if (rc == -EOPNOTSUPP)
		rc = blk_write_zeroes(b, off, len);
	return rc < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* Range i of a DISCARD/WRITE_ZEROES request, read and checked. */
static uint8_t blk_range(struct virtio_blk *b, const struct virtq_chain *c,
			 uint32_t type, unsigned i)
{
	struct blk_range r;
	uint64_t len;

	if (virtq_read(b->vd.ins, c->seg, c->n_out,
		       BLK_HDR_LEN + i * BLK_RANGE_LEN, &r, sizeof(r)) < 0)
		return VIRTIO_BLK_S_IOERR;
	if ((r.flags & ~BLK_WZ_UNMAP) ||
	    (type == VIRTIO_BLK_T_DISCARD && r.flags))
		return VIRTIO_BLK_S_UNSUPP;
	len = (uint64_t)r.num_sectors * BLK_SECTOR;
	if (r.num_sectors > BLK_RANGE_SECTORS ||
	    !blk_span_ok(b, r.sector, len))
		return VIRTIO_BLK_S_IOERR;
	return blk_range_do(b, type, r.sector * BLK_SECTOR, len);
}

/* DISCARD or WRITE_ZEROES: 1 to BLK_RANGES whole ranges after the header,
 * applied in order until one fails. */
static uint8_t blk_ranges(struct virtio_blk *b, const struct virtq_chain *c,
			  uint32_t type)
{
	uint64_t len = c->out_len - BLK_HDR_LEN;
	uint8_t st = VIRTIO_BLK_S_OK;

	if (b->ro || !len || len % BLK_RANGE_LEN ||
	    len / BLK_RANGE_LEN > BLK_RANGES)
		return VIRTIO_BLK_S_IOERR;
	for (unsigned i = 0; st == VIRTIO_BLK_S_OK && i < len / BLK_RANGE_LEN;
	     i++)
		st = blk_range(b, c, type, i);
	return st;
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
	case VIRTIO_BLK_T_FLUSH: return blk_flush(b);
	case VIRTIO_BLK_T_GET_ID: return blk_get_id(b, c, written);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: return blk_ranges(b, c, h.type);
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
			       (b->ro ? 1ull << VIRTIO_BLK_F_RO :
					1ull << VIRTIO_BLK_F_DISCARD |
					1ull << VIRTIO_BLK_F_WRITE_ZEROES));
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
