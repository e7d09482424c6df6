/*
 * fuzz/mon_harness.h - what the targets over wisp's own monitor code
 * (devproc_target, devhlp_target) share: KVM is a fake whose interrupt-line
 * and doorbell ioctls are recorded (linked with -Wl,--wrap=ioctl), so a
 * target can check that only what a device owns ever reaches KVM; stop
 * requests are recorded; wisp's log lines go to a counter that checks each
 * is one bounded line.
 */
#ifndef WISP_MON_HARNESS_H
#define WISP_MON_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* vm->vm_fd and vm->kvm_fd in a target: no real fd is opened there. */
#define MON_VM_FD FD_VM
#define MON_KVM_FD FD_KVM

/* One KVM_IRQ_LINE or KVM_IOEVENTFD that reached the fake VM. */
struct mon_kvm_call {
	unsigned long req;
	uint64_t addr;  /* IRQ_LINE: the GSI */
	uint32_t len;   /* IRQ_LINE: the level */
	bool pio;
};
#define MON_MAX_KVM 16
extern struct mon_kvm_call mon_kvm[MON_MAX_KVM];
extern unsigned mon_n_kvm;

/* vm_request_stop's calls since mon_step_begin: how many, the last code. */
extern unsigned mon_stops;
extern int mon_stop_code;

#define MON_LOG_LINE_MAX (512 + 7) /* log.c's line and its "wisp: " */
/* wisp's log since mon_step_begin: lines and the last one's text (cut
 * at MON_LOG_LINE_MAX); and since the capture began, the longest line and
 * whether one held a control character or no newline. */
struct mon_log {
	unsigned lines;
	char last[MON_LOG_LINE_MAX + 1];
	unsigned long total;
	unsigned longest;
	bool bad_char;
};
extern struct mon_log mon_log;

/* Send stderr (log.c writes there) to the counter; libFuzzer and the
 * sanitizers keep writing to fd 2. Once per process. */
void mon_log_capture(void);

/* Called instead of wisp's futex wait on a device process's bell (linked
 * with -Wl,--wrap=dp_futex_wait) when set: the target's child answers
 * there. */
extern void (*mon_futex_hook)(void);

/* Forget the last step's KVM calls, stops and line count. */
void mon_step_begin(void);

/* Abort with `what` (a broken invariant) unless ok. */
void mon_check(int ok, const char *what);

/* Read (and so reset) an eventfd's counter; 0 when it was not signalled. */
uint64_t mon_eventfd_take(int fd);

/* Feed data to step record by record: step takes the record (and what
 * may follow it: `left` bytes in all) and returns the bytes it used;
 * a short tail is ignored. */
typedef size_t (*mon_step_fn)(const uint8_t *p, size_t left);
void mon_run(const uint8_t *data, size_t size, size_t rec, mon_step_fn step);

/* The guest-physical map is sorted, each range inside GMAP_LIMIT, and no
 * two overlap. */
struct gmap;
void mon_check_map(const struct gmap *g);

#endif
