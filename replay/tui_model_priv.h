/* SPDX-License-Identifier: MIT */
/*
 * tui_model_priv.h - the model's state, shared by tui_model.c (timeline)
 * and tui_model_q.c (details, processes, calls); tui_events.c uses
 * tui_model_index_sql().  Not for other modules.
 */
#ifndef AS_REPLAY_TUI_MODEL_PRIV_H
#define AS_REPLAY_TUI_MODEL_PRIV_H

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
};

/* Format strings (%1$s: "TEMP" or "") creating the empty rp_events (part
 * 0) and, once filled, its indexes and rp_meta version (part 1); for
 * tui_events.c, which fills the table without SQL.  NULL after. */
const char *tui_model_index_sql(int part);

/* Basename of an exe path into @dst. */
void tui_model_comm(const unsigned char *exe, char *dst, size_t size);

#endif
