/* SPDX-License-Identifier: MIT */
/*
 * tui_model.h - asreplay's read-only view of an analyzer database
 * (analyze/db_schema.c), with no curses in it.
 *
 * The analyzer stores events in one table per kind.  The timeline needs
 * them merged in time order and paged without ever loading the table, so
 * tui_model_open() adds (once, persisted in the database when it is
 * writable, else in TEMP tables) an index table
 *
 *   rp_events(id INTEGER PRIMARY KEY, ts, kind, ref, proc_id, pid, text)
 *
 * filled in (ts, kind, ref) order: id order is time order, so every page
 * is a keyset query "id > last ORDER BY id LIMIT n" on the rowid, and
 * memory never depends on the number of events.  rp_meta(key, value) keeps
 * its version and, for a cache built from captures, the capture paths.
 *
 * Calling sequence:
 *   tui_model_open("x.db", &m, msg, sizeof(msg));
 *   tui_model_set_filter(m, &f);               optional
 *   n = tui_model_fetch(m, id, +1, rows, 50);  page forward from id
 *   ... tui_model_close(m);
 */
#ifndef AS_REPLAY_TUI_MODEL_H
#define AS_REPLAY_TUI_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "tui_filter.h"

#define TUI_INDEX_VERSION "2"
#define TUI_TEXT_MAX 400

struct tui_model;

struct tui_event {
	int64_t id;            /* rp_events.id: 1-based, in time order */
	int64_t ts;            /* CLOCK_MONOTONIC ns */
	int64_t ref;           /* primary key in the kind's table */
	int64_t proc_id;       /* 0: none */
	long pid;              /* -1: unknown */
	int kind;              /* enum tui_kind */
	char comm[24];         /* basename of the process's exe */
	char text[TUI_TEXT_MAX]; /* summary as captured: escape before display */
	size_t text_len;
};

struct tui_info {
	int64_t first_ts, last_ts; /* of the whole timeline */
	int64_t nevents;
	int64_t mono_to_real;  /* add to ts for Unix ns; 0: unknown */
	int readonly_index;    /* the index lives in TEMP tables */
	char hostname[64];
	char path[512];
};

typedef void (*tui_progress_fn)(void *ctx, const char *what, int percent);

/*
 * Open the database at @path and make sure rp_events exists (building it,
 * with @progress called now and then, when it does not).  Returns 0 or
 * -errno with @msg set.
 */
int tui_model_open(const char *path, tui_progress_fn progress, void *ctx, struct tui_model **out,
		   char *msg, size_t msg_size);
void tui_model_close(struct tui_model *m);   /* accepts NULL */

const struct tui_info *tui_model_info(const struct tui_model *m);

/*
 * A first open while the cache is written (tui_build_start): the timeline
 * comes from the analyzer's model in memory (@e, borrowed until
 * tui_model_attach), the same ids and texts as the cache's.  Anything else
 * (details, process tree, conversations, subtree and tool filters) first
 * calls @wait, which should block until the cache at @path is written and
 * tui_model_attach it.  0 or -ENOMEM.
 */
struct tui_events;
typedef void (*tui_wait_fn)(void *ctx, struct tui_model *m);
int tui_model_open_mem(const struct tui_events *e, const char *path, tui_wait_fn wait, void *ctx,
		       struct tui_model **out);
/* Switch an in-memory model to the finished cache at @path, keeping the
 * filter; @e is no longer used after.  0 or -errno with @msg set. */
int tui_model_attach(struct tui_model *m, const char *path, char *msg, size_t msg_size);

/* Record the capture files the database came from (kept in rp_meta). */
int tui_model_set_sources(struct tui_model *m, const char *const *paths, size_t n);

/* Apply @f (NULL: none) to every later fetch/find.  0 or -EIO. */
int tui_model_set_filter(struct tui_model *m, const struct tui_filter *f);
const struct tui_filter *tui_model_filter(const struct tui_model *m);

/*
 * Up to @max filtered events starting at @id (inclusive): ascending for
 * @dir > 0, descending for @dir < 0.  Returns the count (0 at either end).
 */
size_t tui_model_fetch(struct tui_model *m, int64_t id, int dir, struct tui_event *out,
		       size_t max);

/* Id @n filtered events away from @id in @dir (or the furthest one), 0 if none. */
int64_t tui_model_step(struct tui_model *m, int64_t id, int dir, int64_t n);

/* Next filtered event from @id (inclusive) in @dir whose text or comm holds @q. */
int64_t tui_model_find(struct tui_model *m, int64_t id, int dir, const char *q);

/* The last filtered event at or before @ts (else the first one), 0 if none. */
int64_t tui_model_at_ts(struct tui_model *m, int64_t ts);

/* The event of kind @kind for row @ref of its table (unfiltered), 0 if none. */
int64_t tui_model_event_of(struct tui_model *m, int kind, int64_t ref);

/* The exec event of a process (its first exec), 0 if none. */
int64_t tui_model_exec_of(struct tui_model *m, int64_t proc_id);

/* One event by id, ignoring the filter.  0 or -ENOENT. */
int tui_model_get(struct tui_model *m, int64_t id, struct tui_event *ev);

/* "21:30:05.123" (UTC) or monotonic seconds without a clock anchor. */
const char *tui_model_clock(const struct tui_model *m, int64_t ts, char *buf, size_t size);
/* "2026-11-25 21:30:05.123" */
const char *tui_model_wall(const struct tui_model *m, int64_t ts, char *buf, size_t size);
/* "+12.345678" seconds since the first event */
const char *tui_model_rel(const struct tui_model *m, int64_t ts, char *buf, size_t size);

/* Absolute monotonic ns for a filter time (relative or UTC time of day). */
int64_t tui_model_time_abs(const struct tui_model *m, const struct tui_time *t);

/* ---- details (tui_model_q.c) ---- */

/* One field of a detail: @section ("event", "process", ...), column name,
 * value bytes (NULL for SQL NULL). */
typedef void (*tui_field_fn)(void *ctx, const char *section, const char *name,
			     const void *val, size_t len);

/* Every column of the event's row and of its related rows. */
int tui_model_fields(struct tui_model *m, const struct tui_event *ev, tui_field_fn fn, void *ctx);

/*
 * The captured plaintext of a TLS event, read again from the capture files
 * (rp_meta sources, or the database path without its ".db").  *buf is
 * malloc'd.  0, -ENOENT (no capture or record) or -errno, @msg set.
 */
int tui_model_raw(struct tui_model *m, const struct tui_event *ev, uint8_t **buf, size_t *len,
		  char *msg, size_t msg_size);

struct tui_proc {
	int64_t id, parent;    /* processes.proc_id, parent_id (0: root) */
	int64_t t_start, t_end; /* 0: unknown / still running */
	long pid;
	int has_exit, exit_code, signal;
	char comm[24];
	char argv[160];
};

/* Every process in proc_id order; *v is malloc'd. */
int tui_model_procs(struct tui_model *m, struct tui_proc **v, size_t *n);

struct tui_call {
	int64_t id, ts, proc_id;
	long pid;
	int status, ntools;
	int64_t in_tok, out_tok;
	double cost, ttft, duration;
	char model[64];
	char problem[64];
	char purpose[16];   /* turn, side-call, count_tokens, retry */
};

/* Every LLM call in request order; *v is malloc'd. */
int tui_model_calls(struct tui_model *m, struct tui_call **v, size_t *n);

/* Transcript items of one call, in reading order. */
enum tui_item_type {
	TI_HEADER,      /* text: model, api, status */
	TI_SYSTEM,
	TI_MESSAGE,     /* label: role */
	TI_THINKING,
	TI_RESPONSE,
	TI_TOOL_CALL,   /* id: tool_call_pk, label: name */
	TI_EFFECT,      /* id: rp_events id of the effect (0: none), label: kind */
	TI_USAGE,
	TI_ERROR,
};
typedef void (*tui_item_fn)(void *ctx, int type, int64_t id, const char *label,
			    const char *text, size_t len);
/* The LLM call that asked for tool call @tool_pk, 0 if none. */
int64_t tui_model_call_of_tool(struct tui_model *m, int64_t tool_pk);

int tui_model_transcript(struct tui_model *m, int64_t call_id, tui_item_fn fn, void *ctx);

#endif
