/*
 * monitor/boot/elf.c - the one ELF reader (see elf.h). The file is
 * untrusted: every offset and size is overflow-checked against the file's
 * size before it is read, and nothing is read into memory but headers,
 * notes and what a caller asks for.
 */
#include "boot/elf.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int elf_fail(const struct elf *e, const char *fmt, ...)
{
	va_list ap;

	if (!e->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->err, e->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int boot_pread(int fd, void *buf, uint64_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* the file shrank under us */
			return -1;
		}
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

bool elf_span(const struct elf *e, uint64_t off, uint64_t len)
{
	uint64_t end;

	return !__builtin_add_overflow(off, len, &end) && end <= e->size;
}

int elf_read(const struct elf *e, uint64_t off, void *buf, uint64_t len)
{
	if (!elf_span(e, off, len))
		return elf_fail(e, "ELF file: %llu bytes at offset 0x%llx lie "
				"outside the file", (unsigned long long)len,
				(unsigned long long)off);
	if (boot_pread(e->fd, buf, len, off) < 0)
		return elf_fail(e, "cannot read the image at offset 0x%llx: %s",
				(unsigned long long)off, strerror(errno));
	return 0;
}

static int check_ident(struct elf *e, const uint8_t *id, unsigned classes)
{
	if (e->size < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG) != 0)
		return elf_fail(e, "not an ELF file");
	if (id[EI_CLASS] != ELFCLASS64 && id[EI_CLASS] != ELFCLASS32)
		return elf_fail(e, "ELF class %u is neither ELF32 nor ELF64",
				id[EI_CLASS]);
	e->is64 = id[EI_CLASS] == ELFCLASS64;
	if (!(classes & (e->is64 ? ELF_WANT64 : ELF_WANT32)))
		return elf_fail(e, "an ELF%s file: this loader takes only ELF%s",
				e->is64 ? "64" : "32", e->is64 ? "32" : "64");
	if (id[EI_DATA] != ELFDATA2LSB)
		return elf_fail(e, "ELF file is not little-endian");
	if (id[EI_VERSION] != EV_CURRENT)
		return elf_fail(e, "ELF version %u is not supported",
				id[EI_VERSION]);
	return 0;
}

/* The fields both classes share, once widened by read_ehdr. */
struct ehdr {
	unsigned type, machine, version, ehsize, phentsize;
};

static int check_ehdr(struct elf *e, const struct ehdr *h)
{
	const char *cls = e->is64 ? "ELF64" : "ELF32";
	unsigned want = e->is64 ? EM_X86_64 : EM_386;
	size_t ehsize = e->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsize = e->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);

	if (h->machine != want)
		return elf_fail(e, "%s file is for machine %u, not %s", cls,
				h->machine, e->is64 ? "x86-64" : "i386");
	if (h->type != ET_EXEC)
		return elf_fail(e, "ELF type %u is not ET_EXEC (link a static, "
				"non-PIE executable)", h->type);
	if (h->version != EV_CURRENT)
		return elf_fail(e, "ELF version %u is not supported", h->version);
	if (h->ehsize != ehsize)
		return elf_fail(e, "ELF header size %u is wrong (expected %zu)",
				h->ehsize, ehsize);
	if (e->phnum == 0)
		return elf_fail(e, "ELF file has no program headers");
	if (h->phentsize != phsize)
		return elf_fail(e, "ELF program header size %u is wrong "
				"(expected %zu)", h->phentsize, phsize);
	/* phnum <= 0xffff, phentsize fixed: the product cannot overflow */
	if (!elf_span(e, e->phoff, (uint64_t)e->phnum * phsize))
		return elf_fail(e, "ELF program header table lies outside the "
				"file");
	return 0;
}

static int read_ehdr(struct elf *e, struct ehdr *h)
{
	size_t n = e->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);

	if (e->size < n)
		return elf_fail(e, "ELF%s header is truncated (file is %llu "
				"bytes)", e->is64 ? "64" : "32",
				(unsigned long long)e->size);
	if (e->is64) {
		Elf64_Ehdr x;
		if (elf_read(e, 0, &x, sizeof(x)) < 0)
			return -1;
		*h = (struct ehdr){ x.e_type, x.e_machine, x.e_version,
				    x.e_ehsize, x.e_phentsize };
		e->entry = x.e_entry, e->phoff = x.e_phoff, e->phnum = x.e_phnum;
		return 0;
	}
	Elf32_Ehdr x;
	if (elf_read(e, 0, &x, sizeof(x)) < 0)
		return -1;
	*h = (struct ehdr){ x.e_type, x.e_machine, x.e_version, x.e_ehsize,
			    x.e_phentsize };
	e->entry = x.e_entry, e->phoff = x.e_phoff, e->phnum = x.e_phnum;
	return 0;
}

int elf_open(struct elf *e, int fd, uint64_t size, unsigned classes,
	     char *err, size_t errlen)
{
	uint8_t id[EI_NIDENT] = { 0 };
	struct ehdr h = { 0 };

	*e = (struct elf){ .fd = fd, .size = size, .err = err,
			   .errlen = errlen };
	if (errlen)
		err[0] = '\0';
	if (size >= EI_NIDENT && elf_read(e, 0, id, sizeof(id)) < 0)
		return -1;
	if (check_ident(e, id, classes) < 0 || read_ehdr(e, &h) < 0)
		return -1;
	return check_ehdr(e, &h);
}

int elf_phdr(const struct elf *e, unsigned i, struct elf_phdr *ph)
{
	if (e->is64) {
		Elf64_Phdr x;
		if (elf_read(e, e->phoff + (uint64_t)i * sizeof(x), &x,
			     sizeof(x)) < 0)
			return -1;
		*ph = (struct elf_phdr){ x.p_type, x.p_flags, x.p_offset,
					 x.p_vaddr, x.p_paddr, x.p_filesz,
					 x.p_memsz, x.p_align };
		return 0;
	}
	Elf32_Phdr x;
	if (elf_read(e, e->phoff + (uint64_t)i * sizeof(x), &x, sizeof(x)) < 0)
		return -1;
	*ph = (struct elf_phdr){ x.p_type, x.p_flags, x.p_offset, x.p_vaddr,
				 x.p_paddr, x.p_filesz, x.p_memsz, x.p_align };
	return 0;
}

int elf_load(const struct elf *e, const struct elf_phdr *ph, void *dst)
{
	if (ph->filesz > ph->memsz)
		return elf_fail(e, "ELF segment: file size 0x%llx is larger than "
				"its memory size 0x%llx",
				(unsigned long long)ph->filesz,
				(unsigned long long)ph->memsz);
	if (elf_read(e, ph->offset, dst, ph->filesz) < 0)
		return -1;
	memset((uint8_t *)dst + ph->filesz, 0, ph->memsz - ph->filesz);
	return 0;
}

/* Whether the note at off (header nh) carries `name`. */
static int note_named(const struct elf *e, uint64_t off, const Elf64_Nhdr *nh,
		      const char *name)
{
	char buf[32];
	size_t n = strlen(name) + 1;

	if (nh->n_namesz != n || n > sizeof(buf))
		return 0;
	if (elf_read(e, off + sizeof(*nh), buf, n) < 0)
		return -1;
	return memcmp(buf, name, n) == 0;
}

int elf_note(const struct elf *e, const struct elf_phdr *ph, const char *name,
	     uint32_t type, uint64_t *off, uint32_t *len)
{
	uint64_t at = 0, sz = ph->filesz;

	if (!elf_span(e, ph->offset, ph->filesz))
		return elf_fail(e, "PT_NOTE lies outside the file");
	for (unsigned i = 0; i < ELF_NOTES_MAX; i++) {
		Elf64_Nhdr nh; /* the same 12 bytes in both classes */
		if (sz - at < sizeof(nh))
			return 0;
		if (elf_read(e, ph->offset + at, &nh, sizeof(nh)) < 0)
			return -1;
		uint64_t desc = at + sizeof(nh) + ((nh.n_namesz + 3ull) & ~3ull);
		uint64_t next = desc + ((nh.n_descsz + 3ull) & ~3ull);
		if (desc + nh.n_descsz > sz)
			return elf_fail(e, "ELF note at offset 0x%llx runs past "
					"its PT_NOTE segment",
					(unsigned long long)(ph->offset + at));
		next = next < sz ? next : sz; /* the last one's padding may lack */
		int named = nh.n_type == type ?
			    note_named(e, ph->offset + at, &nh, name) : 0;
		if (named > 0)
			*off = ph->offset + desc, *len = nh.n_descsz;
		if (named != 0)
			return named;
		at = next;
	}
	return elf_fail(e, "PT_NOTE holds more than %d notes", ELF_NOTES_MAX);
}
