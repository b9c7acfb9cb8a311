/* SPDX-License-Identifier: MIT */
/*
 * t_tui_keys.c - asreplay's keys, actions and views without a terminal:
 * keys go through tui_keys_handle(), screens are rendered into lines with
 * tui_app_render() and checked as text.
 */
#include <locale.h>
#include <stdint.h>
#include <string.h>

#include "replay/tui_app.c"
#include "replay/tui_conv.c"
#include "replay/tui_detail.c"
#include "replay/tui_filter.c"
#include "replay/tui_help.c"
#include "replay/tui_keys.c"
#include "replay/tui_line.c"
#include "replay/tui_model.c"
#include "replay/tui_model_q.c"
#include "replay/tui_timeline.c"
#include "replay/tui_tree.c"
#include "tests/harness.h"
#include "tests/unit/tui_fixture.h"

static struct tui_model *model;
static struct tui_app app;
static struct tui_screen scr;

static void setup(int rows, int cols)
{
	const char *p = fx_make(2000);
	char msg[256];

	tui_app_release(&app);
	tui_screen_release(&scr);
	tui_model_close(model);
	model = NULL;
	if (p && !tui_model_open(p, NULL, NULL, &model, msg, sizeof(msg)))
		unlink(p);
	if (!model)
		return;
	tui_app_init(&app, model, rows, cols, 1);
	tui_screen_init(&scr, rows, cols);
}

static void keys(const char *s)
{
	for (; *s; s++)
		tui_keys_handle(&app, *s == '\n' ? TUI_K_ENTER : *s == '\t' ? TUI_K_TAB : *s);
}

static int screen_has(const char *needle)
{
	int r;

	tui_app_render(&app, &scr);
	for (r = 0; r < scr.nrows; r++)
		if (strstr(tui_screen_text(&scr, r), needle))
			return 1;
	return 0;
}

static int64_t cur_id(void)
{
	const struct tui_event *ev = tui_tl_current(&app);

	return ev ? ev->id : 0;
}

TEST(moving)
{
	setup(24, 80);
	if (!model)
		return;
	CHECK_EQ_U(cur_id(), 1);
	keys("jjj");
	CHECK_EQ_U(cur_id(), 4);
	keys("k");
	CHECK_EQ_U(cur_id(), 3);
	tui_keys_handle(&app, TUI_K_PGDN);
	CHECK_EQ_U(cur_id(), 3 + 21);
	tui_keys_handle(&app, TUI_K_END);
	CHECK_EQ_U(cur_id(), 2006);
	CHECK_EQ_U(app.tl.n, 22);       /* the window stays full at the end */
	CHECK(screen_has("2006/2006"));
	tui_keys_handle(&app, TUI_K_PGUP);
	CHECK_EQ_U(cur_id(), 2006 - 21);
	keys("g");
	CHECK_EQ_U(cur_id(), 1);
	keys("G");
	CHECK_EQ_U(cur_id(), 2006);
	tui_keys_handle(&app, TUI_K_HOME);
	CHECK_EQ_U(cur_id(), 1);
	tui_keys_handle(&app, TUI_K_WHEEL_DOWN);
	CHECK_EQ_U(cur_id(), 4);
	tui_keys_handle(&app, TUI_CTRL('d'));
	CHECK_EQ_U(cur_id(), 4 + 11);
	/* the window never holds more than one screen */
	CHECK(app.tl.cap <= 24);
}

TEST(render_rows_and_status)
{
	setup(24, 80);
	if (!model)
		return;
	tui_app_render(&app, &scr);
	CHECK(strstr(tui_screen_text(&scr, 0), "asreplay host\\e[31m") != NULL);
	CHECK(strstr(tui_screen_text(&scr, 1), "python3") != NULL);
	CHECK(strstr(tui_screen_text(&scr, 1), "llm") != NULL);
	CHECK(scr.hl[1] == 1 && scr.hl[2] == 0);
	CHECK(strstr(tui_screen_text(&scr, 23), "/:search") != NULL);
	keys("\n");   /* detail pane */
	CHECK(app.detail_open);
	CHECK(screen_has("[llm]"));
	CHECK(screen_has("provider:         anthropic"));
	keys("\t");
	CHECK(app.focus_detail);
	keys("j");
	CHECK_EQ_U(cur_id(), 1);        /* j scrolls the pane, not the timeline */
	CHECK_EQ_U(app.detail.cur, 1);
	keys("\t\n");
	CHECK(!app.detail_open);
}

TEST(search_and_filter_prompts)
{
	setup(24, 100);
	if (!model)
		return;
	keys("/needle");
	CHECK(app.prompt == '/');
	CHECK(screen_has("search: needle_"));
	keys("\n");
	CHECK(!app.prompt);
	CHECK(strstr(tui_tl_current(&app)->text, "needle-7") != NULL);
	keys("n");
	CHECK(strstr(app.msg, "not found below") != NULL);
	keys("f");
	CHECK(app.prompt == 'f');
	keys("kind=exi");
	CHECK(strstr(app.msg, "bad filter term") != NULL);  /* kept the old filter */
	keys("t");
	CHECK_STR(app.filter_text, "kind=exit");
	CHECK_EQ_U(app.tl.n, 2);
	keys("\n");
	CHECK(screen_has("filter: kind=exit"));
	keys("F");
	CHECK_STR(app.filter_text, "");
	keys("f");
	keys("pid=201");
	tui_keys_handle(&app, TUI_K_ESC);    /* cancel restores the previous filter */
	CHECK_STR(app.filter_text, "");
	CHECK(tui_filter_empty(tui_model_filter(model)));
}

TEST(views_and_jumps)
{
	size_t i;

	setup(24, 100);
	if (!model)
		return;
	keys("2");
	CHECK_EQ_U(app.view, V_TREE);
	CHECK(screen_has("201 sh"));
	CHECK(screen_has("exit 2"));
	CHECK_EQ_U(app.tree.nvis, 3);
	keys("h");                      /* collapse bash */
	CHECK_EQ_U(app.tree.nvis, 1);
	keys("l");
	CHECK_EQ_U(app.tree.nvis, 3);
	keys("jj\n");                   /* sh's subtree */
	CHECK_EQ_U(app.view, V_TIMELINE);
	CHECK_STR(app.filter_text, "proc=3");
	CHECK_EQ_U(tui_tl_current(&app)->kind, TK_EXEC);
	keys("F3");
	CHECK_EQ_U(app.view, V_CONV);
	CHECK(screen_has("claude-x"));
	CHECK(screen_has("1 tool call"));
	keys("\n");
	CHECK_EQ_U(app.view, V_TRANSCRIPT);
	CHECK(screen_has("system:           be careful"));
	for (i = 0; i < app.transcript.n && app.transcript.lines[i].target != DT_TOOL; i++)
		keys("j");
	keys("\n");
	CHECK_EQ_U(app.view, V_TIMELINE);
	CHECK_STR(app.filter_text, "tool=1");
	CHECK_EQ_U(tui_tl_current(&app)->kind, TK_TOOL);
	keys("j");
	CHECK_EQ_U(tui_tl_current(&app)->kind, TK_EXEC);
	keys("?");
	CHECK_EQ_U(app.view, V_HELP);
	CHECK(screen_has("Moving"));
	keys("q");
	CHECK_EQ_U(app.view, V_TIMELINE);
	keys("p");
	CHECK_EQ_U(app.view, V_TREE);
	CHECK_EQ_U(tui_tree_current(&app)->pid, 201);
	CHECK(tui_keys_handle(&app, 'Q') & TR_QUIT);
}

TEST(playback)
{
	int64_t t = 1000000000;

	setup(24, 80);
	if (!model)
		return;
	keys(">>>");
	CHECK_EQ_U(app.speed, 3);
	CHECK(tui_keys_handle(&app, ' ') & TR_PLAY);
	CHECK(app.playing);
	tui_app_tick(&app, t);
	CHECK_EQ_U(cur_id(), 2);        /* max: one event per tick */
	tui_app_tick(&app, t += 40000000);
	CHECK_EQ_U(cur_id(), 3);
	keys("<<<");                    /* 1x: recorded time */
	CHECK_EQ_U(app.speed, 0);
	tui_app_tick(&app, t += 100000);
	CHECK_EQ_U(cur_id(), 3);        /* 0.1 ms later: the next event is 1 ms away */
	tui_app_tick(&app, t += 200000000);
	CHECK(cur_id() > 4);
	keys(" ");
	CHECK(!app.playing);
}

TEST(resize)
{
	setup(60, 200);
	if (!model)
		return;
	keys("G");
	tui_app_resize(&app, 24, 80);
	tui_screen_release(&scr);
	tui_screen_init(&scr, 24, 80);
	CHECK_EQ_U(cur_id(), 2006);
	CHECK_EQ_U(app.tl.n, 22);
	CHECK(screen_has("q:quit"));
	tui_app_resize(&app, 2, 5);     /* absurdly small: clamped, no crash */
	tui_screen_release(&scr);
	tui_screen_init(&scr, app.rows, app.cols);
	tui_app_render(&app, &scr);
	CHECK(app.rows == 3);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	RUN(moving);
	RUN(render_rows_and_status);
	RUN(search_and_filter_prompts);
	RUN(views_and_jumps);
	RUN(playback);
	RUN(resize);
	tui_app_release(&app);
	tui_screen_release(&scr);
	tui_model_close(model);
	return harness_done();
}
