/* SPDX-License-Identifier: MIT */
/*
 * conv.h - HTTP conversations on reassembled TLS streams: one HTTP/1.1
 * parser per direction, requests paired with responses in order
 * (keep-alive and pipelining), SSE bodies split into events.
 *
 * Calling sequence:
 *   conv_new(on_exchange, ctx, &cs);
 *   stream ops: conv_stream_ops() with cs as the stream context;
 *   stream_finish(); conv_finish(cs);      ends every open conversation
 *   cs->ex[0..cs->nex) in request order; conv_free(cs);
 *
 * on_exchange is called once per exchange when its response is complete
 * (or when it failed or the stream ended); the exchange stays owned by cs.
 * Which side is the client is decided by which direction starts with a
 * request line, so a traced server works too.  An HTTP/2 connection
 * preface marks the connection "h2": its streams are decoded by http2.h
 * and become exchanges the same way (in order of their request HEADERS).
 * A 101 answer to an "Upgrade: websocket" request hands the rest of the
 * connection to wsconv.h, whose message pairs become exchanges (ex->ws).
 */
#ifndef AS_ANALYZE_CONV_H
#define AS_ANALYZE_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/http1.h"
#include "analyze/http2.h"
#include "analyze/sse.h"
#include "analyze/stream.h"
#include "analyze/wsconv.h"

struct conv_event {
	uint64_t ts;
	char *event;
	char *data;
	size_t data_len;
	int truncated;
};

struct conv_exchange {
	uint64_t id;                 /* 1-based, request order */
	struct stream_conn *conn;
	struct http_msg *req;        /* NULL when the request was not captured */
	struct http_msg *resp;       /* NULL when no response was captured */
	int is_sse;
	struct conv_event *ev;       /* SSE events of the response */
	size_t nev, cev;
	int sse_cut;                 /* the event stream stopped inside an event */
	struct sse_parser sse;
	int done;
	void *user;                  /* the consumer's (e.g. the LLM call) */
	uint32_t h2_stream;          /* HTTP/2 stream id, 0 for HTTP/1.x */
	int grpc;                    /* HTTP/2 content-type application/grpc */
	uint64_t grpc_msgs[2];       /* gRPC messages in the request, response */
	int ws;                      /* a WebSocket message exchange (wsconv.h) */
	int req_done;                /* HTTP/1: the parser is done with req */
	int resp_done;               /* HTTP/1: resp is done, waiting for req_done */
	int released;                /* conv_exchange_release: free when safe */
};

struct conv_conn {
	struct stream_conn *sc;
	struct http1_parser p[2];    /* by stream direction */
	int role;                    /* 0 unknown, 1 client (write = requests), 2 server */
	int h2;
	struct h2_conn *h2c;         /* HTTP/2 decoder, when h2 */
	int h2_cdir;                 /* stream direction the client writes */
	struct conv_exchange **q;    /* exchanges waiting for a response, oldest first */
	size_t nq, cq;
	struct conv_set *cs;
	struct wsconv *ws;           /* after a WebSocket upgrade, or NULL */
};

typedef void (*conv_exchange_fn)(void *ctx, struct conv_exchange *ex);

struct conv_set {
	conv_exchange_fn fn;
	void *ctx;
	struct conv_exchange **ex;
	size_t nex, cex;
	struct conv_conn **conns;
	size_t nconns, cconns;
	uint64_t errors;
	uint64_t ids;                /* exchanges made so far (ex->id) */
};

int conv_new(conv_exchange_fn fn, void *ctx, struct conv_set **out);
const struct stream_ops *conv_stream_ops(void);
void conv_finish(struct conv_set *cs);
void conv_free(struct conv_set *cs);

/* "h2", "http/1.1" or "tls" (no HTTP seen) for a connection's user state. */
const char *conv_proto(const struct stream_conn *c);

/* First error of the exchange (request, response, or pairing), or NULL. */
const char *conv_exchange_error(const struct conv_exchange *ex);

/*
 * Streaming consumers: drop @ex (reported, its rows written) from cs->ex
 * and free it, at once or as soon as no parser holds its messages (an
 * HTTP/1 request still being read; a WebSocket upgrade, whose messages the
 * frames' exchanges copy, stays until conv_free).  cs->ex then holds only
 * the exchanges not yet released.
 */
void conv_exchange_release(struct conv_set *cs, struct conv_exchange *ex);

/* The earliest first-byte time of a request not yet reported (an open
 * exchange, or a request head being read), or UINT64_MAX: the LLM calls
 * still to come were all requested at or after it. */
uint64_t conv_horizon(const struct conv_set *cs);

/* For wsconv.c: a new exchange of @cc (NULL on ENOMEM), and the end of
 * one (reported to the consumer once). */
struct conv_exchange *conv_exchange_new(struct conv_conn *cc);
void conv_exchange_finish(struct conv_conn *cc, struct conv_exchange *ex);

#endif
