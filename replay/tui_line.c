/* SPDX-License-Identifier: MIT */
/*
 * tui_line.c - attributed, terminal-safe text lines (see tui_line.h).
 */
#include "tui_line.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

void tui_line_init(struct tui_line *l)
{
	static char empty[1];

	memset(l, 0, sizeof(*l));
	l->text = empty;
}

void tui_line_reset(struct tui_line *l)
{
	l->len = 0;
	l->nspans = 0;
	l->oom = 0;
	if (l->cap)
		l->text[0] = 0;
}

void tui_line_release(struct tui_line *l)
{
	if (l->cap)
		free(l->text);
	free(l->spans);
	tui_line_init(l);
}

static int reserve(struct tui_line *l, size_t add)
{
	size_t need = l->len + add + 1, cap;
	char *t;

	if (l->oom)
		return -1;
	if (need <= l->cap)
		return 0;
	cap = l->cap ? l->cap : 64;
	while (cap < need)
		cap *= 2;
	t = l->cap ? realloc(l->text, cap) : malloc(cap);
	if (!t) {
		l->oom = 1;
		return -1;
	}
	if (!l->cap)
		t[0] = 0;
	l->text = t;
	l->cap = cap;
	return 0;
}

static void set_attr(struct tui_line *l, enum tui_attr a)
{
	struct tui_span *s;

	if (l->nspans && l->spans[l->nspans - 1].attr == a)
		return;
	if (l->nspans && l->spans[l->nspans - 1].off == l->len) {
		l->spans[l->nspans - 1].attr = (uint8_t)a;
		return;
	}
	if (l->nspans == l->cspans) {
		size_t c = l->cspans ? l->cspans * 2 : 8;

		s = realloc(l->spans, c * sizeof(*s));
		if (!s) {
			l->oom = 1;
			return;
		}
		l->spans = s;
		l->cspans = c;
	}
	l->spans[l->nspans].off = (uint32_t)l->len;
	l->spans[l->nspans++].attr = (uint8_t)a;
}

static void put_raw(struct tui_line *l, const char *p, size_t n)
{
	if (reserve(l, n))
		return;
	memcpy(l->text + l->len, p, n);
	l->len += n;
	l->text[l->len] = 0;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters that reorder or hide text (Trojan Source) or break lines. */
static int is_format_char(uint32_t c)
{
	return (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x206f) || c == 0xfeff || c == 0x061c ||
	       (c >= 0xfff9 && c <= 0xfffb) || c == 0x00ad;
}

/* Display width of a code point we let through, or -1 to escape it. */
static int cp_width(uint32_t c, int utf8)
{
	int w;

	if (c < 0x80)
		return c >= 0x20 && c < 0x7f ? 1 : -1;
	if (!utf8 || c < 0xa0 || is_format_char(c))
		return -1;
	w = wcwidth((wchar_t)c);
	return w > 0 ? w : -1;
}

/* The visible escape for a byte or code point; returns its length. */
static size_t escape_for(char *buf, size_t size, uint32_t c, int is_byte)
{
	static const char named[] = { '\a', 'a', '\b', 'b', '\t', 't', '\n', 'n',
				      '\v', 'v', '\f', 'f', '\r', 'r', 27, 'e' };
	size_t i;

	for (i = 0; c < 0x80 && i < sizeof(named); i += 2)
		if ((unsigned char)named[i] == c)
			return (size_t)snprintf(buf, size, "\\%c", named[i + 1]);
	if (is_byte || c < 0x80)
		return (size_t)snprintf(buf, size, "\\x%02x", (unsigned)c);
	return (size_t)snprintf(buf, size, "\\u{%04x}", (unsigned)c);
}

/*
 * Walk @n bytes; for each run of safe bytes call emit(ctx, p, len, 0), for
 * each escape emit(ctx, text, len, 1).  Returns the number of escapes.
 */
static size_t walk(const uint8_t *p, size_t n, int utf8,
		   void (*emit)(void *ctx, const char *s, size_t len, int esc), void *ctx)
{
	size_t i = 0, run = 0, nesc = 0, k;
	uint32_t c;
	char buf[16];

	while (i < n) {
		k = utf8_decode(p + i, n - i, &c);
		if (k && cp_width(c, utf8) > 0) {
			i += k;
			run += k;
			continue;
		}
		if (run)
			emit(ctx, (const char *)p + i - run, run, 0);
		run = 0;
		emit(ctx, buf, escape_for(buf, sizeof(buf), k ? c : p[i], !k), 1);
		nesc++;
		i += k ? k : 1;
	}
	if (run)
		emit(ctx, (const char *)p + i - run, run, 0);
	return nesc;
}

struct line_ctx {
	struct tui_line *l;
	enum tui_attr a;
};

static void emit_line(void *ctx, const char *s, size_t len, int esc)
{
	struct line_ctx *c = ctx;

	set_attr(c->l, esc ? TA_ESC : c->a);
	put_raw(c->l, s, len);
}

size_t tui_line_add_safe(struct tui_line *l, enum tui_attr a, const void *p, size_t n, int utf8)
{
	struct line_ctx c = { l, a };

	return p ? walk(p, n, utf8, emit_line, &c) : 0;
}

void tui_line_add(struct tui_line *l, enum tui_attr a, const char *s)
{
	if (s)
		tui_line_add_safe(l, a, s, strlen(s), 1);
}

void tui_line_addf(struct tui_line *l, enum tui_attr a, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		tui_line_add_safe(l, a, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1,
				  1);
}

int tui_char_width(const char *s, size_t n, size_t *len)
{
	uint32_t c;
	size_t k = utf8_decode((const uint8_t *)s, n, &c);
	int w;

	if (!k) {
		*len = 1;
		return 1;
	}
	*len = k;
	w = c < 0x80 ? 1 : wcwidth((wchar_t)c);
	return w > 0 ? w : 1;
}

size_t tui_line_width(const struct tui_line *l)
{
	size_t i = 0, w = 0, k;

	while (i < l->len) {
		w += (size_t)tui_char_width(l->text + i, l->len - i, &k);
		i += k;
	}
	return w;
}

void tui_line_pad(struct tui_line *l, enum tui_attr a, size_t col)
{
	size_t w = tui_line_width(l);

	set_attr(l, a);
	while (w++ < col)
		put_raw(l, " ", 1);
}

enum tui_attr tui_line_attr_at(const struct tui_line *l, size_t off)
{
	enum tui_attr a = TA_NORMAL;
	size_t i;

	for (i = 0; i < l->nspans && l->spans[i].off <= off; i++)
		a = (enum tui_attr)l->spans[i].attr;
	return a;
}

struct esc_ctx {
	char *dst;
	size_t size, len;
};

static void emit_plain(void *ctx, const char *s, size_t len, int esc)
{
	struct esc_ctx *c = ctx;
	size_t i;

	for (i = 0; i < len; i++, c->len++)
		if (c->len + 1 < c->size)
			c->dst[c->len] = s[i];
}

size_t tui_escape(char *dst, size_t size, const void *p, size_t n, int utf8)
{
	struct esc_ctx c = { dst, size, 0 };

	if (p)
		walk(p, n, utf8, emit_plain, &c);
	if (size)
		dst[c.len < size ? c.len : size - 1] = 0;
	return c.len;
}

void tui_line_copy(struct tui_line *dst, const struct tui_line *src, size_t off, size_t len)
{
	size_t i, end = off + len > src->len ? src->len : off + len, next;
	enum tui_attr a;

	for (i = off; i < end; i = next) {
		a = tui_line_attr_at(src, i);
		for (next = i + 1; next < end && tui_line_attr_at(src, next) == a; next++)
			;
		set_attr(dst, a);
		put_raw(dst, src->text + i, next - i);
	}
}
