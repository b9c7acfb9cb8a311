/* SPDX-License-Identifier: MIT */
/*
 * tui_model_priv.h - the model's state, shared by tui_model.c (timeline)
 * and tui_model_q.c (details, processes, calls); tui_events.c uses
 * tui_model_index_sql().  Not for other modules.
 */
#ifndef AS_REPLAY_TUI_MODEL_PRIV_H
#define AS_REPLAY_TUI_MODEL_PRIV_H

#include <errno.h>
#include <sqlite3.h>

#include "tui_filter.h"
#include "tui_model.h"

enum { Q_FWD, Q_BACK, Q_FIND_FWD, Q_FIND_BACK, Q_AT_TS, Q_STEP_FWD, Q_STEP_BACK, Q_COUNT };

struct tui_model {
	sqlite3 *db;
	struct tui_info info;
	struct tui_filter filt;
	sqlite3_stmt *q[Q_COUNT];   /* filtered queries, rebuilt by set_filter */
	sqlite3_stmt *get, *event_of;
	struct tui_mem *mem;        /* non-NULL: the timeline is in memory, db NULL */
};

/* tui_model_mem.c: the timeline before the cache exists, called through
 * m->mem->ops (so that the SQL model links without the analyzer). */
struct tui_mem_ops {
	void (*free)(struct tui_mem *mem);
	/* 0 once m->db can be used (waiting for the cache if need be) */
	int (*need_db)(struct tui_model *m);
	int (*filter_ok)(const struct tui_filter *f);
	size_t (*fetch)(struct tui_model *m, int64_t id, int dir, struct tui_event *out,
			size_t max);
	int64_t (*step)(struct tui_model *m, int64_t id, int dir, int64_t n);
	int64_t (*find)(struct tui_model *m, int64_t id, int dir, const char *q);
	int64_t (*at_ts)(struct tui_model *m, int64_t ts);
	int64_t (*event_of)(struct tui_model *m, int kind, int64_t ref);
	int (*get)(struct tui_model *m, int64_t id, struct tui_event *ev);
};

struct tui_mem {
	const struct tui_mem_ops *ops;
};

/* 0 when m->db can be used, else -EAGAIN. */
static inline int tui_mem_need_db(struct tui_model *m)
{
	return m->db ? 0 : m->mem ? m->mem->ops->need_db(m) : -EAGAIN;
}

/* Format strings (%1$s: "TEMP" or "") creating the empty rp_events (part
 * 0) and, once filled, its indexes and rp_meta version (part 1); for
 * tui_events.c, which fills the table without SQL.  NULL after. */
const char *tui_model_index_sql(int part);

/* Basename of an exe path into @dst. */
void tui_model_comm(const unsigned char *exe, char *dst, size_t size);

#endif
