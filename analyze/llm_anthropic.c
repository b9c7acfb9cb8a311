/* SPDX-License-Identifier: MIT */
/*
 * llm_anthropic.c - Anthropic Messages API (POST /v1/messages), streamed
 * (message_start, content_block_*, message_delta, message_stop, error
 * events) and not.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/autil.h"
#include "analyze/llm_priv.h"

/* Flatten a content value (string or block array) into readable text. */
static char *render(const json_t *content)
{
	struct cap_buf b = { 0 };
	const json_t *blk;
	size_t i;
	char *s;

	if (json_is_string(content))
		return au_strdup(json_string_value(content));
	json_array_foreach(content, i, blk) {
		const char *t = llm_js(blk, "type");

		if (b.len)
			llm_append(&b, "\n");
		if (!t || !strcmp(t, "text")) {
			llm_append(&b, llm_js(blk, "text"));
		} else if (!strcmp(t, "thinking")) {
			llm_append(&b, "[thinking] ");
			llm_append(&b, llm_js(blk, "thinking"));
		} else if (!strcmp(t, "tool_use")) {
			s = llm_json_text(json_object_get(blk, "input"));
			llm_append(&b, "[tool_use ");
			llm_append(&b, llm_js(blk, "name"));
			llm_append(&b, "] ");
			llm_append(&b, s);
			free(s);
		} else if (!strcmp(t, "tool_result")) {
			s = render(json_object_get(blk, "content"));
			llm_append(&b, json_is_true(json_object_get(blk, "is_error"))
					       ? "[tool_result error] " : "[tool_result] ");
			llm_append(&b, s);
			free(s);
		} else {
			llm_append(&b, "[");
			llm_append(&b, t);
			llm_append(&b, "]");
		}
	}
	return b.len ? (char *)b.p : au_strdup("");
}

/*
 * Claude Code (User-Agent claude-cli/..., x-app: cli) offers its tools on
 * every conversation turn, even with --allowedTools; its helper requests
 * (title, topic and Bash command-prefix classifiers, quota checks) offer
 * none.  Other clients without tools are plain turns.
 */
static int claude_code_side_call(const struct llm_call *c, const json_t *body)
{
	const struct http_msg *req = c->ex->req;
	const char *ua = req ? http_msg_header(req, "user-agent") : NULL;
	const char *app = req ? http_msg_header(req, "x-app") : NULL;
	const json_t *tools = json_object_get(body, "tools");

	if (!(ua && !strncmp(ua, "claude-cli/", 11)) && !(app && !strcmp(app, "cli")))
		return 0;
	return !json_array_size(tools);
}

static void request(struct llm_call *c, json_t *body)
{
	const json_t *m, *tool;
	size_t i;
	char *s;

	llm_set(&c->model_req, llm_js(body, "model"));
	c->stream = json_is_true(json_object_get(body, "stream"));
	if (strstr(c->path, "/count_tokens"))
		c->purpose = "count_tokens";
	if (json_object_get(body, "system")) {
		c->system = render(json_object_get(body, "system"));
	}
	json_array_foreach(json_object_get(body, "messages"), i, m) {
		s = render(json_object_get(m, "content"));
		llm_add_msg(c, llm_js(m, "role"), s);
		free(s);
	}
	json_array_foreach(json_object_get(body, "tools"), i, tool)
		llm_add_tool(c, llm_js(tool, "name"));
	if (!strcmp(c->purpose, "turn") && claude_code_side_call(c, body))
		c->purpose = "side-call";
}

static void usage(struct llm_call *c, const json_t *u)
{
	int64_t v;

	if (!json_is_object(u))
		return;
	if ((v = llm_ji(u, "input_tokens")) >= 0)
		c->in_tok = v;
	if ((v = llm_ji(u, "output_tokens")) >= 0)
		c->out_tok = v;
	if ((v = llm_ji(u, "cache_read_input_tokens")) >= 0)
		c->cache_read = v;
	if ((v = llm_ji(u, "cache_creation_input_tokens")) >= 0)
		c->cache_write = v;
}

static void block(struct llm_call *c, const json_t *blk, int index)
{
	const char *t = llm_js(blk, "type");
	struct llm_tool_call *tc;

	if (!t)
		return;
	if (!strcmp(t, "text")) {
		llm_append(&c->text, llm_js(blk, "text"));
	} else if (!strcmp(t, "thinking")) {
		llm_append(&c->thinking, llm_js(blk, "thinking"));
	} else if (!strcmp(t, "tool_use") || !strcmp(t, "server_tool_use")) {
		tc = index >= 0 ? llm_call_at(c, index) : llm_call_add(c, NULL, NULL, NULL);
		if (!tc)
			return;
		llm_set(&tc->id, llm_js(blk, "id"));
		llm_set(&tc->name, llm_js(blk, "name"));
		free(tc->args);
		tc->args = llm_json_text(json_object_get(blk, "input"));
	}
}

static void response(struct llm_call *c, json_t *j)
{
	const json_t *blk;
	size_t i;

	llm_set(&c->model_resp, llm_js(j, "model"));
	llm_set(&c->resp_id, llm_js(j, "id"));
	json_array_foreach(json_object_get(j, "content"), i, blk)
		block(c, blk, -1);
	llm_set(&c->finish, llm_js(j, "stop_reason"));
	usage(c, json_object_get(j, "usage"));
}

static void delta(struct llm_call *c, const json_t *d, int index, uint64_t ts)
{
	const char *t = llm_js(d, "type");
	struct llm_tool_call *tc;

	if (!t)
		return;
	if (!strcmp(t, "text_delta")) {
		llm_append(&c->text, llm_js(d, "text"));
		llm_token(c, ts);
	} else if (!strcmp(t, "thinking_delta")) {
		llm_append(&c->thinking, llm_js(d, "thinking"));
		llm_token(c, ts);
	} else if (!strcmp(t, "input_json_delta") && (tc = llm_call_at(c, index))) {
		const char *pj = llm_js(d, "partial_json");

		if (pj)
			cap_buf_append(&tc->argbuf, pj, strlen(pj));
		tc->ts = ts;
		llm_token(c, ts);
	}
}

static void event(struct llm_call *c, const char *name, json_t *data, uint64_t ts)
{
	const char *t = llm_js(data, "type");
	int index = (int)llm_ji(data, "index");
	const json_t *msg;

	if (!t)
		return;
	if (!strcmp(t, "message_start")) {
		msg = json_object_get(data, "message");
		llm_set(&c->model_resp, llm_js(msg, "model"));
		llm_set(&c->resp_id, llm_js(msg, "id"));
		usage(c, json_object_get(msg, "usage"));
	} else if (!strcmp(t, "content_block_start")) {
		block(c, json_object_get(data, "content_block"), index);
		if (llm_js(json_object_get(data, "content_block"), "text") &&
		    *llm_js(json_object_get(data, "content_block"), "text"))
			llm_token(c, ts);
	} else if (!strcmp(t, "content_block_delta")) {
		delta(c, json_object_get(data, "delta"), index, ts);
	} else if (!strcmp(t, "message_delta")) {
		llm_set(&c->finish, llm_js(json_object_get(data, "delta"), "stop_reason"));
		usage(c, json_object_get(data, "usage"));
	} else if (!strcmp(t, "error")) {
		llm_error_obj(c, json_object_get(data, "error"));
	}
}

static void end(struct llm_call *c)
{
	/* tool-call arguments are joined by llm_calls_finish() */
}

const struct llm_ops llm_anthropic_ops = {
	.request = request,
	.response = response,
	.event = event,
	.end = end,
};
