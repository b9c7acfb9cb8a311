/* SPDX-License-Identifier: MIT */
/*
 * rec_ring.h - the polling side: drain the BPF ring buffer into queue
 * chunks (records copied unchanged), hand control records to the TLS
 * discovery worker (rec_tlsw), and let the recorder add its own records (TLS targets) in
 * stream order.  Runs on the main thread only.
 *
 * The kernel side submits without wake-ups; rec_ring_poll() sleeps up to
 * @ms in epoll (woken early only by control records) and then drains
 * whatever is there, so the traced programs never pay for a wake-up.
 */
#ifndef AS_RECORD_REC_RING_H
#define AS_RECORD_REC_RING_H

#include <stddef.h>
#include <stdint.h>

struct asr_ctrl;
struct rec_queue;
struct rec_ring;

/* receives each control record (struct asr_ctrl) read from the ring */
typedef void (*rec_ring_ctrl_fn)(void *ctx, uint32_t pid, const struct asr_ctrl *c);

int rec_ring_new(const int *map_fds, size_t n, struct rec_queue *q, struct rec_ring **out);

/*
 * Where control records go.  Without a handler they are dropped, and a
 * process the kernel side stopped for one is continued at once.
 */
void rec_ring_set_ctrl(struct rec_ring *r, rec_ring_ctrl_fn fn, void *ctx);

/* Add a record made by the recorder (copied). */
void rec_ring_put(struct rec_ring *r, const void *rec, size_t len);

/* Wait up to @ms, drain the ring, queue what was read.  Returns records
 * read or a negative error (-EINTR when a signal arrived). */
int rec_ring_poll(struct rec_ring *r, int ms);

/* Drain without waiting and queue everything (at stop). */
int rec_ring_drain(struct rec_ring *r);

/* Records and bytes read from the ring so far; records lost for memory. */
void rec_ring_counts(const struct rec_ring *r, uint64_t *records, uint64_t *bytes,
		     uint64_t *lost);

void rec_ring_free(struct rec_ring *r);

#endif
