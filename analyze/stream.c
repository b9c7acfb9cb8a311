/* SPDX-License-Identifier: MIT */
/*
 * stream.c - TLS plaintext reassembly (see stream.h).
 */
#include "stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int stream_new(const struct stream_ops *ops, void *ctx, struct stream_set **out)
{
	struct stream_set *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->ops = ops;
	s->ctx = ctx;
	*out = s;
	return 0;
}

static void drop_pending(struct stream_dir *d)
{
	unsigned i;

	for (i = 0; i < d->npend; i++)
		free(d->pend[i].data);
	d->npend = 0;
	free(d->pend);
	d->pend = NULL;
}

static void aead_free(struct stream_set *s);
struct stream_actx;
static int aead_release(struct stream_set *s, struct stream_actx *a);

void stream_free(struct stream_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		drop_pending(&s->conns[i]->dir[0]);
		drop_pending(&s->conns[i]->dir[1]);
		free(s->conns[i]->sni);
		free(s->conns[i]);
	}
	free(s->conns);
	au_map_release(&s->by_ptr);
	aead_free(s);
	free(s);
}

static struct stream_conn *conn_new(struct stream_set *s, const struct cap_rec *rec,
				    const struct cap_tls *t)
{
	struct au_key k = { rec->hdr.pid, rec->hdr.task_start_ns, t->conn };
	struct stream_conn *c = calloc(1, sizeof(*c)), **slot;

	if (!c)
		return NULL;
	slot = au_push(&s->conns, &s->n, &s->cap, sizeof(*slot));
	if (!slot || au_map_put(&s->by_ptr, k, c)) {
		if (slot)
			s->n--;
		free(c);
		return NULL;
	}
	*slot = c;
	c->id = s->n;
	c->pid = rec->hdr.pid;
	c->start_ns = rec->hdr.task_start_ns;
	c->ptr = t->conn;
	c->first_seq = rec->hdr.seq;
	c->fd = t->fd;
	c->t_first = c->t_last = rec->hdr.ts_ns;
	if (s->ops->open)
		s->ops->open(s->ctx, c);
	return c;
}

static void gap(struct stream_set *s, struct stream_conn *c, int dir, uint64_t ts, uint64_t n)
{
	if (!n)
		return;
	c->dir[dir].gaps++;
	c->dir[dir].gap_bytes += n;
	if (s->ops->gap)
		s->ops->gap(s->ctx, c, dir, ts, n);
}

static void deliver(struct stream_set *s, struct stream_conn *c, int dir, uint64_t ts,
		    const uint8_t *p, size_t n)
{
	c->dir[dir].bytes += n;
	if (n && s->ops->data)
		s->ops->data(s->ctx, c, dir, ts, p, n);
}

/* Deliver pending chunks that have become contiguous. */
static void flush_pending(struct stream_set *s, struct stream_conn *c, int dir, int force)
{
	struct stream_dir *d = &c->dir[dir];
	unsigned i, best;

	while (d->npend) {
		best = 0;
		for (i = 1; i < d->npend; i++)
			if (d->pend[i].off < d->pend[best].off)
				best = i;
		struct stream_pending p = d->pend[best];

		if (p.off > d->off) {
			if (!force)
				return;
			gap(s, c, dir, p.ts, p.off - d->off);
			d->off = p.off;
		}
		if (p.off + p.len > d->off) {
			size_t skip = d->off - p.off;

			deliver(s, c, dir, p.ts, p.data + skip, p.len - skip);
			d->off = p.off + (uint32_t)p.len;
		}
		free(p.data);
		d->pend[best] = d->pend[--d->npend];
	}
}

/* End the current call: whatever was not delivered is a gap. */
static void end_call(struct stream_set *s, struct stream_conn *c, int dir, uint64_t ts)
{
	struct stream_dir *d = &c->dir[dir];

	if (!d->active)
		return;
	flush_pending(s, c, dir, 1);
	if (d->orig_len > d->off)
		gap(s, c, dir, ts, d->orig_len - d->off);
	d->active = 0;
}

static void add_chunk(struct stream_set *s, struct stream_conn *c, int dir,
		      const struct cap_rec *rec)
{
	struct stream_dir *d = &c->dir[dir];
	uint32_t off = rec->hdr.data_off;
	uint64_t ts = rec->hdr.ts_ns;

	if (d->active && d->seq != rec->hdr.seq)
		end_call(s, c, dir, ts);
	if (!d->active) {
		d->active = 1;
		d->seq = rec->hdr.seq;
		d->off = 0;
		d->orig_len = 0;
		d->calls++;
	}
	d->chunks++;
	if (rec->hdr.orig_len > d->orig_len)
		d->orig_len = rec->hdr.orig_len;
	if (!d->pend && off > d->off)
		d->pend = calloc(STREAM_PENDING_MAX, sizeof(*d->pend));
	if (off > d->off && d->pend && d->npend < STREAM_PENDING_MAX) {
		/* an early chunk of this call: keep it until the hole fills */
		struct stream_pending *p = &d->pend[d->npend];

		p->data = malloc(rec->data_len ? rec->data_len : 1);
		if (p->data) {
			memcpy(p->data, rec->data, rec->data_len);
			p->off = off;
			p->len = rec->data_len;
			p->ts = ts;
			d->npend++;
			return;
		}
	}
	if (off > d->off) {
		flush_pending(s, c, dir, 1);
		if (off > d->off) {
			gap(s, c, dir, ts, off - d->off);
			d->off = off;
		}
	}
	if (off + rec->data_len > d->off) {
		size_t skip = d->off - off;

		deliver(s, c, dir, ts, rec->data + skip, rec->data_len - skip);
		d->off = off + (uint32_t)rec->data_len;
	}
	flush_pending(s, c, dir, 0);
	if (!d->npend && (!(rec->hdr.flags & CAP_RF_MORE) || d->off >= d->orig_len))
		end_call(s, c, dir, ts);
}

/* ---- aws-lc AEAD records: one TLS record each (see stream.h) ---- */

/* cap_tls.func of EVP_AEAD_CTX_seal and EVP_AEAD_CTX_open (ascap(5)) */
#define FUNC_AEAD_SEAL 16
#define FUNC_AEAD_OPEN 17
#define FUNC_AEAD_SEAL_SCATTER 18
#define TLS_APP_DATA 23
#define TLS_ALERT 21

/* a record kept until the fd of its context is known */
struct stream_held {
	struct cap_rec_hdr hdr;
	struct cap_tls t;
	uint8_t *data;
	size_t len;
};

struct stream_actx {
	uint32_t pid;
	uint64_t start, ctx;
	int32_t fd;
	int dir;                /* 0 write, 1 read, -1 not seen yet */
	int closed;             /* an alert went through it: its TLS session is over */
	struct stream_conn *c;
	struct stream_held *held;
	size_t nheld, cheld;
};

static void aead_free(struct stream_set *s)
{
	size_t i, j;

	for (i = 0; i < s->nactx; i++) {
		for (j = 0; j < s->actx[i]->nheld; j++)
			free(s->actx[i]->held[j].data);
		free(s->actx[i]->held);
		free(s->actx[i]);
	}
	free(s->actx);
	au_map_release(&s->aead_by_ctx);
	au_map_release(&s->aead_by_fd);
}

/*
 * The context of a record, made anew when the one known at that address
 * is over: the program freed it and its allocator gave the address to the
 * next connection's context (seen with codex: the write context of one
 * connection came back as the read context of the next).  A context
 * serves one direction of one socket and ends with an alert or with the
 * close of its socket (aead_close_fd).
 */
static struct stream_actx *actx_get(struct stream_set *s, const struct cap_rec *rec, uint64_t ctx,
				    const struct cap_tls *t)
{
	struct au_key k = { rec->hdr.pid, rec->hdr.task_start_ns, ctx };
	struct stream_actx *a = au_map_get(&s->aead_by_ctx, k), **slot;
	int dir = t->dir == CAP_TLS_READ ? 1 : 0;
	/* the recorder's "written to fd" record still belongs to a closed one */
	int announce = !rec->data_len && !rec->hdr.orig_len;

	/*
	 * Not a different fd: the recorder learns a read's fd from the
	 * thread's last socket read, which another connection's may be.
	 */
	if (a && (!a->closed || announce) && (a->dir < 0 || a->dir == dir))
		return a;
	if (a && a->nheld && aead_release(s, a))
		return NULL;
	a = calloc(1, sizeof(*a));
	slot = a ? au_push(&s->actx, &s->nactx, &s->cactx, sizeof(*slot)) : NULL;
	if (!slot || au_map_put(&s->aead_by_ctx, k, a)) {
		if (slot)
			s->nactx--;
		free(a);
		return NULL;
	}
	*slot = a;
	a->pid = rec->hdr.pid;
	a->start = rec->hdr.task_start_ns;
	a->ctx = ctx;
	a->fd = -1;
	a->dir = -1;
	return a;
}

/* An alert record (TLS 1.3 inner type or TLS 1.2 header type 21). */
static int aead_alert(const struct cap_rec *rec, const struct cap_tls *t)
{
	uint64_t r = (uint64_t)t->ret;
	unsigned adlen = r & 0xffff, a8 = (r >> 32) & 0xff;
	size_t n = rec->data_len;

	if (adlen == 13)
		return a8 == TLS_ALERT;
	if (rec->hdr.data_off || (rec->hdr.flags & CAP_RF_MORE))
		return 0;
	while (n && !rec->data[n - 1])
		n--;
	return n && rec->data[n - 1] == TLS_ALERT;
}

/*
 * Bytes of application data at the start of an AEAD record, or -1 when it
 * is to be skipped.  cap_tls.ret holds the AAD's length and its bytes 0, 1,
 * 8 and 9 (ascap(5)): TLS 1.3's is the 5-byte record header 23 3 3 len and
 * the plaintext ends with the inner content type then zero padding; TLS
 * 1.2's is seq(8) type version(2) length(2).  Anything else is another use
 * of the cipher, not TLS.
 */
static long aead_payload(const struct cap_rec *rec, const struct cap_tls *t)
{
	uint64_t r = (uint64_t)t->ret;
	unsigned adlen = r & 0xffff, a0 = (r >> 16) & 0xff, a1 = (r >> 24) & 0xff;
	unsigned a8 = (r >> 32) & 0xff, a9 = (r >> 40) & 0xff;
	size_t n = rec->data_len;

	if (adlen == 13 && a9 == 3)
		return a8 == TLS_APP_DATA ? (long)n : -1;
	if (adlen != 5 || a0 != TLS_APP_DATA || a1 != 3)
		return -1;
	if (t->func == FUNC_AEAD_SEAL_SCATTER && ((r >> 48) & 0xff))
		/* sealed out of place: the type and padding were the extra input */
		return (r >> 56) == TLS_APP_DATA ? (long)n : -1;
	if (rec->hdr.data_off || (rec->hdr.flags & (CAP_RF_MORE | CAP_RF_TRUNC)) ||
	    n < rec->hdr.orig_len)
		return (long)n; /* cut short: the type byte is not there */
	while (n && !rec->data[n - 1])
		n--;
	if (!n || rec->data[n - 1] != TLS_APP_DATA)
		return -1;
	return (long)n - 1;
}

/*
 * aead_by_fd's value for an fd that was closed (the map cannot delete):
 * compared by address only, never written.
 */
static const struct stream_conn fd_closed;

static struct stream_conn *by_fd(const struct stream_set *s, struct au_key k)
{
	struct stream_conn *c = au_map_get(&s->aead_by_fd, k);

	return c == &fd_closed ? NULL : c;
}

/* The connection of context @a, made or found by fd; NULL on -ENOMEM. */
static struct stream_conn *actx_conn(struct stream_set *s, struct stream_actx *a, int dir,
				     const struct cap_rec *rec, const struct cap_tls *t)
{
	struct au_key k = { a->pid, a->start, (uint64_t)(int64_t)a->fd };
	struct stream_conn *c;
	struct cap_tls ct = *t;

	if (a->c)
		return a->c;
	c = a->fd >= 0 ? by_fd(s, k) : NULL;
	if (c && c->aead_ctx[dir] && c->aead_ctx[dir] != a->ctx)
		c = NULL; /* that direction has its context: the fd was reused */
	if (!c) {
		ct.fd = a->fd;
		c = conn_new(s, rec, &ct);
		if (!c || (a->fd >= 0 && au_map_put(&s->aead_by_fd, k, c)))
			return NULL;
	}
	c->aead_ctx[dir] = a->ctx;
	a->c = c;
	return c;
}

static void aead_deliver(struct stream_set *s, struct stream_conn *c, int dir,
			 const struct cap_rec *r)
{
	c->t_last = r->hdr.ts_ns;
	if (s->ops->chunk)
		s->ops->chunk(s->ctx, c, r);
	if (r->data_len || r->hdr.orig_len)
		add_chunk(s, c, dir, r);
}

static int aead_hold(struct stream_actx *a, const struct cap_rec *r, const struct cap_tls *t)
{
	struct stream_held *h = au_push(&a->held, &a->nheld, &a->cheld, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->data = malloc(r->data_len ? r->data_len : 1);
	if (!h->data) {
		a->nheld--;
		return -ENOMEM;
	}
	memcpy(h->data, r->data, r->data_len);
	h->len = r->data_len;
	h->hdr = r->hdr;
	h->t = *t;
	return 0;
}

/* Hand the records @a held to its connection (by fd when known now). */
static int aead_release(struct stream_set *s, struct stream_actx *a)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < a->nheld; i++) {
		struct stream_held *h = &a->held[i];
		struct cap_rec r = { .hdr = h->hdr, .fixed = (const uint8_t *)&h->t,
				     .fixed_len = sizeof(h->t), .data = h->data,
				     .data_len = h->len };
		int dir = h->t.dir == CAP_TLS_READ ? 1 : 0;
		struct stream_conn *c = actx_conn(s, a, dir, &r, &h->t);

		if (!c)
			rc = -ENOMEM;
		else
			aead_deliver(s, c, dir, &r);
		free(h->data);
	}
	free(a->held);
	a->held = NULL;
	a->nheld = a->cheld = 0;
	return rc;
}

/*
 * A context seen only with records that carry no application data (a
 * handshake message, an alert) still marks its direction of the connection
 * its fd names as taken: attached to a running process, a connection whose
 * requests went out before is seen with its reads alone, and the next one
 * on the same fd must not take its empty write side.
 */
static void aead_claim(struct stream_set *s, struct stream_actx *a, int dir)
{
	struct au_key k = { a->pid, a->start, (uint64_t)(int64_t)a->fd };
	struct stream_conn *c;

	if (a->c || a->nheld || a->fd < 0)
		return;
	c = by_fd(s, k);
	if (c && !c->aead_ctx[dir])
		c->aead_ctx[dir] = a->ctx;
}

/*
 * A seal's fd is the recorder's binding of its context, not a syscall's:
 * recorders before the binding was checked against the socket's inode kept
 * it across a free of the context, so the next connection given the same
 * address sealed its request "on" the closed socket.  A seal naming an fd
 * closed since it carried a connection is taken as saying no fd; the
 * recorder's "written to fd" record that follows gives the right one.
 */
static int aead_stale_fd(const struct stream_set *s, const struct cap_rec *rec,
			 const struct cap_tls *t)
{
	struct au_key k = { rec->hdr.pid, rec->hdr.task_start_ns, (uint64_t)(int64_t)t->fd };

	return t->dir != CAP_TLS_READ && (rec->data_len || rec->hdr.orig_len) &&
	       au_map_get(&s->aead_by_fd, k) == &fd_closed;
}

static int aead_feed(struct stream_set *s, const struct cap_rec *rec, const struct cap_tls *t)
{
	struct stream_actx *a = actx_get(s, rec, t->conn, t);
	struct stream_conn *c;
	struct cap_rec r = *rec;
	int dir = t->dir == CAP_TLS_READ ? 1 : 0;
	long n;

	if (!a)
		return -ENOMEM;
	if (t->fd >= 0 && a->fd < 0 && !aead_stale_fd(s, rec, t))
		a->fd = t->fd;
	a->dir = dir;
	if (!rec->data_len && !rec->hdr.orig_len) { /* the recorder: "written to fd" */
		aead_claim(s, a, dir);
		return a->nheld && a->fd >= 0 ? aead_release(s, a) : 0;
	}
	n = aead_payload(rec, t);
	if (n < 0) {
		aead_claim(s, a, dir);
		a->closed = aead_alert(rec, t);
		return 0;
	}
	/* the view the streams see: the application data alone */
	if (rec->hdr.orig_len == rec->data_len)
		r.hdr.orig_len = (uint32_t)n;
	r.data_len = (size_t)n;
	if (!a->c && a->fd < 0)
		return aead_hold(a, &r, t);
	if (a->nheld && aead_release(s, a))
		return -ENOMEM;
	c = actx_conn(s, a, dir, &r, t);
	if (!c)
		return -ENOMEM;
	aead_deliver(s, c, dir, &r);
	return 0;
}

/*
 * close(fd) ends what the AEAD contexts of that socket carried: a program
 * that opens its next connection on the same fd number may hand it
 * contexts at the same addresses too, with no alert seen in between.
 */
static void aead_close_fd(struct stream_set *s, const struct cap_rec *rec)
{
	struct au_key k = { rec->hdr.pid, rec->hdr.task_start_ns, 0 };
	struct cap_file f;
	size_t i;

	if (!s->nactx)
		return;
	cap_rec_fixed(rec, &f, sizeof(f));
	if (f.ret != 0 || f.fd < 0)
		return;
	/* the model gives every close: skip files (mode 0: not known) */
	if (f.mode && (f.mode & S_IFMT) != S_IFSOCK)
		return;
	k.c = (uint64_t)(int64_t)f.fd;
	if (by_fd(s, k))
		au_map_put(&s->aead_by_fd, k, (void *)&fd_closed);
	for (i = 0; i < s->nactx; i++) {
		struct stream_actx *a = s->actx[i];

		if (a->pid == rec->hdr.pid && a->start == rec->hdr.task_start_ns && a->fd == f.fd)
			a->closed = 1;
	}
}

int stream_feed(struct stream_set *s, const struct cap_rec *rec)
{
	struct cap_tls t;
	struct stream_conn *c;
	struct au_key k;
	int dir;

	if (rec->hdr.type == CAP_REC_CLOSE) {
		aead_close_fd(s, rec);
		return 0;
	}
	if (rec->hdr.type != CAP_REC_TLS && rec->hdr.type != CAP_REC_TLS_EVENT)
		return 0;
	cap_rec_fixed(rec, &t, sizeof(t));
	if (rec->hdr.type == CAP_REC_TLS && t.func >= FUNC_AEAD_SEAL &&
	    t.func <= FUNC_AEAD_SEAL_SCATTER)
		return aead_feed(s, rec, &t);
	k = (struct au_key){ rec->hdr.pid, rec->hdr.task_start_ns, t.conn };
	c = au_map_get(&s->by_ptr, k);
	if (rec->hdr.type == CAP_REC_TLS_EVENT) {
		/* a handshake on a pointer that carried data: a new connection */
		if (c && (c->dir[0].bytes || c->dir[1].bytes)) {
			end_call(s, c, 0, rec->hdr.ts_ns);
			end_call(s, c, 1, rec->hdr.ts_ns);
			c = NULL;
		}
		if (!c && !(c = conn_new(s, rec, &t)))
			return -ENOMEM;
		if (rec->data_len && !c->sni)
			c->sni = au_strndup(rec->data, strnlen((const char *)rec->data,
							       rec->data_len));
		return 0;
	}
	if (!c && !(c = conn_new(s, rec, &t)))
		return -ENOMEM;
	c->t_last = rec->hdr.ts_ns;
	if (c->fd < 0)
		c->fd = t.fd;
	if (s->ops->chunk)
		s->ops->chunk(s->ctx, c, rec);
	dir = t.dir == CAP_TLS_READ ? 1 : 0;
	if (!rec->data_len && !rec->hdr.orig_len)
		return 0; /* failed or empty call (want-read, EOF) */
	add_chunk(s, c, dir, rec);
	return 0;
}

void stream_finish(struct stream_set *s)
{
	size_t i;

	/* contexts whose fd never became known: connections of their own */
	for (i = 0; i < s->nactx; i++)
		if (s->actx[i]->nheld)
			aead_release(s, s->actx[i]);

	for (i = 0; i < s->n; i++) {
		end_call(s, s->conns[i], 0, s->conns[i]->t_last);
		end_call(s, s->conns[i], 1, s->conns[i]->t_last);
	}
}
