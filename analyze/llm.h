/* SPDX-License-Identifier: MIT */
/*
 * llm.h - provider-neutral model of one LLM API call, built from an HTTP
 * exchange (conv.h): Anthropic Messages, OpenAI Chat Completions and
 * Responses, Gemini generateContent / streamGenerateContent, and any
 * OpenAI-compatible server (detected by path and body, not by host).
 *
 * Calling sequence:
 *   llm_pricing_load(path, &pt)            optional, for cost
 *   call = llm_from_exchange(ex, pt)       NULL: not an LLM API call
 *   ... read the fields ...
 *   llm_call_free(call); llm_pricing_free(pt);
 *
 * Streamed (SSE) and non-streamed answers fill the same fields the same
 * way: text and thinking concatenated, tool-call arguments as compact JSON.
 * Token counts are -1 when the API did not say.  in_tok counts input tokens
 * NOT read from the cache (Anthropic's meaning; OpenAI's and Gemini's
 * cached tokens are subtracted), so cost = in*p_in + out*p_out +
 * cache_read*p_cr + cache_write*p_cw.
 * Problems (invalid JSON, cut stream, HTTP errors) never fail the call:
 * they go into call->error, the rest is kept.
 */
#ifndef AS_ANALYZE_LLM_H
#define AS_ANALYZE_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/conv.h"
#include "format/cap_buf.h"

struct llm_msg {
	char *role;           /* system user assistant tool ... */
	char *text;           /* content flattened; tool use/results rendered in [] */
};

struct llm_tool_call {
	char *id;
	char *name;
	char *args;           /* compact JSON (or the raw text when it is not JSON) */
	int index;            /* stream index while assembling */
	struct cap_buf argbuf;
	uint64_t ts;          /* when the call was complete in the response */
};

struct llm_price {
	char *prefix;
	double in, out, cache_read, cache_write; /* USD per million tokens */
};

struct llm_pricing {
	struct llm_price *p;
	size_t n, cap;
};

struct llm_call {
	uint64_t id;
	struct conv_exchange *ex;
	const char *provider;   /* anthropic openai gemini openai-compatible */
	const char *api;        /* messages chat.completions responses generateContent ... */
	/*
	 * What the call is for (a static string): "turn" (a step of the
	 * conversation, the default), "side-call" (a helper request the
	 * agent makes beside the conversation: title, classifier, quota),
	 * "count_tokens", or "retry" (the same request repeated after an
	 * error or a cut response; set by llm_mark_retries).  Providers
	 * set the first three in their request() hook.
	 */
	const char *purpose;
	char *host, *path;
	int stream;
	char *model_req, *model_resp, *resp_id;
	char *system;
	struct llm_msg *msgs;
	size_t nmsgs, cmsgs;
	char **tools;           /* names of the tools offered */
	size_t ntools, ctools;
	struct cap_buf text, thinking; /* NUL-terminated when len > 0 */
	struct llm_tool_call *calls;
	size_t ncalls, ccalls;
	int64_t in_tok, out_tok, cache_read, cache_write;
	char *finish;
	int status;
	char *err_type, *err_msg;
	uint64_t t_req, t_resp, t_first_tok, t_end;
	double cost;
	int cost_known;
	char *error;            /* analysis problem, or NULL */
	const char *transport;  /* "http", or "websocket" (conv_exchange ws) */
	char *prev_resp_id;     /* Responses: the request's previous_response_id */
	/* msgs[0..ninherited) were not sent in this request: they are the
	 * conversation up to previous_response_id (llm_link_previous) */
	size_t ninherited;
	int sse_ended;          /* the event stream reached its terminal event */
};

/* Build the call for @ex, or NULL when @ex is not an LLM API call (or out of
 * memory).  @pt may be NULL (no cost). */
struct llm_call *llm_from_exchange(struct conv_exchange *ex, const struct llm_pricing *pt);
void llm_call_free(struct llm_call *c);

/*
 * Mark as "retry" every call whose request (path and body) equals that of
 * an earlier call of the same process that failed (status >= 400, no
 * response, an API error or a cut stream).  @calls in request order.
 */
void llm_mark_retries(struct llm_call **calls, size_t n);

/*
 * Rebuild the conversation of every call that names a previous_response_id
 * (Responses API; incremental input, as Codex sends over WebSocket): the
 * messages of the earlier call of the same process with that response id,
 * then its answer (text, tool calls) as assistant messages, go before the
 * call's own messages (c->ninherited of them).  @calls in request order;
 * a call whose previous response was not captured is left as sent.
 */
void llm_link_previous(struct llm_call **calls, size_t n);

/* Duration from request start to response end, and output tokens/s. */
double llm_duration_s(const struct llm_call *c);
double llm_tokens_per_s(const struct llm_call *c);
const char *llm_text(const struct llm_call *c);     /* "" when none */
const char *llm_thinking(const struct llm_call *c);

/*
 * Load a pricing table: lines "MODEL_PREFIX<TAB>IN<TAB>OUT<TAB>CACHE_READ<TAB>
 * CACHE_WRITE" (USD per million tokens), '#' comments.  0, -errno, or
 * -EBADMSG with *bad_line set.
 */
int llm_pricing_load(const char *path, struct llm_pricing **out, unsigned *bad_line);
void llm_pricing_free(struct llm_pricing *pt);
/* Longest matching prefix for @model, or NULL. */
const struct llm_price *llm_pricing_find(const struct llm_pricing *pt, const char *model);

#endif
