/* SPDX-License-Identifier: MIT */
/*
 * http2.h - incremental HTTP/2 decoder (RFC 9113) for one connection: both
 * directions, frames, HPACK (one dynamic table per direction, hpack.h),
 * streams turned into request/response http_msg pairs.  No I/O.
 *
 * Low level:
 *   h2_frame_parse(p, n, &f, &need)   >0: bytes of one whole frame at p (f
 *                                     filled, payload points into p); 0: need
 *                                     more, *need = bytes required in all
 *   h2_frame_payload(&f, &d, &dn)     DATA/HEADERS/PUSH_PROMISE without
 *                                     padding, priority and promised id;
 *                                     0 or -EBADMSG
 * Connection:
 *   h2_init(&c, &ops, ctx);             0 or -ENOMEM
 *   h2_feed(&c, side, ts, buf, n)       side H2_CLIENT (starts with the
 *                                       preface) or H2_SERVER; any split;
 *                                       n, or -EBADMSG after a connection
 *                                       error (that side is then ignored)
 *   h2_gap(&c, side, ts, n)             bytes lost: that side stops
 *   h2_eof(&c, ts)                      open streams end ("truncated")
 *   h2_release(&c);
 *
 * ops->head is called when a stream's request (client HEADERS or a
 * PUSH_PROMISE) or final response (server HEADERS with :status >= 200, or
 * 101) is known, ops->body with each piece of decoded DATA, ops->done once
 * per message (the callee then owns it), ops->close once per stream after
 * the last done.  Pseudo-headers give method/target/status; they stay in
 * the header list too, and :authority is also given as "host".  Trailers
 * are appended to the headers.  Content-Encoding is decoded (http_dec.h);
 * gRPC (content-type application/grpc*) bodies are kept as sent and their
 * length-prefixed messages counted.  A malformed frame is a connection
 * error: every open message of the connection fails with it, ops->conn_error
 * says how many did.
 */
#ifndef AS_ANALYZE_HTTP2_H
#define AS_ANALYZE_HTTP2_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/hpack.h"
#include "analyze/http1.h"
#include "analyze/http_dec.h"
#include "format/cap_buf.h"

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24u
#define H2_FRAME_HDR 9u
#define H2_HBLOCK_MAX (1024u * 1024u)   /* one header block, all CONTINUATIONs */

enum h2_type {
	H2_DATA, H2_HEADERS, H2_PRIORITY, H2_RST_STREAM, H2_SETTINGS, H2_PUSH_PROMISE,
	H2_PING, H2_GOAWAY, H2_WINDOW_UPDATE, H2_CONTINUATION,
};

#define H2_F_END_STREAM 0x1
#define H2_F_ACK 0x1
#define H2_F_END_HEADERS 0x4
#define H2_F_PADDED 0x8
#define H2_F_PRIORITY 0x20

enum h2_side_id { H2_CLIENT, H2_SERVER };

struct h2_frame {
	uint32_t len;
	uint8_t type, flags;
	uint32_t stream;
	const uint8_t *payload;
};

struct h2_stream {
	uint32_t id;
	struct http_msg *msg[2];   /* by side while open; NULL once handed over */
	int started[2], ended[2];
	struct http_dec dec[2];
	int dec_on[2];
	int grpc;
	uint64_t grpc_msgs[2];     /* length-prefixed gRPC messages per side */
	uint64_t grpc_need[2];     /* bytes left of the current gRPC message */
	uint8_t grpc_hdr[2][5];
	unsigned grpc_hlen[2];
	uint32_t rst_code;
	int reset;
	void *user;                /* the consumer's (e.g. the exchange) */
};

struct h2_ops {
	void (*head)(void *ctx, struct h2_stream *s, struct http_msg *m);
	void (*body)(void *ctx, struct h2_stream *s, struct http_msg *m, uint64_t ts,
		     const uint8_t *p, size_t n);
	void (*done)(void *ctx, struct h2_stream *s, struct http_msg *m);
	void (*close)(void *ctx, struct h2_stream *s);
	void (*conn_error)(void *ctx, int side, const char *why, size_t nfailed);
};

struct h2_side {
	struct cap_buf buf;        /* the frame being assembled */
	size_t preface;            /* client: preface bytes matched so far */
	struct hpack hp;
	struct cap_buf hblock;     /* header block being assembled */
	uint32_t cont_stream;      /* != 0: a CONTINUATION for it must follow */
	uint32_t hb_stream;        /* stream of the header block */
	uint8_t cont_type, cont_flags;
	uint32_t promised;
	int dead;
	uint64_t frames, bytes;
};

struct h2_conn {
	const struct h2_ops *ops;
	void *ctx;
	struct h2_side side[2];
	struct h2_stream **st;
	size_t nst, cst;
	char *error;               /* first connection error */
	uint64_t nerrors;
	uint64_t decode_limit;
	uint64_t nstreams;
	uint64_t settings, pings, window_updates, priorities, rsts, pushes, goaways;
	uint32_t goaway_last, goaway_code;
	uint64_t ts;
};

long h2_frame_parse(const uint8_t *p, size_t n, struct h2_frame *f, size_t *need);
int h2_frame_payload(const struct h2_frame *f, const uint8_t **d, size_t *dn);
const char *h2_error_name(uint32_t code);

int h2_init(struct h2_conn *c, const struct h2_ops *ops, void *ctx);
long h2_feed(struct h2_conn *c, int side, uint64_t ts, const uint8_t *buf, size_t n);
void h2_gap(struct h2_conn *c, int side, uint64_t ts, uint64_t n);
void h2_eof(struct h2_conn *c, uint64_t ts);
void h2_release(struct h2_conn *c);

#endif
