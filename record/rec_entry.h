/* SPDX-License-Identifier: MIT */
/*
 * rec_entry.h - where on a function's first bytes a uprobe costs least.
 *
 * Why: on x86_64 the kernel emulates a probed `push %reg` (about 1 us per
 * call with the return probe, measured on the test VM) but single-steps
 * most other instructions out of line, endbr64 included (about 10 us).
 * Code built with -fcf-protection (Ubuntu's and Fedora's OpenSSL, for
 * one) starts every function with endbr64, so a probe on the symbol pays
 * the slow path on every call.  endbr64 changes no register and no flag,
 * so a probe on the instruction after it sees the same arguments, stack
 * pointer and return address; it is skipped only when that instruction
 * is a push, which nothing but a call can reach (a loop back to it would
 * push on every turn).
 */
#ifndef AS_RECORD_REC_ENTRY_H
#define AS_RECORD_REC_ENTRY_H

#include <stddef.h>
#include <stdint.h>

/* bytes to skip before the first instruction of @b: 4 for endbr64 followed
 * by a push, else 0 (@n bytes readable at @b) */
unsigned rec_entry_skip(const uint8_t *b, size_t n);

/* 1 when the instruction a probe at rec_entry_skip() would hit is a push */
int rec_entry_emulated(const uint8_t *b, size_t n);

/* File offset where to probe the function at file offset @off of @fd:
 * @off + rec_entry_skip() of its first bytes (@off when unreadable). */
uint64_t rec_entry_probe_off(int fd, uint64_t off);

/* rec_entry_emulated() for the function at file offset @off of @fd */
int rec_entry_emulated_at(int fd, uint64_t off);

#endif
