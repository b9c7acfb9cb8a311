/* SPDX-License-Identifier: MIT */
/*
 * t_http2.c - HTTP/2 decoding from hand-built frames: HPACK dynamic table
 * reuse across requests (nghttp2's deflater encodes), every split point,
 * CONTINUATION, padding and priority, gzip bodies, SSE over h2 through the
 * conv layer into the LLM layer, RST_STREAM, gRPC counting, and malformed
 * frames as connection errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <nghttp2/nghttp2.h>

#include "analyze/conv.h"
#include "analyze/http2.h"
#include "analyze/llm.h"
#include "tests/harness.h"

struct fb {
	uint8_t b[16384];
	size_t n;
};

static void frame(struct fb *f, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
		  size_t n)
{
	uint8_t *h = f->b + f->n;

	h[0] = (uint8_t)(n >> 16);
	h[1] = (uint8_t)(n >> 8);
	h[2] = (uint8_t)n;
	h[3] = type;
	h[4] = flags;
	h[5] = (uint8_t)(sid >> 24);
	h[6] = (uint8_t)(sid >> 16);
	h[7] = (uint8_t)(sid >> 8);
	h[8] = (uint8_t)sid;
	if (n)
		memcpy(h + 9, p, n);
	f->n += 9 + n;
}

/* nv: name, value, ..., NULL */
static size_t hblock(nghttp2_hd_deflater *d, uint8_t *out, size_t cap, const char *const *nv)
{
	nghttp2_nv v[16];
	size_t n = 0;
	ssize_t r;

	for (; nv[0]; nv += 2, n++) {
		v[n].name = (uint8_t *)nv[0];
		v[n].namelen = strlen(nv[0]);
		v[n].value = (uint8_t *)nv[1];
		v[n].valuelen = strlen(nv[1]);
		v[n].flags = NGHTTP2_NV_FLAG_NONE;
	}
	r = nghttp2_hd_deflate_hd(d, out, cap, v, n);
	return r < 0 ? 0 : (size_t)r;
}

static void headers(struct fb *f, nghttp2_hd_deflater *d, uint32_t sid, int end,
		    const char *const *nv)
{
	uint8_t blk[4096];
	size_t n = hblock(d, blk, sizeof(blk), nv);

	frame(f, H2_HEADERS, (uint8_t)(H2_F_END_HEADERS | (end ? H2_F_END_STREAM : 0)), sid, blk,
	      n);
}

static void preface_settings(struct fb *c, struct fb *s)
{
	static const uint8_t set[] = { 0, 1, 0, 0, 0x10, 0, 0, 4, 0, 0x60, 0, 0 };

	memcpy(c->b, H2_PREFACE, H2_PREFACE_LEN);
	c->n = H2_PREFACE_LEN;
	frame(c, H2_SETTINGS, 0, 0, set, sizeof(set));
	frame(s, H2_SETTINGS, 0, 0, set, sizeof(set));
	frame(c, H2_SETTINGS, H2_F_ACK, 0, NULL, 0);
	frame(c, H2_WINDOW_UPDATE, 0, 0, "\0\0\x10\0", 4);
	frame(s, H2_PING, 0, 0, "12345678", 8);
}

/* ---- a collector for the bare decoder ---- */

struct col {
	struct http_msg *req[8], *resp[8];
	int nreq, nresp, closes, heads, conn_errs;
	size_t failed;
};

static void c_head(void *ctx, struct h2_stream *s, struct http_msg *m)
{
	(void)s;
	(void)m;
	((struct col *)ctx)->heads++;
}

static void c_done(void *ctx, struct h2_stream *s, struct http_msg *m)
{
	struct col *c = ctx;

	(void)s;
	if (m->is_req && c->nreq < 8)
		c->req[c->nreq++] = m;
	else if (!m->is_req && c->nresp < 8)
		c->resp[c->nresp++] = m;
	else
		http_msg_free(m);
}

static void c_close(void *ctx, struct h2_stream *s)
{
	(void)s;
	((struct col *)ctx)->closes++;
}

static void c_err(void *ctx, int side, const char *why, size_t nfailed)
{
	(void)side;
	(void)why;
	((struct col *)ctx)->conn_errs++;
	((struct col *)ctx)->failed += nfailed;
}

static const struct h2_ops col_ops = { c_head, NULL, c_done, c_close, c_err };

static void col_free(struct col *c)
{
	int i;

	for (i = 0; i < c->nreq; i++)
		http_msg_free(c->req[i]);
	for (i = 0; i < c->nresp; i++)
		http_msg_free(c->resp[i]);
}

static const char *const req1[] = {
	":method", "POST", ":scheme", "https", ":path", "/v1/chat/completions",
	":authority", "api.openai.com", "content-type", "application/json",
	"authorization", "Bearer sk-test", NULL,
};
static const char *const req2[] = {
	":method", "GET", ":scheme", "https", ":path", "/v1/models",
	":authority", "api.openai.com", "authorization", "Bearer sk-test", NULL,
};
static const char *const resp1[] = {
	":status", "200", "content-type", "application/json", "server", "t", NULL,
};

static const char body1[] = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\","
			    "\"content\":\"hi\"}]}";
static const char rbody1[] = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":"
			     "\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
			     "\"assistant\",\"content\":\"hello\"},\"finish_reason\":\"stop\"}],"
			     "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}";

/* Two exchanges on streams 1 and 3; the second's headers come from the
 * dynamic table (same deflater).  Returns the second block's size. */
static size_t two_exchanges(struct fb *c, struct fb *s, const uint8_t **second)
{
	nghttp2_hd_deflater *dc, *ds;
	size_t before;

	nghttp2_hd_deflate_new(&dc, 4096);
	nghttp2_hd_deflate_new(&ds, 4096);
	preface_settings(c, s);
	headers(c, dc, 1, 0, req1);
	frame(c, H2_DATA, 0, 1, body1, 10);
	frame(c, H2_DATA, H2_F_END_STREAM, 1, body1 + 10, strlen(body1) - 10);
	headers(s, ds, 1, 0, resp1);
	frame(s, H2_DATA, H2_F_END_STREAM, 1, rbody1, strlen(rbody1));
	before = c->n;
	headers(c, dc, 3, 1, req2);
	if (second)
		*second = c->b + before + 9;
	before = c->n - before - 9;
	headers(s, ds, 3, 0, resp1);
	frame(s, H2_DATA, H2_F_END_STREAM, 3, "[]", 2);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
	return before;
}

static void check_two(struct col *k)
{
	CHECK_EQ_U(k->nreq, 2);
	CHECK_EQ_U(k->nresp, 2);
	CHECK_EQ_U(k->closes, 2);
	CHECK_EQ_U(k->conn_errs, 0);
	if (k->nreq != 2 || k->nresp != 2)
		return;
	CHECK_STR(k->req[0]->method, "POST");
	CHECK_STR(k->req[0]->target, "/v1/chat/completions");
	CHECK_STR(http_msg_header(k->req[0], "host"), "api.openai.com");
	CHECK_EQ_U(k->req[0]->body.len, strlen(body1));
	CHECK(k->req[0]->body.len == strlen(body1) &&
	      !memcmp(k->req[0]->body.p, body1, strlen(body1)));
	CHECK_STR(k->req[1]->method, "GET");
	CHECK_STR(k->req[1]->target, "/v1/models");
	CHECK_STR(http_msg_header(k->req[1], "authorization"), "Bearer sk-test");
	CHECK_EQ_U(k->resp[0]->status, 200);
	CHECK_EQ_U(k->resp[0]->body_len, strlen(rbody1));
	CHECK(k->resp[0]->complete && k->req[1]->complete && !k->resp[1]->error);
	CHECK_EQ_U(k->resp[1]->body_len, 2);
}

TEST(dynamic_table_across_requests)
{
	struct fb c = { .n = 0 }, s = { .n = 0 };
	struct col k = { .nreq = 0 };
	struct h2_conn h;
	const uint8_t *second;
	size_t small = two_exchanges(&c, &s, &second);
	struct hpack fresh;

	/* the second request's block indexes the dynamic table: a fresh
	 * decoder cannot read it, the connection's can (check_two) */
	CHECK(small > 0 && !hpack_init(&fresh));
	CHECK(hpack_decode(&fresh, second, small, NULL, NULL) == -EBADMSG);
	hpack_release(&fresh);
	CHECK(!h2_init(&h, &col_ops, &k));
	CHECK_EQ_U(h2_feed(&h, H2_CLIENT, 1, c.b, c.n), c.n);
	CHECK_EQ_U(h2_feed(&h, H2_SERVER, 2, s.b, s.n), s.n);
	h2_eof(&h, 3);
	check_two(&k);
	CHECK_EQ_U(h.pings, 1);
	CHECK(h.settings >= 3);
	h2_release(&h);
	col_free(&k);
}

TEST(every_split)
{
	struct fb c = { .n = 0 }, s = { .n = 0 };
	size_t cut, fails = 0;

	two_exchanges(&c, &s, NULL);
	for (cut = 0; cut <= c.n; cut++) {
		struct col k = { .nreq = 0 };
		struct h2_conn h;
		size_t sc = cut * s.n / c.n;

		h2_init(&h, &col_ops, &k);
		h2_feed(&h, H2_CLIENT, 1, c.b, cut);
		h2_feed(&h, H2_SERVER, 2, s.b, sc);
		h2_feed(&h, H2_CLIENT, 3, c.b + cut, c.n - cut);
		h2_feed(&h, H2_SERVER, 4, s.b + sc, s.n - sc);
		h2_eof(&h, 5);
		if (k.nreq != 2 || k.nresp != 2 || k.req[0]->body.len != strlen(body1) ||
		    k.resp[0]->body_len != strlen(rbody1) || k.conn_errs)
			fails++;
		h2_release(&h);
		col_free(&k);
	}
	CHECK_EQ_U(fails, 0);
	{
		struct col k = { .nreq = 0 };
		struct h2_conn h;
		size_t i;

		h2_init(&h, &col_ops, &k);
		for (i = 0; i < c.n; i++)
			h2_feed(&h, H2_CLIENT, i, c.b + i, 1);
		for (i = 0; i < s.n; i++)
			h2_feed(&h, H2_SERVER, i, s.b + i, 1);
		h2_eof(&h, 0);
		check_two(&k);
		h2_release(&h);
		col_free(&k);
	}
}

TEST(continuation_padding_priority)
{
	struct fb c = { .n = 0 }, s = { .n = 0 };
	nghttp2_hd_deflater *d;
	uint8_t blk[1024], pay[1200];
	size_t n;
	struct col k = { .nreq = 0 };
	struct h2_conn h;

	nghttp2_hd_deflate_new(&d, 4096);
	preface_settings(&c, &s);
	n = hblock(d, blk, sizeof(blk), req1);
	/* HEADERS: pad length 3, priority 5 bytes, first 4 bytes of the block */
	pay[0] = 3;
	memcpy(pay + 1, "\x80\0\0\0\x10", 5);
	memcpy(pay + 6, blk, 4);
	memset(pay + 10, 0, 3);
	frame(&c, H2_HEADERS, H2_F_PADDED | H2_F_PRIORITY, 5, pay, 13);
	frame(&c, H2_CONTINUATION, 0, 5, blk + 4, 3);
	frame(&c, H2_CONTINUATION, H2_F_END_HEADERS, 5, blk + 7, n - 7);
	frame(&c, H2_PRIORITY, 0, 5, "\0\0\0\0\x10", 5);
	/* DATA with 7 bytes of padding */
	pay[0] = 7;
	memcpy(pay + 1, body1, strlen(body1));
	memset(pay + 1 + strlen(body1), 0, 7);
	frame(&c, H2_DATA, H2_F_PADDED | H2_F_END_STREAM, 5, pay, 1 + strlen(body1) + 7);
	nghttp2_hd_deflate_del(d);
	h2_init(&h, &col_ops, &k);
	CHECK_EQ_U(h2_feed(&h, H2_CLIENT, 1, c.b, c.n), c.n);
	h2_eof(&h, 2);
	CHECK_EQ_U(k.nreq, 1);
	CHECK_EQ_U(k.conn_errs, 0);
	if (k.nreq == 1) {
		CHECK_STR(k.req[0]->target, "/v1/chat/completions");
		CHECK_EQ_U(k.req[0]->body.len, strlen(body1));
		CHECK(!memcmp(k.req[0]->body.p, body1, strlen(body1)));
		CHECK(k.req[0]->complete);
	}
	CHECK_EQ_U(h.priorities, 1);
	h2_release(&h);
	col_free(&k);
}

TEST(malformed_frames)
{
	static const struct {
		uint8_t type, flags;
		uint32_t sid;
		const char *p;
		size_t n;
	} bad[] = {
		{ H2_PING, 0, 0, "1234567", 7 },            /* PING length 7 */
		{ H2_SETTINGS, 0, 0, "12345", 5 },          /* not a multiple of 6 */
		{ H2_DATA, H2_F_PADDED, 1, "\x09" "abc", 4 }, /* padding too long */
		{ H2_HEADERS, H2_F_END_HEADERS, 1, "\xff\xff\xff\xff", 4 }, /* bad HPACK */
		{ H2_CONTINUATION, H2_F_END_HEADERS, 1, "", 0 }, /* nothing to continue */
		{ H2_RST_STREAM, 0, 0, "\0\0\0\0", 4 },     /* stream 0 */
		{ H2_WINDOW_UPDATE, 0, 1, "\0\0\1", 3 },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fb c = { .n = 0 }, s = { .n = 0 };
		nghttp2_hd_deflater *d;
		struct col k = { .nreq = 0 };
		struct h2_conn h;

		nghttp2_hd_deflate_new(&d, 4096);
		preface_settings(&c, &s);
		headers(&c, d, 3, 0, req1); /* an open request that must fail */
		frame(&c, bad[i].type, bad[i].flags, bad[i].sid, bad[i].p, bad[i].n);
		headers(&c, d, 5, 1, req2); /* ignored after the error */
		nghttp2_hd_deflate_del(d);
		h2_init(&h, &col_ops, &k);
		CHECK(h2_feed(&h, H2_CLIENT, 1, c.b, c.n) == -EBADMSG);
		CHECK(h2_feed(&h, H2_SERVER, 2, s.b, s.n) == -EBADMSG);
		h2_eof(&h, 3);
		CHECK_EQ_U(k.conn_errs, 1);
		CHECK_EQ_U(k.failed, 1);
		CHECK_EQ_U(k.nreq, 1);
		CHECK(h.error && strstr(h.error, "h2 client frame"));
		if (k.nreq == 1)
			CHECK(k.req[0]->error && !k.req[0]->complete);
		h2_release(&h);
		col_free(&k);
	}
}

TEST(bad_preface_and_interleaved_continuation)
{
	struct fb c = { .n = 0 }, s = { .n = 0 };
	nghttp2_hd_deflater *d;
	uint8_t blk[1024];
	size_t n;
	struct col k = { .nreq = 0 };
	struct h2_conn h;

	h2_init(&h, &col_ops, &k);
	CHECK(h2_feed(&h, H2_CLIENT, 1, (const uint8_t *)"PRI * HTTP/2.0\r\n\r\nXX", 20) ==
	      -EBADMSG);
	CHECK(h.error && strstr(h.error, "preface"));
	h2_release(&h);

	nghttp2_hd_deflate_new(&d, 4096);
	preface_settings(&c, &s);
	n = hblock(d, blk, sizeof(blk), req1);
	frame(&c, H2_HEADERS, 0, 1, blk, 5);
	frame(&c, H2_PING, 0, 0, "12345678", 8);
	frame(&c, H2_CONTINUATION, H2_F_END_HEADERS, 1, blk + 5, n - 5);
	nghttp2_hd_deflate_del(d);
	h2_init(&h, &col_ops, &k);
	CHECK(h2_feed(&h, H2_CLIENT, 1, c.b, c.n) == -EBADMSG);
	CHECK(h.error && strstr(h.error, "CONTINUATION frame was expected"));
	CHECK_EQ_U(k.conn_errs, 2);
	h2_release(&h);
	col_free(&k);
}

static size_t gzip(const char *in, uint8_t *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)strlen(in);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	deflateEnd(&z);
	return cap - z.avail_out;
}

TEST(gzip_rst_grpc_push)
{
	static const char *const rgz[] = {
		":status", "200", "content-encoding", "gzip", "content-type", "text/plain", NULL,
	};
	static const char *const greq[] = {
		":method", "POST", ":scheme", "https", ":path", "/pkg.Svc/Call",
		":authority", "g", "content-type", "application/grpc", NULL,
	};
	static const char *const push[] = {
		":method", "GET", ":scheme", "https", ":path", "/style.css", ":authority", "g", NULL,
	};
	struct fb c = { .n = 0 }, s = { .n = 0 };
	nghttp2_hd_deflater *dc, *ds;
	uint8_t gz[256], pp[256];
	size_t gn = gzip("hello gzip over h2", gz, sizeof(gz)), pn;
	struct col k = { .nreq = 0 };
	struct h2_conn h;

	nghttp2_hd_deflate_new(&dc, 4096);
	nghttp2_hd_deflate_new(&ds, 4096);
	preface_settings(&c, &s);
	headers(&c, dc, 1, 1, req2);
	headers(&s, ds, 1, 0, rgz);
	frame(&s, H2_DATA, 0, 1, gz, 7);
	frame(&s, H2_DATA, H2_F_END_STREAM, 1, gz + 7, gn - 7);
	headers(&c, dc, 3, 0, greq); /* two gRPC messages, then cancelled */
	frame(&c, H2_DATA, 0, 3, "\0\0\0\0\3abc\0\0\0\0\1z", 13);
	frame(&c, H2_RST_STREAM, 0, 3, "\0\0\0\x08", 4);
	memcpy(pp, "\0\0\0\x02", 4);
	pn = hblock(ds, pp + 4, sizeof(pp) - 4, push);
	frame(&s, H2_PUSH_PROMISE, H2_F_END_HEADERS, 1, pp, pn + 4);
	headers(&s, ds, 2, 1, resp1);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
	h2_init(&h, &col_ops, &k);
	CHECK_EQ_U(h2_feed(&h, H2_CLIENT, 1, c.b, c.n), c.n);
	CHECK_EQ_U(h2_feed(&h, H2_SERVER, 2, s.b, s.n), s.n);
	h2_eof(&h, 3);
	CHECK_EQ_U(k.nreq, 3);
	CHECK_EQ_U(k.nresp, 2);
	CHECK_EQ_U(k.conn_errs, 0);
	if (k.nreq == 3 && k.nresp == 2) {
		CHECK_EQ_U(k.resp[0]->body_len, 18);
		CHECK(!memcmp(k.resp[0]->body.p, "hello gzip over h2", 18));
		CHECK_EQ_U(k.resp[0]->wire_len, gn);
		CHECK_STR(k.req[1]->target, "/pkg.Svc/Call");
		CHECK(k.req[1]->error && strstr(k.req[1]->error, "CANCEL"));
		CHECK_STR(k.req[2]->target, "/style.css"); /* pushed */
		CHECK_EQ_U(k.resp[1]->status, 200);
	}
	CHECK_EQ_U(h.rsts, 1);
	CHECK_EQ_U(h.pushes, 1);
	h2_release(&h);
	col_free(&k);
}

/* ---- through conv into the LLM layer, streamed (SSE) ---- */

static void on_ex(void *ctx, struct conv_exchange *ex)
{
	(void)ex;
	(*(int *)ctx)++;
}

TEST(conv_sse_llm)
{
	static const char *const rsse[] = {
		":status", "200", "content-type", "text/event-stream", NULL,
	};
	static const char ev[] =
		"data: {\"id\":\"c2\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\","
		"\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hel\"}}]}\n\n"
		"data: {\"id\":\"c2\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\","
		"\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":"
		"\"stop\"}]}\n\ndata: [DONE]\n\n";
	struct fb c = { .n = 0 }, s = { .n = 0 };
	nghttp2_hd_deflater *dc, *ds;
	struct conv_set *cs;
	struct stream_conn sc;
	struct llm_call *call;
	int nex = 0;
	size_t i;

	nghttp2_hd_deflate_new(&dc, 4096);
	nghttp2_hd_deflate_new(&ds, 4096);
	preface_settings(&c, &s);
	headers(&c, dc, 1, 0, req1);
	frame(&c, H2_DATA, H2_F_END_STREAM, 1, body1, strlen(body1));
	headers(&s, ds, 1, 0, rsse);
	frame(&s, H2_DATA, 0, 1, ev, 50);
	frame(&s, H2_DATA, H2_F_END_STREAM, 1, ev + 50, strlen(ev) - 50);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);

	memset(&sc, 0, sizeof(sc));
	sc.id = 1;
	CHECK(!conv_new(on_ex, &nex, &cs));
	conv_stream_ops()->open(cs, &sc);
	/* the client's first write carries the preface: that side is the client */
	for (i = 0; i < c.n; i += 7)
		conv_stream_ops()->data(cs, &sc, CAP_TLS_WRITE, 10 + i,
					c.b + i, c.n - i < 7 ? c.n - i : 7);
	conv_stream_ops()->data(cs, &sc, CAP_TLS_READ, 1000, s.b, s.n);
	conv_finish(cs);
	CHECK_EQ_U(nex, 1);
	CHECK_EQ_U(cs->nex, 1);
	CHECK_STR(conv_proto(&sc), "h2");
	if (cs->nex == 1) {
		struct conv_exchange *ex = cs->ex[0];

		CHECK(!conv_exchange_error(ex));
		CHECK_EQ_U(ex->h2_stream, 1);
		CHECK(ex->is_sse);
		CHECK_EQ_U(ex->nev, 3);
		call = llm_from_exchange(ex, NULL);
		CHECK(call != NULL);
		if (call) {
			CHECK_STR(call->provider, "openai");
			CHECK_STR(call->model_req, "gpt-4o");
			CHECK_STR(call->host, "api.openai.com");
			CHECK_STR(llm_text(call), "hello");
			CHECK_STR(call->finish, "stop");
			CHECK(call->stream);
			CHECK_EQ_U(call->status, 200);
			llm_call_free(call);
		}
	}
	conv_free(cs);
}

TEST(conv_conn_error_without_open_stream)
{
	struct fb c = { .n = 0 }, s = { .n = 0 };
	struct conv_set *cs;
	struct stream_conn sc;
	int nex = 0;

	preface_settings(&c, &s);
	frame(&s, H2_PING, 0, 0, "123", 3);
	memset(&sc, 0, sizeof(sc));
	conv_new(on_ex, &nex, &cs);
	conv_stream_ops()->open(cs, &sc);
	conv_stream_ops()->data(cs, &sc, CAP_TLS_WRITE, 1, c.b, c.n);
	conv_stream_ops()->data(cs, &sc, CAP_TLS_READ, 2, s.b, s.n);
	conv_finish(cs);
	CHECK_EQ_U(cs->nex, 1);
	CHECK_EQ_U(cs->errors, 1);
	if (cs->nex == 1)
		CHECK(strstr(conv_exchange_error(cs->ex[0]), "h2 server frame") != NULL);
	conv_free(cs);
}

int main(void)
{
	RUN(dynamic_table_across_requests);
	RUN(every_split);
	RUN(continuation_padding_priority);
	RUN(malformed_frames);
	RUN(bad_preface_and_interleaved_continuation);
	RUN(gzip_rst_grpc_push);
	RUN(conv_sse_llm);
	RUN(conv_conn_error_without_open_stream);
	return harness_done();
}
