/*
 * tests/vfio/probe.c - passthru/'s setup path against a real device, with
 * no VM: run inside the testbed (emulated intel-iommu, QEMU's edu device
 * bound to vfio-pci), it opens the function through vfio_dev_open, checks
 * the guest's view of config space, reads edu's registers through a BAR
 * mmap, maps a buffer for DMA through vfio_dma and has edu copy it in and
 * out, receives edu's MSI on a VFIO eventfd, aims one DMA outside the
 * map (the IOMMU must fault it), and closes (device quiet and reset).
 *   probe ADDR [ROUNDS]   exit 0 when every check passed
 * edu facts (../shared/testbed.md): registers below 0x80 take 4-byte
 * accesses, DMA addresses below 256 MiB, transfers under 4096 bytes and
 * not ending at the end of edu's buffer, bus master set by us.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vfio.h"

#define EDU_ID 0x00
#define EDU_LIVE 0x04
#define EDU_FACT 0x08
#define EDU_STATUS 0x20
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_BUF 0x40000
#define IOVA 0x100000ull /* below edu's 256 MiB */
#define LEN 2048

static int failures;

static void check(bool ok, const char *what)
{
	printf("vfio-probe: %s: %s\n", ok ? "ok" : "FAIL", what);
	failures += !ok;
}

static volatile uint32_t *r32(uint8_t *bar, unsigned off)
{
	return (volatile uint32_t *)(bar + off);
}

static volatile uint64_t *r64(uint8_t *bar, unsigned off)
{
	return (volatile uint64_t *)(bar + off);
}

/* Wait until (reg & bit) == 0, up to 2 s. */
static bool wait_clear(uint8_t *bar, unsigned reg, uint64_t bit, bool wide)
{
	for (int i = 0; i < 2000; i++) {
		uint64_t v = wide ? *r64(bar, reg) : *r32(bar, reg);
		if (!(v & bit))
			return true;
		usleep(1000);
	}
	return false;
}

static bool edu_dma(uint8_t *bar, uint64_t src, uint64_t dst, uint64_t cmd)
{
	*r64(bar, EDU_DMA_SRC) = src;
	*r64(bar, EDU_DMA_DST) = dst;
	*r64(bar, EDU_DMA_CNT) = LEN;
	*r64(bar, EDU_DMA_CMD) = 1 | cmd;
	return wait_clear(bar, EDU_DMA_CMD, 1, true);
}

static void check_cfg(struct vfio_dev *d)
{
	char line[160];

	snprintf(line, sizeof(line), "config ids %08x, BAR0 %" PRIu64
		 " KiB mmap %d, MSI cap at 0x%x, command %04x",
		 vfio_cfg_read(&d->cfg, 0, 4), d->cfg.bar[0].size >> 10,
		 d->cfg.bar[0].mmap, d->cfg.msi_off, vfio_cfg_command(&d->cfg));
	check(vfio_cfg_read(&d->cfg, 0, 4) == 0x11e81234 &&
	      d->cfg.bar[0].size == 1 << 20 && d->cfg.msi_off, line);
	vfio_cfg_write(&d->cfg, 0, 4, 0);
	check(d->cfg.dropped == 1 && vfio_cfg_read(&d->cfg, 0, 4) == 0x11e81234,
	      "a write to the IDs dropped and counted");
	vfio_cfg_write(&d->cfg, 0x10, 4, 0xffffffff);
	check(vfio_cfg_read(&d->cfg, 0x10, 4) == 0xfff00000,
	      "BAR0 sizing reads back 1 MiB");
	int rc = vfio_dev_cfg_write(d, 4, 2, 0x0006);
	check(rc == VFIO_CFG_EV_CMD,
	      "memory space and bus master forwarded to the device");
}

static uint8_t *map_bar0(struct vfio_dev *d)
{
	void *p = mmap(NULL, d->reg[0].size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, d->device, (off_t)d->reg[0].offset);
	return p == MAP_FAILED ? NULL : p;
}

static void check_regs(uint8_t *bar)
{
	char line[80];

	snprintf(line, sizeof(line), "edu id register 0x%08x", *r32(bar, EDU_ID));
	check(*r32(bar, EDU_ID) == 0x010000ed, line);
	*r32(bar, EDU_LIVE) = 0x12345678;
	check(*r32(bar, EDU_LIVE) == ~0x12345678u, "liveness register inverts");
	*r32(bar, EDU_FACT) = 10;
	check(wait_clear(bar, EDU_STATUS, 1, false) &&
	      *r32(bar, EDU_FACT) == 3628800, "factorial of 10 through BAR0");
}

static void check_dma(struct vfio_dev *d, uint8_t *bar)
{
	uint8_t *buf = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(buf != MAP_FAILED, "DMA buffer");
	if (buf == MAP_FAILED)
		return;
	int rc = vfio_dma_map(&d->dma, IOVA, 2 << 20, buf);
	check(rc == 0, rc == -ENOMEM ? d->dma.msg : "VFIO_IOMMU_MAP_DMA of 2 MiB at IOVA 0x100000");
	for (unsigned i = 0; i < LEN; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	bool ok = edu_dma(bar, IOVA, EDU_BUF, 0) &&
		  edu_dma(bar, EDU_BUF, IOVA + 0x10000, 2);
	check(ok && !memcmp(buf, buf + 0x10000, LEN),
	      "edu DMA from mapped memory and back, bytes equal");
	/* outside the map: the IOMMU faults it (the DMAR line in the
	 * kernel log is the caller's to find); the device and we go on */
	bool done = edu_dma(bar, EDU_BUF, 0x8000000, 2);
	check(done && *r32(bar, EDU_ID) == 0x010000ed,
	      "a DMA to an unmapped IOVA (0x8000000) finished, device alive");
	check(vfio_dma_unmap(&d->dma, IOVA, 2 << 20) == 0, "VFIO_IOMMU_UNMAP_DMA");
}

/* MSI on an eventfd: VFIO_DEVICE_SET_IRQS, then edu's raise register. */
static void check_msi(struct vfio_dev *d, uint8_t *bar)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	char sb[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *s = (void *)sb;

	*s = (struct vfio_irq_set){
		.argsz = sizeof(sb),
		.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_MSI_IRQ_INDEX, .start = 0, .count = 1,
	};
	memcpy(s->data, &efd, sizeof(int));
	int rc = d->sys->ioctl(d->sys->ctx, d->device, VFIO_DEVICE_SET_IRQS, s);
	check(rc == 0, "VFIO_DEVICE_SET_IRQS: MSI vector 0 on an eventfd");
	*r32(bar, EDU_IRQ_RAISE) = 0x100;
	struct pollfd p = {.fd = efd, .events = POLLIN};
	uint64_t n = 0;
	bool got = poll(&p, 1, 2000) == 1 && read(efd, &n, 8) == 8;
	check(got && *r32(bar, EDU_IRQ_STATUS) == 0x100, "edu's MSI arrived");
	*r32(bar, EDU_IRQ_ACK) = 0x100;
	s->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->count = 0;
	s->argsz = sizeof(*s);
	d->sys->ioctl(d->sys->ctx, d->device, VFIO_DEVICE_SET_IRQS, s);
	close(efd);
}

static void round_once(const char *addr)
{
	struct vfio_dev d;
	struct rlimit rl;
	char err[300];

	getrlimit(RLIMIT_MEMLOCK, &rl);
	struct vfio_host h = {"/sys", "/dev/vfio", &vfio_sys_host,
			      rl.rlim_cur};
	if (vfio_dev_open(&d, &h, addr, err, sizeof(err))) {
		check(false, err);
		return;
	}
	check(true, "vfio_dev_open: container, group, device, regions");
	check_cfg(&d);
	uint8_t *bar = map_bar0(&d);
	check(bar != NULL, "BAR0 mmap");
	if (bar) {
		check_regs(bar);
		check_dma(&d, bar);
		check_msi(&d, bar);
		munmap(bar, d.reg[0].size);
	}
	vfio_dev_close(&d);
	check(d.device < 0 && d.container < 0, "closed: quiet, reset");
}

int main(int argc, char **argv)
{
	char addr[VFIO_ADDR_LEN], err[200];

	if (argc < 2 || vfio_parse_addr(argv[1], addr, err, sizeof(err))) {
		fprintf(stderr, "vfio-probe: %s\n", argc < 2 ? "usage: probe ADDR [ROUNDS]" : err);
		return 64;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 1;
	for (int i = 0; i < rounds; i++)
		round_once(addr);
	printf("vfio-probe: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
