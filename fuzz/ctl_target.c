/*
 * fuzz/ctl_target.c - libFuzzer target for the control protocol
 * (monitor/ctl/ctl_proto.c and ctl_print.c, the code wisp runs): the input
 * is a byte stream a client sends, cut into reads at 0xff bytes, fed to
 * ctl_feed over a backend whose answers (act's status, the counters of
 * info and metrics) come from the input too. Invariants: every line that
 * is a request gets exactly one reply, each reply is a JSON object with a
 * boolean "ok" (and a string "error" when false), the output never passes
 * CTL_OUT_MAX, and a metrics reply carries the counters it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctl/ctl.h"

static const uint8_t *in_data;
static size_t in_len, in_pos;

static uint8_t in_byte(void)
{
	return in_pos < in_len ? in_data[in_pos++] : 0;
}

static int f_act(void *vm, enum ctl_op op, char *err, size_t len)
{
	if (op < CTL_OP_PAUSE || op > CTL_OP_KILL)
		abort();
	if (in_byte() & 1) {
		strncpy(err, "refused", len);
		return -1;
	}
	return 0;
}

static void f_info(void *vm, struct ctl_info *out)
{
	out->profile = "fuzz";
	out->version = "0";
	out->state = "running";
	out->ncpus = in_byte();
	out->ndevs = in_byte() % 40u; /* may be above VM_MAX_DEVICES: clamped */
	for (unsigned i = 0; i < VM_MAX_DEVICES; i++)
		out->dev[i].name = "dev";
}

static void f_metrics(void *vm, struct ctl_metrics *m)
{
	/* a few vCPUs and devices, sometimes past the limits (clamped): a
	 * full-size reply costs milliseconds, the unit test has one */
	uint8_t n = in_byte();
	m->ncpus = n == 0xff ? 300 : n % 8u;
	m->ndevs = n == 0xfe ? 40 : in_byte() % 8u;
	m->uptime_ns = 0x0123456789abcdefull;
	for (unsigned i = 0; i < VM_MAX_DEVICES; i++)
		m->dev[i].name = "dev\"\n"; /* printed escaped */
	m->vcpu[0].exits[0] = ~0ull;
}

static const struct ctl_backend fuzz_backend = {
	.act = f_act, .info = f_info, .metrics = f_metrics,
};

static struct ctl_client cli;

/* Lines the client ended with '\n' that were not empty. */
static unsigned requests(const uint8_t *d, size_t n, size_t *held)
{
	unsigned r = 0;

	for (size_t i = 0; i < n; i++) {
		if (d[i] == 0xff)
			continue;
		if (d[i] == '\n') {
			r += *held > 0;
			*held = 0;
		} else
			(*held)++;
	}
	return r;
}

static void check_reply(const char *line, size_t len)
{
	cJSON *r = cJSON_ParseWithLength(line, len);
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(r, "ok");

	if (!cJSON_IsObject(r) || !cJSON_IsBool(ok))
		abort();
	if (cJSON_IsFalse(ok) &&
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "error")))
		abort();
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "metrics");
	if (m && !strstr(line, "\"uptime_ns\":81985529216486895"))
		abort();
	cJSON_Delete(r);
}

static unsigned replies(void)
{
	unsigned n = 0;
	size_t start = 0;

	if (cli.out_len > CTL_OUT_MAX)
		abort();
	for (size_t i = 0; i < cli.out_len; i++)
		if (cli.out[i] == '\n') {
			check_reply(cli.out + start, i - start);
			start = i + 1;
			n++;
		}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t held = 0, want = 0, chunk = 0;

	memset(&cli, 0, offsetof(struct ctl_client, out));
	in_data = data;
	in_len = size;
	in_pos = size / 2; /* the backend's answers: the input's second half */
	for (size_t i = 0; i <= size / 2; i++) {
		if (i < size / 2 && data[i] != 0xff)
			continue;
		want += requests(data + chunk, i - chunk, &held);
		ctl_feed(&fuzz_backend, NULL, &cli, (const char *)data + chunk,
			 i - chunk);
		chunk = i + 1;
	}
	/* a line longer than CTL_LINE_MAX is one request (its error) */
	if (!cli.overflow && replies() != want)
		abort();
	return 0;
}
