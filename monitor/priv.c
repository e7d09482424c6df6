/*
 * monitor/priv.c - after every privileged open (KVM, images, console), give
 * up what the running VM does not need. The full sandbox (seccomp filters,
 * --user/--chroot/--jail, device processes) builds on this.
 */
#include <cap-ng.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"
#include "vm.h"

int priv_drop(void)
{
	/* Nothing wisp could exec may regain privileges. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	/* A running VM needs no capability: every fd it uses is open. Clear
	 * them all, and the bounding set when we may (needs CAP_SETPCAP). */
	if (capng_get_caps_process() < 0)
		return -1;
	bool bounds = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE && !bounds)
		return 0;
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(bounds ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS) < 0) {
		wlog(LOG_ERR, "clearing capabilities failed");
		return -1;
	}
	if (getuid() == 0)
		wlog(LOG_DEBUG, "running as root; capabilities dropped");
	return 0;
}
