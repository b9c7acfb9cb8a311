/* SPDX-License-Identifier: MIT */
/*
 * llm_gemini.c - Gemini generateContent and streamGenerateContent (SSE with
 * alt=sse, or a streamed JSON array without it).  Every streamed chunk is a
 * whole GenerateContentResponse, so one function reads both.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/autil.h"
#include "analyze/llm_priv.h"

static const json_t *get2(const json_t *o, const char *camel, const char *snake)
{
	const json_t *v = json_object_get(o, camel);

	return v ? v : json_object_get(o, snake);
}

static char *parts_text(const json_t *parts)
{
	struct cap_buf b = { 0 };
	const json_t *p, *f;
	size_t i;
	char *s;

	json_array_foreach(parts, i, p) {
		if (b.len)
			llm_append(&b, "\n");
		if (llm_js(p, "text")) {
			if (json_is_true(json_object_get(p, "thought")))
				llm_append(&b, "[thought] ");
			llm_append(&b, llm_js(p, "text"));
		} else if ((f = get2(p, "functionCall", "function_call"))) {
			s = llm_json_text(json_object_get(f, "args"));
			llm_append(&b, "[tool_call ");
			llm_append(&b, llm_js(f, "name"));
			llm_append(&b, "] ");
			llm_append(&b, s);
			free(s);
		} else if ((f = get2(p, "functionResponse", "function_response"))) {
			s = llm_json_text(json_object_get(f, "response"));
			/* several calls can be answered in one turn: say which */
			llm_append(&b, llm_js(f, "name") ? "[tool_result " : "[tool_result");
			llm_append(&b, llm_js(f, "name"));
			llm_append(&b, "] ");
			llm_append(&b, s);
			free(s);
		} else {
			llm_append(&b, "[part]");
		}
	}
	return b.len ? (char *)b.p : au_strdup("");
}

/*
 * A helper request beside the conversation: Gemini CLI streams every turn
 * and asks for side answers (its model router's complexity classifier, the
 * next-speaker check, loop detection) with non-streamed generateContent,
 * no tools and a JSON response schema.
 */
static int side_call(const struct llm_call *c, const json_t *body)
{
	const json_t *g = get2(body, "generationConfig", "generation_config");
	const char *mime = llm_js(g, "responseMimeType");

	if (c->stream || json_array_size(json_object_get(body, "tools")))
		return 0;
	return get2(g, "responseJsonSchema", "response_json_schema") ||
	       get2(g, "responseSchema", "response_schema") ||
	       (mime && !strcmp(mime, "application/json"));
}

static void request(struct llm_call *c, json_t *body)
{
	const json_t *m, *t, *f;
	size_t i, k;
	char *s;

	llm_set(&c->model_req, llm_js(body, "model"));
	if (strstr(c->path, ":countTokens")) {
		c->purpose = "count_tokens";
		/* the Gemini API's form wraps a whole generateContent request */
		if (json_is_object(json_object_get(body, "generateContentRequest")))
			body = json_object_get(body, "generateContentRequest");
	} else if (side_call(c, body))
		c->purpose = "side-call";
	m = get2(body, "systemInstruction", "system_instruction");
	if (m)
		c->system = parts_text(json_object_get(m, "parts"));
	json_array_foreach(json_object_get(body, "contents"), i, m) {
		s = parts_text(json_object_get(m, "parts"));
		llm_add_msg(c, llm_js(m, "role") ? llm_js(m, "role") : "user", s);
		free(s);
	}
	json_array_foreach(json_object_get(body, "tools"), i, t)
		json_array_foreach(get2(t, "functionDeclarations", "function_declarations"), k, f)
			llm_add_tool(c, llm_js(f, "name"));
}

static void chunk(struct llm_call *c, const json_t *j, uint64_t ts)
{
	const json_t *cand = json_array_get(json_object_get(j, "candidates"), 0), *p, *f;
	const json_t *u = json_object_get(j, "usageMetadata");
	int64_t in, out, cached, thoughts;
	size_t i;

	llm_set(&c->model_resp, llm_js(j, "modelVersion"));
	llm_set(&c->resp_id, llm_js(j, "responseId"));
	json_array_foreach(json_object_get(json_object_get(cand, "content"), "parts"), i, p) {
		if (llm_js(p, "text")) {
			int thought = json_is_true(json_object_get(p, "thought"));

			llm_append(thought ? &c->thinking : &c->text, llm_js(p, "text"));
			llm_token(c, ts);
		} else if ((f = get2(p, "functionCall", "function_call"))) {
			struct llm_tool_call *tc;

			tc = llm_call_add(c, llm_js(f, "id"), llm_js(f, "name"),
					  json_object_get(f, "args"));
			if (tc)
				tc->ts = ts;
			llm_token(c, ts);
		}
	}
	llm_set(&c->finish, llm_js(cand, "finishReason"));
	if (!json_is_object(u))
		return;
	in = llm_ji(u, "promptTokenCount");
	out = llm_ji(u, "candidatesTokenCount");
	cached = llm_ji(u, "cachedContentTokenCount");
	thoughts = llm_ji(u, "thoughtsTokenCount");
	if (cached >= 0)
		c->cache_read = cached;
	if (in >= 0)
		c->in_tok = in - (cached > 0 && cached <= in ? cached : 0);
	if (out >= 0 || thoughts >= 0)
		c->out_tok = (out > 0 ? out : 0) + (thoughts > 0 ? thoughts : 0);
}

static void response(struct llm_call *c, json_t *j)
{
	int64_t total = llm_ji(j, "totalTokens");

	/* countTokens answers {"totalTokens": N}: the input it would cost */
	if (total >= 0 && !json_object_get(j, "candidates"))
		c->in_tok = total;
	chunk(c, j, 0);
	c->t_first_tok = 0; /* set by the caller from the body's first byte */
}

static void event(struct llm_call *c, const char *name, json_t *data, uint64_t ts)
{
	if (json_object_get(data, "error"))
		llm_error_obj(c, json_object_get(data, "error"));
	chunk(c, data, ts);
}

static void end(struct llm_call *c)
{
}

const struct llm_ops llm_gemini_ops = {
	.request = request,
	.response = response,
	.event = event,
	.end = end,
};
