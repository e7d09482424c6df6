/*
 * monitor/ctl/ctl.h - the control plane (--api-sock): a Unix stream socket
 * served by a thread of its own (role "ctl", policy/ctl.policy), one JSON
 * object per line each way (README: "Control socket").
 *
 *  ctl_proto.c  lines in, replies out: the parser and dispatcher, pure
 *               over a backend table (struct ctl_backend), so the unit
 *               tests and the fuzz target drive the very same code;
 *  ctl_print.c  a metrics snapshot as JSON or Prometheus text;
 *  ctl_srv.c    the socket, its clients and the thread;
 *  ctl_vm.c     the backend wisp gives it: commands that change the VM go
 *               to the main thread through a mailbox and run there, in
 *               the same functions the event loop and signals use; the
 *               read-only ones (info, metrics) read counters in place;
 *  ctl_ev.c     lifecycle events, posted from any thread into a ring.
 *
 * The room may call kvm/, devhost/, jail/ and core/. Profiles without
 * CTL=1 link none of it: nothing sets vm->event, vm_event() does nothing.
 */
#ifndef WISP_CTL_H
#define WISP_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vm.h"

#if WISP_CTL
/* The VM's event sink (vm->event, set by ctl_open): any thread, never
 * blocks on a client. `device` and `cause` may be NULL; `status` is
 * exit's status. */
void ctl_event(struct vm *vm, enum vm_event ev, const char *device,
	       const char *cause, int status);
#endif

/* ---- the protocol (ctl_proto.c), independent of wisp's VM --------------- */

#define CTL_LINE_MAX 4096        /* a request's bytes, newline included */
#define CTL_OUT_MAX (256 * 1024) /* a client's unsent replies and events */
#define CTL_EXIT_KINDS 6         /* io, mmio, hlt, intr, system, other */
#define CTL_LAT_BUCKETS 8        /* device answers: <=1us, <=4us ... >1ms */

enum ctl_op { CTL_OP_PAUSE = 1, CTL_OP_RESUME, CTL_OP_STOP, CTL_OP_KILL };

struct ctl_vcpu_m {
	uint64_t exits[CTL_EXIT_KINDS];
	uint64_t run_ns, wisp_ns; /* in KVM_RUN, and in wisp between runs */
};

struct ctl_dev_m {
	const char *name;
	bool sandboxed;
	uint64_t accesses;     /* trapped port/MMIO accesses it answered */
	uint64_t log_dropped;  /* its lines the rate limit dropped */
	uint64_t upcalls;      /* a device process's calls wisp served */
	uint64_t answers;      /* a device process's answers to accesses */
	uint64_t lat[CTL_LAT_BUCKETS]; /* how long those answers took */
	int64_t rss_bytes;     /* its process's resident set; -1: none */
};

/* What `metrics` reports: absolute counters, read in place. */
struct ctl_metrics {
	uint64_t uptime_ns;
	int64_t rss_bytes;     /* wisp's resident set, -1 if unknown */
	uint64_t dirty_pages;  /* pages dirty-log queries reported */
	uint64_t clients, replies, events, dropped; /* the socket's own */
	unsigned ncpus, ndevs;
	struct ctl_vcpu_m vcpu[VM_MAX_CPUS];
	struct ctl_dev_m dev[VM_MAX_DEVICES];
};

struct ctl_info_dev {
	const char *name;
	bool sandboxed, trusted;
};

/* What `info` reports. */
struct ctl_info {
	const char *profile, *version, *state;
	unsigned ncpus, ndevs;
	uint64_t mem_bytes, uptime_ns;
	struct ctl_info_dev dev[VM_MAX_DEVICES];
};

/* What the dispatcher may do to a VM. act: 0, or -errno with err filled
 * in (one line); it returns once the VM is in the state asked for. */
struct ctl_backend {
	int (*act)(void *vm, enum ctl_op op, char *err, size_t errlen);
	void (*info)(void *vm, struct ctl_info *out);
	void (*metrics)(void *vm, struct ctl_metrics *out);
};

/* One client's protocol state: its unfinished line and unsent output. */
struct ctl_client {
	char in[CTL_LINE_MAX];
	size_t in_len;
	bool in_skip;      /* the line in progress is too long: dropped */
	bool subscribed;
	bool overflow;     /* output would pass CTL_OUT_MAX: to be dropped */
	size_t out_len, out_off;
	char out[CTL_OUT_MAX];
};

/* Feed bytes a client sent; each complete line is a request whose reply
 * joins c->out. Returns how many requests were answered. */
unsigned ctl_feed(const struct ctl_backend *b, void *vm, struct ctl_client *c,
		  const char *buf, size_t len);
/* Append one line (a reply or an event; the newline is added) to c's
 * output; false (and c->overflow) when it does not fit. */
bool ctl_out(struct ctl_client *c, const char *line, size_t len);
/* An event as its JSON line, without the newline; 0 or -ENOSPC. */
int ctl_event_line(char *buf, size_t len, uint64_t t_ns, enum vm_event ev,
		   const char *device, const char *cause, int status);

/* ctl_print.c: a snapshot as a JSON object (caller frees) or as the
 * Prometheus text exposition format into buf (bytes written, or -ENOSPC). */
struct cJSON;
struct cJSON *ctl_metrics_json(const struct ctl_metrics *m);
long ctl_metrics_prom(const struct ctl_metrics *m, char *buf, size_t len);
struct cJSON *ctl_info_json(const struct ctl_info *in);

/* ---- wisp's side (ctl_srv.c, ctl_vm.c) ------------------------------------ */

#if WISP_CTL
/* Before privileges drop: create the socket (cfg->api_sock; the output
 * file rules: no link followed, 0600, owned by --user), the mailbox and
 * the event ring. Dies with one line (exit 66) when it cannot. */
void ctl_open(struct vm *vm);
/* After the drop, with the vCPUs running: start the thread; it installs
 * its own filter. */
void ctl_start(struct vm *vm);
/* At the end: post `exit`, give subscribers a bounded moment to read it,
 * end the thread. */
void ctl_stop(struct vm *vm, int status);
/* The main thread's side of the mailbox (evloop.c): run the request
 * waiting in it and answer. */
void ctl_serve_main(struct vm *vm);
#endif

#endif
