/* SPDX-License-Identifier: MIT */
/*
 * tui_model_mem.c - the timeline of tui_model.h served from the analyzer's
 * in-memory model (tui_events.h) while the cache is still being written,
 * so that a first open does not wait for SQLite.  Ids, order and texts are
 * those rp_events will have, so the view stays put when tui_model_attach
 * switches to the cache.  Filters are evaluated by scanning (the SQL's
 * LIKE: ASCII case-insensitive); the ones that need the process tree or
 * the tool-call effects, and every detail query, wait for the cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_events.h"
#include "tui_model_priv.h"

struct mem {
	struct tui_mem base;
	const struct tui_events *e;
	size_t n;
	tui_wait_fn wait;
	void *ctx;
};

#define M(m) ((struct mem *)(void *)(m)->mem)

static const struct tui_mem_ops mem_ops;

int tui_model_open_mem(const struct tui_events *e, const char *path, tui_wait_fn wait, void *ctx,
		       struct tui_model **out)
{
	struct tui_model *m = calloc(1, sizeof(*m));
	struct mem *mem = calloc(1, sizeof(*mem));

	*out = NULL;
	if (!m || !mem) {
		free(m);
		free(mem);
		return -ENOMEM;
	}
	mem->base.ops = &mem_ops;
	mem->e = e;
	mem->n = tui_events_count(e);
	mem->wait = wait;
	mem->ctx = ctx;
	m->mem = &mem->base;
	tui_filter_init(&m->filt);
	snprintf(m->info.path, sizeof(m->info.path), "%s", path);
	snprintf(m->info.hostname, sizeof(m->info.hostname), "%s", tui_events_hostname(e));
	m->info.nevents = (int64_t)mem->n;
	m->info.first_ts = mem->n ? tui_events_ts(e, 0) : 0;
	m->info.last_ts = mem->n ? tui_events_ts(e, mem->n - 1) : 0;
	m->info.mono_to_real = tui_events_mono_to_real(e);
	*out = m;
	return 0;
}

static void mem_free(struct tui_mem *mem)
{
	free(mem);
}

static int need_db(struct tui_model *m)
{
	if (!m->db && m->mem && M(m)->wait)
		M(m)->wait(M(m)->ctx, m);
	return m->db ? 0 : -EAGAIN;
}

/* Filters that scanning can answer: not subtrees, not tool effects. */
static int filter_ok(const struct tui_filter *f)
{
	return f->tree_pid < 0 && !f->proc && !f->tool;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* LIKE 'q%' (prefix) or LIKE '%q%' (@any), ASCII case-insensitive. */
static int like(const char *s, size_t len, const char *q, int any)
{
	size_t ql = strlen(q), i, k;

	for (i = 0; i + ql <= len; i++) {
		for (k = 0; k < ql && lower((unsigned char)s[i + k]) == lower((unsigned char)q[k]);
		     k++)
			;
		if (k == ql)
			return 1;
		if (!any)
			return 0;
	}
	return 0;
}

/* Cheap tests first: kind and time need no row. */
static int match_cheap(struct tui_model *m, size_t i)
{
	const struct tui_filter *f = &m->filt;
	int64_t ts = tui_events_ts(M(m)->e, i);

	if (f->kinds && !(f->kinds & (1u << tui_events_kind(M(m)->e, i))))
		return 0;
	if (f->since.set && ts < tui_model_time_abs(m, &f->since))
		return 0;
	if (f->until.set && ts > tui_model_time_abs(m, &f->until))
		return 0;
	return 1;
}

static int needs_row(const struct tui_filter *f)
{
	return f->pid >= 0 || f->comm[0] || f->text[0];
}

/* Row @i into @ev when it passes the filter (@ev is filled either way
 * when the filter needs the row). */
static int match(struct tui_model *m, size_t i, struct tui_event *ev, int fill)
{
	const struct tui_filter *f = &m->filt;

	if (!match_cheap(m, i))
		return 0;
	if (!needs_row(f)) {
		if (fill)
			tui_events_get(M(m)->e, i, ev);
		return 1;
	}
	tui_events_get(M(m)->e, i, ev);
	if (f->pid >= 0 && ev->pid != f->pid)
		return 0;
	if (f->comm[0] && !like(ev->comm, strlen(ev->comm), f->comm, 0))
		return 0;
	return !f->text[0] || like(ev->text, ev->text_len, f->text, 1);
}

/* Index of row for @id in @dir, or -1 past either end. */
static long long start_at(const struct tui_model *m, int64_t id, int dir)
{
	long long n = (long long)M(m)->n;

	if (id < 1)
		return dir > 0 && n ? 0 : -1;
	if (id > n)
		return dir < 0 ? n - 1 : -1;
	return id - 1;
}

static size_t mem_fetch(struct tui_model *m, int64_t id, int dir, struct tui_event *out,
			size_t max)
{
	long long i = start_at(m, id, dir), n = (long long)M(m)->n;
	size_t got = 0;

	for (; i >= 0 && i < n && got < max; i += dir > 0 ? 1 : -1)
		if (match(m, (size_t)i, &out[got], 1))
			got++;
	return got;
}

static int64_t mem_step(struct tui_model *m, int64_t id, int dir, int64_t steps)
{
	long long i = start_at(m, id, dir), n = (long long)M(m)->n;
	struct tui_event *ev;
	int64_t last = 0, seen = 0;

	if (tui_filter_empty(&m->filt) && i >= 0) {
		i += dir > 0 ? steps : -steps;
		i = i < 0 ? 0 : i >= n ? n - 1 : i;
		return i + 1;
	}
	ev = malloc(sizeof(*ev));
	for (; ev && i >= 0 && i < n && seen <= steps; i += dir > 0 ? 1 : -1)
		if (match(m, (size_t)i, ev, 0)) {
			last = i + 1;
			seen++;
		}
	free(ev);
	return last;
}

static int64_t mem_find(struct tui_model *m, int64_t id, int dir, const char *q)
{
	long long i = start_at(m, id, dir), n = (long long)M(m)->n;
	struct tui_event *ev = malloc(sizeof(*ev));
	int64_t hit = 0;

	for (; ev && i >= 0 && i < n && !hit; i += dir > 0 ? 1 : -1)
		if (match(m, (size_t)i, ev, 1) &&
		    (like(ev->text, ev->text_len, q, 1) || like(ev->comm, strlen(ev->comm), q, 1)))
			hit = i + 1;
	free(ev);
	return hit;
}

static int64_t mem_at_ts(struct tui_model *m, int64_t ts)
{
	size_t lo = 0, hi = M(m)->n, mid;
	int64_t id;

	/* the last row with ts <= @ts: rows are in time order */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (tui_events_ts(M(m)->e, mid) <= ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	id = lo ? mem_step(m, (int64_t)lo, -1, 0) : 0;
	return id ? id : mem_step(m, 1, +1, 0);
}

static int64_t mem_event_of(struct tui_model *m, int kind, int64_t ref)
{
	struct tui_event *ev = malloc(sizeof(*ev));
	int64_t hit = 0;
	size_t i;

	for (i = 0; ev && i < M(m)->n && !hit; i++)
		if (tui_events_kind(M(m)->e, i) == kind && !tui_events_get(M(m)->e, i, ev) &&
		    ev->ref == ref)
			hit = (int64_t)i + 1;
	free(ev);
	return hit;
}

static int mem_get(struct tui_model *m, int64_t id, struct tui_event *ev)
{
	if (id < 1 || id > (int64_t)M(m)->n)
		return -ENOENT;
	return tui_events_get(M(m)->e, (size_t)id - 1, ev) ? -ENOMEM : 0;
}

static const struct tui_mem_ops mem_ops = {
	.free = mem_free,
	.need_db = need_db,
	.filter_ok = filter_ok,
	.fetch = mem_fetch,
	.step = mem_step,
	.find = mem_find,
	.at_ts = mem_at_ts,
	.event_of = mem_event_of,
	.get = mem_get,
};
