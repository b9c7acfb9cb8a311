/* SPDX-License-Identifier: MIT */
/*
 * llm_openai.c - OpenAI Chat Completions (POST .../chat/completions) and
 * Responses (POST .../responses), streamed and not; also every
 * OpenAI-compatible server (vLLM, Ollama, llama.cpp, OpenRouter, ...).
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/autil.h"
#include "analyze/llm_priv.h"

/* Content: a string or an array of parts ({type, text} or images). */
static char *parts_text(const json_t *content)
{
	struct cap_buf b = { 0 };
	const json_t *p;
	size_t i;

	if (json_is_string(content))
		return au_strdup(json_string_value(content));
	json_array_foreach(content, i, p) {
		const char *t = llm_js(p, "type");

		if (b.len)
			llm_append(&b, "\n");
		if (llm_js(p, "text")) {
			llm_append(&b, llm_js(p, "text"));
		} else if (llm_js(p, "refusal")) {
			llm_append(&b, "[refusal] ");
			llm_append(&b, llm_js(p, "refusal"));
		} else {
			llm_append(&b, "[");
			llm_append(&b, t ? t : "part");
			llm_append(&b, "]");
		}
	}
	return b.len ? (char *)b.p : au_strdup("");
}

static void add_tool_names(struct llm_call *c, const json_t *tools)
{
	const json_t *t;
	size_t i;

	json_array_foreach(tools, i, t) {
		const char *n = llm_js(json_object_get(t, "function"), "name");

		llm_add_tool(c, n ? n : llm_js(t, "name") ? llm_js(t, "name") : llm_js(t, "type"));
	}
}

static void render_call(struct cap_buf *b, const char *name, const json_t *args)
{
	char *s = llm_json_text(args);

	if (b->len)
		llm_append(b, "\n");
	llm_append(b, "[tool_call ");
	llm_append(b, name);
	llm_append(b, "] ");
	llm_append(b, s);
	free(s);
}

static void chat_request(struct llm_call *c, json_t *body)
{
	const json_t *m, *tc;
	size_t i, k;

	llm_set(&c->model_req, llm_js(body, "model"));
	c->stream = json_is_true(json_object_get(body, "stream"));
	json_array_foreach(json_object_get(body, "messages"), i, m) {
		const char *role = llm_js(m, "role");
		char *text = parts_text(json_object_get(m, "content"));
		struct cap_buf b = { 0 };

		llm_append(&b, text);
		free(text);
		json_array_foreach(json_object_get(m, "tool_calls"), k, tc) {
			const json_t *f = json_object_get(tc, "function");

			render_call(&b, llm_js(f, "name"), json_object_get(f, "arguments"));
		}
		if (role && (!strcmp(role, "system") || !strcmp(role, "developer")) && !c->system)
			c->system = au_strdup(b.len ? (char *)b.p : "");
		llm_add_msg(c, role, b.len ? (char *)b.p : "");
		cap_buf_release(&b);
	}
	add_tool_names(c, json_object_get(body, "tools"));
}

static void chat_usage(struct llm_call *c, const json_t *u)
{
	int64_t in = llm_ji(u, "prompt_tokens"), out = llm_ji(u, "completion_tokens");
	int64_t cached = llm_ji(json_object_get(u, "prompt_tokens_details"), "cached_tokens");

	if (!json_is_object(u))
		return;
	if (cached >= 0)
		c->cache_read = cached;
	if (in >= 0)
		c->in_tok = in - (cached > 0 && cached <= in ? cached : 0);
	if (out >= 0)
		c->out_tok = out;
}

static void chat_response(struct llm_call *c, json_t *j)
{
	const json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
	const json_t *msg = json_object_get(ch, "message"), *tc;
	size_t i;

	llm_set(&c->model_resp, llm_js(j, "model"));
	llm_set(&c->resp_id, llm_js(j, "id"));
	llm_append(&c->text, llm_js(msg, "content"));
	llm_append(&c->thinking, llm_js(msg, "reasoning_content"));
	json_array_foreach(json_object_get(msg, "tool_calls"), i, tc) {
		const json_t *f = json_object_get(tc, "function");

		llm_call_add(c, llm_js(tc, "id"), llm_js(f, "name"),
			     json_object_get(f, "arguments"));
	}
	llm_set(&c->finish, llm_js(ch, "finish_reason"));
	chat_usage(c, json_object_get(j, "usage"));
}

static void chat_event(struct llm_call *c, const char *name, json_t *data, uint64_t ts)
{
	const json_t *ch = json_array_get(json_object_get(data, "choices"), 0);
	const json_t *d = json_object_get(ch, "delta"), *tc;
	size_t i;

	llm_set(&c->model_resp, llm_js(data, "model"));
	llm_set(&c->resp_id, llm_js(data, "id"));
	if (json_object_get(data, "error"))
		llm_error_obj(c, json_object_get(data, "error"));
	if (llm_js(d, "content") && *llm_js(d, "content")) {
		llm_append(&c->text, llm_js(d, "content"));
		llm_token(c, ts);
	}
	if (llm_js(d, "reasoning_content") && *llm_js(d, "reasoning_content")) {
		llm_append(&c->thinking, llm_js(d, "reasoning_content"));
		llm_token(c, ts);
	}
	json_array_foreach(json_object_get(d, "tool_calls"), i, tc) {
		const json_t *f = json_object_get(tc, "function");
		struct llm_tool_call *t = llm_call_at(c, (int)llm_ji(tc, "index"));
		const char *a = llm_js(f, "arguments");

		if (!t)
			continue;
		llm_set(&t->id, llm_js(tc, "id"));
		llm_set(&t->name, llm_js(f, "name"));
		if (a)
			cap_buf_append(&t->argbuf, a, strlen(a));
		t->ts = ts;
		llm_token(c, ts);
	}
	llm_set(&c->finish, llm_js(ch, "finish_reason"));
	chat_usage(c, json_object_get(data, "usage"));
}

static void no_end(struct llm_call *c)
{
}

const struct llm_ops llm_openai_chat_ops = {
	.request = chat_request,
	.response = chat_response,
	.event = chat_event,
	.end = no_end,
};

/* ---- Responses API ---- */

static void item_msg(struct llm_call *c, const json_t *it)
{
	const char *t = llm_js(it, "type");
	struct cap_buf b = { 0 };
	char *s;

	if (!t || !strcmp(t, "message")) {
		s = parts_text(json_object_get(it, "content"));
		llm_add_msg(c, llm_js(it, "role"), s);
		free(s);
	} else if (!strcmp(t, "function_call")) {
		render_call(&b, llm_js(it, "name"), json_object_get(it, "arguments"));
		llm_add_msg(c, "assistant", (char *)b.p);
	} else if (!strcmp(t, "function_call_output")) {
		llm_append(&b, "[tool_result] ");
		s = parts_text(json_object_get(it, "output"));
		llm_append(&b, s);
		free(s);
		llm_add_msg(c, "tool", (char *)b.p);
	} else {
		llm_append(&b, "[");
		llm_append(&b, t);
		llm_append(&b, "]");
		llm_add_msg(c, "?", (char *)b.p);
	}
	cap_buf_release(&b);
}

static void resp_request(struct llm_call *c, json_t *body)
{
	const json_t *in = json_object_get(body, "input"), *it;
	size_t i;

	llm_set(&c->model_req, llm_js(body, "model"));
	c->stream = json_is_true(json_object_get(body, "stream"));
	llm_set(&c->system, llm_js(body, "instructions"));
	llm_set(&c->prev_resp_id, llm_js(body, "previous_response_id"));
	/* Codex's pre-warm: a response.create with "generate": false */
	if (json_is_false(json_object_get(body, "generate")))
		c->purpose = "side-call";
	if (json_is_string(in))
		llm_add_msg(c, "user", json_string_value(in));
	json_array_foreach(in, i, it)
		item_msg(c, it);
	add_tool_names(c, json_object_get(body, "tools"));
}

static void resp_meta(struct llm_call *c, const json_t *r)
{
	const json_t *u = json_object_get(r, "usage");
	int64_t in = llm_ji(u, "input_tokens"), out = llm_ji(u, "output_tokens");
	int64_t cached = llm_ji(json_object_get(u, "input_tokens_details"), "cached_tokens");
	const char *why = llm_js(json_object_get(r, "incomplete_details"), "reason");

	llm_set(&c->model_resp, llm_js(r, "model"));
	llm_set(&c->resp_id, llm_js(r, "id"));
	llm_set(&c->finish, why ? why : llm_js(r, "status"));
	if (json_object_get(r, "error") && !json_is_null(json_object_get(r, "error")))
		llm_error_obj(c, json_object_get(r, "error"));
	if (cached >= 0)
		c->cache_read = cached;
	if (in >= 0)
		c->in_tok = in - (cached > 0 && cached <= in ? cached : 0);
	if (out >= 0)
		c->out_tok = out;
}

static void resp_output(struct llm_call *c, const json_t *r)
{
	const json_t *it, *p;
	size_t i, k;

	json_array_foreach(json_object_get(r, "output"), i, it) {
		const char *t = llm_js(it, "type");

		if (!t)
			continue;
		if (!strcmp(t, "message")) {
			json_array_foreach(json_object_get(it, "content"), k, p)
				llm_append(&c->text, llm_js(p, "text"));
		} else if (!strcmp(t, "reasoning")) {
			json_array_foreach(json_object_get(it, "summary"), k, p)
				llm_append(&c->thinking, llm_js(p, "text"));
		} else if (!strcmp(t, "function_call")) {
			llm_call_add(c, llm_js(it, "call_id"), llm_js(it, "name"),
				     json_object_get(it, "arguments"));
		}
	}
}

static void resp_response(struct llm_call *c, json_t *j)
{
	resp_meta(c, j);
	resp_output(c, j);
}

static void resp_event(struct llm_call *c, const char *name, json_t *data, uint64_t ts)
{
	const char *t = llm_js(data, "type");
	const json_t *r = json_object_get(data, "response"), *it = json_object_get(data, "item");
	int idx = (int)llm_ji(data, "output_index");
	struct llm_tool_call *tc;

	if (!t)
		return;
	if (!strcmp(t, "response.output_text.delta")) {
		llm_append(&c->text, llm_js(data, "delta"));
		llm_token(c, ts);
	} else if (!strcmp(t, "response.reasoning_summary_text.delta")) {
		llm_append(&c->thinking, llm_js(data, "delta"));
		llm_token(c, ts);
	} else if (!strcmp(t, "response.output_item.added") &&
		   !strcmp(llm_js(it, "type") ? llm_js(it, "type") : "", "function_call") &&
		   (tc = llm_call_at(c, idx))) {
		llm_set(&tc->id, llm_js(it, "call_id"));
		llm_set(&tc->name, llm_js(it, "name"));
	} else if (!strcmp(t, "response.function_call_arguments.delta") &&
		   (tc = llm_call_at(c, idx))) {
		const char *d = llm_js(data, "delta");

		if (d)
			cap_buf_append(&tc->argbuf, d, strlen(d));
		tc->ts = ts;
		llm_token(c, ts);
	} else if (r && (!strcmp(t, "response.created") || !strcmp(t, "response.completed") ||
			 !strcmp(t, "response.incomplete") || !strcmp(t, "response.failed"))) {
		resp_meta(c, r);
		if (strcmp(t, "response.created") && !c->text.len && !c->ncalls)
			resp_output(c, r); /* a server that sent no deltas */
	} else if (!strcmp(t, "error")) {
		llm_error_obj(c, json_object_get(data, "error") ? json_object_get(data, "error")
								: data);
		/* over WebSocket an HTTP error comes wrapped in the event */
		if (llm_ji(data, "status") >= 400 && llm_ji(data, "status") < 600)
			c->status = (int)llm_ji(data, "status");
	}
}

const struct llm_ops llm_openai_responses_ops = {
	.request = resp_request,
	.response = resp_response,
	.event = resp_event,
	.end = no_end,
};
