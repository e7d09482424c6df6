/*
 * fuzz/exit_target.c - libFuzzer target for exit dispatch (monitor/kvm/exit.c):
 * port and MMIO exits of every size (valid and not), rep counts and data
 * offsets as a broken or hostile kvm_run could hold them, aimed at the
 * edges of adjacent, top-of-space and ROM ranges. Four recording devices
 * own the ranges. Invariants, checked against a linear scan of the known
 * ranges after every exit: an access wholly inside one range reaches that
 * device once with the right offset, size and direction; an access that
 * straddles ranges or hits none reaches no device and reads all ones; an
 * exit whose size or data area is impossible (past the mapping, or inside
 * kvm_run's own header, where it could rewrite the exit) stops the VM
 * (internal error) and touches nothing; nothing outside the kvm_run
 * mapping is touched (ASan).
 * Input: 16-byte records (kind, size code, direction, count, address,
 * data offset, data byte).
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/exitcode.h"
#include "core/vm.h"
#include "kvm/kvm.h"

const struct dev_entry dev_registry[] = { { 0 } };
const size_t dev_registry_len = 0;

#define NDEV 4
#define RUN_SIZE 8192u /* the header page and KVM's data page */
#define REC 16

struct range {
	enum dev_space space;
	uint64_t base, len;
	unsigned dev;
};

static const struct range ranges[] = {
	{ DEV_SPACE_PIO, 0x0, 0x4, 0 },      { DEV_SPACE_PIO, 0x4, 0x4, 1 },
	{ DEV_SPACE_PIO, 0xfff8, 0x8, 2 },   { DEV_SPACE_PIO, 0x3f8, 0x8, 3 },
	{ DEV_SPACE_MMIO, 0xd0000000, 0x1000, 0 },
	{ DEV_SPACE_MMIO, 0xd0001000, 0x1000, 1 },
	{ DEV_SPACE_MMIO, 0xfee00000 - 0x1000, 0x1000, 2 },
	{ DEV_SPACE_MMIO, 0x100000000ull - 0x1000, 0x1000, 3 },
};
#define NRANGES (sizeof(ranges) / sizeof(ranges[0]))
#define ROM_GPA 0xfe000000ull

struct call {
	int dev;
	uint64_t off;
	unsigned size;
	bool write;
};
#define MAX_CALLS 16

static struct vm vm;
static struct dev_ins ins[NDEV];
static struct dev_host host[NDEV];
static struct kvm_run *run;
static struct call calls[MAX_CALLS]; /* this exit's device calls */
static unsigned ncalls;
static int stop_code;

void vm_request_stop(struct vm *m, int code, const char *why)
{
	stop_code = code;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "exit_target: invariant broken: %s\n", what);
		abort();
	}
}

static uint64_t pattern(unsigned dev, uint64_t off)
{
	return 0x1122334455667788ull ^ ((uint64_t)dev << 56) ^ off;
}

static void record(struct dev_ins *d, uint64_t off, unsigned size, bool w)
{
	check(ncalls < MAX_CALLS, "more device calls than the exit's accesses");
	calls[ncalls++] = (struct call){ (int)(d - ins), off, size, w };
}

static uint64_t rec_read(struct dev_ins *d, void *opaque, uint64_t off,
			 unsigned size)
{
	record(d, off, size, false);
	return pattern((unsigned)(d - ins), off);
}

static void rec_write(struct dev_ins *d, void *opaque, uint64_t off,
		      unsigned size, uint64_t val)
{
	record(d, off, size, true);
}

static const struct dev_io_ops rec_ops = { .read = rec_read, .write = rec_write };

static void add_range(const struct range *r)
{
	struct dev_ins *o = &ins[r->dev];
	char err[128];

	if (r->space == DEV_SPACE_PIO) {
		struct iobus_range nr = { r->base, r->len, o, &rec_ops, NULL };
		check(iobus_insert(&vm.pio, &nr, NULL) == 0, "iobus_insert");
	} else {
		check(mem_mmio_add(&vm.mem, r->base, r->len, o, "rec", &rec_ops,
				   NULL, err, sizeof(err)) == 0, "mem_mmio_add");
	}
}

static void setup(void)
{
	static const uint8_t rom[16] = { 0xea };

	iobus_init(&vm.pio, "port", 0x10000);
	mem_init_empty(&vm.mem);
	vm.unclaimed_rl = (struct ratelimit)RATELIMIT_INIT(5);
	for (unsigned i = 0; i < NDEV; i++) {
		pthread_mutex_init(&host[i].lock, NULL);
		host[i].ins = &ins[i];
		ins[i].host = &host[i];
	}
	for (unsigned i = 0; i < NRANGES; i++)
		add_range(&ranges[i]);
	check(mem_rom_add(&vm.mem, ROM_GPA, rom, sizeof(rom), "rom", NULL, 0) == 0,
	      "mem_rom_add");
	run = malloc(RUN_SIZE); /* exactly the page KVM maps: ASan sees past it */
	check(run != NULL, "malloc");
}

/* The one range wholly holding [a, a+size) in space, or NULL. */
static const struct range *owner_of(enum dev_space s, uint64_t a, unsigned size)
{
	for (unsigned i = 0; i < NRANGES; i++) {
		const struct range *r = &ranges[i];
		if (r->space == s && a >= r->base && a - r->base < r->len &&
		    size <= r->len - (a - r->base))
			return r;
	}
	return NULL;
}

/* Access i of this exit against the model: the owner's call i, or (no
 * owner) no call and all ones read. *next counts the calls used. */
static void check_access(enum dev_space s, uint64_t a, unsigned size, bool w,
			 const uint8_t *data, unsigned *next)
{
	const struct range *r = owner_of(s, a, size);

	if (!r) {
		for (unsigned i = 0; !w && i < size; i++)
			check(data[i] == 0xff, "an unclaimed read is not all ones");
		return;
	}
	check(*next < ncalls, "an access inside a range reached no device");
	const struct call *c = &calls[(*next)++];
	check(c->dev == (int)r->dev, "an access reached the wrong device");
	check(c->off == a - r->base && c->size == size && c->write == w,
	      "wrong offset, size or direction");
	uint64_t want = pattern(r->dev, a - r->base);
	check(w || !memcmp(data, &want, size), "read data is not the device's");
}

static void fuzz_io(const uint8_t *p)
{
	static const unsigned sizes[] = { 1, 2, 4, 3, 0, 8 };
	unsigned size = sizes[p[1] % 6], count = p[3] % 9;
	uint16_t port, off;
	bool w = p[2] & 1;

	memcpy(&port, p + 4, 2);
	memcpy(&off, p + 12, 2);
	run->exit_reason = KVM_EXIT_IO;
	run->io = (typeof(run->io)){ .direction = w ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN,
				     .size = (uint8_t)size, .port = port,
				     .count = count, .data_offset = off };
	bool sane = (size == 1 || size == 2 || size == 4) &&
		    off >= sizeof(struct kvm_run) && off <= RUN_SIZE &&
		    (uint64_t)count * size <= RUN_SIZE - off;
	stop_code = -1;
	ncalls = 0;
	if (sane)
		memset((uint8_t *)run + off, p[14], (size_t)count * size);
	bool cont = exit_dispatch(&vm.vcpus[0]);
	check(cont == sane, "an impossible port exit did not stop, or a sane one did");
	check(sane || (stop_code == WISP_EXIT_INTERNAL && !ncalls),
	      "an impossible port exit reached a device or did not stop");
	unsigned next = 0;
	for (unsigned i = 0; sane && i < count; i++) /* a rep exit: count accesses */
		check_access(DEV_SPACE_PIO, port, size, w,
			     (uint8_t *)run + off + i * size, &next);
	check(next == ncalls, "a device got an access the guest did not make");
}

static uint64_t mmio_addr(const uint8_t *p)
{
	static const uint64_t bases[] = { 0xd0000000, 0xd0001000, 0xd0002000,
		0xfee00000 - 0x1000, 0xfee00000, 0x100000000ull - 0x1000,
		0x100000000ull, ROM_GPA, 0 };
	uint64_t raw;

	memcpy(&raw, p + 4, 8);
	if (p[2] & 0x80)
		return raw; /* anywhere, overflow included */
	return bases[raw % 9] + ((raw >> 8) & 0x1f) - 0x10;
}

static void fuzz_mmio(const uint8_t *p)
{
	static const unsigned lens[] = { 1, 2, 4, 8, 3, 0, 16 };
	unsigned len = lens[p[1] % 7], next = 0;
	bool w = p[2] & 1, sane = len == 1 || len == 2 || len == 4 || len == 8;
	uint64_t a = mmio_addr(p);

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = a;
	run->mmio.len = len;
	run->mmio.is_write = w;
	memset(run->mmio.data, p[14], sizeof(run->mmio.data));
	stop_code = -1;
	ncalls = 0;
	check(exit_dispatch(&vm.vcpus[0]) == sane, "MMIO exit outcome");
	if (sane)
		check_access(DEV_SPACE_MMIO, a, len, w, run->mmio.data, &next);
	else
		check(stop_code == WISP_EXIT_INTERNAL,
		      "an impossible MMIO exit did not stop");
	check(next == ncalls, "a device got an access the guest did not make");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		setup();
		ready = true;
	}
	vm.vcpus[0] = (struct vcpu){ .vm = &vm, .fd = -1, .run = run,
				     .run_size = RUN_SIZE };
	for (size_t off = 0; size - off >= REC; off += REC) {
		const uint8_t *p = data + off;
		if (p[0] & 1)
			fuzz_mmio(p);
		else
			fuzz_io(p);
	}
	return 0;
}
