/* SPDX-License-Identifier: MIT */
/*
 * sse.c - Server-Sent Events parser (see sse.h).
 */
#include "sse.h"

#include <string.h>

void sse_init(struct sse_parser *p, sse_event_fn fn, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->fn = fn;
	p->ctx = ctx;
}

static const char *cstr(struct cap_buf *b, const char *dflt)
{
	if (!b->len)
		return dflt;
	if (cap_buf_append(b, "", 1))
		return dflt;
	b->len--;
	return (const char *)b->p;
}

static void dispatch(struct sse_parser *p, int truncated)
{
	struct sse_event ev;

	if (p->has_data) {
		ev.event = cstr(&p->event, "message");
		ev.data = cstr(&p->data, "");
		ev.data_len = p->data.len;
		ev.id = cstr(&p->id, "");
		ev.ts = p->ts;
		ev.ts_first = p->ts_first;
		ev.truncated = truncated;
		p->nevents++;
		if (p->fn)
			p->fn(p->ctx, &ev);
	}
	/* the last event id persists; name and data do not */
	p->data.len = 0;
	p->event.len = 0;
	p->has_data = 0;
	p->started = 0;
}

static void field(struct sse_parser *p, const char *l, size_t n)
{
	const char *colon = memchr(l, ':', n);
	size_t nl = colon ? (size_t)(colon - l) : n;
	const char *v = colon ? colon + 1 : l + n;
	size_t vl = colon ? n - nl - 1 : 0;

	if (vl && *v == ' ') {
		v++;
		vl--;
	}
	if (!nl)
		return; /* comment */
	if (nl == 4 && !memcmp(l, "data", 4)) {
		if (p->data.len + vl + 1 > SSE_EVENT_MAX) {
			p->dropped += vl;
			return;
		}
		if (p->has_data)
			cap_buf_append(&p->data, "\n", 1);
		cap_buf_append(&p->data, v, vl);
		p->has_data = 1;
	} else if (nl == 5 && !memcmp(l, "event", 5)) {
		p->event.len = 0;
		cap_buf_append(&p->event, v, vl);
	} else if (nl == 2 && !memcmp(l, "id", 2) && !memchr(v, 0, vl)) {
		p->id.len = 0;
		cap_buf_append(&p->id, v, vl);
	}
}

static void end_line(struct sse_parser *p)
{
	if (!p->line.len) {
		dispatch(p, 0);
		return;
	}
	if (!p->started)
		p->ts_first = p->ts;
	p->started = 1;
	field(p, (const char *)p->line.p, p->line.len);
	p->line.len = 0;
}

void sse_feed(struct sse_parser *p, uint64_t ts, const uint8_t *b, size_t n)
{
	size_t i = 0;

	p->ts = ts;
	if (n && p->skip_lf && b[0] == '\n')
		i = 1;
	p->skip_lf = 0;
	while (i < n) {
		size_t k = i;

		while (k < n && b[k] != '\n' && b[k] != '\r')
			k++;
		if (p->line.len + (k - i) <= SSE_LINE_MAX)
			cap_buf_append(&p->line, b + i, k - i);
		else
			p->dropped += k - i;
		if (!p->started && (k > i))
			p->ts_first = ts;
		if (k == n)
			break;
		end_line(p);
		if (b[k] == '\r') {
			if (k + 1 < n && b[k + 1] == '\n')
				k++;
			else if (k + 1 == n)
				p->skip_lf = 1;
		}
		i = k + 1;
	}
}

int sse_finish(struct sse_parser *p, uint64_t ts)
{
	int cut = p->line.len || p->started;

	p->ts = ts;
	if (p->line.len)
		end_line(p);
	if (cut)
		dispatch(p, 1);
	return cut;
}

void sse_release(struct sse_parser *p)
{
	cap_buf_release(&p->line);
	cap_buf_release(&p->data);
	cap_buf_release(&p->event);
	cap_buf_release(&p->id);
}
