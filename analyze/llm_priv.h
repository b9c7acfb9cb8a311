/* SPDX-License-Identifier: MIT */
/*
 * llm_priv.h - what llm.c shares with the provider files (llm_anthropic.c,
 * llm_openai.c, llm_gemini.c).  Not for other modules.
 *
 * A provider fills one struct llm_ops: request() reads the request body,
 * response() a whole (non-streamed) response body, event() one streamed
 * chunk (an SSE event's data, or one element of a streamed JSON array),
 * end() finishes a stream (joins tool-call argument fragments).
 */
#ifndef AS_ANALYZE_LLM_PRIV_H
#define AS_ANALYZE_LLM_PRIV_H

#include <jansson.h>

#include "analyze/llm.h"

struct llm_ops {
	void (*request)(struct llm_call *c, json_t *body);
	void (*response)(struct llm_call *c, json_t *body);
	void (*event)(struct llm_call *c, const char *name, json_t *data, uint64_t ts);
	void (*end)(struct llm_call *c);
};

extern const struct llm_ops llm_anthropic_ops;
extern const struct llm_ops llm_openai_chat_ops;
extern const struct llm_ops llm_openai_responses_ops;
extern const struct llm_ops llm_gemini_ops;

/* JSON accessors: NULL / -1 when absent or of another type. */
const char *llm_js(const json_t *o, const char *key);
int64_t llm_ji(const json_t *o, const char *key);
json_t *llm_jo(const json_t *o, const char *key); /* object or array member */

void llm_set(char **dst, const char *s);            /* replace with a copy */
void llm_append(struct cap_buf *b, const char *s);  /* keeps NUL termination */
void llm_add_msg(struct llm_call *c, const char *role, const char *text);
void llm_add_tool(struct llm_call *c, const char *name);
/* The tool call with stream @index, created when new. */
struct llm_tool_call *llm_call_at(struct llm_call *c, int index);
struct llm_tool_call *llm_call_add(struct llm_call *c, const char *id, const char *name,
				   const json_t *args);
/* A first content token was seen at @ts. */
void llm_token(struct llm_call *c, uint64_t ts);
/* Compact JSON text of @v (a string stays as its text); caller frees. */
char *llm_json_text(const json_t *v);
/* Turn argbuf fragments into args (normalised compact JSON). */
void llm_calls_finish(struct llm_call *c);
/* Set the API error from an "error" object (any provider's shape). */
void llm_error_obj(struct llm_call *c, const json_t *err);
void llm_note(struct llm_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
