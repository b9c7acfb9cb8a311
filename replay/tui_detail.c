/* SPDX-License-Identifier: MIT */
/*
 * tui_detail.c - scrolling documents (detail pane, transcript, help) and
 * the detail of one event: every column of its rows, and for TLS events
 * the captured bytes as hex and text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_app.h"

#define DOC_MAX_LINES 20000
#define FIELD_MAX (256u * 1024u) /* bytes of one field shown; the rest is counted */

void tui_doc_clear(struct tui_doc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		tui_line_release(&d->lines[i].l);
	d->n = 0;
	d->top = 0;
	d->cur = 0;
}

void tui_doc_release(struct tui_doc *d)
{
	tui_doc_clear(d);
	free(d->lines);
	memset(d, 0, sizeof(*d));
}

struct tui_line *tui_doc_add(struct tui_doc *d, int target, int64_t id)
{
	struct tui_dline *v;

	if (d->n >= DOC_MAX_LINES)
		return NULL;
	if (d->n == d->cap) {
		size_t c = d->cap ? d->cap * 2 : 64;

		v = realloc(d->lines, c * sizeof(*v));
		if (!v)
			return NULL;
		d->lines = v;
		d->cap = c;
	}
	v = &d->lines[d->n++];
	tui_line_init(&v->l);
	v->target = target;
	v->id = id;
	return &v->l;
}

/* Split one safe line into rows of at most @width columns. */
static void wrap(struct tui_doc *d, const struct tui_line *src, int width, size_t indent,
		 int target, int64_t id)
{
	size_t i = 0, start = 0, w = 0, k = 0;
	struct tui_line *l;
	int cw, first = 1;

	if (width < 20)
		width = 20;
	while (i <= src->len) {
		cw = i < src->len ? tui_char_width(src->text + i, src->len - i, &k) : 0;
		if (i == src->len || w + (size_t)cw > (size_t)width) {
			l = tui_doc_add(d, target, id);
			if (!l)
				return;
			if (!first)
				tui_line_pad(l, TA_NORMAL, indent);
			tui_line_copy(l, src, start, i - start);
			if (i == src->len)
				return;
			start = i;
			w = indent;
			first = 0;
		}
		w += (size_t)cw;
		i += k;
	}
}

void tui_doc_text(struct tui_doc *d, int utf8, int width, enum tui_attr a, const char *label,
		  const char *text, size_t len, int target, int64_t id)
{
	struct tui_line src;
	size_t indent = label ? strlen(label) + 1 : 0, i = 0, j, shown;

	/* field names line up; long labels (tool calls) wrap under a short indent */
	if (label && indent < 18)
		indent = 18;
	else if (indent > 30)
		indent = 4;
	shown = len > FIELD_MAX ? FIELD_MAX : len;
	tui_line_init(&src);
	do {
		for (j = i; j < shown && text[j] != '\n'; j++)
			;
		tui_line_reset(&src);
		if (label) {
			tui_line_add(&src, i ? TA_DIM : TA_BOLD, i ? "" : label);
			tui_line_pad(&src, TA_NORMAL, indent);
		}
		tui_line_add_safe(&src, a, text + i, j - i, utf8);
		wrap(d, &src, width, indent, target, id);
		i = j + 1;
	} while (i < shown && d->n < DOC_MAX_LINES);
	if (shown < len) {
		tui_line_reset(&src);
		tui_line_addf(&src, TA_DIM, "... %zu more bytes not shown", len - shown);
		wrap(d, &src, width, indent, target, id);
	}
	tui_line_release(&src);
}

void tui_doc_move(struct tui_doc *d, int64_t delta, int height)
{
	int64_t c = (int64_t)d->cur + delta;

	if (!d->n)
		return;
	if (c < 0)
		c = 0;
	if (c >= (int64_t)d->n)
		c = (int64_t)d->n - 1;
	d->cur = (size_t)c;
	if (height < 1)
		height = 1;
	if (d->cur < d->top)
		d->top = d->cur;
	if (d->cur >= d->top + (size_t)height)
		d->top = d->cur - (size_t)height + 1;
}

struct field_ctx {
	struct tui_app *a;
	const char *section;
};

static void field(void *ctx, const char *section, const char *name, const void *val, size_t len)
{
	struct field_ctx *f = ctx;
	struct tui_line *l;
	char label[64];

	if (!f->section || strcmp(f->section, section)) {
		f->section = section;
		l = tui_doc_add(&f->a->detail, DT_NONE, 0);
		if (l)
			tui_line_addf(l, TA_TITLE, "[%s]", section);
	}
	snprintf(label, sizeof(label), "%s:", name);
	if (!val)
		tui_doc_text(&f->a->detail, f->a->utf8, f->a->cols, TA_DIM, label, "NULL", 4, DT_NONE,
			     0);
	else
		tui_doc_text(&f->a->detail, f->a->utf8, f->a->cols, TA_NORMAL, label, val, len,
			     DT_NONE, 0);
}

/* "0000  48 54 54 50 ...  HTTP/1.1 200 OK.." (16 bytes a row) */
static void hexdump(struct tui_doc *d, const uint8_t *p, size_t n)
{
	struct tui_line *l;
	size_t i, j;

	for (i = 0; i < n; i += 16) {
		l = tui_doc_add(d, DT_NONE, 0);
		if (!l)
			return;
		tui_line_addf(l, TA_DIM, "%06zx  ", i);
		for (j = i; j < i + 16; j++) {
			if (j < n)
				tui_line_addf(l, TA_NORMAL, "%02x ", p[j]);
			else
				tui_line_add(l, TA_NORMAL, "   ");
		}
		tui_line_add(l, TA_NORMAL, " ");
		for (j = i; j < i + 16 && j < n; j++) {
			char c = p[j] >= 0x20 && p[j] < 0x7f ? (char)p[j] : '.';

			tui_line_add_safe(l, p[j] >= 0x20 && p[j] < 0x7f ? TA_TLS : TA_DIM, &c, 1, 0);
		}
	}
}

static void raw_bytes(struct tui_app *a, const struct tui_event *ev)
{
	struct tui_line *l;
	uint8_t *buf;
	size_t len;
	char msg[256];

	l = tui_doc_add(&a->detail, DT_NONE, 0);
	if (l)
		tui_line_add(l, TA_TITLE, "[captured bytes]");
	if (tui_model_raw(a->m, ev, &buf, &len, msg, sizeof(msg))) {
		l = tui_doc_add(&a->detail, DT_NONE, 0);
		if (l)
			tui_line_add(l, TA_ERROR, msg);
		return;
	}
	hexdump(&a->detail, buf, len);
	l = tui_doc_add(&a->detail, DT_NONE, 0);
	if (l)
		tui_line_add(l, TA_TITLE, "[as text]");
	tui_doc_text(&a->detail, a->utf8, a->cols, TA_NORMAL, NULL, (const char *)buf, len,
		     DT_NONE, 0);
	free(buf);
}

void tui_detail_load(struct tui_app *a, int64_t id)
{
	struct field_ctx f = { a, NULL };
	struct tui_event ev;
	struct tui_line *l;
	char wall[64], rel[32];

	tui_doc_clear(&a->detail);
	a->detail_id = id;
	if (!id || tui_model_get(a->m, id, &ev))
		return;
	l = tui_doc_add(&a->detail, DT_NONE, 0);
	if (l)
		tui_line_addf(l, TA_TITLE, "event %lld  %s  %s  %s", (long long)ev.id,
			      tui_kind_name(ev.kind), tui_model_wall(a->m, ev.ts, wall, sizeof(wall)),
			      tui_model_rel(a->m, ev.ts, rel, sizeof(rel)));
	/* for TLS the bytes are what one opens the pane for: first */
	if (ev.kind == TK_TLS)
		raw_bytes(a, &ev);
	tui_model_fields(a->m, &ev, field, &f);
}
