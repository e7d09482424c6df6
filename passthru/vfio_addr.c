/*
 * passthru/vfio_addr.c - --vfio's argument to a canonical PCI address.
 * Only an address, or the one sysfs folder that names it, is accepted:
 * wisp never follows a user's path into sysfs (a symlink could lead
 * anywhere), it builds its own paths from the checked address.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vfio.h"

#define SYSFS_PCI "/sys/bus/pci/devices/"

/* n hex digits at s; -1 when any is not one. */
static long hex_field(const char *s, unsigned n)
{
	long v = 0;

	for (unsigned i = 0; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static int bad(const char *arg, const char *why, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "--vfio %.64s: %s (want a PCI address like 0000:01:00.0)",
		 arg, why);
	return -EINVAL;
}

int vfio_parse_addr(const char *arg, char out[VFIO_ADDR_LEN], char *err,
		    size_t errlen)
{
	const char *a = arg;

	if (!strncmp(a, SYSFS_PCI, strlen(SYSFS_PCI)))
		a += strlen(SYSFS_PCI);
	if (strlen(a) != VFIO_ADDR_LEN - 1 || a[4] != ':' || a[7] != ':' ||
	    a[10] != '.')
		return bad(arg, "not a PCI address", err, errlen);
	long dom = hex_field(a, 4), bus = hex_field(a + 5, 2);
	long dev = hex_field(a + 8, 2), fn = hex_field(a + 11, 1);
	if (dom < 0 || bus < 0 || dev < 0 || fn < 0)
		return bad(arg, "not hexadecimal", err, errlen);
	if (dev > 0x1f || fn > 7)
		return bad(arg, "device above 1f or function above 7", err,
			   errlen);
	snprintf(out, VFIO_ADDR_LEN, "%04lx:%02lx:%02lx.%lx", dom, bus, dev,
		 fn);
	return 0;
}
