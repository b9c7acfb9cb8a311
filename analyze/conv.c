/* SPDX-License-Identifier: MIT */
/*
 * conv.c - pair HTTP/1.1 requests and responses on TLS streams (conv.h).
 */
#include "conv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/autil.h"

int conv_new(conv_exchange_fn fn, void *ctx, struct conv_set **out)
{
	struct conv_set *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return -ENOMEM;
	cs->fn = fn;
	cs->ctx = ctx;
	*out = cs;
	return 0;
}

static void ex_free(struct conv_exchange *ex)
{
	size_t i;

	for (i = 0; i < ex->nev; i++) {
		free(ex->ev[i].event);
		free(ex->ev[i].data);
	}
	free(ex->ev);
	sse_release(&ex->sse);
	http_msg_free(ex->req);
	http_msg_free(ex->resp);
	free(ex);
}

void conv_free(struct conv_set *cs)
{
	size_t i;

	if (!cs)
		return;
	for (i = 0; i < cs->nconns; i++) {
		http1_release(&cs->conns[i]->p[0]);
		http1_release(&cs->conns[i]->p[1]);
		if (cs->conns[i]->h2c) /* HTTP/2 */
			h2_release(cs->conns[i]->h2c);
		free(cs->conns[i]->h2c);
		wsconv_free(cs->conns[i]->ws);
		free(cs->conns[i]->q);
		free(cs->conns[i]);
	}
	for (i = 0; i < cs->nex; i++)
		ex_free(cs->ex[i]);
	free(cs->conns);
	free(cs->ex);
	free(cs);
}

const char *conv_proto(const struct stream_conn *c)
{
	const struct conv_conn *cc = c->user;

	if (!cc)
		return "tls";
	if (cc->h2)
		return "h2";
	return cc->role ? "http/1.1" : "tls";
}

const char *conv_exchange_error(const struct conv_exchange *ex)
{
	if (ex->req && ex->req->error)
		return ex->req->error;
	if (ex->resp && ex->resp->error)
		return ex->resp->error;
	if (!ex->req)
		return "response without a captured request";
	if (!ex->resp)
		return "no response captured";
	if (ex->sse_cut)
		return "event stream cut short inside an event";
	return NULL;
}

static struct conv_exchange *ex_new(struct conv_conn *cc)
{
	struct conv_set *cs = cc->cs;
	struct conv_exchange *ex = calloc(1, sizeof(*ex)), **slot;

	if (!ex)
		return NULL;
	slot = au_push(&cs->ex, &cs->nex, &cs->cex, sizeof(*slot));
	if (!slot) {
		free(ex);
		return NULL;
	}
	*slot = ex;
	ex->id = ++cs->ids;
	ex->conn = cc->sc;
	return ex;
}

static void ex_finish(struct conv_set *cs, struct conv_exchange *ex)
{
	if (ex->done)
		return;
	ex->done = 1;
	if (ex->is_sse && ex->resp)
		ex->sse_cut = sse_finish(&ex->sse, ex->resp->t_end) && !ex->resp->complete;
	sse_release(&ex->sse);
	if (conv_exchange_error(ex))
		cs->errors++;
	if (cs->fn)
		cs->fn(cs->ctx, ex);
}

struct conv_exchange *conv_exchange_new(struct conv_conn *cc)
{
	return ex_new(cc);
}

void conv_exchange_finish(struct conv_conn *cc, struct conv_exchange *ex)
{
	ex_finish(cc->cs, ex);
}

/* ---- the parser callbacks; ctx is a struct conv_side ---- */

struct conv_side {
	struct conv_conn *cc;
	int is_resp;
};

static void on_sse(void *ctx, const struct sse_event *e)
{
	struct conv_exchange *ex = ctx;
	struct conv_event *ce = au_push(&ex->ev, &ex->nev, &ex->cev, sizeof(*ce));

	if (!ce)
		return;
	ce->ts = e->ts;
	ce->event = au_strdup(e->event);
	ce->data = au_strndup(e->data, e->data_len);
	ce->data_len = e->data_len;
	ce->truncated = e->truncated;
}

/* A response head joins its exchange (HTTP/1.x and HTTP/2 alike). */
static void resp_head(struct conv_exchange *ex, struct http_msg *m)
{
	const char *ct = http_msg_header(m, "content-type");

	ex->resp = m;
	if (ct && strcasestr(ct, "text/event-stream")) {
		ex->is_sse = 1;
		sse_init(&ex->sse, on_sse, ex);
	}
}

static void on_head(void *ctx, struct http_msg *m)
{
	struct conv_conn *cc = ctx;
	struct conv_exchange *ex, **slot;

	if (m->is_req) {
		ex = ex_new(cc);
		slot = ex ? au_push(&cc->q, &cc->nq, &cc->cq, sizeof(*slot)) : NULL;
		if (slot) {
			*slot = ex;
			ex->req = m;
		}
		return;
	}
	if (m->status >= 100 && m->status < 200 && m->status != 101)
		return; /* interim: the final response follows */
	if (cc->nq) {
		ex = cc->q[0];
		memmove(cc->q, cc->q + 1, --cc->nq * sizeof(*cc->q));
	} else if (!(ex = ex_new(cc))) {
		return;
	}
	resp_head(ex, m);
}

static struct conv_exchange *find_resp(struct conv_set *cs, const struct http_msg *m)
{
	size_t i;

	for (i = cs->nex; i-- > 0;)
		if (cs->ex[i]->resp == m)
			return cs->ex[i];
	return NULL;
}

static void on_body(void *ctx, struct http_msg *m, uint64_t ts, const uint8_t *p, size_t n)
{
	struct conv_conn *cc = ctx;
	struct conv_exchange *ex;

	if (m->is_req)
		return;
	ex = find_resp(cc->cs, m);
	if (ex && ex->is_sse)
		sse_feed(&ex->sse, ts, p, n);
}

static void on_done(void *ctx, struct http_msg *m)
{
	struct conv_conn *cc = ctx;
	struct conv_exchange *ex;
	size_t i;

	if (m->is_req) {
		/* owned by its exchange already; a request that failed before its
		 * head was parsed has no exchange: keep it as one */
		for (i = cc->cs->nex; i-- > 0;)
			if (cc->cs->ex[i]->req == m) {
				ex = cc->cs->ex[i];
				ex->req_done = 1;
				/* the answer came before the request's end: final now
				 * (the callback may release it: not touched after) */
				if (ex->resp_done)
					ex_finish(cc->cs, ex);
				else if (ex->released)
					conv_exchange_release(cc->cs, ex);
				return;
			}
		ex = ex_new(cc);
		if (ex) {
			ex->req = m;
			ex->req_done = 1;
			ex_finish(cc->cs, ex);
		} else {
			http_msg_free(m);
		}
		return;
	}
	ex = find_resp(cc->cs, m);
	if (!ex) {
		if (m->status && m->status < 200) {
			http_msg_free(m);
			return;
		}
		ex = ex_new(cc);
		if (!ex) {
			http_msg_free(m);
			return;
		}
		ex->resp = m;
	}
	/* WebSocket: the rest of the connection is frames (wsconv.h) */
	if (m->status == 101 && !cc->ws && wsconv_is_upgrade(ex->req, m))
		wsconv_new(cc, ex->req, m, cc->role == 2 ? CAP_TLS_READ : CAP_TLS_WRITE, &cc->ws);
	/*
	 * An answer before the end of its request (a server that replies
	 * early, or a cut request body): the exchange is final only once the
	 * request is, so that whoever takes it at once (the streamed export)
	 * sees the request's own error, as the whole model does at the end.
	 */
	if (ex->req && !ex->req_done) {
		ex->resp_done = 1;
		return;
	}
	ex_finish(cc->cs, ex);
}

static int no_body(void *ctx)
{
	struct conv_conn *cc = ctx;

	return cc->nq && cc->q[0]->req && cc->q[0]->req->method &&
	       !strcmp(cc->q[0]->req->method, "HEAD");
}

/* The bytes after a 101 head, in the same call: the server's first frames. */
static void on_tunnel(void *ctx, uint64_t ts, const uint8_t *p, size_t n)
{
	struct conv_conn *cc = ctx;

	if (cc->ws)
		wsconv_feed(cc->ws, !cc->ws->cdir, ts, p, n);
}

static const struct http1_ops conv_h1_ops = {
	.head = on_head,
	.body = on_body,
	.done = on_done,
	.no_body = no_body,
	.tunnel = on_tunnel,
};

/* ---- HTTP/2 (http2.h): one exchange per stream; ctx is the conv_conn ---- */

static void h2_head(void *ctx, struct h2_stream *s, struct http_msg *m)
{
	struct conv_exchange *ex = s->user;

	if (!ex && !(ex = ex_new(ctx)))
		return; /* out of memory: h2_done frees the message */
	s->user = ex;
	ex->h2_stream = s->id;
	if (m->is_req)
		ex->req = m;
	else
		resp_head(ex, m);
}

static void h2_body(void *ctx, struct h2_stream *s, struct http_msg *m, uint64_t ts,
		    const uint8_t *p, size_t n)
{
	struct conv_exchange *ex = s->user;

	(void)ctx;
	if (ex && !m->is_req && ex->is_sse)
		sse_feed(&ex->sse, ts, p, n);
}

static void h2_done(void *ctx, struct h2_stream *s, struct http_msg *m)
{
	(void)ctx;
	if (!s->user)
		http_msg_free(m); /* head failed to find a home: nobody owns it */
}

static void h2_close(void *ctx, struct h2_stream *s)
{
	struct conv_conn *cc = ctx;
	struct conv_exchange *ex = s->user;

	if (!ex)
		return;
	ex->grpc = s->grpc;
	ex->grpc_msgs[0] = s->grpc_msgs[0];
	ex->grpc_msgs[1] = s->grpc_msgs[1];
	ex_finish(cc->cs, ex);
}

/* A connection error that failed no message still shows, as an exchange. */
static void h2_conn_error(void *ctx, int side, const char *why, size_t nfailed)
{
	struct conv_conn *cc = ctx;
	struct http_msg *m;
	struct conv_exchange *ex;

	if (nfailed || !(m = calloc(1, sizeof(*m))))
		return;
	m->is_req = side == H2_CLIENT;
	m->version = au_strdup("HTTP/2");
	m->error = au_strdup(why);
	m->t_first = m->t_head = m->t_end = cc->sc->t_last;
	ex = ex_new(cc);
	if (!ex) {
		http_msg_free(m);
		return;
	}
	if (m->is_req)
		ex->req = m;
	else
		ex->resp = m;
	ex_finish(cc->cs, ex);
}

static const struct h2_ops conv_h2_ops = {
	.head = h2_head,
	.body = h2_body,
	.done = h2_done,
	.close = h2_close,
	.conn_error = h2_conn_error,
};

static void h2_start(struct conv_conn *cc, int client_dir)
{
	cc->h2 = 1;
	cc->h2_cdir = client_dir;
	cc->h2c = malloc(sizeof(*cc->h2c));
	if (cc->h2c && h2_init(cc->h2c, &conv_h2_ops, cc)) {
		free(cc->h2c);
		cc->h2c = NULL;
	}
}

/* ---- stream callbacks; ctx is the conv_set ---- */

static void s_open(void *ctx, struct stream_conn *c)
{
	struct conv_set *cs = ctx;
	struct conv_conn *cc = calloc(1, sizeof(*cc)), **slot;

	if (!cc)
		return;
	slot = au_push(&cs->conns, &cs->nconns, &cs->cconns, sizeof(*slot));
	if (!slot) {
		free(cc);
		return;
	}
	*slot = cc;
	cc->sc = c;
	cc->cs = cs;
	c->user = cc;
}

static int starts_request(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 16 && p[i] >= 'A' && p[i] <= 'Z'; i++)
		;
	return i >= 3 && i < n && p[i] == ' ';
}

static void set_role(struct conv_conn *cc, int dir, const uint8_t *p, size_t n)
{
	int client;

	/* HTTP/2: the preface, or the start of it when the write was split */
	if (n >= 3 && !memcmp(p, H2_PREFACE, n < H2_PREFACE_LEN ? n : H2_PREFACE_LEN)) {
		h2_start(cc, dir);
		return;
	}
	if (starts_request(p, n))
		client = dir == CAP_TLS_WRITE;
	else if (n >= 7 && !memcmp(p, "HTTP/1.", 7))
		client = dir == CAP_TLS_READ;
	else
		return;
	cc->role = client ? 1 : 2;
	http1_init(&cc->p[client ? 0 : 1], HTTP1_REQUEST, &conv_h1_ops, cc);
	http1_init(&cc->p[client ? 1 : 0], HTTP1_RESPONSE, &conv_h1_ops, cc);
}

static void s_data(void *ctx, struct stream_conn *c, int dir, uint64_t ts, const uint8_t *p,
		   size_t n)
{
	struct conv_conn *cc = c->user;

	if (!cc)
		return;
	if (!cc->role && !cc->h2)
		set_role(cc, dir, p, n);
	if (cc->ws) {
		wsconv_feed(cc->ws, dir, ts, p, n);
		return;
	}
	if (cc->h2) {
		if (cc->h2c)
			h2_feed(cc->h2c, dir == cc->h2_cdir ? H2_CLIENT : H2_SERVER, ts, p, n);
		return;
	}
	if (cc->role)
		http1_feed(&cc->p[dir], ts, p, n);
}

static void s_gap(void *ctx, struct stream_conn *c, int dir, uint64_t ts, uint64_t missing)
{
	struct conv_conn *cc = c->user;

	if (cc && cc->ws)
		wsconv_gap(cc->ws, dir, ts, missing);
	else if (cc && cc->h2c)
		h2_gap(cc->h2c, dir == cc->h2_cdir ? H2_CLIENT : H2_SERVER, ts, missing);
	else if (cc && cc->role)
		http1_gap(&cc->p[dir], ts, missing);
}

static const struct stream_ops conv_sops = {
	.open = s_open,
	.data = s_data,
	.gap = s_gap,
};

static int release_safe(const struct conv_exchange *ex)
{
	if (!ex->done || (ex->resp && ex->resp->status == 101))
		return 0;
	return !ex->req || ex->req_done || ex->h2_stream || ex->ws;
}

void conv_exchange_release(struct conv_set *cs, struct conv_exchange *ex)
{
	size_t i;

	ex->released = 1;
	if (!release_safe(ex))
		return;
	/* the newest are at the end, and the released are mostly the oldest
	 * still held: few are held at once */
	for (i = 0; i < cs->nex && cs->ex[i] != ex; i++)
		;
	if (i == cs->nex)
		return;
	memmove(cs->ex + i, cs->ex + i + 1, (cs->nex - i - 1) * sizeof(*cs->ex));
	cs->nex--;
	ex_free(ex);
}

uint64_t conv_horizon(const struct conv_set *cs)
{
	uint64_t h = UINT64_MAX;
	size_t i, k;

	for (i = 0; i < cs->nex; i++) {
		const struct conv_exchange *ex = cs->ex[i];

		if (!ex->done && ex->req && ex->req->t_first < h)
			h = ex->req->t_first;
	}
	for (i = 0; i < cs->nconns; i++)
		for (k = 0; k < 2; k++) {
			const struct http_msg *m = cs->conns[i]->role ? cs->conns[i]->p[k].msg : NULL;

			if (m && m->is_req && m->t_first && m->t_first < h)
				h = m->t_first;
		}
	return h;
}

const struct stream_ops *conv_stream_ops(void)
{
	return &conv_sops;
}

void conv_finish(struct conv_set *cs)
{
	size_t i;

	for (i = 0; i < cs->nconns; i++) {
		struct conv_conn *cc = cs->conns[i];
		int req = cc->role == 2 ? 1 : 0;

		if (cc->h2c)
			h2_eof(cc->h2c, cc->sc->t_last);
		if (cc->ws)
			wsconv_eof(cc->ws, cc->sc->t_last);
		if (!cc->role)
			continue;
		http1_eof(&cc->p[req], cc->sc->t_last);
		http1_eof(&cc->p[!req], cc->sc->t_last);
		cc->nq = 0;
	}
	/*
	 * The callback may release exchanges (the streamed model frees one
	 * that makes no LLM call at once), which takes them out of cs->ex and
	 * moves the next one under i: step on only when the exchange just
	 * finished is still where it was.
	 */
	for (i = 0; i < cs->nex;) {
		struct conv_exchange *ex = cs->ex[i];

		ex_finish(cs, ex);
		if (i < cs->nex && cs->ex[i] == ex)
			i++;
	}
}
