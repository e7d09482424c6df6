/*
 * Unit tests: passthru/ against a fake VFIO (struct vfio_sys) and a
 * sysfs tree in a temporary folder: --vfio's address, the host checks
 * with their one-line messages, the container/group/device setup, the
 * virtualised config space (BAR sizing, the command register forwarded,
 * capabilities hidden and relinked, MSI/MSI-X in wisp's copy, forbidden
 * writes dropped and counted, a hostile capability list), and the DMA
 * map bookkeeping (IOVA = GPA, overlaps, RLIMIT_MEMLOCK, mem/'s
 * listener).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mem.h"
#include "vfio.h"
#include "vfio_pci.h"

#define FD_CONT 100
#define FD_GROUP 101
#define FD_DEV 102
#define FD_VMFD 103 /* the VM's fd, as the fake KVM sees it */
#define FD_KVMDEV 104
#define CFG_OFF 0x70000000000ull /* where the fake puts config space */

/* --- the fake VFIO: one container, group 7, one device --- */
struct fake {
	uint8_t cfg[256];
	uint64_t bar_size[6];
	bool viable, in_container;
	int set_iommu_rc;
	unsigned open_fds, resets, maps, unmaps, irqs_off;
	uint16_t last_cmd;
	uint64_t mapped_bytes;
	/* the VM side: KVM's VFIO device, irqfds, VFIO's MSI */
	int group_added;          /* the group fd KVM was told about */
	uint32_t irqfds;          /* bit v: GSI 24 + v has an irqfd */
	int msi_count;            /* vectors VFIO has eventfds for, -1: never */
	int msix_count;
	bool intx_on, intx_unmask; /* INTx trigger and unmask eventfds set */
	unsigned intx_irqfd;      /* GSI of INTx's resampling irqfd, 0: none */
	unsigned set_irqs;
	uint64_t bar_off;         /* last trapped access's region offset */
	unsigned bar_size_seen;
	uint64_t bar_val;
};

static int f_open(void *ctx, const char *path, int flags)
{
	struct fake *f = ctx;
	const char *base = strrchr(path, '/');

	if (!base)
		return -ENOENT;
	f->open_fds++;
	if (!strcmp(base, "/vfio"))
		return FD_CONT;
	if (!strcmp(base, "/7"))
		return FD_GROUP;
	f->open_fds--;
	return -ENOENT;
}

static int f_close(void *ctx, int fd)
{
	((struct fake *)ctx)->open_fds--;
	return 0;
}

static int f_region(struct fake *f, struct vfio_region_info *ri)
{
	if (ri->index == VFIO_PCI_CONFIG_REGION_INDEX) {
		ri->size = 256;
		ri->offset = CFG_OFF;
		ri->flags = VFIO_REGION_INFO_FLAG_READ |
			    VFIO_REGION_INFO_FLAG_WRITE;
		return 0;
	}
	if (ri->index >= 6)
		return -EINVAL;
	ri->size = f->bar_size[ri->index];
	ri->offset = (uint64_t)ri->index << 40;
	ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		    (ri->index == 2 ? 0 : VFIO_REGION_INFO_FLAG_MMAP);
	return 0;
}

static int f_dev_ioctl(struct fake *f, unsigned long req, void *arg)
{
	struct vfio_device_info *di = arg;

	switch (req) {
	case VFIO_DEVICE_GET_INFO:
		di->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
		di->num_regions = VFIO_PCI_NUM_REGIONS;
		di->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	case VFIO_DEVICE_GET_REGION_INFO:
		return f_region(f, arg);
	case VFIO_DEVICE_RESET:
		f->resets++;
		return 0;
	case VFIO_DEVICE_SET_IRQS: {
		struct vfio_irq_set *s = arg;
		f->irqs_off += !s->count && (s->flags & VFIO_IRQ_SET_DATA_NONE);
		f->set_irqs++;
		/* VFIO: one interrupt type at a time */
		bool msi = f->msi_count > 0, msix = f->msix_count > 0;
		if (s->index == VFIO_PCI_MSI_IRQ_INDEX) {
			if (s->count && (f->intx_on || msix))
				return -EINVAL;
			f->msi_count = (int)s->count;
		}
		if (s->index == VFIO_PCI_MSIX_IRQ_INDEX) {
			if (s->count && (f->intx_on || msi))
				return -EINVAL;
			f->msix_count = (int)s->count;
		}
		if (s->index == VFIO_PCI_INTX_IRQ_INDEX &&
		    (s->flags & VFIO_IRQ_SET_ACTION_TRIGGER)) {
			if (s->count && (msi || msix))
				return -EINVAL;
			f->intx_on = s->count;
		}
		if (s->index == VFIO_PCI_INTX_IRQ_INDEX &&
		    (s->flags & VFIO_IRQ_SET_ACTION_UNMASK))
			f->intx_unmask = s->count && (s->flags &
						     VFIO_IRQ_SET_DATA_EVENTFD);
		return 0;
	}
	}
	return -ENOTTY;
}

static int f_dma(struct fake *f, unsigned long req, void *arg)
{
	if (req == VFIO_IOMMU_MAP_DMA) {
		f->maps++;
		f->mapped_bytes += ((struct vfio_iommu_type1_dma_map *)arg)->size;
	} else {
		f->unmaps++;
		f->mapped_bytes -= ((struct vfio_iommu_type1_dma_unmap *)arg)->size;
	}
	return 0;
}

static int f_kvm_ioctl(struct fake *f, unsigned long req, void *arg)
{
	switch (req) {
	case KVM_CREATE_DEVICE:
		if (((struct kvm_create_device *)arg)->type != KVM_DEV_TYPE_VFIO)
			return -EINVAL;
		((struct kvm_create_device *)arg)->fd = FD_KVMDEV;
		f->open_fds++;
		return 0;
	case KVM_IRQFD: {
		struct kvm_irqfd *q = arg;
		if (q->gsi >= 16 && q->gsi < 24) { /* INTx: resampling only */
			bool off = q->flags & KVM_IRQFD_FLAG_DEASSIGN;
			if (!off && !(q->flags & KVM_IRQFD_FLAG_RESAMPLE))
				return -EINVAL;
			f->intx_irqfd = off ? 0 : q->gsi;
			return 0;
		}
		if (q->gsi < 24 || q->gsi >= 56)
			return -EINVAL;
		uint32_t bit = 1u << (q->gsi - 24);
		if (q->flags & KVM_IRQFD_FLAG_DEASSIGN)
			f->irqfds &= ~bit;
		else
			f->irqfds |= bit;
		return 0;
	}
	}
	return -ENOTTY;
}

static int f_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fake *f = ctx;

	if (fd == FD_DEV)
		return f_dev_ioctl(f, req, arg);
	if (fd == FD_VMFD)
		return f_kvm_ioctl(f, req, arg);
	if (fd == FD_KVMDEV && req == KVM_SET_DEVICE_ATTR) {
		struct kvm_device_attr *a = arg;
		if (a->group != KVM_DEV_VFIO_GROUP ||
		    a->attr != KVM_DEV_VFIO_GROUP_ADD)
			return -EINVAL;
		f->group_added = *(int32_t *)(uintptr_t)a->addr;
		return 0;
	}
	switch (req) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return (uintptr_t)arg == VFIO_TYPE1v2_IOMMU;
	case VFIO_GROUP_GET_STATUS:
		((struct vfio_group_status *)arg)->flags =
			f->viable ? VFIO_GROUP_FLAGS_VIABLE : 0;
		return 0;
	case VFIO_GROUP_SET_CONTAINER:
		f->in_container = *(int *)arg == FD_CONT;
		return f->in_container ? 0 : -EINVAL;
	case VFIO_SET_IOMMU:
		return f->in_container ? f->set_iommu_rc : -EINVAL;
	case VFIO_GROUP_GET_DEVICE_FD:
		if (strcmp(arg, "0000:01:00.0"))
			return -ENODEV;
		f->open_fds++;
		return FD_DEV;
	case VFIO_IOMMU_MAP_DMA:
	case VFIO_IOMMU_UNMAP_DMA:
		return f_dma(f, req, arg);
	}
	return -ENOTTY;
}

/* A BAR access (region n at n << 40): recorded. */
static bool f_bar(struct fake *f, uint64_t off, size_t n)
{
	if (off >= CFG_OFF)
		return false;
	f->bar_off = off;
	f->bar_size_seen = (unsigned)n;
	return true;
}

static ssize_t f_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off)
{
	struct fake *f = ctx;

	if (fd == FD_DEV && f_bar(f, off, n)) {
		memcpy(buf, &f->bar_val, n);
		return (ssize_t)n;
	}
	if (fd != FD_DEV || off < CFG_OFF || off - CFG_OFF + n > 256)
		return -EINVAL;
	memcpy(buf, f->cfg + (off - CFG_OFF), n);
	return (ssize_t)n;
}

static ssize_t f_pwrite(void *ctx, int fd, const void *buf, size_t n,
			uint64_t off)
{
	struct fake *f = ctx;

	if (fd == FD_DEV && f_bar(f, off, n)) {
		memcpy(&f->bar_val, buf, n);
		return (ssize_t)n;
	}
	if (fd != FD_DEV || off != CFG_OFF + 4 || n != 2)
		return -EINVAL;
	memcpy(&f->last_cmd, buf, 2);
	return 2;
}

static struct fake fk;
static struct vfio_sys fsys = {f_open, f_close, f_ioctl, f_pread, f_pwrite,
			       &fk};

static void put16(uint8_t *c, unsigned off, uint16_t v)
{
	c[off] = v;
	c[off + 1] = v >> 8;
}

static void put32(uint8_t *c, unsigned off, uint32_t v)
{
	put16(c, off, v);
	put16(c, off + 2, v >> 16);
}

/* edu-like: 1234:11e8, BAR0 1 MiB, BAR2 64-bit prefetchable 16 MiB; caps
 * PM (hidden) -> MSI 64-bit maskable -> MSI-X -> vendor (hidden). */
static void fake_reset(void)
{
	memset(&fk, 0, sizeof(fk));
	fk.viable = true;
	fk.msi_count = -1;
	put16(fk.cfg, 0, 0x1234);
	put16(fk.cfg, 2, 0x11e8);
	put16(fk.cfg, 4, 0x0006);
	put16(fk.cfg, 6, 0x0010);
	put32(fk.cfg, 8, 0x00ff0010);
	put32(fk.cfg, 0x10, 0xfea00000);
	put32(fk.cfg, 0x18, 0x0000000c);
	put32(fk.cfg, 0x1c, 0x00000080);
	fk.cfg[0x34] = 0x40;
	fk.cfg[0x3d] = 1;
	fk.cfg[0x40] = 0x01, fk.cfg[0x41] = 0x50;            /* PM */
	fk.cfg[0x50] = 0x05, fk.cfg[0x51] = 0x70;            /* MSI */
	put16(fk.cfg, 0x52, 0x0180 | 0x0e);                  /* 64-bit, mask, 128 vectors */
	fk.cfg[0x70] = 0x11, fk.cfg[0x71] = 0x80;            /* MSI-X */
	put16(fk.cfg, 0x72, 0x0007);                         /* 8 vectors */
	put32(fk.cfg, 0x74, 0x00000002), put32(fk.cfg, 0x78, 0x00000802);
	fk.cfg[0x80] = 0x09, fk.cfg[0x81] = 0x00, fk.cfg[0x82] = 0x10;
	fk.bar_size[0] = 1 << 20;
	fk.bar_size[2] = 16 << 20;
}

/* --- a sysfs tree --- */
static char root[64];

static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

/* fn in group g bound to drv ("" for none). */
static void sysfs_fn(const char *fn, int g, const char *drv)
{
	sh("cd %s && mkdir -p bus/pci/devices/%s kernel/iommu_groups/%d/devices "
	   "bus/pci/drivers/%s && ln -sfn ../../../kernel/iommu_groups/%d "
	   "bus/pci/devices/%s/iommu_group && ln -sfn "
	   "../../../../bus/pci/devices/%s kernel/iommu_groups/%d/devices/%s",
	   root, fn, g, *drv ? drv : "none", g, fn, fn, g, fn);
	if (*drv)
		sh("ln -sfn ../../../bus/pci/drivers/%s %s/bus/pci/devices/%s/driver",
		   drv, root, fn);
}

static int setup_tree(void **state)
{
	snprintf(root, sizeof(root), "/tmp/wisp-vfio-XXXXXX");
	assert_non_null(mkdtemp(root));
	sysfs_fn("0000:01:00.0", 7, "vfio-pci");
	fake_reset();
	return 0;
}

static int teardown_tree(void **state)
{
	sh("rm -rf %s", root);
	return 0;
}

static struct vfio_host host(void)
{
	return (struct vfio_host){root, "/dev/vfio", &fsys, 64 << 20};
}

static void test_parse_addr(void **state)
{
	char out[VFIO_ADDR_LEN], err[200];

	assert_int_equal(vfio_parse_addr("0000:01:00.0", out, err, 200), 0);
	assert_string_equal(out, "0000:01:00.0");
	assert_int_equal(vfio_parse_addr("/sys/bus/pci/devices/0000:0A:1f.7",
					 out, err, 200), 0);
	assert_string_equal(out, "0000:0a:1f.7");
	const char *bad[] = {"", "01:00.0", "0000:01:20.0", "0000:01:00.8",
			     "0000:0g:00.0", "0000:01:00.0 ", "0000-01:00.0",
			     "/sys/bus/pci/devices/../../0000:01:00.0",
			     "/sys/devices/0000:01:00.0"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vfio_parse_addr(bad[i], out, err, 200),
				 -EINVAL);
		assert_non_null(strstr(err, "--vfio"));
	}
}

static void test_sysfs_checks(void **state)
{
	char err[300];

	assert_int_equal(vfio_sysfs_group(root, "0000:01:00.0", err, 300), 7);
	assert_int_equal(vfio_sysfs_group(root, "0000:02:00.0", err, 300),
			 -ENOENT);
	assert_non_null(strstr(err, "no such PCI function"));
	sysfs_fn("0000:03:00.0", 9, "e1000e");
	assert_int_equal(vfio_sysfs_group(root, "0000:03:00.0", err, 300),
			 -EINVAL);
	assert_non_null(strstr(err, "bound to e1000e, not vfio-pci"));
	/* a second member of group 7, bound to nvme: not viable */
	sysfs_fn("0000:01:00.1", 7, "nvme");
	assert_int_equal(vfio_sysfs_group(root, "0000:01:00.0", err, 300),
			 -EBUSY);
	assert_non_null(strstr(err, "0000:01:00.1 is bound to nvme"));
	/* unbound, or a bridge's pcieport, is fine */
	sysfs_fn("0000:01:00.1", 7, "");
	sh("rm -f %s/bus/pci/devices/0000:01:00.1/driver", root);
	sysfs_fn("0000:00:1c.0", 7, "pcieport");
	assert_int_equal(vfio_sysfs_group(root, "0000:01:00.0", err, 300), 7);
	/* no IOMMU group */
	sh("rm %s/bus/pci/devices/0000:01:00.0/iommu_group", root);
	assert_int_equal(vfio_sysfs_group(root, "0000:01:00.0", err, 300),
			 -ENODEV);
	assert_non_null(strstr(err, "no IOMMU group"));
	sysfs_fn("0000:01:00.0", 7, "vfio-pci");
}

static void test_open_close(void **state)
{
	struct vfio_host h = host();
	struct vfio_dev d;
	char err[300] = "";

	fake_reset();
	assert_int_equal(vfio_dev_open(&d, &h, "0000:01:00.0", err, 300), 0);
	assert_int_equal(d.group_id, 7);
	assert_int_equal(fk.open_fds, 3);
	assert_int_equal(fk.resets, 1);
	assert_int_equal(fk.last_cmd, 0); /* quiet until the guest asks */
	assert_int_equal(d.reg[0].size, 1 << 20);
	assert_int_equal(vfio_cfg_read(&d.cfg, 0, 4), 0x11e81234);
	assert_true(d.cfg.bar[2].is64);
	vfio_dev_close(&d);
	assert_int_equal(fk.open_fds, 0);
	assert_int_equal(fk.resets, 2);
	assert_int_equal(fk.irqs_off, 3); /* INTx, MSI, MSI-X */
	vfio_dev_close(&d); /* twice is harmless */
}

static void test_open_errors(void **state)
{
	struct vfio_host h = host();
	struct vfio_dev d;
	char err[300];

	fake_reset();
	fk.set_iommu_rc = -EPERM;
	assert_int_equal(vfio_dev_open(&d, &h, "0000:01:00.0", err, 300),
			 -EPERM);
	assert_non_null(strstr(err, "interrupt remapping"));
	assert_int_equal(fk.open_fds, 0);
	fake_reset();
	fk.viable = false;
	assert_int_equal(vfio_dev_open(&d, &h, "0000:01:00.0", err, 300),
			 -EBUSY);
	assert_non_null(strstr(err, "not viable"));
	assert_int_equal(fk.open_fds, 0);
}

static struct vfio_dev *open_fake(void)
{
	static struct vfio_dev d;
	struct vfio_host h = host();
	char err[300];

	fake_reset();
	assert_int_equal(vfio_dev_open(&d, &h, "0000:01:00.0", err, 300), 0);
	return &d;
}

/* The fake as it stands (a test changed its config space). */
static struct vfio_dev *open_fake_reopen(void)
{
	static struct vfio_dev d;
	struct vfio_host h = host();
	char err[300];

	assert_int_equal(vfio_dev_open(&d, &h, "0000:01:00.0", err, 300), 0);
	return &d;
}

/* The same function without its MSI-X capability (MSI -> vendor). */
static struct vfio_dev *open_fake_msi(void)
{
	static struct vfio_dev d;
	struct vfio_host h = host();
	char err[300];

	fake_reset();
	fk.cfg[0x51] = 0x80;
	assert_int_equal(vfio_dev_open(&d, &h, "0000:01:00.0", err, 300), 0);
	return &d;
}

static void test_cfg_bars(void **state)
{
	struct vfio_dev *d = open_fake();
	struct vfio_cfg *c = &d->cfg;

	assert_int_equal(vfio_cfg_read(c, 0x10, 4), 0); /* no host address */
	assert_int_equal(vfio_cfg_write(c, 0x10, 4, 0xffffffff),
			 VFIO_CFG_EV_BAR0);
	assert_int_equal(vfio_cfg_read(c, 0x10, 4), 0xfff00000);
	vfio_cfg_write(c, 0x18, 4, 0xffffffff);
	assert_int_equal(vfio_cfg_read(c, 0x18, 4), 0xff00000c);
	assert_int_equal(vfio_cfg_write(c, 0x1c, 4, 0xffffffff),
			 VFIO_CFG_EV_BAR0 << 2); /* the upper half moves BAR2 */
	assert_int_equal(vfio_cfg_read(c, 0x1c, 4), 0xffffffff);
	vfio_cfg_write(c, 0x18, 4, 0xc1000000);
	vfio_cfg_write(c, 0x1c, 4, 0x1);
	assert_int_equal(vfio_cfg_bar_addr(c, 2), 0x1c1000000ull);
	vfio_cfg_write(c, 0x10, 4, 0xc0012345);
	assert_int_equal(vfio_cfg_bar_addr(c, 0), 0xc0000000);
	/* unused BARs and the ROM stay 0; sizing them is not forbidden */
	vfio_cfg_write(c, 0x14, 4, 0xffffffff);
	vfio_cfg_write(c, 0x30, 4, 0xfffff800);
	assert_int_equal(vfio_cfg_read(c, 0x14, 4), 0);
	assert_int_equal(vfio_cfg_read(c, 0x30, 4), 0);
	assert_int_equal(c->dropped, 0);
	vfio_dev_close(d);
}

static void test_cfg_header(void **state)
{
	struct vfio_dev *d = open_fake();
	struct vfio_cfg *c = &d->cfg;

	/* IDs are read-only: dropped and counted, once per access */
	vfio_cfg_write(c, 0, 4, 0xdeadbeef);
	assert_int_equal(vfio_cfg_read(c, 0, 4), 0x11e81234);
	assert_int_equal(c->dropped, 1);
	/* the same value again changes nothing: not counted */
	vfio_cfg_write(c, 0, 2, 0x1234);
	assert_int_equal(c->dropped, 1);
	/* command: memory, master, INTx-off kept and forwarded; I/O (no I/O
	 * BAR), SERR and the rest dropped */
	assert_int_equal(vfio_dev_cfg_write(d, 4, 2, 0xffff), VFIO_CFG_EV_CMD);
	assert_int_equal(fk.last_cmd, 0x0406);
	assert_int_equal(c->dropped, 2);
	/* the guest's own value again: no change, nothing counted */
	assert_int_equal(vfio_dev_cfg_write(d, 4, 2, 0x0406), 0);
	assert_int_equal(vfio_cfg_command(c), 0x0406);
	assert_int_equal(c->dropped, 2);
	/* status: RW1C writes ignored, not counted; caps bit set */
	vfio_cfg_write(c, 6, 2, 0xffff);
	assert_int_equal(vfio_cfg_read(c, 6, 2) & 0x10, 0x10);
	assert_int_equal(c->dropped, 2);
	/* interrupt pin 0 (no INTx yet), line writable */
	assert_int_equal(vfio_cfg_read(c, 0x3d, 1), 0);
	vfio_cfg_write(c, 0x3c, 1, 11);
	assert_int_equal(vfio_cfg_read(c, 0x3c, 1), 11);
	/* bad accesses: all ones, nothing written; extended space is 0 */
	assert_int_equal(vfio_cfg_read(c, 1, 2), 0xffffffff);
	assert_int_equal(vfio_cfg_read(c, 0, 3), 0xffffffff);
	assert_int_equal(vfio_cfg_read(c, 0x100, 4), 0);
	assert_int_equal(vfio_cfg_read(c, 4096, 4), 0xffffffff);
	assert_int_equal(vfio_cfg_write(c, 2, 4, 0), 0);
	vfio_dev_close(d);
}

static void test_cfg_caps(void **state)
{
	struct vfio_dev *d = open_fake();
	struct vfio_cfg *c = &d->cfg;

	/* PM and the vendor cap are unlinked: MSI first, then MSI-X, end */
	assert_int_equal(vfio_cfg_read(c, 0x34, 1), 0x50);
	assert_int_equal(vfio_cfg_read(c, 0x51, 1), 0x70);
	assert_int_equal(vfio_cfg_read(c, 0x71, 1), 0);
	assert_int_equal(vfio_cfg_read(c, 0x40, 4), 0);
	assert_int_equal(vfio_cfg_read(c, 0x80, 4), 0);
	vfio_cfg_write(c, 0x40, 4, 0x3); /* hidden: dropped, counted */
	assert_int_equal(c->dropped, 1);
	/* MSI: enable + vectors, address, data, mask in wisp's copy */
	assert_int_equal(c->msi_off, 0x50);
	assert_int_equal(vfio_cfg_read(c, 0x52, 2), 0x018e);
	assert_int_equal(vfio_cfg_write(c, 0x52, 2, 0x0011), VFIO_CFG_EV_MSI);
	assert_int_equal(vfio_cfg_read(c, 0x52, 2), 0x019f);
	vfio_cfg_write(c, 0x54, 4, 0xfee00003);
	assert_int_equal(vfio_cfg_read(c, 0x54, 4), 0xfee00000);
	vfio_cfg_write(c, 0x58, 4, 0x1);
	vfio_cfg_write(c, 0x5c, 2, 0x4041);
	assert_int_equal(vfio_cfg_read(c, 0x5c, 2), 0x4041);
	vfio_cfg_write(c, 0x60, 4, 0x1); /* mask bits */
	assert_int_equal(vfio_cfg_read(c, 0x60, 4), 1);
	unsigned before = c->dropped;
	vfio_cfg_write(c, 0x64, 4, 0x1); /* pending bits: read-only */
	assert_int_equal(vfio_cfg_read(c, 0x64, 4), 0);
	assert_int_equal(c->dropped, before + 1);
	/* MSI-X: enable and function mask; table size and BIR read-only */
	assert_int_equal(c->msix_off, 0x70);
	assert_int_equal(vfio_cfg_write(c, 0x72, 2, 0xc007), VFIO_CFG_EV_MSIX);
	assert_int_equal(vfio_cfg_read(c, 0x72, 2), 0xc007);
	assert_int_equal(vfio_cfg_read(c, 0x74, 4), 2);
	vfio_cfg_write(c, 0x74, 4, 0x1000);
	assert_int_equal(vfio_cfg_read(c, 0x74, 4), 2);
	vfio_dev_close(d);
}

/* What the VM side reads back: BAR decode wishes, MSI and MSI-X state. */
static void test_cfg_decode(void **state)
{
	struct vfio_dev *d = open_fake();
	struct vfio_cfg *c = &d->cfg;
	struct vfio_msi m;
	struct vfio_msix x;

	vfio_cfg_write(c, 0x10, 4, 0xc0000000);
	assert_int_equal(vfio_cfg_bar_want(c, 0), 0); /* memory space off */
	vfio_cfg_write(c, 4, 2, 0x0002);
	assert_int_equal(vfio_cfg_bar_want(c, 0), 0xc0000000);
	assert_int_equal(vfio_cfg_bar_want(c, 1), 0);
	assert_int_equal(vfio_cfg_bar_want(c, 9), 0);
	/* MSI: 64-bit, maskable, 128 offered; the guest enables 4 */
	assert_int_equal(vfio_cfg_msi(c, &m), 0);
	assert_false(m.on);
	vfio_cfg_write(c, 0x54, 4, 0xfee01000);
	vfio_cfg_write(c, 0x58, 4, 0x2);
	vfio_cfg_write(c, 0x5c, 2, 0x4045);
	vfio_cfg_write(c, 0x60, 4, 0x5);
	vfio_cfg_write(c, 0x52, 2, 0x01af);
	assert_int_equal(vfio_cfg_msi(c, &m), 0);
	assert_true(m.on);
	assert_int_equal(m.nvec, 4);
	assert_int_equal(m.addr, 0x2fee01000ull);
	assert_int_equal(m.data, 0x4045);
	assert_int_equal(m.mask, 5);
	/* MSI-X: 8 vectors, table in BAR2 at 0, PBA in BAR2 at 0x800 */
	assert_int_equal(vfio_cfg_msix(c, &x), 0);
	assert_false(x.on);
	assert_int_equal(x.nvec, 8);
	assert_int_equal(x.table_bar, 2);
	assert_int_equal(x.table_off, 0);
	assert_int_equal(x.pba_bar, 2);
	assert_int_equal(x.pba_off, 0x800);
	vfio_cfg_write(c, 0x72, 2, 0xc007);
	assert_int_equal(vfio_cfg_msix(c, &x), 0);
	assert_true(x.on && x.fmask);
	vfio_dev_close(d);
	/* a guest asking more vectors than offered gets what is offered */
	uint8_t real[256] = {0};
	struct vfio_bar bar[VFIO_BARS] = {0};
	struct vfio_cfg h;
	real[6] = 0x10, real[0x34] = 0x40, real[0x40] = 0x05;
	put16(real, 0x42, 0x0002); /* 2 vectors, 32-bit */
	vfio_cfg_init(&h, real, bar);
	vfio_cfg_write(&h, 0x42, 2, 0x0073);
	assert_int_equal(vfio_cfg_msi(&h, &m), 0);
	assert_int_equal(m.nvec, 2);
	assert_int_equal(vfio_cfg_msix(&h, &x), -ENOENT);
}

/* A device's capability list is hostile input too. */
static void test_cfg_hostile_caps(void **state)
{
	uint8_t real[256] = {0};
	struct vfio_bar bar[VFIO_BARS] = {0};
	struct vfio_cfg c;

	real[6] = 0x10;
	real[0x34] = 0x40;
	real[0x40] = 0x05, real[0x41] = 0x40; /* MSI pointing at itself */
	vfio_cfg_init(&c, real, bar);
	assert_int_equal(vfio_cfg_read(&c, 0x34, 1), 0x40);
	assert_int_equal(vfio_cfg_read(&c, 0x41, 1), 0);
	/* MSI at 0xf8 would run past 256: dropped, no caps left */
	real[0x34] = 0xf8;
	real[0xf8] = 0x05;
	put16(real, 0xfa, 0x0180);
	vfio_cfg_init(&c, real, bar);
	assert_int_equal(vfio_cfg_read(&c, 0x34, 1), 0);
	assert_int_equal(vfio_cfg_read(&c, 6, 2) & 0x10, 0);
	/* overlapping caps: a PCIe cap at 0x78 over the MSI-X cap at 0x80
	 * would copy 0x80's real link (to the hidden PM cap at 0x90) over
	 * wisp's: the later one is dropped, PM stays hidden */
	memset(real, 0, sizeof(real));
	real[6] = 0x10;
	real[0x34] = 0x80;
	real[0x80] = 0x11, real[0x81] = 0x90; /* MSI-X */
	real[0x90] = 0x01, real[0x91] = 0x40; /* PM: hidden */
	real[0x40] = 0x11, real[0x41] = 0x78; /* MSI-X */
	real[0x78] = 0x10, real[0x79] = 0x00; /* PCIe over 0x80 */
	vfio_cfg_init(&c, real, bar);
	assert_int_equal(vfio_cfg_read(&c, 0x34, 1), 0x80);
	assert_int_equal(vfio_cfg_read(&c, 0x81, 1), 0x40);
	assert_int_equal(vfio_cfg_read(&c, 0x41, 1), 0);
	assert_int_equal(vfio_cfg_read(&c, 0x90, 4), 0);
	/* pointers below the header end the walk; random lists terminate */
	real[0x34] = 0x20;
	vfio_cfg_init(&c, real, bar);
	assert_int_equal(vfio_cfg_read(&c, 0x34, 1), 0);
	srand(14);
	for (int i = 0; i < 2000; i++) {
		for (unsigned j = 0; j < 256; j++)
			real[j] = rand();
		real[6] |= 0x10;
		vfio_cfg_init(&c, real, bar);
		unsigned n = 0;
		for (unsigned off = c.v[0x34]; off; off = c.v[off + 1], n++)
			assert_true(off >= 0x40 && off < 256 && !(off & 3) &&
				    n < 48);
	}
}

static void test_dma(void **state)
{
	struct vfio_dma d;
	static uint8_t ram[3 * 4096];

	fake_reset();
	vfio_dma_init(&d, &fsys, FD_CONT, 16 * 4096);
	assert_int_equal(vfio_dma_map(&d, 0, 8192, ram), 0);
	assert_int_equal(vfio_dma_map(&d, 0x10000, 4096, ram + 8192), 0);
	assert_int_equal(vfio_dma_map(&d, 4096, 4096, ram), -EEXIST);
	assert_int_equal(vfio_dma_map(&d, 0x20001, 4096, ram), -EINVAL);
	assert_int_equal(vfio_dma_map(&d, 0x20000, 0, ram), -EINVAL);
	assert_int_equal(vfio_dma_map(&d, -4096ull, 8192, ram), -EINVAL);
	assert_int_equal(d.locked, 3 * 4096);
	assert_int_equal(vfio_dma_map(&d, 0x100000, 14 * 4096, ram), -ENOMEM);
	assert_non_null(strstr(d.msg, "needs 68 KiB"));
	assert_int_equal(vfio_dma_unmap(&d, 0, 4096), -ENOENT);
	assert_int_equal(vfio_dma_unmap(&d, 0, 8192), 0);
	assert_int_equal(fk.mapped_bytes, 4096);
	vfio_dma_clear(&d);
	assert_int_equal(fk.mapped_bytes, 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.locked, 0);
	for (unsigned i = 0; i < VFIO_DMA_MAX; i++)
		assert_int_equal(vfio_dma_map(&d, i * 4096ull, 4096, ram), 0);
	assert_int_equal(vfio_dma_map(&d, 0x100000, 4096, ram), -ENOSPC);
	vfio_dma_clear(&d);
}

/* mem/'s listener: RAM mapped at IOVA = GPA, MMIO never. */
static void test_dma_listener(void **state)
{
	struct mem m;
	struct vfio_dma d;

	fake_reset();
	assert_int_equal(mem_init(&m, 4 << 20), 0);
	vfio_dma_init(&d, &fsys, FD_CONT, 64 << 20);
	assert_int_equal(gmap_listen(&m.map, vfio_dma_listener, &d), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.ent[0].iova, 0);
	assert_int_equal(d.ent[0].size, 4 << 20);
	assert_ptr_equal(d.ent[0].host, m.base);
	struct gmap_range mmio = {.gpa = 0xc0000000, .size = 4096,
				  .kind = GMAP_MMIO};
	vfio_dma_listener(&d, &mmio, true);
	assert_int_equal(d.n, 1);
	/* a failure is kept for the caller, with its line */
	struct vfio_dma small;
	vfio_dma_init(&small, &fsys, FD_CONT, 1 << 20);
	assert_int_equal(gmap_listen(&m.map, vfio_dma_listener, &small), 0);
	assert_int_equal(small.err, -ENOMEM);
	assert_non_null(strstr(small.msg, "needs 4096 KiB"));
	vfio_dma_clear(&d);
	mem_destroy(&m);
}

/* pci.c's description check lives in devices/framework.c, which wants a
 * registry: this test has no device models. */
const struct dev_entry dev_registry[1];
const size_t dev_registry_len = 0;

/* On wisp's bus: a slot, BARs placed in the window and shown, config
 * accesses (conf1/ECAM's pci_cfg_*) through the virtualised space. */
static void test_on_bus(void **state)
{
	static struct pci_bus bus;
	static struct vfio_pci p;
	struct vfio_dev *d;
	char err[200];

	pci_bus_init(&bus, NULL, NULL);
	/* an MSI-X table the device claims past its BAR (16 MiB): refused */
	fake_reset();
	put32(fk.cfg, 0x74, 0x00fffff2);
	d = open_fake_reopen();
	assert_int_equal(vfio_pci_attach(&p, &bus, d, ~0u, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "MSI-X table or PBA lies outside"));
	vfio_dev_close(d);
	d = open_fake_msi();
	int slot = vfio_pci_attach(&p, &bus, d, ~0u, err, sizeof(err));
	assert_int_equal(slot, 1);
	assert_int_equal(p.nvec, 32); /* reserved multiple-message value: 32 */
	assert_int_equal(p.fn.gsi0, PCI_MSI_GSI0);
	assert_int_equal(bus.n_vectors, 32);
	assert_int_equal(pci_cfg_read(&bus, 1, 0x3d, 1), 0); /* GSI claimed */
	assert_int_equal(pci_cfg_read(&bus, 1, 0, 4), 0x11e81234);
	assert_int_equal(pci_cfg_read(&bus, 1, 0x10, 4), 0xc0000000);
	assert_int_equal(pci_cfg_read(&bus, 1, 0x18, 4), 0xc100000c);
	assert_int_equal(pci_cfg_read(&bus, 1, 0x1c, 4), 0);
	assert_int_equal(p.pending, 0);
	pci_cfg_write(&bus, 1, 4, 2, 0x0006);
	assert_int_equal(fk.last_cmd, 0x0006);
	assert_int_equal(p.pending, VFIO_CFG_EV_CMD);
	pci_cfg_write(&bus, 1, 0x10, 4, 0xc0200000);
	assert_int_equal(p.pending, VFIO_CFG_EV_CMD | VFIO_CFG_EV_BAR0);
	assert_int_equal(vfio_cfg_bar_addr(&d->cfg, 0), 0xc0200000);
	pci_cfg_write(&bus, 1, 0, 4, 0);
	assert_int_equal(d->cfg.dropped, 1);
	/* the bus's own checks still come first */
	assert_int_equal(pci_cfg_read(&bus, 1, 2, 4), 0xffffffff);
	assert_int_equal(pci_ecam_read(&bus, (1 << 15) | 0x34, 1), 0x50);
	vfio_dev_close(d);
	/* an I/O BAR is refused with its line */
	d = open_fake_msi();
	d->cfg.bar[4] = (struct vfio_bar){.size = 32, .io = true};
	assert_int_equal(vfio_pci_attach(&p, &bus, d, ~0u, err, sizeof(err)),
			 -ENOTSUP);
	assert_non_null(strstr(err, "BAR4 is an I/O BAR"));
	vfio_dev_close(d);
}

/* --- the VM side (vfio_vm.c) --- */
static struct pci_msi_route seen[PCI_MAX_VECTORS];
static unsigned n_seen, n_lines;
static char last_line[300];

/* The bus's backend: a route push asks the raw function for its routes,
 * as pcibus_push_routes does. */
static int fake_push(void *ctx)
{
	struct pci_bus *b = ctx;

	n_seen = b->fn[1]->cfg->routes(b->fn[1]->cfg_opaque, seen,
				       PCI_MAX_VECTORS);
	return 0;
}

static const struct pci_backend fake_bk = { .routes_push = fake_push };

static void cap_log(void *ctx, const char *line)
{
	snprintf(last_line, sizeof(last_line), "%s", line);
	n_lines++;
}

static bool decoded(struct mem *m, uint64_t gpa, enum gmap_kind kind)
{
	struct gmap_range r;

	return gmap_lookup(&m->map, gpa, 4, &r) && r.kind == kind;
}

/* The fake's device fd is a memfd: BAR0 (region offset 0) mmaps for
 * real; BAR2 (not mmappable in the fake) is trapped. */
static struct vfio_pci *start_vm_of(struct mem *m, struct dev_ins *owner,
				    struct vfio_dev *d)
{
	static struct pci_bus bus;
	static struct vfio_pci p;
	char err[300] = "";
	int mfd = memfd_create("bar0", 0);

	assert_true(mfd >= 0 && ftruncate(mfd, 1 << 20) == 0);
	assert_int_equal(dup2(mfd, FD_DEV), FD_DEV);
	close(mfd);
	pci_bus_init(&bus, &fake_bk, &bus);
	assert_int_equal(vfio_pci_attach(&p, &bus, d, 0, err, 300), 1);
	assert_int_equal(mem_init(m, 4 << 20), 0);
	static int kvm_vfio;
	kvm_vfio = -1;
	struct vfio_vm vm = {FD_VMFD, m, owner, &kvm_vfio, cap_log, NULL};
	assert_int_equal(vfio_vm_start(&p, &vm, err, 300), 0);
	return &p;
}

static struct vfio_pci *start_vm(struct mem *m, struct dev_ins *owner)
{
	return start_vm_of(m, owner, open_fake_msi());
}

static void stop_vm(struct vfio_pci *p, struct mem *m)
{
	vfio_vm_stop(p);
	vfio_vm_done(&fsys, p->vm.kvm_vfio);
	vfio_dev_close(p->dev);
	assert_int_equal(fk.open_fds, 0);
	mem_destroy(m);
	close(FD_DEV);
}

/* Started: KVM told the group, RAM mapped for DMA, BAR0 a memslot where
 * the guest puts it, BAR2 trapped with the access size, a placement over
 * RAM refused with one line, memory space off drops both. */
static void test_vm_bars(void **state)
{
	struct mem m;
	struct dev_ins owner = {0};
	struct vfio_pci *p = start_vm(&m, &owner);
	struct pci_bus *bus = p->bus;
	struct gmap_range r;

	assert_int_equal(fk.group_added, FD_GROUP);
	assert_int_equal(fk.maps, 1);
	assert_int_equal(fk.mapped_bytes, 4 << 20);
	assert_true(p->bar[0].mmio2 >= 0);
	assert_int_equal(p->bar[2].mmio2, -1);
	assert_false(decoded(&m, 0xc0000000, GMAP_MMIO2)); /* memory off */
	pci_cfg_write(bus, 1, 4, 2, 0x0006);
	assert_true(decoded(&m, 0xc0000000, GMAP_MMIO2));
	assert_true(gmap_lookup(&m.map, 0xc1000000, 4, &r) &&
		    r.kind == GMAP_MMIO);
	const struct dev_io_ops *ops = r.ops;
	fk.bar_val = 0x1122334455667788ull;
	assert_int_equal(ops->read(&owner, r.opaque, 0x10, 4), 0x55667788);
	assert_int_equal(fk.bar_off, (2ull << 40) + 0x10);
	assert_int_equal(fk.bar_size_seen, 4);
	ops->write(&owner, r.opaque, 0x20, 2, 0xbeef);
	assert_int_equal(fk.bar_off, (2ull << 40) + 0x20);
	assert_int_equal(fk.bar_size_seen, 2);
	assert_int_equal(fk.bar_val & 0xffff, 0xbeef);
	/* past the region: all ones, not forwarded */
	assert_true(ops->read(&owner, r.opaque, (16 << 20) - 2, 4) == ~0ull);
	assert_int_equal(p->traps, 2);
	/* moved: follows; over RAM: refused, RAM stays RAM */
	pci_cfg_write(bus, 1, 0x10, 4, 0xc8000000);
	assert_false(decoded(&m, 0xc0000000, GMAP_MMIO2));
	assert_true(decoded(&m, 0xc8000000, GMAP_MMIO2));
	n_lines = 0;
	pci_cfg_write(bus, 1, 0x10, 4, 0x00100000);
	assert_int_equal(p->refused, 1);
	assert_int_equal(n_lines, 1);
	assert_non_null(strstr(last_line, "BAR0 at 0x100000 not decoded"));
	assert_non_null(strstr(last_line, "overlaps RAM"));
	assert_true(decoded(&m, 0x100000, GMAP_RAM));
	assert_false(decoded(&m, 0xc8000000, GMAP_MMIO2));
	pci_cfg_write(bus, 1, 0x10, 4, 0xc8000000);
	assert_true(decoded(&m, 0xc8000000, GMAP_MMIO2));
	pci_cfg_write(bus, 1, 4, 2, 0x0004); /* memory space off */
	assert_false(decoded(&m, 0xc8000000, GMAP_MMIO2));
	assert_false(decoded(&m, 0xc1000000, GMAP_MMIO));
	pci_cfg_write(bus, 1, 4, 2, 0x0006);
	stop_vm(p, &m);
	assert_false(decoded(&m, 0xc8000000, GMAP_MMIO2));
	assert_int_equal(fk.unmaps, 1);
}

/* MSI: VFIO gets one eventfd per enabled vector, each an irqfd on the
 * function's GSIs with the guest's message as its route; a masked vector
 * loses its irqfd; a hostile vector count is capped at what the device
 * offers; off and at stop, everything goes. */
static void test_vm_msi(void **state)
{
	struct mem m;
	struct dev_ins owner = {0};
	struct vfio_pci *p = start_vm(&m, &owner);
	struct pci_bus *bus = p->bus;

	assert_int_equal(fk.msi_count, -1); /* nothing until the guest asks */
	/* INTx: pin A on slot 1's GSI (17), a resampling irqfd, on while
	 * MSI is off */
	assert_int_equal(pci_cfg_read(bus, 1, 0x3c, 2), 0x0111);
	assert_int_equal(fk.intx_irqfd, 17);
	assert_true(fk.intx_on && fk.intx_unmask);
	pci_cfg_write(bus, 1, 0x54, 4, 0xfee00000);
	pci_cfg_write(bus, 1, 0x5c, 2, 0x4040);
	pci_cfg_write(bus, 1, 0x52, 2, 0x0021); /* on, 4 vectors */
	assert_int_equal(fk.msi_count, 4);
	assert_false(fk.intx_on);
	assert_int_equal(fk.irqfds, 0xf);
	assert_int_equal(n_seen, 4);
	assert_int_equal(seen[3].gsi, PCI_MSI_GSI0 + 3);
	assert_int_equal(seen[3].addr_lo, 0xfee00000);
	assert_int_equal(seen[3].data, 0x4043);
	pci_cfg_write(bus, 1, 0x60, 4, 0x2); /* mask vector 1 */
	assert_int_equal(fk.irqfds, 0xd);
	pci_cfg_write(bus, 1, 0x60, 4, 0);
	assert_int_equal(fk.irqfds, 0xf);
	pci_cfg_write(bus, 1, 0x52, 2, 0x0071); /* 128 asked, 32 offered */
	assert_int_equal(fk.msi_count, 32);
	assert_int_equal(fk.irqfds, 0xffffffffu);
	assert_int_equal(n_seen, 32);
	pci_cfg_write(bus, 1, 0x52, 2, 0); /* off: INTx back */
	assert_int_equal(fk.msi_count, 0);
	assert_true(fk.intx_on);
	assert_int_equal(fk.irqfds, 0);
	assert_int_equal(n_seen, 0);
	pci_cfg_write(bus, 1, 0x52, 2, 0x0001);
	assert_int_equal(fk.irqfds, 0x1);
	assert_int_equal(p->irq_errors, 0);
	stop_vm(p, &m);
	assert_int_equal(fk.irqfds, 0);
	assert_int_equal(fk.msi_count, 0);
	assert_false(fk.intx_on);
	assert_int_equal(fk.intx_irqfd, 0);
}

/* MSI-X: the table is wisp's (in BAR2, trapped whole), VFIO gets the
 * vectors' eventfds when the guest enables it, an entry's irqfd follows
 * its mask bit and the function mask, its route its address and data; the
 * PBA reads 0 and takes no write; the rest of the BAR is the device's. */
static void test_vm_msix(void **state)
{
	struct mem m;
	struct dev_ins owner = {0};
	struct vfio_dev *d = open_fake();
	struct vfio_pci *p = start_vm_of(&m, &owner, d);
	struct pci_bus *bus = p->bus;
	struct gmap_range r;

	assert_int_equal(p->nvec, 32); /* MSI's 32 > MSI-X's 8 */
	pci_cfg_write(bus, 1, 4, 2, 0x0006);
	assert_true(gmap_lookup(&m.map, 0xc1000000, 4, &r) &&
		    r.kind == GMAP_MMIO);
	const struct dev_io_ops *ops = r.ops;
	assert_int_equal(ops->read(&owner, r.opaque, 12, 4), 1); /* masked */
	ops->write(&owner, r.opaque, 0, 8, 0xfee00000ull);
	ops->write(&owner, r.opaque, 8, 4, 0x4050);
	pci_cfg_write(bus, 1, 0x72, 2, 0x8000); /* MSI-X on */
	assert_int_equal(fk.msix_count, 8);
	assert_false(fk.intx_on);
	assert_int_equal(fk.irqfds, 0); /* every entry still masked */
	assert_int_equal(n_seen, 8);
	ops->write(&owner, r.opaque, 12, 4, 0xfffffffe); /* unmask entry 0 */
	assert_int_equal(ops->read(&owner, r.opaque, 12, 4), 0);
	assert_int_equal(fk.irqfds, 0x1);
	assert_int_equal(seen[0].addr_lo, 0xfee00000);
	assert_int_equal(seen[0].data, 0x4050);
	ops->write(&owner, r.opaque, 8, 4, 0x4051); /* live: rerouted */
	assert_int_equal(seen[0].data, 0x4051);
	assert_true(ops->read(&owner, r.opaque, 0, 8) == 0xfee00000ull);
	pci_cfg_write(bus, 1, 0x72, 2, 0xc000); /* function mask */
	assert_int_equal(fk.irqfds, 0);
	pci_cfg_write(bus, 1, 0x72, 2, 0x8000);
	assert_int_equal(fk.irqfds, 0x1);
	/* the PBA: wisp's, reads 0; past the table and PBA: the device's */
	fk.bar_off = 0;
	assert_int_equal(ops->read(&owner, r.opaque, 0x800, 8), 0);
	ops->write(&owner, r.opaque, 0x800, 8, ~0ull);
	assert_int_equal(fk.bar_off, 0);
	ops->read(&owner, r.opaque, 0x1000, 4);
	assert_int_equal(fk.bar_off, (2ull << 40) + 0x1000);
	/* a misaligned or odd-sized table access does nothing */
	assert_true(ops->read(&owner, r.opaque, 2, 4) == ~0ull);
	ops->write(&owner, r.opaque, 4, 2, 0xffff);
	assert_int_equal(ops->read(&owner, r.opaque, 4, 4), 0);
	pci_cfg_write(bus, 1, 0x72, 2, 0); /* off: INTx back */
	assert_int_equal(fk.msix_count, 0);
	assert_true(fk.intx_on);
	assert_int_equal(fk.irqfds, 0);
	assert_int_equal(p->irq_errors, 0);
	stop_vm(p, &m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_sysfs_checks),
		cmocka_unit_test(test_open_close),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_cfg_bars),
		cmocka_unit_test(test_cfg_header),
		cmocka_unit_test(test_cfg_caps),
		cmocka_unit_test(test_cfg_decode),
		cmocka_unit_test(test_cfg_hostile_caps),
		cmocka_unit_test(test_dma),
		cmocka_unit_test(test_dma_listener),
		cmocka_unit_test(test_on_bus),
		cmocka_unit_test(test_vm_bars),
		cmocka_unit_test(test_vm_msi),
		cmocka_unit_test(test_vm_msix),
	};
	return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
