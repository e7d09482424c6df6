/*
 * tests/hvt/net.c - network device "net0": echoes every frame of the local
 * experimental EtherType 0x88b5 back with the MAC addresses swapped (other
 * frames, e.g. the host's IPv6 chatter, are dropped), until the frames of
 * sequence numbers 0..N-1 of "rounds=N" were echoed (default 10; a resent
 * frame is echoed again but counted once) or POLL waited "idle=MS" with
 * nothing (default 5000, then exit 2). Bad requests get EINVAL: a bad handle, an oversized
 * frame. "loud=N": N frames the tap refuses, then a fault (see loud()).
 */
#include "hvtlib.h"

HVT_MANIFEST(1, MFT_NET("net0"));

static uint8_t frame[2048];

/* The shared net ring, when the host offers it and "noring" is not given:
 * reads are submitted and waited for, writes copied to a per-slot buffer
 * and not waited for; the kick port only when the host asks. */
static volatile struct hvt_ring *ring;
static uint8_t wbuf[HVT_RING_ENTRIES][2048];
static uint32_t ring_id;

static void ring_submit(uint32_t op, unsigned h, void *data, uint32_t len)
{
	uint32_t tail = ring->ent_tail;

	while (tail - ring->ent_head >= HVT_RING_ENTRIES - 1)
		__asm__ volatile("pause" ::: "memory");
	volatile struct hvt_ring_entry *e = &ring->entries[tail & HVT_RING_MASK];
	if (op == HVT_RING_OP_WRITE) {
		memcpy(wbuf[tail & HVT_RING_MASK], data, len);
		data = wbuf[tail & HVT_RING_MASK];
	}
	e->operation = op;
	e->handle = h;
	e->data = (uintptr_t)data;
	e->len = len;
	e->id = ++ring_id;
	__asm__ volatile("sfence" ::: "memory");
	ring->ent_tail = tail + 1;
	__asm__ volatile("mfence" ::: "memory");
	if (ring->needs_kick)
		__asm__ volatile("outl %0, %1" : : "a"(0u),
				 "Nd"((uint16_t)HVT_RING_KICK_PORT));
}

static int ring_net(bool write, unsigned h, void *buf, uint64_t *len)
{
	if (write) {
		ring_submit(HVT_RING_OP_WRITE, h, buf, (uint32_t)*len);
		return HVT_R_OK;
	}
	ring_submit(HVT_RING_OP_READ, h, buf, (uint32_t)*len);
	uint32_t head = ring->com_head;
	while (ring->com_tail == head)
		__asm__ volatile("pause" ::: "memory");
	volatile struct hvt_ring_commit *c = &ring->commits[head & HVT_RING_MASK];
	CHECK(c->id == ring_id);
	int ret = c->ret;
	*len = c->len;
	ring->com_head = head + 1;
	return ret;
}

static int net_io(bool write, unsigned h, void *buf, uint64_t *len)
{
	return ring ? ring_net(write, h, buf, len) : hvt_net(write, h, buf, len);
}

static void swap_macs(void)
{
	for (int i = 0; i < 6; i++) {
		uint8_t t = frame[i];
		frame[i] = frame[6 + i];
		frame[6 + i] = t;
	}
}

static void bad_requests(unsigned h)
{
	uint64_t len = 60;

	CHECK(hvt_net(true, h + 1, frame, &len) == HVT_R_EINVAL);
	CHECK(hvt_net(false, 0, frame, &len) == HVT_R_EINVAL);
	len = 1 << 20;
	CHECK(hvt_net(true, h, frame, &len) == HVT_R_EINVAL);
}

/* N one-byte frames the tap refuses (shorter than an Ethernet header):
 * each gets EUNSPEC and a line wisp rate-limits; then a read into memory
 * past the guest's ends the VM (74), whose line must be printed however
 * many lines came before. */
static void loud(unsigned h, uint64_t n)
{
	uint64_t len;

	for (uint64_t i = 0; i < n; i++) {
		len = 1;
		CHECK(hvt_net(true, h, frame, &len) == HVT_R_EUNSPEC);
	}
	len = sizeof(frame);
	hvt_net(false, h, (void *)(uintptr_t)hvt_bi->mem_size, &len);
	hvt_puts("still running\n");
	hvt_exit(3);
}

int hvt_main_test(void)
{
	unsigned h = hvt_handle("net0");
	const struct mft *m = (const struct mft *)(uintptr_t)hvt_bi->mft;
	uint64_t rounds = cmd_u64("rounds", 10), idle = cmd_u64("idle", 5000);

	CHECK(h == 1 && m->e[h].attached && m->e[h].u.net_basic.mtu >= 576);
	bad_requests(h);
	if (cmd_has("loud"))
		loud(h, cmd_u64("loud", 0));
	if ((hvt_bi->host_features & HVT_FEATURE_RING_IO) && hvt_bi->net_ring &&
	    !cmd_has("noring"))
		ring = (volatile struct hvt_ring *)(uintptr_t)hvt_bi->net_ring;
	hvt_puts("net ready, mtu ");
	hvt_putdec(m->e[h].u.net_basic.mtu);
	hvt_puts(ring ? ", ring\n" : ", hypercalls\n");
	for (uint64_t done = 0; done < rounds;) {
		uint64_t ready, len = sizeof(frame);
		int rc = net_io(false, h, frame, &len);
		if (rc == HVT_R_AGAIN) {
			if (hvt_poll(idle * 1000000ull, &ready) == 0)
				return 2;
			CHECK(ready == (1ull << h));
			continue;
		}
		CHECK(rc == HVT_R_OK && len >= 14);
		if (frame[12] != 0x88 || frame[13] != 0xb5)
			continue;
		swap_macs();
		CHECK(net_io(true, h, frame, &len) == HVT_R_OK);
		/* Count each sequence number once: the host resends a round
		 * whose echo is slow, and a duplicate must not end the test
		 * before the host's last round (a slow host is not a fault). */
		uint32_t seq;
		memcpy(&seq, frame + 14, sizeof(seq));
		if (len >= 18 && seq == done)
			done++;
	}
	hvt_puts("net echoed ");
	hvt_putdec(rounds);
	hvt_puts(" frames\n");
	return 0;
}
