/* SPDX-License-Identifier: MIT */
/*
 * sse.h - incremental Server-Sent Events parser (WHATWG HTML 9.2.6).
 *
 * Calling sequence:
 *   sse_init(&p, on_event, ctx);
 *   sse_feed(&p, ts, buf, n);   any split, including inside CR LF
 *   sse_finish(&p, ts);         returns 1 when the stream was cut inside
 *                               an event (that partial event is delivered
 *                               with ev.truncated = 1), else 0
 *   sse_release(&p);
 *
 * An event is delivered on its blank line; ev->ts is the time of the bytes
 * that completed it, ev->ts_first of its first byte.  Strings in @ev are
 * valid during the callback only.  Lines and events are capped at
 * SSE_LINE_MAX / SSE_EVENT_MAX bytes (the rest is dropped and counted).
 */
#ifndef AS_ANALYZE_SSE_H
#define AS_ANALYZE_SSE_H

#include <stddef.h>
#include <stdint.h>

#include "format/cap_buf.h"

#define SSE_LINE_MAX (8u * 1024u * 1024u)
#define SSE_EVENT_MAX (16u * 1024u * 1024u)

struct sse_event {
	const char *event;    /* "message" when the stream gave no name */
	const char *data;     /* data lines joined with '\n', NUL-terminated */
	size_t data_len;
	const char *id;       /* last event id or "" */
	uint64_t ts, ts_first;
	int truncated;
};

typedef void (*sse_event_fn)(void *ctx, const struct sse_event *ev);

struct sse_parser {
	sse_event_fn fn;
	void *ctx;
	struct cap_buf line;
	struct cap_buf data;
	struct cap_buf event;
	struct cap_buf id;
	int has_data;
	int skip_lf;          /* the last byte was CR: a following LF belongs to it */
	int started;          /* any field seen in the current event */
	uint64_t ts, ts_first;
	uint64_t nevents, dropped;
};

void sse_init(struct sse_parser *p, sse_event_fn fn, void *ctx);
void sse_feed(struct sse_parser *p, uint64_t ts, const uint8_t *buf, size_t n);
int sse_finish(struct sse_parser *p, uint64_t ts);
void sse_release(struct sse_parser *p);

#endif
