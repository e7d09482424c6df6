/*
 * monitor/jail/jail.h - privileges and filters: the drop (priv.c), fixed
 * fd numbers and safe output files (fd.c), installing a role's seccomp
 * filter (sandbox.c). Calls only core/.
 */
#ifndef WISP_JAIL_H
#define WISP_JAIL_H

#include "core/vm.h"

/* priv.c: drop what is no longer needed once setup is done: confine
 * (no_new_privs, --jail, --chroot), fork device processes, then finish
 * (capabilities, --user) in wisp and in each device process. */
int priv_confine(const struct vm_config *cfg);
int priv_finish(const struct vm_config *cfg, bool device);

/* fd.c: move fd to the fixed number target (policy.h), closing fd;
 * returns target (or fd when negative). Dies if target is taken. */
int fd_pin(int fd, int target);
/* Close every fd but keep[0..n) (sorted in place). When close_range fails
 * each fd up to the hard RLIMIT_NOFILE is closed and checked; -errno if
 * one stays open. close_range is fd_close_range but in tests. */
/* Open an output file (--serial file:, --screenshot) safely; dies with
 * one line, exit 66, on a symbolic link or a file that is not plainly
 * one regular file. */
int out_open(const struct vm_config *cfg, const char *opt, const char *path);
typedef long (*fd_range_closer)(unsigned lo, unsigned hi);
long fd_close_range(unsigned lo, unsigned hi);
int fd_close_all_but(int *keep, unsigned n, fd_range_closer close_range);
/* Install this thread's seccomp filter for role ("main", "vcpu"); dies on
 * failure. Call after priv_drop. */
void sandbox_enter(const char *role);

#endif
