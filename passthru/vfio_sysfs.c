/*
 * passthru/vfio_sysfs.c - what the host must have prepared, read from
 * sysfs before any VFIO call, so each mistake gets one line naming the
 * function and the fix (VFIO itself only says EINVAL or "not viable").
 * The kernel's VFIO_GROUP_GET_STATUS stays the authority (vfio_dev.c);
 * this is for the message.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio.h"

/* The last path element of the symlink at path into out; -errno. */
static int link_name(const char *path, char *out, size_t n)
{
	char buf[512];
	ssize_t len = readlink(path, buf, sizeof(buf) - 1);

	if (len < 0)
		return -errno;
	buf[len] = 0;
	const char *slash = strrchr(buf, '/'), *name = slash ? slash + 1 : buf;
	size_t l = strlen(name);
	if (l >= n)
		return -ENAMETOOLONG; /* never compare a cut name */
	memcpy(out, name, l + 1);
	return 0;
}

/* A group member may be bound to vfio-pci, to nothing, or to a driver the
 * kernel itself lets share a group because it does no DMA of its own
 * (pci-stub; pcieport drives bridges, which the kernel allows). */
static bool driver_ok(const char *drv)
{
	return !strcmp(drv, "vfio-pci") || !strcmp(drv, "pci-stub") ||
	       !strcmp(drv, "pcieport");
}

static int check_bound(const char *sysfs, const char *addr, char *err,
		       size_t errlen)
{
	char path[512], drv[128];

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs, addr);
	if (access(path, F_OK)) {
		snprintf(err, errlen, "--vfio %s: no such PCI function", addr);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", sysfs,
		 addr);
	if (link_name(path, drv, sizeof(drv)))
		snprintf(drv, sizeof(drv), "no driver");
	if (!strcmp(drv, "vfio-pci"))
		return 0;
	snprintf(err, errlen,
		 "--vfio %s: bound to %s, not vfio-pci (write vfio-pci to its "
		 "driver_override, then unbind it and write %s to "
		 "/sys/bus/pci/drivers_probe)",
		 addr, drv, addr);
	return -EINVAL;
}

static int group_of(const char *sysfs, const char *addr, char *err,
		    size_t errlen)
{
	char path[512], name[32], *end;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group",
		 sysfs, addr);
	if (link_name(path, name, sizeof(name))) {
		snprintf(err, errlen,
			 "--vfio %s: in no IOMMU group (is the IOMMU on? "
			 "intel_iommu=on or amd_iommu=on)", addr);
		return -ENODEV;
	}
	long g = strtol(name, &end, 10);
	if (*end || end == name || g < 0 || g > 65535) {
		snprintf(err, errlen, "--vfio %s: IOMMU group '%s' is not a "
			 "number", addr, name);
		return -EINVAL;
	}
	return (int)g;
}

/* Every member of group g bound to an allowed driver or to none. */
static int check_viable(const char *sysfs, const char *addr, int g,
			char *err, size_t errlen)
{
	char path[512], drv[128];
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices",
		 sysfs, g);
	DIR *dir = opendir(path);
	if (!dir) {
		snprintf(err, errlen, "--vfio %s: cannot list IOMMU group %d",
			 addr, g);
		return -ENOENT;
	}
	int rc = 0;
	for (struct dirent *e; !rc && (e = readdir(dir));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path),
			 "%s/kernel/iommu_groups/%d/devices/%.64s/driver",
			 sysfs, g, e->d_name);
		if (link_name(path, drv, sizeof(drv)) || driver_ok(drv))
			continue;
		snprintf(err, errlen,
			 "--vfio %s: IOMMU group %d is not viable: %.64s is "
			 "bound to %s (bind it to vfio-pci or unbind it)",
			 addr, g, e->d_name, drv);
		rc = -EBUSY;
	}
	closedir(dir);
	return rc;
}

int vfio_sysfs_group(const char *sysfs, const char *addr, char *err,
		     size_t errlen)
{
	int rc = check_bound(sysfs, addr, err, errlen);
	if (rc)
		return rc;
	int g = group_of(sysfs, addr, err, errlen);
	if (g < 0)
		return g;
	rc = check_viable(sysfs, addr, g, err, errlen);
	return rc ? rc : g;
}
