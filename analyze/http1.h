/* SPDX-License-Identifier: MIT */
/*
 * http1.h - incremental HTTP/1.x message parser for one direction of one
 * connection.  No I/O: bytes in, messages out through callbacks.
 *
 * Calling sequence:
 *   http1_init(&p, HTTP1_REQUEST or HTTP1_RESPONSE, &ops, ctx);
 *   http1_feed(&p, ts, buf, n)  any split: returns bytes consumed (== n)
 *                               or a negative error (the message failed;
 *                               the parser waits for a new start line)
 *   http1_gap(&p, ts, n)        bytes were lost: the current message fails
 *   http1_eof(&p, ts)           end of stream: read-until-close completes,
 *                               anything else pending fails ("truncated")
 *   http1_release(&p);
 *
 * ops->head is called when a message's head is complete, ops->body with each
 * piece of decoded body, ops->done once per message (complete or failed;
 * m->error says why) - the callee then owns @m (http_msg_free).
 * Framing: Content-Length, chunked (split anywhere, trailers), read until
 * close; no body for HEAD responses (ops->no_body), 1xx, 204 and 304.
 * Headers are kept in order, with duplicates.  Content-Encoding gzip,
 * deflate, br, zstd is decoded incrementally, at most p->decode_limit bytes
 * (a bomb beyond that is an error on that message only).
 */
#ifndef AS_ANALYZE_HTTP1_H
#define AS_ANALYZE_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/http_dec.h"
#include "format/cap_buf.h"

#define HTTP1_HEAD_MAX (256u * 1024u)
#define HTTP1_BODY_STORE_MAX (64u * 1024u * 1024u)
#define HTTP1_DECODE_LIMIT (256ull * 1024u * 1024u)

struct http_hdr {
	char *name;
	char *value;
};

struct http_msg {
	int is_req;
	char *method, *target;     /* requests */
	int status;                /* responses */
	char *reason;
	char *version;
	struct http_hdr *hdrs;
	size_t nhdrs, chdrs;
	struct cap_buf body;       /* decoded body (first HTTP1_BODY_STORE_MAX bytes) */
	uint64_t body_len;         /* decoded body bytes in all */
	uint64_t wire_len;         /* body bytes as sent (after chunk framing) */
	uint64_t head_len;
	int chunked;
	enum http_coding coding;
	int body_trunc;            /* body_len > stored */
	uint64_t t_first, t_head, t_body, t_end; /* monotonic ns */
	int complete;
	char *error;               /* NULL, or why this message failed */
	uint64_t seq_no;           /* 0-based message number in this direction */
	/* failed only for want of the last (empty) chunk: the stream ended
	 * between chunks, as when the client stops reading at its protocol's
	 * end (an SSE stream's final event) and closes */
	int cut_at_chunk;
};

struct http1_ops {
	void (*head)(void *ctx, struct http_msg *m);
	void (*body)(void *ctx, struct http_msg *m, uint64_t ts, const uint8_t *p, size_t n);
	void (*done)(void *ctx, struct http_msg *m);
	/* responses: 1 when the paired request was HEAD (no body follows) */
	int (*no_body)(void *ctx);
	/* optional: the bytes that follow a 101 Switching Protocols head (the
	 * new protocol's, e.g. WebSocket frames); NULL drops them */
	void (*tunnel)(void *ctx, uint64_t ts, const uint8_t *p, size_t n);
};

enum http1_kind { HTTP1_REQUEST, HTTP1_RESPONSE };

enum http1_state {
	H1_START, H1_HEAD, H1_BODY_LEN, H1_BODY_EOF, H1_CHUNK_SIZE, H1_CHUNK_DATA,
	H1_CHUNK_CRLF, H1_TRAILER, H1_RESYNC, H1_TUNNEL,
};

struct http1_parser {
	enum http1_kind kind;
	enum http1_state state;
	const struct http1_ops *ops;
	void *ctx;
	struct cap_buf line;       /* head or chunk-size line being assembled */
	uint64_t remain;
	struct http_msg *msg;
	struct http_dec dec;
	int dec_on;
	uint64_t decode_limit;
	uint64_t nmsgs, nerrors;
	uint64_t ts;               /* of the bytes being fed */
	uint64_t pos;              /* stream bytes fed (or lost in gaps) so far */
	uint64_t at;               /* stream offset of the step in progress */
};

void http1_init(struct http1_parser *p, enum http1_kind kind, const struct http1_ops *ops,
		void *ctx);
long http1_feed(struct http1_parser *p, uint64_t ts, const uint8_t *buf, size_t n);
void http1_gap(struct http1_parser *p, uint64_t ts, uint64_t n);
void http1_eof(struct http1_parser *p, uint64_t ts);
void http1_release(struct http1_parser *p);

/* First value of header @name (case-insensitive) or NULL. */
const char *http_msg_header(const struct http_msg *m, const char *name);
void http_msg_free(struct http_msg *m);

#endif
