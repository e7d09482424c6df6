/*
 * monitor/ctl/ctl_proto.c - the control protocol: bytes from a client are
 * cut into lines, each line is one JSON request {"id":N,"cmd":"..."}, and
 * each gets exactly one reply line {"id":N,"ok":true,...} or
 * {"id":N,"ok":false,"error":"..."}. Nothing a client sends ends the
 * connection or the VM: an over-long line, bad JSON, an unknown command
 * or a wrong argument type each get their error reply. cJSON parses;
 * every value is type-checked before use.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctl/ctl.h"

static const char *const ev_names[VM_EV_COUNT] = {
	[VM_EV_STARTED] = "started", [VM_EV_GUEST_BOOT] = "guest-boot",
	[VM_EV_PAUSED] = "paused", [VM_EV_RESUMED] = "resumed",
	[VM_EV_DEVICE_ERROR] = "device-error", [VM_EV_PANIC] = "panic",
	[VM_EV_REBOOT] = "reboot", [VM_EV_EXIT] = "exit",
};

bool ctl_out(struct ctl_client *c, const char *line, size_t len)
{
	if (c->overflow || len + 1 > CTL_OUT_MAX - c->out_len) {
		c->overflow = true;
		return false;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	return true;
}

/* The reply object `r` as one line; it is freed. */
static void reply_send(struct ctl_client *c, cJSON *r)
{
	char *s = r ? cJSON_PrintUnformatted(r) : NULL;

	if (s)
		ctl_out(c, s, strlen(s));
	else /* out of memory: still one answer, without cJSON */
		ctl_out(c, "{\"ok\":false,\"error\":\"out of memory\"}", 36);
	cJSON_free(s);
	cJSON_Delete(r);
}

/* A new reply: the request's id (a number) when it had one, else null. */
static cJSON *reply_new(const cJSON *id, bool ok)
{
	cJSON *r = cJSON_CreateObject();

	if (!r)
		return NULL;
	if (cJSON_IsNumber(id))
		cJSON_AddNumberToObject(r, "id", id->valuedouble);
	else
		cJSON_AddNullToObject(r, "id");
	cJSON_AddBoolToObject(r, "ok", ok);
	return r;
}

static void reply_error(struct ctl_client *c, const cJSON *id,
			const char *why)
{
	cJSON *r = reply_new(id, false);

	if (r)
		cJSON_AddStringToObject(r, "error", why);
	reply_send(c, r);
}

/* ---- commands ------------------------------------------------------------ */

struct ctl_call {
	const struct ctl_backend *b;
	void *vm;
	struct ctl_client *c;
	const cJSON *req, *id;
};

static void cmd_act(struct ctl_call *k, enum ctl_op op)
{
	char err[160] = "";
	int rc = k->b->act(k->vm, op, err, sizeof(err));

	if (rc < 0) {
		reply_error(k->c, k->id, err[0] ? err : strerror(-rc));
		return;
	}
	reply_send(k->c, reply_new(k->id, true));
}

static void cmd_pause(struct ctl_call *k) { cmd_act(k, CTL_OP_PAUSE); }
static void cmd_resume(struct ctl_call *k) { cmd_act(k, CTL_OP_RESUME); }
static void cmd_stop(struct ctl_call *k) { cmd_act(k, CTL_OP_STOP); }
static void cmd_kill(struct ctl_call *k) { cmd_act(k, CTL_OP_KILL); }

static void cmd_info(struct ctl_call *k)
{
	static struct ctl_info in; /* one control thread */
	cJSON *r = reply_new(k->id, true);

	memset(&in, 0, sizeof(in));
	k->b->info(k->vm, &in);
	if (in.ndevs > VM_MAX_DEVICES)
		in.ndevs = VM_MAX_DEVICES;
	if (r && !cJSON_AddItemToObject(r, "info", ctl_info_json(&in))) {
		cJSON_Delete(r);
		r = NULL;
	}
	reply_send(k->c, r);
}

/* "format": absent or "json" (an object), or "prometheus" (text). */
static void cmd_metrics(struct ctl_call *k)
{
	static struct ctl_metrics m;
	static char text[CTL_OUT_MAX / 2];
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(k->req, "format");
	bool prom = cJSON_IsString(f) && !strcmp(f->valuestring, "prometheus");

	if (f && !prom && !(cJSON_IsString(f) && !strcmp(f->valuestring, "json"))) {
		reply_error(k->c, k->id, "format: \"json\" or \"prometheus\"");
		return;
	}
	memset(&m, 0, sizeof(m));
	k->b->metrics(k->vm, &m);
	m.ncpus = m.ncpus > VM_MAX_CPUS ? VM_MAX_CPUS : m.ncpus;
	m.ndevs = m.ndevs > VM_MAX_DEVICES ? VM_MAX_DEVICES : m.ndevs;
	if (prom && ctl_metrics_prom(&m, text, sizeof(text)) < 0) {
		reply_error(k->c, k->id, "metrics text longer than a reply");
		return;
	}
	cJSON *r = reply_new(k->id, true);
	cJSON *v = prom ? cJSON_CreateString(text) : ctl_metrics_json(&m);
	if (r && !cJSON_AddItemToObject(r, prom ? "text" : "metrics", v)) {
		cJSON_Delete(r);
		r = NULL;
	}
	reply_send(k->c, r);
}

static void cmd_subscribe(struct ctl_call *k)
{
	k->c->subscribed = true;
	reply_send(k->c, reply_new(k->id, true));
}

static const struct {
	const char *name;
	void (*fn)(struct ctl_call *k);
} cmds[] = {
	{ "info", cmd_info },       { "pause", cmd_pause },
	{ "resume", cmd_resume },   { "stop", cmd_stop },
	{ "kill", cmd_kill },       { "metrics", cmd_metrics },
	{ "subscribe", cmd_subscribe },
};

/* ---- requests ------------------------------------------------------------ */

/* An id is optional; when given it is an integer a double holds exactly
 * (the range first: converting a larger double to an integer is
 * undefined; NaN fails every comparison). */
static bool id_ok(const cJSON *id)
{
	if (!id)
		return true;
	if (!cJSON_IsNumber(id))
		return false;
	double d = id->valuedouble;
	return d >= -9007199254740992.0 && d <= 9007199254740992.0 &&
	       d == (double)(int64_t)d;
}

static void request(struct ctl_call *k, const char *line, size_t len)
{
	cJSON *req = cJSON_ParseWithLength(line, len);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(req, "cmd");

	k->req = req;
	k->id = id_ok(id) ? id : NULL;
	if (!cJSON_IsObject(req))
		reply_error(k->c, NULL, req ? "a request is a JSON object"
					    : "bad JSON");
	else if (!id_ok(id))
		reply_error(k->c, NULL, "id: an integer");
	else if (!cJSON_IsString(cmd))
		reply_error(k->c, id, "cmd: a string naming a command");
	else {
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (!strcmp(cmd->valuestring, cmds[i].name)) {
				cmds[i].fn(k);
				cJSON_Delete(req);
				return;
			}
		reply_error(k->c, id, "unknown command");
	}
	cJSON_Delete(req);
}

/* One byte of a line: kept, or the line is too long (answered once, the
 * rest of it dropped up to its newline). */
static void take_byte(struct ctl_client *c, char ch)
{
	if (c->in_skip)
		return;
	if (c->in_len + 1 >= CTL_LINE_MAX) {
		c->in_skip = true;
		c->in_len = 0;
		return;
	}
	c->in[c->in_len++] = ch;
}

unsigned ctl_feed(const struct ctl_backend *b, void *vm, struct ctl_client *c,
		  const char *buf, size_t len)
{
	struct ctl_call k = { .b = b, .vm = vm, .c = c };
	unsigned n = 0;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n') {
			take_byte(c, buf[i]);
			continue;
		}
		if (c->in_skip)
			reply_error(c, NULL, "request longer than 4096 bytes");
		else if (c->in_len)
			request(&k, c->in, c->in_len);
		else
			continue; /* an empty line is no request */
		c->in_skip = false;
		c->in_len = 0;
		n++;
	}
	return n;
}

int ctl_event_line(char *buf, size_t len, uint64_t t_ns, enum vm_event ev,
		   const char *device, const char *cause, int status)
{
	cJSON *o = cJSON_CreateObject();
	int rc = -ENOSPC;

	if (!o || (unsigned)ev >= VM_EV_COUNT)
		goto out;
	cJSON_AddStringToObject(o, "event", ev_names[ev]);
	cJSON_AddNumberToObject(o, "t_ns", (double)t_ns);
	if (device)
		cJSON_AddStringToObject(o, "device", device);
	if (cause)
		cJSON_AddStringToObject(o, "cause", cause);
	if (ev == VM_EV_EXIT)
		cJSON_AddNumberToObject(o, "status", status);
	if (cJSON_PrintPreallocated(o, buf, (int)len, false))
		rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}
