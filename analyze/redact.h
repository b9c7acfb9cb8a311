/* SPDX-License-Identifier: MIT */
/*
 * redact.h - scrub secrets from everything asanalyze prints or exports:
 * credential headers (Authorization, Proxy-Authorization, x-api-key,
 * x-goog-api-key, api-key, Cookie, Set-Cookie, ...), api-key-shaped strings
 * (sk-ant-..., sk-..., AIza..., ghp_..., xox?-..., AKIA...), "Bearer"
 * tokens, key=/api_key= query parameters and JSON members named like
 * secrets.  The capture itself keeps the raw bytes; --no-redact skips this.
 *
 * Every function returns a new malloc'd string (caller frees) or NULL on
 * ENOMEM; input may hold any bytes.
 */
#ifndef AS_ANALYZE_REDACT_H
#define AS_ANALYZE_REDACT_H

#include <stddef.h>

#define REDACTED "[REDACTED]"

/* 1 when a header of this name carries credentials. */
int redact_header_name(const char *name);

/* The value to show for header @name: redacted when secret, else scrubbed
 * of key-shaped strings. */
char *redact_header(const char *name, const char *value);

/* Scrub @n bytes of text (bodies, raw plaintext, argv); *out_n gets the new
 * length (the result is also NUL-terminated). */
char *redact_bytes(const void *s, size_t n, size_t *out_n);

/* redact_bytes for a NUL-terminated string; NULL in, NULL out. */
char *redact_str(const char *s);
/* 1 when redact_bytes would return @s unchanged (nothing in it to
 * redact), without a copy: the usual case, tested before making one. */
int redact_clean(const void *s, size_t n);

#endif
