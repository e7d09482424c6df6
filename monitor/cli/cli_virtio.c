/*
 * monitor/cli/cli_virtio.c - `--disk`, `--net` and `--rng`: each creates an
 * instance of a virtio device (virtio_blk, virtio_net, virtio_rng) and
 * opens its host file (key 0) while wisp still may: a disk image, a tap,
 * /dev/urandom. Bad input is one line before anything starts. The devices
 * are looked up by name at run time, so this compiles into every profile
 * with wisp's CLI and says so when the profile has no such device. The
 * files are attached to their instances (devhost's dev_attach_file) once
 * the instances exist, before construction; a sandboxed instance is handed
 * its files with its handover.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/exitcode.h"
#include "core/log.h"
#include "devhost/devhost.h"

#define FAIL(code, ...) (snprintf(err, errlen, __VA_ARGS__), (code))

static bool spec_names(const char *spec, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(spec, name, n) && (spec[n] == '\0' || spec[n] == ',');
}

/* The next instance of `dev`: dies when the profile has no such device or
 * the instances are used up; returns its instance number. */
static unsigned cli_virtio_slot(const struct vm_config *cfg, const char *opt,
				const char *dev)
{
	const struct dev_entry *e = dev_lookup(dev);
	unsigned n = 0;

	if (!e)
		die(WISP_EXIT_USAGE, "%s: this profile has no %s device", opt, dev);
	for (unsigned i = 0; i < cfg->n_devs; i++)
		n += spec_names(cfg->dev_specs[i], dev);
	if (n >= e->reg->max_instances)
		die(WISP_EXIT_USAGE, "%s: at most %u %s instances", opt,
		    e->reg->max_instances, dev);
	if (cfg->n_devs >= CLI_MAX_DEVICES || cfg->n_files >= CLI_MAX_FILES)
		die(WISP_EXIT_USAGE, "%s: at most %d devices", opt,
		    cfg->n_files >= CLI_MAX_FILES ? CLI_MAX_FILES
						  : CLI_MAX_DEVICES);
	return n;
}

/* The instance's spec (kept in cfg) and its file, attached later. */
static void cli_virtio_add(struct vm_config *cfg, const char *opt,
			   const char *dev, const char *opts, int fd,
			   unsigned flags)
{
	unsigned idx = cli_virtio_slot(cfg, opt, dev);
	char *spec = cfg->file_specs[cfg->n_files];

	if ((size_t)snprintf(spec, CLI_FILE_SPEC, "%s%s", dev, opts) >=
	    CLI_FILE_SPEC)
		die(WISP_EXIT_INTERNAL, "%s: device spec too long", opt);
	cfg->dev_specs[cfg->n_devs++] = spec;
	cfg->files[cfg->n_files++] =
		(struct cli_file){ .dev = dev, .idx = idx, .fd = fd,
				   .flags = flags };
}

/* ---- --disk PATH[,ro=on|off] --------------------------------------------- */

int cli_disk_split(const char *arg, char *path, size_t pathlen, bool *ro,
		   char *err, size_t errlen)
{
	const char *comma = strchr(arg, ',');
	size_t n = comma ? (size_t)(comma - arg) : strlen(arg);

	*ro = false;
	if (!n)
		return FAIL(WISP_EXIT_USAGE, "--disk %s: no image path", arg);
	if (n >= pathlen)
		return FAIL(WISP_EXIT_USAGE, "--disk: the path is longer than %zu "
			    "characters", pathlen - 1);
	memcpy(path, arg, n);
	path[n] = '\0';
	if (!comma || !strcmp(comma, ",ro=off"))
		return 0;
	if (!strcmp(comma, ",ro=on")) {
		*ro = true;
		return 0;
	}
	return FAIL(WISP_EXIT_USAGE, "--disk %s: unknown option '%s' (ro=on "
		    "or ro=off; a path may not hold a comma)", arg, comma + 1);
}

/* A regular file or a block device, read-write unless ro. */
int cli_disk_open(const char *path, bool ro, int *fd, char *err,
		  size_t errlen)
{
	struct stat st;

	*fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (*fd < 0)
		return FAIL(WISP_EXIT_NOINPUT, "--disk: cannot open '%s'%s: %s",
			    path, ro ? "" : " for writing", strerror(errno));
	if (fstat(*fd, &st) == 0 &&
	    (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		return 0;
	close(*fd);
	*fd = -1;
	return FAIL(WISP_EXIT_NOINPUT, "--disk: '%s' is not a regular file or "
		    "block device", path);
}

void cli_parse_disk(struct vm_config *cfg, const char *arg)
{
	char err[300], path[256];
	bool ro;
	int fd, rc;

	cli_virtio_slot(cfg, "--disk", "virtio_blk"); /* before any open */
	rc = cli_disk_split(arg, path, sizeof(path), &ro, err, sizeof(err));
	if (rc == 0)
		rc = cli_disk_open(path, ro, &fd, err, sizeof(err));
	if (rc)
		die(rc, "%s", err);
	cli_virtio_add(cfg, "--disk", "virtio_blk", ro ? ",ro=1" : "", fd,
		       ro ? DEVFILE_RO : 0);
}

/* ---- --net tap=IFNAME|fd=N[,mac=MAC] ------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A unicast MAC as six hex pairs: a multicast or all-zero one is no
 * NIC's address. */
int cli_mac_check(const char *s)
{
	unsigned first = 0, any = 0;

	for (int i = 0; i < 6; i++, s += 3) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			return -1;
		first = i ? first : (unsigned)(hi << 4 | lo);
		any |= (unsigned)(hi << 4 | lo);
	}
	return (first & 1) || !any ? -1 : 0;
}

/* One key=value of --net into n; each key once. */
static int net_key(struct cli_net *n, const char *kv, size_t len, char *err,
		   size_t errlen)
{
	static const char *const keys[CLI_NET_KEYS] = { "tap", "fd", "mac" };
	const char *eq = memchr(kv, '=', len);

	for (int k = 0; eq && k < CLI_NET_KEYS; k++) {
		if ((size_t)(eq - kv) != strlen(keys[k]) ||
		    strncmp(kv, keys[k], (size_t)(eq - kv)))
			continue;
		if (n->val[k] || eq + 1 == kv + len)
			return FAIL(WISP_EXIT_USAGE, "--net: %s= given %s",
				    keys[k], n->val[k] ? "twice" : "no value");
		n->val[k] = eq + 1;
		n->len[k] = len - (size_t)(eq + 1 - kv);
		return 0;
	}
	return FAIL(WISP_EXIT_USAGE, "--net: unknown option '%.*s' (tap=, fd=, "
		    "mac=)", (int)len, kv);
}

int cli_net_split(const char *arg, struct cli_net *n, char *err, size_t errlen)
{
	*n = (struct cli_net){ 0 };
	for (const char *p = arg;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int rc = net_key(n, p, len, err, errlen);
		if (rc)
			return rc;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (!n->val[CLI_NET_TAP] == !n->val[CLI_NET_FD])
		return FAIL(WISP_EXIT_USAGE, "--net %s: give exactly one of "
			    "tap=IFNAME and fd=N", arg);
	return 0;
}

/* Whether the interface exists, through a throwaway socket. */
static bool iface_exists(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	bool ok = s >= 0 && ioctl(s, SIOCGIFINDEX, &ifr) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

/* An existing tap by name: TUNSETIFF would create a new one otherwise,
 * which nobody configured. Frames carry no packet-info or virtio-net
 * header (no IFF_VNET_HDR): the device adds and strips its own. */
static int tap_named(const char *name, int *fd, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };

	if (strlen(name) >= IFNAMSIZ || !iface_exists(name))
		return FAIL(WISP_EXIT_USAGE, "--net: no network interface '%s'",
			    name);
	*fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return FAIL(WISP_EXIT_OSERR, "--net: cannot open /dev/net/tun: %s",
			    strerror(errno));
	strcpy(ifr.ifr_name, name);
	if (ioctl(*fd, TUNSETIFF, &ifr) == 0 && !strcmp(ifr.ifr_name, name))
		return 0;
	int e = errno;
	close(*fd);
	*fd = -1;
	return FAIL(WISP_EXIT_USAGE, "--net: cannot attach to tap '%s': %s",
		    name, strerror(e));
}

/* fd=N: an fd the orchestrator opened, a tap with the same framing. It
 * moves to a fresh number (N might be one wisp pins its own fds to). */
static int tap_inherited(const char *num, int *fd, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	char *end;
	long v = strtol(num, &end, 10);

	if (!*num || *end || v < 0 || v > 65535)
		return FAIL(WISP_EXIT_USAGE, "--net: fd=%s is not an fd number", num);
	if (v <= STDERR_FILENO) /* closed after the move: never stdio */
		return FAIL(WISP_EXIT_USAGE, "--net: fd=%ld is stdio, not a tap", v);
	if (ioctl((int)v, TUNGETIFF, &ifr) < 0)
		return FAIL(WISP_EXIT_USAGE, "--net: fd %ld is not a tap device: %s",
			    v, strerror(errno));
	if ((ifr.ifr_flags & (IFF_TUN | IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)) !=
	    (IFF_TAP | IFF_NO_PI))
		return FAIL(WISP_EXIT_USAGE, "--net: fd %ld is not a tap opened "
			    "with IFF_TAP|IFF_NO_PI and without IFF_VNET_HDR", v);
	int fl = fcntl((int)v, F_GETFL);
	*fd = fcntl((int)v, F_DUPFD_CLOEXEC, 3);
	if (fl < 0 || *fd < 0 || fcntl(*fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return FAIL(WISP_EXIT_OSERR, "--net: fd %ld: %s", v,
			    strerror(errno));
	close((int)v);
	return 0;
}

/* A value of n as a string, when it fits buf. */
static bool net_val(const struct cli_net *n, int k, char *buf, size_t len)
{
	if (n->len[k] >= len)
		return false;
	memcpy(buf, n->val[k], n->len[k]);
	buf[n->len[k]] = '\0';
	return true;
}

int cli_tap_open(const struct cli_net *n, int *fd, char *err, size_t errlen)
{
	int k = n->val[CLI_NET_TAP] ? CLI_NET_TAP : CLI_NET_FD;
	char val[IFNAMSIZ + 8];

	if (!net_val(n, k, val, sizeof(val)))
		return FAIL(WISP_EXIT_USAGE, "--net: '%.*s' is too long",
			    (int)n->len[k], n->val[k]);
	return k == CLI_NET_TAP ? tap_named(val, fd, err, errlen)
				: tap_inherited(val, fd, err, errlen);
}

void cli_parse_net(struct vm_config *cfg, const char *arg)
{
	char err[300], mac[18], opts[32] = "";
	struct cli_net n;
	int fd, rc;

	cli_virtio_slot(cfg, "--net", "virtio_net"); /* before any open */
	if ((rc = cli_net_split(arg, &n, err, sizeof(err))))
		die(rc, "%s", err);
	if (n.val[CLI_NET_MAC]) {
		if (!net_val(&n, CLI_NET_MAC, mac, sizeof(mac)) ||
		    cli_mac_check(mac) < 0)
			die(WISP_EXIT_USAGE, "--net %s: mac=%.*s is not a unicast "
			    "MAC address (xx:xx:xx:xx:xx:xx)", arg,
			    (int)n.len[CLI_NET_MAC], n.val[CLI_NET_MAC]);
		snprintf(opts, sizeof(opts), ",mac=%s", mac);
	}
	if ((rc = cli_tap_open(&n, &fd, err, sizeof(err))))
		die(rc, "%s", err);
	cli_virtio_add(cfg, "--net", "virtio_net", opts, fd, DEVFILE_POLL);
}

/* ---- --rng --------------------------------------------------------------- */

void cli_parse_rng(struct vm_config *cfg)
{
	cli_virtio_slot(cfg, "--rng", "virtio_rng");
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(WISP_EXIT_OSERR, "--rng: cannot open /dev/urandom: %s",
		    strerror(errno));
	cli_virtio_add(cfg, "--rng", "virtio_rng", "", fd, DEVFILE_RO);
}

/* Once the instances exist (devmgr_create), before they are constructed. */
void cli_attach_files(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;

	for (unsigned i = 0; i < cfg->n_files; i++)
		dev_attach_file(vm, cfg->files[i].dev, cfg->files[i].idx, 0,
				cfg->files[i].fd, cfg->files[i].flags);
}
