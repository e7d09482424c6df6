/*
 * monitor/boot/loader_hvt.c - Solo5 hvt unikernels (ABI version 2): the ELF
 * rules, the notes, the manifest (untrusted: hvt_mft_validate), the memory
 * layout, page tables, boot info and the entry state (see monitor/hvt.h).
 * Every header field is hostile: each sum is overflow-checked before use.
 */
#include <elf.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "boot/elf.h"
#include "boot/hvt.h"

int hvt_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

#define FAIL(...) hvt_err(err, errlen, __VA_ARGS__)

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

/* --- the manifest: untrusted input, checked here and only here --- */

static bool name_ok(const char *n)
{
	size_t i = 0;

	for (; i < MFT_NAME_SIZE - 1 && n[i]; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		      (n[i] >= '0' && n[i] <= '9')))
			return false;
	return i > 0 && n[MFT_NAME_SIZE - 1] == 0;
}

static int mft_check_entry(const struct mft *m, uint32_t i, char *err,
			   size_t errlen)
{
	const struct mft_entry *e = &m->e[i];

	if (e->name[MFT_NAME_SIZE - 1] != 0)
		return FAIL("manifest entry %u: name is not NUL-terminated", i);
	if (e->attached)
		return FAIL("manifest entry %u: marked attached in the ELF", i);
	if (i == 0)
		return e->type == MFT_RESERVED_FIRST && !e->name[0] ? 0 :
		       FAIL("manifest entry 0 is not the reserved entry");
	if (!name_ok(e->name))
		return FAIL("manifest entry %u: name must be 1-67 of [A-Za-z0-9]", i);
	if (e->type != MFT_DEV_BLOCK_BASIC && e->type != MFT_DEV_NET_BASIC)
		return FAIL("manifest entry %u ('%s'): unknown device type %u", i,
			    e->name, e->type);
	for (uint32_t j = 1; j < i; j++)
		if (!strcmp(m->e[j].name, e->name))
			return FAIL("manifest: two entries named '%s'", e->name);
	return 0;
}

int hvt_mft_validate(const void *p, size_t len, char *err, size_t errlen)
{
	struct mft hdr;

	if (len < sizeof(hdr))
		return FAIL("manifest note: %zu bytes, too short", len);
	memcpy(&hdr, p, sizeof(hdr));
	if (hdr.version != MFT_VERSION)
		return FAIL("manifest version %u, expected %u", hdr.version,
			    MFT_VERSION);
	if (hdr.entries < 1 || hdr.entries > MFT_MAX_ENTRIES)
		return FAIL("manifest: %u entries, expected 1-%u", hdr.entries,
			    MFT_MAX_ENTRIES);
	if (len != MFT_SIZE(hdr.entries))
		return FAIL("manifest: %zu bytes for %u entries (expected %u)",
			    len, hdr.entries, MFT_SIZE(hdr.entries));
	for (uint32_t i = 0; i < hdr.entries; i++)
		if (mft_check_entry(p, i, err, errlen) < 0)
			return -1;
	return 0;
}

int hvt_mft_find(const struct mft *m, const char *name, uint32_t type)
{
	for (uint32_t i = 1; i < m->entries; i++)
		if (m->e[i].type == type && !strcmp(m->e[i].name, name))
			return (int)i;
	return -1;
}

/* --- notes: Solo5's, found through elf_note --- */

static int abi_check(struct hvt_elf *e, uint64_t off, uint32_t len, char *err,
		     size_t errlen)
{
	if (len < 1 || len > HVT_NOTE_ABI_MAX)
		return FAIL("Solo5 ABI note: bad size %u", len);
	if (len < sizeof(e->abi))
		return FAIL("Solo5 ABI note: %u bytes", len);
	if (elf_read(&e->elf, off, &e->abi, sizeof(e->abi)) < 0)
		return -1;
	if (e->abi.target != HVT_ABI_TARGET)
		return FAIL("executable is not for the solo5-hvt target "
			    "(ABI target %u)", e->abi.target);
	if (e->abi.version != HVT_ABI_VERSION)
		return FAIL("executable requests unsupported ABI version %u "
			    "(wisp runs version %u)", e->abi.version,
			    HVT_ABI_VERSION);
	return 0;
}

/* The ABI note of PT_NOTE ph, if it has one. */
static int note_abi(struct hvt_elf *e, const struct elf_phdr *ph, bool *seen,
		    char *err, size_t errlen)
{
	uint64_t off;
	uint32_t len;
	int rc = elf_note(&e->elf, ph, HVT_NOTE_NAME, HVT_NOTE_ABI, &off, &len);

	if (rc <= 0)
		return rc;
	if (*seen)
		return FAIL("two Solo5 ABI notes");
	*seen = true;
	return abi_check(e, off, len, err, errlen);
}

/* The manifest note of PT_NOTE ph, if it has one: its payload starts 4
 * bytes into the descriptor (8-aligned in the file), and is copied to the
 * heap (aligned for struct mft) before hvt_mft_validate reads it. */
static int note_mft(struct hvt_elf *e, const struct elf_phdr *ph, char *err,
		    size_t errlen)
{
	uint64_t off;
	uint32_t len;
	int rc = elf_note(&e->elf, ph, HVT_NOTE_NAME, HVT_NOTE_MFT, &off, &len);

	if (rc <= 0)
		return rc;
	if (e->mft)
		return FAIL("two Solo5 manifest notes");
	if (len <= 4 || len > HVT_NOTE_MFT_MAX + 4)
		return FAIL("Solo5 manifest note: bad size %u", len);
	struct mft *m = malloc(len - 4);
	if (!m)
		return FAIL("out of memory");
	if (elf_read(&e->elf, off + 4, m, len - 4) < 0 ||
	    hvt_mft_validate(m, len - 4, err, errlen) < 0) {
		free(m);
		return -1;
	}
	e->mft = m;
	e->mft_len = len - 4;
	return 0;
}

/* --- segments --- */

static int seg_check(const struct hvt_seg *s, uint64_t prev_end, char *err,
		     size_t errlen)
{
	uint64_t end;

	if (s->vaddr < HVT_GUEST_MIN_BASE)
		return FAIL("segment at 0x%llx is below 0x100000",
			    (unsigned long long)s->vaddr);
	if (!pow2(s->align))
		return FAIL("segment at 0x%llx: alignment %llu is not a power "
			    "of two", (unsigned long long)s->vaddr,
			    (unsigned long long)s->align);
	if (s->memsz < s->filesz ||
	    __builtin_add_overflow(s->vaddr, s->memsz, &end) ||
	    __builtin_add_overflow(end, s->align - 1, &end))
		return FAIL("segment at 0x%llx: bad sizes",
			    (unsigned long long)s->vaddr);
	uint64_t start = align_down(s->vaddr, s->align);
	end = align_down(end, s->align);
	if (start < HVT_GUEST_MIN_BASE || start < prev_end)
		return FAIL("segment at 0x%llx overlaps the one before or sits "
			    "below 0x100000", (unsigned long long)s->vaddr);
	if ((start | end) & 0xfff)
		return FAIL("segment at 0x%llx is not 4 KiB aligned",
			    (unsigned long long)s->vaddr);
	if ((s->flags & PF_W) && (s->flags & PF_X))
		return FAIL("segment at 0x%llx is writable and executable",
			    (unsigned long long)s->vaddr);
	return 0;
}

static uint64_t seg_end(const struct hvt_seg *s)
{
	return align_down(s->vaddr + s->memsz + s->align - 1, s->align);
}

static int seg_add(struct hvt_elf *e, const struct elf_phdr *ph, char *err,
		   size_t errlen)
{
	struct hvt_seg s = { ph->vaddr, ph->filesz, ph->memsz, ph->offset,
			     ph->align, ph->flags };
	uint64_t prev = e->n_segs ? seg_end(&e->segs[e->n_segs - 1]) : 0;

	if (ph->filesz == 0)
		return 0; /* BSS-only: guest RAM is already zero */
	if (!elf_span(&e->elf, s.offset, s.filesz))
		return FAIL("segment at 0x%llx lies outside the file",
			    (unsigned long long)s.vaddr);
	if (e->n_segs && s.vaddr < e->segs[e->n_segs - 1].vaddr)
		return FAIL("segments are not in ascending address order");
	if (seg_check(&s, prev, err, errlen) < 0)
		return -1;
	e->segs[e->n_segs++] = s;
	return 0;
}

/* --- the ELF header: elf_open's checks, then hvt's policy --- */

static int phdrs_walk(struct hvt_elf *e, char *err, size_t errlen)
{
	bool seen_abi = false;
	struct elf_phdr ph;

	for (unsigned i = 0; i < e->elf.phnum; i++) {
		int rc = elf_phdr(&e->elf, i, &ph);
		if (rc == 0 && ph.type == PT_LOAD)
			rc = seg_add(e, &ph, err, errlen);
		else if (rc == 0 && ph.type == PT_NOTE)
			rc = note_abi(e, &ph, &seen_abi, err, errlen) < 0 ? -1 :
			     note_mft(e, &ph, err, errlen);
		if (rc < 0)
			return -1;
	}
	if (!seen_abi)
		return FAIL("no Solo5 ABI note: not an hvt unikernel");
	if (!e->mft)
		return FAIL("no Solo5 manifest note");
	if (!e->n_segs)
		return FAIL("no loadable segment");
	return 0;
}

int hvt_elf_parse(int fd, uint64_t size, struct hvt_elf *e, char *err,
		  size_t errlen)
{
	memset(e, 0, sizeof(*e));
	if (elf_open(&e->elf, fd, size, ELF_WANT64, err, errlen) < 0)
		return -1;
	if (e->elf.phnum > HVT_MAX_PHDRS)
		return FAIL("bad program header table (%u entries)",
			    e->elf.phnum);
	if (e->elf.entry < HVT_GUEST_MIN_BASE)
		return FAIL("entry point 0x%llx is below 0x100000",
			    (unsigned long long)e->elf.entry);
	e->entry = e->elf.entry;
	if (phdrs_walk(e, err, errlen) < 0) {
		hvt_elf_free(e);
		return -1;
	}
	return 0;
}

void hvt_elf_free(struct hvt_elf *e)
{
	free(e->mft);
	e->mft = NULL;
	e->mft_len = 0;
}

/* --- memory size --- */

int hvt_mem_size(uint64_t mib, bool nic, uint64_t *alloc, uint64_t *guest,
		 uint64_t *ring, char *err, size_t errlen)
{
	uint64_t want = mib & ~1ull;

	if (mib > (HVT_MEM_MAX >> 20))
		return FAIL("--mem=%llu: at most %llu MiB",
			    (unsigned long long)mib,
			    (unsigned long long)(HVT_MEM_MAX >> 20));
	if (want == 0)
		want = 2;
	if (want != mib)
		fprintf(stderr, "wisp: warning: --mem=%llu rounded to %llu MiB "
			"(a multiple of 2 MiB)\n", (unsigned long long)mib,
			(unsigned long long)want);
	*guest = *alloc = want << 20;
	*ring = 0;
	/* The ring takes the top 2 MiB, only when there is room for it. */
	if (nic && *alloc + HVT_PAGE_2M <= HVT_MEM_MAX &&
	    *alloc + HVT_PAGE_2M >= (4ull << 20)) {
		*ring = *alloc;
		*alloc += HVT_PAGE_2M;
	}
	return 0;
}

/* --- loading and boot structures --- */

/* Boot-time copy into guest RAM through the one checked translation
 * (before the guest runs: nothing to mark dirty). */
static int hvt_copy(const struct mem *m, uint64_t gpa, const void *buf,
		    size_t len)
{
	void *p = len ? mem_gpa_ptr(m, gpa, len) : NULL;

	if (len && !p)
		return -EFAULT;
	if (len)
		memcpy(p, buf, len);
	return 0;
}

static int load_segments(const struct mem *m, const struct hvt_elf *e,
			 uint64_t mem_size, uint64_t *kernel_end, char *err,
			 size_t errlen)
{
	struct elf f = e->elf; /* its read errors go to this call's err */

	f.err = err, f.errlen = errlen;
	*kernel_end = 0;
	for (unsigned i = 0; i < e->n_segs; i++) {
		const struct hvt_seg *s = &e->segs[i];
		uint64_t end = seg_end(s);
		if (end > mem_size)
			return FAIL("segment at 0x%llx ends past guest memory "
				    "(%llu MiB): raise --mem",
				    (unsigned long long)s->vaddr,
				    (unsigned long long)(mem_size >> 20));
		void *dst = s->filesz ? mem_gpa_ptr(m, s->vaddr, s->filesz) : NULL;
		if (!dst)
			return FAIL("segment at 0x%llx: not in RAM",
				    (unsigned long long)s->vaddr);
		if (elf_read(&f, s->offset, dst, s->filesz) < 0)
			return -1;
		*kernel_end = end > *kernel_end ? end : *kernel_end;
	}
	if (e->entry >= mem_size)
		return FAIL("entry point 0x%llx is past guest memory",
			    (unsigned long long)e->entry);
	return 0;
}

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull

/* Identity map of the whole allocation: 0-64 KiB absent, the boot area
 * read-only, the rest read-write; 2 MiB pages above the first 2 MiB. */
static void page_tables(uint8_t *ram, uint64_t alloc)
{
	uint64_t *pml4 = (uint64_t *)(ram + HVT_PML4);
	uint64_t *pdpt = (uint64_t *)(ram + HVT_PDPT);
	uint64_t *pd = (uint64_t *)(ram + HVT_PD0);
	uint64_t *pt = (uint64_t *)(ram + HVT_PT0);

	pml4[0] = HVT_PDPT | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (HVT_PD0 + i * 0x1000) | PTE_P | PTE_RW;
	pd[0] = HVT_PT0 | PTE_P | PTE_RW;
	for (uint64_t i = HVT_BOOT_INFO >> 12; i < 512; i++)
		pt[i] = (i << 12) | PTE_P |
			(i >= (HVT_GUEST_MIN_BASE >> 12) ? PTE_RW : 0);
	for (uint64_t k = 1; k < 4 * 512 && k * HVT_PAGE_2M < alloc; k++)
		pd[k] = (k * HVT_PAGE_2M) | PTE_P | PTE_RW | PTE_PS;
}

static void gdt(uint8_t *ram)
{
	static const uint64_t g[3] = { 0, 0x00AF99000000FFFFull,
				       0x00CF93000000FFFFull };

	memcpy(ram + HVT_GDT_BASE, g, sizeof(g));
}

int hvt_load(const struct mem *m, const struct hvt_elf *e,
	     const struct hvt_boot *b, struct boot_info *bi, char *err,
	     size_t errlen)
{
	uint64_t kend;
	uint8_t *ram = mem_gpa_ptr(m, 0, HVT_GUEST_MIN_BASE);
	size_t clen = strlen(b->cmdline) + 1;
	uint64_t cmd = HVT_MFT_BASE + b->mft_len;

	if (!ram || m->size < b->mem_size || b->mem_size < (2ull << 20))
		return FAIL("guest memory is too small");
	if (clen > HVT_CMDLINE_SIZE || b->mft_len > HVT_NOTE_MFT_MAX)
		return FAIL("command line or manifest too long");
	if (load_segments(m, e, b->mem_size, &kend, err, errlen) < 0)
		return -1;
	page_tables(ram, m->size);
	gdt(ram);
	struct hvt_boot_info info = {
		.mem_size = b->mem_size, .kernel_end = kend, .cmdline = cmd,
		.mft = HVT_MFT_BASE, .host_features = b->host_features,
		.net_ring = b->ring,
	};
	memcpy(ram + HVT_BOOT_INFO, &info, sizeof(info));
	memcpy(ram + HVT_MFT_BASE, b->mft, b->mft_len);
	memcpy(ram + cmd, b->cmdline, clen);
	*bi = (struct boot_info){ .mode = BOOT_LONG64, .entry = e->entry,
				  .cmdline = cmd, .cpu_setup = hvt_cpu_setup,
				  .stack = b->mem_size - 8,
				  .arg = HVT_BOOT_INFO };
	return 0;
}

int hvt_cmdline(int argc, char *const argv[], char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (n + (i > 0) >= len - off)
			return -1;
		if (i > 0)
			buf[off++] = ' ';
		memcpy(buf + off, argv[i], n + 1);
		off += n;
	}
	return 0;
}

/* --- the entry state --- */

static struct kvm_segment seg(uint16_t sel, uint8_t type, bool code)
{
	return (struct kvm_segment){ .limit = 0xffffffff, .selector = sel,
				     .type = type, .present = 1, .s = 1,
				     .g = 1, .l = code, .db = !code };
}

static void hvt_sregs(struct kvm_sregs *s)
{
	s->cs = seg(0x08, 9, true);
	s->ds = seg(0x10, 3, false);
	s->es = s->fs = s->gs = s->ss = s->ds;
	s->tr = (struct kvm_segment){ .type = 11, .present = 1 };
	s->ldt = (struct kvm_segment){ .unusable = 1 };
	s->gdt.base = HVT_GDT_BASE;
	s->gdt.limit = 3 * 8 - 1;
	s->idt.base = 0;
	s->idt.limit = 0;
	s->cr0 = 0x80010021; /* PE NE WP PG */
	s->cr3 = HVT_PML4;
	s->cr4 = 0x620;      /* PAE OSFXSR OSXMMEXCPT */
	s->efer = 0x500;     /* LME LMA */
}

/* The TSC frequency goes into the boot info once the vCPU can tell it. */
static int hvt_tsc(int vcpu_fd, const struct mem *m)
{
	int khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);
	uint64_t hz;

	if (khz <= 0)
		return khz < 0 ? -errno : -EIO;
	hz = (uint64_t)khz * 1000;
	return hvt_copy(m, HVT_BOOT_INFO +
			 offsetof(struct hvt_boot_info, cpu_cycle_freq),
			 &hz, sizeof(hz));
}

int hvt_cpu_setup(int vcpu_fd, const struct boot_info *bi, const struct mem *m)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = bi->entry, .rsp = bi->stack,
			      .rdi = bi->arg, .rflags = 0x2 };

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	hvt_sregs(&s);
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &s) < 0 ||
	    ioctl(vcpu_fd, KVM_SET_REGS, &r) < 0)
		return -errno;
	return hvt_tsc(vcpu_fd, m);
}
