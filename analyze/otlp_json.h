/* SPDX-License-Identifier: MIT */
/*
 * otlp_json.h - building blocks of OTLP/JSON for export_otlp.c: attribute
 * key/values (int64 as strings, as the protobuf JSON mapping wants), spans,
 * span events and deterministic ids.  Not for other modules.
 *
 * Every function tolerates NULL values (the attribute is left out) and
 * strings that are not UTF-8 (bytes >= 0x80 become '?').  Attribute
 * helpers named *_red redact the value first (redact.h).
 */
#ifndef AS_ANALYZE_OTLP_JSON_H
#define AS_ANALYZE_OTLP_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/llm.h"

enum { OJ_KIND_INTERNAL = 1, OJ_KIND_CLIENT = 3 };

/* A JSON string of @s (never invalid UTF-8), NULL on ENOMEM or NULL @s. */
json_t *oj_str(const char *s);

/* @nbytes (8 or 16) bytes of SHA-256 of the formatted text, as lower-case
 * hex into @hex (2 * nbytes + 1); never all zero. */
void oj_id(char *hex, size_t nbytes, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Append an attribute to the array @a. */
void oj_at_str(json_t *a, const char *key, const char *v);
void oj_at_red(json_t *a, const char *key, const char *v);
void oj_at_int(json_t *a, const char *key, int64_t v);
void oj_at_dbl(json_t *a, const char *key, double v);
void oj_at_bool(json_t *a, const char *key, int v);
void oj_at_strs(json_t *a, const char *key, const char *const *v, size_t n);

/*
 * A span appended to @spans (borrowed reference, NULL on ENOMEM); @parent
 * NULL for a root span; times are already wall-clock ns.
 */
json_t *oj_span(json_t *spans, const char *trace, const char *id, const char *parent,
		const char *name, int kind, uint64_t t0, uint64_t t1);

/* The span's attribute array. */
json_t *oj_attrs(json_t *span);

/* A new event of @span; returns its attribute array (borrowed) or NULL. */
json_t *oj_event(json_t *span, const char *name, uint64_t t);

/* Mark the span failed (status code ERROR) with a message. */
void oj_error(json_t *span, const char *msg);

/*
 * Prompt and completion of @c as a gen_ai.client.inference.operation.details
 * event at @t: gen_ai.system_instructions, gen_ai.input.messages and
 * gen_ai.output.messages in the conventions' JSON schemas, as strings,
 * redacted.  1 when added, 0 on ENOMEM.
 */
int oj_content_event(json_t *span, const struct llm_call *c, uint64_t t);

/* A JSON text (tool arguments) redacted, as a compact JSON string. */
void oj_at_json_red(json_t *a, const char *key, const char *v);

#endif
