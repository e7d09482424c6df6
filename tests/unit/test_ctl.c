/*
 * tests/unit/test_ctl.c - the control protocol (monitor/ctl/ctl_proto.c,
 * ctl_print.c) through ctl_feed, as a client's bytes reach it: every
 * command, every malformed form, the size limits, half a line that stalls,
 * 1,000 requests pipelined on one connection, bounded output, events.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "ctl/ctl.h"

static struct {
	enum ctl_op last;
	unsigned acts;
	int rc;
} fake;

static int f_act(void *vm, enum ctl_op op, char *err, size_t len)
{
	fake.last = op;
	fake.acts++;
	if (fake.rc)
		snprintf(err, len, "the VM is stopping");
	return fake.rc;
}

static void f_info(void *vm, struct ctl_info *out)
{
	out->profile = "unit";
	out->version = "1.2.3";
	out->state = "running";
	out->ncpus = 2;
	out->mem_bytes = 64ull << 20;
	out->ndevs = 2;
	out->dev[0] = (struct ctl_info_dev){ "uart.0", true, false };
	out->dev[1] = (struct ctl_info_dev){ "debug_exit.0", false, true };
}

static void f_metrics(void *vm, struct ctl_metrics *m)
{
	m->ncpus = 1;
	m->vcpu[0].exits[0] = 12345678901234567ull; /* beyond a double's 2^53 */
	m->vcpu[0].run_ns = 2000000000;
	m->ndevs = 1;
	m->dev[0] = (struct ctl_dev_m){ .name = "uart.0", .sandboxed = true,
					.accesses = 7, .upcalls = 3,
					.lat = { 1, 2 }, .rss_bytes = 4096 };
	m->rss_bytes = 1 << 20;
}

static const struct ctl_backend be = { f_act, f_info, f_metrics };
static struct ctl_client cli;

static int setup(void **state)
{
	memset(&cli, 0, sizeof(cli));
	memset(&fake, 0, sizeof(fake));
	return 0;
}

static unsigned feed(const char *s)
{
	return ctl_feed(&be, NULL, &cli, s, strlen(s));
}

/* Reply line n (0-based) as parsed JSON; the caller deletes it. */
static cJSON *reply(unsigned n)
{
	size_t start = 0;

	for (size_t i = 0; i < cli.out_len; i++)
		if (cli.out[i] == '\n') {
			if (n-- == 0)
				return cJSON_ParseWithLength(cli.out + start, i - start);
			start = i + 1;
		}
	return NULL;
}

static unsigned lines_out(void)
{
	unsigned n = 0;

	for (size_t i = 0; i < cli.out_len; i++)
		n += cli.out[i] == '\n';
	return n;
}

static void assert_error(unsigned n, const char *want)
{
	cJSON *r = reply(n);

	assert_non_null(r);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(r, "ok")));
	assert_string_equal(cJSON_GetObjectItem(r, "error")->valuestring, want);
	cJSON_Delete(r);
}

static void test_acts(void **state)
{
	static const struct { const char *cmd; enum ctl_op op; } t[] = {
		{ "pause", CTL_OP_PAUSE }, { "resume", CTL_OP_RESUME },
		{ "stop", CTL_OP_STOP }, { "kill", CTL_OP_KILL },
	};
	char line[80];

	for (unsigned i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "{\"id\":%u,\"cmd\":\"%s\"}\n", i + 10, t[i].cmd);
		assert_int_equal(feed(line), 1);
		assert_int_equal(fake.last, t[i].op);
	}
	assert_memory_equal(cli.out, "{\"id\":10,\"ok\":true}\n", 20);
	fake.rc = -ESHUTDOWN;
	feed("{\"id\":5,\"cmd\":\"pause\"}\n");
	assert_error(4, "the VM is stopping");
}

static void test_info(void **state)
{
	feed("{\"id\":1,\"cmd\":\"info\"}\n");
	cJSON *r = reply(0), *in = cJSON_GetObjectItem(r, "info");
	assert_string_equal(cJSON_GetObjectItem(in, "profile")->valuestring, "unit");
	assert_int_equal(cJSON_GetObjectItem(in, "vcpus")->valueint, 2);
	cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(in, "devices"), 0);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "sandboxed")));
	cJSON_Delete(r);
}

static void test_metrics(void **state)
{
	feed("{\"id\":1,\"cmd\":\"metrics\"}\n");
	/* counters are exact integers, never rounded through a double */
	assert_non_null(strstr(cli.out, "\"io\":12345678901234567"));
	assert_non_null(strstr(cli.out, "\"accesses\":7"));
	feed("{\"id\":2,\"cmd\":\"metrics\",\"format\":\"prometheus\"}\n");
	cJSON *r = reply(1);
	const char *text = cJSON_GetObjectItem(r, "text")->valuestring;
	assert_non_null(strstr(text, "wisp_vcpu_exits_total{vcpu=\"0\",kind=\"io\"} 12345678901234567\n"));
	assert_non_null(strstr(text, "wisp_device_answer_seconds_bucket{device=\"uart.0\",le=\"4e-06\"} 3\n"));
	assert_non_null(strstr(text, "wisp_rss_bytes{process=\"uart.0\"} 4096\n"));
	cJSON_Delete(r);
	feed("{\"id\":3,\"cmd\":\"metrics\",\"format\":\"xml\"}\n");
	assert_error(2, "format: \"json\" or \"prometheus\"");
}

static void test_malformed(void **state)
{
	assert_int_equal(feed("not json\n[1,2]\n{\"id\":\"x\",\"cmd\":\"info\"}\n"
			      "{\"id\":1.5,\"cmd\":\"info\"}\n{\"id\":3}\n"
			      "{\"id\":4,\"cmd\":7}\n{\"id\":5,\"cmd\":\"halt-host\"}\n"
			      "\n{\"id\":6,\"cmd\":\"info\"}\n"
			      "{\"id\":8.9e38,\"cmd\":\"info\"}\n"), 9);
	assert_error(0, "bad JSON");
	assert_error(1, "a request is a JSON object");
	assert_error(2, "id: an integer");
	assert_error(3, "id: an integer");
	assert_error(4, "cmd: a string naming a command");
	assert_error(5, "cmd: a string naming a command");
	assert_error(6, "unknown command");
	cJSON *r = reply(7);
	assert_int_equal(cJSON_GetObjectItem(r, "id")->valueint, 6);
	cJSON_Delete(r);
	/* beyond any integer: refused, never converted (the fuzzer's find) */
	assert_error(8, "id: an integer");
	assert_int_equal(fake.acts, 0);
}

/* A line at the limit is refused once; the next one is served. */
static void test_too_long(void **state)
{
	char *big = malloc(CTL_LINE_MAX * 3);

	memset(big, 'x', CTL_LINE_MAX * 3);
	assert_int_equal(ctl_feed(&be, NULL, &cli, big, CTL_LINE_MAX * 3), 0);
	assert_int_equal(feed("\n{\"id\":2,\"cmd\":\"info\"}\n"), 2);
	assert_error(0, "request longer than 4096 bytes");
	assert_int_equal(lines_out(), 2);
	free(big);
}

/* Half a line, then nothing for a while: no reply, nothing lost. */
static void test_half_line(void **state)
{
	assert_int_equal(feed("{\"id\":9,\"cm"), 0);
	assert_int_equal(cli.out_len, 0);
	assert_int_equal(feed("d\":\"pause\"}"), 0);
	assert_int_equal(feed("\n"), 1);
	assert_int_equal(fake.last, CTL_OP_PAUSE);
}

static void test_pipelined(void **state)
{
	char line[64];
	unsigned n = 0;

	for (unsigned i = 0; i < 1000; i++) {
		int k = snprintf(line, sizeof(line), "{\"id\":%u,\"cmd\":\"resume\"}\n", i);
		n += ctl_feed(&be, NULL, &cli, line, (size_t)k);
	}
	assert_int_equal(n, 1000);
	assert_int_equal(lines_out(), 1000);
	cJSON *r = reply(999);
	assert_int_equal(cJSON_GetObjectItem(r, "id")->valueint, 999);
	cJSON_Delete(r);
}

/* A client that never reads: its output stops at CTL_OUT_MAX, flagged. */
static void test_output_bound(void **state)
{
	for (unsigned i = 0; i < 10000 && !cli.overflow; i++)
		feed("{\"id\":1,\"cmd\":\"metrics\"}\n");
	assert_true(cli.overflow);
	assert_true(cli.out_len <= CTL_OUT_MAX);
	assert_false(ctl_out(&cli, "x", 1));
}

static void test_subscribe_and_events(void **state)
{
	char line[512];

	feed("{\"cmd\":\"subscribe\"}\n");
	assert_true(cli.subscribed);
	assert_memory_equal(cli.out, "{\"id\":null,\"ok\":true}\n", 22);
	assert_int_equal(ctl_event_line(line, sizeof(line), 42, VM_EV_EXIT,
					NULL, NULL, 143), 0);
	assert_string_equal(line, "{\"event\":\"exit\",\"t_ns\":42,\"status\":143}");
	assert_int_equal(ctl_event_line(line, sizeof(line), 1, VM_EV_DEVICE_ERROR,
					"uart.0", "did \"not\" answer", 0), 0);
	assert_string_equal(line, "{\"event\":\"device-error\",\"t_ns\":1,"
				  "\"device\":\"uart.0\",\"cause\":\"did \\\"not\\\" answer\"}");
	assert_int_equal(ctl_event_line(line, 8, 1, VM_EV_STARTED, NULL, NULL, 0),
			 -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_acts, setup),
		cmocka_unit_test_setup(test_info, setup),
		cmocka_unit_test_setup(test_metrics, setup),
		cmocka_unit_test_setup(test_malformed, setup),
		cmocka_unit_test_setup(test_too_long, setup),
		cmocka_unit_test_setup(test_half_line, setup),
		cmocka_unit_test_setup(test_pipelined, setup),
		cmocka_unit_test_setup(test_output_bound, setup),
		cmocka_unit_test_setup(test_subscribe_and_events, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
