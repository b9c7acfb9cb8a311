/* SPDX-License-Identifier: MIT */
/*
 * causal.c - tool call -> process/file/network effects (see causal.h).
 */
#include "causal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/autil.h"

char *causal_tool_command(const char *args)
{
	static const char *const keys[] = { "command", "cmd", "script", "commandLine" };
	json_t *j = args ? json_loads(args, 0, NULL) : NULL, *v;
	char *out = NULL;
	size_t i;

	if (!j)
		return NULL;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && !out; i++) {
		v = json_object_get(j, keys[i]);
		if (json_is_string(v)) {
			out = au_strdup(json_string_value(v));
		} else if (json_is_array(v) && json_array_size(v)) {
			/* argv form, e.g. ["bash", "-lc", "ls"]: the last word is the script */
			v = json_array_get(v, json_array_size(v) - 1);
			if (json_is_string(v))
				out = au_strdup(json_string_value(v));
		}
	}
	json_decref(j);
	return out;
}

static int noise_path(const char *p)
{
	const char *b;

	if (!p)
		return 1;
	if (!strncmp(p, "/proc/", 6) || !strncmp(p, "/sys/", 5) || !strncmp(p, "/dev/", 5) ||
	    !strcmp(p, "/etc/ld.so.cache") || !strncmp(p, "/usr/lib/locale", 15))
		return 1;
	b = strrchr(p, '/');
	b = b ? b + 1 : p;
	return strstr(b, ".so") && (strstr(b, ".so.") || !strcmp(strstr(b, ".so"), ".so"));
}

static const char *file_kind(const struct model_file *f)
{
	switch (f->type) {
	case CAP_REC_OPEN:
		if (f->ret < 0)
			return NULL;
		return (f->flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) ? "file_write"
									 : "file_read";
	case CAP_REC_WRITE:
		return "file_write";
	case CAP_REC_UNLINK:
		return "unlink";
	case CAP_REC_RENAME:
		return "rename";
	case CAP_REC_MKDIR:
		return "mkdir";
	case CAP_REC_CHMOD:
		return "chmod";
	case CAP_REC_TRUNCATE:
		return "truncate";
	default:
		return NULL;
	}
}

/* A process that made LLM calls, and the time of its first request. */
struct agent_t0 {
	const struct tree_proc *p;
	uint64_t t0;
};

struct win {
	const struct model *m;
	struct causal *cz;
	size_t call;
	const struct llm_call *c;
	const struct tree_proc *agent;
	uint64_t t0, t1;
	char **cmds;               /* per tool call: its command or NULL */
	struct tree_proc **by_start; /* every process, by t_start */
	const struct agent_t0 *agents; /* every process that made LLM calls */
	size_t nagents;
	struct owner {
		const struct tree_proc *p;
		int tool;
	} *own;                    /* processes attributed so far */
	size_t nown, cown;
};

static struct causal_effect *add(struct win *w, const char *kind, uint64_t ts,
				 struct tree_proc *p, int tool, const char *how)
{
	struct causal_effect *e = au_push(&w->cz->eff, &w->cz->n, &w->cz->cap, sizeof(*e));

	if (!e)
		return NULL;
	e->call = w->call;
	e->tool = tool;
	e->kind = kind;
	e->how = how;
	e->ts = ts;
	e->proc = p;
	return e;
}

/* The tool call a process inherits from an attributed ancestor, or -2. */
static int inherited(const struct win *w, const struct tree_proc *p)
{
	size_t i;

	for (; p && p != w->agent; p = p->parent)
		for (i = 0; i < w->nown; i++)
			if (w->own[i].p == p)
				return w->own[i].tool;
	return -2;
}

static void own(struct win *w, const struct tree_proc *p, int tool)
{
	struct owner *o = au_push(&w->own, &w->nown, &w->cown, sizeof(*o));

	if (o) {
		o->p = p;
		o->tool = tool;
	}
}

static int default_tool(const struct win *w)
{
	return w->c->ncalls ? 0 : -1;
}

static int match_argv(char *const *cmds, size_t ntools, char **argv, uint32_t argc)
{
	char *line = tree_argv_join(argv, argc);
	const char *last = argc ? argv[argc - 1] : NULL;
	int hit = -1;
	size_t i;

	for (i = 0; line && i < ntools && hit < 0; i++) {
		const char *cmd = cmds[i];

		if (cmd && *cmd && (strstr(line, cmd) || (last && !strcmp(last, cmd))))
			hit = (int)i;
	}
	free(line);
	return hit;
}

/*
 * Any exec of the process counts: `bash -lc 'a; b'` execs b in place of
 * itself (codex's shell tool), so its last argv is no longer the script.
 */
int causal_match_command(char *const *cmds, size_t ntools, const struct tree_proc *p)
{
	int hit = p->argv ? match_argv(cmds, ntools, p->argv, p->argc) : -1;
	size_t k;

	for (k = 0; hit < 0 && k < p->nexecs; k++)
		if (p->execs[k].argv)
			hit = match_argv(cmds, ntools, p->execs[k].argv, p->execs[k].argc);
	return hit;
}

/* Events are stored in time order: the first at or after @t0. */
#define LOWER_BOUND(arr, n, field, t0, out)                                     \
	do {                                                                    \
		size_t lo_ = 0, hi_ = (n);                                      \
		while (lo_ < hi_) {                                             \
			size_t mid_ = lo_ + (hi_ - lo_) / 2;                    \
			if ((arr)[mid_] field < (t0))                           \
				lo_ = mid_ + 1;                                 \
			else                                                    \
				hi_ = mid_;                                     \
		}                                                               \
		(out) = lo_;                                                    \
	} while (0)

/*
 * Done inside a sub-agent: @p or one of its ancestors below the window's
 * agent made LLM calls of its own, the first before @ts.  Those calls own
 * what it does from then on; counting it in the parent's window too would
 * give one effect two causes.  What the sub-agent did before its first
 * request (its own start, its loading) stays with the parent's tool call.
 */
static int in_sub_agent(const struct win *w, const struct tree_proc *p, uint64_t ts)
{
	size_t i;

	for (; p && p != w->agent; p = p->parent)
		for (i = 0; i < w->nagents; i++)
			if (w->agents[i].p == p && w->agents[i].t0 <= ts)
				return 1;
	return 0;
}

static void execs(struct win *w)
{
	const struct tree *t = w->m->tree;
	size_t i;

	LOWER_BOUND(w->by_start, t->n, ->t_start, w->t0, i);
	for (; i < t->n && w->by_start[i]->t_start < w->t1; i++) {
		struct tree_proc *p = w->by_start[i];
		int tool, inh;
		const char *how = "command";

		if (p == w->agent || p->t_start < w->t0 || p->t_start >= w->t1 ||
		    !tree_is_descendant(p, w->agent) || in_sub_agent(w, p->parent, p->t_start))
			continue;
		tool = causal_match_command(w->cmds, w->c->ncalls, p);
		if (tool < 0) {
			inh = inherited(w, p);
			tool = inh >= -1 ? inh : default_tool(w);
			how = inh >= -1 ? "subtree" : "window";
		}
		own(w, p, tool);
		add(w, "exec", p->nexecs ? p->execs[0].ts : p->t_start, p, tool, how);
	}
}

static int match_path(const struct win *w, const char *path)
{
	size_t i;

	for (i = 0; path && i < w->c->ncalls; i++) {
		const char *a = w->c->calls[i].args;

		if (a && strstr(a, path))
			return (int)i;
	}
	return -1;
}

static int seen_file(const struct win *w, const struct model_file *f, const char *kind,
		     const char *path)
{
	size_t i;

	for (i = w->cz->n; i-- > 0 && w->cz->eff[i].call == w->call;) {
		const struct causal_effect *e = &w->cz->eff[i];
		const char *p;

		if (!e->file || e->proc != f->proc || strcmp(e->kind, kind))
			continue;
		p = e->file->abs ? e->file->abs : e->file->path;
		if (p && !strcmp(p, path))
			return 1;
	}
	return 0;
}

static void files(struct win *w)
{
	size_t i;

	LOWER_BOUND(w->m->files, w->m->nfiles, .ts, w->t0, i);
	for (; i < w->m->nfiles && w->m->files[i].ts < w->t1; i++) {
		const struct model_file *f = &w->m->files[i];
		const char *kind = file_kind(f), *how = "path";
		const char *path = f->abs ? f->abs : f->path;
		struct causal_effect *e;
		int tool, inh;

		if (!kind || f->ts < w->t0 || f->ts >= w->t1 || noise_path(path) ||
		    !tree_is_descendant(f->proc, w->agent) || in_sub_agent(w, f->proc, f->ts))
			continue;
		if (seen_file(w, f, kind, path))
			continue; /* open for writing, then write: one effect */
		tool = match_path(w, path);
		if (tool < 0)
			tool = match_path(w, f->path);
		if (tool < 0) {
			inh = inherited(w, f->proc);
			tool = inh >= -1 ? inh : default_tool(w);
			how = inh >= -1 ? "subtree" : "window";
		}
		e = add(w, kind, f->ts, f->proc, tool, how);
		if (e)
			e->file = f;
	}
}

static void nets(struct win *w)
{
	size_t i;

	LOWER_BOUND(w->m->nets, w->m->nnets, .ts, w->t0, i);
	for (; i < w->m->nnets && w->m->nets[i].ts < w->t1; i++) {
		const struct model_net *n = &w->m->nets[i];
		struct causal_effect *e;
		int inh, tool;

		if (n->type != CAP_REC_CONNECT || n->ts < w->t0 || n->ts >= w->t1 ||
		    !tree_is_descendant(n->proc, w->agent) || in_sub_agent(w, n->proc, n->ts))
			continue;
		inh = inherited(w, n->proc);
		tool = inh >= -1 ? inh : default_tool(w);
		e = add(w, "connect", n->ts, n->proc, tool, inh >= -1 ? "subtree" : "window");
		if (e)
			e->net = n;
	}
}

static int eff_cmp(const void *a, const void *b)
{
	const struct causal_effect *x = a, *y = b;

	if (x->call != y->call)
		return x->call < y->call ? -1 : 1;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/*
 * A side call (a classifier, a title, count_tokens) asks for nothing to be
 * run: it owns no effects and does not end the window of the turn before
 * it, whose tools may still be running while the agent makes it.
 */
static int aside(const struct llm_call *c)
{
	return c->purpose &&
	       (!strcmp(c->purpose, "side-call") || !strcmp(c->purpose, "count_tokens"));
}

static void window(const struct model *m, struct causal *cz, size_t i,
		   struct tree_proc **by_start, const struct agent_t0 *agents, size_t nagents)
{
	const struct llm_call *c = m->calls[i];
	struct win w = { .m = m, .cz = cz, .call = i, .c = c, .by_start = by_start,
			 .agents = agents, .nagents = nagents };
	size_t j;

	if (!c->ex->conn || aside(c)) {
		cz->win_end[i] = UINT64_MAX;
		return;
	}
	w.agent = tree_get(m->tree, c->ex->conn->pid, c->ex->conn->start_ns);
	if (!w.agent)
		return;
	w.t0 = c->t_end ? c->t_end : c->t_resp ? c->t_resp : c->t_req;
	w.t1 = UINT64_MAX;
	for (j = i + 1; j < m->ncalls; j++) {
		const struct stream_conn *o = m->calls[j]->ex->conn;

		if (aside(m->calls[j]))
			continue;
		if (o && tree_get(m->tree, o->pid, o->start_ns) == w.agent) {
			w.t1 = m->calls[j]->t_req;
			break;
		}
	}
	cz->win_end[i] = w.t1;
	w.cmds = calloc(c->ncalls + 1, sizeof(*w.cmds));
	if (!w.cmds)
		return;
	for (j = 0; j < c->ncalls; j++)
		w.cmds[j] = causal_tool_command(c->calls[j].args);
	execs(&w);
	files(&w);
	nets(&w);
	for (j = 0; j < c->ncalls; j++)
		free(w.cmds[j]);
	free(w.cmds);
	free(w.own);
}

static int start_cmp(const void *a, const void *b)
{
	const struct tree_proc *x = *(struct tree_proc *const *)a;
	const struct tree_proc *y = *(struct tree_proc *const *)b;

	return x->t_start < y->t_start ? -1 : x->t_start > y->t_start;
}

/* Every process that made (non-side) LLM calls, with its first request;
 * calls are in request order, so the first seen is the earliest. */
static size_t find_agents(const struct model *m, struct agent_t0 *a)
{
	size_t i, k, n = 0;

	for (i = 0; i < m->ncalls; i++) {
		const struct stream_conn *o = m->calls[i]->ex->conn;
		const struct tree_proc *p;

		if (!o || aside(m->calls[i]))
			continue;
		p = tree_get(m->tree, o->pid, o->start_ns);
		for (k = 0; p && k < n && a[k].p != p; k++)
			;
		if (p && k == n)
			a[n++] = (struct agent_t0){ p, m->calls[i]->t_req };
	}
	return n;
}

int causal_build(const struct model *m, struct causal **out)
{
	struct causal *cz = calloc(1, sizeof(*cz));
	struct tree_proc **by_start = calloc(m->tree->n + 1, sizeof(*by_start));
	struct agent_t0 *agents = calloc(m->ncalls + 1, sizeof(*agents));
	size_t i, nagents;

	if (!cz || !by_start || !agents)
		goto nomem;
	nagents = find_agents(m, agents);
	cz->win_end = calloc(m->ncalls + 1, sizeof(*cz->win_end));
	if (!cz->win_end)
		goto nomem;
	if (m->tree->n) /* (memcpy from NULL is undefined, even of 0 bytes) */
		memcpy(by_start, m->tree->procs, m->tree->n * sizeof(*by_start));
	if (m->tree->n > 1) /* (qsort of a NULL array is undefined, even of 0) */
		qsort(by_start, m->tree->n, sizeof(*by_start), start_cmp);
	for (i = 0; i < m->ncalls; i++)
		window(m, cz, i, by_start, agents, nagents);
	free(by_start);
	free(agents);
	if (cz->n > 1) /* (qsort of a NULL array is undefined, even of 0) */
		qsort(cz->eff, cz->n, sizeof(*cz->eff), eff_cmp);
	*out = cz;
	return 0;
nomem:
	free(by_start);
	free(agents);
	causal_free(cz);
	return -ENOMEM;
}

int causal_noise_path(const char *path)
{
	return noise_path(path);
}

const char *causal_file_kind(const struct model_file *f)
{
	return file_kind(f);
}

int causal_aside(const struct llm_call *c)
{
	return aside(c);
}

void causal_free(struct causal *cz)
{
	if (!cz)
		return;
	free(cz->eff);
	free(cz->win_end);
	free(cz);
}
