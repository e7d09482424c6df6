/*
 * monitor/core/log.h - one small logging API. Every line goes to stderr prefixed
 * "wisp: " so an orchestrator can tell wisp's lines from the guest's console.
 * Lines a guest can trigger go through a ratelimit.
 */
#ifndef WISP_LOG_H
#define WISP_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

/* Where finished lines go instead of stderr, or NULL. A device process
 * has no stderr: its lines become up-calls, printed by wisp under the
 * instance's rate limit. Set once, single-threaded. */
extern void (*log_sink)(enum log_level lvl, const char *line);

/* Every line is one line whatever it quotes (a file name, a --device spec,
 * a guest's bytes): control characters become '?', so a newline in user or
 * guest input can neither split a line nor forge a "wisp: " line. */
void log_one_line(char *s);

void wlog(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print one error line and exit with `code` (a WISP_EXIT_* value). Only for
 * failures before the VM runs, or from the main thread at the end. */
void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* At most `burst` lines per second; the rest are counted and reported in the
 * next line that passes. Thread-safe. */
struct ratelimit {
	pthread_mutex_t lock;
	unsigned burst;
	uint64_t window_ns;
	unsigned in_window;
	uint64_t suppressed;
	uint64_t dropped; /* every line ever dropped (metrics), never reset */
};

#define RATELIMIT_INIT(b) { PTHREAD_MUTEX_INITIALIZER, (b), 0, 0, 0, 0 }

/* True when a line may be printed now; *suppressed gets the number dropped
 * since the last line that passed. */
bool ratelimit_ok(struct ratelimit *rl, uint64_t *suppressed);

/* Every line a guest (or a device process) can trigger passes its
 * instance's limit, then one global limit (LOG_GUEST_BURST lines a second
 * across all instances): true when it may be printed; *suppressed gets the
 * instance's dropped count. Lines the global limit dropped are reported in
 * a line of their own. */
#define LOG_GUEST_BURST 20
bool log_guest_ok(struct ratelimit *rl, uint64_t *suppressed);

/* A rate-limited line for instance `who`: "who: N lines suppressed" first
 * when some were. */
void wlog_guest(struct ratelimit *rl, const char *who, enum log_level lvl,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

uint64_t now_ns(void);

/* Monotonic ns since uptime_start (the first thing main does); a device
 * process, forked later, keeps wisp's start. */
void uptime_start(void);
uint64_t uptime_ns(void);

#endif
