/*
 * passthru/vfio_dma.c - guest RAM mapped for the device at IOVA = GPA.
 * Only RAM is ever mapped (mem/'s listeners hear RAM alone, and the kind
 * is checked again here): ROM, MMIO and other devices' MMIO2 stay out of
 * the device's reach, so a DMA aimed there faults in the IOMMU. Mapping
 * pins the pages, which counts against RLIMIT_MEMLOCK: the limit is
 * checked first so a short one gets one line with the size needed rather
 * than VFIO's bare ENOMEM.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <string.h>

#include "vfio.h"

#define PAGE 4096ull

void vfio_dma_init(struct vfio_dma *d, const struct vfio_sys *sys,
		   int container, uint64_t memlock)
{
	memset(d, 0, sizeof(*d));
	d->sys = sys;
	d->container = container;
	d->memlock = memlock;
}

static bool overlaps(const struct vfio_dma *d, uint64_t iova, uint64_t size)
{
	for (unsigned i = 0; i < d->n; i++)
		if (iova < d->ent[i].iova + d->ent[i].size &&
		    d->ent[i].iova < iova + size)
			return true;
	return false;
}

static int check_map(struct vfio_dma *d, uint64_t iova, uint64_t size)
{
	if (!size || (iova | size) % PAGE || iova + size < iova)
		return -EINVAL;
	if (overlaps(d, iova, size))
		return -EEXIST;
	if (d->n == VFIO_DMA_MAX)
		return -ENOSPC;
	if (d->locked + size > d->memlock) {
		snprintf(d->msg, sizeof(d->msg),
			 "--vfio: locked memory limit %" PRIu64 " KiB is too "
			 "small: guest RAM for DMA needs %" PRIu64 " KiB "
			 "(ulimit -l %" PRIu64 ")",
			 d->memlock >> 10, (d->locked + size) >> 10,
			 (d->locked + size) >> 10);
		return -ENOMEM;
	}
	return 0;
}

int vfio_dma_map(struct vfio_dma *d, uint64_t iova, uint64_t size,
		 void *host)
{
	int rc = check_map(d, iova, size);
	if (rc)
		return rc;
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)host,
		.iova = iova,
		.size = size,
	};
	rc = d->sys->ioctl(d->sys->ctx, d->container, VFIO_IOMMU_MAP_DMA, &m);
	if (rc < 0)
		return rc;
	d->ent[d->n++] = (struct vfio_dma_ent){iova, size, host};
	d->locked += size;
	return 0;
}

int vfio_dma_unmap(struct vfio_dma *d, uint64_t iova, uint64_t size)
{
	for (unsigned i = 0; i < d->n; i++) {
		if (d->ent[i].iova != iova || d->ent[i].size != size)
			continue;
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u), .iova = iova, .size = size,
		};
		int rc = d->sys->ioctl(d->sys->ctx, d->container,
				       VFIO_IOMMU_UNMAP_DMA, &u);
		/* Forget the entry either way: a failed unmap leaves nothing
		 * wisp could retry, and the container's close unmaps all. */
		d->ent[i] = d->ent[--d->n];
		d->locked -= size;
		return rc < 0 ? rc : 0;
	}
	return -ENOENT;
}

void vfio_dma_listener(void *opaque, const struct gmap_range *r,
		       bool mapped)
{
	struct vfio_dma *d = opaque;

	if (r->kind != GMAP_RAM)
		return;
	int rc = mapped ? vfio_dma_map(d, r->gpa, r->size, r->host)
			: vfio_dma_unmap(d, r->gpa, r->size);
	if (rc && !d->err) {
		d->err = rc;
		if (rc != -ENOMEM)
			snprintf(d->msg, sizeof(d->msg),
				 "--vfio: DMA %s of RAM [0x%" PRIx64 ", 0x%" PRIx64
				 "): %s", mapped ? "map" : "unmap", r->gpa,
				 r->gpa + r->size, strerror(-rc));
	}
}

void vfio_dma_clear(struct vfio_dma *d)
{
	while (d->n)
		vfio_dma_unmap(d, d->ent[0].iova, d->ent[0].size);
}
