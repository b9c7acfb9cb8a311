/* SPDX-License-Identifier: MIT */
/*
 * rec_tlsw.h - the TLS discovery worker: examines newly mapped files off
 * the polling thread, then lets stopped processes go on.
 *
 * The kernel side reports a traced process's first mapping of a file with
 * a control record and, by default, stops the process (ASR_CTRL_STOPPED).
 * Examining a file can take seconds (a stripped 250 MB binary on a cold
 * cache), and the poller must keep draining the ring meanwhile, so control
 * records are queued here and handled on a thread of their own; SIGCONT
 * follows once the probes the file needs are attached.  TARGET records
 * made meanwhile are kept in an outbox that the poller moves into the
 * record stream (rec_tlsw_flush), since rec_ring is single-threaded.
 */
#ifndef AS_RECORD_REC_TLSW_H
#define AS_RECORD_REC_TLSW_H

#include <stddef.h>
#include <stdint.h>

struct asr_ctrl;
struct rec_ring;
struct rec_tls;
struct rec_tlsw;

/* @stopped_fd: the kernel side's map of stopped processes (rec_guard.h) */
int rec_tlsw_new(int stopped_fd, struct rec_tlsw **out);

/* Start the thread that hands control records to @t. */
int rec_tlsw_start(struct rec_tlsw *w, struct rec_tls *t);

/* rec_tls_emit_fn: keep a record for the poller (any thread). */
void rec_tlsw_emit(void *w, const void *rec, size_t len);

/* A control record from the ring (poller thread). */
void rec_tlsw_push(void *w, uint32_t pid, const struct asr_ctrl *c);

/* Move the records kept so far into @r (poller thread). */
void rec_tlsw_flush(struct rec_tlsw *w, struct rec_ring *r);

/* Stop the thread: what is queued is continued unexamined.  Records it
 * made stay in the outbox until rec_tlsw_flush. */
void rec_tlsw_stop(struct rec_tlsw *w);

/* Processes stopped and continued so far. */
unsigned rec_tlsw_resumed(const struct rec_tlsw *w);

/* Stop (if not yet), continue every stopped process, free. */
void rec_tlsw_free(struct rec_tlsw *w);

#endif
