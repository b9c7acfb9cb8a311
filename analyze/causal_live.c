/* SPDX-License-Identifier: MIT */
/*
 * causal_live.c - causal.h's tool call -> effect rules applied while the
 * capture is read (the streaming SQLite export), with the results of
 * causal_build: events wait in a queue, in capture order, until every LLM
 * call requested before them is known; calls are applied in request order
 * between the events, each opening its agent's window and closing the one
 * before.  An exec waits for its process to exit (the command it ends up
 * running names the tool call), and so do the events after it, whose
 * attribution may inherit from it.
 */
#include "causal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/autil.h"

enum { LI_PROC, LI_FILE, LI_NET };

struct litem {
	int type;
	uint64_t ts;
	struct tree_proc *proc;
	uint64_t row;
	const char *kind;
	char *path, *raw;      /* file: abs-or-path, as passed; net: addr */
};

struct lcall {
	size_t idx;
	uint64_t tool_row;
	const struct tree_proc *agent; /* NULL: owns no window (side call, no conn) */
	uint64_t t_req, t0;
	size_t ntools;
	char **cmds, **args;
};

/* Processes by id, not by pointer: one that is retired (tree.h) may
 * leave its address to a new one while these are kept. */
struct lseen {
	uint64_t id;
	const char *kind;
	uint64_t h;
	char *path;
};

struct lown {
	uint64_t id;
	int tool;
};

struct lagent {
	const struct tree_proc *p;
	uint64_t first;        /* its first request */
	struct lcall *win;     /* the call whose window is open */
	struct lown *own;
	size_t nown, cown;
	struct lseen *seen;
	size_t nseen, cseen;
};

/* The effects of one call, given once its window is closed and every
 * call before it has given its own: they are then in causal_build's order. */
struct lbuf {
	int closed;
	struct model_effect *e;
	size_t n, cap;
};

struct causal_live {
	void (*emit)(void *ctx, const struct model_effect *e);
	void *ctx;
	struct lbuf *bufs;     /* of calls bbase, bbase + 1, ... */
	size_t nbufs, cbufs, bbase;
	struct litem *q;       /* events, q[head..n) waiting */
	size_t head, n, cap;
	struct lcall **calls;  /* calls[chead..ncalls) not applied yet */
	size_t chead, ncalls, ccalls;
	struct au_map by_proc; /* tree_proc -> struct lagent */
	struct lagent **agents;
	size_t nagents, cagents;
	/* retiring tree (causal_live_hold): queued items and buffered
	 * effects hold their processes */
	struct tree *tree;
};

static void lcall_free(struct lcall *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->ntools; i++) {
		free(c->cmds[i]);
		free(c->args[i]);
	}
	free(c->cmds);
	free(c->args);
	free(c);
}

static void buf_free(struct lbuf *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free((char *)b->e[i].target);
	free(b->e);
}

static int eff_cmp(const void *x, const void *y)
{
	const struct model_effect *a = x, *b = y;
	size_t i;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	for (i = 0; i < 3; i++)
		if (a->order[i] != b->order[i])
			return a->order[i] < b->order[i] ? -1 : 1;
	return 0;
}

void causal_live_hold(struct causal_live *cl, struct tree *t)
{
	cl->tree = t;
}

static void unhold(struct causal_live *cl, const struct tree_proc *p)
{
	if (cl->tree && p)
		tree_unhold(cl->tree, (struct tree_proc *)(uintptr_t)p);
}

/* Give the effects of the closed calls at the front, in order. */
static void flush(struct causal_live *cl)
{
	size_t i, k = 0;

	for (; k < cl->nbufs && cl->bufs[k].closed; k++) {
		struct lbuf *b = &cl->bufs[k];

		if (b->n > 1)
			qsort(b->e, b->n, sizeof(*b->e), eff_cmp);
		for (i = 0; i < b->n; i++) {
			cl->emit(cl->ctx, &b->e[i]);
			unhold(cl, b->e[i].proc);
		}
		buf_free(b);
	}
	if (k) /* (never memmove a NULL array, even by 0 bytes) */
		memmove(cl->bufs, cl->bufs + k, (cl->nbufs - k) * sizeof(*cl->bufs));
	cl->nbufs -= k;
	cl->bbase += k;
}

static void close_call(struct causal_live *cl, size_t idx)
{
	if (idx >= cl->bbase && idx - cl->bbase < cl->nbufs)
		cl->bufs[idx - cl->bbase].closed = 1;
	if (idx == cl->bbase)
		flush(cl);
}

static void window_reset(struct lagent *a, struct lcall *c)
{
	size_t i;

	lcall_free(a->win);
	a->win = c;
	for (i = 0; i < a->nseen; i++)
		free(a->seen[i].path);
	a->nseen = 0;
	a->nown = 0;
}

int causal_live_new(void (*emit)(void *ctx, const struct model_effect *e), void *ctx,
		    struct causal_live **out)
{
	struct causal_live *cl = calloc(1, sizeof(*cl));

	*out = cl;
	if (!cl)
		return -ENOMEM;
	cl->emit = emit;
	cl->ctx = ctx;
	return 0;
}

void causal_live_free(struct causal_live *cl)
{
	size_t i;

	if (!cl)
		return;
	for (i = cl->head; i < cl->n; i++) {
		free(cl->q[i].path);
		free(cl->q[i].raw);
	}
	free(cl->q);
	for (i = cl->chead; i < cl->ncalls; i++)
		lcall_free(cl->calls[i]);
	free(cl->calls);
	for (i = 0; i < cl->nagents; i++) {
		window_reset(cl->agents[i], NULL);
		free(cl->agents[i]->own);
		free(cl->agents[i]->seen);
		free(cl->agents[i]);
	}
	free(cl->agents);
	au_map_release(&cl->by_proc);
	for (i = 0; i < cl->nbufs; i++)
		buf_free(&cl->bufs[i]);
	free(cl->bufs);
	free(cl);
}

static struct litem *push(struct causal_live *cl, int type, uint64_t ts, struct tree_proc *p)
{
	struct litem *it;

	if (cl->head && cl->head >= cl->n / 2) { /* drop the done half */
		memmove(cl->q, cl->q + cl->head, (cl->n - cl->head) * sizeof(*cl->q));
		cl->n -= cl->head;
		cl->head = 0;
	}
	it = au_push(&cl->q, &cl->n, &cl->cap, sizeof(*it));
	if (it) {
		if (cl->tree && p)
			tree_hold(p);
		it->type = type;
		it->ts = ts;
		it->proc = p;
	}
	return it;
}

int causal_live_proc(struct causal_live *cl, struct tree_proc *p)
{
	return push(cl, LI_PROC, p->t_start, p) ? 0 : -ENOMEM;
}

int causal_live_file(struct causal_live *cl, const struct model_file *f, uint64_t row)
{
	const char *kind = causal_file_kind(f);
	const char *path = f->abs ? f->abs : f->path;
	struct litem *it;

	if (!kind || causal_noise_path(path))
		return 0; /* never an effect */
	it = push(cl, LI_FILE, f->ts, f->proc);
	if (!it)
		return -ENOMEM;
	it->row = row;
	it->kind = kind;
	it->path = au_strdup(path);
	/* raw NULL: the same as path (an absolute path as passed) */
	it->raw = f->path && strcmp(f->path, path) ? au_strdup(f->path) : NULL;
	return it->path ? 0 : -ENOMEM;
}

int causal_live_net(struct causal_live *cl, const struct model_net *n, uint64_t row)
{
	struct litem *it;

	if (n->type != CAP_REC_CONNECT)
		return 0;
	it = push(cl, LI_NET, n->ts, n->proc);
	if (!it)
		return -ENOMEM;
	it->row = row;
	it->path = au_strdup(n->addr);
	return it->path ? 0 : -ENOMEM;
}

static void cmds_free(char **cmds, size_t n)
{
	size_t i;

	for (i = 0; cmds && i < n; i++)
		free(cmds[i]);
	free(cmds);
}

int causal_live_call(struct causal_live *cl, const struct model *m, const struct llm_call *c,
		     size_t idx, uint64_t tool_row, char **cmds)
{
	struct lcall *l = calloc(1, sizeof(*l)), **slot;
	const struct stream_conn *o = c->ex->conn;
	size_t i;

	if (!l) {
		cmds_free(cmds, c->ncalls);
		return -ENOMEM;
	}
	l->idx = idx;
	l->tool_row = tool_row;
	l->t_req = c->t_req;
	l->t0 = c->t_end ? c->t_end : c->t_resp ? c->t_resp : c->t_req;
	if (o && !causal_aside(c))
		l->agent = tree_get(m->tree, o->pid, o->start_ns);
	if (l->agent && c->ncalls) {
		l->cmds = cmds;
		cmds = NULL;
		l->args = calloc(c->ncalls, sizeof(*l->args));
		if (!l->cmds || !l->args) {
			lcall_free(l);
			return -ENOMEM;
		}
		l->ntools = c->ncalls;
		for (i = 0; i < c->ncalls; i++)
			l->args[i] = c->calls[i].args ? au_strdup(c->calls[i].args) : NULL;
	}
	cmds_free(cmds, c->ncalls);
	if (!au_push(&cl->bufs, &cl->nbufs, &cl->cbufs, sizeof(*cl->bufs))) {
		lcall_free(l);
		return -ENOMEM;
	}
	if (cl->chead && cl->chead >= cl->ncalls / 2) { /* drop the applied half */
		memmove(cl->calls, cl->calls + cl->chead,
			(cl->ncalls - cl->chead) * sizeof(*cl->calls));
		cl->ncalls -= cl->chead;
		cl->chead = 0;
	}
	slot = au_push(&cl->calls, &cl->ncalls, &cl->ccalls, sizeof(*slot));
	if (!slot) {
		lcall_free(l);
		return -ENOMEM;
	}
	*slot = l;
	return 0;
}

static struct lagent *agent_of(const struct causal_live *cl, const struct tree_proc *p)
{
	struct au_key k = { (uint64_t)(uintptr_t)p, 0, 7 };

	return cl->nagents ? au_map_get(&cl->by_proc, k) : NULL;
}

/* A call in request order: it opens its agent's window, closing the last. */
static void apply(struct causal_live *cl, struct lcall *c)
{
	struct au_key k = { (uint64_t)(uintptr_t)c->agent, 0, 7 };
	struct lagent *a, **slot;

	if (!c->agent) {
		close_call(cl, c->idx);
		lcall_free(c);
		return;
	}
	a = agent_of(cl, c->agent);
	if (!a) {
		a = calloc(1, sizeof(*a));
		slot = a ? au_push(&cl->agents, &cl->nagents, &cl->cagents, sizeof(*slot)) : NULL;
		if (!slot || au_map_put(&cl->by_proc, k, a)) {
			if (slot)
				cl->nagents--;
			free(a);
			close_call(cl, c->idx);
			lcall_free(c);
			return;
		}
		*slot = a;
		a->p = c->agent;
		a->first = c->t_req;
	}
	if (a->win) /* its window ends where this call begins */
		close_call(cl, a->win->idx);
	window_reset(a, c);
}

/* causal.c's in_sub_agent: done below an agent whose own calls had begun. */
static int in_sub_agent(const struct causal_live *cl, const struct tree_proc *p,
			const struct tree_proc *agent, uint64_t ts)
{
	const struct lagent *a;

	for (; p && p != agent; p = p->parent)
		if ((a = agent_of(cl, p)) && a->first <= ts)
			return 1;
	return 0;
}

static int inherited(const struct lagent *a, const struct tree_proc *p)
{
	size_t i;

	for (; p && p != a->p; p = p->parent)
		for (i = 0; i < a->nown; i++)
			if (a->own[i].id == p->id)
				return a->own[i].tool;
	return -2;
}

static int default_tool(const struct lagent *a)
{
	return a->win->ntools ? 0 : -1;
}

static int match_path(const struct lcall *w, const char *path)
{
	size_t i;

	for (i = 0; path && i < w->ntools; i++)
		if (w->args[i] && strstr(w->args[i], path))
			return (int)i;
	return -1;
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

/* Open for writing, then write: one effect (causal.c's seen_file). */
static int seen(struct lagent *a, const struct litem *it)
{
	uint64_t h = str_hash(it->path);
	struct lseen *s;
	size_t i;

	for (i = 0; i < a->nseen; i++)
		if (a->seen[i].h == h && a->seen[i].id == it->proc->id &&
		    !strcmp(a->seen[i].kind, it->kind) && !strcmp(a->seen[i].path, it->path))
			return 1;
	s = au_push(&a->seen, &a->nseen, &a->cseen, sizeof(*s));
	if (s) {
		s->id = it->proc->id;
		s->kind = it->kind;
		s->h = h;
		s->path = au_strdup(it->path);
		if (!s->path)
			a->nseen--;
	}
	return 0;
}

static void buffer(struct causal_live *cl, const struct model_effect *e)
{
	struct lbuf *b;
	struct model_effect *x;

	if (e->call < cl->bbase || e->call - cl->bbase >= cl->nbufs)
		return;
	b = &cl->bufs[e->call - cl->bbase];
	x = au_push(&b->e, &b->n, &b->cap, sizeof(*x));
	if (!x)
		return;
	*x = *e;
	if (e->target && !(x->target = au_strdup(e->target)))
		b->n--;
	else if (cl->tree && x->proc)
		tree_hold((struct tree_proc *)(uintptr_t)x->proc);
}

static void emit(struct causal_live *cl, const struct lagent *a, const struct litem *it,
		 int tool, const char *how)
{
	struct model_effect e = { .call = a->win->idx, .tool = tool, .how = how, .ts = it->ts,
				  .proc = it->proc };

	e.tool_row = tool >= 0 ? a->win->tool_row + (uint64_t)tool : 0;
	e.order[0] = (uint64_t)it->type;
	e.order[1] = it->row;
	if (it->type == LI_PROC) {
		e.kind = "exec";
		e.ts = it->proc->nexecs ? it->proc->execs[0].ts : it->proc->t_start;
		e.order[1] = it->proc->t_start;
		e.order[2] = it->proc->id;
	} else if (it->type == LI_FILE) {
		e.kind = it->kind;
		e.file = it->row;
		e.target = it->path;
	} else {
		e.kind = "connect";
		e.net = it->row;
		e.target = it->path;
	}
	buffer(cl, &e);
}

/* The item in the window of agent @a (causal.c's execs, files, nets). */
static void attribute(struct causal_live *cl, struct lagent *a, const struct litem *it)
{
	const char *how = it->type == LI_PROC ? "command" : "path";
	int tool = -1, inh;
	struct lown *o;

	if (it->type == LI_FILE && seen(a, it))
		return;
	if (it->type == LI_PROC)
		tool = causal_match_command(a->win->cmds, a->win->ntools, it->proc);
	else if (it->type == LI_FILE && (tool = match_path(a->win, it->path)) < 0 && it->raw)
		tool = match_path(a->win, it->raw);
	if (tool < 0) {
		inh = inherited(a, it->proc);
		tool = inh >= -1 ? inh : default_tool(a);
		how = inh >= -1 ? "subtree" : "window";
	}
	if (it->type == LI_PROC && (o = au_push(&a->own, &a->nown, &a->cown, sizeof(*o)))) {
		o->id = it->proc->id;
		o->tool = tool;
	}
	emit(cl, a, it, tool, how);
}

/* Every agent above the item whose window holds it; 1 when one does. */
static int resolve(struct causal_live *cl, const struct litem *it, int dry)
{
	const struct tree_proc *from = it->type == LI_PROC ? it->proc->parent : it->proc;
	const struct tree_proc *p;
	struct lagent *a;
	int any = 0;

	for (p = from; p && cl->nagents; p = p->parent) {
		a = agent_of(cl, p);
		if (!a || !a->win || a->win->t0 > it->ts || in_sub_agent(cl, from, p, it->ts))
			continue;
		any = 1;
		if (!dry)
			attribute(cl, a, it);
	}
	return any;
}

static void item_done(struct causal_live *cl)
{
	unhold(cl, cl->q[cl->head].proc);
	free(cl->q[cl->head].path);
	free(cl->q[cl->head].raw);
	cl->head++;
}

static void close_all(struct causal_live *cl)
{
	size_t i;

	for (i = 0; i < cl->nbufs; i++)
		cl->bufs[i].closed = 1;
	flush(cl);
}

void causal_live_pump(struct causal_live *cl, uint64_t horizon, int final)
{
	for (;;) {
		struct lcall *c = cl->chead < cl->ncalls ? cl->calls[cl->chead] : NULL;
		struct litem *it = cl->head < cl->n ? &cl->q[cl->head] : NULL;

		if (c && (!it || it->ts >= c->t_req)) {
			cl->chead++;
			apply(cl, c);
			continue;
		}
		if (!it || (!final && it->ts >= horizon))
			break;
		/* an exec in a window waits for the command its process ends with */
		if (it->type == LI_PROC && !it->proc->exited && !final &&
		    cl->n - cl->head <= CAUSAL_LIVE_MAX && resolve(cl, it, 1))
			break;
		resolve(cl, it, 0);
		item_done(cl);
	}
	if (final)
		close_all(cl);
}
