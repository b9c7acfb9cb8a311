/* SPDX-License-Identifier: MIT */
/*
 * tui_tree.c - the process tree view: every process once, under its
 * parent, collapsible, with duration and exit status.  Processes are few
 * next to events (one per exec), so the tree is held in memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_app.h"

#define NONE SIZE_MAX
#define MAX_DEPTH 64

void tui_tree_release(struct tui_tree *t)
{
	free(t->procs);
	free(t->first_child);
	free(t->next_sibling);
	free(t->collapsed);
	free(t->vis);
	free(t->depth);
	memset(t, 0, sizeof(*t));
}

/* Index of proc_id @id (procs are sorted by id), NONE if absent. */
static size_t index_of(const struct tui_tree *t, int64_t id)
{
	size_t lo = 0, hi = t->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->procs[mid].id == id)
			return mid;
		if (t->procs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

static size_t parent_of(const struct tui_tree *t, size_t i)
{
	size_t p = t->procs[i].parent ? index_of(t, t->procs[i].parent) : NONE;

	return p == i ? NONE : p;
}

/* Rows of one root's subtree, depth first, children in proc_id order. */
static void visit(struct tui_tree *t, size_t c)
{
	size_t stack[MAX_DEPTH], sp = 0;

	for (;;) {
		if (t->nvis >= t->n)
			return; /* parent cycles cannot loop forever */
		t->vis[t->nvis] = c;
		t->depth[t->nvis++] = (unsigned short)sp;
		if (!t->collapsed[c] && t->first_child[c] != NONE && sp < MAX_DEPTH) {
			stack[sp++] = c;
			c = t->first_child[c];
			continue;
		}
		for (;;) {
			if (!sp)
				return;
			if (t->next_sibling[c] != NONE) {
				c = t->next_sibling[c];
				break;
			}
			c = stack[--sp];
		}
	}
}

static void rebuild(struct tui_tree *t)
{
	size_t i;

	t->nvis = 0;
	for (i = 0; i < t->n; i++)
		if (parent_of(t, i) == NONE)
			visit(t, i);
	if (t->cur >= t->nvis)
		t->cur = t->nvis ? t->nvis - 1 : 0;
}

int tui_tree_load(struct tui_app *a)
{
	struct tui_tree *t = &a->tree;
	size_t i, p;

	if (t->loaded)
		return 0;
	tui_tree_release(t);
	if (tui_model_procs(a->m, &t->procs, &t->n))
		return -1;
	t->first_child = malloc((t->n + 1) * sizeof(size_t));
	t->next_sibling = malloc((t->n + 1) * sizeof(size_t));
	t->collapsed = calloc(t->n + 1, 1);
	t->vis = malloc((t->n + 1) * sizeof(size_t));
	t->depth = malloc((t->n + 1) * sizeof(unsigned short));
	if (!t->first_child || !t->next_sibling || !t->collapsed || !t->vis || !t->depth) {
		tui_tree_release(t);
		return -1;
	}
	for (i = 0; i < t->n; i++)
		t->first_child[i] = t->next_sibling[i] = NONE;
	for (i = t->n; i-- > 0;) {
		p = parent_of(t, i);
		if (p != NONE) {
			t->next_sibling[i] = t->first_child[p];
			t->first_child[p] = i;
		}
	}
	rebuild(t);
	t->loaded = 1;
	return 0;
}

const struct tui_proc *tui_tree_current(const struct tui_app *a)
{
	return a->tree.nvis ? &a->tree.procs[a->tree.vis[a->tree.cur]] : NULL;
}

static int body(const struct tui_app *a)
{
	int h = tui_app_body(a);

	return h > 0 ? h : 1;
}

static void scroll_to_cursor(struct tui_tree *t, int h)
{
	if (t->cur < t->top)
		t->top = t->cur;
	if (t->cur >= t->top + (size_t)h)
		t->top = t->cur - (size_t)h + 1;
}

void tui_tree_move(struct tui_app *a, int64_t delta)
{
	struct tui_tree *t = &a->tree;
	int64_t c = (int64_t)t->cur + delta;

	if (!t->nvis)
		return;
	if (c < 0)
		c = 0;
	if (c >= (int64_t)t->nvis)
		c = (int64_t)t->nvis - 1;
	t->cur = (size_t)c;
	scroll_to_cursor(t, body(a));
}

void tui_tree_toggle(struct tui_app *a, int expand)
{
	struct tui_tree *t = &a->tree;
	size_t i, p;

	if (!t->nvis)
		return;
	i = t->vis[t->cur];
	if (t->first_child[i] == NONE) {
		/* collapsing a leaf collapses its parent, as in file managers */
		p = parent_of(t, i);
		if (expand != 0 && p != NONE) {
			t->collapsed[p] = 1;
			rebuild(t);
			tui_tree_select(a, t->procs[p].id);
		}
		return;
	}
	t->collapsed[i] = expand < 0 ? !t->collapsed[i] : !expand;
	rebuild(t);
	scroll_to_cursor(t, body(a));
}

void tui_tree_select(struct tui_app *a, int64_t proc_id)
{
	struct tui_tree *t = &a->tree;
	size_t i = index_of(t, proc_id), p, k, guard = 0;
	int changed = 0;

	if (i == NONE)
		return;
	for (p = parent_of(t, i); p != NONE && guard++ < MAX_DEPTH; p = parent_of(t, p))
		if (t->collapsed[p]) {
			t->collapsed[p] = 0;
			changed = 1;
		}
	if (changed)
		rebuild(t);
	for (k = 0; k < t->nvis; k++)
		if (t->vis[k] == i) {
			t->cur = k;
			break;
		}
	scroll_to_cursor(t, body(a));
}

static void duration(char *buf, size_t size, const struct tui_proc *p)
{
	double s = (double)(p->t_end - p->t_start) / 1e9;

	if (!p->has_exit || !p->t_start)
		snprintf(buf, size, "running");
	else if (s < 1)
		snprintf(buf, size, "%.0fms", s * 1000);
	else if (s < 120)
		snprintf(buf, size, "%.2fs", s);
	else
		snprintf(buf, size, "%.0fm%02.0fs", s / 60 - 0.5, s - 60 * (int)(s / 60));
}

void tui_tree_render_row(const struct tui_app *a, size_t vis, struct tui_line *l)
{
	const struct tui_tree *t = &a->tree;
	size_t i = t->vis[vis];
	const struct tui_proc *p = &t->procs[i];
	unsigned d = t->depth[vis], k;
	char dur[32];

	for (k = 0; k < d && k < 20; k++)
		tui_line_add(l, TA_DIM, k + 1 == d ? (a->utf8 ? "\u2514\u2500" : "`-") : "  ");
	if (t->first_child[i] != NONE)
		tui_line_add(l, TA_BOLD, t->collapsed[i] ? "[+] " : "[-] ");
	tui_line_addf(l, TA_NORMAL, "%ld ", p->pid);
	tui_line_add_safe(l, TA_EXEC, p->comm, strlen(p->comm), a->utf8);
	duration(dur, sizeof(dur), p);
	tui_line_addf(l, TA_DIM, "  %s", dur);
	if (p->has_exit && p->signal)
		tui_line_addf(l, TA_ERROR, "  signal %d", p->signal);
	else if (p->has_exit)
		tui_line_addf(l, p->exit_code ? TA_ERROR : TA_DIM, "  exit %d", p->exit_code);
	tui_line_add(l, TA_NORMAL, "  ");
	tui_line_add_safe(l, TA_NORMAL, p->argv, strlen(p->argv), a->utf8);
}
