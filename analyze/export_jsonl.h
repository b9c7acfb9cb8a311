/* SPDX-License-Identifier: MIT */
/*
 * export_jsonl.h - the model as JSON: one object per process, exec, file
 * operation, connection, HTTP exchange, LLM call, tool effect and loss
 * marker, each with a "type" member ("process", "exec", "file",
 * "connection", "http", "llm_call", "tool_effect", "drop").  Field names
 * match the SQLite columns (db.h), so both exports describe one model.
 *
 * Strings are redacted (redact.h) unless @redact is 0.
 */
#ifndef AS_ANALYZE_EXPORT_JSONL_H
#define AS_ANALYZE_EXPORT_JSONL_H

#include <jansson.h>
#include <stdio.h>

#include "analyze/causal.h"
#include "analyze/model.h"

/* The JSON object of m->calls[i] (new reference). */
json_t *exj_call(const struct model *m, size_t i, int redact);

/* Write every object, one per line; returns objects written or -errno. */
long export_jsonl_write(const struct model *m, const struct causal *cz, FILE *f, int redact);

/* A JSON string of @s (NULL: null), redacted unless !@redact; bytes
 * that are not UTF-8 become '?' rather than failing the export. */
json_t *exj_str(const char *s, int redact);

/* Shared by db.c: file operation and effect names. */
const char *exj_file_op(unsigned type);

#endif
