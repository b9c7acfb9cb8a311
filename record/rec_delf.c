/* SPDX-License-Identifier: MIT */
/* rec_delf.c - mapped ELF view for the TLS finders (see rec_delf.h). */
#include "rec_delf.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* DWARF pointer encodings used by .eh_frame_hdr and CIEs */
#define PE_OMIT 0xff
#define PE_FMT(x) ((x) & 0x0f)
#define PE_UDATA4 0x03
#define PE_SDATA4 0x0b
#define PE_UDATA8 0x04
#define PE_SDATA8 0x0c
#define PE_ABSPTR 0x00
#define PE_DATAREL_SDATA4 0x3b

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static int32_t s32_at(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, 4);
	return v;
}

uint64_t rec_delf_off(const struct rec_delf *e, uint64_t va)
{
	unsigned i;

	for (i = 0; i < e->nph; i++) {
		const Elf64_Phdr *ph = &e->ph[i];

		if (ph->p_type == PT_LOAD && va >= ph->p_vaddr && va < ph->p_vaddr + ph->p_filesz)
			return va - ph->p_vaddr + ph->p_offset;
	}
	return 0;
}

/*
 * Are the @len bytes at file offset @off inside the file?  Written so that
 * no sum can wrap: header fields of a hostile file may be anything.
 */
static int in_file(const struct rec_delf *e, uint64_t off, uint64_t len)
{
	return len <= e->size && off <= e->size - len;
}

const uint8_t *rec_delf_at(const struct rec_delf *e, uint64_t va, size_t n)
{
	uint64_t off = rec_delf_off(e, va);

	if (!off || !in_file(e, off, n))
		return NULL;
	return e->p + off;
}

static const Elf64_Shdr *section(const struct rec_delf *e, const char *name)
{
	const Elf64_Ehdr *h = (const void *)e->p;
	const Elf64_Shdr *sh, *strs;
	unsigned i;

	if (!h->e_shoff || h->e_shentsize != sizeof(*sh) || h->e_shstrndx >= h->e_shnum ||
	    !in_file(e, h->e_shoff, (uint64_t)h->e_shnum * sizeof(*sh)))
		return NULL;
	sh = (const void *)(e->p + h->e_shoff);
	strs = &sh[h->e_shstrndx];
	if (!in_file(e, strs->sh_offset, strs->sh_size))
		return NULL;
	for (i = 0; i < h->e_shnum; i++) {
		uint64_t at = strs->sh_offset + sh[i].sh_name;

		if (sh[i].sh_name < strs->sh_size && in_file(e, at, strlen(name) + 1) &&
		    !memcmp(e->p + at, name, strlen(name) + 1))
			return &sh[i];
	}
	return NULL;
}

/* .eh_frame_hdr: version 1, table sorted by start, datarel sdata4 */
static void find_eh_table(struct rec_delf *e)
{
	const Elf64_Shdr *s = section(e, ".eh_frame_hdr");
	const uint8_t *p;
	uint64_t va = 0, size = 0, n;
	unsigned i;

	for (i = 0; i < e->nph; i++)
		if (e->ph[i].p_type == PT_GNU_EH_FRAME) {
			va = e->ph[i].p_vaddr;
			size = e->ph[i].p_memsz;
		}
	if (!va && s) {
		va = s->sh_addr;
		size = s->sh_size;
	}
	p = va ? rec_delf_at(e, va, 12) : NULL;
	if (!p || size < 12 || p[0] != 1 || p[3] != PE_DATAREL_SDATA4 || p[1] == PE_OMIT)
		return;
	if (PE_FMT(p[1]) != PE_SDATA4 && PE_FMT(p[1]) != PE_UDATA4)
		return;
	if (PE_FMT(p[2]) != PE_UDATA4 && PE_FMT(p[2]) != PE_SDATA4)
		return;
	n = u32_at(p + 8);
	if (!rec_delf_at(e, va + 12, n * 8))
		return;
	e->eh_va = va;
	e->eh_tab = p + 12;
	e->neh = n;
}

static void find_text(struct rec_delf *e)
{
	const Elf64_Shdr *s = section(e, ".text");
	unsigned i;

	if (s && s->sh_type == SHT_PROGBITS && in_file(e, s->sh_offset, s->sh_size)) {
		e->text_va = s->sh_addr;
		e->text_off = s->sh_offset;
		e->text_size = s->sh_size;
		return;
	}
	for (i = 0; i < e->nph; i++)
		if (e->ph[i].p_type == PT_LOAD && (e->ph[i].p_flags & PF_X) &&
		    in_file(e, e->ph[i].p_offset, e->ph[i].p_filesz)) {
			e->text_va = e->ph[i].p_vaddr;
			e->text_off = e->ph[i].p_offset;
			e->text_size = e->ph[i].p_filesz;
			return;
		}
}

int rec_delf_open(int fd, struct rec_delf *e)
{
	const Elf64_Ehdr *h;
	struct stat st;
	void *m;

	memset(e, 0, sizeof(*e));
	if (fstat(fd, &st))
		return -errno;
	if (st.st_size < (off_t)sizeof(*h))
		return -ENOEXEC;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	e->p = m;
	e->size = (size_t)st.st_size;
	h = m;
	if (memcmp(h->e_ident, ELFMAG, SELFMAG) || h->e_ident[EI_CLASS] != ELFCLASS64 ||
	    h->e_ident[EI_DATA] != ELFDATA2LSB || h->e_machine != EM_X86_64 ||
	    h->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(e, h->e_phoff, (uint64_t)h->e_phnum * sizeof(Elf64_Phdr))) {
		rec_delf_close(e);
		return -ENOEXEC;
	}
	e->ph = (const void *)(e->p + h->e_phoff);
	e->nph = h->e_phnum;
	/* sequential reads of big ranges follow */
	madvise(m, e->size, MADV_WILLNEED);
	find_text(e);
	find_eh_table(e);
	return 0;
}

void rec_delf_close(struct rec_delf *e)
{
	if (e->p)
		munmap((void *)e->p, e->size);
	memset(e, 0, sizeof(*e));
}

int rec_delf_strings(const struct rec_delf *e, const char *tail, uint64_t *va, int max)
{
	size_t tl = strlen(tail) + 1; /* with the NUL */
	int n = 0;
	unsigned i;

	for (i = 0; i < e->nph; i++) {
		const Elf64_Phdr *ph = &e->ph[i];
		const uint8_t *b, *q, *end;

		if (ph->p_type != PT_LOAD || (ph->p_flags & (PF_X | PF_W)) ||
		    !in_file(e, ph->p_offset, ph->p_filesz))
			continue;
		b = e->p + ph->p_offset;
		end = b + ph->p_filesz;
		for (q = b; q < end && (q = memmem(q, (size_t)(end - q), tail, tl)); q += tl) {
			const uint8_t *s = q;

			if (q > b && q[-1] != '/' && q[-1] != 0)
				continue;
			while (s > b && s[-1] >= 0x20 && s[-1] < 0x7f)
				s--;
			if (n < max)
				va[n] = ph->p_vaddr + (uint64_t)(s - b);
			n++;
		}
	}
	return n;
}

/* Size in bytes of a pointer of encoding @enc, 0 when not supported. */
static unsigned pe_size(uint8_t enc)
{
	switch (PE_FMT(enc)) {
	case PE_UDATA4:
	case PE_SDATA4:
		return 4;
	case PE_UDATA8:
	case PE_SDATA8:
	case PE_ABSPTR:
		return 8;
	}
	return 0;
}

static const uint8_t *skip_leb(const uint8_t *p, const uint8_t *end)
{
	while (p < end && (*p & 0x80))
		p++;
	return p < end ? p + 1 : NULL;
}

/* FDE pointer encoding of the CIE at @cie ('R' of "zR..."), PE_OMIT if unknown. */
static uint8_t cie_fde_enc(const struct rec_delf *e, uint64_t cie)
{
	const uint8_t *p = rec_delf_at(e, cie, 16), *end, *aug, *a;
	uint32_t len;
	uint8_t version;

	if (!p || (len = u32_at(p)) == 0xffffffff || !(p = rec_delf_at(e, cie, 4 + (size_t)len)))
		return PE_OMIT;
	end = p + 4 + len;
	version = p[8];
	aug = p + 9;
	a = memchr(aug, 0, (size_t)(end - aug));
	if (!a)
		return PE_OMIT;
	if (aug[0] != 'z')
		return aug[0] == 0 ? PE_ABSPTR : PE_OMIT;
	p = skip_leb(a + 1, end);                          /* code alignment */
	p = p ? skip_leb(p, end) : NULL;                    /* data alignment */
	if (p)
		p = version == 1 ? p + 1 : skip_leb(p, end); /* return register */
	p = p ? skip_leb(p, end) : NULL;                    /* augmentation data length */
	for (aug++; p && p < end && *aug; aug++) {
		if (*aug == 'R')
			return *p;
		if (*aug == 'P')
			p += 1 + pe_size(*p);
		else if (*aug == 'L')
			p++;
		else if (*aug != 'S' && *aug != 'B')
			return PE_OMIT;
	}
	return PE_OMIT;
}

static int fde_func(const struct rec_delf *e, uint64_t va, uint64_t *start, uint64_t *end)
{
	size_t lo = 0, hi = e->neh;
	const uint8_t *f;
	uint64_t s, fde, cie;
	uint8_t enc;
	unsigned ps;

	if (!e->eh_tab || !e->neh)
		return -ENOENT;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->eh_va + (uint64_t)(int64_t)s32_at(e->eh_tab + mid * 8) <= va)
			lo = mid;
		else
			hi = mid;
	}
	s = e->eh_va + (uint64_t)(int64_t)s32_at(e->eh_tab + lo * 8);
	fde = e->eh_va + (uint64_t)(int64_t)s32_at(e->eh_tab + lo * 8 + 4);
	if (s > va || !(f = rec_delf_at(e, fde, 24)) || u32_at(f) == 0xffffffff)
		return -ENOENT;
	cie = fde + 4 - u32_at(f + 4);
	enc = cie_fde_enc(e, cie);
	ps = enc == PE_OMIT ? 0 : pe_size(enc);
	if (!ps)
		return -ENOENT;
	*end = s + (ps == 4 ? (uint64_t)u32_at(f + 8 + ps) : (uint64_t)u32_at(f + 8 + ps) |
			      (uint64_t)u32_at(f + 12 + ps) << 32);
	*start = s;
	return va < *end ? 0 : -ENOENT;
}

/* How far the padding rule looks for a function's start or end. */
#define PAD_SCAN (256 * 1024)

/* Does a function start at text offset @i by the padding rule? */
static int pad_start(const uint8_t *t, uint64_t i, uint64_t size)
{
	const uint8_t *q = t + i;

	if ((i & 15) || i < 5 || i + 4 > size)
		return 0;
	/* padding, a ret, or a call/jmp rel32 ending there (a noreturn call
	 * or a tail call closes the function before) */
	if (q[-1] != 0xcc && q[-1] != 0x90 && q[-1] != 0xc3 && q[-5] != 0xe8 && q[-5] != 0xe9)
		return 0;
	return (q[0] >= 0x50 && q[0] <= 0x57) || (q[0] == 0x41 && q[1] >= 0x50 && q[1] <= 0x57) ||
	       (q[0] == 0xf3 && q[1] == 0x0f && q[2] == 0x1e && q[3] == 0xfa);
}

static int pad_func(const struct rec_delf *e, uint64_t va, uint64_t *start, uint64_t *end)
{
	const uint8_t *t = e->p + e->text_off;
	uint64_t i, j, lim;

	if (va < e->text_va || va >= e->text_va + e->text_size)
		return -ENOENT;
	/* the text section's start is 16-aligned in these binaries */
	i = (va - e->text_va) & ~15ull;
	lim = i > PAD_SCAN ? i - PAD_SCAN : 0;
	while (!pad_start(t, i, e->text_size) && i > lim)
		i -= 16;
	if (!pad_start(t, i, e->text_size))
		return -ENOENT;
	j = ((va - e->text_va) | 15) + 1;
	lim = j + PAD_SCAN;
	while (j < e->text_size && j < lim && !pad_start(t, j, e->text_size))
		j += 16;
	*start = e->text_va + i;
	*end = e->text_va + (j < e->text_size ? j : e->text_size);
	return 0;
}

int rec_delf_func(const struct rec_delf *e, uint64_t va, uint64_t *start, uint64_t *end)
{
	if (!fde_func(e, va, start, end))
		return REC_DELF_FDE;
	/* a va in the gap after the last FDE, or in a file without any */
	if (!pad_func(e, va, start, end))
		return REC_DELF_PAD;
	return -ENOENT;
}

void rec_delf_refs(const struct rec_delf *e, const uint64_t *targets, int n, rec_delf_ref_fn fn,
		   void *ctx)
{
	const uint8_t *t = e->p + e->text_off;
	uint64_t i, size = e->text_size;
	int k;

	for (i = 3; i + 4 <= size; i++) {
		uint8_t op = t[i - 1];
		uint32_t v;

		if (op >= 0xb8 && op <= 0xbf) {
			/* mov $imm32,%r32 (41 prefix: %r8d..%r15d) */
			v = u32_at(t + i);
			for (k = 0; k < n; k++)
				if (targets[k] == v)
					fn(ctx, e->text_va + i - 1 - (t[i - 2] == 0x41),
					   5 + (t[i - 2] == 0x41), k);
		} else if (t[i - 2] == 0x8d && (op & 0xc7) == 0x05 &&
			   (t[i - 3] == 0x48 || t[i - 3] == 0x4c)) {
			/* lea disp32(%rip),%r64 */
			uint64_t to = e->text_va + i + 4 + (uint64_t)(int64_t)s32_at(t + i);

			for (k = 0; k < n; k++)
				if (targets[k] == to)
					fn(ctx, e->text_va + i - 3, 7, k);
		}
	}
}

int rec_delf_calls(const struct rec_delf *e, uint64_t start, uint64_t end, uint64_t *out, int max)
{
	const uint8_t *p = rec_delf_at(e, start, (size_t)(end - start));
	uint64_t i, s, x;
	int n = 0;

	if (!p || end <= start)
		return 0;
	for (i = 0; i + 5 <= end - start && n < max; i++) {
		uint64_t to;

		if (p[i] != 0xe8)
			continue;
		to = start + i + 5 + (uint64_t)(int64_t)s32_at(p + i + 1);
		if (rec_delf_func(e, to, &s, &x) > 0 && s == to)
			out[n++] = to;
	}
	return n;
}

/*
 * Length of a register load at @p: `mov $imm32,%r32` (with its register
 * number in *reg, 8..15 for %r8d..%r15d) or `xor r32,r32` (*reg = -1);
 * 0 if none.
 */
unsigned rec_delf_reg_load(const uint8_t *p, int *reg, uint32_t *imm)
{
	*imm = 0;
	*reg = -1;
	if (p[0] >= 0xb8 && p[0] <= 0xbf) {
		*reg = p[0] - 0xb8;
		memcpy(imm, p + 1, 4);
		return 5;
	}
	if (p[0] == 0x41 && p[1] >= 0xb8 && p[1] <= 0xbf) {
		*reg = 8 + p[1] - 0xb8;
		memcpy(imm, p + 2, 4);
		return 6;
	}
	if ((p[0] == 0x31 || p[0] == 0x33) && (p[1] & 0xc0) == 0xc0)
		return 2;
	if (p[0] == 0x45 && (p[1] == 0x31 || p[1] == 0x33) && (p[2] & 0xc0) == 0xc0)
		return 3;
	return 0;
}
