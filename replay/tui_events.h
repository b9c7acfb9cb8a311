/* SPDX-License-Identifier: MIT */
/*
 * tui_events.h - the timeline table rp_events (tui_model.h) built straight
 * from the analyzer's in-memory model while a capture is cached, instead
 * of re-reading every table of the fresh database with SQL afterwards.
 * The rows, ids and texts are exactly those of tui_model.c's SQL, which
 * still builds the table for an exported .db opened as is.
 *
 * Calling sequence (the model must stay unchanged until tui_events_write
 * calls @model_done); the first two may run in a thread of their own while
 * db_write() reads the same model:
 *   tui_events_prepare(m, redact, &e);
 *   tui_events_write(e, "x.db.part-rp", done, ctx, msg, sizeof(msg));
 *   db_write(m, ..., "x.db.part", ...);
 *   tui_events_merge("x.db.part", "x.db.part-rp", msg, sizeof(msg));
 *   tui_events_free(e); unlink("x.db.part-rp");
 */
#ifndef AS_REPLAY_TUI_EVENTS_H
#define AS_REPLAY_TUI_EVENTS_H

#include <stddef.h>

#include "analyze/model.h"
#include "tui_model.h"

struct tui_events;

/* Every event's place in time order and the texts that need redaction.
 * Only reads @m.  0 or -ENOMEM. */
int tui_events_prepare(const struct model *m, int redact, struct tui_events **out);

/* Write rp_events and its indexes into a new database at @aux (replaced;
 * a scratch file beside the cache, so that this can run in a thread while
 * db_write writes the cache).  @model_done (optional) is called when the
 * model is no longer read, before the indexes are built.  0 or -errno
 * with @msg set. */
int tui_events_write(struct tui_events *e, const char *aux, void (*model_done)(void *ctx),
		     void *ctx, char *msg, size_t msg_size);

/* Copy rp_events from @aux into the finished database at @db, with its
 * indexes and rp_meta's version.  0 or -errno with @msg set. */
int tui_events_merge(const char *db, const char *aux, char *msg, size_t msg_size);

void tui_events_free(struct tui_events *e); /* accepts NULL */

/*
 * The timeline straight from memory, before the cache is written (may run
 * while tui_events_write runs in another thread: all of these only read).
 * Row @i is rp_events id i + 1, with the same texts.
 */
size_t tui_events_count(const struct tui_events *e);
int64_t tui_events_ts(const struct tui_events *e, size_t i);
int tui_events_kind(const struct tui_events *e, size_t i);
/* 0 or -ENOMEM (the text is then cut). */
int tui_events_get(const struct tui_events *e, size_t i, struct tui_event *out);
int64_t tui_events_mono_to_real(const struct tui_events *e);
const char *tui_events_hostname(const struct tui_events *e);

#endif
