/* SPDX-License-Identifier: MIT */
/*
 * cap_merge.h - min-heap of copied records ordered by (ts_ns, seq, arrival)
 * for cap_reader's CAP_READ_TIME order.
 *
 * Records are copied in (one allocation each, record bytes included), so
 * they outlive the reader's buffers; a popped item is owned by the caller
 * and freed with free().  Arrival order breaks ties, so continuation chunks
 * that share ts_ns and seq keep their order.
 *
 * Most records arrive in order, so those that sort after the last queued
 * one go to a FIFO (O(1)); only late ones go to the heap.  The smallest
 * record is the smaller of the FIFO's head and the heap's top.
 */
#ifndef AS_FORMAT_CAP_MERGE_H
#define AS_FORMAT_CAP_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "cap_reader.h"

struct cap_merge_item {
	struct cap_rec rec;  /* pointers into raw[] */
	uint64_t order;      /* arrival number */
	uint8_t raw[];
};

struct cap_merge {
	struct cap_merge_item **h;   /* heap of late arrivals */
	size_t hn, hcap;
	struct cap_merge_item **q;   /* ring of in-order arrivals */
	size_t qhead, qn, qcap;
	size_t n;                    /* records held (heap + ring) */
	uint64_t bytes;              /* record bytes held */
	uint64_t order;
};

/* Copy @rec in.  Returns 0 or -ENOMEM. */
int cap_merge_push(struct cap_merge *m, const struct cap_rec *rec);
/* The smallest record, or NULL when empty. */
const struct cap_rec *cap_merge_peek(const struct cap_merge *m);
/* Remove and return the smallest; NULL when empty.  free() it. */
struct cap_merge_item *cap_merge_pop(struct cap_merge *m);
void cap_merge_release(struct cap_merge *m);

#endif
