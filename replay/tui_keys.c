/* SPDX-License-Identifier: MIT */
/*
 * tui_keys.c - key -> action tables and the actions (see tui_keys.h).
 */
#include "tui_keys.h"

#include <stdio.h>
#include <string.h>

typedef int (*tui_action)(struct tui_app *a, int key);

static int page(const struct tui_app *a)
{
	int h = a->view == V_TIMELINE && a->focus_detail ? tui_app_body(a) / 2 :
			    a->view == V_TIMELINE ? tui_app_tl_height(a) : tui_app_body(a);

	return h > 1 ? h - 1 : 1;
}

/* One movement in the current view; huge deltas mean "to the end". */
static void move(struct tui_app *a, int64_t delta)
{
	switch (a->view) {
	case V_TIMELINE:
		if (a->focus_detail && a->detail_open) {
			tui_doc_move(&a->detail, delta, tui_app_body(a) / 2);
			break;
		}
		if (delta <= -INT32_MAX)
			tui_tl_home(a);
		else if (delta >= INT32_MAX)
			tui_tl_end(a);
		else
			tui_tl_move(a, delta);
		break;
	case V_TREE:
		tui_tree_move(a, delta);
		break;
	case V_CONV:
		tui_conv_move(a, delta);
		break;
	case V_TRANSCRIPT:
		tui_doc_move(&a->transcript, delta, tui_app_body(a));
		break;
	default:
		/* help scrolls by its top line */
		tui_doc_move(&a->help, delta < 0 ? -(int64_t)a->help.n : (int64_t)a->help.n, 1);
		a->help.cur = a->help.top = 0;
		if (delta > 0 && a->help.n > (size_t)tui_app_body(a))
			a->help.top = a->help.n - (size_t)tui_app_body(a);
		break;
	}
}

static int act_move(struct tui_app *a, int key)
{
	int64_t big = INT32_MAX;

	switch (key) {
	case 'j': case TUI_K_DOWN: move(a, 1); break;
	case 'k': case TUI_K_UP: move(a, -1); break;
	case TUI_K_WHEEL_DOWN: move(a, 3); break;
	case TUI_K_WHEEL_UP: move(a, -3); break;
	case TUI_K_PGDN: case TUI_CTRL('f'): move(a, page(a)); break;
	case TUI_K_PGUP: case TUI_CTRL('b'): move(a, -page(a)); break;
	case TUI_CTRL('d'): move(a, page(a) / 2 + 1); break;
	case TUI_CTRL('u'): move(a, -(page(a) / 2 + 1)); break;
	case 'g': case TUI_K_HOME: move(a, -big); break;
	case 'G': case TUI_K_END: move(a, big); break;
	}
	return TR_REDRAW;
}

static int act_view(struct tui_app *a, int key)
{
	int v = key == '1' ? V_TIMELINE : key == '2' ? V_TREE : V_CONV;

	if (v == V_TREE && tui_tree_load(a)) {
		tui_app_message(a, 1, "cannot read the processes");
		return TR_REDRAW;
	}
	if (v == V_CONV && tui_conv_load(a)) {
		tui_app_message(a, 1, "cannot read the LLM calls");
		return TR_REDRAW;
	}
	a->view = v;
	a->back = v;
	a->focus_detail = 0;
	return TR_REDRAW;
}

static int act_help(struct tui_app *a, int key)
{
	if (a->view == V_HELP)
		a->view = a->back;
	else {
		tui_help_load(a);
		a->view = V_HELP;
	}
	return TR_REDRAW;
}

static int act_back(struct tui_app *a, int key)
{
	if (a->view == V_HELP || a->view == V_TRANSCRIPT) {
		a->view = a->view == V_TRANSCRIPT ? V_CONV : a->back;
		if (a->view == V_CONV && !a->conv.loaded)
			a->view = V_TIMELINE;
		return TR_REDRAW;
	}
	if (a->view == V_TIMELINE && a->detail_open) {
		a->detail_open = 0;
		a->focus_detail = 0;
		tui_tl_reload(a);
		return TR_REDRAW;
	}
	if (a->view != V_TIMELINE) {
		a->view = a->back = V_TIMELINE;
		return TR_REDRAW;
	}
	if (key == TUI_K_ESC)
		return TR_REDRAW;
	a->quit = 1;
	return TR_QUIT;
}

static int act_quit(struct tui_app *a, int key)
{
	a->quit = 1;
	return TR_QUIT;
}

static int act_detail(struct tui_app *a, int key)
{
	const struct tui_event *ev = tui_tl_current(a);

	a->detail_open = !a->detail_open;
	a->focus_detail = 0;
	a->detail_id = 0;
	tui_tl_reload(a);
	if (ev)
		tui_tl_goto(a, ev->id);
	return TR_REDRAW;
}

static int act_tab(struct tui_app *a, int key)
{
	if (a->view == V_TIMELINE && a->detail_open)
		a->focus_detail = !a->focus_detail;
	return TR_REDRAW;
}

/* Parse and apply @text as the timeline filter; 0 or -EINVAL (message set). */
static int apply_filter_text(struct tui_app *a, const char *text)
{
	struct tui_filter f;
	char msg[128];

	if (tui_filter_parse(&f, text, msg, sizeof(msg))) {
		tui_app_message(a, 1, "%s", msg);
		return -1;
	}
	tui_tl_apply_filter(a, tui_filter_empty(&f) ? NULL : &f, text);
	return 0;
}

static int enter_tree(struct tui_app *a)
{
	const struct tui_proc *p = tui_tree_current(a);
	char text[64];

	if (!p)
		return TR_REDRAW;
	snprintf(text, sizeof(text), "proc=%lld", (long long)p->id);
	if (!apply_filter_text(a, text)) {
		a->view = a->back = V_TIMELINE;
		tui_tl_home(a);
		tui_app_message(a, 0, "timeline of pid %ld and its descendants (F clears)", p->pid);
	}
	return TR_REDRAW;
}

static int enter_transcript(struct tui_app *a)
{
	const struct tui_dline *d;
	char text[64];

	if (!a->transcript.n)
		return TR_REDRAW;
	d = &a->transcript.lines[a->transcript.cur];
	if (d->target == DT_TOOL) {
		snprintf(text, sizeof(text), "tool=%lld", (long long)d->id);
		if (apply_filter_text(a, text))
			return TR_REDRAW;
		tui_tl_home(a);
		tui_app_message(a, 0, "what tool call %lld caused (F clears)", (long long)d->id);
	} else if (d->target == DT_EVENT) {
		tui_tl_apply_filter(a, NULL, "");
		tui_tl_goto(a, d->id);
	} else {
		return TR_REDRAW;
	}
	a->view = a->back = V_TIMELINE;
	return TR_REDRAW;
}

static int act_enter(struct tui_app *a, int key)
{
	switch (a->view) {
	case V_TIMELINE:
		return act_detail(a, key);
	case V_TREE:
		return enter_tree(a);
	case V_CONV:
		if (a->conv.n)
			tui_conv_open(a, a->conv.calls[a->conv.cur].id);
		return TR_REDRAW;
	case V_TRANSCRIPT:
		return enter_transcript(a);
	default:
		return act_back(a, key);
	}
}

static int act_conv_of_event(struct tui_app *a, int key)
{
	const struct tui_event *ev = tui_tl_current(a);
	int64_t call = 0;

	if (ev && ev->kind == TK_LLM)
		call = ev->ref;
	else if (ev && ev->kind == TK_TOOL)
		call = tui_model_call_of_tool(a->m, ev->ref);
	if (!call) {
		tui_app_message(a, 1, "not an llm or tool event");
		return TR_REDRAW;
	}
	if (tui_conv_load(a) == 0) {
		a->back = V_TIMELINE;
		tui_conv_open(a, call);
	}
	return TR_REDRAW;
}

static int act_proc_of_event(struct tui_app *a, int key)
{
	const struct tui_event *ev = tui_tl_current(a);

	if (!ev || !ev->proc_id || tui_tree_load(a)) {
		tui_app_message(a, 1, "no process for this event");
		return TR_REDRAW;
	}
	tui_tree_select(a, ev->proc_id);
	a->view = a->back = V_TREE;
	return TR_REDRAW;
}

static int act_fold(struct tui_app *a, int key)
{
	if (a->view != V_TREE)
		return TR_NONE;
	tui_tree_toggle(a, key == 'l' || key == TUI_K_RIGHT || key == '+' ? 1 : 0);
	return TR_REDRAW;
}

static int act_prompt(struct tui_app *a, int key)
{
	const struct tui_event *ev = tui_tl_current(a);

	if (a->view != V_TIMELINE) {
		a->view = a->back = V_TIMELINE;
		a->focus_detail = 0;
	}
	a->prompt = key;
	a->ilen = 0;
	a->input[0] = 0;
	a->origin = ev ? ev->id : 0;
	snprintf(a->saved_filter, sizeof(a->saved_filter), "%s", a->filter_text);
	if (key == 'f') {
		a->ilen = strlen(a->filter_text);
		memcpy(a->input, a->filter_text, a->ilen + 1);
	}
	return TR_REDRAW;
}

static int act_clear_filter(struct tui_app *a, int key)
{
	tui_tl_apply_filter(a, NULL, "");
	tui_app_message(a, 0, "filter cleared");
	return TR_REDRAW;
}

static int find(struct tui_app *a, int64_t from, int dir)
{
	int64_t id = tui_model_find(a->m, from, dir, a->search);

	if (!id) {
		tui_app_message(a, 1, "'%s' not found %s", a->search,
				dir > 0 ? "below" : "above");
		return -1;
	}
	tui_tl_goto(a, id);
	return 0;
}

static int act_next(struct tui_app *a, int key)
{
	const struct tui_event *ev = tui_tl_current(a);
	int dir = key == 'n' ? 1 : -1;

	if (!a->search[0]) {
		tui_app_message(a, 1, "no search yet: press /");
		return TR_REDRAW;
	}
	if (a->view != V_TIMELINE)
		a->view = a->back = V_TIMELINE;
	if (ev)
		find(a, ev->id + dir, dir);
	return TR_REDRAW;
}

static int act_play(struct tui_app *a, int key)
{
	const struct tui_event *ev = tui_tl_current(a);

	if (key == '<' || key == '>') {
		a->speed += key == '>' ? 1 : -1;
		if (a->speed < 0)
			a->speed = 0;
		if (a->speed >= TUI_SPEEDS)
			a->speed = TUI_SPEEDS - 1;
		tui_app_message(a, 0, "playback speed %s", tui_app_speed_name(a->speed));
		return TR_REDRAW;
	}
	a->playing = !a->playing && ev;
	if (a->playing) {
		a->play_ts = ev->ts;
		a->last_tick = 0;
	}
	tui_app_message(a, 0, a->playing ? "playing at %s (space pauses)" : "paused",
			tui_app_speed_name(a->speed));
	return TR_REDRAW | TR_PLAY;
}

/* The input changed: search or filter as the user types. */
static void prompt_changed(struct tui_app *a)
{
	a->msg[0] = 0;
	if (a->prompt == 'f') {
		apply_filter_text(a, a->input);
		return;
	}
	snprintf(a->search, sizeof(a->search), "%s", a->input);
	if (a->ilen)
		find(a, a->origin, +1);
	else
		tui_tl_goto(a, a->origin);
}

static void prompt_add(struct tui_app *a, int key)
{
	char buf[4];
	size_t n;

	if (key < 0x80) {
		buf[0] = (char)key;
		n = 1;
	} else if (key < 0x800) {
		buf[0] = (char)(0xc0 | (key >> 6));
		buf[1] = (char)(0x80 | (key & 0x3f));
		n = 2;
	} else if (key < 0x10000) {
		buf[0] = (char)(0xe0 | (key >> 12));
		buf[1] = (char)(0x80 | ((key >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (key & 0x3f));
		n = 3;
	} else {
		buf[0] = (char)(0xf0 | (key >> 18));
		buf[1] = (char)(0x80 | ((key >> 12) & 0x3f));
		buf[2] = (char)(0x80 | ((key >> 6) & 0x3f));
		buf[3] = (char)(0x80 | (key & 0x3f));
		n = 4;
	}
	if (a->ilen + n >= sizeof(a->input))
		return;
	memcpy(a->input + a->ilen, buf, n);
	a->ilen += n;
	a->input[a->ilen] = 0;
	prompt_changed(a);
}

static int prompt_key(struct tui_app *a, int key)
{
	if (key == TUI_K_ENTER) {
		a->prompt = 0;
		if (!a->msg_err)
			a->msg[0] = 0;
	} else if (key == TUI_K_ESC || key == TUI_CTRL('c') || key == TUI_CTRL('g')) {
		if (a->prompt == 'f')
			apply_filter_text(a, a->saved_filter);
		else
			tui_tl_goto(a, a->origin);
		a->prompt = 0;
		a->msg[0] = 0;
	} else if (key == TUI_K_BACKSPACE) {
		while (a->ilen && ((unsigned char)a->input[a->ilen - 1] & 0xc0) == 0x80)
			a->ilen--;
		if (a->ilen)
			a->ilen--;
		a->input[a->ilen] = 0;
		prompt_changed(a);
	} else if (key == TUI_CTRL('u')) {
		a->ilen = 0;
		a->input[0] = 0;
		prompt_changed(a);
	} else if (key >= 0x20 && key != 0x7f && key < TUI_K_UP) {
		prompt_add(a, key);
	} else if (key == TUI_K_RESIZE) {
		return TR_REDRAW;
	}
	return TR_REDRAW;
}

static const struct {
	int key;
	tui_action fn;
} key_table[] = {
	{ 'j', act_move }, { 'k', act_move }, { TUI_K_DOWN, act_move }, { TUI_K_UP, act_move },
	{ TUI_K_WHEEL_DOWN, act_move }, { TUI_K_WHEEL_UP, act_move }, { TUI_K_PGDN, act_move },
	{ TUI_K_PGUP, act_move }, { TUI_CTRL('f'), act_move }, { TUI_CTRL('b'), act_move },
	{ TUI_CTRL('d'), act_move }, { TUI_CTRL('u'), act_move }, { 'g', act_move },
	{ 'G', act_move }, { TUI_K_HOME, act_move }, { TUI_K_END, act_move },
	{ '1', act_view }, { '2', act_view }, { '3', act_view }, { '?', act_help },
	{ TUI_K_F1, act_help }, { 'q', act_back }, { TUI_K_ESC, act_back }, { 'Q', act_quit },
	{ TUI_CTRL('c'), act_quit }, { TUI_K_ENTER, act_enter }, { 'd', act_detail },
	{ TUI_K_TAB, act_tab }, { 'c', act_conv_of_event }, { 'p', act_proc_of_event },
	{ 'h', act_fold }, { 'l', act_fold }, { TUI_K_LEFT, act_fold }, { TUI_K_RIGHT, act_fold },
	{ '+', act_fold }, { '-', act_fold }, { '/', act_prompt }, { 'f', act_prompt },
	{ 'F', act_clear_filter }, { 'n', act_next }, { 'N', act_next }, { ' ', act_play },
	{ '<', act_play }, { '>', act_play },
};

/* Keys that only make sense on the timeline's event. */
static int timeline_only(int key)
{
	return key == 'd' || key == 'c' || key == 'p' || key == TUI_K_TAB;
}

int tui_keys_handle(struct tui_app *a, int key)
{
	size_t i;

	if (key == TUI_K_RESIZE)
		return TR_REDRAW;
	if (a->prompt)
		return prompt_key(a, key);
	a->msg[0] = 0;
	a->msg_err = 0;
	if (timeline_only(key) && a->view != V_TIMELINE)
		return TR_NONE;
	for (i = 0; i < sizeof(key_table) / sizeof(key_table[0]); i++)
		if (key_table[i].key == key)
			return key_table[i].fn(a, key);
	return TR_NONE;
}
