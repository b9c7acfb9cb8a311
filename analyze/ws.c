/* SPDX-License-Identifier: MIT */
/*
 * ws.c - WebSocket frames (see ws.h; RFC 6455 section 5, RFC 7692 for
 * permessage-deflate).
 */
#include "ws.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/autil.h"

void ws_init(struct ws_parser *p, int from_client, const struct ws_ops *ops, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->from_client = from_client;
	p->ops = ops;
	p->ctx = ctx;
}

/* Is @name (length @n, surrounding blanks trimmed) equal to @want? */
static int token_is(const char *s, size_t n, const char *want)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n == strlen(want) && !strncasecmp(s, want, n);
}

/* One extension of the list: "name; param; param=value". */
static int one_extension(struct ws_parser *p, const char *s, size_t n)
{
	const char *semi = memchr(s, ';', n);
	const char *ntc = p->from_client ? "client_no_context_takeover"
					 : "server_no_context_takeover";
	size_t k = semi ? (size_t)(semi - s) : n;

	if (!token_is(s, k, "permessage-deflate"))
		return 0;
	while (semi) {
		const char *q = semi + 1, *eq;
		size_t left = n - (size_t)(q - s);

		semi = memchr(q, ';', left);
		k = semi ? (size_t)(semi - q) : left;
		eq = memchr(q, '=', k);
		if (token_is(q, eq ? (size_t)(eq - q) : k, ntc))
			p->no_context = 1;
	}
	return 1;
}

int ws_set_extensions(struct ws_parser *p, const char *v)
{
	/* the server accepts at most one permessage-deflate offer, so the
	 * first one in the 101's header is the agreement */
	while (v && *v && !p->deflate) {
		const char *comma = strchr(v, ',');
		size_t n = comma ? (size_t)(comma - v) : strlen(v);

		p->deflate = one_extension(p, v, n);
		v = comma ? comma + 1 : NULL;
	}
	return p->deflate;
}

static int fail(struct ws_parser *p, uint64_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ws_parser *p, uint64_t at, const char *fmt, ...)
{
	char *why = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		why = NULL;
	va_end(ap);
	p->state = WS_DEAD;
	free(p->error);
	/* the stream offset lets a reviewer find the bytes (asanalyze dump) */
	p->error = au_fmt("websocket: %s (at byte %llu of the stream)",
			  why ? why : "out of memory", (unsigned long long)at);
	free(why);
	if (p->ops->error)
		p->ops->error(p->ctx, p->ts, p->error ? p->error : "websocket: out of memory");
	return -EBADMSG;
}

static void msg_note(struct ws_parser *p, char *why)
{
	if (!p->m_err)
		p->m_err = why;
	else
		free(why);
}

static void store(struct ws_parser *p, const uint8_t *d, size_t n)
{
	size_t room = p->msg.len < WS_MSG_STORE_MAX ? WS_MSG_STORE_MAX - p->msg.len : 0;

	p->m_full += n;
	if (n > room)
		p->m_trunc = 1;
	if (cap_buf_append(&p->msg, d, n < room ? n : room))
		p->m_trunc = 1;
}

static int z_start(struct ws_parser *p)
{
	if (p->z_on)
		return 0;
	memset(&p->z, 0, sizeof(p->z));
	/* raw deflate; 15 bits covers every window the peer may have used */
	if (inflateInit2(&p->z, -15) != Z_OK)
		return -ENOMEM;
	p->z_on = 1;
	return 0;
}

/* Inflate @n compressed bytes of the current message into it. */
static void inflate_bytes(struct ws_parser *p, const uint8_t *in, size_t n)
{
	uint8_t out[16384];
	int r;

	if (p->m_err)
		return; /* this message is lost already; do not pile up errors */
	if (z_start(p)) {
		msg_note(p, au_strdup("out of memory for permessage-deflate"));
		return;
	}
	p->z.next_in = (Bytef *)in;
	p->z.avail_in = (uInt)n;
	do {
		p->z.next_out = out;
		p->z.avail_out = sizeof(out);
		r = inflate(&p->z, Z_NO_FLUSH);
		store(p, out, sizeof(out) - p->z.avail_out);
		if (p->m_full > WS_INFLATE_LIMIT) {
			msg_note(p, au_fmt("decompression bomb: message expands past %llu bytes",
					   (unsigned long long)WS_INFLATE_LIMIT));
			return;
		}
		if (r == Z_STREAM_END) {
			/* BFINAL set by the peer: the next bytes start afresh */
			inflateReset(&p->z);
			continue;
		}
		if (r == Z_BUF_ERROR)
			break;
		if (r != Z_OK) {
			msg_note(p, au_fmt("permessage-deflate data is corrupt near compressed "
					   "byte %llu of the message",
					   (unsigned long long)(p->m_wire - p->z.avail_in)));
			return;
		}
	} while (p->z.avail_in || !p->z.avail_out);
}

static void deliver(struct ws_parser *p, struct ws_message *m)
{
	p->nmsgs++;
	if (p->ops->message)
		p->ops->message(p->ctx, m);
}

static void data_done(struct ws_parser *p)
{
	static const uint8_t tail[4] = { 0x00, 0x00, 0xff, 0xff };
	struct ws_message m = { 0 };

	if (p->m_comp) {
		/* RFC 7692 7.2.2: the sender removed this empty block's tail */
		inflate_bytes(p, tail, sizeof(tail));
		if (p->z_on && (p->no_context || p->m_err))
			inflateReset(&p->z);
	}
	m.opcode = p->m_opcode;
	m.data = p->msg.p;
	m.len = p->msg.len;
	m.full_len = p->m_full;
	m.wire_len = p->m_wire;
	m.compressed = p->m_comp;
	m.truncated = p->m_trunc;
	m.nframes = p->m_frames;
	m.off = p->m_off;
	m.t_first = p->m_t_first;
	m.t_end = p->ts;
	m.error = p->m_err;
	m.close_code = -1;
	deliver(p, &m);
	free(p->m_err);
	p->m_err = NULL;
	p->m_on = 0;
	/* keep a small buffer for the next message, not a big one */
	if (p->msg.cap > 1024 * 1024)
		cap_buf_release(&p->msg);
	p->msg.len = 0;
}

static void control_done(struct ws_parser *p)
{
	struct ws_message m = { 0 };

	m.opcode = p->opcode;
	m.data = p->ctl;
	m.len = p->nctl;
	m.full_len = m.wire_len = p->nctl;
	m.nframes = 1;
	m.off = p->foff;
	m.t_first = p->c_t_first;
	m.t_end = p->ts;
	m.close_code = p->opcode == WS_OP_CLOSE && p->nctl >= 2 ? p->ctl[0] << 8 | p->ctl[1] : -1;
	deliver(p, &m);
}

static void frame_done(struct ws_parser *p)
{
	p->nframes++;
	p->state = WS_HEAD;
	p->hlen = 0;
	if (p->opcode >= WS_OP_CLOSE)
		control_done(p);
	else if (p->fin)
		data_done(p);
}

/* Header bytes needed for what hdr[0..1] say. */
static unsigned head_size(const uint8_t *h)
{
	unsigned len7 = h[1] & 0x7f;

	return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (h[1] & 0x80 ? 4 : 0);
}

static int check_bits(struct ws_parser *p)
{
	int op = p->opcode;

	if (p->hdr[0] & 0x30)
		return fail(p, p->foff, "reserved bits RSV2/RSV3 set (0x%02x)", p->hdr[0]);
	if (op > WS_OP_BINARY && op < WS_OP_CLOSE)
		return fail(p, p->foff, "unknown data opcode 0x%x", op);
	if (op > WS_OP_PONG)
		return fail(p, p->foff, "unknown control opcode 0x%x", op);
	if (p->rsv1 && !p->deflate)
		return fail(p, p->foff, "RSV1 set but permessage-deflate was not negotiated");
	if (p->rsv1 && op != WS_OP_TEXT && op != WS_OP_BINARY)
		return fail(p, p->foff, "RSV1 set on a %s frame",
			    op == WS_OP_CONT ? "continuation" : "control");
	if (p->masked != p->from_client)
		return fail(p, p->foff, "%s frame from the %s", p->masked ? "masked" : "unmasked",
			    p->from_client ? "client" : "server");
	if (op >= WS_OP_CLOSE && !p->fin)
		return fail(p, p->foff, "fragmented control frame (opcode 0x%x)", op);
	if (op >= WS_OP_CLOSE && p->plen > WS_CONTROL_MAX)
		return fail(p, p->foff, "control frame of %llu bytes (at most %d)",
			    (unsigned long long)p->plen, WS_CONTROL_MAX);
	if (op == WS_OP_CONT && !p->m_on)
		return fail(p, p->foff, "continuation frame with no message to continue");
	if ((op == WS_OP_TEXT || op == WS_OP_BINARY) && p->m_on)
		return fail(p, p->foff, "new data frame inside a fragmented message "
			    "(started at byte %llu)", (unsigned long long)p->m_off);
	return 0;
}

/* The header is complete: decode and check it. */
static int head_done(struct ws_parser *p)
{
	const uint8_t *h = p->hdr;
	unsigned len7 = h[1] & 0x7f, i, at = 2;

	p->fin = !!(h[0] & 0x80);
	p->rsv1 = !!(h[0] & 0x40);
	p->opcode = h[0] & 0x0f;
	p->masked = !!(h[1] & 0x80);
	p->plen = len7;
	if (len7 >= 126) {
		p->plen = 0;
		for (i = 0; i < (len7 == 126 ? 2u : 8u); i++)
			p->plen = p->plen << 8 | h[at++];
		if (p->plen >> 63)
			return fail(p, p->foff, "64-bit payload length with its top bit set");
	}
	if (p->masked)
		memcpy(p->mask, h + at, 4);
	if (check_bits(p))
		return -EBADMSG;
	p->pdone = 0;
	if (p->opcode >= WS_OP_CLOSE) {
		p->nctl = 0;
		p->c_t_first = p->f_ts;
	} else {
		if (p->opcode != WS_OP_CONT) {
			p->m_on = 1;
			p->m_opcode = p->opcode;
			p->m_comp = p->rsv1;
			p->m_trunc = 0;
			p->m_frames = 0;
			p->m_off = p->foff;
			p->m_t_first = p->f_ts;
			p->m_full = p->m_wire = 0;
		}
		p->m_frames++;
	}
	p->state = WS_PAYLOAD;
	if (!p->plen)
		frame_done(p);
	return 0;
}

static size_t head_step(struct ws_parser *p, const uint8_t *b, size_t n)
{
	unsigned need = p->hlen < 2 ? 2 : head_size(p->hdr);
	size_t k = need - p->hlen < n ? need - p->hlen : n;

	if (!p->hlen) {
		p->foff = p->pos;
		p->f_ts = p->ts;
	}
	memcpy(p->hdr + p->hlen, b, k);
	p->hlen += (unsigned)k;
	if (p->hlen == 2 && head_size(p->hdr) > 2)
		return k; /* the extended length or mask follows */
	if (p->hlen == head_size(p->hdr))
		head_done(p);
	return k;
}

static size_t payload_step(struct ws_parser *p, const uint8_t *b, size_t n)
{
	uint8_t buf[4096];
	uint64_t left = p->plen - p->pdone;
	size_t k = left < n ? (size_t)left : n, i;

	if (k > sizeof(buf))
		k = sizeof(buf);
	for (i = 0; i < k; i++)
		buf[i] = p->masked ? b[i] ^ p->mask[(p->pdone + i) & 3] : b[i];
	if (p->opcode >= WS_OP_CLOSE) {
		memcpy(p->ctl + p->nctl, buf, k); /* plen <= WS_CONTROL_MAX was checked */
		p->nctl += k;
	} else {
		p->m_wire += k;
		if (p->m_comp)
			inflate_bytes(p, buf, k);
		else
			store(p, buf, k);
	}
	p->pdone += k;
	if (p->pdone == p->plen)
		frame_done(p);
	return k;
}

long ws_feed(struct ws_parser *p, uint64_t ts, const uint8_t *b, size_t n)
{
	size_t off = 0, k;

	p->ts = ts;
	while (off < n && p->state != WS_DEAD) {
		if (p->state == WS_HEAD)
			k = head_step(p, b + off, n - off);
		else
			k = payload_step(p, b + off, n - off);
		off += k;
		p->pos += k;
	}
	p->pos += n - off;
	return p->state == WS_DEAD ? -EBADMSG : (long)n;
}

void ws_gap(struct ws_parser *p, uint64_t ts, uint64_t n)
{
	p->ts = ts;
	if (p->state != WS_DEAD)
		fail(p, p->pos, "%llu bytes of the stream were not captured; frame boundaries "
		     "are lost", (unsigned long long)n);
	p->pos += n;
}

void ws_eof(struct ws_parser *p, uint64_t ts)
{
	p->ts = ts;
	if (p->state == WS_HEAD && p->hlen)
		fail(p, p->foff, "stream ends inside a frame header (%u bytes of it)", p->hlen);
	else if (p->state == WS_PAYLOAD)
		fail(p, p->foff, "stream ends %llu bytes into a frame of %llu",
		     (unsigned long long)p->pdone, (unsigned long long)p->plen);
	else if (p->state == WS_HEAD && p->m_on)
		fail(p, p->m_off, "stream ends inside a fragmented message (%u frames of it)",
		     p->m_frames);
}

void ws_release(struct ws_parser *p)
{
	if (p->z_on)
		inflateEnd(&p->z);
	p->z_on = 0;
	cap_buf_release(&p->msg);
	free(p->m_err);
	free(p->error);
	p->m_err = p->error = NULL;
}
