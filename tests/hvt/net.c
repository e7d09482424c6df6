/*
 * tests/hvt/net.c - network device "net0": echoes every frame of the local
 * experimental EtherType 0x88b5 back with the MAC addresses swapped (other
 * frames, e.g. the host's IPv6 chatter, are dropped), until "rounds=N"
 * were echoed (default 10) or POLL waited "idle=MS" with nothing (default
 * 5000, then exit 2). Bad requests get EINVAL: a bad handle, an oversized
 * frame.
 */
#include "hvtlib.h"

HVT_MANIFEST(1, MFT_NET("net0"));

static uint8_t frame[2048];

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

int hvt_main_test(void)
{
	unsigned h = hvt_handle("net0");
	const struct mft *m = (const struct mft *)(uintptr_t)hvt_bi->mft;
	uint64_t rounds = cmd_u64("rounds", 10), idle = cmd_u64("idle", 5000);

	CHECK(h == 1 && m->e[h].attached && m->e[h].u.net_basic.mtu >= 576);
	bad_requests(h);
	hvt_puts("net ready, mtu ");
	hvt_putdec(m->e[h].u.net_basic.mtu);
	hvt_puts("\n");
	for (uint64_t done = 0; done < rounds;) {
		uint64_t ready, len = sizeof(frame);
		int rc = hvt_net(false, h, frame, &len);
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
		CHECK(hvt_net(true, h, frame, &len) == HVT_R_OK);
		done++;
	}
	hvt_puts("net echoed ");
	hvt_putdec(rounds);
	hvt_puts(" frames\n");
	return 0;
}
