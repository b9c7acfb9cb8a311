/* SPDX-License-Identifier: MIT */
/*
 * t_tui_model.c - asreplay's headless parts: the terminal-safe line
 * buffer, the filter language and the timeline model (keyset paging,
 * filters, search, time lookup, details).
 */
#include <locale.h>
#include <stdint.h>
#include <string.h>

#include "replay/tui_filter.c"
#include "replay/tui_line.c"
#include "replay/tui_model.c"
#include "replay/tui_model_q.c"
#include "tests/harness.h"
#include "tests/unit/tui_fixture.h"

static const char *esc(const char *s, size_t n)
{
	static char buf[512];

	tui_escape(buf, sizeof(buf), s, n, 1);
	return buf;
}

TEST(escape_controls)
{
	CHECK_STR(esc("a\x1b[31mb", 7), "a\\e[31mb");
	CHECK_STR(esc("\x1b]0;t\x07", 6), "\\e]0;t\\a");
	CHECK_STR(esc("x\r\n\t\x7f", 5), "x\\r\\n\\t\\x7f");
	CHECK_STR(esc("\xff\xfe", 2), "\\xff\\xfe");
	CHECK_STR(esc("\xc2\x9b" "31m", 5), "\\u{009b}31m");      /* C1 CSI */
	CHECK_STR(esc("\xe2\x80\xae" "abc", 6), "\\u{202e}abc");  /* RLO */
	CHECK_STR(esc("\xc0\xaf", 2), "\\xc0\\xaf");              /* overlong */
	CHECK_STR(esc("\xed\xa0\x80", 3), "\\xed\\xa0\\x80");     /* surrogate */
	CHECK_STR(esc("caf\xc3\xa9 \xe6\x97\xa5", 9), "caf\xc3\xa9 \xe6\x97\xa5");
}

TEST(line_spans_and_width)
{
	struct tui_line l;

	tui_line_init(&l);
	tui_line_add(&l, TA_DIM, "ab");
	CHECK_EQ_U(tui_line_add_safe(&l, TA_FILE, "c\x1b" "d", 3, 1), 1);
	CHECK_STR(l.text, "abc\\ed");
	CHECK_EQ_U(tui_line_attr_at(&l, 0), TA_DIM);
	CHECK_EQ_U(tui_line_attr_at(&l, 2), TA_FILE);
	CHECK_EQ_U(tui_line_attr_at(&l, 3), TA_ESC);
	CHECK_EQ_U(tui_line_attr_at(&l, 5), TA_FILE);
	tui_line_reset(&l);
	tui_line_add_safe(&l, TA_NORMAL, "\xe6\x97\xa5x", 4, 1);
	CHECK_EQ_U(tui_line_width(&l), 3);
	tui_line_reset(&l);
	tui_line_add_safe(&l, TA_NORMAL, "\xe6\x97\xa5x", 4, 0); /* not a UTF-8 terminal */
	CHECK_STR(l.text, "\\u{65e5}x");
	tui_line_release(&l);
}

TEST(filter_parse)
{
	struct tui_filter f;
	char msg[128];

	CHECK(!tui_filter_parse(&f, "pid=42 kind=exec,file comm=py since=1.5s until=2m foo bar",
				msg, sizeof(msg)));
	CHECK_EQ_U(f.pid, 42);
	CHECK_EQ_U(f.kinds, (1u << TK_EXEC) | (1u << TK_FILE));
	CHECK_STR(f.comm, "py");
	CHECK_STR(f.text, "foo bar");
	CHECK(f.since.set && !f.since.wall && f.since.ns == 1500000000ll);
	CHECK(f.until.set && f.until.ns == 120000000000ll);
	CHECK(!tui_filter_parse(&f, "since=21:30:05.250", msg, sizeof(msg)));
	CHECK(f.since.wall && f.since.ns == (21 * 3600 + 30 * 60 + 5) * 1000000000ll + 250000000);
	CHECK(tui_filter_parse(&f, "kind=bogus", msg, sizeof(msg)) == -EINVAL);
	CHECK(strstr(msg, "kind=bogus") != NULL);
	CHECK(tui_filter_parse(&f, "pid=x", msg, sizeof(msg)) == -EINVAL);
	CHECK(!tui_filter_parse(&f, "", msg, sizeof(msg)) && tui_filter_empty(&f));
}

static struct tui_model *open_fx(int nfiles)
{
	const char *p = fx_make(nfiles);
	struct tui_model *m = NULL;
	char msg[256];

	if (!p || tui_model_open(p, NULL, NULL, &m, msg, sizeof(msg)))
		fprintf(stderr, "  open: %s\n", p ? msg : "no fixture");
	if (p)
		unlink(p); /* the open handle keeps it */
	return m;
}

TEST(model_index_and_paging)
{
	struct tui_model *m = open_fx(1000);
	struct tui_event ev[50];
	size_t n, i;
	int ordered = 1;

	CHECK(m != NULL);
	if (!m)
		return;
	/* 1 llm + 1 tool + 1 exec + 2 exits + 1000 files + 1 drop */
	CHECK_EQ_U(tui_model_info(m)->nevents, 1006);
	n = tui_model_fetch(m, 1, +1, ev, 50);
	CHECK_EQ_U(n, 50);
	CHECK_EQ_U(ev[0].kind, TK_LLM);
	CHECK_STR(ev[0].comm, "python3");
	CHECK_EQ_U(ev[1].kind, TK_TOOL);
	CHECK_EQ_U(ev[2].kind, TK_EXEC);
	for (i = 1; i < n; i++)
		ordered &= ev[i].ts >= ev[i - 1].ts && ev[i].id == ev[i - 1].id + 1;
	CHECK(ordered);
	n = tui_model_fetch(m, INT64_MAX, -1, ev, 3);
	CHECK_EQ_U(n, 3);
	CHECK_EQ_U(ev[0].id, 1006);
	CHECK_EQ_U(tui_model_step(m, 10, +1, 100), 110);
	CHECK_EQ_U(tui_model_step(m, 10, -1, 100), 1);  /* clamps at the start */
	CHECK_EQ_U(tui_model_step(m, 1000, +1, 100), 1006);
	tui_model_close(m);
}

TEST(model_filter_search_time)
{
	struct tui_model *m = open_fx(100);
	struct tui_filter f;
	struct tui_event ev[10];
	char msg[64];
	int64_t id;

	if (!m)
		return;
	id = tui_model_find(m, 1, +1, "NEEDLE");    /* case-insensitive */
	CHECK(id > 0);
	CHECK(tui_model_get(m, id, &ev[0]) == 0 && strstr(ev[0].text, "/tmp/needle-7"));
	CHECK_EQ_U(tui_model_find(m, id + 1, +1, "needle"), 0);
	CHECK_EQ_U(tui_model_find(m, id, -1, "needle"), id);
	CHECK_EQ_U(tui_model_find(m, 1, +1, "50%"), 0); /* LIKE wildcards are literal */

	tui_filter_parse(&f, "kind=exit,drop", msg, sizeof(msg));
	tui_model_set_filter(m, &f);
	CHECK_EQ_U(tui_model_fetch(m, 1, +1, ev, 10), 3);
	CHECK_EQ_U(ev[1].kind, TK_DROP); /* between the two exits */
	tui_filter_parse(&f, "tree=200 kind=exec,llm", msg, sizeof(msg));
	tui_model_set_filter(m, &f);
	CHECK_EQ_U(tui_model_fetch(m, 1, +1, ev, 10), 2);
	tui_filter_parse(&f, "tool=1", msg, sizeof(msg));
	tui_model_set_filter(m, &f);
	CHECK_EQ_U(tui_model_fetch(m, 1, +1, ev, 10), 10);
	CHECK_EQ_U(ev[0].kind, TK_TOOL);
	CHECK_EQ_U(ev[1].kind, TK_EXEC);
	CHECK_EQ_U(ev[2].kind, TK_FILE);
	tui_filter_parse(&f, "comm=s since=0.4s until=0.403s", msg, sizeof(msg));
	tui_model_set_filter(m, &f);
	/* relative to the first event (0.1 s): exec, f-1, f-2, f-3 */
	CHECK_EQ_U(tui_model_fetch(m, 1, +1, ev, 10), 4);
	tui_model_set_filter(m, NULL);
	id = tui_model_at_ts(m, FX_T0 + 500000000ll + 10500000ll);
	CHECK(tui_model_get(m, id, &ev[0]) == 0 && strstr(ev[0].text, "/tmp/f-10 "));
	CHECK_EQ_U(tui_model_event_of(m, TK_EXEC, 1), 3);
	CHECK_EQ_U(tui_model_exec_of(m, 3), 3);
	CHECK_EQ_U(tui_model_call_of_tool(m, 1), 1);
	tui_model_close(m);
}

static void count_field(void *ctx, const char *section, const char *name, const void *v,
			size_t len)
{
	if (!strcmp(name, "argv") && v && !memcmp(v, "python3 agent.py", len))
		++*(int *)ctx;
}

static void count_item(void *ctx, int type, int64_t id, const char *label, const char *text,
		       size_t len)
{
	int *seen = ctx;

	seen[type]++;
	if (type == TI_EFFECT && id)
		seen[15]++;
}

TEST(model_details)
{
	struct tui_model *m = open_fx(3);
	struct tui_event ev;
	struct tui_proc *procs;
	struct tui_call *calls;
	size_t n;
	int found = 0, seen[16] = { 0 };
	char buf[64];

	if (!m)
		return;
	CHECK(tui_model_get(m, 1, &ev) == 0 && ev.kind == TK_LLM);
	CHECK(tui_model_fields(m, &ev, count_field, &found) == 0);
	CHECK_EQ_U(found, 1);       /* the process section */
	CHECK(tui_model_procs(m, &procs, &n) == 0);
	CHECK_EQ_U(n, 3);
	CHECK(procs[2].has_exit && procs[2].exit_code == 2 && !procs[0].has_exit);
	CHECK_STR(procs[1].comm, "python3");
	free(procs);
	CHECK(tui_model_calls(m, &calls, &n) == 0 && n == 1);
	CHECK(calls[0].ntools == 1 && calls[0].in_tok == 10);
	free(calls);
	CHECK(tui_model_transcript(m, 1, count_item, seen) == 0);
	CHECK_EQ_U(seen[TI_SYSTEM], 1);
	CHECK_EQ_U(seen[TI_MESSAGE], 1);
	CHECK_EQ_U(seen[TI_TOOL_CALL], 1);
	CHECK_EQ_U(seen[TI_EFFECT], 2);
	CHECK_EQ_U(seen[15], 2);    /* both effects lead to a timeline event */
	CHECK_STR(tui_model_clock(m, FX_T0, buf, sizeof(buf)), "22:30:00.000");
	CHECK_STR(tui_model_rel(m, FX_T0 + 101500000, buf, sizeof(buf)), "+0.001500");
	tui_model_close(m);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	RUN(escape_controls);
	RUN(line_spans_and_width);
	RUN(filter_parse);
	RUN(model_index_and_paging);
	RUN(model_filter_search_time);
	RUN(model_details);
	return harness_done();
}
