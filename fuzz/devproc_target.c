/*
 * fuzz/devproc_target.c - libFuzzer target for wisp's side of the
 * device-process protocol (monitor/devhost/devproc.c): a compromised device
 * process writes anything into its request page - up-calls of any op, state
 * and arguments, log lines of any bytes (served as the event loop serves
 * them, devproc_serve_up), and answers to wisp's requests (port/MMIO
 * accesses, console input, DP_DISPLAY screenshots through screenshot.c's
 * checks). Two sandboxed instances (one
 * untrusted, one trusted) and one in wisp, each with its own interrupt
 * lines and MMIO2 regions; KVM is mon_harness.c's recording fake.
 * Invariants, against a model after every step: an up-call that names what
 * the instance does not own (a line, a region, a VM-wide power it was not
 * granted), an unknown op, an oversized bitmap or an out-of-bounds screen
 * stops the VM with WISP_EXIT_SANDBOX and marks the process dead; a
 * trusted power stops it with its own status (poweroff's, reboot 80,
 * panic 68); anything else is answered (rc in the page) without a stop,
 * a guest-boot report from any instance too (the guest can make one
 * through the boot port: nothing a device process gains) and it is taken; a
 * dead process gets -EPIPE; a log line is printed as one line of its own,
 * attributed to the instance whatever it says, within the rate limit; KVM sees only the caller's own lines; the other device's region
 * stays mapped where it was, and a refused query leaves the page's bitmap
 * untouched; the map never overlaps; a log line is one bounded line;
 * nothing outside what wisp owns is touched (ASan).
 * An access or console input may meet a late child (flags bit 3): it posts
 * the record's up-call first and answers only once wisp sleeps on its bell
 * (mon_harness.c's futex hook), so wisp serves the call while it waits, as
 * for a device that raises its line from an access; a read gets the
 * child's answer, or all ones when its call ended it.
 * A trapped access waits on the child's progress, and a stopping VM gives
 * that wait up (devproc.h): wisp must never wait on a process's progress
 * once it is stopping, and the process, maybe still serving the access,
 * is abandoned (marked dead, sent nothing more, killed at the stop). So a
 * late child's access made while the VM is stopping (an earlier step
 * stopped it, or a trusted power served in the wait did) is abandoned,
 * without a stop of its own, and a read gets all ones. Console input
 * waits with a fixed deadline and is answered even then.
 * Input: 16-byte records (kind, flags, op, state, argument selectors and
 * raw words); a screenshot record is followed by the child's struct
 * dp_display answer, a LOG up-call (late ones too) by its line's bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "core/vm.h"
#include "devhost/devproc.h"
#include "mon_harness.h"
#include "monitor.h"

const struct dev_entry dev_registry[] = { { 0 } };
const size_t dev_registry_len = 0;

#define REC 16
#define RAM_SIZE (1u << 20)
#define OTHER_GPA 0xd0000000ull
#define RC_UNSET 0x5a5a /* up.rc before a step: "not served" */
#define CANARY 0xc5c5c5c5c5c5c5c5ull
enum { SB, OTHER, ST, NDEV }; /* untrusted sandboxed, in wisp, trusted sandboxed */
#define NREG 2 /* MMIO2 regions per instance */

static int no_display(struct dev_ins *ins, struct dev_display *d)
{
	return -EIO; /* never called: the device is sandboxed */
}

static const struct dev_ops disp_ops = { .display = no_display }, no_ops;
static const struct dev_reg regs[NDEV] = {
	{ .name = "sb", .ops = &disp_ops }, { .name = "other", .ops = &no_ops },
	{ .name = "st", .ops = &no_ops },
};
static const unsigned gsis[NDEV] = { 1u << 5 | 1u << 9, 1u << 6, 1u << 7 };
static const uint64_t reg_size[NREG] = { 8192, 4096 };

static struct vm vm;
static struct vm_config cfg = { .screenshot = "fuzz.png" };
static struct dp_shm shm[2];
static int handles[NDEV][NREG];

static void add_regions(unsigned d)
{
	for (unsigned r = 0; r < NREG; r++) {
		handles[d][r] = mem_mmio2_create(&vm.mem, &vm.devs[d], regs[d].name,
						 reg_size[r],
						 r ? 0 : MEM_MMIO2_F_TRACK);
		mon_check(handles[d][r] >= 0, "mem_mmio2_create");
	}
}

static void add_device(unsigned d)
{
	struct dev_host *h = &vm.hosts[d];

	vm.devs[d] = (struct dev_ins){ .reg = &regs[d], .host = h };
	snprintf(vm.devs[d].name, sizeof(vm.devs[d].name), "%s.0", regs[d].name);
	*h = (struct dev_host){ .vm = &vm, .ins = &vm.devs[d], .trusted = d == ST,
				.sandboxed = d != OTHER, .constructed = true,
				.irqs = gsis[d], .chr = &vm.console,
				.rl = RATELIMIT_INIT(5) };
	pthread_mutex_init(&h->lock, NULL);
	add_regions(d);
	if (d == OTHER)
		return;
	unsigned slot = d == ST;
	memset(&shm[slot], 0, sizeof(shm[slot]));
	vm.procs[slot] = (struct devproc){ .shm = &shm[slot], .slot = (int)slot };
	h->proc = &vm.procs[slot];
}

static void late_answer(void);

/* A fresh VM per input: what one input does never leaks into the next. */
static void setup(void)
{
	static int rxready = -1;

	if (rxready < 0) {
		mon_log_capture();
		mon_futex_hook = late_answer;
		rxready = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		mon_check(rxready >= 0, "eventfd");
	}
	mem_destroy(&vm.mem);
	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.vm_fd = MON_VM_FD;
	vm.kvm_fd = MON_KVM_FD;
	vm.rxready_fd = rxready;
	vm.shot_fd = 1; /* never written: the sandboxed device writes its own */
	mon_check(mem_init(&vm.mem, RAM_SIZE) == 0, "mem_init");
	vm.n_devs = NDEV;
	for (unsigned d = 0; d < NDEV; d++)
		add_device(d);
	vm.console.rx_owner = &vm.devs[SB];
	char err[128];
	mon_check(mem_mmio2_map(&vm.mem, &vm.devs[OTHER], handles[OTHER][0],
				OTHER_GPA, err, sizeof(err)) == 0, "map");
}

/* ---- the model ---------------------------------------------------------- */

struct step {
	const uint8_t *p;
	unsigned dev;          /* SB or ST */
	struct dev_host *h;
	struct dp_shm *s;
	bool was_dead;
	bool stopping;         /* the VM was stopping before the step */
	bool patient;          /* a trapped access: waits on progress */
	uint32_t op;
	uint64_t a0, a1, a2;
	uint32_t up_state;     /* the state the child left its up-call in */
	bool late;             /* it posts the call, answers once wisp sleeps */
	char sent[DEVPROC_LINE]; /* a late LOG call's line */
	/* what the model expects */
	bool violation;
	unsigned n_kvm;
};

static uint32_t raw32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* An argument as a hostile child would choose it: raw, or near an edge. */
static uint64_t pick(uint8_t sel, uint32_t raw)
{
	switch (sel % 8) {
	case 0: return raw;
	case 1: return (uint64_t)raw << 12;
	case 2: return OTHER_GPA + ((uint64_t)(raw & 0xf) << 12) - 0x1000;
	case 3: return ~0ull - (raw & 0xffff);
	case 4: return DP_NO_BITMAP;
	case 5: return raw & 0x3fff;
	case 6: return DEVPROC_BITMAP + (raw & 0x1f) * 8 - 64;
	default: return (uint64_t)raw << 32 | raw;
	}
}

/* A handle: one of the three instances', an unused one, or any word. */
static uint64_t pick_handle(uint8_t sel, uint32_t raw)
{
	if (sel & 0x80)
		return pick(sel, raw);
	if (sel % 8 < NDEV * NREG)
		return (uint64_t)handles[sel % 8 / NREG][sel % NREG];
	return sel % 8 == 6 ? MEM_MAX_MMIO2 - 1 : (uint64_t)-1;
}

static int own_region(const struct step *st)
{
	for (unsigned r = 0; r < NREG; r++)
		if (st->a0 == (uint64_t)handles[st->dev][r])
			return (int)r;
	return -1;
}

/* ---- up-calls ------------------------------------------------------------ */

static void expect_irq(struct step *st)
{
	if (st->a0 >= VM_NR_GSI || st->a1 > DEV_IRQ_PULSE)
		return; /* refused as malformed, not a misdeed */
	if (!(gsis[st->dev] & (1u << st->a0))) {
		st->violation = true;
		return;
	}
	st->n_kvm = st->a1 == DEV_IRQ_PULSE ? 2 : 1;
}

static void check_irq(const struct step *st)
{
	for (unsigned i = 0; i < mon_n_kvm; i++) {
		mon_check(mon_kvm[i].addr == st->a0 &&
			  (gsis[st->dev] & (1u << mon_kvm[i].addr)),
			  "an interrupt line the device does not own reached KVM");
		uint32_t want = st->a1 == DEV_IRQ_PULSE ? !i : (uint32_t)st->a1;
		mon_check(mon_kvm[i].len == want, "a line driven to the wrong level");
	}
}

/* Region 0 of each instance is tracked; a bitmap has its exact size. */
static bool query_ok(const struct step *st, int r)
{
	return r == 0 && (st->a1 == DP_NO_BITMAP ||
			  st->a1 == dev_mmio2_bitmap_bytes(reg_size[r]));
}

/* What an MMIO2 up-call must come to for the region (or none) it names. */
static void check_mmio2(const struct step *st, int rc)
{
	int r = own_region(st);

	if (r < 0 || st->violation) {
		mon_check(rc < 0, "a foreign or bad MMIO2 request succeeded");
		return;
	}
	mon_check(rc != -EPERM && rc != -EBADF, "its own region refused as foreign");
	if (st->op == DP_UP_MMIO2_QUERY)
		mon_check((rc == 0) == query_ok(st, r),
			  "a query's outcome does not follow its region and size");
	if (st->op == DP_UP_MMIO2_MARK)
		mon_check((rc == 0) == (st->a1 <= reg_size[r] &&
					st->a2 <= reg_size[r] - st->a1),
			  "a mark's outcome does not follow its span");
	if (st->op == DP_UP_MMIO2_MAP && rc == 0) {
		const struct gmap_range *g = gmap_find(&vm.mem.map, st->a1, 0);
		mon_check(g && g->kind == GMAP_MMIO2 && g->gpa == st->a1 &&
			  g->owner == &vm.devs[st->dev], "a map is not where it said");
	}
}

/* The page's bitmap: the answer's bytes at most, the rest as it was. */
static void check_bitmap(const struct step *st, int rc)
{
	size_t keep = 0;

	if (st->op == DP_UP_MMIO2_QUERY && rc == 0 && st->a1 != DP_NO_BITMAP)
		keep = (size_t)st->a1 / 8;
	for (size_t i = keep; i < DEVPROC_BITMAP / 8; i++)
		mon_check(st->s->bitmap[i] == CANARY,
			  "the bitmap changed past the answer or on a refusal");
}

static void expect_up(struct step *st)
{
	switch (st->op) {
	case DP_UP_IRQ_SET: expect_irq(st); return;
	case DP_UP_RX_READY: return;
	case DP_UP_LOG: return;
	case DP_UP_BOOTED: return;
	case DP_UP_POWEROFF:
	case DP_UP_RESET:
	case DP_UP_PANIC: st->violation = !vm.hosts[st->dev].trusted; return;
	case DP_UP_MMIO2_QUERY:
		if (st->a1 != DP_NO_BITMAP && st->a1 > DEVPROC_BITMAP) {
			st->violation = true;
			return;
		}
		/* fall through */
	case DP_UP_MMIO2_MAP:
	case DP_UP_MMIO2_UNMAP:
	case DP_UP_MMIO2_TRACK:
	case DP_UP_MMIO2_MARK: st->violation = own_region(st) < 0; return;
	}
	st->violation = true; /* an op wisp does not know */
}

/* A trusted power's stop: poweroff's status (0..63, else 67), a reboot
 * 80, a panic 68: never a status the guest could choose. */
static int power_code(const struct step *st)
{
	if (st->op == DP_UP_RESET)
		return WISP_EXIT_GUEST_REBOOT;
	if (st->op == DP_UP_PANIC)
		return WISP_EXIT_GUEST_PANIC;
	return st->a0 <= WISP_EXIT_GUEST_MAX ? (int)st->a0 : WISP_EXIT_GUEST_RANGE;
}

static bool is_power(uint32_t op)
{
	return op == DP_UP_POWEROFF || op == DP_UP_RESET || op == DP_UP_PANIC;
}

/* Whether wisp gives up on the step's request and abandons its process:
 * a late child's trapped access while the VM stops (`stopped`: a call
 * served in the wait stopped it). An early answer ends the wait first. */
static bool abandoned(const struct step *st, bool stopped)
{
	return st->late && st->patient && (st->stopping || stopped);
}

static void check_stop(const struct step *st, int rc)
{
	bool power = !st->violation && is_power(st->op);
	bool dead = atomic_load(&st->h->proc->dead);

	if (st->violation) {
		mon_check(mon_stop_code == WISP_EXIT_SANDBOX && rc < 0,
			  "a protocol violation did not stop the VM (79)");
		mon_check(atomic_load(&st->h->proc->dead), "a violator is not dead");
	} else if (power) {
		mon_check(mon_stops == 1 && mon_stop_code == power_code(st),
			  "a trusted power stopped with the wrong status");
		mon_check(dead == abandoned(st, true),
			  "a trusted power's process abandoned, or an access "
			  "waited on while the VM stops");
	} else {
		mon_check(!mon_stops, "an allowed request stopped the VM");
		mon_check(dead == abandoned(st, false),
			  "an allowed request's process abandoned, or an access "
			  "waited on while the VM stops");
	}
}

/* ---- log lines ------------------------------------------------------------ */

/* The child's line: the bytes after the record (p[7] bits 1-6 say how
 * many; bit 7: a whole line's worth), the rest NULs or, with p[3] bit 2,
 * no NUL at all. Returns the bytes taken from the input. */
static size_t fill_line(const struct step *st, const uint8_t *more,
			size_t left)
{
	char *line = st->s->up.line;
	size_t want = st->p[7] & 0x80 ? DEVPROC_LINE : (st->p[7] >> 1) & 0x3f;
	size_t n = left < want ? left : want;

	memset(line, st->p[3] & 4 ? 'x' : 0, DEVPROC_LINE);
	memcpy(line, more, n);
	return n;
}

/* What wisp must print for `sent`: its text up to the first NUL (255
 * bytes at most) with each control character a '?', after the instance's
 * name unless it starts with exactly that name. */
static void want_line(const struct step *st, const char *sent, char *out,
		      size_t len)
{
	char text[DEVPROC_LINE];
	const char *name = vm.devs[st->dev].name;
	size_t n = strlen(name);

	memcpy(text, sent, sizeof(text));
	text[sizeof(text) - 1] = '\0';
	for (char *c = text; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	bool named = !strncmp(text, name, n) && text[n] == ':';
	snprintf(out, len, "wisp: %.*s%s%s", named ? 0 : (int)n,
		 name, named ? "" : ": ", text);
}

/* Printed (unless the rate limit or the level holds it back) as one line
 * of the instance's own: at most its line and two counts of dropped ones
 * (the instance's, all devices'), the line last. */
static void check_log(const struct step *st, const char *sent, int rc)
{
	char want[MON_LOG_LINE_MAX + 1];

	mon_check(rc == 0, "a log line was refused");
	mon_check(mon_log.lines <= 3, "a log up-call printed more than a line");
	if (st->a0 == LOG_DEBUG)
		mon_check(!mon_log.lines, "a debug line passed the threshold");
	if (!mon_log.lines)
		return;
	want_line(st, sent, want, sizeof(want));
	mon_check(!strcmp(mon_log.last, want),
		  "a log line is not what was sent, or not the instance's");
}

/* The record's up-call in the page, posted or left in another state;
 * its line's bytes come from the input (returned: how many). */
static size_t up_post(struct step *st, const uint8_t *more, size_t left,
		      char *sent)
{
	struct dp_shm *s = st->s;
	size_t used = st->op == DP_UP_LOG ? fill_line(st, more, left) : 0;

	st->up_state = st->p[3] & 0xc0 ? DP_UP_POSTED : st->p[3] & 3;
	s->up.op = st->op;
	s->up.a0 = st->a0;
	s->up.a1 = st->a1;
	s->up.a2 = st->a2;
	s->up.rc = RC_UNSET;
	memcpy(sent, s->up.line, DEVPROC_LINE);
	for (unsigned i = 0; i < DEVPROC_BITMAP / 8; i++)
		s->bitmap[i] = CANARY;
	vm.console.pend_len = st->p[7] & 1;
	atomic_store(&s->up_state, st->up_state);
	return used;
}

/* Nothing was served: the call is as the child left it. */
static void check_unserved(const struct step *st, uint64_t rx)
{
	mon_check(st->s->up.rc == RC_UNSET &&
		  atomic_load(&st->s->up_state) == st->up_state && !mon_stops &&
		  !mon_n_kvm && !rx && !mon_log.lines,
		  "a call was served that was not posted or not asked");
}

/* After wisp had its chance to serve the posted call (by the loop, or
 * while it waited for an answer). */
static void check_served(struct step *st, const char *sent)
{
	struct dp_shm *s = st->s;
	uint64_t rx = mon_eventfd_take(vm.rxready_fd);

	if (st->up_state != DP_UP_POSTED) {
		check_unserved(st, rx);
		mon_check(atomic_load(&st->h->proc->dead) ==
			  (st->was_dead || abandoned(st, false)),
			  "a process abandoned, or an access waited on while "
			  "the VM stops");
		return;
	}
	mon_check(atomic_load(&s->up_state) == DP_UP_DONE, "a call not answered");
	int rc = s->up.rc;
	if (st->was_dead) {
		mon_check(rc == -EPIPE && !mon_stops && !mon_n_kvm && !rx &&
			  !mon_log.lines, "a dead process was served");
		return;
	}
	expect_up(st);
	check_stop(st, rc);
	mon_check(mon_n_kvm == (st->violation ? 0 : st->n_kvm),
		  "KVM saw a different number of line changes");
	check_irq(st);
	mon_check(rx == (st->op == DP_UP_RX_READY && st->dev == SB &&
			 vm.console.pend_len), "rx_ready woke the console wrongly");
	if (st->op >= DP_UP_MMIO2_MAP && st->op <= DP_UP_MMIO2_MARK)
		check_mmio2(st, rc);
	if (st->op == DP_UP_LOG)
		check_log(st, sent, rc);
	if (st->op == DP_UP_BOOTED)
		mon_check(rc == 0 && atomic_load(&vm.booted),
			  "a guest-boot report was refused or lost");
	check_bitmap(st, rc);
}

static size_t fuzz_up(struct step *st, const uint8_t *more, size_t left)
{
	char sent[DEVPROC_LINE];
	size_t used = up_post(st, more, left, sent);

	devproc_serve_up(st->h);
	check_served(st, sent);
	return used;
}

/* ---- answers to wisp's requests ----------------------------------------- */

/* The "child" has answered already: the next request's ack is posted. */
static void preanswer(struct step *st)
{
	atomic_store(&st->s->down_ack, st->h->proc->seq + 1);
	atomic_store(&st->s->child_sleeping, 0);
}

/* A late child posts the record's up-call (or leaves it unposted) before
 * it answers, and answers only once wisp sleeps on the bell (the futex
 * hook): wisp serves the call while it waits (dp_wait), as it does for a
 * device that raises its line from an access. */
static struct devproc *late_proc;
static uint64_t late_val; /* its answer to a read, a count for input */

/* wisp sleeps only when the answer has not come: a late child's. */
static void late_answer(void)
{
	mon_check(late_proc != NULL, "wisp slept on a request already answered");
	late_proc->shm->down.val = late_val;
	atomic_store(&late_proc->shm->down_ack, late_proc->seq);
	late_proc = NULL;
}

/* Before a request: the answer is there already, or will come late. */
static size_t answer(struct step *st, const uint8_t *more, size_t left)
{
	atomic_store(&st->s->child_sleeping, 0);
	if (!st->late) {
		preanswer(st);
		return 0;
	}
	size_t used = up_post(st, more, left, st->sent);
	atomic_store(&st->s->down_ack, st->h->proc->seq); /* not this one */
	late_proc = st->h->proc;
	late_val = st->a2;
	return used;
}

/* After it: whether the request was answered (a late child's call may
 * have ended it), its call checked as the loop's would be. */
static bool answered(struct step *st)
{
	late_proc = NULL;
	if (!st->late) {
		mon_check(!mon_stops, "an answered request stopped the VM");
		return !st->was_dead;
	}
	if (st->was_dead) /* refused before the wait: nothing served */
		check_unserved(st, mon_eventfd_take(vm.rxready_fd));
	else
		check_served(st, st->sent);
	return !atomic_load(&st->h->proc->dead);
}

static size_t fuzz_io(struct step *st, const uint8_t *more, size_t left)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	unsigned size = sizes[st->p[3] & 3];
	bool w = st->p[1] & 2;
	uint8_t *data = malloc(size); /* exactly the access: ASan sees past it */

	mon_check(data != NULL, "malloc");
	memcpy(data, &st->a1, size);
	st->patient = true;
	size_t used = answer(st, more, left);
	if (w) { /* a late child leaves a write's value as wisp put it */
		late_val = 0;
		memcpy(&late_val, data, size);
	}
	st->s->down.val = st->a2; /* stale: wisp writes the request over it */
	devproc_io(st->h, st->p[2] & 1, st->a0, data, size, w);
	bool ok = answered(st);
	struct dp_shm *s = st->s;
	if (!st->was_dead)
		mon_check(s->down.op == (w ? DP_IO_WRITE : DP_IO_READ) &&
			  s->down.addr == st->a0 && s->down.size == size &&
			  (!w || !memcmp(&s->down.val, data, size)),
			  "the request page does not hold the access");
	/* an early answer came before the request: the page's val is wisp's 0 */
	uint64_t want = st->late ? st->a2 : 0;
	if (!w && ok)
		mon_check(!memcmp(data, &want, size), "a read is not the answer");
	for (unsigned i = 0; !w && !ok && i < size; i++)
		mon_check(data[i] == 0xff, "an unanswered read is not all ones");
	free(data);
	return used;
}

static size_t fuzz_chr_rx(struct step *st, const uint8_t *more, size_t left)
{
	size_t len = (size_t)(st->a1 % (2 * DEVPROC_DATA + 1));
	uint8_t *buf = malloc(len ? len : 1);

	mon_check(buf != NULL, "malloc");
	memset(buf, st->p[7], len);
	size_t used = answer(st, more, left);
	st->s->down.val = st->a2; /* the child's count (a late one writes it again) */
	size_t n = dp_chr_rx(&vm.devs[st->dev], buf, len);
	size_t given = len < DEVPROC_DATA ? len : DEVPROC_DATA;
	if (!answered(st))
		mon_check(n == len, "input to a dead process is not dropped");
	else
		mon_check(n == (st->a2 < given ? st->a2 : given) &&
			  st->s->down.len == given,
			  "console input taken beyond what was given");
	free(buf);
	return used;
}

/* The screen wisp accepts, by the documented limits (devices/dev.h). */
static bool screen_ok(const struct dp_display *r)
{
	if (!r->width || r->width > DEV_DISPLAY_MAX_W || !r->height ||
	    r->height > DEV_DISPLAY_MAX_H || r->n_rects > DEV_DISPLAY_RECTS)
		return false;
	for (unsigned i = 0; i < r->n_rects; i++) {
		const struct dev_rect *x = &r->rects[i];
		if (x->x0 > x->x1 || x->x1 > r->width || x->y0 > x->y1 ||
		    x->y1 > r->height)
			return false;
	}
	return true;
}

static int display_want(const struct dp_display *r)
{
	if (r->rc < 0)
		return r->rc < -4095 ? -EIO : r->rc;
	return screen_ok(r) ? 0 : -EIO;
}

static void check_display(const struct step *st, const struct dp_display *r,
			  int rc, const struct dev_display *out)
{
	if (st->was_dead) {
		mon_check(rc == -EPIPE && !mon_stops, "a dead process was asked");
		return;
	}
	bool bad = r->rc >= 0 && !screen_ok(r);
	mon_check(rc == display_want(r), "a screenshot's outcome is wrong");
	mon_check(bad ? mon_stop_code == WISP_EXIT_SANDBOX : !mon_stops,
		  "an out-of-bounds screen did not stop the VM, or a good one did");
	if (out && rc == 0)
		mon_check(out->width == r->width && out->height == r->height &&
			  out->n_rects == r->n_rects && !out->pixels &&
			  !memcmp(out->rects, r->rects, sizeof(r->rects)),
			  "the screenshot report is not the child's");
}

/* The child's answer follows the record; short input reads as zeros. */
static size_t fuzz_display(struct step *st, const uint8_t *more, size_t left)
{
	struct dp_display r = { 0 };
	struct dev_display out;
	size_t n = left < sizeof(r) ? left : sizeof(r);

	memcpy(&r, more, n);
	memcpy(st->s->down.data, &r, sizeof(r));
	preanswer(st);
	/* wisp's display device is sb: the whole path, and the line it prints */
	if (st->p[1] & 4 && st->dev == SB) {
		screenshot_take(&vm, "fuzz");
		check_display(st, &r, st->was_dead ? -EPIPE : display_want(&r),
			      NULL);
	} else {
		check_display(st, &r, devproc_display(st->h, &out), &out);
	}
	return n;
}

/* ---- driver ------------------------------------------------------------- */

static struct step decode(const uint8_t *p)
{
	unsigned dev = p[1] & 1 ? ST : SB;
	struct step st = { .p = p, .dev = dev, .h = &vm.hosts[dev] };

	st.s = st.h->proc->shm;
	st.was_dead = atomic_load(&st.h->proc->dead);
	st.stopping = atomic_load(&vm.stopping);
	st.late = p[1] & 8;
	/* 0, DP_UP_BOOTED + 1 and 0xffffff.. are unknown ops (the modulus
	 * predates DP_UP_BOOTED: the corpus keeps its meaning) */
	st.op = p[2] < 0xf0 ? p[2] % (DP_UP_LOG + 2)
	      : p[2] == 0xf0 ? DP_UP_BOOTED + 1 : 0xffffff00u | p[2];
	bool small = st.op == DP_UP_IRQ_SET || st.op == DP_UP_POWEROFF ||
		     st.op == DP_UP_LOG;
	/* a line, a status or a level: mostly small; a handle: mostly real */
	if (small && !(p[4] & 0x80))
		st.a0 = p[4] & (st.op == DP_UP_LOG ? 7 : 0x1f);
	else if (st.op >= DP_UP_MMIO2_MAP && st.op <= DP_UP_MMIO2_MARK)
		st.a0 = pick_handle(p[4], raw32(p + 8));
	else
		st.a0 = pick(p[4], raw32(p + 8));
	st.a1 = st.op == DP_UP_IRQ_SET && !(p[5] & 0x80) ? p[5] & 3
							 : pick(p[5], raw32(p + 12));
	st.a2 = pick(p[6], raw32(p + 8) ^ raw32(p + 12));
	return st;
}

/* One record (and what it carries); returns the bytes used. */
static size_t run_step(const uint8_t *p, size_t left)
{
	struct step st = decode(p);
	size_t used = REC;

	mon_step_begin();
	switch (p[0] % 8) {
	case 4: used += fuzz_io(&st, p + REC, left - REC); break;
	case 5: used += fuzz_chr_rx(&st, p + REC, left - REC); break;
	case 6: used += fuzz_display(&st, p + REC, left - REC); break;
	default: used += fuzz_up(&st, p + REC, left - REC);
	}
	mon_check(!mon_stops || st.was_dead || atomic_load(&st.h->proc->dead) ||
		  mon_stop_code != WISP_EXIT_SANDBOX, "a sandbox stop left it alive");
	mon_check_map(&vm.mem.map);
	const struct gmap_range *g = gmap_find(&vm.mem.map, OTHER_GPA, 0);
	mon_check(g && g->owner == &vm.devs[OTHER] && g->gpa == OTHER_GPA,
		  "the other device's region moved");
	mon_check(mon_log.longest <= MON_LOG_LINE_MAX && !mon_log.bad_char,
		  "a log line is too long or holds a control character");
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	mon_run(data, size, REC, run_step);
	return 0;
}
