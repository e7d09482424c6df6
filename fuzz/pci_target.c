/*
 * fuzz/pci_target.c - libFuzzer target for wisp's PCI bus (pci/pci.c)
 * without KVM: streams of conf1, ECAM, MSI-X table and notify ops
 * from the guest's side over a bus of three functions, whose BARs are
 * decoded in a real guest-physical map (mem/, RAM below them).
 * Invariants after every op: a decoded BAR sits where its register says,
 * aligned, memory space on, in the map as the backend put it, on nothing
 * else; conf1 and ECAM read the same config space; a BAR register's size
 * bits read 0; absent devices read all ones; a vector is routed or sent
 * only while live, and only once per pending bit; the PBA has no bit past
 * the function's vectors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "pci.h"

const struct dev_entry dev_registry[] = { { 0 } };
const size_t dev_registry_len = 0;

#define NFN 3

struct ctx {
	struct mem m;
	struct pci_bus b;
	struct pci_fn fn[NFN];
	const uint8_t *p, *end;
	unsigned fires[NFN][DEV_PCI_MSIX_MAX];
	bool in_notify;
};

static struct ctx C;

static void __attribute__((format(printf, 1, 2), noreturn))
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static unsigned fn_index(const struct pci_fn *fn)
{
	return (unsigned)(fn - C.fn);
}

static int bk_map(void *ctx, struct pci_fn *fn, unsigned bar, uint64_t gpa)
{
	char name[GMAP_NAME_LEN];

	if (!(fn->command & PCI_CMD_MEM) || gpa != fn->bar_reg[bar] ||
	    (gpa & (fn->bar_size[bar] - 1)))
		fail("map of BAR%u at 0x%llx: not what the guest set", bar,
		     (unsigned long long)gpa);
	snprintf(name, sizeof(name), "fn%u BAR%u", fn_index(fn), bar);
	return mem_mmio_add(&C.m, gpa, fn->bar_size[bar], fn, name, NULL,
			    NULL, NULL, 0);
}

static void bk_unmap(void *ctx, struct pci_fn *fn, unsigned bar, uint64_t gpa)
{
	if (mem_mmio_del(&C.m, gpa, fn) < 0)
		fail("unmap of BAR%u at 0x%llx: not mapped", bar,
		     (unsigned long long)gpa);
}

static void bk_route(void *ctx, struct pci_fn *fn, unsigned vec)
{
	if (!pci_msix_vec_live(fn, vec))
		fail("route of vector %u while not live", vec);
}

static void fire(struct pci_fn *fn, unsigned vec)
{
	if (vec >= fn->d.msix_vectors || !(fn->msix_ctrl & PCI_MSIX_ENABLE))
		fail("vector %u sent while MSI-X is off", vec);
	C.fires[fn_index(fn)][vec]++;
}

static void bk_fire(void *ctx, struct pci_fn *fn, unsigned vec)
{
	if (!pci_msix_vec_live(fn, vec))
		fail("pending vector %u sent while not live", vec);
	fire(fn, vec);
}

static void notify_fire(void *ctx, unsigned vec)
{
	struct pci_fn *fn = ctx;

	if (!pci_msix_vec_live(fn, vec))
		fail("notify sent vector %u while masked", vec);
	fire(fn, vec);
}

static const struct pci_backend bk = {
	.bar_map = bk_map, .bar_unmap = bk_unmap,
	.msix_route = bk_route, .msix_fire = bk_fire,
};

static uint64_t dummy_read(struct dev_ins *ins, void *o, uint64_t off,
			   unsigned size)
{
	return 0;
}

static const struct dev_io_ops dummy_ops = { .read = dummy_read };

static void dummy_bell(struct dev_ins *ins, void *o, uint64_t n)
{
}

/* Three functions: a virtio-like one (caps, 4 KiB + 16 KiB BARs, 8
 * vectors), one with 56 vectors (the rest of the bus) and a 1 MiB BAR, one with neither. */
static void add_fns(void)
{
	struct dev_pci_func f = { .vendor = 0x1af4, .device = 0x1041,
				  .class_code = 0xff0000, .n_caps = 3,
				  .msix_vectors = 8, .msix_bar = 1 };

	f.bar[0] = (struct dev_pci_bar){ .size = 16384, .ops = &dummy_ops,
		.bell_off = 0x3000, .bell_len = 2, .bell_fn = dummy_bell };
	f.bar[4] = (struct dev_pci_bar){ .size = 4096, .ops = &dummy_ops };
	for (unsigned i = 0; i < 3; i++)
		f.caps[i] = (struct dev_pci_cap){ .len = (uint8_t)(16 + 4 * i),
						  .data = { 0x09, 0, 16, (uint8_t)i } };
	int rc = pci_bus_add(&C.b, &C.fn[0], &f, NULL);
	if (rc != 1)
		fail("add fn0: %d", rc);
	struct dev_pci_func g = { .vendor = 0x1234, .device = 0x11,
				  .msix_vectors = 56, .msix_bar = 5 };
	g.bar[2] = (struct dev_pci_bar){ .size = 1 << 20, .ops = &dummy_ops };
	if (pci_bus_add(&C.b, &C.fn[1], &g, NULL) != 2)
		fail("add fn1");
	struct dev_pci_func h = { .vendor = 0x1234, .device = 0x12 };
	if (pci_bus_add(&C.b, &C.fn[2], &h, NULL) != 3)
		fail("add fn2");
}

static void setup(void)
{
	mem_destroy(&C.m);
	memset(&C, 0, sizeof(C));
	if (mem_init(&C.m, 16 << 20) < 0)
		fail("mem_init");
	pci_bus_init(&C.b, &bk, NULL);
	add_fns();
}

static bool take(void *out, size_t n)
{
	if ((size_t)(C.end - C.p) < n)
		return false;
	memcpy(out, C.p, n);
	C.p += n;
	return true;
}

static unsigned size_of(uint8_t s)
{
	static const unsigned sizes[] = { 1, 2, 4, 8, 3, 0 };

	return sizes[s % 6];
}

static void check_fn(struct pci_fn *fn)
{
	for (unsigned i = 0; i < DEV_PCI_BARS; i++) {
		uint32_t reg = pci_cfg_read(&C.b, fn->slot, 0x10 + 4 * i, 4);
		if (fn->bar_size[i] && (reg & (fn->bar_size[i] - 1)))
			fail("BAR%u reads 0x%x: size bits set", i, reg);
		if (!fn->bar_size[i] && reg)
			fail("unused BAR%u reads 0x%x", i, reg);
		if (!fn->mapped[i])
			continue;
		struct gmap_range r;
		if (fn->mapped[i] != reg || !(fn->command & PCI_CMD_MEM) ||
		    !gmap_lookup(&C.m.map, fn->mapped[i], fn->bar_size[i], &r) ||
		    r.owner != fn || r.gpa != fn->mapped[i])
			fail("BAR%u decoded at 0x%llx, not as set", i,
			     (unsigned long long)fn->mapped[i]);
	}
	uint64_t valid = fn->d.msix_vectors == 64 ? ~0ull
			 : (1ull << fn->d.msix_vectors) - 1;
	if (atomic_load(&fn->live->pba) & ~valid)
		fail("PBA bit past the vectors");
}

static void check(void)
{
	for (unsigned i = 0; i < NFN; i++)
		check_fn(&C.fn[i]);
	for (unsigned s = 0; s < PCI_SLOTS; s++) {
		uint32_t id = pci_ecam_read(&C.b, (uint64_t)s << 15, 4);
		uint32_t a = C.b.conf1_addr;
		C.b.conf1_addr = 0x80000000u | s << 11;
		uint32_t id1 = pci_conf1_read(&C.b, PCI_CONF1_DATA, 4);
		C.b.conf1_addr = a;
		uint32_t want = s == 0 ? PCI_HB_VENDOR | PCI_HB_DEVICE << 16
			      : s > NFN ? ~0u : C.fn[s - 1].d.vendor |
				(uint32_t)C.fn[s - 1].d.device << 16;
		if (id != id1 || id != want)
			fail("slot %u: ECAM 0x%x, conf1 0x%x", s, id, id1);
	}
}

static void op_cfg(uint8_t a, uint16_t reg, uint32_t val)
{
	unsigned slot = a & 3, size = size_of(a >> 2);

	if (a & 0x80) {
		C.b.conf1_addr = 0x80000000u | slot << 11 | (reg & 0xfc);
		if (a & 0x40)
			pci_conf1_write(&C.b, PCI_CONF1_DATA + (reg & 3) +
					(a & 0x20 ? 4 : 0), size, val);
		else
			(void)pci_conf1_read(&C.b, PCI_CONF1_DATA + (reg & 3),
					     size);
	} else if (a & 0x40) {
		pci_ecam_write(&C.b, (uint64_t)slot << 15 | (reg & 0xfff), size,
			       val);
	} else {
		uint64_t v = pci_ecam_read(&C.b, (uint64_t)slot << 15 |
						 (reg & 0xfff), size);
		if (size && size <= 4 && (reg & 0xfff) % size == 0 &&
		    v != pci_cfg_read(&C.b, slot, reg & 0xfff, size))
			fail("ECAM read differs");
	}
}

static void op_msix(uint8_t a, uint16_t off, uint32_t val)
{
	struct pci_fn *fn = &C.fn[a & 1];
	unsigned size = size_of(a >> 2);

	if (a & 0x40)
		pci_msix_write(&C.b, fn, off & 0xfff, size,
			       (uint64_t)val << 32 | val);
	else
		(void)pci_msix_read(&C.b, fn, off & 0xfff, size);
}

static void op_notify(uint8_t a, uint16_t vec)
{
	struct pci_fn *fn = &C.fn[a % NFN];
	int rc = pci_msix_notify(fn->live, fn->d.msix_vectors, vec & 0x7f,
				 notify_fire, fn);

	if ((rc == -EINVAL) != ((vec & 0x7f) >= fn->d.msix_vectors))
		fail("notify %u: %d", vec & 0x7f, rc);
}

/* An op: kind, arg, 16-bit register/offset, 32-bit value. */
static void step(void)
{
	uint8_t k, a;
	uint16_t reg;
	uint32_t val;

	if (!take(&k, 1) || !take(&a, 1) || !take(&reg, 2) || !take(&val, 4)) {
		C.p = C.end;
		return;
	}
	switch (k % 4) {
	case 0: op_cfg(a, reg, val); break;
	case 1: op_msix(a, reg, val); break;
	case 2: op_notify(a, reg); break;
	case 3: pci_conf1_write(&C.b, PCI_CONF1_ADDR + (a & 7), size_of(a >> 3),
				val); break;
	}
	check();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	C.p = data;
	C.end = data + size;
	for (unsigned n = 0; n < 4096 && C.p < C.end; n++)
		step();
	return 0;
}
