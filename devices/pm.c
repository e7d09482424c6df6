/*
 * devices/pm.c - hardware-reduced ACPI power management: the sleep control
 * and status registers and the reset register the FADT names (byte-wide
 * ports 0x3c0, 0x3c1, 0x3c2; monitor/boot/acpi.h), as Cloud Hypervisor and
 * Firecracker give their guests instead of PM1 blocks.
 *
 * Sleep control (ACPI 6, 4.8.3.7): bits 2-4 SLP_TYP, bit 5 SLP_EN. S5 (the
 * DSDT's \_S5 value, 5) with SLP_EN powers the VM off, status 0; other
 * sleep states are not offered (logged, ignored: the guest stays awake).
 * Sleep status: WAK_STS (bit 7) never set, nothing ever sleeps. Reset: the
 * FADT's RESET_VALUE ends the VM as a reboot (the helper table's vm_reset);
 * other values are ignored, as the register's owner may.
 *
 * Power button (ACPI 6, 4.8.2.2.1.2, a control-method button behind the
 * hardware-reduced Generic Event Device, as Cloud Hypervisor offers it):
 * pressing it (the control socket's `stop`, dev_ops.power_button) sets
 * bit 0 of the event status register (port 0x3c3) and raises GSI 9, level
 * triggered; the DSDT's GED _EVT reads the register, writes the bit back
 * to clear it (which lowers the line) and notifies the PNP0C0C device,
 * which Linux's button driver reports as KEY_POWER to the guest's own
 * userspace. A guest that never clears it keeps the line high: harmless,
 * and a second press finds it pending.
 */
#include <errno.h>
#include <stdint.h>

#include "dev.h"

#define PM_BASE 0x3c0
#define PM_LEN 4
#define PM_SLEEP_CONTROL 0
#define PM_SLEEP_STATUS 1
#define PM_RESET 2
#define PM_EVENT 3
#define PM_EV_PWRBTN (1u << 0)
#define PM_GSI 9 /* the DSDT's GED interrupt (monitor/boot/dsdt.asl) */
#define SLP_EN (1u << 5)
#define SLP_TYP(v) (((v) >> 2) & 7u)
#define S5 5u
#define RESET_VALUE 0x01

struct pm {
	uint8_t sleep_status; /* guest-written bits, WAK_STS never set */
	uint8_t event;        /* PM_EV_* pending, the GED's line high */
};

static uint64_t pm_read(struct dev_ins *ins, void *opaque, uint64_t off,
			unsigned size)
{
	struct pm *p = ins->priv;

	if (off == PM_EVENT)
		return p->event;
	return off == PM_SLEEP_STATUS ? p->sleep_status & 0x7f : 0;
}

static void pm_sleep(struct dev_ins *ins, uint8_t v)
{
	const struct dev_hlp_trusted *t = ins->hlp->trusted;

	if (!(v & SLP_EN))
		return;
	if (SLP_TYP(v) != S5) {
		ins->hlp->log(ins, DEV_LOG_WARN, "guest asked for sleep state "
			      "type %u; only S5 (power off) is offered",
			      SLP_TYP(v));
		return;
	}
	ins->hlp->log(ins, DEV_LOG_INFO, "guest powered off (ACPI S5)");
	t->vm_poweroff(ins, 0);
}

/* Byte registers: a wider access writes its low byte to the first. */
static void pm_write(struct dev_ins *ins, void *opaque, uint64_t off,
		     unsigned size, uint64_t val)
{
	struct pm *p = ins->priv;
	uint8_t v = (uint8_t)val;

	if (off == PM_SLEEP_CONTROL)
		pm_sleep(ins, v);
	else if (off == PM_SLEEP_STATUS)
		p->sleep_status &= (uint8_t)~v; /* write 1 to clear */
	else if (off == PM_RESET && v == RESET_VALUE)
		ins->hlp->trusted->vm_reset(ins);
	else if (off == PM_EVENT && (p->event & v)) {
		p->event &= (uint8_t)~v; /* write 1 to clear */
		if (!p->event)
			ins->hlp->irq_set(ins, PM_GSI, DEV_IRQ_LOW);
	}
}

static int pm_power_button(struct dev_ins *ins)
{
	struct pm *p = ins->priv;

	p->event |= PM_EV_PWRBTN;
	return ins->hlp->irq_set(ins, PM_GSI, DEV_IRQ_HIGH);
}

static const struct dev_io_ops pm_io = {
	.read = pm_read,
	.write = pm_write,
};

static void pm_reset(struct dev_ins *ins)
{
	struct pm *p = ins->priv;

	p->sleep_status = 0;
	if (p->event)
		ins->hlp->irq_set(ins, PM_GSI, DEV_IRQ_LOW);
	p->event = 0;
}

static int pm_construct(struct dev_ins *ins)
{
	if (!ins->hlp->trusted) {
		ins->hlp->log(ins, DEV_LOG_ERR, "needs the trusted helper table "
			      "to power the VM off; the profile does not trust it");
		return -EPERM;
	}
	int rc = ins->hlp->irq_claim(ins, PM_GSI);
	if (rc < 0)
		return rc;
	pm_reset(ins);
	return ins->hlp->io_register(ins, DEV_SPACE_PIO, PM_BASE, PM_LEN, &pm_io,
				     NULL);
}

static const struct dev_ops pm_ops = {
	.construct = pm_construct,
	.reset = pm_reset,
	.power_button = pm_power_button,
};

const struct dev_reg dev_reg_pm = {
	.name = "pm",
	.desc = "ACPI power management: sleep control/status (S5 power-off) "
		"reset and power-button event registers at ports 0x3c0-0x3c3 "
		"(GSI 9)",
	.cls = DEV_CLASS_PLATFORM,
	.flags = DEV_F_TRUSTABLE | DEV_F_NEEDS_TRUST,
	.max_instances = 1,
	.instance_size = sizeof(struct pm),
	.ops = &pm_ops,
};
