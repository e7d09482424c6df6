/*
 * fuzz/mon_harness.c - the fake KVM, stop recorder and log counter the
 * monitor-side targets share (mon_harness.h).
 */
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vm.h"
#include "mon_harness.h"

struct mon_kvm_call mon_kvm[MON_MAX_KVM];
unsigned mon_n_kvm;
unsigned mon_stops;
int mon_stop_code = -1;
struct mon_log mon_log;
static unsigned cur_len; /* bytes of the line being written */
static char cur[MON_LOG_LINE_MAX + 1]; /* its text, cut */

/* To fd 2 itself: stderr is the log counter once captured. */
void mon_check(int ok, const char *what)
{
	if (!ok) {
		dprintf(2, "invariant broken: %s\n", what);
		abort();
	}
}

void mon_check_map(const struct gmap *g)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct gmap_range *r = &g->r[i];
		mon_check(r->size && r->gpa + r->size > r->gpa &&
			  r->gpa + r->size <= GMAP_LIMIT, "a map range wraps");
		mon_check(!i || g->r[i - 1].gpa + g->r[i - 1].size <= r->gpa,
			  "the guest-physical map holds an overlap");
	}
}

void vm_request_stop(struct vm *vm, int code, const char *why)
{
	mon_stops++;
	mon_stop_code = code;
	atomic_store(&vm->stopping, true);
}

static void kvm_record(unsigned long req, uint64_t addr, uint32_t len,
		       bool pio)
{
	mon_check(mon_n_kvm < MON_MAX_KVM, "more KVM calls than one step makes");
	mon_kvm[mon_n_kvm++] = (struct mon_kvm_call){ req, addr, len, pio };
}

int __real_ioctl(int fd, unsigned long req, ...);

/* The fake VM takes interrupt lines and doorbells (recorded) and says it
 * has ioeventfds; every other fd is the host's. */
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;

	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (fd == MON_VM_FD && req == KVM_IRQ_LINE) {
		const struct kvm_irq_level *l = arg;
		kvm_record(req, l->irq, l->level, false);
		return 0;
	}
	if (fd == MON_VM_FD && req == KVM_IOEVENTFD) {
		const struct kvm_ioeventfd *e = arg;
		kvm_record(req, e->addr, e->len,
			   e->flags & KVM_IOEVENTFD_FLAG_PIO);
		return 0;
	}
	if (fd == MON_KVM_FD && req == KVM_CHECK_EXTENSION)
		return 1;
	mon_check(fd != MON_VM_FD && fd != MON_KVM_FD,
		  "an ioctl the fake KVM does not expect");
	return __real_ioctl(fd, req, arg);
}

void (*mon_futex_hook)(void);

void __real_dp_futex_wait(_Atomic uint32_t *w, uint32_t val, long ns);
void __wrap_dp_futex_wait(_Atomic uint32_t *w, uint32_t val, long ns);

void __wrap_dp_futex_wait(_Atomic uint32_t *w, uint32_t val, long ns)
{
	if (mon_futex_hook) {
		mon_futex_hook();
		return;
	}
	__real_dp_futex_wait(w, val, ns);
}

/* Each byte log.c writes: lines counted and measured as they pass. */
static ssize_t log_write(void *cookie, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			mon_log.lines++;
			mon_log.total++;
			if (cur_len > mon_log.longest)
				mon_log.longest = cur_len;
			memcpy(mon_log.last, cur, sizeof(cur));
			memset(cur, 0, sizeof(cur));
			cur_len = 0;
			continue;
		}
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			mon_log.bad_char = true;
		if (cur_len < MON_LOG_LINE_MAX)
			cur[cur_len] = buf[i];
		cur_len++;
	}
	return (ssize_t)n;
}

void mon_log_capture(void)
{
	static const cookie_io_functions_t io = { .write = log_write };
	FILE *f = fopencookie(NULL, "w", io);

	mon_check(f != NULL, "fopencookie");
	/* Unbuffered: a line is counted when fprintf returns. */
	setvbuf(f, NULL, _IONBF, 0);
	stderr = f;
}

void mon_step_begin(void)
{
	mon_n_kvm = 0;
	mon_stops = 0;
	mon_stop_code = -1;
	mon_log.lines = 0;
	mon_log.last[0] = '\0';
	/* A line the last step left unfinished is a line without its end. */
	mon_check(cur_len == 0, "a log line without its newline");
}

uint64_t mon_eventfd_take(int fd)
{
	uint64_t n = 0;

	return read(fd, &n, sizeof(n)) == sizeof(n) ? n : 0;
}

void mon_run(const uint8_t *data, size_t size, size_t rec, mon_step_fn step)
{
	for (size_t off = 0; size - off >= rec;)
		off += step(data + off, size - off);
}
