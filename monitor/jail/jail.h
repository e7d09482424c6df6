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
/* Open the folder holding path's last component (O_PATH) with
 * openat2(RESOLVE_NO_SYMLINKS): no component before it may be a symbolic
 * link. *name points at the last component, inside path; create it with
 * openat(fd, *name, O_NOFOLLOW | ...), or bind a socket to
 * /proc/self/fd/<fd>/<name>, then close fd. Dies with one line naming opt:
 * 66 on a link, a path not ending in a name, a missing folder; 71 when the
 * kernel has no openat2 (before 5.6: wisp never follows links instead). */
int path_dir_open(const char *opt, const char *path, const char **name);
/* Open an output file (--serial file:, --screenshot) safely: through
 * path_dir_open, never a link, a second name or a file already there that
 * another uid than the one wisp runs as (--user's, else its euid) owns;
 * then 0600, truncated. Dies with one line, exit 66, when refused. */
int out_open(const struct vm_config *cfg, const char *opt, const char *path);
/* Close every fd but keep[0..n) (sorted in place). When close_range fails
 * each fd up to the hard RLIMIT_NOFILE is closed and checked; -errno if
 * one stays open. close_range is fd_close_range but in tests. */
typedef long (*fd_range_closer)(unsigned lo, unsigned hi);
long fd_close_range(unsigned lo, unsigned hi);
int fd_close_all_but(int *keep, unsigned n, fd_range_closer close_range);
/* Install this thread's seccomp filter for role ("main", "vcpu"); dies on
 * failure. Call after priv_drop. */
void sandbox_enter(const char *role);

#endif
