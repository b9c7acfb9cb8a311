/* SPDX-License-Identifier: MIT */
/*
 * tui_timeline.c - the timeline view: a window of at most one screen of
 * events, moved with keyset queries on rp_events.id (tui_model_step and
 * tui_model_fetch), so scrolling a million rows costs what one screen does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_app.h"

static int ensure_cap(struct tui_tl *t, size_t h)
{
	struct tui_event *r;

	if (h <= t->cap)
		return 0;
	r = realloc(t->rows, h * sizeof(*r));
	if (!r)
		return -1;
	t->rows = r;
	t->cap = h;
	return 0;
}

static size_t height(const struct tui_app *a)
{
	int h = tui_app_tl_height(a);

	return h > 0 ? (size_t)h : 1;
}

/* Refill the window from tl.top; pull it back when it runs past the end. */
void tui_tl_reload(struct tui_app *a)
{
	struct tui_tl *t = &a->tl;
	size_t h = height(a);
	int64_t last;

	if (ensure_cap(t, h)) {
		t->n = 0;
		return;
	}
	t->n = tui_model_fetch(a->m, t->top ? t->top : 1, +1, t->rows, h);
	if (t->n < h) {
		last = tui_model_step(a->m, INT64_MAX, -1, 0);
		if (last) {
			t->top = tui_model_step(a->m, last, -1, (int64_t)h - 1);
			t->n = tui_model_fetch(a->m, t->top, +1, t->rows, h);
		}
	}
	if (t->n)
		t->top = t->rows[0].id;
	if (t->cur >= t->n)
		t->cur = t->n ? t->n - 1 : 0;
}

const struct tui_event *tui_tl_current(const struct tui_app *a)
{
	return a->tl.n ? &a->tl.rows[a->tl.cur] : NULL;
}

static int find_in_window(const struct tui_tl *t, int64_t id, size_t *idx)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->rows[i].id == id) {
			*idx = i;
			return 1;
		}
	return 0;
}

void tui_tl_home(struct tui_app *a)
{
	a->tl.top = tui_model_step(a->m, 1, +1, 0);
	a->tl.cur = 0;
	tui_tl_reload(a);
}

void tui_tl_end(struct tui_app *a)
{
	a->tl.top = INT64_MAX;
	tui_tl_reload(a);
	a->tl.cur = a->tl.n ? a->tl.n - 1 : 0;
}

void tui_tl_goto(struct tui_app *a, int64_t id)
{
	struct tui_tl *t = &a->tl;
	size_t idx;

	if (!id)
		return;
	if (find_in_window(t, id, &idx)) {
		t->cur = idx;
		return;
	}
	t->top = tui_model_step(a->m, id, -1, (int64_t)height(a) / 3);
	tui_tl_reload(a);
	if (find_in_window(t, id, &idx))
		t->cur = idx;
}

void tui_tl_move(struct tui_app *a, int64_t delta)
{
	struct tui_tl *t = &a->tl;
	int dir = delta < 0 ? -1 : 1;
	int64_t n = delta < 0 ? -delta : delta, target;
	size_t idx;

	if (!t->n || !delta)
		return;
	target = tui_model_step(a->m, t->rows[t->cur].id, dir, n);
	if (!target)
		return;
	if (find_in_window(t, target, &idx)) {
		t->cur = idx;
		return;
	}
	/* scroll the window by as much as the cursor moved past its edge */
	if (dir > 0)
		t->top = tui_model_step(a->m, target, -1, (int64_t)height(a) - 1);
	else
		t->top = target;
	tui_tl_reload(a);
	if (find_in_window(t, target, &idx))
		t->cur = idx;
}

static enum tui_attr kind_attr(int kind)
{
	static const enum tui_attr attrs[TK_COUNT] = {
		[TK_LLM] = TA_LLM,   [TK_TOOL] = TA_TOOL, [TK_EXEC] = TA_EXEC, [TK_EXIT] = TA_EXIT,
		[TK_FILE] = TA_FILE, [TK_NET] = TA_NET,   [TK_TLS] = TA_TLS,   [TK_DROP] = TA_DROP,
	};

	return kind > 0 && kind < TK_COUNT ? attrs[kind] : TA_NORMAL;
}

/* "21:30:05.123 +12.345678  4711 python3  exec  argv..." (narrow: no +rel) */
void tui_tl_render_row(const struct tui_app *a, const struct tui_event *ev, struct tui_line *l)
{
	enum tui_attr ka = kind_attr(ev->kind);
	char buf[64];
	size_t w0;

	tui_line_add(l, TA_DIM, tui_model_clock(a->m, ev->ts, buf, sizeof(buf)));
	tui_line_add(l, TA_NORMAL, " ");
	if (a->cols >= 100) {
		tui_model_rel(a->m, ev->ts, buf, sizeof(buf));
		tui_line_addf(l, TA_DIM, "%12s ", buf);
	}
	if (ev->pid >= 0)
		tui_line_addf(l, TA_NORMAL, "%7ld ", ev->pid);
	else
		tui_line_add(l, TA_NORMAL, "      - ");
	w0 = tui_line_width(l);
	tui_line_add_safe(l, TA_BOLD, ev->comm, strnlen(ev->comm, 15), a->utf8);
	tui_line_pad(l, TA_NORMAL, w0 + 16);
	tui_line_addf(l, ka, "%-5s ", tui_kind_name(ev->kind));
	tui_line_add_safe(l, ka, ev->text, ev->text_len, a->utf8);
}

void tui_tl_apply_filter(struct tui_app *a, const struct tui_filter *f, const char *text)
{
	const struct tui_event *ev = tui_tl_current(a);
	int64_t ts = ev ? ev->ts : 0;

	if (tui_model_set_filter(a->m, f)) {
		tui_app_message(a, 1, "cannot apply the filter");
		return;
	}
	snprintf(a->filter_text, sizeof(a->filter_text), "%s", f ? text : "");
	a->tl.top = 0;
	a->tl.cur = 0;
	tui_tl_reload(a);
	if (ts)
		tui_tl_goto(a, tui_model_at_ts(a->m, ts));
	a->detail_id = 0;
}
