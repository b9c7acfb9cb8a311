/* SPDX-License-Identifier: MIT */
/*
 * otlp_json.c - OTLP/JSON attributes, spans and ids (see otlp_json.h).
 */
#include "otlp_json.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/autil.h"
#include "analyze/llm.h"
#include "analyze/redact.h"

json_t *oj_str(const char *s)
{
	json_t *j;
	char *q;

	if (!s)
		return NULL;
	j = json_string(s);
	if (j || !(q = au_strdup(s)))
		return j;
	/* not UTF-8: keep ASCII, mark the other bytes */
	for (char *x = q; *x; x++)
		if ((unsigned char)*x >= 0x80)
			*x = '?';
	j = json_string(q);
	free(q);
	return j;
}

void oj_id(char *hex, size_t nbytes, const char *fmt, ...)
{
	unsigned char md[EVP_MAX_MD_SIZE] = { 0 };
	unsigned mdlen = 0, i, any = 0;
	char buf[1024];
	va_list ap;
	int n;

	if (nbytes < 1 || nbytes > 32)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	if (!EVP_Digest(buf, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
		memset(md, 0, sizeof(md));
	for (i = 0; i < nbytes; i++)
		any |= md[i];
	if (!any)
		md[nbytes - 1] = 1; /* an all-zero id means "none" in OTLP */
	for (i = 0; i < nbytes; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void attr(json_t *a, const char *key, const char *type, json_t *v)
{
	json_t *kv;

	if (!v)
		return;
	kv = json_pack("{s:s, s:{s:o}}", "key", key, "value", type, v);
	if (kv)
		json_array_append_new(a, kv);
}

void oj_at_str(json_t *a, const char *key, const char *v)
{
	attr(a, key, "stringValue", oj_str(v));
}

void oj_at_red(json_t *a, const char *key, const char *v)
{
	char *r = v ? redact_str(v) : NULL;

	oj_at_str(a, key, r);
	free(r);
}

void oj_at_int(json_t *a, const char *key, int64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%" PRId64, v);
	attr(a, key, "intValue", json_string(b));
}

void oj_at_dbl(json_t *a, const char *key, double v)
{
	attr(a, key, "doubleValue", json_real(v));
}

void oj_at_bool(json_t *a, const char *key, int v)
{
	attr(a, key, "boolValue", json_boolean(v));
}

void oj_at_strs(json_t *a, const char *key, const char *const *v, size_t n)
{
	json_t *vals = json_array();
	size_t i;

	for (i = 0; vals && i < n; i++)
		json_array_append_new(vals, json_pack("{s:o}", "stringValue", oj_str(v[i])));
	attr(a, key, "arrayValue", vals ? json_pack("{s:o}", "values", vals) : NULL);
}

static json_t *jtime(uint64_t t)
{
	char b[32];

	snprintf(b, sizeof(b), "%" PRIu64, t);
	return json_string(b);
}

json_t *oj_span(json_t *spans, const char *trace, const char *id, const char *parent,
		const char *name, int kind, uint64_t t0, uint64_t t1)
{
	json_t *s = json_object();

	if (!s)
		return NULL;
	if (t1 < t0)
		t1 = t0;
	json_object_set_new(s, "traceId", json_string(trace));
	json_object_set_new(s, "spanId", json_string(id));
	if (parent)
		json_object_set_new(s, "parentSpanId", json_string(parent));
	json_object_set_new(s, "name", oj_str(name ? name : "?"));
	json_object_set_new(s, "kind", json_integer(kind));
	json_object_set_new(s, "startTimeUnixNano", jtime(t0));
	json_object_set_new(s, "endTimeUnixNano", jtime(t1));
	json_object_set_new(s, "attributes", json_array());
	if (json_array_append_new(spans, s))
		return NULL;
	return s;
}

json_t *oj_attrs(json_t *span)
{
	return json_object_get(span, "attributes");
}

json_t *oj_event(json_t *span, const char *name, uint64_t t)
{
	json_t *evs = json_object_get(span, "events"), *ev;

	if (!evs) {
		evs = json_array();
		if (json_object_set_new(span, "events", evs))
			return NULL;
	}
	ev = json_pack("{s:o, s:s, s:[]}", "timeUnixNano", jtime(t), "name", name, "attributes");
	if (!ev || json_array_append_new(evs, ev))
		return NULL;
	return json_object_get(ev, "attributes");
}

void oj_error(json_t *span, const char *msg)
{
	json_t *st = json_object();

	if (!st)
		return;
	if (msg)
		json_object_set_new(st, "message", oj_str(msg));
	json_object_set_new(st, "code", json_integer(2)); /* STATUS_CODE_ERROR */
	json_object_set_new(span, "status", st);
}

/* ---- content (--otlp-content) ---- */

/* gen_ai.tool.call.arguments and the like: JSON when it parses, after
 * redaction, else the redacted text. */
static json_t *red_json(const char *s)
{
	char *r = s ? redact_str(s) : NULL;
	json_t *j = r ? json_loads(r, JSON_DECODE_ANY, NULL) : NULL;

	if (!j)
		j = oj_str(r);
	free(r);
	return j;
}

static json_t *text_part(const char *type, const char *s)
{
	char *r = redact_str(s);
	json_t *p = r ? json_pack("{s:s, s:o}", "type", type, "content", oj_str(r)) : NULL;

	free(r);
	return p;
}

static void at_json(json_t *a, const char *key, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	oj_at_str(a, key, s);
	free(s);
	json_decref(v);
}

/* gen_ai.client.inference.operation.details: the conventions' JSON
 * schemas for input and output messages, as strings. */
int oj_content_event(json_t *s, const struct llm_call *c, uint64_t t)
{
	json_t *a = oj_event(s, "gen_ai.client.inference.operation.details", t);
	json_t *in = json_array(), *parts = json_array(), *out;
	size_t i;

	if (!a || !in || !parts) {
		json_decref(in);
		json_decref(parts);
		return 0;
	}
	oj_at_str(a, "gen_ai.operation.name", "chat");
	if (c->system)
		at_json(a, "gen_ai.system_instructions", json_pack("[o]", text_part("text", c->system)));
	for (i = 0; i < c->nmsgs; i++)
		json_array_append_new(in, json_pack("{s:s, s:[o]}", "role", c->msgs[i].role ?
						    c->msgs[i].role : "user", "parts",
						    text_part("text", c->msgs[i].text ?
							      c->msgs[i].text : "")));
	at_json(a, "gen_ai.input.messages", in);
	if (c->thinking.len)
		json_array_append_new(parts, text_part("reasoning", llm_thinking(c)));
	if (c->text.len)
		json_array_append_new(parts, text_part("text", llm_text(c)));
	for (i = 0; i < c->ncalls; i++) {
		const struct llm_tool_call *tc = &c->calls[i];
		json_t *p = json_pack("{s:s}", "type", "tool_call");

		if (p && tc->id)
			json_object_set_new(p, "id", oj_str(tc->id));
		if (p)
			json_object_set_new(p, "name", oj_str(tc->name ? tc->name : ""));
		if (p)
			json_object_set_new(p, "arguments", red_json(tc->args));
		json_array_append_new(parts, p);
	}
	out = json_pack("[{s:s, s:o}]", "role", "assistant", "parts", parts);
	if (out && c->finish)
		json_object_set_new(json_array_get(out, 0), "finish_reason", oj_str(c->finish));
	at_json(a, "gen_ai.output.messages", out);
	return 1;
}

void oj_at_json_red(json_t *a, const char *key, const char *v)
{
	at_json(a, key, red_json(v));
}
