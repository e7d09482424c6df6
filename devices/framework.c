/*
 * devices/framework.c - what the monitor, the tests and the fuzz targets
 * share about devices: finding a registration, turning a `--device` spec
 * into a validated instance config, reading that config, listing devices.
 *
 * The spec comes from the command line, so it is untrusted: every key is
 * checked against the device's schema here, once, before any device runs;
 * devices then read their config through the cfg getters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dev.h"

const struct dev_entry *dev_lookup(const char *name)
{
	for (size_t i = 0; i < dev_registry_len; i++)
		if (!strcmp(dev_registry[i].reg->name, name))
			return &dev_registry[i];
	return NULL;
}

static int digit_value(char c, unsigned base)
{
	int v = -1;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	return v >= 0 && (unsigned)v < base ? v : -1;
}

/* K/M/G as a binary shift, -1 for anything else. */
static int suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	default: return -1;
	}
}

/* Leading zeros are decimal ("010" is ten): no octal surprise on a CLI. */
int dev_parse_u64(const char *s, bool suffixes, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	int d, shift;

	if (!s)
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (digit_value(*s, base) < 0)
		return -1; /* empty, sign, space, or a bare "0x" */
	for (; (d = digit_value(*s, base)) >= 0; s++)
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, (uint64_t)d, &v))
			return -1;
	if (*s && suffixes && (shift = suffix_shift(*s)) >= 0) {
		if (v > UINT64_MAX >> shift)
			return -1;
		v <<= shift;
		s++;
	}
	if (*s)
		return -1;
	*out = v;
	return 0;
}

static const struct dev_opt *find_opt(const struct dev_reg *reg,
				      const char *key)
{
	for (size_t i = 0; i < reg->n_opts; i++)
		if (!strcmp(reg->opts[i].key, key))
			return &reg->opts[i];
	return NULL;
}

static const struct dev_cfg_kv *find_kv(const struct dev_ins *ins,
					const char *key)
{
	for (size_t i = 0; i < ins->n_cfg && i < DEV_CFG_MAX; i++)
		if (!strcmp(ins->cfg[i].key, key))
			return &ins->cfg[i];
	return NULL;
}

/* Quoted user text is cut so one bad option still gives one short line. */
#define QUOTE_MAX 64

/* Small ranges (irq lines) read better in decimal, addresses in hex. */
static void fmt_range(char *buf, size_t len, const struct dev_opt *o)
{
	const char *f = o->max < 0x100 ? "%llu..%llu" : "0x%llx..0x%llx";

	snprintf(buf, len, f, (unsigned long long)o->min,
		 (unsigned long long)o->max);
}

static int check_value(const struct dev_reg *reg, const struct dev_opt *o,
		       const char *val, char *err, size_t errlen)
{
	char range[48];
	uint64_t v;

	if (!*val) {
		snprintf(err, errlen, "device %s: option '%s' needs a value",
			 reg->name, o->key);
		return -1;
	}
	if (o->type != DEV_OPT_U64)
		return 0;
	if (dev_parse_u64(val, true, &v) < 0) {
		snprintf(err, errlen, "device %s: option '%s': bad number '%.*s'",
			 reg->name, o->key, QUOTE_MAX, val);
		return -1;
	}
	if (v < o->min || v > o->max) {
		fmt_range(range, sizeof(range), o);
		snprintf(err, errlen, "device %s: option '%s' out of range %s",
			 reg->name, o->key, range);
		return -1;
	}
	return 0;
}

/* One "key=value" token, split in place (tok points into ins->cfgbuf). */
static int parse_kv(struct dev_ins *ins, char *tok, char *err, size_t errlen)
{
	const struct dev_reg *reg = ins->reg;
	char *eq = strchr(tok, '=');
	const char *name = reg->name;

	if (eq)
		*eq = '\0';
	if (!*tok) {
		snprintf(err, errlen, "device %s: empty option", name);
		return -1;
	}
	const struct dev_opt *o = find_opt(reg, tok);
	if (!o) {
		snprintf(err, errlen, "device %s: unknown option '%.*s'", name,
			 QUOTE_MAX, tok);
		return -1;
	}
	if (!eq) {
		snprintf(err, errlen, "device %s: option '%s' needs a value "
			 "(%s=VALUE)", name, o->key, o->key);
		return -1;
	}
	if (find_kv(ins, o->key)) {
		snprintf(err, errlen, "device %s: option '%s' given twice", name,
			 o->key);
		return -1;
	}
	if (check_value(reg, o, eq + 1, err, errlen) < 0)
		return -1;
	if (ins->n_cfg >= DEV_CFG_MAX) {
		snprintf(err, errlen, "device %s: too many options (at most %d)",
			 name, DEV_CFG_MAX);
		return -1;
	}
	ins->cfg[ins->n_cfg++] = (struct dev_cfg_kv){ o->key, eq + 1 };
	return 0;
}

static int parse_name(struct dev_ins *ins, const char *name, char *err,
		      size_t errlen)
{
	const struct dev_entry *e = *name ? dev_lookup(name) : NULL;

	if (!*name) {
		snprintf(err, errlen, "device spec has no device name");
		return -1;
	}
	if (!e) {
		snprintf(err, errlen, "unknown device '%.*s' (see --list-devices)",
			 QUOTE_MAX, name);
		return -1;
	}
	ins->reg = e->reg;
	ins->idx = 0;
	if (snprintf(ins->name, sizeof(ins->name), "%s.0", e->reg->name) >=
	    (int)sizeof(ins->name)) {
		snprintf(err, errlen, "device name '%s' is too long", name);
		return -1;
	}
	return 0;
}

int dev_parse_spec(const char *spec, struct dev_ins *ins, char *err,
		   size_t errlen)
{
	char *rest, *tok;

	if (strlen(spec) >= sizeof(ins->cfgbuf)) {
		snprintf(err, errlen, "device spec too long (at most %zu bytes)",
			 sizeof(ins->cfgbuf) - 1);
		return -1;
	}
	memcpy(ins->cfgbuf, spec, strlen(spec) + 1);
	ins->n_cfg = 0;
	/* strsep, not strtok: an empty token ("uart,,x=1") must be an error. */
	rest = ins->cfgbuf;
	tok = strsep(&rest, ",");
	if (parse_name(ins, tok, err, errlen) < 0)
		return -1;
	while ((tok = strsep(&rest, ",")) != NULL)
		if (parse_kv(ins, tok, err, errlen) < 0)
			return -1;
	return 0;
}

int dev_cfg_get_u64(const struct dev_ins *ins, const char *key, uint64_t *out)
{
	const struct dev_cfg_kv *kv = find_kv(ins, key);

	if (!kv)
		return -ENOENT;
	return dev_parse_u64(kv->val, true, out) < 0 ? -EINVAL : 0;
}

int dev_cfg_get_str(const struct dev_ins *ins, const char *key,
		    const char **out)
{
	const struct dev_cfg_kv *kv = find_kv(ins, key);

	if (!kv)
		return -ENOENT;
	*out = kv->val;
	return 0;
}

static const char *class_name(enum dev_class cls)
{
	static const char *const names[DEV_CLASS_COUNT] = {
		[DEV_CLASS_PLATFORM] = "platform",
		[DEV_CLASS_SERIAL] = "serial",
		[DEV_CLASS_MISC] = "misc",
	};

	return (unsigned)cls < DEV_CLASS_COUNT && names[cls] ? names[cls] : "?";
}

static void list_opt(int fd, const struct dev_opt *o)
{
	char range[48];

	fmt_range(range, sizeof(range), o);
	if (o->type == DEV_OPT_U64)
		dprintf(fd, "    %s=<%s>  %s\n", o->key, range,
			o->help ? o->help : "");
	else
		dprintf(fd, "    %s=<text>  %s\n", o->key, o->help ? o->help : "");
}

void dev_list(int fd)
{
	dprintf(fd, "%-12s %-9s %-10s %-10s %4s  %s\n", "device", "class",
		"trust", "runs in", "max", "description");
	for (size_t i = 0; i < dev_registry_len; i++) {
		const struct dev_reg *r = dev_registry[i].reg;
		dprintf(fd, "%-12s %-9s %-10s %-10s %4u  %s\n", r->name,
			class_name(r->cls),
			dev_registry[i].trusted ? "trusted" : "untrusted",
			dev_registry[i].sandboxed ? "process"
			: r->flags & DEV_F_NO_SANDBOX ? "wisp only" : "wisp",
			r->max_instances, r->desc ? r->desc : "");
		if (r->flags & DEV_F_NO_DEFAULT)
			dprintf(fd, "    (no default instance: only when asked for)\n");
		for (size_t j = 0; j < r->n_opts; j++)
			list_opt(fd, &r->opts[j]);
	}
}

/* --- PCI function descriptions (checked the same way by every helper
 * table, so a device that registers in a test registers in wisp) --- */

static bool pow2_at_least(uint64_t v, uint64_t min)
{
	return v >= min && (v & (v - 1)) == 0;
}

static int pci_bar_check(const struct dev_pci_func *f, unsigned i)
{
	const struct dev_pci_bar *b = &f->bar[i];
	bool msix = f->msix_vectors && f->msix_bar == i;

	/* The MSI-X BAR is wisp's: the device leaves it unused. */
	if (!b->size)
		return b->ops || b->bell_len ? -EINVAL : 0;
	if (msix || !b->ops || !pow2_at_least(b->size, DEV_PCI_BAR_MIN) ||
	    b->size > DEV_PCI_BAR_MAX)
		return -EINVAL;
	if (!b->bell_len)
		return 0;
	if (!b->bell_fn || (b->bell_len & (b->bell_len - 1)) ||
	    b->bell_len > 8 || b->bell_off % b->bell_len ||
	    b->bell_off >= b->size)
		return -EINVAL;
	return 0;
}

static int pci_cap_check(const struct dev_pci_cap *c)
{
	return c->len >= 2 && c->len <= DEV_PCI_CAP_BYTES ? 0 : -EINVAL;
}

int dev_pci_func_check(const struct dev_pci_func *f)
{
	if (!f || f->vendor == 0xffff || f->class_code > 0xffffff ||
	    f->n_caps > DEV_PCI_CAPS || f->msix_vectors > DEV_PCI_MSIX_MAX ||
	    (f->msix_vectors && f->msix_bar >= DEV_PCI_BARS))
		return -EINVAL;
	for (unsigned i = 0; i < DEV_PCI_BARS; i++)
		if (pci_bar_check(f, i) < 0)
			return -EINVAL;
	for (unsigned i = 0; i < f->n_caps; i++)
		if (pci_cap_check(&f->caps[i]) < 0)
			return -EINVAL;
	return 0;
}
