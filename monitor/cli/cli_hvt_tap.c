/*
 * monitor/cli/cli_hvt_tap.c - the host side of hvt network devices: taps opened
 * by the CLI before anything starts and before privileges are dropped (see
 * monitor/hvt.h), and MAC addresses. Linked only into monitors with the
 * network back end.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot/hvt.h"

#define FAIL(...) hvt_err(err, errlen, __VA_ARGS__)

/* The MTU of a named interface, through a throwaway socket. */
static int iface_mtu(const char *name, uint16_t *mtu, char *err,
		     size_t errlen)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	int rc = s < 0 ? -1 : ioctl(s, SIOCGIFMTU, &ifr);
	int e = errno;
	if (s >= 0)
		close(s);
	if (rc < 0 || ifr.ifr_mtu <= 0 || ifr.ifr_mtu > 65535)
		return FAIL("cannot read the MTU of '%s': %s", name, strerror(e));
	*mtu = (uint16_t)ifr.ifr_mtu;
	return 0;
}

static int tap_named(const char *name, int *fd, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };

	*fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return FAIL("cannot open /dev/net/tun: %s", strerror(errno));
	strcpy(ifr.ifr_name, name);
	if (ioctl(*fd, TUNSETIFF, &ifr) < 0)
		return FAIL("cannot attach to tap '%s': %s", name, strerror(errno));
	if (strcmp(ifr.ifr_name, name))
		return FAIL("tap '%s' came back as '%s'", name, ifr.ifr_name);
	return 0;
}

/* @FD: an fd the orchestrator opened; it must be a tap without packet
 * info headers, and its interface name gives the MTU. */
static int tap_fd(const char *num, int *fd, char *name, char *err,
		  size_t errlen)
{
	struct ifreq ifr = { 0 };
	char *end;
	long v = strtol(num, &end, 10);

	if (!*num || *end || v < 0 || v > 65535)
		return FAIL("'@%s' is not an fd number", num);
	*fd = (int)v;
	if (ioctl(*fd, TUNGETIFF, &ifr) < 0)
		return FAIL("fd %d is not a tap device: %s", *fd, strerror(errno));
	if ((ifr.ifr_flags & (IFF_TAP | IFF_NO_PI)) != (IFF_TAP | IFF_NO_PI))
		return FAIL("fd %d is not a tap opened with IFF_TAP|IFF_NO_PI", *fd);
	int fl = fcntl(*fd, F_GETFL);
	if (fl < 0 || fcntl(*fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(*fd, F_SETFD, FD_CLOEXEC) < 0)
		return FAIL("fd %d: %s", *fd, strerror(errno));
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	return 0;
}

int hvt_tap_open(const char *spec, int *fd, uint16_t *mtu, char *err,
		 size_t errlen)
{
	char name[IFNAMSIZ + 1] = { 0 };

	if (spec[0] == '@') {
		if (tap_fd(spec + 1, fd, name, err, errlen) < 0)
			return -1;
		return iface_mtu(name, mtu, err, errlen);
	}
	/* The interface must exist (as for solo5-hvt): TUNSETIFF would
	 * otherwise create a new one nobody configured. */
	if (strlen(spec) >= IFNAMSIZ)
		return FAIL("interface name '%s' is too long", spec);
	if (iface_mtu(spec, mtu, err, errlen) < 0)
		return FAIL("no usable network interface '%s'", spec);
	return tap_named(spec, fd, err, errlen);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int hvt_mac_parse(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++, s += 3) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void hvt_mac_random(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6)
		memset(mac, 0x5a, 6); /* no entropy this early: still unique-ish */
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
}
