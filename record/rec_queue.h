/* SPDX-License-Identifier: MIT */
/*
 * rec_queue.h - a bounded queue of record chunks from the polling thread to
 * the writer thread.  The poller copies records out of the BPF ring buffer
 * into a chunk (each record prefixed by its u32 length), pushes the chunk
 * when a drain ends, and takes a fresh one; the writer pops chunks and
 * feeds the records to the capture writer.  Compression therefore never
 * runs on the polling thread.
 *
 * Calling sequence:
 *   rec_queue_init(&q, max_bytes);
 *   poller:  c = rec_queue_chunk(&q); rec_chunk_put(c, rec, len) ...;
 *            rec_queue_push(&q, c);         blocks while max_bytes are queued
 *   writer:  c = rec_queue_pop(&q, ms);     NULL on timeout or when closed+empty
 *            for (p = NULL; (rec = rec_chunk_next(c, &p, &len));) ...
 *            rec_queue_recycle(&q, c);
 *   rec_queue_close(&q);                    wakes both sides; pop drains, then NULL
 *   rec_queue_release(&q);
 *
 * A full queue blocks the poller, so the kernel ring buffer absorbs the
 * backlog and its failed reservations are counted: nothing is lost silently.
 */
#ifndef AS_RECORD_REC_QUEUE_H
#define AS_RECORD_REC_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define REC_CHUNK_SIZE (1u << 20)

/* what a chunk holds */
#define REC_CHUNK_RECORDS 0 /* records from the ring buffer (and TLS discovery) */
#define REC_CHUNK_PACKETS 1 /* packets from rec_pcap: struct rec_pkt + bytes each */

struct rec_chunk {
	struct rec_chunk *next;
	size_t len;
	int kind;             /* REC_CHUNK_*; rec_queue_chunk() sets RECORDS */
	uint8_t data[REC_CHUNK_SIZE];
};

struct rec_queue {
	pthread_mutex_t mu;
	pthread_cond_t more;  /* a chunk was pushed or the queue closed */
	pthread_cond_t space; /* bytes dropped below max */
	struct rec_chunk *head, *tail, *free;
	size_t bytes, max_bytes, peak_bytes;
	unsigned nfree;
	int closed;
};

int rec_queue_init(struct rec_queue *q, size_t max_bytes);
void rec_queue_release(struct rec_queue *q);

/* An empty chunk (recycled or new); NULL when out of memory. */
struct rec_chunk *rec_queue_chunk(struct rec_queue *q);

/* Append a record; -ENOSPC when it does not fit (push and take another). */
int rec_chunk_put(struct rec_chunk *c, const void *rec, uint32_t len);

/* Append one entry made of two parts (a header and bytes); -ENOSPC. */
int rec_chunk_put2(struct rec_chunk *c, const void *a, uint32_t alen, const void *b,
		   uint32_t blen);

/* Iterate over a chunk's records; *pos starts at 0. */
const void *rec_chunk_next(const struct rec_chunk *c, size_t *pos, uint32_t *len);

/* Queue @c (ownership passes); waits while the queue is full and open. */
void rec_queue_push(struct rec_queue *q, struct rec_chunk *c);

/*
 * Queue @c without waiting: -EAGAIN when the queue is full (the caller
 * keeps @c and counts what it cannot keep as dropped), -EPIPE when closed.
 * For producers that must never stall (packet capture).
 */
int rec_queue_trypush(struct rec_queue *q, struct rec_chunk *c);

/* Oldest chunk, waiting up to @ms; NULL on timeout or when closed and empty. */
struct rec_chunk *rec_queue_pop(struct rec_queue *q, int ms);

/* Is the queue closed and empty? */
int rec_queue_done(struct rec_queue *q);

void rec_queue_recycle(struct rec_queue *q, struct rec_chunk *c);
void rec_queue_close(struct rec_queue *q);

#endif
