/* SPDX-License-Identifier: MIT */
/*
 * http2.c - incremental HTTP/2 decoder (see http2.h; RFC 9113).
 */
#include "http2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/autil.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

long h2_frame_parse(const uint8_t *p, size_t n, struct h2_frame *f, size_t *need)
{
	uint32_t len;

	if (n < H2_FRAME_HDR) {
		*need = H2_FRAME_HDR;
		return 0;
	}
	len = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	if (n < H2_FRAME_HDR + (size_t)len) {
		*need = H2_FRAME_HDR + (size_t)len;
		return 0;
	}
	f->len = len;
	f->type = p[3];
	f->flags = p[4];
	f->stream = be32(p + 5) & 0x7fffffffu;
	f->payload = p + H2_FRAME_HDR;
	*need = 0;
	return (long)(H2_FRAME_HDR + len);
}

int h2_frame_payload(const struct h2_frame *f, const uint8_t **d, size_t *dn)
{
	const uint8_t *p = f->payload;
	size_t n = f->len, pad = 0;

	if (f->type != H2_DATA && (f->flags & H2_F_PADDED) && f->type != H2_HEADERS &&
	    f->type != H2_PUSH_PROMISE)
		return -EBADMSG;
	if ((f->flags & H2_F_PADDED)) {
		if (n < 1)
			return -EBADMSG;
		pad = p[0];
		p++;
		n--;
	}
	if (f->type == H2_HEADERS && (f->flags & H2_F_PRIORITY)) {
		if (n < 5)
			return -EBADMSG;
		p += 5;
		n -= 5;
	} else if (f->type == H2_PUSH_PROMISE) {
		if (n < 4)
			return -EBADMSG;
		p += 4;
		n -= 4;
	}
	if (pad > n)
		return -EBADMSG;
	*d = p;
	*dn = n - pad;
	return 0;
}

const char *h2_error_name(uint32_t code)
{
	static const char *const names[] = {
		"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
		"SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM",
		"CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
		"INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
	};

	return code < sizeof(names) / sizeof(names[0]) ? names[code] : "unknown error code";
}

static const char *type_name(uint8_t t)
{
	static const char *const names[] = {
		"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE",
		"PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION",
	};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

int h2_init(struct h2_conn *c, const struct h2_ops *ops, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->ctx = ctx;
	c->decode_limit = HTTP1_DECODE_LIMIT;
	if (hpack_init(&c->side[0].hp) || hpack_init(&c->side[1].hp)) {
		hpack_release(&c->side[0].hp);
		hpack_release(&c->side[1].hp);
		return -ENOMEM;
	}
	return 0;
}

/* ---- streams ---- */

static struct h2_stream *st_find(struct h2_conn *c, uint32_t id)
{
	size_t i;

	for (i = c->nst; i-- > 0;)
		if (c->st[i]->id == id)
			return c->st[i];
	return NULL;
}

static struct h2_stream *st_get(struct h2_conn *c, uint32_t id)
{
	struct h2_stream *s = st_find(c, id), **slot;

	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	slot = au_push(&c->st, &c->nst, &c->cst, sizeof(*slot));
	if (!slot) {
		free(s);
		return NULL;
	}
	*slot = s;
	s->id = id;
	c->nstreams++;
	return s;
}

static void set_error(struct http_msg *m, char *why)
{
	if (!m->error)
		m->error = why;
	else
		free(why);
}

/* Hand message @side of @s over; @why (owned) is its error or NULL. */
static void msg_end(struct h2_conn *c, struct h2_stream *s, int side, int ok, char *why)
{
	struct http_msg *m = s->msg[side];

	s->ended[side] = 1;
	if (!m) {
		free(why);
		return;
	}
	if (s->dec_on[side]) {
		if (http_dec_end(&s->dec[side]) == -ENODATA)
			set_error(m, au_fmt("%s body ends before its coded stream does",
					    http_dec_name(m->coding)));
		http_dec_release(&s->dec[side]);
		s->dec_on[side] = 0;
	}
	if (why)
		set_error(m, why);
	au_buf_shrink(&m->body);
	m->complete = ok;
	m->t_end = c->ts;
	s->msg[side] = NULL;
	if (c->ops->done)
		c->ops->done(c->ctx, s, m);
	else
		http_msg_free(m);
}

/* Drop @s from the table once both sides ended (or it was reset). */
static size_t st_close(struct h2_conn *c, struct h2_stream *s, int force, const char *why)
{
	size_t i, failed = 0;
	int k;

	if (!force && !(s->ended[0] && s->ended[1]))
		return 0;
	for (k = 0; k < 2; k++) {
		if (s->msg[k])
			failed++;
		msg_end(c, s, k, 0, why ? au_strdup(why) : NULL);
	}
	if (c->ops->close)
		c->ops->close(c->ctx, s);
	for (i = c->nst; i-- > 0;)
		if (c->st[i] == s) {
			memmove(c->st + i, c->st + i + 1, (c->nst - i - 1) * sizeof(*c->st));
			c->nst--;
			break;
		}
	free(s);
	return failed;
}

/* A frame that breaks the connection: nothing after it can be trusted. */
static int conn_fail(struct h2_conn *c, int side, const struct h2_frame *f, const char *what)
{
	char *why;
	size_t failed = 0;

	if (f)
		why = au_fmt("h2 %s frame %llu (%s, stream %u): %s",
			     side ? "server" : "client", (unsigned long long)c->side[side].frames,
			     type_name(f->type), f->stream, what);
	else
		why = au_fmt("h2 %s stream: %s", side ? "server" : "client", what);
	c->nerrors++;
	c->side[0].dead = c->side[1].dead = 1;
	while (c->nst)
		failed += st_close(c, c->st[c->nst - 1], 1, why ? why : what);
	if (c->ops->conn_error)
		c->ops->conn_error(c->ctx, side, why ? why : what, failed);
	if (!c->error)
		c->error = why;
	else
		free(why);
	return -EBADMSG;
}

/* ---- messages ---- */

static int add_hdr(struct http_msg *m, const char *name, size_t nl, const char *val, size_t vl)
{
	struct http_hdr *h = au_push(&m->hdrs, &m->nhdrs, &m->chdrs, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->name = au_strndup(name, nl);
	h->value = au_strndup(val, vl);
	if (!h->name || !h->value)
		return -ENOMEM;
	return 0;
}

static int on_field(void *ctx, const uint8_t *name, size_t nl, const uint8_t *val, size_t vl)
{
	struct http_msg *m = ctx;
	const char *n = (const char *)name, *v = (const char *)val;
	char **slot = NULL;

	if (nl == 7 && !memcmp(n, ":method", 7))
		slot = &m->method;
	else if (nl == 5 && !memcmp(n, ":path", 5))
		slot = &m->target;
	if (slot && !*slot)
		*slot = au_strndup(v, vl);
	if (nl == 7 && !memcmp(n, ":status", 7) && !m->status) {
		char tmp[8] = "";

		memcpy(tmp, v, vl < 7 ? vl : 7);
		m->status = atoi(tmp);
	}
	/* the HTTP/1.1 view: :authority is the Host header (RFC 9113 8.3.1) */
	if (nl == 10 && !memcmp(n, ":authority", 10) && !http_msg_header(m, "host") &&
	    add_hdr(m, "host", 4, v, vl))
		return -ENOMEM;
	return add_hdr(m, n, nl, v, vl);
}

static void start_msg(struct h2_conn *c, struct h2_stream *s, int side, struct http_msg *m)
{
	const char *ce = http_msg_header(m, "content-encoding");
	const char *ct = http_msg_header(m, "content-type");

	s->msg[side] = m;
	s->started[side] = 1;
	m->t_first = m->t_head = c->ts;
	if (ct && !strncasecmp(ct, "application/grpc", 16))
		s->grpc = 1;
	if (ce && http_dec_coding(ce, &m->coding)) {
		set_error(m, au_fmt("unsupported content-encoding '%s'", ce));
		m->coding = HTTP_CODING_IDENTITY;
	} else if (ce && m->coding != HTTP_CODING_IDENTITY) {
		if (http_dec_init(&s->dec[side], m->coding, c->decode_limit))
			set_error(m, au_strdup("out of memory for the body decoder"));
		else
			s->dec_on[side] = 1;
	}
	if (c->ops->head)
		c->ops->head(c->ctx, s, m);
}

/* Trailers (or a second HEADERS) join the message's header list. */
static void add_trailers(struct http_msg *m, struct http_msg *t)
{
	size_t i;

	for (i = 0; i < t->nhdrs; i++) {
		struct http_hdr *h = au_push(&m->hdrs, &m->nhdrs, &m->chdrs, sizeof(*h));

		if (!h)
			break;
		*h = t->hdrs[i];
		t->hdrs[i].name = t->hdrs[i].value = NULL;
	}
	http_msg_free(t);
}

struct body_ctx {
	struct h2_conn *c;
	struct h2_stream *s;
	int side;
};

static void store_body(void *ctx, const uint8_t *d, size_t n)
{
	struct body_ctx *b = ctx;
	struct http_msg *m = b->s->msg[b->side];
	size_t room = m->body.len < HTTP1_BODY_STORE_MAX ? HTTP1_BODY_STORE_MAX - m->body.len : 0;

	if (!m->body_len)
		m->t_body = b->c->ts;
	m->body_len += n;
	if (n > room)
		m->body_trunc = 1;
	if (cap_buf_append(&m->body, d, n < room ? n : room))
		m->body_trunc = 1;
	if (b->c->ops->body)
		b->c->ops->body(b->c->ctx, b->s, m, b->c->ts, d, n);
}

/* Count gRPC's length-prefixed messages (1 byte flag, 4 bytes length). */
static void grpc_count(struct h2_stream *s, int side, const uint8_t *p, size_t n)
{
	while (n) {
		if (s->grpc_need[side]) {
			uint64_t k = s->grpc_need[side] < n ? s->grpc_need[side] : n;

			s->grpc_need[side] -= k;
			p += k;
			n -= (size_t)k;
			continue;
		}
		s->grpc_hdr[side][s->grpc_hlen[side]++] = *p++;
		n--;
		if (s->grpc_hlen[side] == 5) {
			s->grpc_hlen[side] = 0;
			s->grpc_need[side] = be32(s->grpc_hdr[side] + 1);
			s->grpc_msgs[side]++;
		}
	}
}

static void body_bytes(struct h2_conn *c, struct h2_stream *s, int side, const uint8_t *d,
		       size_t n)
{
	struct body_ctx b = { c, s, side };
	struct http_msg *m = s->msg[side];
	int r;

	m->wire_len += n;
	if (s->grpc)
		grpc_count(s, side, d, n);
	if (!s->dec_on[side]) {
		store_body(&b, d, n);
		return;
	}
	r = http_dec_feed(&s->dec[side], d, n, store_body, &b);
	if (!r)
		return;
	if (r == -E2BIG)
		set_error(m, au_fmt("decompression bomb: %s body expands past %llu bytes",
				    http_dec_name(m->coding), (unsigned long long)c->decode_limit));
	else
		set_error(m, au_fmt("%s body is corrupt at coded byte %llu",
				    http_dec_name(m->coding), (unsigned long long)s->dec[side].in));
	http_dec_release(&s->dec[side]);
	s->dec_on[side] = 0;
}

/* ---- frames ---- */

static int block_done(struct h2_conn *c, int side, const struct h2_frame *f)
{
	struct h2_side *sd = &c->side[side];
	struct http_msg *m = calloc(1, sizeof(*m));
	struct h2_stream *s;
	int r;

	if (!m)
		return conn_fail(c, side, f, "out of memory");
	m->is_req = side == H2_CLIENT || sd->cont_type == H2_PUSH_PROMISE;
	m->version = au_strdup("HTTP/2");
	r = hpack_decode(&sd->hp, sd->hblock.p, sd->hblock.len, on_field, m);
	sd->hblock.len = 0;
	if (sd->hblock.cap > 65536)
		cap_buf_release(&sd->hblock);
	s = r ? NULL : st_get(c, sd->cont_type == H2_PUSH_PROMISE ? sd->promised : sd->hb_stream);
	if (!s) {
		http_msg_free(m);
		return conn_fail(c, side, f, r == -EBADMSG ? "header block does not decode (HPACK)"
							  : "out of memory");
	}
	if (sd->cont_type == H2_PUSH_PROMISE) {
		c->pushes++;
		if (s->started[H2_CLIENT]) {
			http_msg_free(m);
			return 0;
		}
		start_msg(c, s, H2_CLIENT, m);
		msg_end(c, s, H2_CLIENT, 1, NULL);
		return 0;
	}
	if (!s->started[side]) {
		/* an interim (1xx) response: the final one follows */
		if (side == H2_SERVER && m->status >= 100 && m->status < 200 && m->status != 101) {
			http_msg_free(m);
			return 0;
		}
		start_msg(c, s, side, m);
	} else if (s->msg[side]) {
		add_trailers(s->msg[side], m);
	} else {
		http_msg_free(m);
	}
	if (sd->cont_flags & H2_F_END_STREAM)
		msg_end(c, s, side, 1, NULL);
	st_close(c, s, 0, NULL);
	return 0;
}

static int block_add(struct h2_conn *c, int side, const struct h2_frame *f, const uint8_t *d,
		     size_t n)
{
	struct h2_side *sd = &c->side[side];

	if (sd->hblock.len + n > H2_HBLOCK_MAX)
		return conn_fail(c, side, f, "header block larger than 1 MiB");
	if (cap_buf_append(&sd->hblock, d, n))
		return conn_fail(c, side, f, "out of memory");
	if (!(f->flags & H2_F_END_HEADERS))
		return 0;
	sd->cont_stream = 0;
	return block_done(c, side, f);
}

static int on_headers(struct h2_conn *c, int side, const struct h2_frame *f)
{
	struct h2_side *sd = &c->side[side];
	const uint8_t *d;
	size_t n;

	if (!f->stream)
		return conn_fail(c, side, f, "on stream 0");
	if (h2_frame_payload(f, &d, &n))
		return conn_fail(c, side, f, "padding or fields longer than the frame");
	if (f->type == H2_PUSH_PROMISE) {
		if (side != H2_SERVER)
			return conn_fail(c, side, f, "sent by the client");
		sd->promised = be32(d - 4) & 0x7fffffffu;
		if (!sd->promised)
			return conn_fail(c, side, f, "promises stream 0");
	}
	sd->cont_stream = sd->hb_stream = f->stream;
	sd->cont_type = f->type;
	sd->cont_flags = f->flags;
	sd->hblock.len = 0;
	return block_add(c, side, f, d, n);
}

static int on_cont(struct h2_conn *c, int side, const struct h2_frame *f)
{
	if (!c->side[side].cont_stream)
		return conn_fail(c, side, f, "no header block to continue");
	return block_add(c, side, f, f->payload, f->len);
}

static int on_data(struct h2_conn *c, int side, const struct h2_frame *f)
{
	struct h2_stream *s;
	const uint8_t *d;
	size_t n;

	if (!f->stream)
		return conn_fail(c, side, f, "on stream 0");
	if (h2_frame_payload(f, &d, &n))
		return conn_fail(c, side, f, "padding longer than the frame");
	s = st_find(c, f->stream);
	/* DATA of a stream whose HEADERS were not seen cannot be given meaning */
	if (!s || !s->msg[side])
		return 0;
	if (n)
		body_bytes(c, s, side, d, n);
	if (f->flags & H2_F_END_STREAM) {
		msg_end(c, s, side, 1, NULL);
		st_close(c, s, 0, NULL);
	}
	return 0;
}

static int on_rst(struct h2_conn *c, int side, const struct h2_frame *f)
{
	struct h2_stream *s;
	char *why;
	int k;

	if (!f->stream)
		return conn_fail(c, side, f, "on stream 0");
	if (f->len != 4)
		return conn_fail(c, side, f, "length is not 4");
	c->rsts++;
	s = st_find(c, f->stream);
	if (!s)
		return 0;
	s->reset = 1;
	s->rst_code = be32(f->payload);
	for (k = 0; k < 2; k++) {
		/* NO_ERROR: the sender is simply done (e.g. the response came early) */
		why = s->rst_code ? au_fmt("stream %u reset by the %s (%s)", s->id,
					   side ? "server" : "client", h2_error_name(s->rst_code))
				  : NULL;
		msg_end(c, s, k, !s->rst_code && s->msg[k], why);
	}
	st_close(c, s, 1, NULL);
	return 0;
}

static int on_settings(struct h2_conn *c, int side, const struct h2_frame *f)
{
	uint32_t i;

	if (f->stream)
		return conn_fail(c, side, f, "not on stream 0");
	if (f->len % 6 || ((f->flags & H2_F_ACK) && f->len))
		return conn_fail(c, side, f, "bad length");
	c->settings++;
	for (i = 0; i < f->len; i += 6) {
		const uint8_t *p = f->payload + i;

		/* this side's decoder size bounds the other side's encoder */
		if (p[0] == 0 && p[1] == 1)
			hpack_set_max_table(&c->side[!side].hp, be32(p + 2));
	}
	return 0;
}

static int on_control(struct h2_conn *c, int side, const struct h2_frame *f)
{
	switch (f->type) {
	case H2_PRIORITY:
		if (!f->stream || f->len != 5)
			return conn_fail(c, side, f, f->stream ? "length is not 5" : "on stream 0");
		c->priorities++;
		break;
	case H2_PING:
		if (f->stream || f->len != 8)
			return conn_fail(c, side, f, f->stream ? "not on stream 0" : "length is not 8");
		c->pings++;
		break;
	case H2_GOAWAY:
		if (f->stream || f->len < 8)
			return conn_fail(c, side, f, f->stream ? "not on stream 0" : "shorter than 8");
		c->goaways++;
		c->goaway_last = be32(f->payload) & 0x7fffffffu;
		c->goaway_code = be32(f->payload + 4);
		break;
	case H2_WINDOW_UPDATE:
		if (f->len != 4)
			return conn_fail(c, side, f, "length is not 4");
		c->window_updates++;
		break;
	default:
		break; /* unknown frame types are ignored (RFC 9113 5.5) */
	}
	return 0;
}

static int on_frame(struct h2_conn *c, int side, const struct h2_frame *f)
{
	struct h2_side *sd = &c->side[side];

	sd->frames++;
	if (sd->cont_stream && (f->type != H2_CONTINUATION || f->stream != sd->cont_stream))
		return conn_fail(c, side, f, "a CONTINUATION frame was expected");
	switch (f->type) {
	case H2_DATA:
		return on_data(c, side, f);
	case H2_HEADERS:
	case H2_PUSH_PROMISE:
		return on_headers(c, side, f);
	case H2_CONTINUATION:
		return on_cont(c, side, f);
	case H2_RST_STREAM:
		return on_rst(c, side, f);
	case H2_SETTINGS:
		return on_settings(c, side, f);
	default:
		return on_control(c, side, f);
	}
}

/* ---- byte stream ---- */

static long preface(struct h2_conn *c, struct h2_side *sd, const uint8_t *b, size_t n)
{
	size_t k = H2_PREFACE_LEN - sd->preface;

	if (k > n)
		k = n;
	if (memcmp(b, &H2_PREFACE[sd->preface], k))
		return conn_fail(c, H2_CLIENT, NULL, "bad connection preface");
	sd->preface += k;
	return (long)k;
}

/* Complete the buffered partial frame from @b; bytes taken or -EBADMSG. */
static long partial(struct h2_conn *c, int side, const uint8_t *b, size_t n)
{
	struct h2_side *sd = &c->side[side];
	struct h2_frame f;
	size_t need, took = 0, k;
	long r;

	while ((r = h2_frame_parse(sd->buf.p, sd->buf.len, &f, &need)) == 0) {
		if (took == n)
			return (long)took;
		k = need - sd->buf.len < n - took ? need - sd->buf.len : n - took;
		if (cap_buf_append(&sd->buf, b + took, k))
			return conn_fail(c, side, NULL, "out of memory");
		took += k;
	}
	r = on_frame(c, side, &f);
	sd->buf.len = 0;
	if (sd->buf.cap > 65536)
		cap_buf_release(&sd->buf);
	return r < 0 ? r : (long)took;
}

long h2_feed(struct h2_conn *c, int side, uint64_t ts, const uint8_t *b, size_t n)
{
	struct h2_side *sd = &c->side[side & 1];
	size_t off = 0, need;
	struct h2_frame f;
	long r;

	side &= 1;
	c->ts = ts;
	if (sd->dead)
		return c->error ? -EBADMSG : (long)n;
	sd->bytes += n;
	while (off < n) {
		if (side == H2_CLIENT && sd->preface < H2_PREFACE_LEN)
			r = preface(c, sd, b + off, n - off);
		else if (sd->buf.len)
			r = partial(c, side, b + off, n - off);
		else if ((r = h2_frame_parse(b + off, n - off, &f, &need)) > 0)
			r = on_frame(c, side, &f) < 0 ? -EBADMSG : r;
		else if (cap_buf_append(&sd->buf, b + off, n - off))
			r = conn_fail(c, side, NULL, "out of memory");
		else
			r = (long)(n - off);
		if (r < 0)
			return r;
		off += (size_t)r;
	}
	return (long)n;
}

void h2_gap(struct h2_conn *c, int side, uint64_t ts, uint64_t n)
{
	struct h2_side *sd = &c->side[side & 1];
	size_t i;

	c->ts = ts;
	if (sd->dead)
		return;
	/* framing and the HPACK table of this side are lost for good */
	sd->dead = 1;
	for (i = c->nst; i-- > 0;) {
		struct h2_stream *s = c->st[i];

		if (s->msg[side & 1])
			msg_end(c, s, side & 1, 0,
				au_fmt("h2 %s stream: %llu bytes were not captured",
				       side & 1 ? "server" : "client", (unsigned long long)n));
		s->ended[side & 1] = 1;
		st_close(c, s, 0, NULL);
	}
}

void h2_eof(struct h2_conn *c, uint64_t ts)
{
	c->ts = ts;
	while (c->nst)
		st_close(c, c->st[c->nst - 1], 1, "truncated: the connection ended inside the stream");
}

void h2_release(struct h2_conn *c)
{
	int k;

	while (c->nst) {
		struct h2_stream *s = c->st[--c->nst];

		for (k = 0; k < 2; k++) {
			if (s->dec_on[k])
				http_dec_release(&s->dec[k]);
			http_msg_free(s->msg[k]);
		}
		free(s);
	}
	free(c->st);
	c->st = NULL;
	for (k = 0; k < 2; k++) {
		cap_buf_release(&c->side[k].buf);
		cap_buf_release(&c->side[k].hblock);
		hpack_release(&c->side[k].hp);
	}
	free(c->error);
	c->error = NULL;
}
