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

/* [off, off+n) inside a buffer of len bytes, overflow-safe. */
static bool in_buf(uint64_t off, uint64_t n, size_t len)
{
	return off <= len && n <= len - off;
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

/* --- notes: the first note of each PT_NOTE segment --- */

struct note_ref {
	const uint8_t *desc;
	uint64_t len;
	uint32_t type;
};

/* 1: a Solo5 note in *n; 0: not one (skipped); -1: invalid. */
static int note_read(const struct hvt_elf *e, const Elf64_Phdr *ph,
		     struct note_ref *n, char *err, size_t errlen)
{
	Elf64_Nhdr nh;

	if (!in_buf(ph->p_offset, ph->p_filesz, e->len))
		return FAIL("PT_NOTE lies outside the file");
	if (ph->p_filesz < sizeof(nh))
		return FAIL("PT_NOTE of %llu bytes", (unsigned long long)ph->p_filesz);
	if (ph->p_filesz < HVT_NOTE_HDR)
		return 0;
	const uint8_t *p = e->img + ph->p_offset;
	memcpy(&nh, p, sizeof(nh));
	if (nh.n_namesz != HVT_NOTE_NAMESZ ||
	    memcmp(p + sizeof(nh), HVT_NOTE_NAME, HVT_NOTE_NAMESZ) != 0)
		return 0;
	bool abi = nh.n_type == HVT_NOTE_ABI;
	if (!abi && nh.n_type != HVT_NOTE_MFT)
		return 0;
	uint64_t max = abi ? HVT_NOTE_ABI_MAX : HVT_NOTE_MFT_MAX + 4;
	uint64_t pad = abi ? 0 : 4; /* payload at 20 rounded up to 8 */
	if (nh.n_descsz < 1 || nh.n_descsz > max || nh.n_descsz <= pad ||
	    ph->p_filesz < HVT_NOTE_HDR + (uint64_t)nh.n_descsz)
		return FAIL("Solo5 %s note: bad size %u", abi ? "ABI" : "manifest",
			    nh.n_descsz);
	*n = (struct note_ref){ p + HVT_NOTE_HDR + pad, nh.n_descsz - pad,
				nh.n_type };
	return 1;
}

static int note_abi(struct hvt_elf *e, const struct note_ref *n, char *err,
		    size_t errlen)
{
	if (n->len < sizeof(e->abi))
		return FAIL("Solo5 ABI note: %llu bytes", (unsigned long long)n->len);
	memcpy(&e->abi, n->desc, sizeof(e->abi));
	if (e->abi.target != HVT_ABI_TARGET)
		return FAIL("executable is not for the solo5-hvt target "
			    "(ABI target %u)", e->abi.target);
	if (e->abi.version != HVT_ABI_VERSION)
		return FAIL("executable requests unsupported ABI version %u "
			    "(wisp runs version %u)", e->abi.version,
			    HVT_ABI_VERSION);
	return 0;
}

static int note_mft(struct hvt_elf *e, const struct note_ref *n, char *err,
		    size_t errlen)
{
	/* Copied before it is read: malloc's storage is aligned for struct
	 * mft, the note's own bytes may not be (a hostile p_offset). */
	struct mft *m = malloc(n->len);

	if (!m)
		return FAIL("out of memory");
	memcpy(m, n->desc, n->len);
	if (hvt_mft_validate(m, n->len, err, errlen) < 0) {
		free(m);
		return -1;
	}
	e->mft = m;
	e->mft_len = n->len;
	return 0;
}

static int note_one(struct hvt_elf *e, const Elf64_Phdr *ph, bool *seen_abi,
		    char *err, size_t errlen)
{
	struct note_ref n = { 0 };
	int rc = note_read(e, ph, &n, err, errlen);

	if (rc <= 0)
		return rc;
	if (n.type == HVT_NOTE_ABI) {
		if (*seen_abi)
			return FAIL("two Solo5 ABI notes");
		*seen_abi = true;
		return note_abi(e, &n, err, errlen);
	}
	if (e->mft)
		return FAIL("two Solo5 manifest notes");
	return note_mft(e, &n, err, errlen);
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

static int seg_add(struct hvt_elf *e, const Elf64_Phdr *ph, char *err,
		   size_t errlen)
{
	struct hvt_seg s = { ph->p_vaddr, ph->p_filesz, ph->p_memsz,
			     ph->p_offset, ph->p_align, ph->p_flags };
	uint64_t prev = e->n_segs ? seg_end(&e->segs[e->n_segs - 1]) : 0;

	if (ph->p_filesz == 0)
		return 0; /* BSS-only: guest RAM is already zero */
	if (!in_buf(s.offset, s.filesz, e->len))
		return FAIL("segment at 0x%llx lies outside the file",
			    (unsigned long long)s.vaddr);
	if (e->n_segs && s.vaddr < e->segs[e->n_segs - 1].vaddr)
		return FAIL("segments are not in ascending address order");
	if (seg_check(&s, prev, err, errlen) < 0)
		return -1;
	e->segs[e->n_segs++] = s;
	return 0;
}

/* --- the ELF header --- */

static int ehdr_check(const Elf64_Ehdr *h, size_t len, char *err,
		      size_t errlen)
{
	if (memcmp(h->e_ident, ELFMAG, SELFMAG) != 0 ||
	    h->e_ident[EI_CLASS] != ELFCLASS64 ||
	    h->e_ident[EI_DATA] != ELFDATA2LSB ||
	    h->e_ident[EI_VERSION] != EV_CURRENT || h->e_version != EV_CURRENT)
		return FAIL("not a little-endian ELF64 file");
	if (h->e_type != ET_EXEC || h->e_machine != EM_X86_64)
		return FAIL("not an x86-64 executable (ET_EXEC)");
	if (h->e_ehsize != sizeof(Elf64_Ehdr) ||
	    h->e_phentsize != sizeof(Elf64_Phdr))
		return FAIL("unexpected ELF header sizes");
	if (h->e_phnum < 1 || h->e_phnum > HVT_MAX_PHDRS ||
	    !in_buf(h->e_phoff, (uint64_t)h->e_phnum * sizeof(Elf64_Phdr), len))
		return FAIL("bad program header table (%u entries)", h->e_phnum);
	if (h->e_entry < HVT_GUEST_MIN_BASE)
		return FAIL("entry point 0x%llx is below 0x100000",
			    (unsigned long long)h->e_entry);
	return 0;
}

static int phdrs_walk(struct hvt_elf *e, const Elf64_Ehdr *h, char *err,
		      size_t errlen)
{
	bool seen_abi = false;
	Elf64_Phdr ph;

	for (unsigned i = 0; i < h->e_phnum; i++) {
		memcpy(&ph, e->img + h->e_phoff + i * sizeof(ph), sizeof(ph));
		int rc = 0;
		if (ph.p_type == PT_LOAD)
			rc = seg_add(e, &ph, err, errlen);
		else if (ph.p_type == PT_NOTE)
			rc = note_one(e, &ph, &seen_abi, err, errlen);
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

int hvt_elf_parse(const void *img, size_t len, struct hvt_elf *e, char *err,
		  size_t errlen)
{
	Elf64_Ehdr h;

	memset(e, 0, sizeof(*e));
	e->img = img;
	e->len = len;
	if (len < sizeof(h))
		return FAIL("file too small for an ELF header");
	memcpy(&h, img, sizeof(h));
	if (ehdr_check(&h, len, err, errlen) < 0)
		return -1;
	e->entry = h.e_entry;
	if (phdrs_walk(e, &h, err, errlen) < 0) {
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
	*kernel_end = 0;
	for (unsigned i = 0; i < e->n_segs; i++) {
		const struct hvt_seg *s = &e->segs[i];
		uint64_t end = seg_end(s);
		if (end > mem_size)
			return FAIL("segment at 0x%llx ends past guest memory "
				    "(%llu MiB): raise --mem",
				    (unsigned long long)s->vaddr,
				    (unsigned long long)(mem_size >> 20));
		if (hvt_copy(m, s->vaddr, e->img + s->offset, s->filesz) < 0)
			return FAIL("segment at 0x%llx: not in RAM",
				    (unsigned long long)s->vaddr);
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
