/*
 * fuzz/rtc_fuzz.c - libFuzzer target for the CMOS clock. Checked after
 * every op against a model and libc:
 *  - a time register read while SET is off decodes (in B's mode) to
 *    gmtime_r's field of the host time plus the device's offset, and the
 *    date stays within the chip's years (0..9999, then it wraps);
 *  - RAM bytes (everything but the clock and A-D) read what was written,
 *    the index port reads what was written (NMI bit included), D is 0x80,
 *    A's low bits are what was written and UIP only in a second's last
 *    244 us;
 *  - IRQF is exactly "a flag under its enable", and IRQ 8 is high
 *    exactly while IRQF is set; PF never sets.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_hlp.h"
#include "rtc.c"

struct rtc_model {
	uint8_t ram[CMOS_SIZE];
	uint8_t index, a;
};

static bool is_ram(unsigned idx)
{
	return idx > R_D ? idx != R_CENTURY : idx == R_SEC_ALARM ||
		idx == R_MIN_ALARM || idx == R_HOUR_ALARM;
}

static unsigned model_dec(uint8_t b, bool binary)
{
	return binary ? b : (b >> 4) * 10 + (b & 0x0f);
}

static unsigned tm_field(const struct tm *tm, unsigned idx, bool h24)
{
	long long y = tm->tm_year + 1900ll;

	switch (idx) {
	case R_SEC: return (unsigned)tm->tm_sec;
	case R_MIN: return (unsigned)tm->tm_min;
	case R_HOUR:
		if (h24)
			return (unsigned)tm->tm_hour;
		return (tm->tm_hour % 12 ? tm->tm_hour % 12 : 12) |
		       (tm->tm_hour >= 12 ? HOUR_PM : 0);
	case R_WDAY: return (unsigned)tm->tm_wday + 1;
	case R_MDAY: return (unsigned)tm->tm_mday;
	case R_MON: return (unsigned)tm->tm_mon + 1;
	case R_YEAR: return (unsigned)(y % 100);
	default: return (unsigned)(y / 100 % 100);
	}
}

static void check_time_read(struct fuzz_host *h, const struct rtc *r,
			    unsigned idx, uint8_t got)
{
	time_t t = (time_t)((h->walltime_ns + h->now_ns) / NS_PER_S) +
		   (time_t)r->offset_s;
	bool bin = r->cmos[R_B] & B_DM, h24 = r->cmos[R_B] & B_24H;
	struct tm tm;
	unsigned want, v;

	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 10099)
		fuzz_fail("guest time %lld out of the chip's years", (long long)t);
	want = tm_field(&tm, idx, h24);
	v = idx == R_HOUR && !h24 ? (got & HOUR_PM) | model_dec(got & 0x7f, bin)
				  : model_dec(got, bin);
	if (v != want)
		fuzz_fail("register 0x%x read 0x%x (%u), libc says %u", idx, got,
			  v, want);
}

static void check_data_read(struct fuzz_host *h, const struct rtc *r,
			    struct rtc_model *m, uint8_t got)
{
	unsigned idx = m->index & 0x7f;
	uint32_t frac = (uint32_t)((h->walltime_ns + h->now_ns) % NS_PER_S);

	if (is_ram(idx) && got != m->ram[idx])
		fuzz_fail("RAM 0x%x read 0x%x, wrote 0x%x", idx, got,
			  m->ram[idx]);
	if (idx == R_D && got != D_VRT)
		fuzz_fail("D read 0x%x", got);
	if (idx == R_A && ((got & 0x7f) != m->a ||
			   ((got & A_UIP) && frac < NS_PER_S - UIP_NS)))
		fuzz_fail("A read 0x%x at %u ns into the second", got, frac);
	if (is_time_reg(idx) && !(r->cmos[R_B] & B_SET))
		check_time_read(h, r, idx, got);
}

/* The model walks a claimed access byte by byte as the device does. */
static void model_access(struct fuzz_host *h, const struct rtc *r,
			 struct rtc_model *m, const struct fuzz_op *op)
{
	bool wr = op->kind == FUZZ_OP_PIO_W;

	for (unsigned i = 0; i < op->size; i++) {
		uint8_t b = (uint8_t)(op->val >> (8 * i));
		bool data = op->addr + i == RTC_PORT + 1;
		unsigned idx = m->index & 0x7f;
		if (wr && !data)
			m->index = b;
		else if (wr && is_ram(idx))
			m->ram[idx] = b;
		else if (wr && idx == R_A)
			m->a = b & 0x7f;
		else if (!wr && !data && b != m->index)
			fuzz_fail("index read 0x%x, wrote 0x%x", b, m->index);
		else if (!wr && data)
			check_data_read(h, r, m, b);
	}
}

static void rtc_check(struct fuzz_host *h, struct dev_ins *ins,
		      const struct fuzz_op *op, void *ctx)
{
	const struct rtc *r = ins->priv;
	uint8_t c = r->cmos[R_C];
	bool irqf = c & r->cmos[R_B] & C_FLAGS;

	if (op->rc == 0 && (op->kind == FUZZ_OP_PIO_W ||
			    op->kind == FUZZ_OP_PIO_R))
		model_access(h, r, ctx, op);
	if (!!(c & C_IRQF) != irqf || (c & 0x4f))
		fuzz_fail("C 0x%02x with B 0x%02x", c, r->cmos[R_B]);
	if (h->irqs[RTC_IRQ].level != irqf)
		fuzz_fail("IRQ 8 %s with C 0x%02x",
			  h->irqs[RTC_IRQ].level ? "high" : "low", c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_host h;
	struct rtc_model m = { .a = 0x26 };
	struct dev_ins *ins;
	const struct fuzz_target t = {
		.pio_base = RTC_PORT, .pio_span = 2,
		.check = rtc_check, .ctx = &m,
	};

	fuzz_host_init(&h);
	h.walltime_ns = 1709251198ull * NS_PER_S; /* 2024-02-29 23:59:58 */
	if (fuzz_dev_create(&h, &dev_reg_rtc, false, NULL, &ins) < 0)
		fuzz_fail("rtc: %s", h.err);
	fuzz_run(&h, ins, &t, data, size);
	fuzz_host_fini(&h);
	return 0;
}
