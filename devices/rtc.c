/*
 * devices/rtc.c - the MC146818 CMOS real-time clock at ports 0x70 (index)
 * and 0x71 (data), so Linux's rtc_cmos, hwclock and the boot-time clock
 * read the host's date and time.
 *
 * The clock is the host's wall clock (walltime_ns) plus an offset in whole
 * seconds the guest sets, as on hardware and in QEMU: while register B's
 * SET bit is on the time registers hold what the guest writes; clearing SET
 * (or writing one time register while SET is off) makes those fields the
 * time. A date that does not exist (hour 25, February 30, a nibble above 9
 * in BCD) is refused with a warning and the clock keeps its time. Fields are
 * BCD or binary per B's DM bit and 24- or 12-hour per B's 24/12 bit, the
 * century at 0x32 included (Linux reads it in the same mode). Seconds tick
 * with the host's seconds; UIP (A bit 7) is on for the last 244 us of each
 * second, as the update cycle it warns of, never longer.
 *
 * Interrupts on IRQ 8: update-ended (UIE) and alarm (AIE: seconds, minutes
 * and hours with 0xC0-0xFF as "any") from a timer at each second while
 * either is enabled; C's UF and AF are kept only then (with AIE alone, UF
 * sets but does not interrupt, as on the chip). Periodic
 * interrupts (PIE) are not offered: PF never sets (Linux emulates them).
 * Reading C clears it and lowers the line. D always says the RAM is valid.
 * The other bytes of the 128 are CMOS RAM. The index port keeps bit 7 (NMI
 * mask) as written; reads of it give the byte written.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev.h"

#define RTC_PORT 0x70
#define RTC_IRQ 8
#define CMOS_SIZE 128
#define NS_PER_S 1000000000ull
#define UIP_NS 244000u /* the update cycle's warning time */

enum rtc_reg {
	R_SEC = 0x00, R_SEC_ALARM = 0x01, R_MIN = 0x02, R_MIN_ALARM = 0x03,
	R_HOUR = 0x04, R_HOUR_ALARM = 0x05, R_WDAY = 0x06, R_MDAY = 0x07,
	R_MON = 0x08, R_YEAR = 0x09, R_A = 0x0a, R_B = 0x0b, R_C = 0x0c,
	R_D = 0x0d, R_CENTURY = 0x32,
};

#define A_UIP 0x80
#define A_DV 0x70        /* divider: only 010 (32.768 kHz) runs the clock */
#define A_DV_NORMAL 0x20
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_SQWE 0x08
#define B_DM 0x04        /* 1: binary, 0: BCD */
#define B_24H 0x02
#define C_IRQF 0x80
#define C_FLAGS 0x70     /* PF AF UF, each under its enable bit in B */
#define C_AF 0x20
#define C_UF 0x10
#define D_VRT 0x80
#define HOUR_PM 0x80     /* 12-hour mode */

struct rtc_time {
	int64_t year;
	unsigned mon, mday, hour, min, sec, wday; /* wday 0 = Sunday */
};

struct rtc {
	uint8_t cmos[CMOS_SIZE];
	uint8_t index;       /* as written: bit 7 is the NMI mask */
	int64_t offset_s;    /* guest time minus host wall time */
	int timer;
	int64_t ticked_s;    /* the guest second the last tick handled */
	bool irq_high;
};

/* The time fields, in the order a snapshot and a commit walk them. */
static const uint8_t time_regs[] = {
	R_SEC, R_MIN, R_HOUR, R_WDAY, R_MDAY, R_MON, R_YEAR, R_CENTURY,
};

static bool is_time_reg(unsigned idx)
{
	for (unsigned i = 0; i < sizeof(time_regs); i++)
		if (time_regs[i] == idx)
			return true;
	return false;
}

/* ---- calendar (proleptic Gregorian, days since 1970-01-01) ---------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, struct rtc_time *t)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	t->mday = doy - (153 * mp + 2) / 5 + 1;
	t->mon = mp < 10 ? mp + 3 : mp - 9;
	t->year = (int64_t)yoe + era * 400 + (t->mon <= 2);
}

static void time_from_secs(int64_t s, struct rtc_time *t)
{
	int64_t days = (s >= 0 ? s : s - 86399) / 86400;
	int64_t rem = s - days * 86400;

	civil_from_days(days, t);
	t->hour = (unsigned)(rem / 3600);
	t->min = (unsigned)(rem / 60 % 60);
	t->sec = (unsigned)(rem % 60);
	t->wday = (unsigned)(((days + 4) % 7 + 7) % 7); /* 1970-01-01: Thu */
}

static unsigned month_days(int64_t y, unsigned m)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30,
					  31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[(m - 1) % 12] + (m == 2 && leap);
}

/* ---- field encoding per register B ------------------------------------ */

static uint8_t enc(const struct rtc *r, unsigned v)
{
	v %= 100;
	return (uint8_t)(r->cmos[R_B] & B_DM ? v : (v / 10) << 4 | v % 10);
}

/* False for a byte that is not a number <= max in the current mode. */
static bool dec(const struct rtc *r, uint8_t b, unsigned max, unsigned *out)
{
	unsigned v = b;

	if (!(r->cmos[R_B] & B_DM)) {
		if ((b & 0x0f) > 9 || (b >> 4) > 9)
			return false;
		v = (b >> 4) * 10 + (b & 0x0f);
	}
	*out = v;
	return v <= max;
}

static uint8_t enc_hour(const struct rtc *r, unsigned h)
{
	if (r->cmos[R_B] & B_24H)
		return enc(r, h);
	return enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? HOUR_PM : 0);
}

static bool dec_hour(const struct rtc *r, uint8_t b, unsigned *h)
{
	if (r->cmos[R_B] & B_24H)
		return dec(r, b, 23, h);
	if (!dec(r, b & ~HOUR_PM, 12, h) || *h == 0)
		return false;
	*h = *h % 12 + (b & HOUR_PM ? 12 : 0);
	return true;
}

static uint8_t field(const struct rtc *r, const struct rtc_time *t,
		     unsigned idx)
{
	uint64_t y = t->year < 0 ? 0 : (uint64_t)t->year;

	switch (idx) {
	case R_SEC: return enc(r, t->sec);
	case R_MIN: return enc(r, t->min);
	case R_HOUR: return enc_hour(r, t->hour);
	case R_WDAY: return enc(r, t->wday + 1);
	case R_MDAY: return enc(r, t->mday);
	case R_MON: return enc(r, t->mon);
	case R_YEAR: return enc(r, (unsigned)(y % 100));
	default: return enc(r, (unsigned)(y / 100 % 100)); /* R_CENTURY */
	}
}

/* ---- the clock ---------------------------------------------------------- */

static int64_t guest_secs(struct dev_ins *ins, uint32_t *frac_ns)
{
	const struct rtc *r = ins->priv;
	uint64_t w = ins->hlp->walltime_ns(ins);

	if (frac_ns)
		*frac_ns = (uint32_t)(w % NS_PER_S);
	return (int64_t)(w / NS_PER_S) + r->offset_s;
}

static bool running(const struct rtc *r)
{
	return !(r->cmos[R_B] & B_SET) && (r->cmos[R_A] & A_DV) == A_DV_NORMAL;
}

static bool uip(struct dev_ins *ins)
{
	uint32_t frac;

	guest_secs(ins, &frac);
	return running(ins->priv) && frac >= NS_PER_S - UIP_NS;
}

static uint8_t live_field(struct dev_ins *ins, unsigned idx)
{
	struct rtc_time t;

	time_from_secs(guest_secs(ins, NULL), &t);
	return field(ins->priv, &t, idx);
}

/* The time registers take the current time, for SET or one field. */
static void snapshot(struct dev_ins *ins)
{
	struct rtc *r = ins->priv;
	struct rtc_time t;

	time_from_secs(guest_secs(ins, NULL), &t);
	for (unsigned i = 0; i < sizeof(time_regs); i++)
		r->cmos[time_regs[i]] = field(r, &t, time_regs[i]);
}

/* The held fields become the time, or nothing changes. Weekday is not
 * read: it follows from the date. */
static bool held_time(const struct rtc *r, int64_t *secs)
{
	unsigned s, mi, h, d, mo, y, c;

	if (!dec(r, r->cmos[R_SEC], 59, &s) || !dec(r, r->cmos[R_MIN], 59, &mi) ||
	    !dec_hour(r, r->cmos[R_HOUR], &h) || !dec(r, r->cmos[R_MON], 12, &mo) ||
	    !dec(r, r->cmos[R_YEAR], 99, &y) ||
	    !dec(r, r->cmos[R_CENTURY], 99, &c) || mo == 0 ||
	    !dec(r, r->cmos[R_MDAY], month_days(c * 100 + y, mo), &d) || d == 0)
		return false;
	*secs = days_from_civil(c * 100 + y, mo, d) * 86400 +
		(int64_t)(h * 3600 + mi * 60 + s);
	return true;
}

static void commit(struct dev_ins *ins)
{
	struct rtc *r = ins->priv;
	int64_t secs;

	if (!held_time(r, &secs)) {
		ins->hlp->log(ins, DEV_LOG_WARN, "the guest set a date or time "
			      "that does not exist; the clock keeps its time");
		return;
	}
	r->offset_s += secs - guest_secs(ins, NULL);
}

/* ---- interrupts --------------------------------------------------------- */

static void irq_update(struct dev_ins *ins)
{
	struct rtc *r = ins->priv;
	bool on = r->cmos[R_C] & r->cmos[R_B] & C_FLAGS;

	r->cmos[R_C] = (uint8_t)((r->cmos[R_C] & C_FLAGS) | (on ? C_IRQF : 0));
	if (on != r->irq_high)
		ins->hlp->irq_set(ins, RTC_IRQ, on ? DEV_IRQ_HIGH : DEV_IRQ_LOW);
	r->irq_high = on;
}

/* A tick at each new second while UIE or AIE is on; else none at all. */
static void rearm(struct dev_ins *ins)
{
	const struct rtc *r = ins->priv;
	uint32_t frac;
	uint64_t ns = 0;

	guest_secs(ins, &frac);
	if (running(r) && (r->cmos[R_B] & (B_UIE | B_AIE)))
		ns = NS_PER_S - frac;
	ins->hlp->timer_arm(ins, r->timer, ns);
}

static bool alarm_matches(struct dev_ins *ins)
{
	static const uint8_t pairs[][2] = {
		{ R_SEC_ALARM, R_SEC }, { R_MIN_ALARM, R_MIN },
		{ R_HOUR_ALARM, R_HOUR },
	};
	const struct rtc *r = ins->priv;

	for (unsigned i = 0; i < 3; i++) {
		uint8_t a = r->cmos[pairs[i][0]];
		if ((a & 0xc0) != 0xc0 && a != live_field(ins, pairs[i][1]))
			return false;
	}
	return true;
}

/* Early, late or spurious expiries are fine: only a new second counts. */
static void rtc_tick(struct dev_ins *ins, void *opaque)
{
	struct rtc *r = ins->priv;
	int64_t now = guest_secs(ins, NULL);

	if (running(r) && (r->cmos[R_B] & (B_UIE | B_AIE)) &&
	    now != r->ticked_s) {
		r->ticked_s = now;
		r->cmos[R_C] |= C_UF | (alarm_matches(ins) ? C_AF : 0);
		irq_update(ins);
	}
	rearm(ins);
}

/* ---- registers ---------------------------------------------------------- */

static uint8_t reg_read(struct dev_ins *ins, unsigned idx)
{
	struct rtc *r = ins->priv;
	uint8_t v;

	switch (idx) {
	case R_A: return (uint8_t)(r->cmos[R_A] | (uip(ins) ? A_UIP : 0));
	case R_C:
		v = r->cmos[R_C];
		r->cmos[R_C] = 0;
		irq_update(ins);
		return v;
	case R_D: return D_VRT;
	}
	if (is_time_reg(idx) && !(r->cmos[R_B] & B_SET))
		return live_field(ins, idx);
	return r->cmos[idx];
}

/* SET on: the fields freeze (UIE goes off, as on the chip). SET off: the
 * fields become the time. A mode change reads the fields in the new mode. */
static void write_b(struct dev_ins *ins, uint8_t v)
{
	struct rtc *r = ins->priv;
	uint8_t old = r->cmos[R_B];

	r->cmos[R_B] = v & B_SET ? (uint8_t)(v & ~B_UIE) : v;
	if ((v & B_SET) && !(old & B_SET))
		snapshot(ins);
	if (!(v & B_SET) && (old & B_SET))
		commit(ins);
	irq_update(ins);
	rearm(ins);
}

static void write_time(struct dev_ins *ins, unsigned idx, uint8_t v)
{
	struct rtc *r = ins->priv;

	if (r->cmos[R_B] & B_SET) {
		r->cmos[idx] = v;
		return;
	}
	snapshot(ins);
	r->cmos[idx] = v;
	commit(ins);
}

static void reg_write(struct dev_ins *ins, unsigned idx, uint8_t v)
{
	struct rtc *r = ins->priv;

	switch (idx) {
	case R_A:
		r->cmos[R_A] = v & ~A_UIP;
		rearm(ins);
		return;
	case R_B: write_b(ins, v); return;
	case R_C: case R_D: return; /* read-only */
	}
	if (is_time_reg(idx))
		write_time(ins, idx, v);
	else
		r->cmos[idx] = v;
}

/* ---- ports -------------------------------------------------------------- */

/* A wider access is byte after byte, index port first, as the ISA bus
 * splits it; the framework only passes accesses inside the two ports. */
static uint64_t rtc_read(struct dev_ins *ins, void *opaque, uint64_t off,
			 unsigned size)
{
	struct rtc *r = ins->priv;
	uint64_t v = 0;

	for (unsigned i = 0; i < size && i < 8; i++) {
		uint64_t b = off + i == 0 ? r->index
			: off + i == 1 ? reg_read(ins, r->index & 0x7f) : 0xff;
		v |= b << (8 * i);
	}
	return v;
}

static void rtc_write(struct dev_ins *ins, void *opaque, uint64_t off,
		      unsigned size, uint64_t val)
{
	struct rtc *r = ins->priv;

	for (unsigned i = 0; i < size && i < 8; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i));
		if (off + i == 0)
			r->index = b;
		else if (off + i == 1)
			reg_write(ins, r->index & 0x7f, b);
	}
}

static const struct dev_io_ops rtc_io = {
	.read = rtc_read,
	.write = rtc_write,
};

/* The chip's RESET pin: interrupt enables and flags clear; the time, the
 * mode and the RAM are battery-backed and stay. */
static void rtc_reset(struct dev_ins *ins)
{
	struct rtc *r = ins->priv;

	r->cmos[R_B] &= (uint8_t)~(B_PIE | B_AIE | B_UIE | B_SQWE);
	r->cmos[R_C] = 0;
	irq_update(ins);
	rearm(ins);
}

/* Power-on as a PC BIOS leaves it: 32.768 kHz divider, 1024 Hz rate, BCD,
 * 24-hour, the host's time. */
static int rtc_construct(struct dev_ins *ins)
{
	struct rtc *r = ins->priv;
	int rc;

	r->cmos[R_A] = A_DV_NORMAL | 0x06;
	r->cmos[R_B] = B_24H;
	r->timer = ins->hlp->timer_create(ins, rtc_tick, NULL);
	if (r->timer < 0)
		return r->timer;
	rc = ins->hlp->irq_claim(ins, RTC_IRQ);
	if (rc == 0)
		rc = ins->hlp->io_register(ins, DEV_SPACE_PIO, RTC_PORT, 2,
					   &rtc_io, NULL);
	if (rc < 0)
		ins->hlp->log(ins, DEV_LOG_ERR, "ports 0x70-0x71 or IRQ 8 are "
			      "taken (error %d)", rc);
	return rc;
}

static const struct dev_ops rtc_ops = {
	.construct = rtc_construct,
	.reset = rtc_reset,
};

const struct dev_reg dev_reg_rtc = {
	.name = "rtc",
	.desc = "MC146818 CMOS clock (ports 0x70-0x71, IRQ 8): the host's time",
	.cls = DEV_CLASS_PLATFORM,
	.flags = 0,
	.max_instances = 1,
	.instance_size = sizeof(struct rtc),
	.ops = &rtc_ops,
};
