/*
 * monitor/ctl/ctl_print.c - what `info` and `metrics` print: a snapshot as
 * JSON (counters as exact integers, never doubles) or as the Prometheus
 * text exposition format (a node exporter's textfile collector reads it).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "ctl/ctl.h"

static const char *const exit_kinds[CTL_EXIT_KINDS] = {
	"io", "mmio", "hlt", "intr", "system", "other"
};
/* Upper bounds of the answer-latency buckets, in ns (the last is +Inf):
 * devproc.c counts them so, from 1 us by fours. */
static const uint64_t lat_le[CTL_LAT_BUCKETS - 1] = {
	1000, 4000, 16000, 64000, 256000, 1024000, 4096000
};

static void add_u64(cJSON *o, const char *name, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	cJSON_AddRawToObject(o, name, num);
}

static void add_i64(cJSON *o, const char *name, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	cJSON_AddRawToObject(o, name, v < 0 ? "null" : num);
}

static cJSON *vcpu_json(const struct ctl_vcpu_m *v, unsigned idx)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "exits");

	add_u64(o, "index", idx);
	for (unsigned k = 0; e && k < CTL_EXIT_KINDS; k++)
		add_u64(e, exit_kinds[k], v->exits[k]);
	add_u64(o, "run_ns", v->run_ns);
	add_u64(o, "wisp_ns", v->wisp_ns);
	return o;
}

static cJSON *dev_json(const struct ctl_dev_m *d)
{
	cJSON *o = cJSON_CreateObject(), *h;

	cJSON_AddStringToObject(o, "name", d->name);
	cJSON_AddBoolToObject(o, "sandboxed", d->sandboxed);
	add_u64(o, "accesses", d->accesses);
	add_u64(o, "log_lines_dropped", d->log_dropped);
	if (!d->sandboxed)
		return o;
	add_u64(o, "upcalls", d->upcalls);
	add_u64(o, "answers", d->answers);
	h = cJSON_AddArrayToObject(o, "answer_ns_buckets");
	for (unsigned b = 0; h && b < CTL_LAT_BUCKETS; b++) {
		cJSON *bk = cJSON_CreateObject();
		add_i64(bk, "le", b + 1 < CTL_LAT_BUCKETS ? (int64_t)lat_le[b] : -1);
		add_u64(bk, "count", d->lat[b]);
		cJSON_AddItemToArray(h, bk);
	}
	add_i64(o, "rss_bytes", d->rss_bytes);
	return o;
}

cJSON *ctl_metrics_json(const struct ctl_metrics *m)
{
	cJSON *o = cJSON_CreateObject(), *a;

	add_u64(o, "uptime_ns", m->uptime_ns);
	add_i64(o, "rss_bytes", m->rss_bytes);
	add_u64(o, "dirty_pages", m->dirty_pages);
	a = cJSON_AddArrayToObject(o, "vcpus");
	for (unsigned i = 0; a && i < m->ncpus; i++)
		cJSON_AddItemToArray(a, vcpu_json(&m->vcpu[i], i));
	a = cJSON_AddArrayToObject(o, "devices");
	for (unsigned i = 0; a && i < m->ndevs; i++)
		cJSON_AddItemToArray(a, dev_json(&m->dev[i]));
	cJSON *s = cJSON_AddObjectToObject(o, "socket");
	add_u64(s, "clients", m->clients);
	add_u64(s, "replies", m->replies);
	add_u64(s, "events", m->events);
	add_u64(s, "dropped_clients", m->dropped);
	return o;
}

/* ---- Prometheus text format ------------------------------------------------ */

struct prom {
	char *buf;
	size_t len, at;
	bool full;
};

static void pf(struct prom *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void pf(struct prom *p, const char *fmt, ...)
{
	va_list ap;

	if (p->full)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(p->buf + p->at, p->len - p->at, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= p->len - p->at)
		p->full = true;
	else
		p->at += (size_t)n;
}

static void head(struct prom *p, const char *name, const char *type,
		 const char *help)
{
	pf(p, "# HELP wisp_%s %s\n# TYPE wisp_%s %s\n", name, help, name, type);
}

static void prom_vcpus(struct prom *p, const struct ctl_metrics *m)
{
	head(p, "vcpu_exits_total", "counter", "VM exits by kind");
	for (unsigned i = 0; i < m->ncpus; i++)
		for (unsigned k = 0; k < CTL_EXIT_KINDS; k++)
			pf(p, "wisp_vcpu_exits_total{vcpu=\"%u\",kind=\"%s\"} %" PRIu64 "\n",
			   i, exit_kinds[k], m->vcpu[i].exits[k]);
	head(p, "vcpu_seconds_total", "counter", "vCPU thread time in KVM_RUN (guest) or in wisp");
	for (unsigned i = 0; i < m->ncpus; i++)
		pf(p, "wisp_vcpu_seconds_total{vcpu=\"%u\",in=\"guest\"} %.9f\n"
		   "wisp_vcpu_seconds_total{vcpu=\"%u\",in=\"wisp\"} %.9f\n",
		   i, m->vcpu[i].run_ns / 1e9, i, m->vcpu[i].wisp_ns / 1e9);
}

static void prom_dev_counter(struct prom *p, const struct ctl_metrics *m,
			     const char *name, const char *help, size_t off)
{
	head(p, name, "counter", help);
	for (unsigned i = 0; i < m->ndevs; i++)
		pf(p, "wisp_%s{device=\"%s\"} %" PRIu64 "\n", name, m->dev[i].name,
		   *(const uint64_t *)((const char *)&m->dev[i] + off));
}

static void prom_latency(struct prom *p, const struct ctl_metrics *m)
{
	head(p, "device_answer_seconds", "histogram",
	     "how long a device process took to answer a trapped access");
	for (unsigned i = 0; i < m->ndevs; i++) {
		const struct ctl_dev_m *d = &m->dev[i];
		uint64_t cum = 0;
		if (!d->sandboxed)
			continue;
		for (unsigned b = 0; b < CTL_LAT_BUCKETS; b++) {
			cum += d->lat[b];
			if (b + 1 < CTL_LAT_BUCKETS)
				pf(p, "wisp_device_answer_seconds_bucket{device=\"%s\",le=\"%g\"} %" PRIu64 "\n",
				   d->name, lat_le[b] / 1e9, cum);
			else
				pf(p, "wisp_device_answer_seconds_bucket{device=\"%s\",le=\"+Inf\"} %" PRIu64 "\n"
				   "wisp_device_answer_seconds_count{device=\"%s\"} %" PRIu64 "\n",
				   d->name, cum, d->name, cum);
		}
	}
}

static void prom_rss(struct prom *p, const struct ctl_metrics *m)
{
	head(p, "rss_bytes", "gauge", "resident set of wisp and of each device process");
	if (m->rss_bytes >= 0)
		pf(p, "wisp_rss_bytes{process=\"wisp\"} %" PRId64 "\n", m->rss_bytes);
	for (unsigned i = 0; i < m->ndevs; i++)
		if (m->dev[i].sandboxed && m->dev[i].rss_bytes >= 0)
			pf(p, "wisp_rss_bytes{process=\"%s\"} %" PRId64 "\n",
			   m->dev[i].name, m->dev[i].rss_bytes);
}

long ctl_metrics_prom(const struct ctl_metrics *m, char *buf, size_t len)
{
	struct prom p = { .buf = buf, .len = len };

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	head(&p, "uptime_seconds", "gauge", "time since wisp started");
	pf(&p, "wisp_uptime_seconds %.9f\n", m->uptime_ns / 1e9);
	head(&p, "dirty_pages_total", "counter", "dirty pages reported by dirty-log queries");
	pf(&p, "wisp_dirty_pages_total %" PRIu64 "\n", m->dirty_pages);
	prom_vcpus(&p, m);
	prom_dev_counter(&p, m, "device_accesses_total", "trapped accesses a device answered",
			 offsetof(struct ctl_dev_m, accesses));
	prom_dev_counter(&p, m, "device_log_lines_dropped_total", "log lines the rate limit dropped",
			 offsetof(struct ctl_dev_m, log_dropped));
	prom_dev_counter(&p, m, "device_upcalls_total", "a device process's calls wisp served",
			 offsetof(struct ctl_dev_m, upcalls));
	prom_latency(&p, m);
	prom_rss(&p, m);
	return p.full ? -ENOSPC : (long)p.at;
}

cJSON *ctl_info_json(const struct ctl_info *in)
{
	cJSON *o = cJSON_CreateObject(), *a;

	cJSON_AddStringToObject(o, "profile", in->profile ? in->profile : "");
	cJSON_AddStringToObject(o, "version", in->version ? in->version : "");
	cJSON_AddStringToObject(o, "state", in->state ? in->state : "");
	add_u64(o, "vcpus", in->ncpus);
	add_u64(o, "mem_bytes", in->mem_bytes);
	add_u64(o, "uptime_ns", in->uptime_ns);
	a = cJSON_AddArrayToObject(o, "devices");
	for (unsigned i = 0; a && i < in->ndevs && i < VM_MAX_DEVICES; i++) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", in->dev[i].name ? in->dev[i].name : "");
		cJSON_AddBoolToObject(d, "sandboxed", in->dev[i].sandboxed);
		cJSON_AddBoolToObject(d, "trusted", in->dev[i].trusted);
		cJSON_AddItemToArray(a, d);
	}
	return o;
}
