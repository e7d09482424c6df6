/*
 * monitor/devhost/devmgr.c - device instances: from the CLI (--device) and the
 * profile's defaults (one instance of each compiled-in device not named on
 * the command line, unless it is DEV_F_NO_DEFAULT), constructed in class
 * order, destructed in reverse.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/exitcode.h"
#include "policy.h"
#include "core/vm.h"
#include "devhost/devhost.h"
#include "devhost/devproc.h"

static unsigned count_reg(const struct vm *vm, const struct dev_reg *reg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vm->n_devs; i++)
		n += vm->devs[i].reg == reg;
	return n;
}

static const struct dev_entry *entry_of(const struct dev_reg *reg)
{
	for (size_t i = 0; i < dev_registry_len; i++)
		if (dev_registry[i].reg == reg)
			return &dev_registry[i];
	return NULL;
}

/* Parse one spec into the next slot; checks the per-device limit. */
static int devmgr_add(struct vm *vm, const char *spec, char *err, size_t len)
{
	if (vm->n_devs >= VM_MAX_DEVICES) {
		snprintf(err, len, "too many devices (at most %d)",
			 VM_MAX_DEVICES);
		return -1;
	}
	struct dev_ins *ins = &vm->devs[vm->n_devs];
	if (dev_parse_spec(spec, ins, err, len) < 0)
		return -1;
	unsigned n = count_reg(vm, ins->reg);
	if (n >= ins->reg->max_instances) {
		snprintf(err, len, "too many instances of device '%s' (at most %u)",
			 ins->reg->name, ins->reg->max_instances);
		return -1;
	}
	ins->idx = n;
	snprintf(ins->name, sizeof(ins->name), "%s.%u", ins->reg->name, n);
	vm->n_devs++;
	return 0;
}

static bool console_taken(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->n_devs; i++)
		if (vm->hosts[i].chr)
			return true;
	return false;
}

/* A device runs sandboxed only under its own policy, dev_<name>. */
static bool devmgr_no_policy(const struct dev_ins *ins, char *err, size_t len)
{
	char role[48];

	snprintf(role, sizeof(role), "dev_%s", ins->reg->name);
	if (policy_find(role))
		return false;
	snprintf(err, len, "device '%s' has no sandbox policy "
		 "(policy/%s.policy) and cannot run in its own process",
		 ins->reg->name, role);
	return true;
}

/* The profile's choices for this device, against what the device allows. */
static int devmgr_check_placement(const struct dev_entry *e,
				  const struct dev_ins *ins, char *err,
				  size_t len)
{
	uint32_t f = ins->reg->flags;

	if (e->trusted && !(f & DEV_F_TRUSTABLE))
		snprintf(err, len, "profile '%s' trusts device '%s', which may "
			 "not be trusted", WISP_PROFILE, ins->reg->name);
	else if ((f & DEV_F_NEEDS_TRUST) && !e->trusted)
		snprintf(err, len,
			 "device '%s' needs the trusted helper table, which "
			 "profile '%s' does not grant it", ins->reg->name,
			 WISP_PROFILE);
	else if (e->sandboxed && (f & DEV_F_NO_SANDBOX))
		snprintf(err, len, "profile '%s' sandboxes device '%s', which "
			 "runs only inside wisp", WISP_PROFILE, ins->reg->name);
	else
		return 0;
	return -1;
}

static bool devmgr_sandboxed(struct vm *vm, const struct dev_entry *e,
			     const struct dev_ins *ins)
{
	if (!(ins->reg->flags & DEV_F_NO_SANDBOX))
		return e->sandboxed || vm->cfg->sandbox_all;
	/* Not silently: the user asked for every device out of wisp. */
	if (vm->cfg->sandbox_all)
		wlog(LOG_WARN, "%s runs inside wisp even with --sandbox=all: a "
		     "device process cannot reach its files or workers",
		     ins->name);
	return false;
}

static int devmgr_attach(struct vm *vm, struct dev_ins *ins, char *err,
			 size_t len)
{
	const struct dev_entry *e = entry_of(ins->reg);
	struct dev_host *h = &vm->hosts[ins - vm->devs];

	if (devmgr_check_placement(e, ins, err, len) < 0)
		return -1;
	*h = (struct dev_host){ .vm = vm, .ins = ins, .trusted = e->trusted,
				.sandboxed = devmgr_sandboxed(vm, e, ins) };
	if (h->sandboxed && devmgr_no_policy(ins, err, len))
		return -1;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->rl.lock, NULL);
	h->rl.burst = 10;
	/* The console goes to the first serial-class instance. */
	if (ins->reg->cls == DEV_CLASS_SERIAL && !console_taken(vm))
		h->chr = &vm->console;
	ins->host = h;
	ins->hlp = devhlp_table(e->trusted, false);
	ins->priv = calloc(1, ins->reg->instance_size ? ins->reg->instance_size : 1);
	if (!ins->priv)
		die(WISP_EXIT_OSERR, "out of memory for device %s", ins->name);
	return 0;
}

int devmgr_create(struct vm *vm, char *err, size_t len)
{
	const struct vm_config *cfg = vm->cfg;

	for (unsigned i = 0; i < cfg->n_devs; i++)
		if (devmgr_add(vm, cfg->dev_specs[i], err, len) < 0)
			return -1;
	for (size_t i = 0; i < dev_registry_len; i++)
		if (!(dev_registry[i].reg->flags & DEV_F_NO_DEFAULT) &&
		    !count_reg(vm, dev_registry[i].reg) &&
		    devmgr_add(vm, dev_registry[i].reg->name, err, len) < 0)
			return -1;
	for (unsigned i = 0; i < vm->n_devs; i++)
		if (devmgr_attach(vm, &vm->devs[i], err, len) < 0)
			return -1;
	return 0;
}

int devmgr_construct(struct vm *vm)
{
	for (int cls = 0; cls < DEV_CLASS_COUNT; cls++) {
		for (unsigned i = 0; i < vm->n_devs; i++) {
			struct dev_ins *ins = &vm->devs[i];
			if ((int)ins->reg->cls != cls)
				continue;
			int rc = ins->reg->ops->construct(ins);
			if (rc < 0)
				die(WISP_EXIT_DEVICE, "device %s failed to start: %s",
				    ins->name, strerror(-rc));
			vm->hosts[i].constructed = true;
		}
	}
	return 0;
}

static void devmgr_destruct_one(struct vm *vm, unsigned i)
{
	struct dev_ins *ins = &vm->devs[i];
	struct dev_host *h = &vm->hosts[i];

	if (!h->constructed)
		return;
	pthread_mutex_lock(&h->lock);
	if (h->proc)
		devproc_stop(h);
	else if (ins->reg->ops->destruct)
		ins->reg->ops->destruct(ins);
	h->constructed = false;
	pthread_mutex_unlock(&h->lock);
	for (unsigned t = 0; t < h->n_timers; t++)
		close(h->timers[t].fd);
	for (unsigned d = 0; d < h->n_ioevents; d++)
		close(h->ioevents[d].fd);
	free(ins->priv);
	ins->priv = NULL;
}

/* Reverse class order, reverse creation order within a class. */
void devmgr_destruct(struct vm *vm)
{
	for (int cls = DEV_CLASS_COUNT - 1; cls >= 0; cls--)
		for (unsigned i = vm->n_devs; i-- > 0;)
			if ((int)vm->devs[i].reg->cls == cls)
				devmgr_destruct_one(vm, i);
}
