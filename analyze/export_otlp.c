/* SPDX-License-Identifier: MIT */
/*
 * export_otlp.c - sessions, LLM calls, tool calls and their kernel effects
 * as OTLP/JSON spans with the GenAI semantic conventions (see
 * export_otlp.h).
 */
#include "export_otlp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "analyze/autil.h"
#include "analyze/otlp_json.h"
#include "analyze/redact.h"

#ifndef ASIGHT_VERSION
#define ASIGHT_VERSION "unknown"
#endif

struct pspan {                 /* the span of a process a tool call started */
	const struct tree_proc *p;
	size_t call;
	char id[17];
};

struct ox {
	const struct model *m;
	const struct causal *cz;
	const struct otlp_opts *o;
	struct otlp_counts *cnt;
	size_t *eff_first;         /* per call: its first effect in cz->eff */
	const struct tree_proc **croot; /* per call: its session's process */
	/* the session being built */
	char trace[33];
	json_t *spans;
	struct pspan *ps;
	size_t nps, cps;
};

static uint64_t wall(const struct ox *x, uint64_t ts)
{
	return x->m->has_clock ? ts + (uint64_t)x->m->mono_to_real : ts;
}

static uint64_t call_end(const struct llm_call *c)
{
	return c->t_end ? c->t_end : c->t_resp ? c->t_resp : c->t_req;
}

static uint64_t proc_end(const struct model *m, const struct tree_proc *p)
{
	return p->exited ? p->t_end : m->last_ts;
}

static const struct tree_proc *call_proc(const struct model *m, const struct llm_call *c)
{
	const struct stream_conn *sc = c->ex ? c->ex->conn : NULL;

	return sc ? tree_get(m->tree, sc->pid, sc->start_ns) : NULL;
}

/* gen_ai.provider.name: the well-known values of the conventions.  An
 * OpenAI-compatible server is spoken to with the OpenAI API. */
static const char *provider_name(const struct llm_call *c)
{
	if (!c->provider)
		return NULL;
	if (!strcmp(c->provider, "gemini"))
		return c->host && strstr(c->host, "aiplatform") ? "gcp.vertex_ai" : "gcp.gemini";
	if (!strcmp(c->provider, "openai-compatible"))
		return "openai";
	return c->provider;
}

/* ---- process attributes (resource, exec spans) ---- */

static void proc_attrs(json_t *a, const struct tree_proc *p)
{
	char *line = p->argc ? tree_argv_join(p->argv, p->argc) : NULL;
	const char *exe = p->exe ? p->exe : p->nexecs ? p->execs[0].filename : NULL;

	oj_at_int(a, "process.pid", p->pid);
	if (p->ppid)
		oj_at_int(a, "process.parent_pid", p->ppid);
	oj_at_red(a, "process.executable.path", exe);
	oj_at_red(a, "process.command_line", line);
	free(line);
}

static void exit_attrs(json_t *s, const struct tree_proc *p)
{
	int st = p->exit_status;
	char *msg;

	if (!p->exited)
		return;
	if (WIFEXITED(st)) {
		oj_at_int(oj_attrs(s), "process.exit.code", WEXITSTATUS(st));
		if (WEXITSTATUS(st) && (msg = au_fmt("exit %d", WEXITSTATUS(st)))) {
			oj_error(s, msg);
			free(msg);
		}
	} else if (WIFSIGNALED(st)) {
		oj_at_int(oj_attrs(s), "asight.exit.signal", WTERMSIG(st));
		if ((msg = au_fmt("killed by signal %d", WTERMSIG(st)))) {
			oj_error(s, msg);
			free(msg);
		}
	}
}

/* ---- kernel effects ---- */

static const char *find_pspan(const struct ox *x, const struct tree_proc *p, size_t call,
			      int any_call)
{
	size_t i;

	for (i = x->nps; i-- > 0;)
		if (x->ps[i].p == p && (any_call || x->ps[i].call == call))
			return x->ps[i].id;
	return NULL;
}

/* The span of the nearest ancestor of @p that has one in @call, else @dflt. */
static const char *ancestor_span(const struct ox *x, const struct tree_proc *p, size_t call,
				 const char *dflt)
{
	const char *id;

	for (p = p->parent; p; p = p->parent)
		if ((id = find_pspan(x, p, call, 0)))
			return id;
	return dflt;
}

static void exec_span(struct ox *x, const struct causal_effect *e, const char *parent)
{
	const struct tree_proc *p = e->proc;
	struct pspan *ps;
	json_t *s;
	char *name;

	ps = au_push(&x->ps, &x->nps, &x->cps, sizeof(*ps));
	if (!ps)
		return;
	ps->p = p;
	ps->call = e->call;
	oj_id(ps->id, 8, "%s|exec|%zu|%u|%llu", x->trace, e->call, p->pid,
	      (unsigned long long)p->start_ns);
	name = au_fmt("exec %s", tree_proc_name(p));
	s = oj_span(x->spans, x->trace, ps->id, ancestor_span(x, p, e->call, parent), name,
		    OJ_KIND_INTERNAL, wall(x, p->t_start), wall(x, proc_end(x->m, p)));
	free(name);
	if (!s)
		return;
	proc_attrs(oj_attrs(s), p);
	oj_at_str(oj_attrs(s), "asight.attribution", e->how);
	exit_attrs(s, p);
	x->cnt->spans++;
	x->cnt->procs++;
}

static void effect_event(struct ox *x, json_t *s, const struct causal_effect *e)
{
	char name[48];
	json_t *a;

	snprintf(name, sizeof(name), "asight.%s", e->kind);
	a = oj_event(s, name, wall(x, e->ts));
	if (!a)
		return;
	if (e->file) {
		oj_at_red(a, "file.path", e->file->abs ? e->file->abs : e->file->path);
		oj_at_red(a, "asight.file.target", e->file->path2);
		if (e->file->ret < 0)
			oj_at_int(a, "asight.errno", -e->file->ret);
	}
	if (e->net) {
		oj_at_red(a, "network.peer.address", e->net->addr);
		if (e->net->family == AF_UNIX)
			oj_at_str(a, "network.transport", "unix");
		else
			oj_at_int(a, "network.peer.port", e->net->port);
		if (e->net->family == AF_INET || e->net->family == AF_INET6)
			oj_at_str(a, "network.type", e->net->family == AF_INET ? "ipv4" : "ipv6");
		if (e->net->ret < 0)
			oj_at_int(a, "asight.errno", -e->net->ret);
	}
	if (e->proc)
		oj_at_int(a, "process.pid", e->proc->pid);
	oj_at_str(a, "asight.attribution", e->how);
	x->cnt->events++;
}

/* The span object with id @id among the session's spans (the last one
 * made is the likeliest). */
static json_t *span_by_id(const struct ox *x, const char *id)
{
	size_t i = json_array_size(x->spans);

	while (i-- > 0) {
		json_t *s = json_array_get(x->spans, i);

		if (!strcmp(json_string_value(json_object_get(s, "spanId")), id))
			return s;
	}
	return NULL;
}

/*
 * The effects of call @i: process spans first (so that a file opened by a
 * child before its exec still finds the child's span), then events on the
 * span of the process that did it, else on the tool's (@tool_ids[t]) or
 * the call's span.
 */
static void effects(struct ox *x, size_t i, char (*tool_ids)[17], const char *llm_id)
{
	const struct causal *cz = x->cz;
	size_t k, end = i + 1 < x->m->ncalls ? x->eff_first[i + 1] : cz->n;

	for (k = x->eff_first[i]; k < end; k++) {
		const struct causal_effect *e = &cz->eff[k];

		if (!strcmp(e->kind, "exec") && e->proc)
			exec_span(x, e, e->tool >= 0 ? tool_ids[e->tool] : llm_id);
	}
	for (k = x->eff_first[i]; k < end; k++) {
		const struct causal_effect *e = &cz->eff[k];
		const char *id = e->proc ? find_pspan(x, e->proc, i, 0) : NULL;
		json_t *s;

		if (!strcmp(e->kind, "exec"))
			continue;
		if (!id)
			id = e->tool >= 0 ? tool_ids[e->tool] : llm_id;
		s = span_by_id(x, id);
		if (s)
			effect_event(x, s, e);
	}
}

/* ---- LLM calls and tool calls ---- */

static void server_attrs(json_t *a, const struct model *m, const struct llm_call *c)
{
	const struct model_net *n = c->ex->conn ? model_conn_net(m, c->ex->conn) : NULL;
	const char *h = c->host, *colon;
	char *host = NULL;
	long port = n ? n->port : 443;

	if (h && *h == '[' && (colon = strchr(h, ']'))) {
		host = au_strndup(h + 1, (size_t)(colon - h - 1));
		colon = colon[1] == ':' ? colon + 1 : NULL;
	} else if (h) {
		colon = strrchr(h, ':');
		host = colon ? au_strndup(h, (size_t)(colon - h)) : au_strdup(h);
	} else {
		colon = NULL;
	}
	if (colon)
		port = strtol(colon + 1, NULL, 10);
	oj_at_red(a, "server.address", host);
	if (h && port > 0 && port < 65536)
		oj_at_int(a, "server.port", port);
	free(host);
}

static int64_t tok(int64_t v)
{
	return v > 0 ? v : 0;
}

static void llm_attrs(struct ox *x, json_t *a, const struct llm_call *c)
{
	const char *fin = c->finish;

	oj_at_str(a, "gen_ai.operation.name", "chat");
	oj_at_str(a, "gen_ai.system", provider_name(c));
	oj_at_str(a, "gen_ai.provider.name", provider_name(c));
	oj_at_red(a, "gen_ai.request.model", c->model_req);
	oj_at_red(a, "gen_ai.response.model", c->model_resp);
	oj_at_red(a, "gen_ai.response.id", c->resp_id);
	if (fin)
		oj_at_strs(a, "gen_ai.response.finish_reasons", &fin, 1);
	/* the conventions count cached input tokens in input_tokens */
	if (c->in_tok >= 0 || c->cache_read >= 0 || c->cache_write >= 0)
		oj_at_int(a, "gen_ai.usage.input_tokens",
			  tok(c->in_tok) + tok(c->cache_read) + tok(c->cache_write));
	if (c->out_tok >= 0)
		oj_at_int(a, "gen_ai.usage.output_tokens", c->out_tok);
	if (c->cache_read >= 0)
		oj_at_int(a, "gen_ai.usage.cache_read.input_tokens", c->cache_read);
	if (c->cache_write >= 0)
		oj_at_int(a, "gen_ai.usage.cache_creation.input_tokens", c->cache_write);
	server_attrs(a, x->m, c);
	if (c->status)
		oj_at_int(a, "http.response.status_code", c->status);
	if (c->ex->conn)
		oj_at_int(a, "process.pid", c->ex->conn->pid);
	oj_at_str(a, "asight.provider", c->provider);
	oj_at_str(a, "asight.api", c->api);
	oj_at_str(a, "asight.purpose", c->purpose);
	oj_at_bool(a, "asight.stream", c->stream);
	if (c->cost_known)
		oj_at_dbl(a, "asight.cost_usd", c->cost);
	if (c->t_first_tok > c->t_req)
		oj_at_int(a, "asight.time_to_first_token_ns", (int64_t)(c->t_first_tok - c->t_req));
	oj_at_red(a, "asight.analysis_error", c->error);
}

static void llm_status(json_t *s, const struct llm_call *c)
{
	char code[16], *msg;

	if (c->status < 400 && !c->err_type)
		return;
	snprintf(code, sizeof(code), "%d", c->status);
	oj_at_str(oj_attrs(s), "error.type", c->err_type ? c->err_type : code);
	msg = c->err_msg ? redact_str(c->err_msg) : au_fmt("HTTP %d", c->status);
	oj_error(s, msg);
	free(msg);
}

/* When tool call @t ran: from its end in the response to the agent's next
 * request, or to the last thing it caused when there was none. */
static void tool_times(const struct ox *x, size_t i, int t, uint64_t *t0, uint64_t *t1)
{
	const struct llm_call *c = x->m->calls[i];
	size_t k, end = i + 1 < x->m->ncalls ? x->eff_first[i + 1] : x->cz->n;
	uint64_t w = x->cz->win_end ? x->cz->win_end[i] : 0;

	*t0 = c->calls[t].ts && c->calls[t].ts < call_end(c) ? c->calls[t].ts : call_end(c);
	*t1 = w && w != UINT64_MAX ? w : *t0;
	for (k = x->eff_first[i]; k < end; k++) {
		const struct causal_effect *e = &x->cz->eff[k];
		uint64_t te = e->ts;

		if (e->tool != t)
			continue;
		if (!strcmp(e->kind, "exec") && e->proc)
			te = proc_end(x->m, e->proc);
		if (te > *t1 && (w == UINT64_MAX || !w))
			*t1 = te;
	}
}

static void tool_span(struct ox *x, size_t i, int t, const char *llm_id, char *id)
{
	const struct llm_tool_call *tc = &x->m->calls[i]->calls[t];
	uint64_t t0, t1;
	json_t *s, *a;
	char *name;

	oj_id(id, 8, "%s|tool|%d|%s", llm_id, t, tc->id ? tc->id : "");
	tool_times(x, i, t, &t0, &t1);
	name = au_fmt("execute_tool %s", tc->name ? tc->name : "?");
	s = oj_span(x->spans, x->trace, id, llm_id, name, OJ_KIND_INTERNAL, wall(x, t0),
		    wall(x, t1));
	free(name);
	if (!s)
		return;
	a = oj_attrs(s);
	oj_at_str(a, "gen_ai.operation.name", "execute_tool");
	oj_at_red(a, "gen_ai.tool.name", tc->name);
	oj_at_red(a, "gen_ai.tool.call.id", tc->id);
	oj_at_str(a, "gen_ai.tool.type", "function");
	if (x->o->content)
		oj_at_json_red(a, "gen_ai.tool.call.arguments", tc->args);
	x->cnt->spans++;
	x->cnt->tools++;
}

static void llm_span(struct ox *x, size_t i, const char *session_id,
		     const struct tree_proc *root)
{
	const struct llm_call *c = x->m->calls[i];
	const struct stream_conn *sc = c->ex->conn;
	const struct tree_proc *p = call_proc(x->m, c);
	const char *model = c->model_req ? c->model_req : c->model_resp, *parent = session_id;
	char id[17], (*tool_ids)[17] = NULL, *name, *rm;
	json_t *s;
	int t;

	/* a sub-agent's call goes under the span of the process a tool started */
	for (; p && p != root; p = p->parent)
		if ((parent = find_pspan(x, p, 0, 1)))
			break;
	if (!parent)
		parent = session_id;
	oj_id(id, 8, "%s|chat|%u|%llu|%llu|%llu", x->trace, sc->pid,
	      (unsigned long long)sc->start_ns, (unsigned long long)c->ex->id,
	      (unsigned long long)c->t_req);
	rm = model ? redact_str(model) : NULL;
	name = au_fmt("chat %s", rm ? rm : "unknown");
	free(rm);
	s = oj_span(x->spans, x->trace, id, parent, name, OJ_KIND_CLIENT, wall(x, c->t_req),
		    wall(x, call_end(c)));
	free(name);
	if (!s)
		return;
	x->cnt->spans++;
	x->cnt->llm++;
	llm_attrs(x, oj_attrs(s), c);
	llm_status(s, c);
	if (x->o->content && oj_content_event(s, c, wall(x, call_end(c))))
		x->cnt->events++;
	tool_ids = calloc(c->ncalls + 1, sizeof(*tool_ids));
	if (!tool_ids)
		return;
	for (t = 0; t < (int)c->ncalls; t++)
		tool_span(x, i, t, id, tool_ids[t]);
	effects(x, i, tool_ids, id);
	free(tool_ids);
}

/* ---- sessions ---- */

static int is_agent(const struct tree_proc *const *agents, size_t n, const struct tree_proc *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (agents[i] == p)
			return 1;
	return 0;
}

/* x->croot[i]: the outermost LLM-calling ancestor of call i's process. */
static int find_roots(struct ox *x)
{
	const struct model *m = x->m;
	const struct tree_proc **agents = calloc(m->ncalls + 1, sizeof(*agents)), *p, *r;
	size_t i, n = 0;

	if (!agents)
		return -ENOMEM;
	for (i = 0; i < m->ncalls; i++) {
		p = call_proc(m, m->calls[i]);
		if (p && !is_agent(agents, n, p))
			agents[n++] = p;
	}
	for (i = 0; i < m->ncalls; i++) {
		r = call_proc(m, m->calls[i]);
		for (p = r ? r->parent : NULL; p; p = p->parent)
			if (is_agent(agents, n, p))
				r = p;
		x->croot[i] = r;
	}
	free(agents);
	return 0;
}

static json_t *resource(const struct model *m, const struct tree_proc *root)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	oj_at_red(a, "service.name", tree_proc_name(root));
	oj_at_red(a, "host.name", m->hostname);
	proc_attrs(a, root);
	return json_pack("{s:o}", "attributes", a);
}

static void session_totals(struct ox *x, json_t *s, const struct tree_proc *root)
{
	int64_t in = 0, out = 0;
	double cost = 0;
	size_t i, n = 0, tools = 0;
	int costed = 0;

	for (i = 0; i < x->m->ncalls; i++) {
		const struct llm_call *c = x->m->calls[i];

		if (x->croot[i] != root)
			continue;
		n++;
		tools += c->ncalls;
		in += tok(c->in_tok) + tok(c->cache_read) + tok(c->cache_write);
		out += tok(c->out_tok);
		if (c->cost_known) {
			cost += c->cost;
			costed = 1;
		}
	}
	oj_at_int(oj_attrs(s), "gen_ai.usage.input_tokens", in);
	oj_at_int(oj_attrs(s), "gen_ai.usage.output_tokens", out);
	oj_at_int(oj_attrs(s), "asight.llm_calls", (int64_t)n);
	oj_at_int(oj_attrs(s), "asight.tool_calls", (int64_t)tools);
	if (costed)
		oj_at_dbl(oj_attrs(s), "asight.cost_usd", cost);
}

static json_t *session(struct ox *x, const struct tree_proc *root)
{
	const struct model *m = x->m;
	uint64_t t0 = root->t_start, t1 = proc_end(m, root);
	char id[17], *name;
	json_t *s, *rs;
	size_t i;

	oj_id(x->trace, 16, "asight|%s|%u|%llu", m->hostname ? m->hostname : "", root->pid,
	      (unsigned long long)root->start_ns);
	oj_id(id, 8, "%s|session", x->trace);
	for (i = 0; i < m->ncalls; i++)
		if (x->croot[i] == root) {
			t0 = m->calls[i]->t_req < t0 ? m->calls[i]->t_req : t0;
			t1 = call_end(m->calls[i]) > t1 ? call_end(m->calls[i]) : t1;
		}
	x->spans = json_array();
	x->nps = 0;
	name = au_fmt("invoke_agent %s", tree_proc_name(root));
	s = x->spans ? oj_span(x->spans, x->trace, id, NULL, name, OJ_KIND_INTERNAL, wall(x, t0),
			       wall(x, t1)) : NULL;
	free(name);
	if (!s) {
		json_decref(x->spans);
		return NULL;
	}
	oj_at_str(oj_attrs(s), "gen_ai.operation.name", "invoke_agent");
	oj_at_red(oj_attrs(s), "gen_ai.agent.name", tree_proc_name(root));
	oj_at_int(oj_attrs(s), "process.pid", root->pid);
	session_totals(x, s, root);
	x->cnt->spans++;
	for (i = 0; i < m->ncalls; i++)
		if (x->croot[i] == root)
			llm_span(x, i, id, root);
	rs = json_pack("{s:o, s:[{s:{s:s, s:s}, s:o}]}", "resource", resource(m, root),
		       "scopeSpans", "scope", "name", "asight", "version", ASIGHT_VERSION,
		       "spans", x->spans);
	x->cnt->traces++;
	return rs;
}

static int build(struct ox *x, json_t *all)
{
	const struct model *m = x->m;
	size_t i, j, k = 0;

	if (find_roots(x))
		return -ENOMEM;
	for (i = 0; i < m->ncalls; i++) {
		while (k < x->cz->n && x->cz->eff[k].call < i)
			k++;
		x->eff_first[i] = k;
	}
	for (i = 0; i < m->ncalls; i++) {
		for (j = 0; j < i && x->croot[j] != x->croot[i]; j++)
			;
		if (j < i || !x->croot[i])
			continue; /* session done already, or the call has no process */
		if (json_array_append_new(all, session(x, x->croot[i])))
			return -ENOMEM;
	}
	return 0;
}

int otlp_build(const struct model *m, const struct causal *cz, const struct otlp_opts *o,
	       char **out, size_t *len, struct otlp_counts *cnt)
{
	struct ox x = { .m = m, .cz = cz, .o = o, .cnt = cnt };
	json_t *all = json_array(), *req = NULL;
	char *s = NULL;
	int rc = -ENOMEM;

	memset(cnt, 0, sizeof(*cnt));
	x.eff_first = calloc(m->ncalls + 1, sizeof(*x.eff_first));
	x.croot = calloc(m->ncalls + 1, sizeof(*x.croot));
	if (!all || !x.eff_first || !x.croot || build(&x, all))
		goto out;
	req = json_pack("{s:O}", "resourceSpans", all);
	s = req ? json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
		: NULL;
	if (s) {
		*len = strlen(s);
		*out = realloc(s, *len + 2);
		if (*out) {
			memcpy(*out + *len, "\n", 2);
			*len += 1;
			rc = 0;
		} else {
			free(s);
		}
	}
out:
	json_decref(req);
	json_decref(all);
	free(x.ps);
	free(x.eff_first);
	free(x.croot);
	return rc;
}
