/* SPDX-License-Identifier: MIT */
/*
 * model_live.c - streaming model: rows to the sink, calls in request
 * order, online loss detection, live causality (see model_live.h).
 */
#include "model_live.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/autil.h"
#include "analyze/causal.h"

struct seqent {
	uint64_t seq, ts;
};

/* One CPU's sequence: pend sorted by seq, all > last. */
struct seq_track {
	struct seqent *pend;
	size_t npend, cpend;
	uint64_t last;
	int have_base;
};

/* What llm_mark_retries compares of an earlier call. */
struct retry_ent {
	uint32_t pid;
	int failed;
	uint64_t body_h, body_len;
	char *path;
};

struct model_live {
	struct llm_call **buf;     /* complete calls, by (t_req, id), not given yet */
	size_t nbuf, cbuf;
	struct llm_call *prev[MODEL_PREV_HISTORY]; /* answers with a response id */
	size_t nprev;
	struct retry_ent retry[MODEL_RETRY_HISTORY];
	size_t nretry;             /* given so far (ring index) */
	uint64_t tool_rows;
	size_t ncalls;             /* given so far */
	uint64_t procs_seen;       /* processes given to causal_live: ids up to this */
	struct causal_live *cz;
	/* loss detection, one sequence per CPU (CAP_SEQ_CPU), by CPU */
	struct seq_track *seqt;
	size_t nseqt;
	struct model_drop *gaps;
	size_t ngaps, cgaps;
};

static void on_effect(void *ctx, const struct model_effect *e)
{
	struct model *m = ctx;

	m->sink->effect(m->sink->ctx, m, e);
}

/* A final process (tree.h, retiring): its rows go now, it goes later. */
static void on_retire(void *ctx, struct tree_proc *p)
{
	struct model *m = ctx;

	m->sink->proc(m->sink->ctx, m, p);
}

int model_live_new(struct model *m)
{
	struct model_live *l = calloc(1, sizeof(*l));

	if (!l || causal_live_new(on_effect, m, &l->cz)) {
		free(l);
		return -ENOMEM;
	}
	m->live = l;
	if (m->sink->proc) {
		tree_retire_start(m->tree, MODEL_RETIRE_GRACE_NS, on_retire, m);
		causal_live_hold(l->cz, m->tree);
	}
	return 0;
}

static void release_call(struct model *m, struct llm_call *c)
{
	struct conv_exchange *ex = c->ex;

	llm_call_free(c);
	if (ex && m->convs)
		conv_exchange_release(m->convs, ex);
}

void model_live_free(struct model *m)
{
	struct model_live *l = m->live;
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nbuf; i++)
		release_call(m, l->buf[i]);
	for (i = 0; i < l->nprev; i++)
		release_call(m, l->prev[i]);
	for (i = 0; i < MODEL_RETRY_HISTORY; i++)
		free(l->retry[i].path);
	causal_live_free(l->cz);
	free(l->buf);
	for (i = 0; i < l->nseqt; i++)
		free(l->seqt[i].pend);
	free(l->seqt);
	free(l->gaps);
	free(l);
	m->live = NULL;
}

/* ---- loss detection ---- */

static void gap(struct model_live *l, struct seq_track *t, const struct seqent *e)
{
	struct model_drop *d = au_push(&l->gaps, &l->ngaps, &l->cgaps, sizeof(*d));

	if (!d)
		return;
	d->ts = e->ts;
	d->kind = "seq_gap";
	d->count = e->seq - t->last - 1;
	d->first_seq = t->last + 1;
	d->probe = d->cpu = UINT32_MAX;
}

/* Take what follows on from t->last; with @force, holes are losses. */
static void seq_drain(struct model_live *l, struct seq_track *t, int force)
{
	size_t i = 0;

	if (!t->have_base) {
		if (!t->npend || (!force && t->npend < 1024))
			return; /* the first records may come out of order */
		t->last = t->pend[0].seq - 1;
		t->have_base = 1;
	}
	for (; i < t->npend; i++) {
		const struct seqent *e = &t->pend[i];

		if (e->seq > t->last + 1) {
			if (!force && t->npend - i <= MODEL_SEQ_WINDOW)
				break;
			gap(l, t, e);
		}
		if (e->seq > t->last)
			t->last = e->seq;
	}
	if (i)
		memmove(t->pend, t->pend + i, (t->npend - i) * sizeof(*t->pend));
	t->npend -= i;
}

/* The sequence of @seq's CPU, or NULL without memory. */
static struct seq_track *seq_track_of(struct model_live *l, uint64_t seq)
{
	size_t cpu = CAP_SEQ_CPU(seq);
	struct seq_track *t;

	if (cpu >= l->nseqt) {
		t = realloc(l->seqt, (cpu + 1) * sizeof(*t));
		if (!t)
			return NULL;
		memset(t + l->nseqt, 0, (cpu + 1 - l->nseqt) * sizeof(*t));
		l->seqt = t;
		l->nseqt = cpu + 1;
	}
	return &l->seqt[cpu];
}

void model_live_seq(struct model *m, uint64_t seq, uint64_t ts)
{
	struct model_live *l = m->live;
	struct seq_track *t = seq_track_of(l, seq);
	struct seqent *e;
	size_t i;

	if (!t)
		return;
	if (t->have_base && seq <= t->last)
		return; /* a duplicate (or later than the window) */
	if (t->have_base && seq == t->last + 1 && !t->npend) {
		t->last = seq;
		return;
	}
	if (!au_push(&t->pend, &t->npend, &t->cpend, sizeof(*e)))
		return;
	for (i = t->npend - 1; i > 0 && t->pend[i - 1].seq > seq; i--)
		t->pend[i] = t->pend[i - 1];
	t->pend[i].seq = seq;
	t->pend[i].ts = ts;
	seq_drain(l, t, 0);
}

static int gap_cmp(const void *a, const void *b)
{
	const struct model_drop *x = a, *y = b;

	return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

/* ---- rows ---- */

int model_live_procs(struct model *m)
{
	struct model_live *l = m->live;
	const struct tree *t = m->tree;
	size_t i = t->n;
	int rc = 0;

	/* the new ones are last (t->procs is in id order, retired or not) */
	while (i && t->procs[i - 1]->id > l->procs_seen)
		i--;
	for (; !rc && i < t->n; i++) {
		rc = causal_live_proc(l->cz, t->procs[i]);
		if (!rc)
			l->procs_seen = t->procs[i]->id;
	}
	return rc;
}

int model_live_file(struct model *m, const struct model_file *f)
{
	if (m->sink->file)
		m->sink->file(m->sink->ctx, m, f, m->nfiles);
	return causal_live_file(m->live->cz, f, m->nfiles);
}

int model_live_net(struct model *m, const struct model_net *n)
{
	if (m->sink->net)
		m->sink->net(m->sink->ctx, m, n, m->nnets);
	return causal_live_net(m->live->cz, n, m->nnets);
}

void model_live_tls(struct model *m, const struct model_tls *t)
{
	if (m->sink->tls)
		m->sink->tls(m->sink->ctx, m, t, m->ntls);
}

/* ---- LLM calls ---- */

static int call_before(const struct llm_call *x, const struct llm_call *y)
{
	return x->t_req != y->t_req ? x->t_req < y->t_req : x->id < y->id;
}

void model_live_exchange(struct model *m, struct conv_exchange *ex)
{
	struct model_live *l = m->live;
	struct llm_call *c;
	size_t i;

	if (m->sink->exchange)
		m->sink->exchange(m->sink->ctx, m, ex);
	c = llm_from_exchange(ex, m->pricing);
	if (!c || !au_push(&l->buf, &l->nbuf, &l->cbuf, sizeof(*l->buf))) {
		llm_call_free(c);
		conv_exchange_release(m->convs, ex);
		return;
	}
	ex->user = c;
	for (i = l->nbuf - 1; i > 0 && call_before(c, l->buf[i - 1]); i--)
		l->buf[i] = l->buf[i - 1];
	l->buf[i] = c;
}

/* llm.c's call_failed */
static int call_failed(const struct llm_call *c)
{
	const struct http_msg *r = c->ex->resp;

	return !r || c->status >= 400 || c->err_type || c->err_msg || c->ex->sse_cut ||
	       (!r->complete && !(r->cut_at_chunk && c->sse_ended));
}

static uint64_t body_hash(const struct http_msg *q)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; q && i < q->body.len; i++)
		h = (h ^ q->body.p[i]) * 1099511628211ull;
	return h;
}

/* llm_mark_retries over the last MODEL_RETRY_HISTORY calls, by hash. */
static void mark_retry(struct model_live *l, struct llm_call *c)
{
	const struct stream_conn *sc = c->ex->conn;
	const struct http_msg *q = c->ex->req;
	struct retry_ent *e;
	uint64_t h = body_hash(q);
	size_t i, n = l->nretry < MODEL_RETRY_HISTORY ? l->nretry : MODEL_RETRY_HISTORY;

	for (i = 1; sc && q && q->body.len && i <= n; i++) {
		e = &l->retry[(l->nretry - i) % MODEL_RETRY_HISTORY];
		if (e->path && e->pid == sc->pid && e->body_len == q->body.len && e->body_h == h &&
		    !strcmp(e->path, c->path)) {
			if (e->failed)
				c->purpose = "retry";
			break;
		}
	}
	e = &l->retry[l->nretry++ % MODEL_RETRY_HISTORY];
	free(e->path);
	e->path = sc && c->path ? au_strdup(c->path) : NULL;
	e->pid = sc ? sc->pid : 0;
	e->body_len = q ? q->body.len : 0;
	e->body_h = h;
	e->failed = call_failed(c);
}

/* llm_link_previous against the last answers that had a response id. */
static void link_previous(struct model *m, struct llm_call *c)
{
	struct model_live *l = m->live;
	struct llm_call *v[MODEL_PREV_HISTORY + 1];

	if (c->prev_resp_id && !c->ninherited && l->nprev) {
		memcpy(v, l->prev, l->nprev * sizeof(*v));
		v[l->nprev] = c;
		llm_link_previous(v, l->nprev + 1);
	}
}

static void give_call(struct model *m, struct llm_call *c)
{
	struct model_live *l = m->live;
	size_t idx = l->ncalls++;

	char **cmds = c->ncalls ? calloc(c->ncalls, sizeof(*cmds)) : NULL;
	size_t k;

	mark_retry(l, c);
	link_previous(m, c);
	/* once for both: the tool_calls rows and the attribution */
	for (k = 0; cmds && k < c->ncalls; k++)
		cmds[k] = causal_tool_command(c->calls[k].args);
	if (m->sink->call)
		m->sink->call(m->sink->ctx, m, c, idx, l->tool_rows + 1, cmds);
	causal_live_call(l->cz, m, c, idx, l->tool_rows + 1, cmds);
	l->tool_rows += c->ncalls;
	if (!c->resp_id) {
		release_call(m, c);
		return;
	}
	if (l->nprev == MODEL_PREV_HISTORY) {
		release_call(m, l->prev[0]);
		memmove(l->prev, l->prev + 1, --l->nprev * sizeof(*l->prev));
	}
	l->prev[l->nprev++] = c;
}

static void pump(struct model *m, uint64_t open, int final)
{
	struct model_live *l = m->live;
	size_t i;

	/* calls requested before every open exchange are in their final order */
	for (i = 0; i < l->nbuf && l->buf[i]->t_req < open; i++)
		give_call(m, l->buf[i]);
	if (i) /* (never memmove a NULL array, even by 0 bytes) */
		memmove(l->buf, l->buf + i, (l->nbuf - i) * sizeof(*l->buf));
	l->nbuf -= i;
	causal_live_pump(l->cz, l->nbuf && l->buf[0]->t_req < open ? l->buf[0]->t_req : open,
			 final);
}

void model_live_pump(struct model *m)
{
	pump(m, conv_horizon(m->convs), 0);
}

void model_live_finish(struct model *m)
{
	struct model_live *l = m->live;
	struct model_drop *d;
	size_t i;

	model_live_procs(m);
	pump(m, UINT64_MAX, 1);
	tree_sweep(m->tree); /* the rest is written from m->tree */
	for (i = 0; i < l->nseqt; i++)
		seq_drain(l, &l->seqt[i], 1);
	/* in seq order, as the full model lists them (model.c seq_gaps) */
	if (l->ngaps > 1)
		qsort(l->gaps, l->ngaps, sizeof(*l->gaps), gap_cmp);
	for (i = 0; i < l->ngaps; i++) {
		d = au_push(&m->drops, &m->ndrops, &m->cdrops, sizeof(*d));
		if (d)
			*d = l->gaps[i];
	}
	l->ngaps = 0;
}
