/* SPDX-License-Identifier: MIT */
/*
 * tui_app.c - session state, layout, playback clock and screen composition
 * (title bar, the current view, status bar) into lines; see tui_app.h.
 */
#include "tui_app.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const view_names[V_COUNT] = { "timeline", "process tree", "conversations",
						  "transcript", "help" };

void tui_app_init(struct tui_app *a, struct tui_model *m, int rows, int cols, int utf8)
{
	memset(a, 0, sizeof(*a));
	a->m = m;
	a->rows = rows;
	a->cols = cols;
	a->utf8 = utf8;
	a->view = V_TIMELINE;
	a->back = V_TIMELINE;
	tui_tl_home(a);
}

void tui_app_release(struct tui_app *a)
{
	free(a->tl.rows);
	tui_tree_release(&a->tree);
	free(a->conv.calls);
	tui_doc_release(&a->detail);
	tui_doc_release(&a->transcript);
	tui_doc_release(&a->help);
	memset(a, 0, sizeof(*a));
}

void tui_app_message(struct tui_app *a, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof(a->msg), fmt, ap);
	va_end(ap);
	a->msg_err = err;
}

int tui_app_body(const struct tui_app *a)
{
	return a->rows - 2;
}

static int detail_height(const struct tui_app *a)
{
	return a->detail_open && a->view == V_TIMELINE ? tui_app_body(a) / 2 : 0;
}

int tui_app_tl_height(const struct tui_app *a)
{
	int d = detail_height(a), h = tui_app_body(a) - (d ? d + 1 : 0);

	return h > 1 ? h : 1;
}

void tui_app_resize(struct tui_app *a, int rows, int cols)
{
	const struct tui_event *ev = tui_tl_current(a);
	int64_t id = ev ? ev->id : 0;

	a->rows = rows < 3 ? 3 : rows;
	a->cols = cols < 20 ? 20 : cols;
	tui_tl_reload(a);
	tui_tl_goto(a, id);
	a->detail_id = 0; /* rewrap at the new width */
	tui_doc_move(&a->help, 0, tui_app_body(a));
	tui_doc_move(&a->transcript, 0, tui_app_body(a));
	tui_tree_move(a, 0);
	tui_conv_move(a, 0);
}

const char *tui_app_speed_name(int speed)
{
	static const char *const names[TUI_SPEEDS] = { "1x", "2x", "10x", "max" };

	return speed >= 0 && speed < TUI_SPEEDS ? names[speed] : "?";
}

/* Followers: the tree and the conversations show what the timeline shows. */
static void follow(struct tui_app *a)
{
	const struct tui_event *ev = tui_tl_current(a);

	if (!ev)
		return;
	if (a->view == V_TREE && ev->proc_id && !tui_tree_load(a))
		tui_tree_select(a, ev->proc_id);
	if (a->view == V_CONV && !tui_conv_load(a))
		tui_conv_follow(a, ev->ts);
}

int tui_app_tick(struct tui_app *a, int64_t now_ns)
{
	static const int mult[TUI_SPEEDS] = { 1, 2, 10, 0 };
	const struct tui_event *ev = tui_tl_current(a);
	struct tui_event next;
	int64_t dt = a->last_tick ? now_ns - a->last_tick : 0, id;

	a->last_tick = now_ns;
	if (!a->playing || !ev)
		return 0;
	id = tui_model_step(a->m, ev->id, +1, 1);
	if (id == ev->id || !id || tui_model_get(a->m, id, &next)) {
		a->playing = 0;
		tui_app_message(a, 0, "playback reached the end");
		return 1;
	}
	if (a->speed == TUI_SPEEDS - 1) {
		a->play_ts = next.ts;
	} else {
		a->play_ts += dt * mult[a->speed];
		/* idle gaps longer than a wall-clock second are skipped */
		if (next.ts - a->play_ts > 1000000000ll * mult[a->speed])
			a->play_ts = next.ts;
	}
	if (next.ts > a->play_ts)
		return 0;
	tui_tl_goto(a, tui_model_at_ts(a->m, a->play_ts));
	follow(a);
	return 1;
}

int tui_screen_init(struct tui_screen *s, int rows, int cols)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->rows = calloc((size_t)rows, sizeof(*s->rows));
	s->hl = calloc((size_t)rows, 1);
	if (!s->rows || !s->hl) {
		free(s->rows);
		free(s->hl);
		return -1;
	}
	for (i = 0; i < rows; i++)
		tui_line_init(&s->rows[i]);
	s->nrows = rows;
	s->ncols = cols;
	return 0;
}

void tui_screen_release(struct tui_screen *s)
{
	int i;

	for (i = 0; i < s->nrows; i++)
		tui_line_release(&s->rows[i]);
	free(s->rows);
	free(s->hl);
	memset(s, 0, sizeof(*s));
}

const char *tui_screen_text(const struct tui_screen *s, int row)
{
	return row >= 0 && row < s->nrows ? s->rows[row].text : "";
}

static void title(struct tui_app *a, struct tui_line *l)
{
	const struct tui_info *in = tui_model_info(a->m);
	char w1[64];

	tui_line_add(l, TA_TITLE, " asreplay ");
	tui_line_add_safe(l, TA_TITLE, in->hostname, strlen(in->hostname), a->utf8);
	tui_line_addf(l, TA_TITLE, "  %s  %s  %lld events", view_names[a->view],
		      tui_model_wall(a->m, in->first_ts, w1, sizeof(w1)), (long long)in->nevents);
	if (a->filter_text[0]) {
		tui_line_add(l, TA_TITLE, "  filter: ");
		tui_line_add_safe(l, TA_TITLE, a->filter_text, strlen(a->filter_text), a->utf8);
	}
	if (a->playing)
		tui_line_addf(l, TA_TITLE, "  %s %s", a->utf8 ? "\u25b6" : ">",
			      tui_app_speed_name(a->speed));
	if (a->note[0])
		tui_line_addf(l, TA_TITLE, "  [%s]", a->note);
	tui_line_pad(l, TA_TITLE, (size_t)a->cols);
}

static const char *const view_keys[V_COUNT] = {
	[V_TIMELINE] = "?:help /:search f:filter Enter:detail 2:tree 3:conv space:play q:quit",
	[V_TREE] = "?:help Enter:filter timeline Left/Right:fold 1:timeline 3:conv q:back",
	[V_CONV] = "?:help Enter:transcript 1:timeline 2:tree space:play q:back",
	[V_TRANSCRIPT] = "?:help Enter:jump to tool effects q:back",
	[V_HELP] = "q:back  j/k:scroll",
};

static void status(struct tui_app *a, struct tui_line *l)
{
	const struct tui_event *ev = tui_tl_current(a);

	if (a->prompt) {
		tui_line_add(l, TA_KEY, a->prompt == '/' ? "search: " : "filter: ");
		tui_line_add_safe(l, TA_NORMAL, a->input, a->ilen, a->utf8);
		tui_line_add(l, TA_KEY, "_");
		if (a->msg[0]) {
			tui_line_add(l, TA_NORMAL, "  ");
			tui_line_add_safe(l, a->msg_err ? TA_ERROR : TA_DIM, a->msg, strlen(a->msg),
					  a->utf8);
		}
		return;
	}
	if (a->msg[0]) {
		tui_line_add_safe(l, a->msg_err ? TA_ERROR : TA_KEY, a->msg, strlen(a->msg),
				  a->utf8);
		tui_line_add(l, TA_NORMAL, "  ");
	}
	tui_line_add(l, TA_KEY, view_keys[a->view]);
	if (a->view == V_TIMELINE && ev)
		tui_line_addf(l, TA_DIM, "  %lld/%lld", (long long)ev->id,
			      (long long)tui_model_info(a->m)->nevents);
}

static void doc_rows(const struct tui_doc *d, struct tui_screen *s, int row0, int h,
		     int show_cur)
{
	size_t i;
	int r;

	for (r = 0, i = d->top; r < h && i < d->n; r++, i++) {
		tui_line_copy(&s->rows[row0 + r], &d->lines[i].l, 0, d->lines[i].l.len);
		s->hl[row0 + r] = show_cur && i == d->cur;
	}
}

static void timeline_rows(struct tui_app *a, struct tui_screen *s)
{
	int h = tui_app_tl_height(a), r, d = detail_height(a);
	const struct tui_event *ev = tui_tl_current(a);

	for (r = 0; r < h && (size_t)r < a->tl.n; r++) {
		tui_tl_render_row(a, &a->tl.rows[r], &s->rows[1 + r]);
		s->hl[1 + r] = (size_t)r == a->tl.cur;
	}
	if (!a->tl.n)
		tui_line_add(&s->rows[1], TA_DIM, a->filter_text[0] ? "no event matches the filter"
								    : "no events");
	if (!d)
		return;
	if (ev && ev->id != a->detail_id)
		tui_detail_load(a, ev->id);
	tui_line_addf(&s->rows[1 + h], TA_TITLE, " detail%s ",
		      a->focus_detail ? " (Tab: back to the timeline)" : " (Tab: scroll it)");
	tui_line_pad(&s->rows[1 + h], TA_TITLE, (size_t)a->cols);
	doc_rows(&a->detail, s, 2 + h, d, a->focus_detail);
}

void tui_app_render(struct tui_app *a, struct tui_screen *s)
{
	int r, h = tui_app_body(a);
	size_t i;

	for (r = 0; r < s->nrows; r++) {
		tui_line_reset(&s->rows[r]);
		s->hl[r] = 0;
	}
	title(a, &s->rows[0]);
	switch (a->view) {
	case V_TIMELINE:
		timeline_rows(a, s);
		break;
	case V_TREE:
		for (r = 0, i = a->tree.top; r < h && i < a->tree.nvis; r++, i++) {
			tui_tree_render_row(a, i, &s->rows[1 + r]);
			s->hl[1 + r] = i == a->tree.cur;
		}
		break;
	case V_CONV:
		for (r = 0, i = a->conv.top; r < h && i < a->conv.n; r++, i++) {
			tui_conv_render_row(a, i, &s->rows[1 + r]);
			s->hl[1 + r] = i == a->conv.cur;
		}
		if (!a->conv.n)
			tui_line_add(&s->rows[1], TA_DIM, "no LLM calls in this capture");
		break;
	case V_TRANSCRIPT:
		doc_rows(&a->transcript, s, 1, h, 1);
		break;
	default:
		doc_rows(&a->help, s, 1, h, 0);
		break;
	}
	status(a, &s->rows[s->nrows - 1]);
}
