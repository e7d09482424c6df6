/*
 * fuzz/hvt_fuzz.c - libFuzzer target for the hvt device with both back
 * ends: port accesses of every size around [0x500, 0x50c) with values that
 * are GPAs of argument structs the input plants in guest memory, and the
 * net ring (guest-visible memory ends at FZ_RING, the ring starts there;
 * the worker runs after every op over whatever the input planted). The
 * disk and a tap are fakes; the tap always has a frame to read.
 * Invariants: a HALT status is 0..255, a frame written fits the tap, the
 * worker returns (ASan checks every bound).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_hlp.h"
/* the worker runs after every op: spinning for work finds none */
#define RING_SPINS 4
#include "hvt.c"
#include "hvt_block.c"
#include "hvt_net.c"

#define FZ_DISK 4096
#define FZ_RING 0x4000

static void hvt_check(struct fuzz_host *h, struct dev_ins *ins,
		      const struct fuzz_op *op, void *ctx)
{
	struct fuzz_file *tap = fuzz_file_of(h, ins, 2);

	if (h->poweroff_calls &&
	    (h->poweroff_status < 0 || h->poweroff_status > 255))
		fuzz_fail("HALT status %d", h->poweroff_status);
	if (tap->tx_len > FUZZ_FRAME_MAX)
		fuzz_fail("tap frame of %zu bytes", tap->tx_len);
	if (!tap->rx_len) {
		memset(tap->rx, 0x5a, 64);
		tap->rx_len = 64;
	}
	fuzz_worker_run(h, ins);
}

static void fz_manifest(struct mft *m)
{
	memset(m, 0, MFT_SIZE(3));
	m->version = MFT_VERSION;
	m->entries = 3;
	m->e[0].type = MFT_RESERVED_FIRST;
	strcpy(m->e[1].name, "disk");
	m->e[1].type = MFT_DEV_BLOCK_BASIC;
	m->e[1].u.block_basic.capacity = FZ_DISK;
	m->e[1].u.block_basic.block_size = 512;
	m->e[1].attached = 1;
	strcpy(m->e[2].name, "net0");
	m->e[2].type = MFT_DEV_NET_BASIC;
	m->e[2].attached = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	static uint64_t mftbuf[MFT_SIZE(3) / 8 + 1];
	static uint8_t disk[FZ_DISK];
	struct mft *m = (struct mft *)mftbuf;
	struct hvt_dev_cfg cfg = { .mem_size = FZ_RING, .mft = m,
				   .ring_gpa = FZ_RING };
	struct dev_ins *ins;
	const struct fuzz_target t = {
		.pio_base = HVT_PIO_BASE, .pio_span = 12, .check = hvt_check,
	};

	fz_manifest(m);
	fuzz_host_init(&h);
	h.next_blob_key = HVT_BLOB;
	h.next_blob = &cfg;
	h.next_blob_len = sizeof(cfg);
	if (fuzz_dev_create(&h, &dev_reg_hvt, true, NULL, &ins) < 0)
		fuzz_fail("hvt: %s", h.err);
	fuzz_dev_attach_waitset(&h, ins);
	if (fuzz_dev_attach_file(&h, ins, 1, disk, FZ_DISK, false) < 0 ||
	    fuzz_dev_attach_file(&h, ins, 2, NULL, 0, true) < 0)
		fuzz_fail("hvt: attaching files");
	fuzz_run(&h, ins, &t, data, size);
	fuzz_host_fini(&h);
	return 0;
}
