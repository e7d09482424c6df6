/*
 * fuzz/devhlp_target.c - libFuzzer target for wisp's real helper tables
 * (monitor/devhost/devhlp.c) and host-file layer (devhost/devfile.c): arbitrary
 * call sequences from an untrusted instance (u) and a trusted one (t),
 * while a third (o) holds a port range, an MMIO range, an interrupt line,
 * a mapped MMIO2 region and a host file the first two must never reach.
 * KVM is mon_harness.c's recording fake. Invariants, after every call: a
 * call succeeds exactly when the model says it may (ranges: valid space,
 * inside the space, no overlap, during construction; lines: free, not the
 * cascade; guest memory: wholly inside RAM; MMIO2: the caller's own handle,
 * spans inside the region; files: keys the caller was given, writes
 * refused to a read-only one, the size each had when attached, sync on
 * any key given, no fallocate in wisp's tables, watches
 * on pollable ones during construction, one per key; the console's input and output callbacks: one owner
 * each; PCI: a function description is refused as malformed exactly when
 * it breaks dev.h's rules, and, with no bus yet, every function and
 * vector is refused), and every refusal returns an error; KVM sees only the caller's own lines and
 * doorbells inside the caller's own ranges; the port bus and the
 * guest-physical map never hold an overlap; o's ranges, line, region
 * (where it was, its bytes) and file stay o's and unchanged; log lines
 * are single bounded lines, and those a running device can cause are
 * rate-limited; only a trusted power stops the VM, with its own status
 * (poweroff's, reboot 80, panic 68).
 * Input: 16-byte records (call, caller and flags (bits 6-7: how the raw
 * address is taken), two selectors, raw words);
 * a log, dev_find, vm_fault or config record is followed by its text, a
 * pci_register record by PCI_DESC bytes describing the function.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "mon_harness.h"

const struct dev_entry dev_registry[] = { { 0 } };
const size_t dev_registry_len = 0;

#define REC 16
#define RAM_SIZE (1u << 20)
#define PIO_LIMIT 0x10000
enum { U, T, O, NDEV };
#define O_PIO 0x60
#define O_MMIO 0xd0000000ull
#define O_MMIO2 0xd0100000ull
#define O_GSI 6
#define U_KEY 3
#define U_RO_KEY 4 /* given to u read-only: wisp refuses its writes */
#define O_KEY 5
#define T_POLL_KEY 7 /* a pipe's read end, in t's wait set */
#define T_PIPE_KEY 8 /* its write end */
#define FILE_BYTES 64
#define MAX_LEN 16384 /* the largest buffer a call is given */
#define BLOB_KEY "manifest"

static const struct dev_reg regs[NDEV] = { { .name = "u" }, { .name = "t" },
					   { .name = "o" } };
static const uint8_t blob[8] = "blobdata";
static struct vm vm;
static int o_region, stop_fd, rxready_fd, null_fd;
static uint64_t watched[NDEV]; /* the model's watches: bit k, key k */
static uint8_t o_pattern[4096];

static uint64_t rd(struct dev_ins *ins, void *o, uint64_t off, unsigned sz)
{
	return 0;
}

static const struct dev_io_ops ops = { .read = rd };

static void timer_fn(struct dev_ins *ins, void *opaque)
{
}

static void bell_fn(struct dev_ins *ins, void *opaque, uint64_t n)
{
}

static void worker_fn(struct dev_ins *ins, void *opaque)
{
}

static void tx_fn(struct dev_ins *ins)
{
}

static size_t rx_fn(struct dev_ins *ins, const uint8_t *buf, size_t len)
{
	return len;
}

/* ---- the VM: fds once, everything a call can change per input ---------- */

static int memfd_with(const char *name, uint8_t fill)
{
	uint8_t b[FILE_BYTES];
	int fd = memfd_create(name, MFD_CLOEXEC);

	memset(b, fill, sizeof(b));
	mon_check(fd >= 0 && pwrite(fd, b, sizeof(b), 0) == sizeof(b), "memfd");
	return fd;
}

static void attach_once(void)
{
	int p[2];

	mon_log_capture();
	stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rxready_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	mon_check(stop_fd >= 0 && rxready_fd >= 0 && null_fd >= 0 &&
		  pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0, "fds");
	vm.stop_fd = stop_fd;
	dev_attach_waitset(&vm, "t");
	dev_attach_file(&vm, "u", 0, U_KEY, memfd_with("u", 0x11), 0);
	dev_attach_file(&vm, "u", 0, U_RO_KEY, memfd_with("ro", 0x33),
			DEVFILE_RO);
	dev_attach_file(&vm, "o", 0, O_KEY, memfd_with("o", 0x22), 0);
	dev_attach_file(&vm, "t", 0, T_POLL_KEY, p[0], DEVFILE_POLL);
	dev_attach_file(&vm, "t", 0, T_PIPE_KEY, p[1], 0);
	dev_attach_blob(&vm, "u", BLOB_KEY, blob, sizeof(blob));
	memset(o_pattern, 0x5c, sizeof(o_pattern));
}

/* What the last input left: its fds closed, files and pipe as at start. */
static void release(void)
{
	for (unsigned d = 0; d < NDEV; d++) {
		struct dev_host *h = &vm.hosts[d];
		for (unsigned i = 0; i < h->n_timers; i++)
			close(h->timers[i].fd);
		for (unsigned i = 0; i < h->n_ioevents; i++)
			close(h->ioevents[i].fd);
	}
	close(FD_DOORBELL);
	uint8_t b[4096];
	while (read(vm.hosts[T].files[T_POLL_KEY], b, sizeof(b)) > 0)
		;
	int u = vm.hosts[U].files[U_KEY];
	mon_check(ftruncate(u, FILE_BYTES) == 0 && lseek(u, 0, SEEK_SET) == 0,
		  "reset u's file");
	iobus_free(&vm.pio);
	mem_destroy(&vm.mem);
}

static void add_device(unsigned d)
{
	struct dev_host *h = &vm.hosts[d];

	vm.devs[d].reg = &regs[d];
	vm.devs[d].host = h;
	vm.devs[d].hlp = devhlp_table(d == T, false);
	snprintf(vm.devs[d].name, sizeof(vm.devs[d].name), "%s.0", regs[d].name);
	h->vm = &vm;
	h->ins = &vm.devs[d];
	h->trusted = d == T;
	h->constructed = false;
	h->irqs = 0;
	h->n_timers = h->n_ioevents = 0;
	h->has_doorbell = false;
	h->n_watches = 0;
	memset(h->watches, 0, sizeof(h->watches));
	h->watch_live = false;
	watched[d] = 0;
	h->worker = NULL;
	h->chr = d == O ? NULL : &vm.console;
	h->rl = (struct ratelimit)RATELIMIT_INIT(5);
}

/* o's resources, claimed through its own table as its construct would. */
static void build_o(void)
{
	struct dev_ins *o = &vm.devs[O];
	const struct dev_hlp *t = o->hlp;

	mon_check(t->io_register(o, DEV_SPACE_PIO, O_PIO, 8, &ops, NULL) == 0 &&
		  t->io_register(o, DEV_SPACE_MMIO, O_MMIO, 0x1000, &ops, NULL) == 0 &&
		  t->irq_claim(o, O_GSI) == 0, "o's ranges");
	o_region = t->mmio2_create(o, sizeof(o_pattern), DEV_MMIO2_TRACK);
	mon_check(o_region >= 0 && t->mmio2_map(o, o_region, O_MMIO2) == 0 &&
		  t->mmio2_write(o, o_region, 0, o_pattern, sizeof(o_pattern)) == 0,
		  "o's region");
	vm.hosts[O].constructed = true;
}

static void setup(void)
{
	static bool once;

	if (once)
		release();
	vm.cfg = NULL;
	vm.vm_fd = MON_VM_FD;
	vm.kvm_fd = MON_KVM_FD;
	vm.n_devs = NDEV;
	vm.n_timers = vm.n_ioevents = 0;
	atomic_store(&vm.stopping, false);
	vm.console = (struct chr){ .out_fd = -1, .in_fd = -1 };
	iobus_init(&vm.pio, "port", PIO_LIMIT);
	mon_check(mem_init(&vm.mem, RAM_SIZE) == 0, "mem_init");
	for (unsigned d = 0; d < NDEV; d++)
		add_device(d);
	if (!once)
		attach_once();
	once = true;
	vm.rxready_fd = rxready_fd;
	vm.console.out_fd = null_fd;
	build_o();
}

/* ---- one call ------------------------------------------------------------ */

struct call {
	const uint8_t *p;
	unsigned d;               /* the caller: U or T */
	struct dev_ins *ins;
	struct dev_host *h;
	const struct dev_hlp *t;
	uint64_t a;               /* raw words, picked */
	uint32_t b;
	const uint8_t *text;      /* what follows the record */
	size_t text_len;
	bool rate_limited;        /* its lines pass the guest limit */
};

static uint64_t raw64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* An address as a hostile device would choose it: raw, or near an edge
 * (the raw word's low bytes say which edge and how near). */
static uint64_t pick(unsigned mode, uint64_t raw)
{
	static const uint64_t edges[] = { O_PIO, O_MMIO, O_MMIO2, RAM_SIZE,
		PIO_LIMIT, MEM_HOLE_START, GMAP_LIMIT, 0 };
	uint64_t edge = edges[(raw >> 8) % 8];
	int64_t near = (int8_t)(raw & 0xff);

	switch (mode % 4) {
	case 0: return raw;
	case 1: return edge + (uint64_t)near;
	case 2: return edge + ((uint64_t)near << 12);
	default: return ~0ull - (raw & 0xfff);
	}
}

static unsigned pick_len(uint8_t sel, uint32_t raw)
{
	static const unsigned lens[] = { 0, 1, 2, 4, 8, 3, 4096, 8192 };

	return sel & 0x80 ? raw % (MAX_LEN + 1) : lens[sel % 8];
}

static int pick_handle(uint8_t sel)
{
	static const int odd[] = { -1, MEM_MAX_MMIO2, MEM_MAX_MMIO2 - 1, 1 << 30 };

	if (sel & 0x80)
		return odd[sel % 4];
	return sel & 0x40 ? o_region : (int)(sel % MEM_MAX_MMIO2);
}

/* ---- models ------------------------------------------------------------- */

static bool pio_free(uint64_t base, uint64_t len)
{
	for (size_t i = 0; i < vm.pio.n; i++)
		if (base < vm.pio.r[i].base + vm.pio.r[i].len &&
		    vm.pio.r[i].base < base + len)
			return false;
	return true;
}

static bool map_free(uint64_t base, uint64_t len)
{
	for (size_t i = 0; i < vm.mem.map.n; i++) {
		const struct gmap_range *r = &vm.mem.map.r[i];
		if (base < r->gpa + r->size && r->gpa < base + len)
			return false;
	}
	return true;
}

static bool range_ok(enum dev_space s, uint64_t base, uint64_t len)
{
	uint64_t limit = s == DEV_SPACE_PIO ? PIO_LIMIT : GMAP_LIMIT;

	if (!len || base + len < base || base + len > limit)
		return false;
	return s == DEV_SPACE_PIO ? pio_free(base, len) : map_free(base, len);
}

static void do_io_register(struct call *c)
{
	enum dev_space s = (enum dev_space)(c->p[2] % 3);
	uint64_t len = c->p[3] & 0x80 ? c->b : (uint64_t)1 << (c->p[3] % 16);
	const struct dev_io_ops *o = c->p[1] & 2 ? NULL : &ops;
	bool want = s <= DEV_SPACE_MMIO && o && !c->h->constructed &&
		    range_ok(s, c->a, len);

	int rc = c->t->io_register(c->ins, s, c->a, len, o, NULL);
	mon_check(want ? rc == 0 : rc < 0, "io_register outcome");
}

/* The caller's own range of space s starting exactly at base. */
static bool owns_at(struct dev_ins *ins, enum dev_space s, uint64_t base)
{
	if (s == DEV_SPACE_PIO) {
		for (size_t i = 0; i < vm.pio.n; i++)
			if (vm.pio.r[i].base == base)
				return vm.pio.r[i].owner == ins;
		return false;
	}
	const struct gmap_range *g = gmap_find(&vm.mem.map, base, 0);
	return g && g->gpa == base && g->kind == GMAP_MMIO && g->owner == ins;
}

static void do_io_unregister(struct call *c)
{
	enum dev_space s = (enum dev_space)(c->p[2] % 3);
	bool want = s <= DEV_SPACE_MMIO && !c->h->constructed &&
		    owns_at(c->ins, s, c->a);

	int rc = c->t->io_unregister(c->ins, s, c->a);
	mon_check(want ? rc == 0 : rc < 0, "io_unregister outcome");
}

static bool gsi_taken(unsigned gsi)
{
	for (unsigned d = 0; d < NDEV; d++)
		if (vm.hosts[d].irqs & (1u << gsi))
			return true;
	return false;
}

static void do_irq(struct call *c)
{
	unsigned gsi = c->p[3] & 0x80 ? c->b : c->p[3] % 32;

	if (c->p[2] & 1) {
		bool want = gsi < VM_NR_GSI && gsi != 2 && !c->h->constructed &&
			    !gsi_taken(gsi);
		int rc = c->t->irq_claim(c->ins, gsi);
		mon_check(want ? rc == 0 : rc < 0, "irq_claim outcome");
		return;
	}
	enum dev_irq_level l = (enum dev_irq_level)(c->p[2] >> 1 & 3);
	bool own = gsi < VM_NR_GSI && (c->h->irqs & (1u << gsi));
	int rc = c->t->irq_set(c->ins, gsi, l);
	mon_check(own && l <= DEV_IRQ_PULSE ? rc == 0 : rc < 0, "irq_set outcome");
	mon_check(mon_n_kvm == (rc ? 0u : l == DEV_IRQ_PULSE ? 2u : 1u),
		  "irq_set reached KVM a different number of times");
}

static void do_mem(struct call *c)
{
	size_t len = pick_len(c->p[3], c->b);
	uint8_t *buf = malloc(len ? len : 1); /* exactly len: ASan sees past */
	bool want = c->a < RAM_SIZE && len <= RAM_SIZE - c->a;

	mon_check(buf != NULL, "malloc");
	memset(buf, c->p[2], len);
	int rc = c->p[1] & 2 ? c->t->mem_write(c->ins, c->a, buf, len)
			     : c->t->mem_read(c->ins, c->a, buf, len);
	mon_check(want ? rc == 0 : rc == -EFAULT, "guest memory outside RAM");
	if (rc == 0)
		mon_check(!memcmp(buf, vm.mem.base + c->a, len),
			  "guest memory and the copy differ");
	free(buf);
}

static void do_timer(struct call *c)
{
	struct dev_host *h = c->h;

	if (c->p[2] & 1) {
		bool want = !h->constructed && h->n_timers < DEV_MAX_TIMERS;
		unsigned n = h->n_timers;
		int rc = c->t->timer_create(c->ins, c->p[1] & 2 ? NULL : timer_fn,
					    NULL);
		mon_check(want && !(c->p[1] & 2) ? rc == (int)n : rc < 0,
			  "timer_create outcome");
		return;
	}
	int timer = (int8_t)c->p[3];
	int rc = c->t->timer_arm(c->ins, timer, c->a % 4000000000000ull);
	mon_check(timer >= 0 && (unsigned)timer < h->n_timers ? rc == 0 : rc < 0,
		  "timer_arm outcome");
}

/* ---- MMIO2 --------------------------------------------------------------- */

/* The region behind h if the caller may use it, else NULL. */
static const struct mem_mmio2 *own_region(const struct call *c, int h)
{
	if (h < 0 || h >= MEM_MAX_MMIO2 || !vm.mem.mmio2[h].used ||
	    vm.mem.mmio2[h].owner != c->ins)
		return NULL;
	return &vm.mem.mmio2[h];
}

static void do_mmio2_create(struct call *c)
{
	uint64_t size = c->p[3] & 0x80 ? c->a : (uint64_t)(c->p[3] % 8 + 1) << 12;
	uint32_t flags = c->p[2] & 0x80 ? c->b : c->p[2] & 1;
	int rc = c->t->mmio2_create(c->ins, size, flags);

	if (c->h->constructed || (flags & ~DEV_MMIO2_TRACK) || !size ||
	    size & 0xfff || size > MEM_MMIO2_MAX)
		mon_check(rc < 0, "a bad mmio2_create succeeded");
	if (rc >= 0)
		mon_check(own_region(c, rc) && vm.mem.mmio2[rc].size == size,
			  "a created region is not the caller's");
}

static void do_mmio2_map(struct call *c)
{
	int h = pick_handle(c->p[3]);
	const struct mem_mmio2 *r = own_region(c, h);
	bool was_mapped = r && r->mapped;

	if (c->p[2] & 1) {
		int rc = c->t->mmio2_unmap(c->ins, h);
		mon_check(r && was_mapped ? rc == 0 : rc < 0, "mmio2_unmap outcome");
		return;
	}
	bool want = r && !was_mapped && !(c->a & 0xfff) &&
		    range_ok(DEV_SPACE_MMIO, c->a, r->size);
	int rc = c->t->mmio2_map(c->ins, h, c->a);
	mon_check(want ? rc == 0 : rc < 0, "mmio2_map outcome");
}

static void do_mmio2_query(struct call *c)
{
	int h = pick_handle(c->p[3]);
	const struct mem_mmio2 *r = own_region(c, h);
	bool tracked = r && (r->flags & MEM_MMIO2_F_TRACK);

	if (c->p[2] & 1) {
		int rc = c->t->mmio2_track(c->ins, h, c->p[2] & 2);
		mon_check(tracked ? rc == 0 : rc < 0, "mmio2_track outcome");
		return;
	}
	size_t bytes = c->p[2] & 2 ? 0 : pick_len(c->p[2] >> 2, c->b) & ~7u;
	uint64_t *bm = bytes ? malloc(bytes) : NULL;
	int rc = c->t->mmio2_query(c->ins, h, bm, bytes);
	bool want = tracked && (!bm || bytes == dev_mmio2_bitmap_bytes(r->size));
	mon_check(want ? rc == 0 : rc < 0, "mmio2_query outcome");
	free(bm);
}

static void do_mmio2_rw(struct call *c)
{
	int h = pick_handle(c->p[3]);
	const struct mem_mmio2 *r = own_region(c, h);
	size_t len = pick_len(c->p[2], c->b);
	uint64_t off = c->p[1] & 4 ? c->a : c->a & 0x3fff;
	uint8_t *buf = malloc(len ? len : 1);
	bool want = r && off <= r->size && len <= r->size - off;

	mon_check(buf != NULL, "malloc");
	memset(buf, 0xa5, len);
	int rc = c->p[1] & 2 ? c->t->mmio2_write(c->ins, h, off, buf, len)
			     : c->t->mmio2_read(c->ins, h, off, buf, len);
	mon_check(want ? rc == 0 : rc < 0, "mmio2 read/write outcome");
	free(buf);
}

/* ---- log, files, doorbells, console, config ------------------------------ */

static void do_log(struct call *c)
{
	c->t->log(c->ins, (enum dev_log_level)(c->p[2] % 5), "%.*s",
		  (int)c->text_len, (const char *)c->text);
	c->rate_limited = true;
}

static int key_of(const struct call *c)
{
	static const unsigned keys[] = { U_KEY, O_KEY, T_POLL_KEY, T_PIPE_KEY,
					 U_RO_KEY, DEV_FILE_KEYS, 63, ~0u };

	return (int)keys[c->p[3] % 8];
}

static bool given(const struct call *c, unsigned key)
{
	return key < DEV_FILE_KEYS && (c->h->file_keys >> key & 1);
}

static void do_file(struct call *c)
{
	unsigned key = (unsigned)key_of(c);
	size_t len = pick_len(c->p[2], c->b);
	uint64_t off = c->p[1] & 4 ? c->a : c->a % 0x10000;
	uint8_t *buf = malloc(len ? len : 1);
	long rc;

	mon_check(buf != NULL, "malloc");
	memset(buf, 0x77, len);
	unsigned op = c->p[1] >> 3 & 3;
	switch (op) {
	case 0: rc = c->t->file_pread(c->ins, key, buf, len, off); break;
	case 1: rc = c->t->file_pwrite(c->ins, key, buf, len, off); break;
	case 2: rc = c->t->file_read(c->ins, key, buf, len); break;
	default: rc = c->t->file_write(c->ins, key, buf, len);
	}
	mon_check(given(c, key) ? rc != -EPERM : rc == -EPERM,
		  "a file call reached a key the caller was not given");
	if (given(c, key) && key == U_RO_KEY && op % 2)
		mon_check(rc == -EBADF, "a write to a read-only file not refused");
	mon_check(rc <= (long)len, "a file call moved more than its buffer");
	free(buf);
}

/* What file_size must say: the size the file had when it was attached
 * (the memfds' FILE_BYTES; a pipe is no regular file: 0). */
static uint64_t attached_size(unsigned key)
{
	return key == T_POLL_KEY || key == T_PIPE_KEY ? 0 : FILE_BYTES;
}

static void do_file_size(struct call *c, unsigned key)
{
	uint64_t size = ~0ull;
	int rc = c->t->file_size(c->ins, key, &size);

	mon_check(given(c, key) ? rc == 0 && size == attached_size(key)
				: rc == -EPERM && size == ~0ull,
		  "file_size of a key not given, or not its attached size");
}

/* A watch: a callback, during construction, on a pollable key the caller
 * was given, once per key and DEV_MAX_WATCHES per instance. */
static void do_file_watch(struct call *c, unsigned key)
{
	dev_notify_fn fn = c->p[1] & 2 ? NULL : bell_fn;
	int rc = c->t->file_watch(c->ins, key, fn, NULL), want = 0;
	uint64_t *w = &watched[c->d];

	if (!fn || c->h->constructed)
		want = -EINVAL;
	else if (!given(c, key) || key != T_POLL_KEY)
		want = -EPERM;
	else if ((*w >> key & 1) ||
		 __builtin_popcountll(*w) >= DEV_MAX_WATCHES)
		want = -EBUSY;
	mon_check(rc == want, "file_watch's outcome");
	if (rc == 0)
		*w |= 1ull << key;
}

/* On or off: the caller's own watch only; the state follows. */
static void do_file_watch_set(struct call *c, unsigned key)
{
	bool on = c->p[1] & 2, mine = key < 64 && (watched[c->d] >> key & 1);
	int rc = c->t->file_watch_set(c->ins, key, on);

	mon_check(mine ? rc == 0 : rc == -EPERM, "file_watch_set's outcome");
	for (unsigned i = 0; rc == 0 && i < c->h->n_watches; i++)
		mon_check(c->h->watches[i].key != key || c->h->watches[i].on == on,
			  "a watch's state does not follow file_watch_set");
}

/* file_sync on any key given (a pipe may refuse it, never -EPERM);
 * file_punch/file_zero: wisp's own tables have no fallocate, so a given
 * writable key is -EOPNOTSUPP, a read-only one -EBADF. */
static void do_file_sync_falloc(struct call *c, unsigned key, unsigned op)
{
	int rc = op == 0 ? c->t->file_sync(c->ins, key)
		 : op == 1 ? c->t->file_punch(c->ins, key, c->a, c->b)
			   : c->t->file_zero(c->ins, key, c->a, c->b);

	if (!given(c, key))
		mon_check(rc == -EPERM, "a sync/fallocate reached a key not given");
	else if (op == 0)
		mon_check(rc != -EPERM, "file_sync refused a key given");
	else
		mon_check(rc == (key == U_RO_KEY ? -EBADF : -EOPNOTSUPP),
			  "fallocate inside wisp, or on a read-only file");
}

static void do_file_meta(struct call *c)
{
	unsigned key = (unsigned)key_of(c);

	switch (c->p[2] % 6) {
	case 0: do_file_size(c, key); return;
	case 1: do_file_watch(c, key); return;
	case 2: do_file_watch_set(c, key); return;
	}
	do_file_sync_falloc(c, key, c->p[2] % 6 - 3);
}

static int pipe_bytes(void)
{
	int n = 0;

	mon_check(ioctl(vm.hosts[T].files[T_POLL_KEY], FIONREAD, &n) == 0,
		  "FIONREAD");
	return n;
}

static void do_poll(struct call *c)
{
	uint64_t ready = ~0ull;
	bool data = pipe_bytes() > 0;
	int rc = c->t->file_poll(c->ins, c->b % 20000, &ready); /* <= 20 us */

	if (!c->h->has_waitset) {
		mon_check(rc == -EPERM && !ready, "a poll without a wait set");
		return;
	}
	bool stopping = atomic_load(&vm.stopping);
	mon_check(rc == 0 && ready == (data && !stopping ? 1ull << T_POLL_KEY : 0),
		  "a poll reported what is not ready, or missed it");
}

/* A doorbell KVM got lies inside a range the caller registered. */
static void check_doorbells(const struct call *c)
{
	for (unsigned i = 0; i < mon_n_kvm; i++) {
		if (mon_kvm[i].req != KVM_IOEVENTFD)
			continue;
		struct io_target t;
		enum dev_space s = mon_kvm[i].pio ? DEV_SPACE_PIO : DEV_SPACE_MMIO;
		mon_check(io_find(&vm, s, mon_kvm[i].addr, mon_kvm[i].len, &t) &&
			  t.owner == c->ins,
			  "a doorbell outside the caller's own ranges");
	}
}

static void do_doorbell(struct call *c)
{
	enum dev_space s = (enum dev_space)(c->p[2] % 3);
	unsigned len = c->p[3] % 10;
	struct io_target t;
	bool own = s <= DEV_SPACE_MMIO && (len == 1 || len == 2 || len == 4 ||
					   len == 8) && !c->h->constructed &&
		   io_find(&vm, s, c->a, len, &t) && t.owner == c->ins;
	bool room, reg = c->p[1] & 2;
	int rc;

	if (reg) {
		room = c->h->n_ioevents < DEV_MAX_IOEVENTS;
		rc = c->t->ioevent_register(c->ins, s, c->a, len, bell_fn, NULL);
	} else {
		room = fcntl(FD_DOORBELL, F_GETFD) < 0; /* one per VM */
		rc = c->t->doorbell_create(c->ins, s, c->a, len);
	}
	mon_check(own && room ? rc == 0 : rc < 0, "doorbell outcome");
	mon_check(mon_n_kvm == (rc == 0), "a doorbell KVM did not get");
	check_doorbells(c);
}

static void do_doorbell_wait(struct call *c)
{
	int bell = c->p[3] & 0x80 ? (int)c->b : c->p[3] % 2;
	uint64_t one = 1;
	bool mine = c->h->has_doorbell && bell == 0;

	if (mine) /* rung first: the wait returns at once */
		mon_check(write(FD_DOORBELL, &one, sizeof(one)) == sizeof(one),
			  "ring");
	int rc = c->t->doorbell_wait(c->ins, bell);
	int want = atomic_load(&vm.stopping) ? -ECANCELED : 0;
	mon_check(rc == (mine ? want : -EPERM), "doorbell_wait outcome");
}

static void do_worker(struct call *c)
{
	bool want = !c->h->constructed && !c->h->worker && !(c->p[2] & 1);
	int rc = c->t->worker_start(c->ins, c->p[2] & 1 ? NULL : worker_fn, NULL);

	mon_check(want ? rc == 0 : rc < 0, "worker_start outcome");
}

/* The output callback: during construction, one owner per console. */
static void do_chr_tx(struct call *c)
{
	struct dev_ins *owner = vm.console.tx_owner;
	dev_chr_tx_fn fn = c->p[3] & 1 ? NULL : tx_fn;
	int rc = c->t->chr_set_tx(c->ins, fn);

	if (!fn || c->h->constructed)
		mon_check(rc == -EINVAL, "chr_set_tx with no callback or late");
	else
		mon_check(!owner || owner == c->ins ? rc == 0 : rc == -EBUSY,
			  "console output taken from its owner");
	mon_check(vm.console.tx_owner == (rc == 0 ? c->ins : owner),
		  "chr_set_tx's owner does not follow its answer");
}

static void do_chr(struct call *c)
{
	struct chr *k = &vm.console;
	struct dev_ins *owner = k->rx_owner;

	switch (c->p[2] % 4) {
	case 0: /* /dev/null takes all, waiting or not (chr_set_tx) */
		mon_check(c->t->chr_write(c->ins, c->text, c->text_len) ==
			  (long)c->text_len, "console output not whole");
		return;
	case 1: {
		int rc = c->t->chr_set_rx(c->ins, rx_fn);
		mon_check(!owner || owner == c->ins ? rc == 0 : rc == -EBUSY,
			  "console input taken from its owner");
		return;
	}
	case 2: do_chr_tx(c); return;
	}
	k->pend_len = c->p[3] & 1;
	c->t->chr_rx_ready(c->ins);
	mon_check(mon_eventfd_take(rxready_fd) == (owner == c->ins && k->pend_len),
		  "rx_ready woke the console for a device that does not own it");
}

static void do_cfg(struct call *c)
{
	char key[32];
	const void *p = NULL;
	size_t len = 0;

	snprintf(key, sizeof(key), "%.*s", (int)c->text_len, (const char *)c->text);
	int rc = c->t->cfg_blob(c->ins, key, &p, &len);
	bool want = c->d == U && !strcmp(key, BLOB_KEY);
	mon_check(want ? rc == 0 && p == blob && len == sizeof(blob)
		       : rc == -ENOENT, "cfg_blob handed out what is not the caller's");
}

/* ---- PCI ------------------------------------------------------------------- */

#define PCI_DESC 32 /* the bytes after a pci_register record */

static const struct dev_io_ops *pci_ops(uint8_t d)
{
	return d & 0x20 ? &ops : NULL;
}

/* A BAR's size: none, below the minimum, each power of two up to past
 * the maximum, or one that is no power of two. */
static uint64_t pci_size(uint8_t d)
{
	unsigned code = d & 0x1f;

	if (!code)
		return 0;
	return code == 0x1f ? DEV_PCI_BAR_MIN * 3 : 1ull << (code + 6);
}

/* A doorbell's offset near its BAR's edges, aligned or not. */
static uint64_t pci_bell_off(uint8_t d, uint64_t size, unsigned len)
{
	switch (d >> 4 & 7) {
	case 0: return 0;
	case 1: return size - len;
	case 2: return size;
	case 3: return len / 2 + 1;
	case 4: return size - 1;
	case 5: return ~0ull - 7;
	default: return (uint64_t)(d & 0xf) * 8;
	}
}

/* The function the record describes; short input reads as zeros. */
static void pci_func(const uint8_t *m, struct dev_pci_func *f)
{
	*f = (struct dev_pci_func){ .vendor = m[29] & 1 ? 0xffff : 0x1af4,
				    .device = 0x1041,
				    .class_code = m[29] & 2 ? 1u << 24 : 0x020000 };
	for (unsigned i = 0; i < DEV_PCI_BARS; i++) {
		struct dev_pci_bar *b = &f->bar[i];
		b->size = pci_size(m[i]);
		b->ops = pci_ops(m[i]);
		b->bell_fn = m[i] & 0x40 ? bell_fn : NULL;
		b->bell_len = m[i] & 0x80 ? m[6 + i] & 0xf : 0;
		b->bell_off = pci_bell_off(m[12 + i], b->size, b->bell_len);
	}
	f->n_caps = m[18] & 0x80 ? ~0u : m[18] % 12;
	for (unsigned i = 0; i < DEV_PCI_CAPS; i++)
		f->caps[i].len = m[19 + i];
	f->msix_vectors = m[27];
	f->msix_bar = m[28] & 0x80 ? 1u << 31 : m[28] % 8;
}

/* dev.h's rules for a BAR: unused and bare (the MSI-X BAR is one: wisp
 * fills it), or a power-of-two size in [DEV_PCI_BAR_MIN,
 * DEV_PCI_BAR_MAX] with ops, not the MSI-X BAR, its doorbell (if any) 1,
 * 2, 4 or 8 bytes with a callback, aligned, inside. */
static bool pci_bar_ok(const struct dev_pci_func *f, unsigned i)
{
	const struct dev_pci_bar *b = &f->bar[i];
	bool msix = f->msix_vectors && f->msix_bar == i;
	unsigned l = b->bell_len;

	if (!b->size)
		return !b->ops && !l;
	if (msix || !b->ops || b->size < DEV_PCI_BAR_MIN ||
	    b->size > DEV_PCI_BAR_MAX || (b->size & (b->size - 1)))
		return false;
	if (!l)
		return true;
	return b->bell_fn && (l == 1 || l == 2 || l == 4 || l == 8) &&
	       b->bell_off % l == 0 && b->bell_off <= b->size - l;
}

static bool pci_ok(const struct dev_pci_func *f)
{
	if (f->vendor == 0xffff || f->class_code > 0xffffff ||
	    f->n_caps > DEV_PCI_CAPS || f->msix_vectors > DEV_PCI_MSIX_MAX ||
	    (f->msix_vectors && f->msix_bar >= DEV_PCI_BARS))
		return false;
	for (unsigned i = 0; i < DEV_PCI_BARS; i++)
		if (!pci_bar_ok(f, i))
			return false;
	for (unsigned i = 0; i < f->n_caps; i++)
		if (f->caps[i].len < 2 || f->caps[i].len > DEV_PCI_CAP_BYTES)
			return false;
	return true;
}

/* No bus in wisp yet: a well-formed function gets -ENODEV, a malformed
 * one -EINVAL; no vector exists to notify. */
static void do_pci(struct call *c)
{
	uint8_t m[PCI_DESC] = { 0 };
	struct dev_pci_func f;

	if (c->p[2] & 1) {
		int rc = c->t->msix_notify(c->ins, c->b);
		mon_check(rc == -EPERM || rc == -EINVAL, "msix_notify with no function");
		return;
	}
	memcpy(m, c->text, c->text_len);
	pci_func(m, &f);
	int rc = c->t->pci_register(c->ins, c->p[2] & 2 ? NULL : &f);
	bool ok = !(c->p[2] & 2) && pci_ok(&f);
	mon_check(rc == (ok ? -ENODEV : -EINVAL),
		  "pci_register's verdict on a function description");
}

/* ---- the trusted powers --------------------------------------------------- */

static void do_power(struct call *c)
{
	int status = (int)c->b;

	c->t->trusted->vm_poweroff(c->ins, status);
	mon_check(mon_stops == 1 && mon_stop_code == (status >= 0 &&
		  status <= WISP_EXIT_GUEST_MAX ? status : WISP_EXIT_GUEST_RANGE),
		  "poweroff's status");
}

static void do_find(struct call *c)
{
	char name[16];
	unsigned idx = c->p[3] % 2;
	struct dev_ins *want = NULL;

	snprintf(name, sizeof(name), "%.*s", (int)c->text_len, (const char *)c->text);
	for (unsigned d = 0; d < NDEV; d++)
		if (!strcmp(name, regs[d].name) && idx == 0)
			want = &vm.devs[d];
	mon_check(c->t->trusted->dev_find(c->ins, name, idx) == want, "dev_find");
}

static void do_ram(struct call *c)
{
	const struct dev_hlp_trusted *tr = c->t->trusted;
	uint64_t size = c->p[3] & 0x80 ? c->b : (uint64_t)(c->p[3] % 64) << 12;
	size_t bytes = c->p[2] & 2 ? dev_mmio2_bitmap_bytes(size)
				   : pick_len(c->p[2], c->b) & ~7u;

	if (c->p[2] & 1) {
		mon_check(tr->ram_track(c->ins, c->p[2] & 4) == 0, "ram_track");
		return;
	}
	bytes = bytes > MAX_LEN ? MAX_LEN : bytes;
	uint64_t *bm = malloc(bytes ? bytes : 8);
	mon_check(bm != NULL, "malloc");
	int rc = tr->ram_query(c->ins, c->a, size, bytes ? bm : NULL, bytes);
	if (c->a >= RAM_SIZE || size > RAM_SIZE - c->a)
		mon_check(rc < 0, "a RAM query outside RAM succeeded");
	free(bm);
}

/* wisp's own status, never a guest's; one line, and none once the VM
 * stops (the guest may write again before its vCPUs do). */
static void do_panic(struct call *c)
{
	bool stopping = atomic_load(&vm.stopping);

	c->t->trusted->vm_panic(c->ins);
	mon_check(mon_stops == 1 && mon_stop_code == WISP_EXIT_GUEST_PANIC &&
		  mon_log.lines == !stopping, "vm_panic's status or its line");
}

/* Only t has trusted powers; u's table has none (so u calls nothing). */
static void do_trusted(struct call *c)
{
	if (!c->t->trusted)
		return;
	switch (c->p[1] >> 3 & 7) {
	case 0: do_power(c); break;
	case 1:
		c->t->trusted->vm_reset(c->ins);
		mon_check(mon_stops == 1 && mon_stop_code == WISP_EXIT_GUEST_REBOOT,
			  "reset");
		break;
	case 2: do_find(c); break;
	case 3:
		c->t->trusted->vm_fault(c->ins, "fuzz");
		mon_check(mon_stop_code == WISP_EXIT_GUEST_ABI, "vm_fault's status");
		break;
	case 4: do_panic(c); break;
	default: do_ram(c);
	}
}

/* ---- invariants after every call ------------------------------------------ */

static void check_bus(void)
{
	for (size_t i = 0; i < vm.pio.n; i++) {
		const struct iobus_range *r = &vm.pio.r[i];
		mon_check(r->len && r->base + r->len <= PIO_LIMIT &&
			  r->base + r->len > r->base, "a port range out of the space");
		mon_check(!i || vm.pio.r[i - 1].base + vm.pio.r[i - 1].len <= r->base,
			  "the port bus holds an overlap");
	}
}

static void check_o(void)
{
	struct dev_ins *o = &vm.devs[O];
	const struct iobus_range *p = iobus_find(&vm.pio, O_PIO, 8);
	const struct gmap_range *m = gmap_find(&vm.mem.map, O_MMIO, 0x1000);
	const struct gmap_range *m2 = gmap_find(&vm.mem.map, O_MMIO2, 0x1000);
	uint8_t b[FILE_BYTES], want[FILE_BYTES];

	mon_check(p && p->owner == o && p->base == O_PIO && p->len == 8,
		  "o's port range changed");
	mon_check(m && m->owner == o && m->kind == GMAP_MMIO && m2 &&
		  m2->owner == o && m2->kind == GMAP_MMIO2 && m2->gpa == O_MMIO2,
		  "o's MMIO range or region changed");
	mon_check(!memcmp(vm.mem.mmio2[o_region].host, o_pattern,
			  sizeof(o_pattern)), "o's region was written");
	for (unsigned d = 0; d < NDEV; d++)
		mon_check(d == O || !(vm.hosts[d].irqs & (1u << O_GSI)),
			  "o's line claimed by another");
	memset(want, 0x22, sizeof(want));
	mon_check(pread(vm.hosts[O].files[O_KEY], b, sizeof(b), 0) == sizeof(b) &&
		  !memcmp(b, want, sizeof(b)), "o's file was written");
	memset(want, 0x33, sizeof(want));
	mon_check(pread(vm.hosts[U].files[U_RO_KEY], b, sizeof(b), 0) ==
		  sizeof(b) && !memcmp(b, want, sizeof(b)),
		  "a read-only file was written");
}

static void check_lines(const struct call *c)
{
	for (unsigned i = 0; i < mon_n_kvm; i++)
		mon_check(mon_kvm[i].req != KVM_IRQ_LINE ||
			  (mon_kvm[i].addr < VM_NR_GSI &&
			   (c->h->irqs & (1u << mon_kvm[i].addr))),
			  "a line the caller does not own reached KVM");
}

/* What a running device can make wisp print is held to the guest limit:
 * counted over one-second windows of our own (two of log.c's at most). */
static void check_log_rate(const struct call *c)
{
	static uint64_t start;
	static unsigned lines;
	uint64_t now = now_ns();

	mon_check(mon_log.longest <= MON_LOG_LINE_MAX && !mon_log.bad_char,
		  "a log line too long or holding a control character");
	if (!c->rate_limited || !c->h->constructed)
		return;
	if (now - start > 1000000000ull) {
		start = now;
		lines = 0;
	}
	lines += mon_log.lines;
	mon_check(lines <= 2 * (LOG_GUEST_BURST + 3),
		  "a running device floods the log");
}

static void check_after(struct call *c, unsigned kind)
{
	bool power = kind == 17 && c->d == T;

	check_bus();
	mon_check_map(&vm.mem.map);
	check_o();
	check_lines(c);
	check_log_rate(c);
	mon_check(power || !mon_stops, "only a trusted power stops the VM");
}

/* ---- driver ---------------------------------------------------------------- */

static size_t text_of(struct call *c, size_t left)
{
	size_t n = c->p[3] & 0x3f;

	if (n > left)
		n = left;
	c->text = c->p + REC;
	c->text_len = n;
	return n;
}

static size_t pci_desc(struct call *c, size_t left)
{
	c->text = c->p + REC;
	c->text_len = left < PCI_DESC ? left : PCI_DESC;
	return c->text_len;
}

static void dispatch(struct call *c, unsigned kind)
{
	switch (kind) {
	case 0: do_io_register(c); break;
	case 1: do_io_unregister(c); break;
	case 2: do_irq(c); break;
	case 3: do_mem(c); break;
	case 4: do_timer(c); break;
	case 5: do_mmio2_create(c); break;
	case 6: do_mmio2_map(c); break;
	case 7: do_mmio2_query(c); break;
	case 8: do_mmio2_rw(c); c->rate_limited = true; break;
	case 9: do_log(c); break;
	case 10: do_file(c); break;
	case 11: do_poll(c); break;
	case 12: do_doorbell(c); break;
	case 13: do_doorbell_wait(c); break;
	case 14: do_worker(c); break;
	case 15: do_chr(c); break;
	case 16: do_cfg(c); break;
	case 17: do_trusted(c); break;
	case 19: do_pci(c); break;
	case 20: do_file_meta(c); break;
	default: c->h->constructed = true; /* its construct returned */
	}
}

static size_t run_call(const uint8_t *p, size_t left)
{
	unsigned d = p[1] & 1 ? T : U, kind = p[0] % 21;
	struct call c = { .p = p, .d = d, .ins = &vm.devs[d], .h = &vm.hosts[d],
			  .t = vm.devs[d].hlp, .a = pick(p[1] >> 6, raw64(p + 4)),
			  .b = (uint32_t)(raw64(p + 8) >> 32) };
	size_t used = REC;

	if (kind == 9 || kind == 16 || kind == 17 || (kind == 15 && p[2] % 4 == 0))
		used += text_of(&c, left - REC);
	if (kind == 19 && !(p[2] & 1))
		used += pci_desc(&c, left - REC);
	mon_step_begin();
	dispatch(&c, kind);
	c.rate_limited |= kind == 6; /* a guest picks where a region goes */
	check_after(&c, kind);
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	mon_run(data, size, REC, run_call);
	return 0;
}
