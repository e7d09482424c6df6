/*
 * devices/virtio_pci.c - the modern virtio-pci transport (virtio 1.2,
 * 4.1) shared by wisp's virtio devices: the PCI function, BAR0's common
 * configuration, ISR, device configuration and notification areas, feature
 * negotiation, queue setup and interrupts. Layout in devices/virtio.h.
 *
 * Register accesses must be the register's own width at its own offset
 * (the 64-bit queue addresses also as two 32-bit halves); anything else
 * reads 0 and is ignored, as the spec leaves it undefined. Queue setup
 * writes are taken only while the queue is disabled, features only before
 * FEATURES_OK, as the driver's order of steps says.
 */
#include <errno.h>
#include <string.h>

#include "virtio.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_CAP_COMMON 1
#define VIRTIO_CAP_NOTIFY 2
#define VIRTIO_CAP_ISR 3
#define VIRTIO_CAP_DEVICE 4
#define VIRTIO_CAP_LEN 16
#define VIRTIO_NOTIFY_CAP_LEN 20
#define VIRTIO_BELL_LEN 2 /* the driver writes the 16-bit queue index */

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

bool virtio_has(const struct virtio_dev *vd, unsigned bit)
{
	return bit < 64 && (vd->drv_features >> bit) & 1;
}

bool virtio_live(const struct virtio_dev *vd)
{
	uint8_t need = VIRTIO_S_DRIVER_OK | VIRTIO_S_FEATURES_OK;

	return (vd->status & need) == need &&
	       !(vd->status & (VIRTIO_S_NEEDS_RESET | VIRTIO_S_FAILED));
}

void virtio_reset(struct virtio_dev *vd)
{
	const struct virtio_type *t = vd->type;

	vd->drv_features = 0;
	vd->dfselect = vd->gfselect = 0;
	vd->msix_config = VIRTIO_MSI_NO_VECTOR;
	vd->queue_select = 0;
	vd->status = vd->isr = 0;
	for (unsigned i = 0; i < t->n_queues; i++)
		virtq_reset(&vd->q[i], vd->ins, t->queue_max);
	if (t->reset)
		t->reset(vd);
}

static void send_vector(struct virtio_dev *vd, uint16_t vec)
{
	int rc;

	if (vec == VIRTIO_MSI_NO_VECTOR)
		return;
	rc = vd->ins->hlp->msix_notify(vd->ins, vec);
	if (rc < 0)
		vd->ins->hlp->log(vd->ins, DEV_LOG_DEBUG, "MSI-X vector %u: "
				  "error %d", vec, rc);
}

void virtio_used_notify(struct virtio_dev *vd, unsigned q)
{
	if (q >= vd->type->n_queues || !virtq_need_notify(&vd->q[q]))
		return;
	vd->isr |= VIRTIO_ISR_QUEUE;
	send_vector(vd, vd->q[q].msix);
}

void virtio_broken(struct virtio_dev *vd, const char *why)
{
	if (vd->status & VIRTIO_S_NEEDS_RESET)
		return;
	vd->status |= VIRTIO_S_NEEDS_RESET;
	vd->ins->hlp->log(vd->ins, DEV_LOG_WARN, "guest protocol violation "
			  "(%s): device needs reset", why);
	if (!(vd->status & VIRTIO_S_DRIVER_OK))
		return;
	vd->isr |= VIRTIO_ISR_CONFIG;
	vd->generation++;
	send_vector(vd, vd->msix_config);
}

void virtio_serve(struct virtio_dev *vd, unsigned qi, struct virtq_chain *c,
		  virtio_chain_fn fn, const char *what)
{
	struct virtq *q = &vd->q[qi];
	bool used = false;
	int rc = VIRTQ_EMPTY;

	for (unsigned i = 0; i < q->size; i++) {
		rc = virtq_pop(q, c);
		if (rc != VIRTQ_CHAIN)
			break;
		int64_t n = fn(vd, c);
		/* a used length is cut at 4 GiB, never wrapped */
		rc = n < 0 ? VIRTQ_BROKEN
			   : virtq_push(q, c->head,
					n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
		if (rc < 0)
			break;
		used = true;
	}
	if (rc == VIRTQ_BROKEN)
		virtio_broken(vd, what);
	if (used)
		virtio_used_notify(vd, qi);
}

/* The doorbell carries no queue index (notify_off_multiplier 0, no
 * datamatch): every enabled queue is served; each finds its own work. */
static void serve_queues(struct virtio_dev *vd)
{
	for (unsigned i = 0; i < vd->type->n_queues; i++)
		if (virtio_live(vd) && vd->q[i].enabled)
			vd->type->notify(vd, i);
}

static void virtio_bell(struct dev_ins *ins, void *opaque, uint64_t n)
{
	serve_queues(opaque);
}

/* --- common configuration --- */

static struct virtq *selected(struct virtio_dev *vd)
{
	return vd->queue_select < vd->type->n_queues ? &vd->q[vd->queue_select]
						     : NULL;
}

/* Width of the register starting at off, or 0 between registers. */
static unsigned reg_width(unsigned off)
{
	static const uint8_t width[VIRTIO_COMMON_LEN] = {
		[VIRTIO_C_DFSELECT] = 4, [VIRTIO_C_DF] = 4,
		[VIRTIO_C_GFSELECT] = 4, [VIRTIO_C_GF] = 4,
		[VIRTIO_C_MSIX_CONFIG] = 2, [VIRTIO_C_NUM_QUEUES] = 2,
		[VIRTIO_C_STATUS] = 1, [VIRTIO_C_CFG_GEN] = 1,
		[VIRTIO_C_Q_SELECT] = 2, [VIRTIO_C_Q_SIZE] = 2,
		[VIRTIO_C_Q_MSIX] = 2, [VIRTIO_C_Q_ENABLE] = 2,
		[VIRTIO_C_Q_NOFF] = 2, [VIRTIO_C_Q_DESC] = 8,
		[VIRTIO_C_Q_AVAIL] = 8, [VIRTIO_C_Q_USED] = 8,
	};

	return off < VIRTIO_COMMON_LEN ? width[off] : 0;
}

/* The register an access names (its start in *reg), or false. */
static bool reg_of(uint64_t off, unsigned size, unsigned *reg)
{
	unsigned o = (unsigned)off;

	if (off >= VIRTIO_COMMON_LEN)
		return false;
	if (reg_width(o) == size || (size == 4 && reg_width(o) == 8)) {
		*reg = o;
		return true;
	}
	/* the high half of a 64-bit address */
	if (size == 4 && o >= 4 && reg_width(o - 4) == 8) {
		*reg = o - 4;
		return true;
	}
	return false;
}

static uint64_t *queue_addr(struct virtq *q, unsigned reg)
{
	return reg == VIRTIO_C_Q_DESC ? &q->desc
	       : reg == VIRTIO_C_Q_AVAIL ? &q->avail : &q->used;
}

static uint32_t feature_word(uint64_t f, uint32_t sel)
{
	return sel < 2 ? (uint32_t)(f >> (32 * sel)) : 0;
}

static uint64_t queue_get(struct virtio_dev *vd, unsigned reg)
{
	struct virtq *q = selected(vd);

	if (!q)
		return reg == VIRTIO_C_Q_MSIX ? VIRTIO_MSI_NO_VECTOR : 0;
	switch (reg) {
	case VIRTIO_C_Q_SIZE: return q->size;
	case VIRTIO_C_Q_MSIX: return q->msix;
	case VIRTIO_C_Q_ENABLE: return q->enabled;
	case VIRTIO_C_Q_NOFF: return 0;
	default: return *queue_addr(q, reg);
	}
}

static uint64_t common_get(struct virtio_dev *vd, unsigned reg)
{
	switch (reg) {
	case VIRTIO_C_DFSELECT: return vd->dfselect;
	case VIRTIO_C_DF: return feature_word(vd->features, vd->dfselect);
	case VIRTIO_C_GFSELECT: return vd->gfselect;
	case VIRTIO_C_GF: return feature_word(vd->drv_features, vd->gfselect);
	case VIRTIO_C_MSIX_CONFIG: return vd->msix_config;
	case VIRTIO_C_NUM_QUEUES: return vd->type->n_queues;
	case VIRTIO_C_STATUS: return vd->status;
	case VIRTIO_C_CFG_GEN: return vd->generation;
	case VIRTIO_C_Q_SELECT: return vd->queue_select;
	default: return queue_get(vd, reg);
	}
}

static uint64_t common_read(struct virtio_dev *vd, uint64_t off,
			    unsigned size)
{
	unsigned reg;
	uint64_t v;

	if (!reg_of(off, size, &reg))
		return 0;
	v = common_get(vd, reg);
	if (off > reg)
		v >>= 32;
	return size == 8 ? v : v & ((1ull << (8 * size)) - 1);
}

/* A vector the function has, else NO_VECTOR: the driver reads back
 * whether its choice took (virtio 1.2, 4.1.5.1.2). */
static uint16_t vector(struct virtio_dev *vd, uint64_t v)
{
	return v <= vd->type->n_queues ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

static bool features_acceptable(const struct virtio_dev *vd)
{
	return !(vd->drv_features & ~vd->features) &&
	       virtio_has(vd, VIRTIO_F_VERSION_1);
}

static void status_write(struct virtio_dev *vd, uint8_t v)
{
	uint8_t was = vd->status;

	if (!v) {
		virtio_reset(vd);
		return;
	}
	v &= (uint8_t)~VIRTIO_S_NEEDS_RESET; /* the device's bit */
	if ((v & VIRTIO_S_FEATURES_OK) && !(was & VIRTIO_S_FEATURES_OK) &&
	    !features_acceptable(vd))
		v &= (uint8_t)~VIRTIO_S_FEATURES_OK;
	vd->status = v | (was & VIRTIO_S_NEEDS_RESET);
	/* Buffers the driver queued and rang for before DRIVER_OK. */
	if ((v & VIRTIO_S_DRIVER_OK) && !(was & VIRTIO_S_DRIVER_OK))
		serve_queues(vd);
}

static void driver_features(struct virtio_dev *vd, uint32_t v)
{
	unsigned sh = 32 * vd->gfselect;

	if ((vd->status & VIRTIO_S_FEATURES_OK) || vd->gfselect >= 2)
		return;
	vd->drv_features &= ~(0xffffffffull << sh);
	vd->drv_features |= (uint64_t)v << sh;
}

/* Rings aligned as the split ring demands (virtio 1.2, 2.7). */
static void queue_enable(struct virtio_dev *vd, struct virtq *q)
{
	if (q->enabled || !(vd->status & VIRTIO_S_FEATURES_OK))
		return;
	if (q->desc % 16 || q->avail % 2 || q->used % 4) {
		virtio_broken(vd, "misaligned ring");
		return;
	}
	q->indirect = virtio_has(vd, VIRTIO_F_INDIRECT_DESC);
	q->last_avail = q->used_idx = 0;
	q->enabled = true;
}

static void queue_set(struct virtio_dev *vd, unsigned reg, uint64_t off,
		      unsigned size, uint64_t v)
{
	struct virtq *q = selected(vd);

	if (!q)
		return;
	if (reg == VIRTIO_C_Q_MSIX) {
		q->msix = vector(vd, v);
		return;
	}
	if (q->enabled)
		return;
	if (reg == VIRTIO_C_Q_SIZE && pow2((uint32_t)v) && v <= q->max)
		q->size = (uint16_t)v;
	else if (reg == VIRTIO_C_Q_ENABLE && v == 1)
		queue_enable(vd, q);
	else if (reg >= VIRTIO_C_Q_DESC) {
		uint64_t *a = queue_addr(q, reg);
		if (size == 8)
			*a = v;
		else if (off > reg)
			*a = (*a & 0xffffffffull) | v << 32;
		else
			*a = (*a & ~0xffffffffull) | v;
	}
}

static void common_write(struct virtio_dev *vd, uint64_t off, unsigned size,
			 uint64_t v)
{
	unsigned reg;

	if (!reg_of(off, size, &reg))
		return;
	switch (reg) {
	case VIRTIO_C_DFSELECT: vd->dfselect = (uint32_t)v; break;
	case VIRTIO_C_GFSELECT: vd->gfselect = (uint32_t)v; break;
	case VIRTIO_C_GF: driver_features(vd, (uint32_t)v); break;
	case VIRTIO_C_MSIX_CONFIG: vd->msix_config = vector(vd, v); break;
	case VIRTIO_C_STATUS: status_write(vd, (uint8_t)v); break;
	case VIRTIO_C_Q_SELECT: vd->queue_select = (uint16_t)v; break;
	case VIRTIO_C_DF: case VIRTIO_C_NUM_QUEUES: case VIRTIO_C_CFG_GEN:
	case VIRTIO_C_Q_NOFF: break; /* read-only */
	default: queue_set(vd, reg, off, size, v); break;
	}
}

/* --- BAR0 --- */

static uint64_t devcfg_read(struct virtio_dev *vd, uint64_t off,
			    unsigned size)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;

	if (off >= vd->type->cfg_len || size > vd->type->cfg_len - off)
		return 0;
	vd->type->cfg_read(vd, (uint32_t)off, b, size);
	memcpy(&v, b, size); /* little-endian, as the guest */
	return v;
}

static uint64_t bar0_read(struct dev_ins *ins, void *opaque, uint64_t off,
			  unsigned size)
{
	struct virtio_dev *vd = opaque;

	if (off < VIRTIO_COMMON_OFF + VIRTIO_COMMON_LEN)
		return common_read(vd, off - VIRTIO_COMMON_OFF, size);
	if (off == VIRTIO_ISR_OFF) {
		uint8_t isr = vd->isr; /* reading acknowledges it */
		vd->isr = 0;
		return isr;
	}
	if (off >= VIRTIO_DEVCFG_OFF && off < VIRTIO_DEVCFG_OFF + VIRTIO_DEVCFG_MAX)
		return devcfg_read(vd, off - VIRTIO_DEVCFG_OFF, size);
	return 0;
}

/* The notify area's other writes (not the 2-byte doorbell KVM catches)
 * ring by exit. */
static void bar0_write(struct dev_ins *ins, void *opaque, uint64_t off,
		       unsigned size, uint64_t val)
{
	struct virtio_dev *vd = opaque;

	if (off < VIRTIO_COMMON_OFF + VIRTIO_COMMON_LEN)
		common_write(vd, off - VIRTIO_COMMON_OFF, size, val);
	else if (off >= VIRTIO_NOTIFY_OFF &&
		 off < VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_LEN)
		serve_queues(vd);
}

static const struct dev_io_ops virtio_bar0_ops = {
	.read = bar0_read,
	.write = bar0_write,
};

/* A virtio vendor capability (virtio 1.2, 4.1.4): data[0..1] are wisp's. */
static void add_cap(struct dev_pci_func *f, uint8_t type, uint32_t off,
		    uint32_t len)
{
	struct dev_pci_cap *c = &f->caps[f->n_caps++];
	uint32_t zero = 0;

	c->len = type == VIRTIO_CAP_NOTIFY ? VIRTIO_NOTIFY_CAP_LEN
					   : VIRTIO_CAP_LEN;
	c->data[2] = c->len;
	c->data[3] = type;
	c->data[4] = 0; /* BAR0 */
	memcpy(&c->data[8], &off, 4);
	memcpy(&c->data[12], &len, 4);
	if (type == VIRTIO_CAP_NOTIFY) /* notify_off_multiplier: one address */
		memcpy(&c->data[16], &zero, 4);
}

static void describe(struct dev_pci_func *f, struct virtio_dev *vd)
{
	const struct virtio_type *t = vd->type;

	*f = (struct dev_pci_func){
		.vendor = VIRTIO_PCI_VENDOR,
		.device = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + t->id),
		.subsys_vendor = VIRTIO_PCI_VENDOR, .subsys = t->id,
		.revision = 1, .class_code = t->class_code,
		.bar[0] = { .size = VIRTIO_BAR0_SIZE, .ops = &virtio_bar0_ops,
			    .opaque = vd, .bell_off = VIRTIO_NOTIFY_OFF,
			    .bell_len = VIRTIO_BELL_LEN, .bell_fn = virtio_bell,
			    .bell_opaque = vd },
		.msix_vectors = t->n_queues + 1, .msix_bar = VIRTIO_MSIX_BAR,
	};
	add_cap(f, VIRTIO_CAP_COMMON, VIRTIO_COMMON_OFF, VIRTIO_COMMON_LEN);
	add_cap(f, VIRTIO_CAP_NOTIFY, VIRTIO_NOTIFY_OFF, VIRTIO_NOTIFY_LEN);
	add_cap(f, VIRTIO_CAP_ISR, VIRTIO_ISR_OFF, 1);
	if (t->cfg_len)
		add_cap(f, VIRTIO_CAP_DEVICE, VIRTIO_DEVCFG_OFF, t->cfg_len);
}

int virtio_pci_init(struct virtio_dev *vd, struct dev_ins *ins,
		    const struct virtio_type *t, uint64_t features)
{
	struct dev_pci_func f;
	int rc;

	if (t->n_queues > VIRTIO_QUEUES_MAX || !pow2(t->queue_max) ||
	    t->queue_max > VIRTQ_MAX || t->cfg_len > VIRTIO_DEVCFG_MAX ||
	    !t->notify || (t->cfg_len && !t->cfg_read))
		return -EINVAL;
	vd->ins = ins;
	vd->type = t;
	vd->features = features | 1ull << VIRTIO_F_VERSION_1 |
		       1ull << VIRTIO_F_INDIRECT_DESC;
	describe(&f, vd);
	rc = ins->hlp->pci_register(ins, &f);
	if (rc < 0)
		return rc;
	virtio_reset(vd);
	return 0;
}
