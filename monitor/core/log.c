/* monitor/core/log.c - stderr logging with a "wisp: " prefix and rate limiting. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum log_level log_threshold = LOG_INFO;
void (*log_sink)(enum log_level lvl, const char *line);

void log_one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void vlog_line(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	log_one_line(line);
	if (log_sink) {
		log_sink(lvl, line);
		return;
	}
	/* One fprintf per line so lines from several threads never interleave. */
	fprintf(stderr, "wisp: %s\n", line);
}

void wlog(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > log_threshold)
		return;
	va_start(ap, fmt);
	vlog_line(lvl, fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(code);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t start_ns;

void uptime_start(void)
{
	start_ns = now_ns();
}

uint64_t uptime_ns(void)
{
	return now_ns() - start_ns;
}

bool ratelimit_ok(struct ratelimit *rl, uint64_t *suppressed)
{
	uint64_t t = now_ns();
	bool ok;

	pthread_mutex_lock(&rl->lock);
	if (t - rl->window_ns >= 1000000000ull) {
		rl->window_ns = t;
		rl->in_window = 0;
	}
	ok = rl->in_window < rl->burst;
	if (ok) {
		rl->in_window++;
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
	} else {
		rl->suppressed++;
		rl->dropped++;
	}
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

static struct ratelimit log_global = RATELIMIT_INIT(LOG_GUEST_BURST);

/* Dropped after all: the instance's count goes back, plus this line. */
static void ratelimit_undo(struct ratelimit *rl, uint64_t suppressed)
{
	pthread_mutex_lock(&rl->lock);
	rl->suppressed += suppressed + 1;
	rl->dropped++;
	pthread_mutex_unlock(&rl->lock);
}

bool log_guest_ok(struct ratelimit *rl, uint64_t *suppressed)
{
	uint64_t all;

	if (!ratelimit_ok(rl, suppressed))
		return false;
	if (!ratelimit_ok(&log_global, &all)) {
		ratelimit_undo(rl, *suppressed);
		return false;
	}
	if (all)
		wlog(LOG_WARN, "%llu lines suppressed (all devices)",
		     (unsigned long long)all);
	return true;
}

void wlog_guest(struct ratelimit *rl, const char *who, enum log_level lvl,
		const char *fmt, ...)
{
	uint64_t supp;
	va_list ap;

	if (lvl > log_threshold || !log_guest_ok(rl, &supp))
		return;
	if (supp)
		wlog(LOG_WARN, "%s: %llu lines suppressed", who,
		     (unsigned long long)supp);
	va_start(ap, fmt);
	vlog_line(lvl, fmt, ap);
	va_end(ap);
}
