/*
 * fuzz/fuzz_hlp.h - the third implementation of struct dev_hlp: no KVM, no
 * threads, everything recorded so a test or a fuzz target can look at it.
 *
 * Guest RAM is a buffer at gpa 0. Port-I/O and MMIO ranges, interrupt lines
 * and timers are owned and checked by wisp's own checks (devices/hlp_check.h,
 * monitor/devhost/hlp_common.h), so a device that behaves here behaves
 * there. What the
 * fake adds: every instance gets its own console, whose output is captured
 * and whose input the test feeds; the clock is a number the test moves
 * (wisp "started" at 0, so uptime_ns is that number too);
 * the trusted powers only record what was asked.
 *
 * Console output can be made to fill up (fuzz_chr_room) for a device that
 * applies flow control (chr_set_tx).
 *
 * Console input follows the monitor's flow control: input a device does not
 * take is held, and offered again only after the device calls chr_rx_ready,
 * once the call into the device has returned (the monitor's event loop does
 * the same from another thread).
 */
#ifndef WISP_FUZZ_HLP_H
#define WISP_FUZZ_HLP_H

#include "fuzz_core.h"
#include "fuzz_file.h"

/* Zero the host; RAM is zeroed, the clock starts at 0. */
void fuzz_host_init(struct fuzz_host *h);
/* Destroy every instance left. */
void fuzz_host_fini(struct fuzz_host *h);

/* A unit test's fixture: a heap host (first member, so a fixture pointer is
 * also a host pointer) and, when reg is given, one instance of it with no
 * options. fuzz_fixture_new returns NULL on failure. */
struct fuzz_fixture {
	struct fuzz_host h;
	struct dev_ins *ins;
};
struct fuzz_fixture *fuzz_fixture_new(const struct dev_reg *reg, bool trusted);
void fuzz_fixture_free(struct fuzz_fixture *f);
/* cmocka setup/teardown: *state is a fixture with no device. */
int fuzz_fixture_setup_empty(void **state);
int fuzz_fixture_teardown(void **state);

/*
 * Create and construct one instance of `reg` with the trusted or untrusted
 * table. `spec` is a `--device` spec naming reg, parsed by dev_parse_spec
 * (the registry linked in must contain reg); NULL means no options, and reg
 * need not be registered. The instance index is the count of
 * live instances of reg. Returns 0 and *out, or -errno: -EINVAL (spec, see
 * h->err), -EBUSY (max_instances or no slot), -EPERM (trusted requested for
 * a registration without DEV_F_TRUSTABLE), or construct's own error, after
 * which everything the instance had registered is released.
 */
int fuzz_dev_create(struct fuzz_host *h, const struct dev_reg *reg,
		    bool trusted, const char *spec, struct dev_ins **out);
/* A registration with no behaviour of its own ("probe"): an instance a
 * test drives a library with (the virtqueue) through the table's RAM. */
extern const struct dev_reg fuzz_probe_reg;
/* Destruct, release its ranges/irqs/timers/console, free priv. */
void fuzz_dev_destroy(struct fuzz_host *h, struct dev_ins *ins);
/* The reset op, as the monitor would call it. */
void fuzz_dev_reset(struct fuzz_host *h, struct dev_ins *ins);
/* Hand a file to the next instance fuzz_dev_create makes, before its
 * construct (a pollable one gives it the wait set too). -ENOSPC past
 * FUZZ_STAGED_MAX, -EINVAL for a bad key. */
int fuzz_stage_file(struct fuzz_host *h, unsigned key, uint8_t *disk,
		    size_t size, bool pollable);

/*
 * A guest access, dispatched like monitor/kvm/exit.c io_dispatch: the whole
 * access must fall in one range; the value is cut to `size` bytes both ways.
 * Unclaimed: reads give all ones, writes are dropped, -ENOENT. A size other
 * than 1, 2, 4, 8: -EINVAL. Returns 0 when a device took it.
 */
int fuzz_io(struct fuzz_host *h, enum dev_space space, uint64_t addr,
	    unsigned size, bool is_write, uint64_t *val);
uint64_t fuzz_pio_read(struct fuzz_host *h, uint64_t port, unsigned size);
void fuzz_pio_write(struct fuzz_host *h, uint64_t port, unsigned size,
		    uint64_t val);
uint64_t fuzz_mmio_read(struct fuzz_host *h, uint64_t gpa, unsigned size);
void fuzz_mmio_write(struct fuzz_host *h, uint64_t gpa, unsigned size,
		     uint64_t val);

/* A guest write into an MMIO2 region (or other mapped memory), logged as
 * KVM's dirty log would log it. 0 or -EFAULT. */
int fuzz_guest_write(struct fuzz_host *h, uint64_t gpa, const void *buf,
		     size_t len);

/* Console output: ins may write `room` more bytes (FUZZ_ROOM_ANY: no
 * limit, the default) before the console is full, as a slow reader leaves
 * it in wisp; room > 0 calls the tx callback a refused write is owed, as
 * wisp's loop does once the output fd has room. */
#define FUZZ_ROOM_ANY SIZE_MAX
void fuzz_chr_room(struct fuzz_host *h, struct dev_ins *ins, size_t room);



/* --- the fake PCI bus (see struct fuzz_pci) --- */

/* ins's function, or NULL when it registered none. */
struct fuzz_pci *fuzz_pci_of(struct fuzz_host *h, struct dev_ins *ins);
/* Where BAR `bar` of ins's function is, or 0. */
uint64_t fuzz_pci_bar(struct fuzz_host *h, struct dev_ins *ins, unsigned bar);
/* The guest moves BAR `bar` to gpa (aligned to its size): its range and
 * doorbell follow, as wisp re-registers them. 0, -EINVAL (no such BAR,
 * misaligned), -EEXIST (overlap). */
int fuzz_pci_move_bar(struct fuzz_host *h, struct dev_ins *ins, unsigned bar,
		      uint64_t gpa);
/* MSI-X enable (on: pending unmasked vectors are sent now). 0 or -EPERM. */
int fuzz_msix_enable(struct fuzz_host *h, struct dev_ins *ins, bool on);
/* Mask or unmask one vector (unmasking sends it if pending). 0, -EPERM,
 * -EINVAL (vector out of range). */
int fuzz_msix_mask(struct fuzz_host *h, struct dev_ins *ins, unsigned vec,
		   bool masked);

/* --- the op-stream interpreter the fuzz targets share --- */

enum fuzz_op_kind {
	FUZZ_OP_PIO_W,  /* A, value: A>>6 = log2 size, A&63 = window offset */
	FUZZ_OP_PIO_R,  /* A */
	FUZZ_OP_MMIO_W, /* A, u16 offset, value */
	FUZZ_OP_MMIO_R, /* A, u16 offset */
	FUZZ_OP_INPUT,  /* n (mod 64), n bytes of console input */
	FUZZ_OP_CLOCK,  /* u32 ns to advance (op val: the ns) */
	FUZZ_OP_RESET,
	FUZZ_OP_MEM,    /* u16 gpa, n, n bytes written into guest RAM */
	FUZZ_OP_TIMER,  /* id: fire that timer now (spurious or not) */
	FUZZ_OP_COUNT,
};

struct fuzz_op {
	enum fuzz_op_kind kind;
	enum dev_space space;
	uint64_t addr;
	unsigned size;
	uint64_t val; /* written, or what the read returned */
	int rc;       /* fuzz_io's result */
};

/* Accesses land in [base - 4, base + span + 4) for PIO and
 * [base - 8, base + span + 8) for MMIO, so range edges are hit too. */
struct fuzz_target {
	uint64_t pio_base, pio_span;
	uint64_t mmio_base, mmio_span; /* span 0: no MMIO ops */
	/* Called after every op; aborts on a broken invariant. */
	void (*check)(struct fuzz_host *h, struct dev_ins *ins,
		      const struct fuzz_op *op, void *ctx);
	void *ctx;
};

/* Run the ops encoded in data (first byte % FUZZ_OP_COUNT is the kind, then
 * its operands, little-endian; missing bytes read as 0). */
void fuzz_run(struct fuzz_host *h, struct dev_ins *ins,
	      const struct fuzz_target *t, const uint8_t *data, size_t len);


#endif
