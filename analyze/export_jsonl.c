/* SPDX-License-Identifier: MIT */
/*
 * export_jsonl.c - JSON objects for the model (see export_jsonl.h).
 */
#include "export_jsonl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/autil.h"
#include "format/cap_reader.h"
#include "analyze/redact.h"

json_t *exj_str(const char *s, int redact)
{
	char *r = NULL, *q;
	json_t *j;

	if (!s)
		return json_null();
	if (redact && (r = redact_str(s)))
		s = r;
	j = json_string(s);
	if (!j && (q = au_strdup(s))) {
		/* not UTF-8: keep ASCII, mark the other bytes */
		for (char *x = q; *x; x++)
			if ((unsigned char)*x >= 0x80)
				*x = '?';
		j = json_string(q);
		free(q);
	}
	free(r);
	return j ? j : json_null();
}

static json_t *jtok(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

const char *exj_file_op(unsigned type)
{
	/* the file and network operations are named as in the capture format */
	if ((type >= CAP_REC_OPEN && type <= CAP_REC_READ) ||
	    (type >= CAP_REC_CONNECT && type <= CAP_REC_CLOSE) || type == CAP_REC_FD)
		return cap_rec_type_name(type); /* fd: a socket open at the snapshot */
	return "?";
}

static json_t *headers(const struct http_msg *h, int redact)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; h && i < h->nhdrs; i++) {
		char *v = redact ? redact_header(h->hdrs[i].name, h->hdrs[i].value)
				 : au_strdup(h->hdrs[i].value);

		json_array_append_new(a, json_pack("[s?o]", h->hdrs[i].name, exj_str(v, 0)));
		free(v);
	}
	return a;
}

json_t *exj_call(const struct model *m, size_t i, int redact)
{
	const struct llm_call *c = m->calls[i];
	const struct stream_conn *sc = c->ex->conn;
	json_t *o = json_object(), *a;
	size_t k;

	json_object_set_new(o, "type", json_string("llm_call"));
	json_object_set_new(o, "call_id", json_integer((json_int_t)(i + 1)));
	json_object_set_new(o, "http_id", json_integer((json_int_t)c->ex->id));
	json_object_set_new(o, "conn_id", sc ? json_integer((json_int_t)sc->id) : json_null());
	json_object_set_new(o, "pid", sc ? json_integer(sc->pid) : json_null());
	json_object_set_new(o, "provider", json_string(c->provider));
	json_object_set_new(o, "api", json_string(c->api));
	json_object_set_new(o, "purpose", json_string(c->purpose));
	json_object_set_new(o, "transport", json_string(c->transport));
	json_object_set_new(o, "previous_response_id", exj_str(c->prev_resp_id, 0));
	json_object_set_new(o, "inherited_messages", json_integer((json_int_t)c->ninherited));
	json_object_set_new(o, "host", exj_str(c->host, redact));
	json_object_set_new(o, "path", exj_str(c->path, redact));
	json_object_set_new(o, "stream", json_boolean(c->stream));
	json_object_set_new(o, "model_requested", exj_str(c->model_req, 0));
	json_object_set_new(o, "model", exj_str(c->model_resp, 0));
	json_object_set_new(o, "response_id", exj_str(c->resp_id, 0));
	json_object_set_new(o, "status", c->status ? json_integer(c->status) : json_null());
	json_object_set_new(o, "system", exj_str(c->system, redact));
	a = json_array();
	for (k = 0; k < c->nmsgs; k++)
		json_array_append_new(a, json_pack("{s:s,s:o}", "role", c->msgs[k].role, "text",
						   exj_str(c->msgs[k].text, redact)));
	json_object_set_new(o, "messages", a);
	a = json_array();
	for (k = 0; k < c->ntools; k++)
		json_array_append_new(a, exj_str(c->tools[k], 0));
	json_object_set_new(o, "tools", a);
	json_object_set_new(o, "text", exj_str(llm_text(c), redact));
	json_object_set_new(o, "thinking", exj_str(llm_thinking(c), redact));
	a = json_array();
	for (k = 0; k < c->ncalls; k++)
		json_array_append_new(a, json_pack("{s:o,s:o,s:o}", "id", exj_str(c->calls[k].id, 0),
						   "name", exj_str(c->calls[k].name, 0), "arguments",
						   exj_str(c->calls[k].args, redact)));
	json_object_set_new(o, "tool_calls", a);
	json_object_set_new(o, "finish_reason", exj_str(c->finish, 0));
	json_object_set_new(o, "input_tokens", jtok(c->in_tok));
	json_object_set_new(o, "output_tokens", jtok(c->out_tok));
	json_object_set_new(o, "cache_read_tokens", jtok(c->cache_read));
	json_object_set_new(o, "cache_write_tokens", jtok(c->cache_write));
	json_object_set_new(o, "cost_usd", c->cost_known ? json_real(c->cost) : json_null());
	json_object_set_new(o, "error_type", exj_str(c->err_type, 0));
	json_object_set_new(o, "error_message", exj_str(c->err_msg, redact));
	json_object_set_new(o, "analysis_error", exj_str(c->error, redact));
	json_object_set_new(o, "t_request_ns", json_integer((json_int_t)c->t_req));
	json_object_set_new(o, "t_first_token_ns", c->t_first_tok ?
				json_integer((json_int_t)c->t_first_tok) : json_null());
	json_object_set_new(o, "t_end_ns", json_integer((json_int_t)c->t_end));
	json_object_set_new(o, "ttft_s", c->t_first_tok > c->t_req ?
				json_real((double)(c->t_first_tok - c->t_req) / 1e9) : json_null());
	json_object_set_new(o, "duration_s", json_real(llm_duration_s(c)));
	json_object_set_new(o, "tokens_per_s", json_real(llm_tokens_per_s(c)));
	return o;
}

static int put(FILE *f, json_t *o)
{
	int r = 1;

	if (json_dumpf(o, f, JSON_COMPACT | JSON_REAL_PRECISION(9)) || fputc('\n', f) == EOF)
		r = -EIO;

	json_decref(o);
	return r;
}

static json_t *proc_json(const struct tree_proc *p, int redact)
{
	char *args = p->argc ? tree_argv_join(p->argv, p->argc) : NULL;
	json_t *o = json_pack("{s:s,s:I,s:i,s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:b,s:i}",
			      "type", "process", "proc_id", (json_int_t)p->id, "pid", p->pid,
			      "start_ns", (json_int_t)p->start_ns,
			      "parent_id", p->parent ? json_integer((json_int_t)p->parent->id)
						     : json_null(),
			      "exe", exj_str(p->exe, 0), "argv", exj_str(args, redact),
			      "cwd", exj_str(p->cwd, 0),
			      "uid", p->uid_known ? json_integer(p->uid) : json_null(),
			      "t_start_ns", (json_int_t)p->t_start,
			      "t_end_ns",
			      p->exited ? json_integer((json_int_t)p->t_end) : json_null(),
			      "exit_status", p->exited ? json_integer(p->exit_status) : json_null(),
			      "from_snapshot", p->from_snapshot, "threads", p->nthreads);

	free(args);
	return o;
}

static long write_procs(const struct model *m, FILE *f, int redact)
{
	long n = 0;
	size_t i, k;

	for (i = 0; i < m->tree->n; i++) {
		const struct tree_proc *p = m->tree->procs[i];

		if (put(f, proc_json(p, redact)) < 0)
			return -EIO;
		n++;
		for (k = 0; k < p->nexecs; k++) {
			const struct tree_exec *x = &p->execs[k];
			char *args = x->argc ? tree_argv_join(x->argv, x->argc) : NULL;

			if (put(f, json_pack("{s:s,s:I,s:I,s:o,s:o,s:o}", "type", "exec", "proc_id",
					     (json_int_t)p->id, "ts_ns", (json_int_t)x->ts,
					     "filename", exj_str(x->filename, 0), "argv",
					     exj_str(args, redact), "cwd", exj_str(x->cwd, 0))) < 0) {
				free(args);
				return -EIO;
			}
			free(args);
			n++;
		}
	}
	return n;
}

static long write_io(const struct model *m, FILE *f)
{
	long n = 0;
	size_t i;

	for (i = 0; i < m->nfiles; i++, n++) {
		const struct model_file *x = &m->files[i];

		if (put(f, json_pack("{s:s,s:I,s:I,s:s,s:I,s:i,s:o,s:o,s:o,s:i,s:I}", "type",
				     "file", "ts_ns", (json_int_t)x->ts, "proc_id",
				     (json_int_t)x->proc->id, "op", exj_file_op(x->type), "ret",
				     (json_int_t)x->ret, "fd", x->fd, "path", exj_str(x->path, 0),
				     "path2", exj_str(x->path2, 0), "abs_path", exj_str(x->abs, 0),
				     "flags", x->flags, "count", (json_int_t)x->count)) < 0)
			return -EIO;
	}
	for (i = 0; i < m->nnets; i++, n++) {
		const struct model_net *x = &m->nets[i];

		if (put(f, json_pack("{s:s,s:I,s:I,s:s,s:I,s:i,s:i,s:s,s:i}", "type", "net",
				     "ts_ns", (json_int_t)x->ts, "proc_id", (json_int_t)x->proc->id,
				     "op", exj_file_op(x->type), "ret", (json_int_t)x->ret, "fd",
				     x->fd, "family", x->family, "addr", x->addr, "port",
				     x->port)) < 0)
			return -EIO;
	}
	return n;
}

static json_t *http_json(const struct model *m, const struct conv_exchange *ex, int redact)
{
	const struct http_msg *q = ex->req, *r = ex->resp;

	return json_pack("{s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o}", "type", "http",
			 "http_id", (json_int_t)ex->id,
			 "conn_id", ex->conn ? json_integer((json_int_t)ex->conn->id) : json_null(),
			 "method", exj_str(q ? q->method : NULL, 0),
			 "target", exj_str(q ? q->target : NULL, redact),
			 "status", r ? json_integer(r->status) : json_null(),
			 "req_headers", headers(q, redact), "resp_headers", headers(r, redact),
			 "t_request_ns", q ? json_integer((json_int_t)q->t_first) : json_null(),
			 "t_response_ns", r ? json_integer((json_int_t)r->t_head) : json_null(),
			 "resp_body_len", r ? json_integer((json_int_t)r->body_len) : json_null(),
			 "sse", ex->is_sse, "error", exj_str(conv_exchange_error(ex), 0));
}

static long write_conns(const struct model *m, FILE *f, int redact)
{
	long n = 0;
	size_t i;

	for (i = 0; i < m->streams->n; i++, n++) {
		const struct stream_conn *c = m->streams->conns[i];
		const struct model_net *net = model_conn_net(m, c);
		const struct tree_proc *p = tree_get(m->tree, c->pid, c->start_ns);

		if (put(f, json_pack("{s:s,s:I,s:o,s:i,s:I,s:I,s:o,s:o,s:o,s:s,s:I,s:I,s:I}",
				     "type", "connection", "conn_id", (json_int_t)c->id, "proc_id",
				     p ? json_integer((json_int_t)p->id) : json_null(), "fd", c->fd,
				     "ssl_ptr", (json_int_t)c->ptr, "t_first_ns",
				     (json_int_t)c->t_first, "sni", exj_str(c->sni, 0), "remote_addr",
				     exj_str(net ? net->addr : NULL, 0), "remote_port",
				     net ? json_integer(net->port) : json_null(), "protocol",
				     conv_proto(c), "bytes_sent", (json_int_t)c->dir[0].bytes,
				     "bytes_received", (json_int_t)c->dir[1].bytes, "gap_bytes",
				     (json_int_t)(c->dir[0].gap_bytes + c->dir[1].gap_bytes))) < 0)
			return -EIO;
	}
	for (i = 0; i < m->convs->nex; i++, n++)
		if (put(f, http_json(m, m->convs->ex[i], redact)) < 0)
			return -EIO;
	return n;
}

static json_t *effect_json(const struct model *m, const struct causal_effect *e)
{
	const struct llm_call *c = m->calls[e->call];
	const char *target = NULL;

	if (e->file)
		target = e->file->abs ? e->file->abs : e->file->path;
	else if (e->net)
		target = e->net->addr;
	else if (e->proc)
		target = e->proc->exe;

	return json_pack("{s:s,s:I,s:o,s:o,s:s,s:s,s:I,s:I,s:o}", "type", "tool_effect",
			 "call_id", (json_int_t)(e->call + 1),
			 "tool_call_id", e->tool >= 0 ? exj_str(c->calls[e->tool].id, 0) : json_null(),
			 "tool_name", e->tool >= 0 ? exj_str(c->calls[e->tool].name, 0) : json_null(),
			 "kind", e->kind, "how", e->how, "ts_ns", (json_int_t)e->ts, "proc_id",
			 (json_int_t)(e->proc ? e->proc->id : 0), "target", exj_str(target, 0));
}

long export_jsonl_write(const struct model *m, const struct causal *cz, FILE *f, int redact)
{
	long n = 0, r;
	size_t i;

	if ((r = write_procs(m, f, redact)) < 0)
		return r;
	n += r;
	if ((r = write_io(m, f)) < 0)
		return r;
	n += r;
	if ((r = write_conns(m, f, redact)) < 0)
		return r;
	n += r;
	for (i = 0; i < m->ncalls; i++, n++)
		if (put(f, exj_call(m, i, redact)) < 0)
			return -EIO;
	for (i = 0; cz && i < cz->n; i++, n++)
		if (put(f, effect_json(m, &cz->eff[i])) < 0)
			return -EIO;
	for (i = 0; i < m->ndrops; i++, n++)
		if (put(f, json_pack("{s:s,s:I,s:s,s:I,s:I}", "type", "drop", "ts_ns",
				     (json_int_t)m->drops[i].ts, "kind", m->drops[i].kind, "count",
				     (json_int_t)m->drops[i].count, "first_seq",
				     (json_int_t)m->drops[i].first_seq)) < 0)
			return -EIO;
	return n;
}
