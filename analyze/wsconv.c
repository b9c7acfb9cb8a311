/* SPDX-License-Identifier: MIT */
/*
 * wsconv.c - pair WebSocket messages into exchanges (see wsconv.h).
 */
#include "wsconv.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/autil.h"
#include "analyze/conv.h"

static int has_token(const char *v, const char *tok)
{
	return v && strcasestr(v, tok) != NULL;
}

int wsconv_is_upgrade(const struct http_msg *req, const struct http_msg *resp)
{
	return req && resp && resp->status == 101 &&
	       (has_token(http_msg_header(resp, "upgrade"), "websocket") ||
		has_token(http_msg_header(req, "upgrade"), "websocket"));
}

static int copy_headers(struct http_msg *dst, const struct http_msg *src)
{
	size_t i;

	for (i = 0; src && i < src->nhdrs; i++) {
		struct http_hdr *h = au_push(&dst->hdrs, &dst->nhdrs, &dst->chdrs, sizeof(*h));

		if (!h)
			return -ENOMEM;
		h->name = au_strdup(src->hdrs[i].name);
		h->value = au_strdup(src->hdrs[i].value);
	}
	return 0;
}

/* A message of the exchange, built from the upgrade's request or response. */
static struct http_msg *msg_new(const struct http_msg *up, int is_req, uint64_t ts)
{
	struct http_msg *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->is_req = is_req;
	m->version = au_strdup("websocket");
	if (is_req) {
		m->method = au_strdup("WS");
		m->target = au_strdup(up && up->target ? up->target : "/");
	} else {
		m->status = up ? up->status : 101;
		m->reason = au_strdup(up && up->reason ? up->reason : "");
	}
	m->t_first = m->t_head = ts;
	if (copy_headers(m, up)) {
		http_msg_free(m);
		return NULL;
	}
	return m;
}

static void set_err(struct http_msg *m, const char *why)
{
	if (m && !m->error && why)
		m->error = au_strdup(why);
}

static void body_add(struct http_msg *m, const uint8_t *p, size_t n, int trunc)
{
	size_t room = m->body.len < HTTP1_BODY_STORE_MAX ? HTTP1_BODY_STORE_MAX - m->body.len : 0;

	if (!m->body_len)
		m->t_body = m->t_first;
	m->body_len += n;
	if (n > room || trunc)
		m->body_trunc = 1;
	if (cap_buf_append(&m->body, p, n < room ? n : room))
		m->body_trunc = 1;
}

static char *msg_type(const struct ws_message *m)
{
	json_t *j = m->opcode == WS_OP_TEXT ? json_loadb((const char *)m->data, m->len, 0, NULL)
					    : NULL;
	char *t = au_strdup(json_string_value(json_object_get(j, "type")));

	json_decref(j);
	return t && *t ? t : (free(t), NULL);
}

static void pop_open(struct wsconv *w, size_t i)
{
	memmove(w->open + i, w->open + i + 1, (w->nopen - i - 1) * sizeof(*w->open));
	w->nopen--;
}

static void client_msg(struct wsconv *w, const struct ws_message *m, const char *type)
{
	struct conv_exchange *ex, **slot;
	struct http_msg *req;

	if (!type || strcmp(type, "response.create")) {
		w->unpaired++;
		return;
	}
	req = msg_new(w->up_req, 1, m->t_first);
	ex = req ? conv_exchange_new(w->cc) : NULL;
	if (!ex) {
		http_msg_free(req);
		return;
	}
	ex->ws = 1;
	ex->req = req;
	body_add(req, m->data, m->len, m->truncated);
	req->body_len = m->full_len;
	req->wire_len = m->wire_len;
	req->seq_no = w->msgs[0] - 1;
	req->t_end = m->t_end;
	req->complete = 1;
	set_err(req, m->error);
	slot = au_push(&w->open, &w->nopen, &w->copen, sizeof(*slot));
	if (slot)
		*slot = ex;
	else
		conv_exchange_finish(w->cc, ex);
}

static int is_last_event(const char *t)
{
	return t && (!strcmp(t, "response.completed") || !strcmp(t, "response.failed") ||
		     !strcmp(t, "response.incomplete") || !strcmp(t, "error"));
}

static void server_msg(struct wsconv *w, const struct ws_message *m, const char *type)
{
	struct conv_exchange *ex = w->nopen ? w->open[0] : NULL;
	struct conv_event *ce;

	if (!ex) {
		w->unpaired++;
		return;
	}
	if (!ex->resp && !(ex->resp = msg_new(w->up_resp, 0, m->t_first)))
		return;
	ex->is_sse = 1;
	ex->resp->seq_no = w->msgs[1] - 1;
	ex->resp->t_end = m->t_end;
	ex->resp->wire_len += m->wire_len;
	if (ex->resp->body_len)
		body_add(ex->resp, (const uint8_t *)"\n", 1, 0);
	body_add(ex->resp, m->data, m->len, m->truncated);
	set_err(ex->resp, m->error);
	ce = au_push(&ex->ev, &ex->nev, &ex->cev, sizeof(*ce));
	if (ce) {
		ce->ts = m->t_end;
		ce->event = au_strdup(type ? type : "message");
		ce->data = au_strndup(m->data, m->len);
		ce->data_len = m->len;
		ce->truncated = m->truncated;
	}
	if (!is_last_event(type))
		return;
	ex->resp->complete = 1;
	pop_open(w, 0);
	conv_exchange_finish(w->cc, ex);
}

static void on_message(void *ctx, const struct ws_message *m)
{
	struct wsconv_side *s = ctx;
	struct wsconv *w = s->w;
	char *type;

	if (m->opcode == WS_OP_CLOSE) {
		if (!w->close_by) {
			w->close_by = s->client ? 1 : 2;
			w->close_code = m->close_code;
		}
		return;
	}
	if (m->opcode != WS_OP_TEXT && m->opcode != WS_OP_BINARY)
		return; /* ping, pong: keep-alive only */
	w->msgs[s->client ? 0 : 1]++;
	type = msg_type(m);
	if (s->client)
		client_msg(w, m, type);
	else
		server_msg(w, m, type);
	free(type);
}

/* The parser of one side stopped: say so where a reviewer will look. */
static void on_error(void *ctx, uint64_t ts, const char *why)
{
	struct wsconv_side *s = ctx;
	struct wsconv *w = s->w;
	struct conv_exchange *ex = w->nopen ? w->open[0] : NULL;

	if (!ex) {
		ex = conv_exchange_new(w->cc);
		if (!ex)
			return;
		ex->ws = 1;
		if (s->client)
			ex->req = msg_new(w->up_req, 1, ts);
		else
			ex->resp = msg_new(w->up_resp, 0, ts);
		set_err(s->client ? ex->req : ex->resp, why);
		conv_exchange_finish(w->cc, ex);
		return;
	}
	if (!s->client && !ex->resp)
		ex->resp = msg_new(w->up_resp, 0, ts);
	set_err(s->client ? ex->req : ex->resp, why);
}

static const struct ws_ops wsconv_ops = {
	.message = on_message,
	.error = on_error,
};

int wsconv_new(struct conv_conn *cc, const struct http_msg *req, const struct http_msg *resp,
	       int cdir, struct wsconv **out)
{
	struct wsconv *w = calloc(1, sizeof(*w));
	const char *ext = http_msg_header(resp, "sec-websocket-extensions");
	int d;

	if (!w)
		return -ENOMEM;
	w->cc = cc;
	w->cdir = cdir;
	w->up_req = req;
	w->up_resp = resp;
	w->close_code = -1;
	for (d = 0; d < 2; d++) {
		w->side[d].w = w;
		w->side[d].client = d == cdir;
		ws_init(&w->p[d], d == cdir, &wsconv_ops, &w->side[d]);
		ws_set_extensions(&w->p[d], ext);
	}
	*out = w;
	return 0;
}

void wsconv_feed(struct wsconv *w, int dir, uint64_t ts, const uint8_t *p, size_t n)
{
	ws_feed(&w->p[dir & 1], ts, p, n);
}

void wsconv_gap(struct wsconv *w, int dir, uint64_t ts, uint64_t n)
{
	ws_gap(&w->p[dir & 1], ts, n);
}

void wsconv_eof(struct wsconv *w, uint64_t ts)
{
	char why[160];

	ws_eof(&w->p[0], ts);
	ws_eof(&w->p[1], ts);
	if (w->close_by)
		snprintf(why, sizeof(why), "websocket closed by the %s (code %d) before the "
			 "response was complete", w->close_by == 1 ? "client" : "server",
			 w->close_code);
	else
		snprintf(why, sizeof(why), "websocket stream ends before the response was complete");
	while (w->nopen) {
		struct conv_exchange *ex = w->open[0];

		pop_open(w, 0);
		if (!ex->resp)
			ex->resp = msg_new(w->up_resp, 0, ts);
		if (ex->resp) {
			ex->resp->t_end = ex->resp->t_end ? ex->resp->t_end : ts;
			set_err(ex->resp, why);
		}
		conv_exchange_finish(w->cc, ex);
	}
}

void wsconv_free(struct wsconv *w)
{
	if (!w)
		return;
	ws_release(&w->p[0]);
	ws_release(&w->p[1]);
	free(w->open);
	free(w);
}
