/* SPDX-License-Identifier: MIT */
/*
 * redact.c - secret scrubbing (see redact.h).  One left-to-right pass; at
 * each position the rules below are tried, the first match is replaced.
 */
#include "redact.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/autil.h"
#include "format/cap_buf.h"

static const char *const secret_headers[] = {
	"authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "api-key",
	"cookie", "set-cookie", "x-auth-token", "openai-api-key", "anthropic-api-key",
	"x-amz-security-token", "private-token",
};

/* key prefixes and the minimum token length after them */
static const struct {
	const char *prefix;
	size_t min;
} key_shapes[] = {
	{ "sk-ant-", 10 }, { "sk-proj-", 10 }, { "sk-", 16 }, { "AIza", 30 },
	{ "ghp_", 20 },    { "gho_", 20 },     { "github_pat_", 20 }, { "xoxb-", 10 },
	{ "xoxp-", 10 },   { "AKIA", 16 },     { "hf_", 20 }, { "glpat-", 16 },
};

/* query / form / JSON member names whose value is a secret */
static const char *const secret_keys[] = {
	"key", "api_key", "apikey", "apiKey", "api-key", "access_token", "refresh_token",
	"client_secret", "password", "secret", "token", "x-api-key",
};

int redact_header_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(secret_headers) / sizeof(secret_headers[0]); i++)
		if (!strcasecmp(name, secret_headers[i]))
			return 1;
	return 0;
}

static int tok_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' ||
	       c == '/' || c == '=';
}

static size_t tok_len(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n && tok_char(s[i]))
		i++;
	return i;
}

static inline int word_start(const unsigned char *s, size_t i)
{
	return i == 0 || !(isalnum(s[i - 1]) || s[i - 1] == '_' || s[i - 1] == '-');
}

/* "name: value" header lines inside raw text; returns bytes matched. */
static size_t header_line(const unsigned char *s, size_t n, size_t i, struct cap_buf *o)
{
	size_t k, j, e;

	if ((i && s[i - 1] != '\n') || !isalpha(s[i]))
		return 0;
	for (k = 0; k < sizeof(secret_headers) / sizeof(secret_headers[0]); k++) {
		size_t l = strlen(secret_headers[k]);

		if (i + l + 1 > n || strncasecmp((const char *)s + i, secret_headers[k], l) ||
		    s[i + l] != ':')
			continue;
		j = i + l + 1;
		while (j < n && s[j] == ' ')
			j++;
		e = j;
		while (e < n && s[e] != '\r' && s[e] != '\n')
			e++;
		cap_buf_append(o, s + i, j - i);
		if (e - j > 7 && !strncasecmp((const char *)s + j, "bearer ", 7))
			cap_buf_append(o, s + j, 7);
		cap_buf_append(o, REDACTED, strlen(REDACTED));
		return e - i;
	}
	return 0;
}

/* The first letters of every key shape and of "bearer" (strchr costs a
 * call per candidate byte). */
static inline int shape_first(unsigned char c)
{
	switch (c) {
	case 's': case 'A': case 'g': case 'x': case 'h': case 'b': case 'B': case 'G':
		return 1;
	default:
		return 0;
	}
}

static size_t key_shape(const unsigned char *s, size_t n, size_t i, struct cap_buf *o)
{
	size_t k, l, t;

	/* first letters of every key shape and of "bearer": most bytes stop here */
	if (!shape_first(s[i]) || !word_start(s, i))
		return 0;
	for (k = 0; k < sizeof(key_shapes) / sizeof(key_shapes[0]); k++) {
		if (s[i] != (unsigned char)key_shapes[k].prefix[0])
			continue;
		l = strlen(key_shapes[k].prefix);
		if (i + l > n || memcmp(s + i, key_shapes[k].prefix, l))
			continue;
		t = tok_len(s + i + l, n - i - l);
		if (t < key_shapes[k].min)
			continue;
		cap_buf_append(o, s + i, l);
		cap_buf_append(o, REDACTED, strlen(REDACTED));
		return l + t;
	}
	if (i + 7 < n && !strncasecmp((const char *)s + i, "bearer ", 7)) {
		t = tok_len(s + i + 7, n - i - 7);
		/* already redacted: leave it; a token shorter than the marker is not it */
		if (t >= 8 && (t < strlen(REDACTED) ||
			       memcmp(s + i + 7, REDACTED, strlen(REDACTED)))) {
			cap_buf_append(o, s + i, 7);
			cap_buf_append(o, REDACTED, strlen(REDACTED));
			return 7 + t;
		}
	}
	return 0;
}

/* key=VALUE (query/form) and "key": "VALUE" (JSON) */
static size_t key_value(const unsigned char *s, size_t n, size_t i, struct cap_buf *o)
{
	size_t k, l, j, t;
	int quoted = i > 0 && s[i - 1] == '"';

	if (!quoted && !(i == 0 || s[i - 1] == '?' || s[i - 1] == '&'))
		return 0;
	for (k = 0; k < sizeof(secret_keys) / sizeof(secret_keys[0]); k++) {
		/* the first letter alone rules out most keys (bodies have many
		 * quotes) */
		if (s[i] != (unsigned char)secret_keys[k][0])
			continue;
		l = strlen(secret_keys[k]);
		if (i + l >= n || memcmp(s + i, secret_keys[k], l))
			continue;
		j = i + l;
		if (quoted) {
			if (s[j] != '"')
				continue;
			j++;
			while (j < n && (s[j] == ' ' || s[j] == ':'))
				j++;
			if (j >= n || s[j] != '"')
				continue;
			j++;
			for (t = j; t < n && s[t] != '"'; t++)
				if (s[t] == '\\')
					t++;
		} else {
			if (s[j] != '=')
				continue;
			j++;
			for (t = j; t < n && s[t] != '&' && s[t] != ' ' && s[t] != '#' &&
				    s[t] != '\r' && s[t] != '\n'; t++)
				;
		}
		if (t > n)
			t = n;
		if (t == j)
			continue;
		cap_buf_append(o, s + i, j - i);
		cap_buf_append(o, REDACTED, strlen(REDACTED));
		return t - i;
	}
	return 0;
}

/* Whether a rule may start at @i: header_line after a line start,
 * key_value after a start, quote, '?' or '&', key_shape at the word start
 * of one of its first letters.  Most bytes stop here. */
static inline int may_match(const unsigned char *s, size_t i)
{
	if (!i)
		return 1;
	switch (s[i - 1]) {
	case '\n':
	case '"':
	case '?':
	case '&':
		return 1;
	default:
		break;
	}
	return shape_first(s[i]) && word_start(s, i);
}

char *redact_bytes(const void *p, size_t n, size_t *out_n)
{
	const unsigned char *s = p;
	struct cap_buf o = { 0 };
	size_t i = 0, plain = 0, m;

	/* the size of the usual result (nothing replaced), not cap_buf's
	 * 4 KiB: most texts are short and there are millions of them */
	if (au_buf_prealloc(&o, n + 1))
		return NULL;
	while (i < n) {
		if (!may_match(s, i)) {
			i++;
			continue;
		}
		/* the bytes before go out unchanged, in one piece */
		cap_buf_append(&o, s + plain, i - plain);
		plain = i;
		m = header_line(s, n, i, &o);
		if (!m)
			m = key_shape(s, n, i, &o);
		if (!m)
			m = key_value(s, n, i, &o);
		if (m) {
			i += m;
			plain = i;
			continue;
		}
		i++;
	}
	cap_buf_append(&o, s + plain, n - plain);
	if (cap_buf_append(&o, "", 1)) {
		cap_buf_release(&o);
		return NULL;
	}
	if (out_n)
		*out_n = o.len - 1;
	return (char *)o.p;
}

int redact_clean(const void *p, size_t n)
{
	const unsigned char *s = p;
	struct cap_buf o = { 0 }; /* a rule that matches writes here */
	size_t i;
	int clean = 1;

	/* redact_bytes copies all bytes up to its first match unchanged */
	for (i = 0; clean && i < n; i++)
		if (may_match(s, i) &&
		    (header_line(s, n, i, &o) || key_shape(s, n, i, &o) || key_value(s, n, i, &o)))
			clean = 0;
	cap_buf_release(&o);
	return clean;
}

char *redact_str(const char *s)
{
	return s ? redact_bytes(s, strlen(s), NULL) : NULL;
}

char *redact_header(const char *name, const char *value)
{
	struct cap_buf o = { 0 };

	if (!redact_header_name(name))
		return redact_str(value);
	/* "Bearer [REDACTED]" at most: not cap_buf's 4 KiB */
	if (au_buf_prealloc(&o, 8 + strlen(REDACTED)))
		return NULL;
	if (!strncasecmp(value, "bearer ", 7) || !strncasecmp(value, "basic ", 6)) {
		size_t l = value[1] == 'e' || value[1] == 'E' ? 7 : 6;

		cap_buf_append(&o, value, l);
	}
	cap_buf_append(&o, REDACTED, strlen(REDACTED) + 1);
	return (char *)o.p;
}
