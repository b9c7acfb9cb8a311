/* SPDX-License-Identifier: MIT */
/*
 * wsconv.h - exchanges over a WebSocket (see conv.h).  Once a 101 answers
 * an HTTP/1.1 "Upgrade: websocket" request, both directions of the
 * connection are WebSocket frames (ws.h), and their messages are paired
 * the way the OpenAI Responses API over WebSocket (Codex) uses them: a
 * client message {"type": "response.create", ...} is a request, and the
 * server messages that follow, up to its "response.completed" (or
 * .failed, .incomplete, or an "error" event), are its events.
 *
 * Each pair becomes one conv_exchange with ex->ws set, shaped so the LLM
 * layer reads it as it reads a streamed HTTP call:
 *   ex->req   method "WS", the upgrade's target and headers (credentials
 *             included: outputs redact them by name), the client message
 *             as body, t_first = its first frame;
 *   ex->resp  the 101's status and headers; the server messages as
 *             events (ex->ev: name = their JSON "type", data = the text)
 *             and, one per line, as body; complete when the last event
 *             came; t_end = its time.
 * Client messages of other types (response.processed, ...) and server
 * messages with no request waiting are counted in w->unpaired.
 * Frame errors (ws.h) go on the oldest waiting exchange, or on an
 * exchange of their own when none waits.
 *
 * Calling sequence (conv.c):
 *   if (wsconv_is_upgrade(req, resp)) wsconv_new(cc, req, resp, cdir, &w);
 *   wsconv_feed(w, dir, ts, p, n); wsconv_gap(w, dir, ts, n);
 *   wsconv_eof(w, ts);            ends and reports every waiting exchange
 *   wsconv_free(w);
 */
#ifndef AS_ANALYZE_WSCONV_H
#define AS_ANALYZE_WSCONV_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/http1.h"
#include "analyze/ws.h"

struct conv_conn;
struct conv_exchange;
struct wsconv;

struct wsconv_side {
	struct wsconv *w;
	int client;
};

struct wsconv {
	struct conv_conn *cc;
	struct ws_parser p[2];          /* by stream direction */
	struct wsconv_side side[2];
	int cdir;                       /* stream direction the client writes */
	const struct http_msg *up_req;  /* the upgrade exchange's (the conv_set owns them) */
	const struct http_msg *up_resp;
	struct conv_exchange **open;    /* requests waiting for their last event, oldest first */
	size_t nopen, copen;
	uint64_t msgs[2];               /* data messages: from the client, from the server */
	uint64_t unpaired;
	int close_code;                 /* of the first close frame; -1 none or no code */
	int close_by;                   /* 0 none, 1 client, 2 server */
};

/* 1 when @resp (101) accepts @req's upgrade to WebSocket. */
int wsconv_is_upgrade(const struct http_msg *req, const struct http_msg *resp);
/* 0 or -ENOMEM; @cdir is the stream direction the client writes. */
int wsconv_new(struct conv_conn *cc, const struct http_msg *req, const struct http_msg *resp,
	       int cdir, struct wsconv **out);
void wsconv_feed(struct wsconv *w, int dir, uint64_t ts, const uint8_t *p, size_t n);
void wsconv_gap(struct wsconv *w, int dir, uint64_t ts, uint64_t n);
void wsconv_eof(struct wsconv *w, uint64_t ts);
void wsconv_free(struct wsconv *w);

#endif
