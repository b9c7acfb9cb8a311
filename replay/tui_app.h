/* SPDX-License-Identifier: MIT */
/*
 * tui_app.h - the state of one asreplay session and the view functions that
 * render it into lines.  No curses here or in any view: a screen is a
 * struct tui_screen of attributed lines that tui_panel draws, so every view
 * can be rendered and checked headless (tests/unit/t_tui_*.c).
 *
 * Calling sequence:
 *   tui_app_init(&a, model, rows, cols, utf8);
 *   loop: tui_screen of a.rows lines <- tui_app_render(&a, &scr);
 *         tui_panel_draw(&scr); key -> tui_keys_handle(&a, key) -> flags;
 *         timeout -> tui_app_tick(&a, now_ns)
 *   tui_app_release(&a);
 * The app borrows the model (the caller closes it).
 */
#ifndef AS_REPLAY_TUI_APP_H
#define AS_REPLAY_TUI_APP_H

#include <stddef.h>
#include <stdint.h>

#include "tui_line.h"
#include "tui_model.h"

enum tui_view_id { V_TIMELINE, V_TREE, V_CONV, V_TRANSCRIPT, V_HELP, V_COUNT };

/* The visible window of the timeline: never more rows than the screen. */
struct tui_tl {
	struct tui_event *rows;
	size_t n, cap;
	int64_t top;           /* id of rows[0]; 0: start */
	size_t cur;            /* cursor index in rows */
};

enum { DT_NONE, DT_EVENT, DT_TOOL, DT_CALL, DT_PROC };

struct tui_dline {
	struct tui_line l;
	int target;            /* DT_*: what Enter on this line opens */
	int64_t id;
};

/* A scrolling document: detail pane, transcript, help. */
struct tui_doc {
	struct tui_dline *lines;
	size_t n, cap;
	size_t top, cur;
};

struct tui_tree {
	struct tui_proc *procs;
	size_t n;
	size_t *first_child, *next_sibling; /* indices, SIZE_MAX: none */
	unsigned char *collapsed;
	size_t *vis;           /* visible rows: proc index */
	unsigned short *depth;
	size_t nvis, top, cur;
	int loaded;
};

struct tui_conv {
	struct tui_call *calls;
	size_t n, top, cur;
	int loaded;
	int64_t open_call;     /* call shown in the transcript */
};

#define TUI_SPEEDS 4       /* 1x 2x 10x max */

struct tui_app {
	struct tui_model *m;
	int rows, cols, utf8;
	int view, back;        /* current view, the one q/Esc returns to */
	struct tui_tl tl;
	struct tui_tree tree;
	struct tui_conv conv;
	struct tui_doc detail, transcript, help;
	int detail_open, focus_detail;
	int64_t detail_id;     /* event rendered into detail */
	int prompt;            /* 0, '/' (search) or 'f' (filter) */
	char input[256];
	size_t ilen;
	char search[256];
	char filter_text[256];
	char saved_filter[256]; /* restored when a filter prompt is cancelled */
	int64_t origin;        /* event a search prompt started from */
	char msg[256];
	int msg_err;
	int playing, speed;    /* speed: index into 1x 2x 10x max */
	int64_t play_ts;       /* recorded time being shown */
	int64_t last_tick;     /* wall ns of the previous tick */
	int quit;
	char note[96];         /* shown in the title bar (the cache being written) */
};

struct tui_screen {
	struct tui_line *rows;
	unsigned char *hl;     /* 1: draw this row highlighted (cursor) */
	int nrows, ncols;
};

void tui_app_init(struct tui_app *a, struct tui_model *m, int rows, int cols, int utf8);
void tui_app_release(struct tui_app *a);
void tui_app_resize(struct tui_app *a, int rows, int cols);
void tui_app_message(struct tui_app *a, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Body rows of the current layout: timeline rows, detail pane rows. */
int tui_app_body(const struct tui_app *a);
int tui_app_tl_height(const struct tui_app *a);

/* Playback: advance recorded time to wall-clock @now_ns.  Returns 1 if the
 * screen changed. */
int tui_app_tick(struct tui_app *a, int64_t now_ns);
const char *tui_app_speed_name(int speed);

/* Fill @s (allocated by tui_screen_init for a->rows x a->cols). */
void tui_app_render(struct tui_app *a, struct tui_screen *s);
int tui_screen_init(struct tui_screen *s, int rows, int cols);
void tui_screen_release(struct tui_screen *s);
/* A row as plain text (tests). */
const char *tui_screen_text(const struct tui_screen *s, int row);

/* ---- timeline (tui_timeline.c) ---- */
void tui_tl_reload(struct tui_app *a);
void tui_tl_home(struct tui_app *a);
void tui_tl_end(struct tui_app *a);
void tui_tl_move(struct tui_app *a, int64_t delta);
/* Put the cursor on event @id (in the filtered set), centered if it scrolls. */
void tui_tl_goto(struct tui_app *a, int64_t id);
const struct tui_event *tui_tl_current(const struct tui_app *a);
void tui_tl_render_row(const struct tui_app *a, const struct tui_event *ev, struct tui_line *l);
/* Apply a parsed filter, keeping the cursor near the same time. */
void tui_tl_apply_filter(struct tui_app *a, const struct tui_filter *f, const char *text);

/* ---- documents (tui_detail.c) ---- */
void tui_doc_clear(struct tui_doc *d);
void tui_doc_release(struct tui_doc *d);
struct tui_line *tui_doc_add(struct tui_doc *d, int target, int64_t id);
/* Append @text wrapped at @width, prefixed by @indent on continuation rows. */
void tui_doc_text(struct tui_doc *d, int utf8, int width, enum tui_attr a, const char *label,
		  const char *text, size_t len, int target, int64_t id);
void tui_doc_move(struct tui_doc *d, int64_t delta, int height);
/* Rebuild the detail pane for event @id. */
void tui_detail_load(struct tui_app *a, int64_t id);

/* ---- process tree (tui_tree.c) ---- */
int tui_tree_load(struct tui_app *a);
void tui_tree_release(struct tui_tree *t);
void tui_tree_render_row(const struct tui_app *a, size_t vis, struct tui_line *l);
void tui_tree_toggle(struct tui_app *a, int expand); /* -1 toggle, 0 collapse, 1 expand */
void tui_tree_move(struct tui_app *a, int64_t delta);
/* Select the process @proc_id (expanding its ancestors). */
void tui_tree_select(struct tui_app *a, int64_t proc_id);
const struct tui_proc *tui_tree_current(const struct tui_app *a);

/* ---- conversations (tui_conv.c) ---- */
int tui_conv_load(struct tui_app *a);
void tui_conv_render_row(const struct tui_app *a, size_t i, struct tui_line *l);
void tui_conv_move(struct tui_app *a, int64_t delta);
void tui_conv_open(struct tui_app *a, int64_t call_id);
/* Select the last call at or before @ts. */
void tui_conv_follow(struct tui_app *a, int64_t ts);

/* ---- help (tui_help.c) ---- */
void tui_help_load(struct tui_app *a);

#endif
