/* SPDX-License-Identifier: MIT */
/*
 * tui_conv.c - the conversations view: one row per LLM call, and the
 * transcript of a call (system prompt, messages, thinking, response, tool
 * calls with the effects the analyzer linked to them, usage and cost).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_app.h"

int tui_conv_load(struct tui_app *a)
{
	struct tui_conv *c = &a->conv;

	if (c->loaded)
		return 0;
	free(c->calls);
	c->calls = NULL;
	c->n = c->top = c->cur = 0;
	if (tui_model_calls(a->m, &c->calls, &c->n))
		return -1;
	c->loaded = 1;
	return 0;
}

void tui_conv_move(struct tui_app *a, int64_t delta)
{
	struct tui_conv *c = &a->conv;
	int64_t k = (int64_t)c->cur + delta;
	int h = tui_app_body(a);

	if (!c->n)
		return;
	if (h < 1)
		h = 1;
	if (k < 0)
		k = 0;
	if (k >= (int64_t)c->n)
		k = (int64_t)c->n - 1;
	c->cur = (size_t)k;
	if (c->cur < c->top)
		c->top = c->cur;
	if (c->cur >= c->top + (size_t)h)
		c->top = c->cur - (size_t)h + 1;
}

void tui_conv_follow(struct tui_app *a, int64_t ts)
{
	struct tui_conv *c = &a->conv;
	size_t i, best = 0;

	for (i = 0; i < c->n && c->calls[i].ts <= ts; i++)
		best = i;
	tui_conv_move(a, (int64_t)best - (int64_t)c->cur);
}

void tui_conv_render_row(const struct tui_app *a, size_t i, struct tui_line *l)
{
	const struct tui_call *c = &a->conv.calls[i];
	char buf[64];

	tui_line_add(l, TA_DIM, tui_model_clock(a->m, c->ts, buf, sizeof(buf)));
	tui_line_addf(l, TA_NORMAL, " %7ld ", c->pid);
	tui_line_add_safe(l, TA_LLM, c->model, strlen(c->model), a->utf8);
	tui_line_addf(l, c->status >= 400 || !c->status ? TA_ERROR : TA_DIM, "  %d", c->status);
	tui_line_addf(l, TA_NORMAL, "  in %lld out %lld  $%.4f  ttft %.3fs", (long long)c->in_tok,
		      (long long)c->out_tok, c->cost, c->ttft);
	if (c->ntools)
		tui_line_addf(l, TA_TOOL, "  %d tool call%s", c->ntools, c->ntools > 1 ? "s" : "");
	/* side calls, token counts and retries are not the agent's turns */
	if (c->purpose[0] && strcmp(c->purpose, "turn")) {
		tui_line_add(l, TA_DIM, "  (");
		tui_line_add_safe(l, TA_DIM, c->purpose, strlen(c->purpose), a->utf8);
		tui_line_add(l, TA_DIM, ")");
	}
	if (c->problem[0]) {
		tui_line_add(l, TA_ERROR, "  ");
		tui_line_add_safe(l, TA_ERROR, c->problem, strlen(c->problem), a->utf8);
	}
}

static const struct {
	int type;
	enum tui_attr attr;
	int target;
} item_style[] = {
	{ TI_HEADER, TA_TITLE, DT_NONE },   { TI_SYSTEM, TA_DIM, DT_NONE },
	{ TI_MESSAGE, TA_NORMAL, DT_NONE }, { TI_THINKING, TA_DIM, DT_NONE },
	{ TI_RESPONSE, TA_LLM, DT_NONE },   { TI_TOOL_CALL, TA_TOOL, DT_TOOL },
	{ TI_EFFECT, TA_EXEC, DT_EVENT },   { TI_USAGE, TA_DIM, DT_NONE },
	{ TI_ERROR, TA_ERROR, DT_NONE },
};

static void on_item(void *ctx, int type, int64_t id, const char *label, const char *text,
		    size_t len)
{
	struct tui_app *a = ctx;
	char lab[96];
	size_t i;

	for (i = 0; i < sizeof(item_style) / sizeof(item_style[0]); i++)
		if (item_style[i].type == type)
			break;
	if (i == sizeof(item_style) / sizeof(item_style[0]))
		return;
	if (type == TI_HEADER) {
		tui_doc_text(&a->transcript, a->utf8, a->cols, TA_TITLE, NULL, text, len, DT_NONE, 0);
		return;
	}
	if (type == TI_TOOL_CALL)
		snprintf(lab, sizeof(lab), "tool call %s:", label);
	else if (type == TI_EFFECT)
		snprintf(lab, sizeof(lab), "  -> %s:", label);
	else
		snprintf(lab, sizeof(lab), "%s:", label);
	tui_doc_text(&a->transcript, a->utf8, a->cols, item_style[i].attr, lab, text, len,
		     id ? item_style[i].target : DT_NONE, id);
	if (type != TI_EFFECT && type != TI_TOOL_CALL)
		tui_doc_add(&a->transcript, DT_NONE, 0);
}

void tui_conv_open(struct tui_app *a, int64_t call_id)
{
	tui_doc_clear(&a->transcript);
	a->conv.open_call = call_id;
	tui_model_transcript(a->m, call_id, on_item, a);
	if (!a->transcript.n)
		tui_line_add(tui_doc_add(&a->transcript, DT_NONE, 0), TA_ERROR, "no such call");
	a->view = V_TRANSCRIPT;
}
