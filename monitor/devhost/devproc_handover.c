/*
 * monitor/devproc_handover.c - the handover a device process gets after its
 * exec (struct dp_handover, devproc.h): wisp fills it from what the
 * instance owns; the process checks it before using any of it. It holds
 * numbers and the --device spec only: no pointer of wisp's crosses.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "core/vm.h"
#include "devhost/devproc.h"
#if WISP_PCI
#include "pci/pcibus.h"
#endif

_Static_assert(DP_HO_MAX_RAM == MEM_MAX_RAM_RANGES, "every RAM range");
_Static_assert(DP_HO_MAX_TIMERS == DEV_MAX_TIMERS, "every timer");
_Static_assert(DP_HO_MAX_IOEV == DEV_HOST_IOEVENTS, "every doorbell");
_Static_assert(PCI_MAX_VECTORS <= FD_MSIX_MAX, "a vector's fd in its block");
_Static_assert(DP_HO_SPEC == sizeof(((struct dev_ins *)0)->cfgbuf),
	       "a spec the parser accepted fits");
_Static_assert(FD_DPC_MMIO2_0 + DP_HO_MAX_MMIO2 <= FD_DPC_DOWN,
	       "MMIO2 memfds below the loop's fds");
_Static_assert(FD_FILE0 > FD_DPC_LAST || FD_FILE0 + FD_FILE_MAX <= FD_DPC_FIRST,
	       "host files keep their numbers: outside the numbers dp_give "
	       "moves fds to");
_Static_assert(DEV_FILE_KEYS <= 64 && FD_FILE_MAX <= 64,
	       "keys and fds fit a 64-bit set in the check");

/* The spec again, from the parsed config: the CLI's string was split in
 * place, and a default instance had none. */
static int dp_ho_spec(const struct dev_ins *ins, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "%s", ins->reg->name);

	for (size_t i = 0; i < ins->n_cfg && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, ",%s=%s",
				      ins->cfg[i].key, ins->cfg[i].val);
	return n < len ? 0 : -E2BIG;
}

static void dp_ho_ram(const struct mem *m, struct dp_handover *ho)
{
	ho->ram_total = m->size;
	ho->n_ram = m->n_ranges;
	for (unsigned i = 0; i < m->n_ranges; i++) {
		const struct mem_range *r = &m->ranges[i];
		ho->ram[i].gpa = r->gpa;
		ho->ram[i].off = (uint64_t)(r->host - m->base);
		ho->ram[i].size = r->size;
	}
}

/* The instance's MMIO2 regions, by wisp's handle: the device's own
 * handle values must mean the same in both processes. */
static int dp_ho_mmio2(struct vm *vm, struct dev_host *h,
		       struct dp_handover *ho)
{
	struct devproc *p = h->proc;

	for (int i = 0; i < MEM_MAX_MMIO2; i++) {
		const struct mem_mmio2 *r = &vm->mem.mmio2[i];
		if (!r->used || r->owner != h->ins)
			continue;
		if (ho->n_mmio2 == DP_HO_MAX_MMIO2)
			return -E2BIG;
		ho->mmio2[ho->n_mmio2].handle = i;
		ho->mmio2[ho->n_mmio2].flags = r->flags;
		ho->mmio2[ho->n_mmio2].size = r->size;
		p->mmio2_fd[ho->n_mmio2++] = r->fd;
	}
	p->n_mmio2 = ho->n_mmio2;
	return 0;
}

static void dp_ho_fds(struct dev_host *h, struct dp_handover *ho)
{
	ho->n_timers = h->n_timers;
	for (unsigned t = 0; t < h->n_timers; t++)
		ho->timer_fd[t] = h->timers[t].fd;
	ho->n_ioevents = h->n_ioevents;
	for (unsigned d = 0; d < h->n_ioevents; d++)
		ho->ioevent_fd[d] = h->ioevents[d].fd;
	ho->n_irq = h->proc->n_irqfd;
	for (unsigned i = 0; i < h->proc->n_irqfd; i++)
		ho->irq_gsi[i] = h->proc->irq_gsi[i];
}

/* Its host files, in key order, each at its own fd number. */
static int dp_ho_files(const struct dev_host *h, struct dp_handover *ho)
{
	for (unsigned k = 0; k < DEV_FILE_KEYS; k++) {
		if (!((h->file_keys >> k) & 1))
			continue;
		if (ho->n_files == DP_HO_MAX_FILES)
			return -E2BIG;
		uint32_t fl = ((h->file_ro >> k) & 1 ? DP_HO_FILE_RO : 0) |
			      ((h->file_pollable >> k) & 1 ? DP_HO_FILE_POLL : 0);
		ho->files[ho->n_files].size = h->file_size[k];
		ho->files[ho->n_files].key = k;
		ho->files[ho->n_files].flags = fl;
		ho->files[ho->n_files++].fd = h->files[k];
	}
	return 0;
}

int dp_handover_fill(struct vm *vm, struct dev_host *h, struct dp_handover *ho)
{
	const struct chr *c = h->chr;

	*ho = (struct dp_handover){ .magic = DP_HO_MAGIC,
				    .version = DP_HO_VERSION,
				    .size = sizeof(*ho), .idx = h->ins->idx,
				    .console_fd = c ? c->out_fd : -1 };
	if (h->trusted)
		ho->flags |= DP_HO_TRUSTED;
	if (vm->shot_fd >= 0 && h->ins->reg->ops->display)
		ho->flags |= DP_HO_SCREENSHOT;
	dp_ho_ram(&vm->mem, ho);
	dp_ho_fds(h, ho);
#if WISP_PCI
	unsigned slot, gsi0, nvec;
	if (pcibus_fn_info(h, &slot, &gsi0, &nvec) == 0) {
		ho->pci_slot = slot;
		ho->msix_gsi0 = gsi0;
		ho->msix_n = nvec;
	}
#endif
	if (dp_ho_spec(h->ins, ho->spec, sizeof(ho->spec)) < 0 ||
	    dp_ho_files(h, ho) < 0)
		return -E2BIG;
	return dp_ho_mmio2(vm, h, ho);
}

/* ---- the device process's check ----------------------------------------- */

#define DP_HO_FAIL(...) (snprintf(why, whylen, __VA_ARGS__), -EINVAL)

static bool dp_ho_page(uint64_t v)
{
	return !(v & (MEM_PAGE - 1));
}

static int dp_ho_check_head(const struct dp_handover *ho, size_t len,
			    char *why, size_t whylen)
{
	if (len != sizeof(*ho) || ho->magic != DP_HO_MAGIC ||
	    ho->size != sizeof(*ho))
		return DP_HO_FAIL("not a handover (%zu bytes)", len);
	if (ho->version != DP_HO_VERSION)
		return DP_HO_FAIL("handover version %u, not %u", ho->version,
				  DP_HO_VERSION);
	if (ho->flags & ~(DP_HO_TRUSTED | DP_HO_SCREENSHOT))
		return DP_HO_FAIL("unknown flags 0x%x", ho->flags);
	if (!memchr(ho->spec, '\0', sizeof(ho->spec)))
		return DP_HO_FAIL("%s", "the spec is not terminated");
	if (ho->idx >= VM_MAX_DEVICES)
		return DP_HO_FAIL("instance %u", ho->idx);
	if (ho->console_fd != -1 && ho->console_fd != STDOUT_FILENO &&
	    ho->console_fd != FD_CONSOLE)
		return DP_HO_FAIL("console fd %d", ho->console_fd);
	return 0;
}

static int dp_ho_check_ram(const struct dp_handover *ho, char *why,
			   size_t whylen)
{
	if (!ho->n_ram || ho->n_ram > DP_HO_MAX_RAM || !ho->ram_total ||
	    !dp_ho_page(ho->ram_total) || ho->ram_total > GMAP_LIMIT)
		return DP_HO_FAIL("%u RAM ranges of 0x%llx bytes", ho->n_ram,
				  (unsigned long long)ho->ram_total);
	for (unsigned i = 0; i < ho->n_ram; i++) {
		uint64_t gpa = ho->ram[i].gpa, off = ho->ram[i].off;
		uint64_t size = ho->ram[i].size;
		if (!size || !dp_ho_page(gpa | off | size) ||
		    off > ho->ram_total || size > ho->ram_total - off ||
		    gpa > GMAP_LIMIT || size > GMAP_LIMIT - gpa)
			return DP_HO_FAIL("RAM range %u out of bounds", i);
	}
	return 0;
}

/* fd numbers inside the block its policy names: [base, base+count). */
static bool dp_ho_fds_in(const int32_t *fd, uint32_t n, int base, int count)
{
	for (uint32_t i = 0; i < n; i++)
		if (fd[i] < base || fd[i] >= base + count)
			return false;
	return true;
}

static int dp_ho_check_lines(const struct dp_handover *ho, char *why,
			     size_t whylen)
{
	if (ho->n_timers > DP_HO_MAX_TIMERS ||
	    !dp_ho_fds_in(ho->timer_fd, ho->n_timers, FD_TIMER0, FD_TIMER_MAX))
		return DP_HO_FAIL("%u timers, or one outside its fds",
				  ho->n_timers);
	if (ho->n_ioevents > DP_HO_MAX_IOEV ||
	    !dp_ho_fds_in(ho->ioevent_fd, ho->n_ioevents, FD_IOEV0,
			  FD_IOEV_MAX))
		return DP_HO_FAIL("%u doorbells, or one outside its fds",
				  ho->n_ioevents);
	if (ho->n_irq > DEVPROC_MAX_IRQFD)
		return DP_HO_FAIL("%u interrupt lines", ho->n_irq);
	for (unsigned i = 0; i < ho->n_irq; i++)
		if (ho->irq_gsi[i] >= VM_NR_GSI || ho->irq_gsi[i] == 2)
			return DP_HO_FAIL("interrupt line %u", ho->irq_gsi[i]);
	return 0;
}

static int dp_ho_check_mmio2(const struct dp_handover *ho, char *why,
			     size_t whylen)
{
	uint32_t seen = 0;

	if (ho->n_mmio2 > DP_HO_MAX_MMIO2)
		return DP_HO_FAIL("%u MMIO2 regions", ho->n_mmio2);
	for (unsigned i = 0; i < ho->n_mmio2; i++) {
		int32_t hd = ho->mmio2[i].handle;
		uint64_t size = ho->mmio2[i].size;
		if (hd < 0 || hd >= MEM_MAX_MMIO2 || (seen & (1u << hd)) ||
		    !size || !dp_ho_page(size) || size > GMAP_LIMIT ||
		    (ho->mmio2[i].flags & ~MEM_MMIO2_F_TRACK))
			return DP_HO_FAIL("MMIO2 region %u", i);
		seen |= 1u << hd;
	}
	return 0;
}

/* Each key and each fd once, fds in the block the policies name, no
 * flag this binary does not know, a size a pread offset can reach. */
static int dp_ho_check_files(const struct dp_handover *ho, char *why,
			     size_t whylen)
{
	uint64_t keys = 0, fds = 0;

	if (ho->n_files > DP_HO_MAX_FILES)
		return DP_HO_FAIL("%u host files", ho->n_files);
	for (unsigned i = 0; i < ho->n_files; i++) {
		uint32_t key = ho->files[i].key;
		int32_t fd = ho->files[i].fd;
		if (key >= DEV_FILE_KEYS || (keys >> key) & 1 ||
		    fd < FD_FILE0 || fd >= FD_FILE0 + FD_FILE_MAX ||
		    (fds >> (fd - FD_FILE0)) & 1 ||
		    (ho->files[i].flags & ~(DP_HO_FILE_RO | DP_HO_FILE_POLL)) ||
		    ho->files[i].size > INT64_MAX)
			return DP_HO_FAIL("host file %u (key %u, fd %d)", i, key,
					  fd);
		keys |= 1ull << key;
		fds |= 1ull << (fd - FD_FILE0);
	}
	return 0;
}

void dp_handover_files(struct dev_host *h, const struct dp_handover *ho)
{
	for (unsigned i = 0; i < ho->n_files; i++) {
		unsigned k = ho->files[i].key;
		h->files[k] = ho->files[i].fd;
		h->file_size[k] = ho->files[i].size;
		h->file_keys |= 1ull << k;
		if (ho->files[i].flags & DP_HO_FILE_RO)
			h->file_ro |= 1ull << k;
		if (ho->files[i].flags & DP_HO_FILE_POLL)
			h->file_pollable |= 1ull << k;
	}
}

/* A function on the bus (slot 1..31) with its vectors' fds inside
 * FD_MSIX0's block; none: all zero. */
static int dp_ho_check_pci(const struct dp_handover *ho, char *why,
			   size_t whylen)
{
	uint32_t n = ho->msix_n, g = ho->msix_gsi0;

	if (!ho->pci_slot && !n && !g)
		return 0;
	if (ho->pci_slot >= PCI_SLOTS || !ho->pci_slot ||
	    n > DEV_PCI_MSIX_MAX || g < PCI_MSI_GSI0 ||
	    g - PCI_MSI_GSI0 > PCI_MAX_VECTORS ||
	    n > PCI_MAX_VECTORS - (g - PCI_MSI_GSI0))
		return DP_HO_FAIL("PCI slot %u, %u vectors from GSI %u",
				  ho->pci_slot, n, g);
	return 0;
}

int dp_handover_check(const struct dp_handover *ho, size_t len, char *why,
		      size_t whylen)
{
	int rc = dp_ho_check_head(ho, len, why, whylen);

	if (rc == 0)
		rc = dp_ho_check_ram(ho, why, whylen);
	if (rc == 0)
		rc = dp_ho_check_lines(ho, why, whylen);
	if (rc == 0)
		rc = dp_ho_check_mmio2(ho, why, whylen);
	if (rc == 0)
		rc = dp_ho_check_files(ho, why, whylen);
	if (rc == 0)
		rc = dp_ho_check_pci(ho, why, whylen);
	return rc;
}
