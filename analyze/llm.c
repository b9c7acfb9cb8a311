/* SPDX-License-Identifier: MIT */
/*
 * llm.c - detect LLM API calls in HTTP exchanges and build the
 * provider-neutral record (see llm.h); providers live in llm_*.c.
 */
#include "llm_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/autil.h"

/* ---- helpers for the providers ---- */

const char *llm_js(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int64_t llm_ji(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

json_t *llm_jo(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_object(v) || json_is_array(v) ? v : NULL;
}

void llm_set(char **dst, const char *s)
{
	if (!s)
		return;
	free(*dst);
	*dst = au_strdup(s);
}

void llm_append(struct cap_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || cap_buf_reserve(b, n + 1))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void llm_add_msg(struct llm_call *c, const char *role, const char *text)
{
	struct llm_msg *m = au_push(&c->msgs, &c->nmsgs, &c->cmsgs, sizeof(*m));

	if (!m)
		return;
	m->role = au_strdup(role ? role : "?");
	m->text = au_strdup(text ? text : "");
}

void llm_add_tool(struct llm_call *c, const char *name)
{
	char **t;

	if (!name)
		return;
	t = au_push(&c->tools, &c->ntools, &c->ctools, sizeof(*t));
	if (t)
		*t = au_strdup(name);
}

struct llm_tool_call *llm_call_at(struct llm_call *c, int index)
{
	struct llm_tool_call *t;
	size_t i;

	for (i = 0; i < c->ncalls; i++)
		if (c->calls[i].index == index)
			return &c->calls[i];
	t = au_push(&c->calls, &c->ncalls, &c->ccalls, sizeof(*t));
	if (t)
		t->index = index;
	return t;
}

struct llm_tool_call *llm_call_add(struct llm_call *c, const char *id, const char *name,
				   const json_t *args)
{
	struct llm_tool_call *t = llm_call_at(c, -1000 - (int)c->ncalls);

	if (!t)
		return NULL;
	llm_set(&t->id, id);
	llm_set(&t->name, name);
	if (args) {
		free(t->args);
		t->args = llm_json_text(args);
	}
	return t;
}

void llm_token(struct llm_call *c, uint64_t ts)
{
	if (!c->t_first_tok || ts < c->t_first_tok)
		c->t_first_tok = ts;
}

char *llm_json_text(const json_t *v)
{
	json_t *p;
	char *s;

	if (json_is_string(v)) {
		/* arguments given as JSON text: normalise when it parses */
		p = json_loads(json_string_value(v), JSON_DECODE_ANY, NULL);
		if (!p)
			return au_strdup(json_string_value(v));
		s = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(p);
		return s;
	}
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

void llm_calls_finish(struct llm_call *c)
{
	size_t i;

	for (i = 0; i < c->ncalls; i++) {
		struct llm_tool_call *t = &c->calls[i];
		json_t *s;

		if (!t->argbuf.len)
			continue;
		s = json_stringn((const char *)t->argbuf.p, t->argbuf.len);
		free(t->args);
		t->args = s ? llm_json_text(s) : NULL;
		json_decref(s);
		cap_buf_release(&t->argbuf);
	}
}

void llm_error_obj(struct llm_call *c, const json_t *err)
{
	json_t *code;

	if (json_is_string(err)) {
		llm_set(&c->err_msg, json_string_value(err));
		return;
	}
	if (!json_is_object(err))
		return;
	llm_set(&c->err_msg, llm_js(err, "message"));
	if (llm_js(err, "type"))
		llm_set(&c->err_type, llm_js(err, "type"));
	else if (llm_js(err, "status"))
		llm_set(&c->err_type, llm_js(err, "status"));
	else if ((code = json_object_get(err, "code")) && json_is_string(code))
		llm_set(&c->err_type, json_string_value(code));
}

void llm_note(struct llm_call *c, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (c->error)
		return; /* the first problem is the one worth reading */
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	c->error = s;
}

/* ---- detection ---- */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Path of the request target without scheme, host or query. */
static char *target_path(const char *t)
{
	const char *p = t;

	if (!strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8)) {
		p = strchr(p + 8 - (p[4] == ':'), '/');
		if (!p)
			p = "/";
	}
	return au_strndup(p, strcspn(p, "?#"));
}

static const struct llm_ops *detect(struct llm_call *c, const struct http_msg *req,
				    const json_t *body)
{
	const char *p = c->path, *host = c->host ? c->host : "";
	int openai_host = strcasestr(host, "openai.com") != NULL;
	int has_msgs = json_is_array(json_object_get(body, "messages"));
	/* Anthropic's count_tokens takes a Messages request as it is */
	int anth_path = ends_with(p, "/messages") || ends_with(p, "/messages/count_tokens");

	if (c->ex->ws) {
		/* WebSocket (wsconv.h): the only request message it pairs */
		if (strcmp(llm_js(body, "type") ? llm_js(body, "type") : "", "response.create"))
			return NULL;
		c->provider = openai_host ? "openai" : "openai-compatible";
		c->api = "responses";
		return &llm_openai_responses_ops;
	}

	if (strstr(p, ":streamGenerateContent") || strstr(p, ":generateContent")) {
		c->provider = "gemini";
		c->stream = strstr(p, ":streamGenerateContent") != NULL;
		c->api = c->stream ? "streamGenerateContent" : "generateContent";
		return &llm_gemini_ops;
	}
	if (strstr(p, ":countTokens") && strstr(p, "/models/")) {
		c->provider = "gemini";
		c->api = "countTokens";
		return &llm_gemini_ops;
	}
	if (ends_with(p, "/chat/completions") ||
	    (has_msgs && !http_msg_header(req, "anthropic-version") && !anth_path &&
	     json_is_string(json_object_get(body, "model")))) {
		c->provider = openai_host ? "openai" : "openai-compatible";
		c->api = "chat.completions";
		return &llm_openai_chat_ops;
	}
	if (ends_with(p, "/responses") && json_is_object(body)) {
		c->provider = openai_host ? "openai" : "openai-compatible";
		c->api = "responses";
		return &llm_openai_responses_ops;
	}
	if (has_msgs && (anth_path || http_msg_header(req, "anthropic-version"))) {
		c->provider = "anthropic";
		c->api = "messages";
		return &llm_anthropic_ops;
	}
	return NULL;
}

static void gemini_model_from_path(struct llm_call *c)
{
	const char *m = strstr(c->path, "/models/"), *e;

	if (!m || c->model_req)
		return;
	m += 8;
	e = strchr(m, ':');
	if (e)
		c->model_req = au_strndup(m, (size_t)(e - m));
}

/* Whether the last event ends the stream: [DONE] (Chat Completions),
 * message_stop (Messages), response.completed / incomplete / failed
 * (Responses). */
static int sse_ended(const struct conv_exchange *ex)
{
	static const char *const end[] = { "[DONE]", "message_stop", "response.completed",
					   "response.incomplete", "response.failed" };
	const struct conv_event *e = ex->nev ? &ex->ev[ex->nev - 1] : NULL;
	size_t i;

	for (i = 0; e && i < sizeof(end) / sizeof(end[0]); i++)
		if ((e->event && !strcmp(e->event, end[i])) || !strcmp(e->data, end[i]))
			return 1;
	return 0;
}

static void read_sse(struct llm_call *c, const struct llm_ops *ops, struct conv_exchange *ex)
{
	json_error_t je;
	size_t i;

	for (i = 0; i < ex->nev; i++) {
		struct conv_event *e = &ex->ev[i];
		json_t *j;

		if (!strcmp(e->data, "[DONE]"))
			continue;
		j = json_loadb(e->data, e->data_len, 0, &je);
		if (!j) {
			llm_note(c, "event %zu (%s) is not valid JSON: %s", i + 1, e->event,
				 je.text);
			continue;
		}
		ops->event(c, e->event, j, e->ts);
		json_decref(j);
	}
	ops->end(c);
}

static void read_body(struct llm_call *c, const struct llm_ops *ops, const struct http_msg *r)
{
	json_error_t je;
	json_t *j = NULL, *err;
	size_t i;

	if (r->body.len)
		j = json_loadb((const char *)r->body.p, r->body.len, 0, &je);
	if (!j) {
		if (r->status >= 400)
			llm_note(c, "HTTP status %d", r->status);
		else if (r->body.len)
			llm_note(c, "response body is not valid JSON: %s", je.text);
		return;
	}
	if (json_is_array(j)) {
		/* streamGenerateContent without alt=sse: a JSON array of chunks */
		c->stream = 1;
		for (i = 0; i < json_array_size(j); i++) {
			err = json_object_get(json_array_get(j, i), "error");
			if (err)
				llm_error_obj(c, err);
			ops->event(c, "message", json_array_get(j, i), r->t_body);
		}
		ops->end(c);
	} else {
		err = json_object_get(j, "error");
		if (err && !json_is_null(err))
			llm_error_obj(c, err);
		ops->response(c, j);
		if (c->text.len || c->ncalls || c->thinking.len)
			llm_token(c, r->t_body);
	}
	json_decref(j);
}

static void set_cost(struct llm_call *c, const struct llm_pricing *pt)
{
	const struct llm_price *p = llm_pricing_find(pt, c->model_resp);

	if (!p)
		p = llm_pricing_find(pt, c->model_req);
	if (!p || (c->in_tok < 0 && c->out_tok < 0))
		return;
	c->cost = ((double)(c->in_tok > 0 ? c->in_tok : 0) * p->in +
		   (double)(c->out_tok > 0 ? c->out_tok : 0) * p->out +
		   (double)(c->cache_read > 0 ? c->cache_read : 0) * p->cache_read +
		   (double)(c->cache_write > 0 ? c->cache_write : 0) * p->cache_write) / 1e6;
	c->cost_known = 1;
}

static struct llm_call *call_new(struct conv_exchange *ex)
{
	struct llm_call *c = calloc(1, sizeof(*c));
	const char *host;

	if (!c)
		return NULL;
	c->ex = ex;
	c->id = ex->id;
	c->in_tok = c->out_tok = c->cache_read = c->cache_write = -1;
	c->purpose = "turn";
	c->transport = ex->ws ? "websocket" : "http";
	c->path = target_path(ex->req->target ? ex->req->target : "/");
	host = http_msg_header(ex->req, "host");
	c->host = au_strdup(host ? host : (ex->conn && ex->conn->sni ? ex->conn->sni : ""));
	c->t_req = ex->req->t_first;
	return c;
}

struct llm_call *llm_from_exchange(struct conv_exchange *ex, const struct llm_pricing *pt)
{
	const struct http_msg *req = ex->req, *resp = ex->resp;
	const struct llm_ops *ops;
	struct llm_call *c;
	json_error_t je;
	json_t *body;

	if (!req || !req->method || (strcmp(req->method, "POST") && !ex->ws))
		return NULL;
	c = call_new(ex);
	if (!c)
		return NULL;
	body = json_loadb((const char *)req->body.p, req->body.len, 0, &je);
	ops = detect(c, req, body);
	if (!ops) {
		json_decref(body);
		llm_call_free(c);
		return NULL;
	}
	if (json_is_object(body))
		ops->request(c, body);
	else
		llm_note(c, "request body is not valid JSON: %s", je.text);
	json_decref(body);
	if (!strcmp(c->provider, "gemini"))
		gemini_model_from_path(c);
	if (req->error)
		llm_note(c, "request: %s", req->error);
	if (!resp) {
		llm_note(c, "no response captured");
	} else {
		c->status = resp->status;
		c->t_resp = resp->t_head;
		c->t_end = resp->t_end;
		c->sse_ended = ex->is_sse && sse_ended(ex);
		/* the transport's problem explains any JSON problem that follows;
		 * not a problem: the client closed after the stream's last event,
		 * before the empty chunk that ends the body */
		if (resp->error && !(resp->cut_at_chunk && c->sse_ended))
			llm_note(c, "response: %s", resp->error);
		if (ex->is_sse) {
			c->stream = 1;
			read_sse(c, ops, ex);
		} else {
			read_body(c, ops, resp);
		}
		if (ex->sse_cut)
			llm_note(c, "event stream cut short inside an event");
		if (resp->status >= 400 && !c->err_type && !c->err_msg)
			llm_note(c, "HTTP status %d", resp->status);
	}
	llm_calls_finish(c);
	au_buf_shrink(&c->text);
	au_buf_shrink(&c->thinking);
	set_cost(c, pt);
	return c;
}

void llm_call_free(struct llm_call *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nmsgs; i++) {
		free(c->msgs[i].role);
		free(c->msgs[i].text);
	}
	for (i = 0; i < c->ntools; i++)
		free(c->tools[i]);
	for (i = 0; i < c->ncalls; i++) {
		free(c->calls[i].id);
		free(c->calls[i].name);
		free(c->calls[i].args);
		cap_buf_release(&c->calls[i].argbuf);
	}
	free(c->msgs);
	free(c->tools);
	free(c->calls);
	cap_buf_release(&c->text);
	cap_buf_release(&c->thinking);
	free(c->host);
	free(c->path);
	free(c->model_req);
	free(c->model_resp);
	free(c->resp_id);
	free(c->prev_resp_id);
	free(c->system);
	free(c->finish);
	free(c->err_type);
	free(c->err_msg);
	free(c->error);
	free(c);
}

static int call_failed(const struct llm_call *c)
{
	const struct http_msg *r = c->ex->resp;

	return !r || c->status >= 400 || c->err_type || c->err_msg || c->ex->sse_cut ||
	       (!r->complete && !(r->cut_at_chunk && c->sse_ended));
}

static int same_request(const struct llm_call *a, const struct llm_call *b)
{
	const struct http_msg *x = a->ex->req, *y = b->ex->req;
	const struct stream_conn *ca = a->ex->conn, *cb = b->ex->conn;

	if (!ca || !cb || ca->pid != cb->pid || strcmp(a->path, b->path))
		return 0;
	return x->body.len && x->body.len == y->body.len &&
	       !memcmp(x->body.p, y->body.p, x->body.len);
}

void llm_mark_retries(struct llm_call **calls, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = i; j-- > 0;) {
			if (!same_request(calls[j], calls[i]))
				continue;
			if (call_failed(calls[j]))
				calls[i]->purpose = "retry";
			break;
		}
}

static const struct llm_call *find_previous(struct llm_call **calls, size_t i)
{
	const struct stream_conn *sc = calls[i]->ex->conn, *o;
	size_t j;

	for (j = i; j-- > 0;) {
		o = calls[j]->ex->conn;
		if (!calls[j]->resp_id || strcmp(calls[j]->resp_id, calls[i]->prev_resp_id))
			continue;
		if (!sc || !o || (o->pid == sc->pid && o->start_ns == sc->start_ns))
			return calls[j];
	}
	return NULL;
}

static int copy_msg(struct llm_msg *d, const char *role, char *text)
{
	d->role = au_strdup(role);
	d->text = text ? text : au_strdup("");
	return d->role && d->text ? 0 : -ENOMEM;
}

/* The conversation up to @p's answer, then @c's own messages. */
static void inherit(struct llm_call *c, const struct llm_call *p)
{
	size_t n = p->nmsgs + 1 + p->ncalls, k = 0, i;
	struct llm_msg *v = calloc(n + c->nmsgs, sizeof(*v));

	if (!v)
		return;
	for (i = 0; i < p->nmsgs; i++)
		copy_msg(&v[k++], p->msgs[i].role, au_strdup(p->msgs[i].text));
	if (p->text.len)
		copy_msg(&v[k++], "assistant", au_strdup(llm_text(p)));
	for (i = 0; i < p->ncalls; i++)
		copy_msg(&v[k++], "assistant", au_fmt("[tool_call %s] %s",
			 p->calls[i].name ? p->calls[i].name : "?",
			 p->calls[i].args ? p->calls[i].args : ""));
	if (c->nmsgs)
		memcpy(v + k, c->msgs, c->nmsgs * sizeof(*v));
	free(c->msgs);
	c->msgs = v;
	c->ninherited = k;
	c->nmsgs += k;
	c->cmsgs = n + c->nmsgs - k;
}

void llm_link_previous(struct llm_call **calls, size_t n)
{
	const struct llm_call *p;
	size_t i;

	for (i = 0; i < n; i++)
		if (calls[i]->prev_resp_id && !calls[i]->ninherited &&
		    (p = find_previous(calls, i)))
			inherit(calls[i], p);
}

double llm_duration_s(const struct llm_call *c)
{
	return c->t_end > c->t_req ? (double)(c->t_end - c->t_req) / 1e9 : 0;
}

double llm_tokens_per_s(const struct llm_call *c)
{
	uint64_t from = c->t_first_tok ? c->t_first_tok : c->t_req;
	double s;

	/* generation speed excludes the time to first token, unless the whole
	 * answer came at once (then the request's duration is all we know) */
	if (c->t_end < from + 1000000)
		from = c->t_req;
	s = c->t_end > from ? (double)(c->t_end - from) / 1e9 : 0;

	return s > 0 && c->out_tok > 0 ? (double)c->out_tok / s : 0;
}

const char *llm_text(const struct llm_call *c)
{
	return c->text.len ? (const char *)c->text.p : "";
}

const char *llm_thinking(const struct llm_call *c)
{
	return c->thinking.len ? (const char *)c->thinking.p : "";
}

/* ---- pricing ---- */

static int price_line(struct llm_pricing *pt, char *l)
{
	char *f[5], *save = NULL, *end;
	struct llm_price *p;
	double v[4];
	int i;

	for (i = 0; i < 5; i++) {
		f[i] = strtok_r(i ? NULL : l, "\t \r\n", &save);
		if (!f[i])
			return i == 0 ? 0 : -EBADMSG;
	}
	for (i = 0; i < 4; i++) {
		v[i] = strtod(f[i + 1], &end);
		if (*end || v[i] < 0)
			return -EBADMSG;
	}
	p = au_push(&pt->p, &pt->n, &pt->cap, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->prefix = au_strdup(f[0]);
	p->in = v[0];
	p->out = v[1];
	p->cache_read = v[2];
	p->cache_write = v[3];
	return 0;
}

int llm_pricing_load(const char *path, struct llm_pricing **out, unsigned *bad_line)
{
	struct llm_pricing *pt;
	char line[1024];
	unsigned no = 0;
	FILE *f = fopen(path, "r");
	int r = 0;

	if (!f)
		return -errno;
	pt = calloc(1, sizeof(*pt));
	if (!pt) {
		fclose(f);
		return -ENOMEM;
	}
	while (!r && fgets(line, sizeof(line), f)) {
		no++;
		if (line[0] == '#')
			continue;
		r = price_line(pt, line);
	}
	fclose(f);
	if (r) {
		if (bad_line)
			*bad_line = no;
		llm_pricing_free(pt);
		return r;
	}
	*out = pt;
	return 0;
}

void llm_pricing_free(struct llm_pricing *pt)
{
	size_t i;

	if (!pt)
		return;
	for (i = 0; i < pt->n; i++)
		free(pt->p[i].prefix);
	free(pt->p);
	free(pt);
}

const struct llm_price *llm_pricing_find(const struct llm_pricing *pt, const char *model)
{
	const struct llm_price *best = NULL;
	size_t i, bl = 0;

	if (!pt || !model)
		return NULL;
	for (i = 0; i < pt->n; i++) {
		size_t l = strlen(pt->p[i].prefix);

		if (l > bl && !strncmp(model, pt->p[i].prefix, l)) {
			best = &pt->p[i];
			bl = l;
		}
	}
	return best;
}
