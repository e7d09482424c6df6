/*
 * passthru/vfio_dev.c - one passed-through function: the container /
 * group / device dance of VFIO's container API (the testbed's 6.1 kernel
 * has no iommufd), its regions, the config-space snapshot the guest's
 * view is built from, and the reset that starts and ends its VM. Each
 * step that the host's preparation can break says which and how to fix
 * it, in one line, before the guest starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <string.h>

#include "vfio.h"

static int fail(char *err, size_t errlen, int rc, const char *addr,
		const char *what)
{
	snprintf(err, errlen, "--vfio %s: %s (%s)", addr, what, strerror(-rc));
	return rc;
}

static int dev_ioctl(struct vfio_dev *d, int fd, unsigned long req, void *a)
{
	return d->sys->ioctl(d->sys->ctx, fd, req, a);
}

/* /dev/vfio/vfio: the API version and TYPE1v2 before anything else. */
static int open_container(struct vfio_dev *d, const struct vfio_host *h,
			  char *err, size_t errlen)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/vfio", h->devdir);
	d->container = d->sys->open(d->sys->ctx, path, O_RDWR);
	if (d->container < 0)
		return fail(err, errlen, d->container, d->addr,
			    "cannot open /dev/vfio/vfio (is vfio loaded?)");
	int rc = dev_ioctl(d, d->container, VFIO_GET_API_VERSION, NULL);
	if (rc != VFIO_API_VERSION)
		return fail(err, errlen, -EPROTO, d->addr,
			    "VFIO API version is not 0");
	rc = dev_ioctl(d, d->container, VFIO_CHECK_EXTENSION,
		       (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (rc <= 0)
		return fail(err, errlen, -ENODEV, d->addr,
			    "no VFIO_TYPE1v2_IOMMU (vfio_iommu_type1 loaded?)");
	return 0;
}

/* /dev/vfio/N: viable in the kernel's eyes, into the container, and the
 * IOMMU set (which needs interrupt remapping on this kernel). */
static int open_group(struct vfio_dev *d, const struct vfio_host *h,
		      char *err, size_t errlen)
{
	char path[256];
	struct vfio_group_status st = {.argsz = sizeof(st)};

	snprintf(path, sizeof(path), "%s/%d", h->devdir, d->group_id);
	d->group = d->sys->open(d->sys->ctx, path, O_RDWR);
	if (d->group < 0)
		return fail(err, errlen, d->group, d->addr,
			    "cannot open its /dev/vfio group");
	int rc = dev_ioctl(d, d->group, VFIO_GROUP_GET_STATUS, &st);
	if (rc < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return fail(err, errlen, rc < 0 ? rc : -EBUSY, d->addr,
			    "IOMMU group is not viable: bind every member "
			    "to vfio-pci");
	rc = dev_ioctl(d, d->group, VFIO_GROUP_SET_CONTAINER, &d->container);
	if (rc < 0)
		return fail(err, errlen, rc, d->addr,
			    "group refused the container (in use by another VM?)");
	rc = dev_ioctl(d, d->container, VFIO_SET_IOMMU,
		       (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (rc < 0)
		return fail(err, errlen, rc, d->addr,
			    "VFIO_SET_IOMMU refused: no usable IOMMU or no "
			    "interrupt remapping (intel_iommu=on, intremap)");
	return 0;
}

static int read_regions(struct vfio_dev *d, char *err, size_t errlen)
{
	struct vfio_device_info info = {.argsz = sizeof(info)};
	int rc = dev_ioctl(d, d->device, VFIO_DEVICE_GET_INFO, &info);

	if (rc < 0)
		return fail(err, errlen, rc, d->addr, "VFIO_DEVICE_GET_INFO");
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    info.num_regions <= VFIO_CONFIG_REGION)
		return fail(err, errlen, -EINVAL, d->addr,
			    "not a PCI function with a config region");
	d->dev_flags = info.flags;
	d->num_irqs = info.num_irqs;
	for (unsigned i = 0; i < VFIO_REGIONS && i < info.num_regions; i++) {
		struct vfio_region_info ri = {.argsz = sizeof(ri), .index = i};
		rc = dev_ioctl(d, d->device, VFIO_DEVICE_GET_REGION_INFO, &ri);
		if (rc < 0)
			continue; /* VGA and other optional regions */
		d->reg[i] = (struct vfio_region){ri.size, ri.offset, ri.flags};
	}
	return 0;
}

/* A BAR as the guest will see it: the size from region info (the real
 * authority), the type bits from the device's BAR register. */
static void bar_of(const struct vfio_dev *d, const uint8_t *cfg, unsigned n,
		   struct vfio_bar *b)
{
	const struct vfio_region *r = &d->reg[n];
	uint32_t v;

	memcpy(&v, cfg + PCI_BASE_ADDRESS_0 + 4 * n, 4);
	memset(b, 0, sizeof(*b));
	if (!r->size || (r->size & (r->size - 1)))
		return; /* absent, or not a power of two: not a BAR */
	b->size = r->size;
	b->io = v & PCI_BASE_ADDRESS_SPACE_IO;
	b->flags = v & (b->io ? 0x1 : 0xf);
	b->is64 = !b->io && (v & PCI_BASE_ADDRESS_MEM_TYPE_64);
	b->mmap = r->flags & VFIO_REGION_INFO_FLAG_MMAP;
}

static int read_config(struct vfio_dev *d, char *err, size_t errlen)
{
	uint8_t cfg[VFIO_CFG_SIZE];
	struct vfio_bar bar[VFIO_BARS];
	const struct vfio_region *r = &d->reg[VFIO_CONFIG_REGION];

	if (r->size < VFIO_CFG_SIZE)
		return fail(err, errlen, -EINVAL, d->addr,
			    "config region shorter than 256 bytes");
	ssize_t n = d->sys->pread(d->sys->ctx, d->device, cfg, sizeof(cfg),
				  r->offset);
	if (n != (ssize_t)sizeof(cfg))
		return fail(err, errlen, n < 0 ? (int)n : -EIO, d->addr,
			    "reading its config space");
	for (unsigned i = 0; i < VFIO_BARS; i++) {
		bool upper = i && bar[i - 1].is64;
		if (upper)
			memset(&bar[i], 0, sizeof(bar[i]));
		else
			bar_of(d, cfg, i, &bar[i]);
	}
	vfio_cfg_init(&d->cfg, cfg, bar);
	return 0;
}

/* Memory space and bus master off in the device itself: no DMA and no
 * BAR decode until the guest turns them on. */
static int quiet(struct vfio_dev *d)
{
	uint16_t cmd = 0;
	const struct vfio_region *r = &d->reg[VFIO_CONFIG_REGION];
	ssize_t n = d->sys->pwrite(d->sys->ctx, d->device, &cmd, 2,
				   r->offset + PCI_COMMAND);
	return n == 2 ? 0 : -EIO;
}

/* Every interrupt index torn down (count 0 disables it): the eventfds
 * wired at run time go, the device's MSI/MSI-X enables with them. */
static void irqs_off(struct vfio_dev *d)
{
	static const unsigned idx[] = {VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_PCI_MSI_IRQ_INDEX,
				       VFIO_PCI_MSIX_IRQ_INDEX};
	for (unsigned i = 0; i < 3 && idx[i] < d->num_irqs; i++) {
		struct vfio_irq_set s = {
			.argsz = sizeof(s), .index = idx[i],
			.flags = VFIO_IRQ_SET_DATA_NONE |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
		};
		dev_ioctl(d, d->device, VFIO_DEVICE_SET_IRQS, &s);
	}
}

static void reset(struct vfio_dev *d)
{
	if (d->dev_flags & VFIO_DEVICE_FLAGS_RESET)
		dev_ioctl(d, d->device, VFIO_DEVICE_RESET, NULL);
}

static int open_device(struct vfio_dev *d, char *err, size_t errlen)
{
	d->device = dev_ioctl(d, d->group, VFIO_GROUP_GET_DEVICE_FD, d->addr);
	if (d->device < 0)
		return fail(err, errlen, d->device, d->addr,
			    "VFIO_GROUP_GET_DEVICE_FD (already in use?)");
	int rc = read_regions(d, err, errlen);
	if (rc)
		return rc;
	reset(d);
	if (quiet(d))
		return fail(err, errlen, -EIO, d->addr,
			    "cannot write its command register");
	return read_config(d, err, errlen);
}

int vfio_dev_open(struct vfio_dev *d, const struct vfio_host *h,
		  const char *addr, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	d->container = d->group = d->device = -1;
	d->sys = h->sys;
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	d->group_id = vfio_sysfs_group(h->sysfs, d->addr, err, errlen);
	int rc = d->group_id < 0 ? d->group_id : 0;
	if (!rc)
		rc = open_container(d, h, err, errlen);
	if (!rc)
		rc = open_group(d, h, err, errlen);
	if (!rc)
		rc = open_device(d, err, errlen);
	if (rc) {
		vfio_dev_close(d);
		return rc;
	}
	vfio_dma_init(&d->dma, d->sys, d->container, h->memlock);
	return 0;
}

void vfio_dev_fds(struct vfio_dev *d, int container, int group, int device)
{
	d->container = d->dma.container = container;
	d->group = group;
	d->device = device;
}

void vfio_dev_close(struct vfio_dev *d)
{
	if (d->device >= 0) {
		quiet(d);
		irqs_off(d);
		reset(d);
	}
	if (d->container >= 0 && d->dma.sys)
		vfio_dma_clear(&d->dma);
	int *fds[] = {&d->device, &d->group, &d->container};
	for (unsigned i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			d->sys->close(d->sys->ctx, *fds[i]);
		*fds[i] = -1;
	}
}

int vfio_dev_cfg_write(struct vfio_dev *d, unsigned reg, unsigned size,
		       uint32_t val)
{
	unsigned ev = vfio_cfg_write(&d->cfg, reg, size, val);

	if (!(ev & VFIO_CFG_EV_CMD))
		return (int)ev;
	uint16_t cmd = vfio_cfg_command(&d->cfg);
	const struct vfio_region *r = &d->reg[VFIO_CONFIG_REGION];
	ssize_t n = d->sys->pwrite(d->sys->ctx, d->device, &cmd, 2,
				   r->offset + PCI_COMMAND);
	return n == 2 ? (int)ev : -EIO;
}
