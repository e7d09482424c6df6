/*
 * monitor/jail/priv.c - after every privileged open (KVM, images, console), give
 * up what the running VM does not need, in two steps around the forking of
 * device processes:
 *   priv_confine  no_new_privs; new namespaces (--jail) while we may still
 *                 create them, the PID namespace only for the device
 *                 processes about to be forked; a new root (--chroot) while
 *                 we still hold CAP_SYS_CHROOT;
 *   priv_finish   back to our own PID namespace for children (threads cannot
 *                 be created otherwise), then capabilities and the bounding
 *                 set cleared with libcap-ng, switching to --user's ids in the
 *                 same call. Each device process calls priv_finish itself.
 * The seccomp filters go on after this (sandbox.c).
 */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "core/log.h"
#include "core/vm.h"
#include "jail/jail.h"

/* --jail: each namespace on its own, as the host allows. A user namespace
 * first when unprivileged: it is what lets the others be created. Mount
 * namespace: wisp opens no path after this, and its mounts stop propagating
 * back. Net: its fds (tap, later) are open; it needs no interface. PID:
 * device processes are forked into it and see no other process. */
static const struct { int flag; const char *name; } jail_ns[] = {
	{ CLONE_NEWUSER, "user" }, { CLONE_NEWNS, "mount" },
	{ CLONE_NEWIPC, "ipc" },   { CLONE_NEWUTS, "uts" },
	{ CLONE_NEWNET, "net" },
};

/* Our own PID namespace while children are forked into a new one. */
static int own_pidns = -1;

/* Device processes are forked into a new PID namespace: they see no other
 * process. wisp itself stays in its own (its threads must). */
static void priv_pidns(void)
{
	own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (own_pidns < 0 || unshare(CLONE_NEWPID) < 0) {
		wlog(LOG_DEBUG, "--jail: no pid namespace: %s", strerror(errno));
		if (own_pidns >= 0)
			close(own_pidns);
		own_pidns = -1;
	}
}

static void priv_jail(void)
{
	char got[64] = "";

	for (size_t i = 0; i < sizeof(jail_ns) / sizeof(jail_ns[0]); i++) {
		/* Root needs no user namespace, and would lose its ids in one. */
		if (jail_ns[i].flag == CLONE_NEWUSER && geteuid() == 0)
			continue;
		if (unshare(jail_ns[i].flag) < 0) {
			wlog(LOG_DEBUG, "--jail: no %s namespace: %s",
			     jail_ns[i].name, strerror(errno));
			continue;
		}
		strcat(got, " ");
		strcat(got, jail_ns[i].name);
	}
	/* Mounts made in our namespace must not leak out, nor in. */
	if (strstr(got, "mount"))
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	wlog(LOG_DEBUG, "--jail: new namespaces:%s", got[0] ? got : " none");
	priv_pidns();
}

static int priv_chroot(const char *dir)
{
	if (chroot(dir) < 0 || chdir("/") < 0) {
		wlog(LOG_ERR, "--chroot %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Clear every capability; with --user, change ids in the same libcap-ng
 * call (supplementary groups dropped, bounding set cleared). */
static int priv_caps(const struct vm_config *cfg)
{
	if (capng_get_caps_process() < 0)
		return -1;
	bool bounds = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_BOTH);
	if (cfg->has_user) {
		int rc = capng_change_id((int)cfg->uid, (int)cfg->gid,
					 CAPNG_DROP_SUPP_GRP |
					 CAPNG_CLEAR_BOUNDING);
		if (rc < 0)
			wlog(LOG_ERR, "--user %u:%u: cannot change ids (libcap-ng "
			     "error %d)", cfg->uid, cfg->gid, rc);
		return rc < 0 ? -1 : 0;
	}
	if (capng_apply(bounds ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS) < 0) {
		wlog(LOG_ERR, "clearing capabilities failed");
		return -1;
	}
	return 0;
}

int priv_confine(const struct vm_config *cfg)
{
	/* Nothing wisp could exec may regain privileges. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	if (cfg->jail)
		priv_jail();
	if (cfg->chroot && priv_chroot(cfg->chroot) < 0)
		return -1;
	return 0;
}

int priv_finish(const struct vm_config *cfg, bool device)
{
	if (own_pidns >= 0) {
		if (!device && setns(own_pidns, CLONE_NEWPID) < 0) {
			wlog(LOG_ERR, "--jail: back to our pid namespace: %s",
			     strerror(errno));
			return -1;
		}
		close(own_pidns);
		own_pidns = -1;
	}
	if (priv_caps(cfg) < 0)
		return -1;
	if (!device && cfg->warn_root && getuid() == 0 && !cfg->has_user)
		wlog(LOG_WARN, "running as root without --user: the VM keeps "
		     "uid 0 (with no capabilities)");
	return 0;
}
