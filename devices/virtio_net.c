/*
 * devices/virtio_net.c - virtio network device (virtio 1.2, 5.1) over
 * virtio-pci (devices/virtio.h): receive queue 0, transmit queue 1, the
 * tap is pollable host file key 0 (wisp's --net tap=IFNAME|fd=N[,mac=MAC]
 * opens it and passes mac=...).
 *
 * Features: MAC (option mac=aa:bb:cc:dd:ee:ff, a unicast address; default
 * 02:77:69:73:70:<idx>, locally administered, "wisp") and STATUS (link
 * always up). No offloads, no mergeable buffers: every frame travels with
 * the 12-byte virtio_net_hdr of VERSION_1, all zero but num_buffers 1.
 *
 * Transmit: each chain is gathered (readable buffers only, header
 * stripped, frame at most NET_FRAME_MAX bytes) into a bounce buffer and
 * written to the tap whole; a bad chain or a refused write drops the frame
 * (counted) and the buffer is returned used. Receive needs no thread: the
 * device watches the tap (file_watch) while the driver has given receive
 * buffers, and not when none are left; each callback reads one frame into
 * the bounce buffer and copies header and frame into the next chain. A
 * frame larger than that chain is dropped and counted, and the chain stays
 * available for the next frame. A receive chain with readable buffers is a
 * protocol violation. A tap that fails (deleted, closed) ends the watch for
 * good, with one line: its error would otherwise be reported forever.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "virtio.h"

#define NET_QUEUE_SIZE 256
#define NET_RXQ 0
#define NET_TXQ 1
#define NET_KEY 0
#define NET_HDR_LEN 12u
#define NET_FRAME_MAX 65550u /* a tap frame: 64 KiB + Ethernet and VLAN */
#define NET_CFG_LEN 8u       /* mac, status */

#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1

struct virtio_net {
	struct virtio_dev vd; /* first: the transport's callbacks cast back */
	uint8_t mac[6];
	bool watching;        /* the tap's watch is on */
	bool tap_failed;      /* a read failed: the watch stays off for good */
	uint64_t rx_frames, rx_dropped;
	uint64_t tx_frames, tx_dropped;
	struct virtq_chain chain;
	uint8_t buf[NET_FRAME_MAX];
};

static void net_cfg_read(struct virtio_dev *vd, uint32_t off, void *buf,
			 unsigned len)
{
	const struct virtio_net *n = (const struct virtio_net *)vd;
	uint8_t cfg[NET_CFG_LEN];
	uint16_t status = VIRTIO_NET_S_LINK_UP;

	memcpy(cfg, n->mac, 6);
	memcpy(cfg + 6, &status, 2);
	memcpy(buf, cfg + off, len);
}

static void net_watch(struct virtio_net *n, bool on)
{
	struct dev_ins *ins = n->vd.ins;

	if (on == n->watching || (on && n->tap_failed))
		return;
	if (ins->hlp->file_watch_set(ins, NET_KEY, on) < 0)
		ins->hlp->log(ins, DEV_LOG_WARN, "tap watch %s refused",
			      on ? "on" : "off");
	n->watching = on;
}

/* Watch the tap exactly while there are receive buffers to fill. */
static void net_rx_update(struct virtio_net *n)
{
	struct virtq *q = &n->vd.q[NET_RXQ];
	int p = virtio_live(&n->vd) && q->enabled ? virtq_pending(q) : 0;

	if (p == VIRTQ_BROKEN)
		virtio_broken(&n->vd, "receive queue");
	net_watch(n, p > 0 && virtio_live(&n->vd));
}

static const uint8_t net_hdr[NET_HDR_LEN] = { [10] = 1 }; /* num_buffers */

/* The frame of `len` bytes in n->buf into the popped chain: 0, or -1 when
 * it does not fit (the chain is given back). */
static int net_rx_put(struct virtio_net *n, size_t len)
{
	struct dev_ins *ins = n->vd.ins;
	const struct virtq_chain *c = &n->chain;
	struct virtq *q = &n->vd.q[NET_RXQ];
	uint32_t used = (uint32_t)(NET_HDR_LEN + len);

	if (c->in_len < NET_HDR_LEN + len) {
		n->rx_dropped++;
		virtq_unpop(q);
		return -1;
	}
	if (virtq_write(ins, c->seg, c->n_in, 0, net_hdr, NET_HDR_LEN) < 0 ||
	    virtq_write(ins, c->seg, c->n_in, NET_HDR_LEN, n->buf, len) < 0) {
		n->rx_dropped++; /* a buffer outside RAM: returned empty */
		used = 0;
	}
	if (virtq_push(q, c->head, used) < 0) {
		virtio_broken(&n->vd, "receive used ring");
		return -1;
	}
	n->rx_frames += used != 0;
	virtio_used_notify(&n->vd, NET_RXQ);
	return 0;
}

/* The tap failed (deleted: EBADFD; hung up: end of file). Its level-
 * triggered watch would report it forever and the read fail each time:
 * the watch ends, one line says why, frames sent to it are dropped. */
static void net_tap_failed(struct virtio_net *n, long rc)
{
	struct dev_ins *ins = n->vd.ins;

	net_watch(n, false);
	n->tap_failed = true;
	if (rc)
		ins->hlp->log(ins, DEV_LOG_ERR, "tap read failed: %s; "
			      "receiving stops", strerror((int)-rc));
	else
		ins->hlp->log(ins, DEV_LOG_ERR, "tap closed: receiving stops");
}

/* The tap is readable (file_watch): one frame into the next chain. */
static void net_rx_ready(struct dev_ins *ins, void *opaque, uint64_t key)
{
	struct virtio_net *n = ins->priv;
	struct virtq *q = &n->vd.q[NET_RXQ];
	int rc = virtio_live(&n->vd) && q->enabled ? virtq_pop(q, &n->chain)
						   : VIRTQ_EMPTY;

	if (rc == VIRTQ_CHAIN && n->chain.n_out)
		rc = VIRTQ_BROKEN;
	if (rc == VIRTQ_BROKEN)
		virtio_broken(&n->vd, "receive queue");
	if (rc != VIRTQ_CHAIN) {
		net_watch(n, false);
		return;
	}
	long len = ins->hlp->file_read(ins, NET_KEY, n->buf, sizeof(n->buf));
	if (len <= 0) { /* not readable after all: the chain stays */
		virtq_unpop(q);
		if (len != -EAGAIN && len != -EINTR)
			net_tap_failed(n, len);
		return;
	}
	net_rx_put(n, (size_t)len);
	net_rx_update(n);
}

/* One transmit chain to the tap; a bad one is dropped. */
static void net_tx_one(struct virtio_net *n, const struct virtq_chain *c)
{
	struct dev_ins *ins = n->vd.ins;
	uint64_t len = c->out_len - NET_HDR_LEN;

	if (c->n_in || c->out_len < NET_HDR_LEN || len > NET_FRAME_MAX ||
	    virtq_read(ins, c->seg, c->n_out, NET_HDR_LEN, n->buf,
		       (size_t)len) < 0) {
		n->tx_dropped++;
		return;
	}
	if (ins->hlp->file_write(ins, NET_KEY, n->buf, (size_t)len) !=
	    (long)len) {
		n->tx_dropped++;
		return;
	}
	n->tx_frames++;
}

/* A transmitted chain writes nothing into guest memory. */
static int64_t net_tx_chain(struct virtio_dev *vd, const struct virtq_chain *c)
{
	net_tx_one((struct virtio_net *)vd, c);
	return 0;
}

static void net_tx(struct virtio_net *n)
{
	virtio_serve(&n->vd, NET_TXQ, &n->chain, net_tx_chain,
		     "transmit queue");
}

static void net_notify(struct virtio_dev *vd, unsigned qi)
{
	struct virtio_net *n = (struct virtio_net *)vd;

	if (qi == NET_TXQ)
		net_tx(n);
	else
		net_rx_update(n);
}

static void net_reset(struct virtio_dev *vd)
{
	net_watch((struct virtio_net *)vd, false);
}

static const struct virtio_type virtio_net_type = {
	.id = VIRTIO_ID_NET,
	.class_code = 0x020000, /* network, Ethernet */
	.n_queues = 2,
	.queue_max = NET_QUEUE_SIZE,
	.cfg_len = NET_CFG_LEN,
	.cfg_read = net_cfg_read,
	.notify = net_notify,
	.reset = net_reset,
};

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "aa:bb:cc:dd:ee:ff", a unicast address: 0 or -1. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -1;
	for (unsigned i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return mac[0] & 1 ? -1 : 0;
}

static int net_mac(struct dev_ins *ins, uint8_t mac[6])
{
	const char *s;
	const uint8_t def[6] = { 0x02, 'w', 'i', 's', 'p', (uint8_t)ins->idx };

	if (ins->hlp->cfg_str(ins, "mac", &s) < 0) {
		memcpy(mac, def, 6);
		return 0;
	}
	if (parse_mac(s, mac) == 0)
		return 0;
	ins->hlp->log(ins, DEV_LOG_ERR, "mac '%.32s' is not a unicast "
		      "aa:bb:cc:dd:ee:ff address", s);
	return -EINVAL;
}

static int virtio_net_construct(struct dev_ins *ins)
{
	struct virtio_net *n = ins->priv;
	int rc = net_mac(ins, n->mac);

	if (rc < 0)
		return rc;
	rc = ins->hlp->file_watch(ins, NET_KEY, net_rx_ready, NULL);
	if (rc < 0) {
		ins->hlp->log(ins, DEV_LOG_ERR, "no tap to watch (host file "
			      "0): error %d", rc);
		return rc;
	}
	return virtio_pci_init(&n->vd, ins, &virtio_net_type,
			       1ull << VIRTIO_NET_F_MAC |
			       1ull << VIRTIO_NET_F_STATUS);
}

static void virtio_net_reset(struct dev_ins *ins)
{
	struct virtio_net *n = ins->priv;

	virtio_reset(&n->vd);
}

static const struct dev_ops virtio_net_ops = {
	.construct = virtio_net_construct,
	.reset = virtio_net_reset,
};

static const struct dev_opt virtio_net_opts[] = {
	{ .key = "mac", .type = DEV_OPT_STR,
	  .help = "aa:bb:cc:dd:ee:ff (default 02:77:69:73:70:<index>)" },
};

const struct dev_reg dev_reg_virtio_net = {
	.name = "virtio_net",
	.desc = "virtio-pci network device (host file 0: a tap, --net)",
	.cls = DEV_CLASS_MISC,
	.flags = DEV_F_NO_DEFAULT, /* only --disk/--net/--rng give it a host file */
	.max_instances = 4,
	.instance_size = sizeof(struct virtio_net),
	.opts = virtio_net_opts,
	.n_opts = sizeof(virtio_net_opts) / sizeof(virtio_net_opts[0]),
	.ops = &virtio_net_ops,
};
