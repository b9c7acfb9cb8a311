/* SPDX-License-Identifier: MIT */
/*
 * rec_delf.h - a read-only, mapped view of an x86-64 ELF file for the
 * finders of rec_disc (TLS functions in binaries without symbols).
 *
 * What it offers is what a build cannot strip and what every finder needs:
 * strings in read-only data, the instructions of .text that load the
 * address of such a string into a register (the error sites of a library),
 * function bounds from the .eh_frame_hdr binary search table, and the
 * direct calls of a function.  Nothing here decodes x86 in general: the
 * few instruction forms are matched as bytes, so one pass over 60 MB of
 * .text takes tens of milliseconds.
 */
#ifndef AS_RECORD_REC_DELF_H
#define AS_RECORD_REC_DELF_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

struct rec_delf {
	const uint8_t *p;        /* the whole file, mapped */
	size_t size;
	const Elf64_Phdr *ph;
	unsigned nph;
	uint64_t text_va, text_off, text_size; /* .text, else the first executable PT_LOAD */
	uint64_t eh_va;          /* .eh_frame_hdr, 0 when absent or not understood */
	const uint8_t *eh_tab;   /* its table: pairs of int32 (start, fde), relative to eh_va */
	size_t neh;
};

/* Map @fd; -ENOEXEC when it is not a little-endian x86-64 ELF file. */
int rec_delf_open(int fd, struct rec_delf *e);
void rec_delf_close(struct rec_delf *e);

/* File offset of @va (0 when no loaded segment maps it from the file). */
uint64_t rec_delf_off(const struct rec_delf *e, uint64_t va);

/* @n bytes at @va, or NULL when they are not all in the file. */
const uint8_t *rec_delf_at(const struct rec_delf *e, uint64_t va, size_t n);

/*
 * Addresses of the NUL-terminated strings in read-only segments that end
 * with @tail, where @tail starts the string or follows a '/'.  Returns how
 * many (at most @max are stored).
 */
int rec_delf_strings(const struct rec_delf *e, const char *tail, uint64_t *va, int max);

/*
 * Bounds of the function holding @va: from .eh_frame_hdr (REC_DELF_FDE),
 * else, for code built without unwind tables (Bun 1.2's BoringSSL), from
 * the padding between functions (REC_DELF_PAD): the start is the nearest
 * 16-byte aligned address at or before @va that follows int3/nop padding,
 * a ret or a call/jmp rel32 and begins with a push or endbr64, the end the
 * next such one.
 * -ENOENT when neither applies.
 */
#define REC_DELF_FDE 1
#define REC_DELF_PAD 2
int rec_delf_func(const struct rec_delf *e, uint64_t va, uint64_t *start, uint64_t *end);

/*
 * One pass over .text: @fn is called for each `mov $imm32,%r32` (non-PIE)
 * and `lea disp32(%rip),%r64` whose value is one of @targets[0..n), with
 * the instruction's address and length and the index of the target.
 */
typedef void (*rec_delf_ref_fn)(void *ctx, uint64_t site, unsigned len, int which);
void rec_delf_refs(const struct rec_delf *e, const uint64_t *targets, int n, rec_delf_ref_fn fn,
		   void *ctx);

/*
 * Targets of the `call rel32` instructions in [@start, @end) that are the
 * start of a function known to .eh_frame_hdr (a byte pattern that only
 * looks like a call almost never lands on one).  Returns the count stored.
 */
int rec_delf_calls(const struct rec_delf *e, uint64_t start, uint64_t end, uint64_t *out, int max);

/*
 * Length of a register load at @p (mov $imm32,%r32 with its register in
 * *reg, 8..15 for %r8d..%r15d, or xor r32,r32 with *reg = -1), 0 if none:
 * how OPENSSL_PUT_ERROR call sites load their library and reason codes.
 */
unsigned rec_delf_reg_load(const uint8_t *p, int *reg, uint32_t *imm);

#endif
