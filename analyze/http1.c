/* SPDX-License-Identifier: MIT */
/*
 * http1.c - incremental HTTP/1.x parser (see http1.h; RFC 9112).
 */
#include "http1.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/autil.h"

/* first allocations of the head buffer and of a body of known length */
#define HTTP1_LINE_FIRST 1024u
#define HTTP1_BODY_FIRST (64u * 1024u)

void http1_init(struct http1_parser *p, enum http1_kind kind, const struct http1_ops *ops,
		void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->ops = ops;
	p->ctx = ctx;
	p->decode_limit = HTTP1_DECODE_LIMIT;
}

void http_msg_free(struct http_msg *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].value);
	}
	free(m->hdrs);
	free(m->method);
	free(m->target);
	free(m->reason);
	free(m->version);
	free(m->error);
	cap_buf_release(&m->body);
	free(m);
}

const char *http_msg_header(const struct http_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nhdrs; i++)
		if (!strcasecmp(m->hdrs[i].name, name))
			return m->hdrs[i].value;
	return NULL;
}

static void dec_stop(struct http1_parser *p)
{
	if (p->dec_on)
		http_dec_release(&p->dec);
	p->dec_on = 0;
}

static void set_error(struct http_msg *m, char *why)
{
	if (!m->error)
		m->error = why;
	else
		free(why);
}

/* Hand the message to the consumer; the parser waits for the next one. */
static void msg_done(struct http1_parser *p, int ok)
{
	struct http_msg *m = p->msg;

	if (!m)
		return;
	if (p->dec_on) {
		int r = http_dec_end(&p->dec);

		if (r == -ENODATA)
			set_error(m, au_fmt("%s body ends before its coded stream does",
					    http_dec_name(m->coding)));
	}
	dec_stop(p);
	au_buf_shrink(&m->body);
	/* idle keep-alive connections should not each hold a head buffer */
	cap_buf_release(&p->line);
	m->complete = ok;
	m->t_end = p->ts;
	p->msg = NULL;
	p->nmsgs++;
	if (!ok || m->error)
		p->nerrors++;
	if (p->ops->done)
		p->ops->done(p->ctx, m);
	else
		http_msg_free(m);
}

static int fail(struct http1_parser *p, char *why)
{
	/* say where: the reviewer finds the bytes with the stream offset */
	char *where = why ? au_fmt("%s (at byte %llu of the stream)", why,
				   (unsigned long long)p->at) : NULL;

	if (where) {
		free(why);
		why = where;
	}
	if (p->msg) {
		set_error(p->msg, why);
		msg_done(p, 0);
	} else {
		free(why);
		p->nerrors++;
	}
	p->state = H1_RESYNC;
	p->line.len = 0;
	return -EBADMSG;
}

static void store_body(void *ctx, const uint8_t *d, size_t n)
{
	struct http1_parser *p = ctx;
	struct http_msg *m = p->msg;
	size_t room = m->body.len < HTTP1_BODY_STORE_MAX ? HTTP1_BODY_STORE_MAX - m->body.len : 0;

	if (!m->body_len)
		m->t_body = p->ts;
	m->body_len += n;
	if (n > room)
		m->body_trunc = 1;
	if (cap_buf_append(&m->body, d, n < room ? n : room))
		m->body_trunc = 1;
	if (p->ops->body)
		p->ops->body(p->ctx, m, p->ts, d, n);
}

static void body_bytes(struct http1_parser *p, const uint8_t *d, size_t n)
{
	int r;

	p->msg->wire_len += n;
	if (!p->dec_on) {
		store_body(p, d, n);
		return;
	}
	r = http_dec_feed(&p->dec, d, n, store_body, p);
	if (r) {
		if (r == -E2BIG)
			set_error(p->msg, au_fmt("decompression bomb: %s body expands past "
						 "%llu bytes", http_dec_name(p->msg->coding),
						 (unsigned long long)p->decode_limit));
		else
			set_error(p->msg, au_fmt("%s body is corrupt at coded byte %llu",
						 http_dec_name(p->msg->coding),
						 (unsigned long long)p->dec.in));
		dec_stop(p);
		p->dec_on = 0;
	}
}

static int is_tchar(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int add_header(struct http_msg *m, const char *l, size_t n)
{
	const char *colon = memchr(l, ':', n);
	struct http_hdr *h;
	size_t i, vs, ve;

	if (n && (l[0] == ' ' || l[0] == '\t') && m->nhdrs) {
		/* obsolete line folding: continue the previous value */
		h = &m->hdrs[m->nhdrs - 1];
		char *v = au_fmt("%s %.*s", h->value, (int)n, l);

		if (!v)
			return -ENOMEM;
		free(h->value);
		h->value = v;
		return 0;
	}
	if (!colon || colon == l)
		return -EBADMSG;
	for (i = 0; l + i < colon; i++)
		if (!is_tchar((unsigned char)l[i]))
			return -EBADMSG;
	vs = (size_t)(colon - l) + 1;
	while (vs < n && (l[vs] == ' ' || l[vs] == '\t'))
		vs++;
	ve = n;
	while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
		ve--;
	h = au_push(&m->hdrs, &m->nhdrs, &m->chdrs, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->name = au_strndup(l, (size_t)(colon - l));
	h->value = au_strndup(l + vs, ve - vs);
	return h->name && h->value ? 0 : -ENOMEM;
}

static int parse_start(struct http1_parser *p, const char *l, size_t n)
{
	struct http_msg *m = p->msg;
	const char *sp1 = memchr(l, ' ', n), *sp2;

	if (!sp1)
		return -EBADMSG;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l));
	if (p->kind == HTTP1_REQUEST) {
		size_t i;

		if (!sp2 || sp1 == l || n - (size_t)(sp2 + 1 - l) != 8 ||
		    strncmp(sp2 + 1, "HTTP/1.", 7))
			return -EBADMSG;
		for (i = 0; l + i < sp1; i++)
			if (!is_tchar((unsigned char)l[i]))
				return -EBADMSG;
		m->method = au_strndup(l, (size_t)(sp1 - l));
		m->target = au_strndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
		m->version = au_strndup(sp2 + 1, 8);
		return 0;
	}
	if (sp1 - l != 8 || strncmp(l, "HTTP/1.", 7) || n < 12 || !isdigit((unsigned char)l[9]) ||
	    !isdigit((unsigned char)l[10]) || !isdigit((unsigned char)l[11]) ||
	    (n > 12 && l[12] != ' '))
		return -EBADMSG;
	m->version = au_strndup(l, 8);
	m->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	m->reason = au_strndup(n > 13 ? l + 13 : "", n > 13 ? n - 13 : 0);
	return 0;
}

static int parse_lines(struct http1_parser *p)
{
	const char *s = (const char *)p->line.p, *end = s + p->line.len;
	int first = 1, r;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);

		if (n && s[n - 1] == '\r')
			n--;
		if (!n)
			break;
		r = first ? parse_start(p, s, n) : add_header(p->msg, s, n);
		if (r)
			return r;
		first = 0;
		s = nl ? nl + 1 : end;
	}
	return first ? -EBADMSG : 0;
}

/* Content-Length: every copy must agree (RFC 9112 6.3). */
static int content_length(const struct http_msg *m, uint64_t *out)
{
	int seen = 0;
	size_t i;

	for (i = 0; i < m->nhdrs; i++) {
		const char *v = m->hdrs[i].value;
		uint64_t x = 0;

		if (strcasecmp(m->hdrs[i].name, "content-length"))
			continue;
		if (!*v)
			return -EBADMSG;
		for (; *v; v++) {
			if (!isdigit((unsigned char)*v) || x > (UINT64_MAX - 9) / 10)
				return -EBADMSG;
			x = x * 10 + (uint64_t)(*v - '0');
		}
		if (seen && x != *out)
			return -EBADMSG;
		*out = x;
		seen = 1;
	}
	return seen;
}

static int is_chunked(const struct http_msg *m)
{
	const char *te = NULL;
	size_t i, n;

	for (i = 0; i < m->nhdrs; i++)
		if (!strcasecmp(m->hdrs[i].name, "transfer-encoding"))
			te = m->hdrs[i].value;
	if (!te)
		return 0;
	n = strlen(te);
	while (n && (te[n - 1] == ' ' || te[n - 1] == '\t'))
		n--;
	return n >= 7 && !strncasecmp(te + n - 7, "chunked", 7);
}

static void start_decoder(struct http1_parser *p)
{
	struct http_msg *m = p->msg;
	const char *ce = http_msg_header(m, "content-encoding");

	if (!ce)
		return;
	if (http_dec_coding(ce, &m->coding)) {
		set_error(m, au_fmt("unsupported content-encoding '%s'", ce));
		m->coding = HTTP_CODING_IDENTITY;
		return;
	}
	if (m->coding == HTTP_CODING_IDENTITY)
		return;
	if (http_dec_init(&p->dec, m->coding, p->decode_limit)) {
		set_error(m, au_strdup("out of memory for the body decoder"));
		return;
	}
	p->dec_on = 1;
}

/* The head is complete: parse it and pick the body framing. */
static int head_done(struct http1_parser *p)
{
	struct http_msg *m = p->msg;
	uint64_t cl = 0;
	int r = parse_lines(p), has_cl;

	m->head_len = p->line.len;
	p->line.len = 0;
	if (r)
		return fail(p, au_strdup(p->kind == HTTP1_REQUEST ? "malformed request head"
								  : "malformed response head"));
	m->t_head = p->ts;
	has_cl = content_length(m, &cl);
	m->chunked = is_chunked(m);
	if (has_cl < 0 && !m->chunked)
		return fail(p, au_strdup("invalid or conflicting Content-Length"));
	if (p->ops->head)
		p->ops->head(p->ctx, m);
	if (p->kind == HTTP1_RESPONSE &&
	    ((m->status >= 100 && m->status < 200) || m->status == 204 || m->status == 304 ||
	     (p->ops->no_body && p->ops->no_body(p->ctx)))) {
		int tunnel = m->status == 101;

		msg_done(p, 1);
		p->state = tunnel ? H1_TUNNEL : H1_START;
		return 0;
	}
	start_decoder(p);
	if (m->chunked) {
		p->state = H1_CHUNK_SIZE;
	} else if (has_cl > 0) {
		p->remain = cl;
		p->state = H1_BODY_LEN;
		/* a small body of known size: allocated once, at its size (and
		 * the NUL au_buf_shrink leaves room for); a large one grows as
		 * it comes, whatever its Content-Length claims */
		if (!p->dec_on && cl <= HTTP1_BODY_FIRST)
			au_buf_prealloc(&m->body, cl + 1);
		if (!cl) {
			msg_done(p, 1);
			p->state = H1_START;
		}
	} else if (p->kind == HTTP1_RESPONSE) {
		p->state = H1_BODY_EOF;
	} else {
		msg_done(p, 1);
		p->state = H1_START;
	}
	return 0;
}

/* Append bytes up to and including the next '\n' to p->line; returns bytes
 * taken, and sets *eol when the line is complete. */
static size_t take_line(struct http1_parser *p, const uint8_t *b, size_t n, int *eol)
{
	const uint8_t *nl = memchr(b, '\n', n);
	size_t k = nl ? (size_t)(nl - b) + 1 : n;

	*eol = nl != NULL;
	/* most heads fit in 1 KiB: a small-size malloc, not cap_buf's 4 KiB */
	if (au_buf_prealloc(&p->line, HTTP1_LINE_FIRST) || cap_buf_append(&p->line, b, k))
		*eol = -1;
	return k;
}

static int head_complete(const struct cap_buf *l)
{
	return (l->len >= 2 && !memcmp(l->p + l->len - 2, "\n\n", 2)) ||
	       (l->len >= 3 && !memcmp(l->p + l->len - 3, "\n\r\n", 3));
}

static int new_msg(struct http1_parser *p)
{
	p->msg = calloc(1, sizeof(*p->msg));
	if (!p->msg)
		return -ENOMEM;
	p->msg->is_req = p->kind == HTTP1_REQUEST;
	p->msg->t_first = p->ts;
	p->msg->seq_no = p->nmsgs;
	p->state = H1_HEAD;
	p->line.len = 0;
	return 0;
}

static uint64_t parse_hex(const uint8_t *s, size_t n, int *ok)
{
	uint64_t x = 0;
	size_t i;

	*ok = 0;
	for (i = 0; i < n && isxdigit(s[i]); i++) {
		if (x >> 60)
			return 0;
		x = x * 16 + (uint64_t)(isdigit(s[i]) ? s[i] - '0' : (tolower(s[i]) - 'a' + 10));
	}
	if (!i)
		return 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	*ok = i == n || s[i] == ';' || s[i] == '\r' || s[i] == '\n';
	return x;
}

/* One step on a line-oriented state; returns bytes consumed or < 0. */
static long line_step(struct http1_parser *p, const uint8_t *b, size_t n)
{
	int eol, ok;
	size_t k = take_line(p, b, n, &eol);
	uint64_t x;

	if (eol < 0)
		return fail(p, au_strdup("out of memory"));
	if (p->state == H1_HEAD) {
		if (p->line.len > HTTP1_HEAD_MAX)
			return fail(p, au_fmt("message head longer than %u bytes", HTTP1_HEAD_MAX));
		if (eol && head_complete(&p->line) && head_done(p) < 0)
			return -EBADMSG;
		return (long)k;
	}
	if (p->line.len > 4096)
		return fail(p, au_strdup("chunk-size line too long"));
	if (!eol)
		return (long)k;
	if (p->state == H1_CHUNK_SIZE) {
		x = parse_hex(p->line.p, p->line.len, &ok);
		if (!ok)
			return fail(p, au_strdup("malformed chunk size"));
		p->remain = x;
		p->state = x ? H1_CHUNK_DATA : H1_TRAILER;
	} else if (p->state == H1_CHUNK_CRLF) {
		if (p->line.len > 2 || (p->line.len == 2 && p->line.p[0] != '\r'))
			return fail(p, au_strdup("chunk data longer than its size"));
		p->state = H1_CHUNK_SIZE;
	} else if (p->line.len <= 2) { /* H1_TRAILER: empty line ends the message */
		msg_done(p, 1);
		p->state = H1_START;
	}
	p->line.len = 0;
	return (long)k;
}

static size_t body_step(struct http1_parser *p, const uint8_t *b, size_t n)
{
	size_t k = n;

	if (p->state != H1_BODY_EOF && p->remain < k)
		k = (size_t)p->remain;
	body_bytes(p, b, k);
	if (p->state == H1_BODY_EOF)
		return k;
	p->remain -= k;
	if (!p->remain) {
		if (p->state == H1_CHUNK_DATA) {
			p->state = H1_CHUNK_CRLF;
		} else {
			msg_done(p, 1);
			p->state = H1_START;
		}
	}
	return k;
}

/* After an error, resynchronise only where a call starts with a start line. */
static int looks_like_start(const struct http1_parser *p, const uint8_t *b, size_t n)
{
	size_t i;

	if (p->kind == HTTP1_RESPONSE)
		return n >= 9 && !memcmp(b, "HTTP/1.", 7);
	for (i = 0; i < n && i < 16 && b[i] >= 'A' && b[i] <= 'Z'; i++)
		;
	return i >= 3 && i < n && b[i] == ' ';
}

long http1_feed(struct http1_parser *p, uint64_t ts, const uint8_t *b, size_t n)
{
	size_t off = 0;
	long k;
	int err = 0;

	p->ts = ts;
	if (p->state == H1_RESYNC && looks_like_start(p, b, n))
		p->state = H1_START;
	while (off < n) {
		p->at = p->pos + off;
		switch (p->state) {
		case H1_RESYNC:
		case H1_TUNNEL:
			if (p->state == H1_TUNNEL && p->ops->tunnel)
				p->ops->tunnel(p->ctx, ts, b + off, n - off);
			p->pos += n;
			return err ? err : (long)n;
		case H1_START:
			if (b[off] == '\r' || b[off] == '\n') {
				off++;
				continue;
			}
			if (new_msg(p)) {
				p->pos += n;
				return -ENOMEM;
			}
			continue;
		case H1_BODY_LEN:
		case H1_BODY_EOF:
		case H1_CHUNK_DATA:
			off += body_step(p, b + off, n - off);
			continue;
		default:
			k = line_step(p, b + off, n - off);
			if (k < 0)
				err = (int)k;
			else
				off += (size_t)k;
		}
	}
	p->pos += n;
	return err ? err : (long)n;
}

void http1_gap(struct http1_parser *p, uint64_t ts, uint64_t n)
{
	p->ts = ts;
	p->at = p->pos;
	p->pos += n;
	if (p->state == H1_TUNNEL)
		return;
	if (p->msg)
		fail(p, au_fmt("%llu bytes of the stream were not captured",
			       (unsigned long long)n));
	p->state = H1_RESYNC;
}

/* Every chunk so far arrived whole: only the terminating one is missing. */
static void eof_between_chunks(struct http1_parser *p)
{
	p->msg->cut_at_chunk = 1;
	fail(p, au_strdup("connection closed before the last chunk (the client stopped reading)"));
}

void http1_eof(struct http1_parser *p, uint64_t ts)
{
	p->ts = ts;
	if (!p->msg)
		return;
	if (p->state == H1_BODY_EOF) {
		msg_done(p, 1);
		p->state = H1_START;
		return;
	}
	if (p->state == H1_BODY_LEN)
		fail(p, au_fmt("stream ends %llu bytes before Content-Length",
			       (unsigned long long)p->remain));
	else if (p->state == H1_HEAD)
		fail(p, au_strdup("stream ends inside the message head"));
	else if (p->state == H1_CHUNK_SIZE && !p->line.len)
		eof_between_chunks(p);
	else
		fail(p, au_strdup("stream ends inside the chunked body"));
}

void http1_release(struct http1_parser *p)
{
	dec_stop(p);
	http_msg_free(p->msg);
	p->msg = NULL;
	cap_buf_release(&p->line);
}
