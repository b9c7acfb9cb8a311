/* SPDX-License-Identifier: MIT */
/*
 * cap_chain.h - computing the per-frame SHA-256 hash chain (man/ascap.5).
 * The hasher is struct cap_chain_ctx; struct cap_chain (cap_record.h) is
 * the CAP_REC_CHAIN record that stores each result.
 *
 *   H(-1) = 32 zero bytes
 *   H(k)  = SHA-256(H(k-1) || bytes of frame k before its chain block)
 *
 * Calling sequence: cap_chain_new(&c); per frame: cap_chain_update(c, p, n)
 * for every block before the chain block, then cap_chain_next(c, out) which
 * finishes H(k), stores it as the new previous hash and starts frame k+1.
 * Used by the writer (to emit chain blocks) and the reader (to verify).
 */
#ifndef AS_FORMAT_CAP_CHAIN_H
#define AS_FORMAT_CAP_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define CAP_HASH_LEN 32

struct cap_chain_ctx;

/* Returns 0 or -ENOMEM. */
int cap_chain_new(struct cap_chain_ctx **out);
/* Hash more bytes of the current frame. */
void cap_chain_update(struct cap_chain_ctx *c, const void *p, size_t n);
/* Finish the current frame into @out and start the next one. */
void cap_chain_next(struct cap_chain_ctx *c, uint8_t out[CAP_HASH_LEN]);
/*
 * Make @prev the previous hash and restart the current frame: a reader
 * adopts the hash a file stores (so one altered frame is reported once)
 * and passes 32 zero bytes at the start of a new section.
 */
void cap_chain_set(struct cap_chain_ctx *c, const uint8_t prev[CAP_HASH_LEN]);
/* The last finished hash (zeros before the first frame). */
const uint8_t *cap_chain_last(const struct cap_chain_ctx *c);
/* Accepts NULL. */
void cap_chain_free(struct cap_chain_ctx *c);

#endif
