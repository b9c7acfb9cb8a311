/* SPDX-License-Identifier: MIT */
/*
 * tui_filter.c - parse the timeline filter language (see tui_filter.h).
 */
#include "tui_filter.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[TK_COUNT] = {
	[TK_NONE] = "?", [TK_LLM] = "llm",   [TK_TOOL] = "tool", [TK_EXEC] = "exec",
	[TK_EXIT] = "exit", [TK_FILE] = "file", [TK_NET] = "net",   [TK_TLS] = "tls",
	[TK_DROP] = "drop",
};

const char *tui_kind_name(int kind)
{
	return kind > 0 && kind < TK_COUNT ? kind_names[kind] : "?";
}

int tui_kind_parse(const char *s, size_t n)
{
	int k;

	for (k = 1; k < TK_COUNT; k++)
		if (strlen(kind_names[k]) == n && !strncasecmp(s, kind_names[k], n))
			return k;
	if (n == 7 && !strncasecmp(s, "network", n))
		return TK_NET;
	if (n == 4 && !strncasecmp(s, "loss", n))
		return TK_DROP;
	return TK_NONE;
}

void tui_filter_init(struct tui_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->pid = -1;
	f->tree_pid = -1;
}

int tui_filter_empty(const struct tui_filter *f)
{
	return f->pid < 0 && f->tree_pid < 0 && !f->proc && !f->tool && !f->kinds && !f->comm[0] &&
	       !f->text[0] && !f->since.set && !f->until.set;
}

static int parse_num(const char *s, size_t n, long long max, long long *out)
{
	char buf[32], *end;
	long long v;

	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end || v < 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "HH:MM:SS[.fff]" as nanoseconds since midnight. */
static int parse_clock(const char *s, size_t n, int64_t *ns)
{
	unsigned h, m;
	double sec;
	char buf[32], tail;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (sscanf(buf, "%u:%u:%lf%c", &h, &m, &sec, &tail) != 3 || h > 23 || m > 59 ||
	    sec < 0 || sec >= 61)
		return -EINVAL;
	*ns = ((int64_t)h * 3600 + (int64_t)m * 60) * 1000000000ll + (int64_t)(sec * 1e9 + 0.5);
	return 0;
}

int tui_time_parse(const char *s, size_t n, struct tui_time *t)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "ms", 1e6 }, { "us", 1e3 }, { "ns", 1 }, { "s", 1e9 }, { "m", 60e9 },
		{ "h", 3600e9 }, { "", 1e9 },
	};
	char buf[32], *end;
	double v;
	size_t i;

	memset(t, 0, sizeof(*t));
	if (memchr(s, ':', n)) {
		t->wall = 1;
		t->set = !parse_clock(s, n, &t->ns);
		return t->set ? 0 : -EINVAL;
	}
	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	v = strtod(buf, &end);
	if (end == buf || v < 0 || v > 1e7)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].unit)) {
			t->ns = (int64_t)(v * units[i].mult);
			t->set = 1;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_kinds(struct tui_filter *f, const char *v, size_t n)
{
	size_t i = 0, j;
	int k;

	while (i < n) {
		for (j = i; j < n && v[j] != ','; j++)
			;
		k = tui_kind_parse(v + i, j - i);
		if (k == TK_NONE)
			return -EINVAL;
		f->kinds |= 1u << k;
		i = j + 1;
	}
	return f->kinds ? 0 : -EINVAL;
}

static void append_text(char *dst, size_t size, const char *s, size_t n)
{
	size_t len = strlen(dst);

	if (len && len + 1 < size)
		dst[len++] = ' ';
	if (n > size - 1 - len)
		n = size - 1 - len;
	memcpy(dst + len, s, n);
	dst[len + n] = 0;
}

/* One key=value term; returns 0, 1 (not a known key) or -EINVAL. */
static int parse_term(struct tui_filter *f, const char *k, size_t kn, const char *v, size_t vn)
{
	long long num;

#define KEY(s) (kn == strlen(s) && !strncasecmp(k, s, kn))
	if (KEY("pid") || KEY("tree")) {
		if (parse_num(v, vn, 0x7fffffff, &num))
			return -EINVAL;
		*(KEY("pid") ? &f->pid : &f->tree_pid) = (long)num;
	} else if (KEY("proc") || KEY("tool")) {
		if (parse_num(v, vn, INT64_MAX, &num) || !num)
			return -EINVAL;
		*(KEY("proc") ? &f->proc : &f->tool) = num;
	} else if (KEY("kind")) {
		return parse_kinds(f, v, vn);
	} else if (KEY("comm")) {
		if (!vn || vn >= sizeof(f->comm))
			return -EINVAL;
		memcpy(f->comm, v, vn);
		f->comm[vn] = 0;
	} else if (KEY("since") || KEY("from") || KEY("until") || KEY("to")) {
		return tui_time_parse(v, vn, KEY("since") || KEY("from") ? &f->since : &f->until);
	} else if (KEY("text")) {
		append_text(f->text, sizeof(f->text), v, vn);
	} else {
		return 1;
	}
#undef KEY
	return 0;
}

int tui_filter_parse(struct tui_filter *f, const char *expr, char *msg, size_t msg_size)
{
	const char *p = expr, *t, *eq;
	size_t n;
	int rc;

	tui_filter_init(f);
	while (p && *p) {
		while (isspace((unsigned char)*p))
			p++;
		for (t = p; *t && !isspace((unsigned char)*t); t++)
			;
		n = (size_t)(t - p);
		if (!n)
			break;
		eq = memchr(p, '=', n);
		rc = eq ? parse_term(f, p, (size_t)(eq - p), eq + 1, n - (size_t)(eq - p) - 1) : 1;
		if (rc < 0) {
			snprintf(msg, msg_size, "bad filter term '%.*s'", (int)(n > 60 ? 60 : n), p);
			return -EINVAL;
		}
		if (rc > 0)
			append_text(f->text, sizeof(f->text), p, n);
		p = t;
	}
	return 0;
}
