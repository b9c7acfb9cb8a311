/* SPDX-License-Identifier: MIT */
/*
 * stream.h - TLS plaintext reassembly per connection and direction.
 *
 * A connection is (pid, task_start_ns, SSL* pointer, first-seen seq): the
 * pointer can be reused by a later connection of the same process, so a
 * handshake event (CAP_REC_TLS_EVENT) on a pointer that already carried data
 * starts a new connection.  Each CAP_REC_TLS record is one library call
 * (SSL_read/SSL_write) or one continuation chunk of it (same seq, data_off,
 * CAP_RF_MORE on all but the last).  Bytes are handed to ops->data in call
 * order as soon as they are contiguous; missing bytes (lost chunks, snaplen
 * truncation) are reported once through ops->gap.  Memory per direction is
 * bounded by STREAM_PENDING_MAX out-of-order chunks of the current call.
 *
 * Records of aws-lc's AEAD calls (cap_tls.func 16 seal, 17 open: rustls
 * with aws-lc-rs, see ascap(5)) are one TLS record each, and their conn is
 * the key context of one direction, not a connection.  They are turned
 * into the same streams: a record whose AAD is not a TLS record header is
 * not TLS and is skipped; TLS 1.3 records lose their padding and inner
 * content type byte, and only application data (type 23) is kept (the
 * handshake has keys of its own); the two directions are paired by socket
 * fd (the recorder learns it from the socket syscall next to the call and
 * says it with an empty record when it comes after the first seal), and a
 * context whose fd is not known yet holds its records until it is.  A
 * connection takes a new context for a direction that already has another
 * only when the fd was reused: that starts a new connection.
 *
 * Calling sequence:
 *   stream_new(&ops, ctx, &s);
 *   stream_feed(s, &rec) for every record in (ts, seq) order;
 *   stream_finish(s);            reports calls left incomplete
 *   stream_free(s);
 */
#ifndef AS_ANALYZE_STREAM_H
#define AS_ANALYZE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/autil.h"
#include "format/cap_reader.h"

#define STREAM_PENDING_MAX 16

struct stream_pending {
	uint32_t off;
	uint8_t *data;
	size_t len;
	uint64_t ts;
};

struct stream_dir {
	int active;            /* a call is being assembled */
	uint64_t seq;
	uint32_t off;          /* bytes of the call delivered (or skipped) */
	uint32_t orig_len;
	int more;              /* the last chunk seen had CAP_RF_MORE */
	int trunc;
	struct stream_pending *pend; /* STREAM_PENDING_MAX slots, allocated when needed */
	unsigned npend;
	uint64_t bytes, calls, chunks, gaps, gap_bytes;
};

struct stream_conn {
	uint64_t id;           /* 1-based, in first-seen order */
	uint32_t pid;
	uint64_t start_ns;
	uint64_t ptr;          /* SSL* / session pointer */
	uint64_t first_seq;
	int32_t fd;
	uint64_t t_first, t_last;
	char *sni;             /* from a handshake event, or NULL */
	struct stream_dir dir[2]; /* CAP_TLS_WRITE, CAP_TLS_READ */
	void *user;            /* the consumer's per-connection state */
	uint64_t aead_ctx[2];  /* AEAD records: the context of each direction */
};

struct stream_ops {
	/* a new connection was seen */
	void (*open)(void *ctx, struct stream_conn *c);
	/* one raw record of a connection (before reassembly) */
	void (*chunk)(void *ctx, struct stream_conn *c, const struct cap_rec *rec);
	/* contiguous plaintext */
	void (*data)(void *ctx, struct stream_conn *c, int dir, uint64_t ts,
		     const uint8_t *p, size_t n);
	/* @missing bytes of this direction will never come */
	void (*gap)(void *ctx, struct stream_conn *c, int dir, uint64_t ts, uint64_t missing);
};

struct stream_actx; /* stream.c: one AEAD context */

struct stream_set {
	const struct stream_ops *ops;
	void *ctx;
	struct au_map by_ptr;       /* (pid, start, ptr) -> current connection */
	struct stream_conn **conns;
	size_t n, cap;
	uint64_t last_ts;
	struct au_map aead_by_ctx;  /* (pid, start, context) -> struct stream_actx */
	struct au_map aead_by_fd;   /* (pid, start, fd) -> current connection */
	struct stream_actx **actx;
	size_t nactx, cactx;
};

int stream_new(const struct stream_ops *ops, void *ctx, struct stream_set **out);
/* Feed one record; non-TLS records are ignored.  0 or -ENOMEM. */
int stream_feed(struct stream_set *s, const struct cap_rec *rec);
/* Report incomplete calls of every connection as gaps. */
void stream_finish(struct stream_set *s);
void stream_free(struct stream_set *s);

#endif
