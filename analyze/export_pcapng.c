/* SPDX-License-Identifier: MIT */
/*
 * export_pcapng.c - decrypted HTTP as synthetic TCP packets (see
 * export_pcapng.h).  Two passes: every HTTP message becomes one or more
 * "writes" (connection, direction, time, bytes); the writes of all
 * connections are sorted by time (each direction's order kept), then cut
 * into TCP segments and written as pcapng blocks.
 */
#include "export_pcapng.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "analyze/autil.h"
#include "analyze/redact.h"
#include "format/cap_buf.h"
#include "format/cap_record.h"

#define PX_MSS 1400u             /* payload per segment: fits any MTU */
#define PX_ACK_EVERY 32768u      /* the receiver acks this often (64 KiB window) */
#define PX_H2_FRAME 16384u       /* HTTP/2 SETTINGS_MAX_FRAME_SIZE default */
#define PX_LINKTYPE_RAW 101u

struct px_write {
	uint64_t ts, order;
	uint32_t conn;           /* index into px.conns */
	int dir;                 /* 0 client to server, 1 back */
	uint8_t *p;              /* NULL: the handshake (at connect time) */
	size_t n;
};

struct px_conn {
	const struct stream_conn *sc;
	int used, h2, v6, open;
	uint8_t addr[2][16];     /* client, server */
	uint16_t port[2];
	uint32_t seq[2], acked[2];
	uint64_t last_ts[2];     /* per direction, to keep each in order */
	uint64_t t_base;         /* HTTP/2: time of the connection preface */
	size_t writes;           /* writes not yet sent */
	uint32_t next_h2;        /* synthetic stream ids when a message has none */
	char *first_comment, *comment;
};

struct px {
	const struct model *m;
	FILE *f;
	int redact, err;
	struct px_conn *conns;   /* by stream_conn id - 1 */
	size_t nconns;
	struct px_write *w;
	size_t nw, cw;
	uint64_t order;
	long packets;
	uint16_t ip_id;
};

/* ---- pcapng blocks ---- */

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* pcapng is written in host byte order (the SHB says which) */
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* Append option @code to @b (padded to 4); 0 or -ENOMEM. */
static int opt(struct cap_buf *b, uint16_t code, const void *v, size_t n)
{
	uint8_t h[4], pad[4] = { 0 };

	if (n > 0xfff0)
		n = 0xfff0; /* an option length is 16 bits */
	put16(h, code);
	put16(h + 2, (uint16_t)n);
	return cap_buf_append(b, h, 4) | cap_buf_append(b, v, n) |
	       cap_buf_append(b, pad, (4 - n % 4) % 4);
}

/* Write block @type with body @body (already padded) and options @o. */
static void block(struct px *x, uint32_t type, const struct cap_buf *body, struct cap_buf *o)
{
	uint8_t h[8], t[4];
	uint32_t len;

	if (o->len && opt(o, 0, NULL, 0))
		x->err = -ENOMEM;
	len = 12 + (uint32_t)body->len + (uint32_t)o->len;
	put32(h, type);
	put32(h + 4, len);
	put32(t, len);
	if (fwrite(h, 1, 8, x->f) != 8 || fwrite(body->p, 1, body->len, x->f) != body->len ||
	    fwrite(o->p, 1, o->len, x->f) != o->len || fwrite(t, 1, 4, x->f) != 4)
		x->err = -EIO;
}

static int headers_blocks(struct px *x)
{
	struct cap_buf b = { 0 }, o = { 0 };
	uint8_t shb[16], idb[8], res = 9;
	static const char app[] = "asanalyze export --pcapng";
	static const char note[] = "decrypted TLS plaintext re-framed as synthetic TCP; "
				   "server port 80 stands for the real endpoint named in the "
				   "packet comments";

	put32(shb, 0x1A2B3C4D);
	put16(shb + 4, 1);
	put16(shb + 6, 0);
	memset(shb + 8, 0xff, 8); /* section length unknown */
	if (cap_buf_append(&b, shb, 16) | opt(&o, 1, note, strlen(note)) |
	    opt(&o, 4, app, strlen(app)))
		x->err = -ENOMEM;
	block(x, 0x0A0D0D0A, &b, &o);
	b.len = o.len = 0;
	put16(idb, PX_LINKTYPE_RAW);
	put16(idb + 2, 0);
	put32(idb + 4, 0); /* no snaplen */
	if (cap_buf_append(&b, idb, 8) | opt(&o, 2, "asanalyze-http", 14) |
	    opt(&o, 9, &res, 1)) /* if_tsresol: nanoseconds */
		x->err = -ENOMEM;
	block(x, 1, &b, &o);
	cap_buf_release(&b);
	cap_buf_release(&o);
	return x->err;
}

static void epb(struct px *x, uint64_t ts, const uint8_t *pkt, size_t n, const char *comment)
{
	struct cap_buf b = { 0 }, o = { 0 };
	uint8_t h[20], pad[4] = { 0 };

	put32(h, 0);
	put32(h + 4, (uint32_t)(ts >> 32));
	put32(h + 8, (uint32_t)ts);
	put32(h + 12, (uint32_t)n);
	put32(h + 16, (uint32_t)n);
	if (cap_buf_append(&b, h, 20) | cap_buf_append(&b, pkt, n) |
	    cap_buf_append(&b, pad, (4 - n % 4) % 4) |
	    (comment ? opt(&o, 1, comment, strlen(comment)) : 0))
		x->err = -ENOMEM;
	if (!x->err)
		block(x, 6, &b, &o);
	cap_buf_release(&b);
	cap_buf_release(&o);
	x->packets++;
}

/* ---- TCP/IP ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, (uint16_t)v);
}

/* One segment from @dir of @c with @flags and @n payload bytes. */
static void segment(struct px *x, struct px_conn *c, int dir, uint64_t ts, uint8_t flags,
		    const uint8_t *p, size_t n, const char *comment)
{
	uint8_t pkt[60 + PX_MSS], *tcp, ph[40];
	size_t ipl = c->v6 ? 40 : 20, al = c->v6 ? 16 : 4;
	uint32_t sum;

	memset(pkt, 0, ipl + 20);
	if (c->v6) {
		be32(pkt, 0x60000000u);
		be16(pkt + 4, (uint16_t)(20 + n));
		pkt[6] = 6;
		pkt[7] = 64;
	} else {
		pkt[0] = 0x45;
		be16(pkt + 2, (uint16_t)(20 + 20 + n));
		be16(pkt + 4, x->ip_id++);
		be16(pkt + 6, 0x4000); /* DF */
		pkt[8] = 64;
		pkt[9] = 6;
	}
	memcpy(pkt + (c->v6 ? 8 : 12), c->addr[dir], al);
	memcpy(pkt + (c->v6 ? 8 : 12) + al, c->addr[!dir], al);
	if (!c->v6)
		be16(pkt + 10, csum_fold(csum_add(0, pkt, 20)));
	tcp = pkt + ipl;
	be16(tcp, c->port[dir]);
	be16(tcp + 2, c->port[!dir]);
	be32(tcp + 4, c->seq[dir]);
	be32(tcp + 8, flags & 0x10 ? c->seq[!dir] : 0);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	be16(tcp + 14, 65535);
	if (n)
		memcpy(tcp + 20, p, n);
	/* pseudo header: addresses, protocol, TCP length */
	memcpy(ph, c->addr[dir], al);
	memcpy(ph + al, c->addr[!dir], al);
	sum = csum_add(0, ph, 2 * al) + 6 + (uint32_t)(20 + n);
	be16(tcp + 16, csum_fold(csum_add(sum, tcp, 20 + n)));
	epb(x, ts, pkt, ipl + 20 + n, comment);
	c->seq[dir] += (uint32_t)n + !!(flags & 0x03); /* SYN and FIN count one */
	if (flags & 0x10)
		c->acked[!dir] = c->seq[!dir];
}

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

static void tcp_open(struct px *x, struct px_conn *c, uint64_t ts)
{
	segment(x, c, 0, ts, TH_SYN, NULL, 0, c->first_comment);
	segment(x, c, 1, ts, TH_SYN | TH_ACK, NULL, 0, c->comment);
	segment(x, c, 0, ts, TH_ACK, NULL, 0, c->comment);
	c->open = 1;
}

static void tcp_data(struct px *x, struct px_conn *c, const struct px_write *w)
{
	size_t off = 0, k;

	while (off < w->n && !x->err) {
		k = w->n - off < PX_MSS ? w->n - off : PX_MSS;
		segment(x, c, w->dir, w->ts, TH_ACK | (off + k == w->n ? TH_PSH : 0), w->p + off, k,
			c->comment);
		off += k;
		/* the peer acks now and then, so the window never looks full */
		if (c->seq[w->dir] - c->acked[w->dir] >= PX_ACK_EVERY)
			segment(x, c, !w->dir, w->ts, TH_ACK, NULL, 0, c->comment);
	}
}

static void tcp_close(struct px *x, struct px_conn *c, uint64_t ts)
{
	segment(x, c, 0, ts, TH_FIN | TH_ACK, NULL, 0, c->comment);
	segment(x, c, 1, ts, TH_FIN | TH_ACK, NULL, 0, c->comment);
	segment(x, c, 0, ts, TH_ACK, NULL, 0, c->comment);
}

/* ---- HTTP messages to writes ---- */

/* Queue @n bytes (taken over) from @dir of connection @ci at @ts. */
static void add_write(struct px *x, size_t ci, int dir, uint64_t ts, uint8_t *p, size_t n)
{
	struct px_conn *c = &x->conns[ci];
	struct px_write *w;

	if (!p || !n) {
		free(p);
		if (!p && n)
			x->err = -ENOMEM;
		return;
	}
	/* an HTTP/1 direction is one byte stream: its writes keep their
	 * order; HTTP/2 frames of different streams may interleave by time,
	 * after the connection preface */
	if (c->h2)
		ts = ts < c->t_base ? c->t_base : ts;
	else
		ts = ts < c->last_ts[dir] ? c->last_ts[dir] : ts;
	c->last_ts[dir] = ts;
	w = au_push(&x->w, &x->nw, &x->cw, sizeof(*w));
	if (!w) {
		free(p);
		x->err = -ENOMEM;
		return;
	}
	*w = (struct px_write){ .ts = ts, .order = x->order++, .conn = (uint32_t)ci, .dir = dir,
				.p = p, .n = n };
	c->writes++;
}

static uint8_t *dup_bytes(const void *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

/* Headers the re-framing replaces or that do not apply to a decoded body. */
static int skip_header(const char *name, int h2)
{
	static const char *const drop[] = { "content-length", "transfer-encoding",
					    "content-encoding", "connection", "keep-alive" };
	size_t i;

	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (!strcasecmp(name, drop[i]))
			return 1;
	/* the HTTP/2 decoder copies :authority into host */
	return h2 && !strcasecmp(name, "host");
}

static char *hval(const struct px *x, const struct http_hdr *h)
{
	return x->redact ? redact_header(h->name, h->value) : au_strdup(h->value);
}

/* The body as sent (redacted), NUL-terminated; *n its length. */
static char *body_of(const struct px *x, const struct http_msg *msg, size_t *n)
{
	char *r;

	*n = 0;
	if (!msg->body.len)
		return calloc(1, 1);
	if (x->redact)
		return redact_bytes(msg->body.p, msg->body.len, n);
	r = malloc(msg->body.len + 1);
	if (!r)
		return NULL;
	memcpy(r, msg->body.p, msg->body.len);
	r[msg->body.len] = 0;
	*n = msg->body.len;
	return r;
}

static uint64_t msg_t0(const struct http_msg *msg, const struct stream_conn *sc)
{
	return msg->t_first ? msg->t_first : msg->t_head ? msg->t_head : msg->t_end ? msg->t_end
										     : sc->t_first;
}

static uint64_t msg_t1(const struct http_msg *msg, const struct stream_conn *sc)
{
	uint64_t t0 = msg_t0(msg, sc);

	return msg->t_end > t0 ? msg->t_end : t0;
}

/*
 * Cut a body into pieces with their times: an SSE body at its event
 * boundaries (blank lines), the k-th piece at the k-th event's time;
 * anything else in one piece at the message's end.  @emit gets each.
 */
struct px_piece_fn {
	void (*fn)(struct px *x, void *ctx, uint64_t ts, const char *p, size_t n, int last);
	void *ctx;
};

static void pieces(struct px *x, const struct conv_exchange *ex, const struct http_msg *msg,
		   const char *b, size_t n, const struct px_piece_fn *pf)
{
	uint64_t t1 = msg_t1(msg, ex->conn);
	size_t start = 0, i, k = 0;

	if (!msg->is_req && ex->is_sse && ex->nev > 1) {
		for (i = 0; i + 1 < n && k + 1 < ex->nev; i++) {
			size_t sep = b[i] == '\n' && b[i + 1] == '\n' ? 2
				     : i + 3 < n && !memcmp(b + i, "\r\n\r\n", 4) ? 4 : 0;
			uint64_t ts;

			if (!sep)
				continue;
			ts = ex->ev[k].ts ? ex->ev[k].ts : t1;
			pf->fn(x, pf->ctx, ts, b + start, i + sep - start, 0);
			start = i + sep;
			i = start - 1;
			k++;
		}
	}
	pf->fn(x, pf->ctx, t1, b + start, n - start, 1);
}

/* HTTP/1.1: the head, then the body in its pieces. */
static void h1_piece(struct px *x, void *ctx, uint64_t ts, const char *p, size_t n, int last)
{
	const size_t *ci = ctx;

	(void)last;
	if (n)
		add_write(x, ci[0], (int)ci[1], ts, dup_bytes(p, n), n);
}

static void h1_msg(struct px *x, size_t ci, const struct conv_exchange *ex,
		   const struct http_msg *msg)
{
	struct cap_buf h = { 0 };
	size_t i, n, ctx[2] = { ci, !msg->is_req };
	char *body = body_of(x, msg, &n), *t = NULL, *line;
	int nobody = !msg->is_req && (msg->status < 200 || msg->status == 204 ||
				      msg->status == 304);
	int rc = 0;

	if (msg->is_req) {
		t = x->redact ? redact_str(msg->target ? msg->target : "/")
			      : au_strdup(msg->target ? msg->target : "/");
		line = au_fmt("%s %s HTTP/1.1\r\n", msg->method ? msg->method : "GET", t ? t : "/");
	} else {
		line = au_fmt("HTTP/1.1 %03d %s\r\n", msg->status, msg->reason ? msg->reason : "");
	}
	rc |= !line || cap_buf_append(&h, line, strlen(line));
	free(line);
	free(t);
	for (i = 0; i < msg->nhdrs && !rc; i++) {
		char *v;

		if (skip_header(msg->hdrs[i].name, 0) || msg->hdrs[i].name[0] == ':')
			continue;
		v = hval(x, &msg->hdrs[i]);
		line = v ? au_fmt("%s: %s\r\n", msg->hdrs[i].name, v) : NULL;
		rc |= !line || cap_buf_append(&h, line, strlen(line));
		free(line);
		free(v);
	}
	line = nobody || (msg->is_req && !n) ? au_strdup("\r\n")
					     : au_fmt("Content-Length: %zu\r\n\r\n", n);
	rc |= !body || !line || cap_buf_append(&h, line, strlen(line));
	free(line);
	if (rc) {
		x->err = -ENOMEM;
	} else {
		add_write(x, ci, !msg->is_req, msg_t0(msg, ex->conn), h.p, h.len);
		h.p = NULL;
		if (!nobody) {
			struct px_piece_fn pf = { h1_piece, ctx };

			pieces(x, ex, msg, body, n, &pf);
		}
	}
	cap_buf_release(&h);
	free(body);
}

/* ---- HTTP/2 ---- */

static int h2_frame(struct cap_buf *b, uint8_t type, uint8_t flags, uint32_t sid,
		    const void *p, size_t n)
{
	uint8_t h[9];

	h[0] = (uint8_t)(n >> 16);
	h[1] = (uint8_t)(n >> 8);
	h[2] = (uint8_t)n;
	h[3] = type;
	h[4] = flags;
	be32(h + 5, sid & 0x7fffffffu);
	return cap_buf_append(b, h, 9) | cap_buf_append(b, p, n);
}

/* An HPACK integer with an @bits-bit prefix after the bits of @first. */
static int hp_int(struct cap_buf *b, unsigned bits, uint8_t first, size_t v)
{
	size_t max = (1u << bits) - 1;
	uint8_t c;
	int rc = 0;

	if (v < max) {
		c = first | (uint8_t)v;
		return cap_buf_append(b, &c, 1);
	}
	c = first | (uint8_t)max;
	rc |= cap_buf_append(b, &c, 1);
	for (v -= max; v >= 128; v >>= 7) {
		c = (uint8_t)(v % 128 + 128);
		rc |= cap_buf_append(b, &c, 1);
	}
	c = (uint8_t)v;
	return rc | cap_buf_append(b, &c, 1);
}

/* A literal header field without indexing, new name, no Huffman: the
 * simplest encoding every decoder reads, and it leaves no state. */
static int hp_field(struct cap_buf *b, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	return hp_int(b, 4, 0x00, 0) | hp_int(b, 7, 0x00, nl) | cap_buf_append(b, name, nl) |
	       hp_int(b, 7, 0x00, vl) | cap_buf_append(b, value, vl);
}

static int h2_block(const struct px *x, const struct http_msg *msg, struct cap_buf *hb)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < msg->nhdrs && !rc; i++) {
		const struct http_hdr *h = &msg->hdrs[i];
		char *v;

		if (skip_header(h->name, 1))
			continue;
		v = x->redact && !strcmp(h->name, ":path") ? redact_str(h->value) : hval(x, h);
		rc |= !v || hp_field(hb, h->name, v);
		free(v);
	}
	return rc;
}

/* HEADERS (+ CONTINUATION) for @msg on stream @sid. */
static int h2_headers(const struct px *x, const struct http_msg *msg, uint32_t sid, int end,
		      struct cap_buf *out)
{
	struct cap_buf hb = { 0 };
	size_t off = 0, k;
	int rc = h2_block(x, msg, &hb), first = 1;

	do {
		k = hb.len - off < PX_H2_FRAME ? hb.len - off : PX_H2_FRAME;
		rc |= h2_frame(out, first ? 1 : 9,
			       (off + k == hb.len ? 0x4 : 0) | (first && end ? 0x1 : 0), sid,
			       hb.len ? hb.p + off : NULL, k);
		off += k;
		first = 0;
	} while (off < hb.len && !rc);
	cap_buf_release(&hb);
	return rc;
}

struct px_h2 {
	size_t ci;
	int dir;
	uint32_t sid;
};

static void h2_piece(struct px *x, void *ctx, uint64_t ts, const char *p, size_t n, int last)
{
	const struct px_h2 *s = ctx;
	struct cap_buf b = { 0 };
	size_t off = 0, k;
	int rc = 0;

	do {
		k = n - off < PX_H2_FRAME ? n - off : PX_H2_FRAME;
		rc |= h2_frame(&b, 0, last && off + k == n ? 0x1 : 0, s->sid, p + off, k);
		off += k;
	} while (off < n && !rc);
	if (rc)
		x->err = -ENOMEM;
	else
		add_write(x, s->ci, s->dir, ts, b.p, b.len);
	if (rc)
		cap_buf_release(&b);
}

static void h2_msg(struct px *x, size_t ci, const struct conv_exchange *ex,
		   const struct http_msg *msg, uint32_t sid)
{
	struct px_h2 s = { ci, !msg->is_req, sid };
	struct px_piece_fn pf = { h2_piece, &s };
	struct cap_buf b = { 0 };
	size_t n;
	char *body = body_of(x, msg, &n);
	int end = !n;

	if (!body || h2_headers(x, msg, sid, end, &b)) {
		x->err = -ENOMEM;
		cap_buf_release(&b);
		free(body);
		return;
	}
	add_write(x, ci, s.dir, msg_t0(msg, ex->conn), b.p, b.len);
	if (!end)
		pieces(x, ex, msg, body, n, &pf);
	free(body);
}

/* The client's preface and both sides' SETTINGS: windows as large as
 * allowed, so long bodies need no WINDOW_UPDATE. */
static void h2_preface(struct px *x, size_t ci, uint64_t ts)
{
	static const char pri[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	uint8_t set[6] = { 0, 4, 0x7f, 0xff, 0xff, 0xff }, inc[4];
	struct cap_buf c = { 0 }, s = { 0 }, a = { 0 };
	int rc;

	be32(inc, 0x7fffffffu - 65535u);
	rc = cap_buf_append(&c, pri, sizeof(pri) - 1) | h2_frame(&c, 4, 0, 0, set, 6) |
	     h2_frame(&c, 8, 0, 0, inc, 4) | h2_frame(&s, 4, 0, 0, set, 6) |
	     h2_frame(&s, 8, 0, 0, inc, 4) | h2_frame(&s, 4, 1, 0, NULL, 0) |
	     h2_frame(&a, 4, 1, 0, NULL, 0);
	if (rc) {
		x->err = -ENOMEM;
		cap_buf_release(&c);
		cap_buf_release(&s);
		cap_buf_release(&a);
		return;
	}
	add_write(x, ci, 0, ts, c.p, c.len);
	add_write(x, ci, 1, ts, s.p, s.len);
	add_write(x, ci, 0, ts, a.p, a.len);
}

/* ---- connections ---- */

/* Comments must be UTF-8: keep printable ASCII of captured names. */
static void clean(char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

static void conn_addrs(struct px *x, struct px_conn *c, const struct tree_proc *p,
		       const struct model_net *net)
{
	uint64_t id = c->sc->id;
	uint32_t pid = p ? p->pid : c->sc->pid;

	if (net && net->family == AF_INET6 && inet_pton(AF_INET6, net->addr, c->addr[1]) == 1) {
		c->v6 = 1;
		/* fd00:a5:1::PID */
		c->addr[0][0] = 0xfd;
		c->addr[0][3] = 0xa5;
		c->addr[0][5] = 1;
		be32(c->addr[0] + 12, pid);
	} else {
		if (!net || net->family != AF_INET ||
		    inet_pton(AF_INET, net->addr, c->addr[1]) != 1) {
			uint8_t a[4] = { 198, (uint8_t)(18 + ((id >> 16) & 1)), (uint8_t)(id >> 8),
					 (uint8_t)id };

			memcpy(c->addr[1], a, 4);
		}
		c->addr[0][0] = 10;
		c->addr[0][1] = (uint8_t)(pid >> 16);
		c->addr[0][2] = (uint8_t)(pid >> 8);
		c->addr[0][3] = (uint8_t)pid;
	}
	(void)x;
	c->port[0] = (uint16_t)(32768 + id % 28000);
	c->port[1] = EXPORT_PCAPNG_PORT;
	c->seq[0] = (uint32_t)(id * 2654435761u);
	c->seq[1] = ~c->seq[0];
	c->acked[0] = c->seq[0];
	c->acked[1] = c->seq[1];
}

static int conn_init(struct px *x, struct px_conn *c, const struct stream_conn *sc)
{
	const struct model_net *net = model_conn_net(x->m, sc);
	const struct tree_proc *p = model_conn_proc(x->m, sc);
	char comm[sizeof(p->comm)] = "?", *sni = NULL, ep[96] = "unknown";
	struct px_write *w;

	c->sc = sc;
	c->used = 1;
	c->h2 = !strcmp(conv_proto(sc), "h2");
	c->next_h2 = 0x40000001u; /* above any the capture named */
	conn_addrs(x, c, p, net);
	if (p && p->comm[0])
		memcpy(comm, p->comm, sizeof(comm));
	clean(comm);
	if (net)
		snprintf(ep, sizeof(ep), net->family == AF_INET6 ? "[%s]:%u" : "%s:%u", net->addr,
			 net->port);
	clean(ep);
	if (sc->sni && (sni = au_strdup(sc->sni)))
		clean(sni);
	c->comment = au_fmt("pid %u comm %s conn %llu", p ? p->pid : sc->pid, comm,
			    (unsigned long long)sc->id);
	c->first_comment = au_fmt("pid %u comm %s conn %llu: decrypted TLS %s to %s%s%s, "
				  "shown as plaintext on port %u", p ? p->pid : sc->pid, comm,
				  (unsigned long long)sc->id, c->h2 ? "HTTP/2" : "HTTP/1.1", ep,
				  sni ? " sni " : "", sni ? sni : "", EXPORT_PCAPNG_PORT);
	free(sni);
	c->t_base = sc->t_first;
	/* the handshake at its connect(), among the writes (p NULL), so the
	 * time to the first byte reads right; without one, at the first write */
	if (net && net->type == CAP_REC_CONNECT) {
		w = au_push(&x->w, &x->nw, &x->cw, sizeof(*w));
		if (!w)
			return -ENOMEM;
		*w = (struct px_write){ .ts = net->ts, .order = x->order++,
					.conn = (uint32_t)(sc->id - 1) };
	}
	return c->comment && c->first_comment ? 0 : -ENOMEM;
}

static void exchange(struct px *x, const struct conv_exchange *ex)
{
	size_t ci = ex->conn->id - 1;
	struct px_conn *c;
	uint32_t sid;

	if (ci >= x->nconns)
		return;
	c = &x->conns[ci];
	if (!c->used) {
		if (conn_init(x, c, ex->conn)) {
			x->err = -ENOMEM;
			return;
		}
		if (c->h2)
			h2_preface(x, ci, c->t_base);
	}
	if (!c->h2) {
		if (ex->req)
			h1_msg(x, ci, ex, ex->req);
		if (ex->resp)
			h1_msg(x, ci, ex, ex->resp);
		return;
	}
	sid = ex->h2_stream;
	if (!sid) {
		sid = c->next_h2;
		c->next_h2 += 2;
	}
	if (ex->req)
		h2_msg(x, ci, ex, ex->req, sid);
	if (ex->resp)
		h2_msg(x, ci, ex, ex->resp, sid);
}

static int by_time(const void *a, const void *b)
{
	const struct px_write *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void send_all(struct px *x)
{
	int64_t off = x->m->has_clock ? x->m->mono_to_real : 0;
	size_t i;

	if (x->nw)
		if (x->nw > 1) /* (qsort of a NULL array is undefined, even of 0) */
			qsort(x->w, x->nw, sizeof(*x->w), by_time);
	if (headers_blocks(x))
		return;
	for (i = 0; i < x->nw && !x->err; i++) {
		struct px_write *w = &x->w[i];
		struct px_conn *c = &x->conns[w->conn];
		struct px_write t = *w;

		t.ts = (uint64_t)((int64_t)w->ts + off);
		if (!c->open)
			tcp_open(x, c, t.ts);
		if (!w->p) /* the handshake: done here or by earlier data */
			continue;
		tcp_data(x, c, &t);
		if (!--c->writes)
			tcp_close(x, c, t.ts);
	}
}

long export_pcapng_write(const struct model *m, const struct causal *cz, FILE *f, int redact)
{
	struct px x = { .m = m, .f = f, .redact = redact };
	size_t i;

	(void)cz;
	x.nconns = m->streams ? m->streams->n : 0;
	x.conns = calloc(x.nconns + 1, sizeof(*x.conns));
	if (!x.conns)
		return -ENOMEM;
	for (i = 0; m->convs && i < m->convs->nex && !x.err; i++) {
		const struct conv_exchange *ex = m->convs->ex[i];

		if (ex->conn && !ex->ws && (ex->req || ex->resp))
			exchange(&x, ex);
	}
	if (!x.err)
		send_all(&x);
	for (i = 0; i < x.nw; i++)
		free(x.w[i].p);
	free(x.w);
	for (i = 0; i < x.nconns; i++) {
		free(x.conns[i].comment);
		free(x.conns[i].first_comment);
	}
	free(x.conns);
	if (x.err)
		return x.err;
	return ferror(f) ? -EIO : x.packets;
}
