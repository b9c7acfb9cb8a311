/* SPDX-License-Identifier: MIT */
/*
 * stream.c - TLS plaintext reassembly (see stream.h).
 */
#include "stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

int stream_feed(struct stream_set *s, const struct cap_rec *rec)
{
	struct cap_tls t;
	struct stream_conn *c;
	struct au_key k;
	int dir;

	if (rec->hdr.type != CAP_REC_TLS && rec->hdr.type != CAP_REC_TLS_EVENT)
		return 0;
	cap_rec_fixed(rec, &t, sizeof(t));
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

	for (i = 0; i < s->n; i++) {
		end_call(s, s->conns[i], 0, s->conns[i]->t_last);
		end_call(s, s->conns[i], 1, s->conns[i]->t_last);
	}
}
