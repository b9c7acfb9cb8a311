/* SPDX-License-Identifier: MIT */
/*
 * export_perfetto.c - Trace Event Format JSON (see export_perfetto.h).
 */
#include "export_perfetto.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/autil.h"
#include "analyze/export_jsonl.h"
#include "analyze/redact.h"

/* Synthetic pids and tids start above the kernel's largest pid_max
 * (PID_MAX_LIMIT, 2^22), so they never meet a real one. */
#define PF_SYN_BASE 0x400000u

struct pf_lane {
	uint64_t end;           /* latest end of the slices in this lane */
	uint32_t tid;
};

struct pf_lanes {
	struct pf_lane *l;
	size_t n, cap;
};

struct pf_proc {
	uint32_t tpid;          /* the pid on the trace */
	struct pf_lanes llm, tool;
};

struct pf {
	FILE *f;
	const struct model *m;
	const struct causal *cz;
	int redact;
	uint64_t t0;
	long n;
	int err;
	uint32_t next_tid;
	uint64_t next_flow;
	struct pf_proc *pp;     /* by proc id - 1 */
};

static json_t *js(const struct pf *w, const char *s)
{
	return exj_str(s, w->redact);
}

/* json_sprintf rejects bytes that are not UTF-8, and names hold captured
 * bytes (comm, paths, tool names): format, then go through js(). */
static json_t *jsf(const struct pf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *jsf(const struct pf *w, const char *fmt, ...)
{
	va_list ap;
	char *s;
	json_t *j;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	j = s ? js(w, s) : NULL;
	free(s);
	return j;
}

static uint64_t rel(const struct pf *w, uint64_t t)
{
	return t > w->t0 ? t - w->t0 : 0;
}

/*
 * Microseconds in steps of 1/1024 us (about a nanosecond), printed exactly:
 * a binary fraction is exact in a double, so a reader that adds ts and dur
 * gets the end we meant, and a child never sticks out of its parent by a
 * rounding error (three decimal digits would).  Rounding down keeps
 * nesting and disjointness.
 */
static uint64_t scale(uint64_t ns)
{
	return ns / 125 * 128 + ns % 125 * 128 / 125;
}

static void put_us(FILE *f, const char *key, uint64_t v)
{
	uint64_t frac = (v & 1023) * 9765625;
	char d[24];
	int n;

	fprintf(f, "\"%s\":%" PRIu64, key, v >> 10);
	if (!frac)
		return;
	n = snprintf(d, sizeof(d), "%010" PRIu64, frac);
	while (n > 0 && d[n - 1] == '0')
		d[--n] = 0;
	fprintf(f, ".%s", d);
}

/*
 * Write one event: @o gets "ph" (and is consumed); "ts" and "dur" (the
 * difference of the two rounded ends) are printed by put_us.
 */
static void emit(struct pf *w, json_t *o, const char *ph, uint64_t ts, int dur, uint64_t d)
{
	uint64_t t;
	char *s;

	if (!o) {
		w->err = -ENOMEM;
		return;
	}
	json_object_set_new(o, "ph", json_string(ph));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s) {
		w->err = -ENOMEM;
		return;
	}
	t = rel(w, ts);
	fputs(w->n ? ",\n{" : "\n{", w->f);
	put_us(w->f, "ts", scale(t));
	if (dur) {
		/* a difference of scaled ends, so ts + dur is the scaled end */
		fputc(',', w->f);
		put_us(w->f, "dur", scale(t + d) - scale(t));
	}
	fprintf(w->f, ",%s", s + 1);
	free(s);
	w->n++;
}

static void meta(struct pf *w, const char *name, uint32_t pid, uint32_t tid, json_t *args)
{
	/* "cat" as Chrome writes it: some readers split it on every event */
	emit(w, json_pack("{s:s,s:s,s:I,s:I,s:o}", "name", name, "cat", "__metadata", "pid",
			  (json_int_t)pid, "tid", (json_int_t)tid, "args", args), "M", w->t0, 0, 0);
}

/* The thread track of a lane for a slice [@s, @e]: the first lane whose
 * slices all ended by @s, or a new one (named @name). */
static uint32_t lane_tid(struct pf *w, struct pf_lanes *ls, uint32_t tpid, const char *name,
			 uint64_t s, uint64_t e)
{
	struct pf_lane *l;
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (ls->l[i].end <= s) {
			ls->l[i].end = e;
			return ls->l[i].tid;
		}
	l = au_push(&ls->l, &ls->n, &ls->cap, sizeof(*l));
	if (!l) {
		w->err = -ENOMEM;
		return tpid;
	}
	l->end = e;
	l->tid = w->next_tid++;
	meta(w, "thread_name", tpid, l->tid,
	     ls->n > 1 ? json_pack("{s:o}", "name", jsf(w, "%s %zu", name, ls->n))
		       : json_pack("{s:s}", "name", name));
	/* below the process's main thread, in creation order */
	meta(w, "thread_sort_index", tpid, l->tid,
	     json_pack("{s:I}", "sort_index", (json_int_t)(l->tid - PF_SYN_BASE + 1)));
	return l->tid;
}

static uint64_t proc_end(const struct pf *w, const struct tree_proc *p)
{
	uint64_t e = p->exited && p->t_end ? p->t_end : w->m->last_ts;

	return e > p->t_start ? e : p->t_start;
}

static json_t *argv_json(const struct pf *w, char *const *argv, uint32_t argc)
{
	char *s = tree_argv_join(argv, argc);
	json_t *j = js(w, s ? s : "");

	free(s);
	return j;
}

static const char *base_name(const char *s)
{
	const char *b = s ? strrchr(s, '/') : NULL;

	return b && b[1] ? b + 1 : s ? s : "?";
}

static void proc_execs(struct pf *w, const struct tree_proc *p, uint32_t tpid, uint64_t s,
		       uint64_t e)
{
	size_t i;

	for (i = 0; i < p->nexecs; i++) {
		const struct tree_exec *x = &p->execs[i];
		uint64_t a = x->ts < s ? s : x->ts > e ? e : x->ts;
		uint64_t b = i + 1 < p->nexecs ? p->execs[i + 1].ts : e;
		json_t *o, *args;

		b = b < a ? a : b > e ? e : b;
		args = json_pack("{s:o,s:o,s:o,s:b}", "filename", js(w, x->filename), "argv",
				 argv_json(w, x->argv, x->argc), "cwd", js(w, x->cwd),
				 "argv_truncated", x->truncated);
		o = json_pack("{s:o,s:s,s:I,s:I,s:o}", "name",
			      jsf(w, "exec %s", base_name(x->filename)), "cat", "exec", "pid",
			      (json_int_t)tpid, "tid", (json_int_t)tpid, "args", args);
		emit(w, o, "X", a, 1, rel(w, b) - rel(w, a));
	}
}

static void proc_track(struct pf *w, const struct tree_proc *p)
{
	uint32_t tpid = w->pp[p->id - 1].tpid;
	uint64_t s = p->t_start, e = proc_end(w, p);
	const char *comm = p->comm[0] ? p->comm : base_name(p->exe);
	char st[32];
	json_t *o;

	meta(w, "process_name", tpid, tpid,
	     json_pack("{s:o,s:o}", "name", jsf(w, "%s %u", comm, p->pid), "argv",
		       argv_json(w, p->argv, p->argc)));
	meta(w, "process_sort_index", tpid, tpid,
	     json_pack("{s:I}", "sort_index", (json_int_t)p->id));
	meta(w, "thread_name", tpid, tpid,
	     json_pack("{s:o}", "name", jsf(w, "%s %u", comm, p->pid)));
	o = json_pack("{s:o,s:s,s:I,s:I,s:{s:I,s:I,s:o,s:o,s:o,s:s,s:b,s:I}}", "name", js(w, comm),
		      "cat", "process", "pid", (json_int_t)tpid, "tid", (json_int_t)tpid, "args",
		      "pid", (json_int_t)p->pid, "ppid", (json_int_t)p->ppid, "exe", js(w, p->exe),
		      "argv", argv_json(w, p->argv, p->argc), "cwd", js(w, p->cwd), "exit",
		      tree_status_str(p, st, sizeof(st)), "running_at_end", !p->exited,
		      "threads", (json_int_t)p->nthreads);
	emit(w, o, "X", s, 1, rel(w, e) - rel(w, s));
	proc_execs(w, p, tpid, s, e);
}

static const char *file_verb(const struct model_file *f)
{
	switch (f->type) {
	case CAP_REC_OPEN:
		if (f->ret < 0 || ((f->flags & O_ACCMODE) == O_RDONLY && !(f->flags & O_TRUNC)))
			return NULL;
		return "write";
	case CAP_REC_UNLINK:
		return "unlink";
	case CAP_REC_RENAME:
		return "rename";
	case CAP_REC_MKDIR:
		return "mkdir";
	case CAP_REC_TRUNCATE:
		return "truncate";
	default:
		return NULL;
	}
}

/* Instant events: writes and connects are what a reviewer looks for. */
static void io_instants(struct pf *w)
{
	const struct model *m = w->m;
	size_t i;

	for (i = 0; i < m->nfiles && !w->err; i++) {
		const struct model_file *f = &m->files[i];
		const char *v = file_verb(f), *path = f->abs ? f->abs : f->path;
		uint32_t tpid;

		if (!v || !f->proc)
			continue;
		tpid = w->pp[f->proc->id - 1].tpid;
		emit(w, json_pack("{s:o,s:s,s:s,s:I,s:I,s:{s:o,s:o,s:I}}", "name",
				  jsf(w, "%s %s", v, base_name(path)), "cat", "file", "s",
				  "t",
				  "pid", (json_int_t)tpid, "tid", (json_int_t)tpid, "args", "path",
				  js(w, path), "to", js(w, f->path2), "ret", (json_int_t)f->ret),
		     "i", f->ts, 0, 0);
	}
	for (i = 0; i < m->nnets && !w->err; i++) {
		const struct model_net *n = &m->nets[i];
		uint32_t tpid;

		if (n->type != CAP_REC_CONNECT || !n->proc)
			continue;
		tpid = w->pp[n->proc->id - 1].tpid;
		emit(w, json_pack("{s:o,s:s,s:s,s:I,s:I,s:{s:o,s:I,s:I,s:I}}", "name",
				  n->port ? jsf(w, "connect %s:%u", n->addr, n->port)
					  : jsf(w, "connect %s", n->addr),
				  "cat", "net", "s", "t", "pid", (json_int_t)tpid, "tid",
				  (json_int_t)tpid, "args", "addr", js(w, n->addr), "port",
				  (json_int_t)n->port, "family", (json_int_t)n->family, "ret",
				  (json_int_t)n->ret),
		     "i", n->ts, 0, 0);
	}
}

static uint64_t call_end(const struct llm_call *c)
{
	uint64_t e = c->t_end ? c->t_end : c->t_resp ? c->t_resp : c->t_req;

	return e > c->t_req ? e : c->t_req;
}

static json_t *tok(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static void llm_slice(struct pf *w, size_t i, const struct tree_proc *p)
{
	const struct llm_call *c = w->m->calls[i];
	struct pf_proc *pp = &w->pp[p->id - 1];
	const char *model = c->model_resp ? c->model_resp : c->model_req ? c->model_req : "?";
	uint64_t e = call_end(c);
	uint32_t tid = lane_tid(w, &pp->llm, pp->tpid, "LLM calls", c->t_req, e);
	json_t *o, *a;

	a = json_pack("{s:I,s:s,s:s,s:s,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:I}", "call",
		      (json_int_t)c->id, "provider", c->provider ? c->provider : "?", "api",
		      c->api ? c->api : "?", "purpose", c->purpose ? c->purpose : "turn", "host",
		      js(w, c->host), "path", js(w, c->path), "status", (json_int_t)c->status,
		      "input_tokens", tok(c->in_tok), "output_tokens", tok(c->out_tok),
		      "cache_read_tokens", tok(c->cache_read), "cache_write_tokens",
		      tok(c->cache_write), "finish_reason", js(w, c->finish), "error",
		      js(w, c->error ? c->error : c->err_msg), "stream", c->stream, "tool_calls",
		      (json_int_t)c->ncalls);
	if (a && c->cost_known)
		json_object_set_new(a, "cost_usd", json_real(c->cost));
	if (a && c->t_first_tok >= c->t_req && c->t_first_tok)
		json_object_set_new(a, "ttft_ms", json_real((c->t_first_tok - c->t_req) / 1e6));
	o = json_pack("{s:o,s:s,s:I,s:I,s:o}", "name", jsf(w, "chat %s", model), "cat",
		      "llm", "pid", (json_int_t)pp->tpid, "tid", (json_int_t)tid, "args", a);
	emit(w, o, "X", c->t_req, 1, rel(w, e) - rel(w, c->t_req));
}

/* When tool @j of call @i ran: from the moment the model asked for it
 * until the agent's next request (which carries the result), or, for the
 * agent's last turn, until the last thing it caused. */
static void tool_span(const struct pf *w, size_t i, int j, size_t eb, size_t ee, uint64_t *s,
		      uint64_t *e)
{
	const struct llm_call *c = w->m->calls[i];
	uint64_t t = c->calls[j].ts, end;
	size_t k;

	*s = t && t >= c->t_req ? t : call_end(c);
	end = w->cz->win_end[i];
	if (end == UINT64_MAX) {
		end = *s;
		for (k = eb; k < ee; k++) {
			const struct causal_effect *x = &w->cz->eff[k];
			uint64_t xe = x->ts;

			if (x->tool != j)
				continue;
			if (!strcmp(x->kind, "exec") && x->proc)
				xe = proc_end(w, x->proc);
			end = xe > end ? xe : end;
		}
	}
	*e = end > *s ? end : *s;
}

static void tool_flows(struct pf *w, int j, size_t eb, size_t ee, uint32_t tpid, uint32_t tid,
		       uint64_t s)
{
	size_t k;

	for (k = eb; k < ee && !w->err; k++) {
		const struct causal_effect *x = &w->cz->eff[k];
		const struct tree_proc *p = x->proc;
		uint64_t t;
		uint32_t cp;

		if (x->tool != j || !p || strcmp(x->kind, "exec"))
			continue;
		cp = w->pp[p->id - 1].tpid;
		t = x->ts < p->t_start ? p->t_start : x->ts;
		t = t > proc_end(w, p) ? proc_end(w, p) : t;
		emit(w, json_pack("{s:s,s:s,s:I,s:I,s:I}", "name", "spawn", "cat", "tool", "id",
				  (json_int_t)w->next_flow, "pid", (json_int_t)tpid, "tid",
				  (json_int_t)tid), "s", s, 0, 0);
		emit(w, json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "name", "spawn", "cat", "tool", "bp",
				  "e", "id", (json_int_t)w->next_flow, "pid", (json_int_t)cp, "tid",
				  (json_int_t)cp), "f", t, 0, 0);
		w->next_flow++;
	}
}

static void tool_slices(struct pf *w, size_t i, const struct tree_proc *p, size_t *k)
{
	const struct llm_call *c = w->m->calls[i];
	struct pf_proc *pp = &w->pp[p->id - 1];
	size_t eb, ee;
	int j;

	while (*k < w->cz->n && w->cz->eff[*k].call < i)
		(*k)++;
	eb = *k;
	ee = eb;
	while (ee < w->cz->n && w->cz->eff[ee].call == i)
		ee++;
	for (j = 0; j < (int)c->ncalls && !w->err; j++) {
		const struct llm_tool_call *tc = &c->calls[j];
		uint64_t s, e;
		uint32_t tid;
		size_t n = 0, x;
		json_t *o;

		tool_span(w, i, j, eb, ee, &s, &e);
		for (x = eb; x < ee; x++)
			n += w->cz->eff[x].tool == j;
		tid = lane_tid(w, &pp->tool, pp->tpid, "tool calls", s, e);
		o = json_pack("{s:o,s:s,s:I,s:I,s:{s:o,s:o,s:o,s:I,s:I}}", "name",
			      jsf(w, "tool %s", tc->name ? tc->name : "?"), "cat", "tool",
			      "pid", (json_int_t)pp->tpid, "tid", (json_int_t)tid, "args", "id",
			      js(w, tc->id), "name", js(w, tc->name), "arguments", js(w, tc->args),
			      "call", (json_int_t)c->id, "effects", (json_int_t)n);
		emit(w, o, "X", s, 1, rel(w, e) - rel(w, s));
		tool_flows(w, j, eb, ee, pp->tpid, tid, s);
	}
}

static int assign_pids(struct pf *w)
{
	const struct tree *t = w->m->tree;
	struct au_map seen = { 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < t->n && !rc; i++) {
		const struct tree_proc *p = t->procs[i];
		struct au_key k = { p->pid, 0, 0 };

		if (!p->id || p->id > t->n) {
			rc = -EINVAL;
			break;
		}
		if (au_map_get(&seen, k)) {
			/* a reused pid: its later process gets a track of its own */
			w->pp[p->id - 1].tpid = w->next_tid++;
			continue;
		}
		w->pp[p->id - 1].tpid = p->pid;
		rc = au_map_put(&seen, k, (void *)p);
	}
	au_map_release(&seen);
	return rc;
}

static void header(struct pf *w)
{
	const struct model *m = w->m;
	char when[64] = "";
	json_t *o;
	char *s;

	if (m->has_clock)
		model_time(m, m->first_ts, when, sizeof(when));
	o = json_pack("{s:s,s:o,s:o,s:I}", "source", "asanalyze export --perfetto",
		      "capture_start", m->has_clock ? json_string(when) : json_null(), "hostname",
		      js(w, m->hostname), "capture_start_wall_ns",
		      (json_int_t)(m->has_clock ? (int64_t)m->first_ts + m->mono_to_real : 0));
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s) {
		w->err = -ENOMEM;
		return;
	}
	fprintf(w->f, "{\"displayTimeUnit\":\"ms\",\"otherData\":%s,\"traceEvents\":[", s);
	free(s);
}

long export_perfetto_write(const struct model *m, const struct causal *cz, FILE *f, int redact)
{
	struct pf w = { .f = f, .m = m, .cz = cz, .redact = redact, .t0 = m->first_ts,
			.next_tid = PF_SYN_BASE, .next_flow = 1 };
	size_t i, k = 0;

	w.pp = calloc(m->tree->n + 1, sizeof(*w.pp));
	if (!w.pp)
		return -ENOMEM;
	w.err = assign_pids(&w);
	if (!w.err)
		header(&w);
	for (i = 0; i < m->tree->n && !w.err; i++)
		proc_track(&w, m->tree->procs[i]);
	for (i = 0; i < m->ncalls && !w.err; i++) {
		const struct llm_call *c = m->calls[i];
		const struct tree_proc *p = c->ex && c->ex->conn ? model_conn_proc(m, c->ex->conn)
								   : NULL;

		if (!p)
			continue;
		llm_slice(&w, i, p);
		if (cz)
			tool_slices(&w, i, p, &k);
	}
	if (!w.err)
		io_instants(&w);
	if (!w.err)
		fputs("\n]}\n", f);
	for (i = 0; i < m->tree->n; i++) {
		free(w.pp[i].llm.l);
		free(w.pp[i].tool.l);
	}
	free(w.pp);
	if (w.err)
		return w.err;
	return ferror(f) ? -EIO : w.n;
}
