/* SPDX-License-Identifier: MIT */
/*
 * tui_build.h - turn capture files into the analyzer's SQLite model, cached
 * beside the first capture (FILE.db) so a second open is instant.
 *
 * The cache records what it was built from (path, size, mtime of every
 * capture, in rp_meta 'stamp'); any difference rebuilds it.  When the
 * capture's directory is not writable the cache goes to
 * $XDG_CACHE_HOME/asight/ (else ~/.cache/asight/).  The database is written
 * to NAME.part and renamed, so an interrupted build leaves no cache.  The
 * timeline table of tui_model.h is built in the same pass, from the model
 * in memory (tui_events.h), so that opening the new cache builds nothing.
 *
 * Calling sequence:
 *   tui_build_path(paths, n, db, sizeof(db));
 *   if (!tui_build_fresh(db, paths, n)) tui_build_run(paths, n, db, &o, fn, ctx, msg, size);
 */
#ifndef AS_REPLAY_TUI_BUILD_H
#define AS_REPLAY_TUI_BUILD_H

#include <stddef.h>

#include "tui_model.h"

struct tui_build_opts {
	const char *pricing;   /* NULL: $ASIGHT_PRICING or the shipped table */
	int no_redact;
};

/* Where the cache of these captures lives.  0 or -ENAMETOOLONG. */
int tui_build_path(const char *const *paths, size_t n, char *db, size_t size);

/* 1 when @db exists and was built from exactly these files. */
int tui_build_fresh(const char *db, const char *const *paths, size_t n);

/*
 * Analyze the captures into @db, calling @progress with a percentage of
 * the bytes read (then -1 while writing).  Warnings of the analyzer are
 * passed to @progress with percent -2.  0 or -errno with @msg set.
 */
int tui_build_run(const char *const *paths, size_t n, const char *db,
		  const struct tui_build_opts *o, tui_progress_fn progress, void *ctx, char *msg,
		  size_t msg_size);

/*
 * A first open that does not wait for SQLite: read the captures (with
 * @progress as above), prepare the timeline in memory (tui_build_events,
 * for tui_model_open_mem), and write @db in a background thread.
 *   tui_build_start(paths, n, db, &o, fn, ctx, &b, msg, size);
 *   ... tui_build_done(b) ... tui_build_wait(b, msg, size) -> rc of the write;
 *   tui_model_attach(m, db, ...); tui_build_drop(b) (the model's memory);
 *   tui_build_free(b) (waits for the writer first).
 * tui_build_abandon removes the partly written files (on a signal, before
 * exiting with the writer still running).  With $ASREPLAY_TEST_HOLD set the
 * writer waits until that file exists (tests).  0 or -errno with @msg set.
 */
struct tui_build_bg;
struct tui_events;
int tui_build_start(const char *const *paths, size_t n, const char *db,
		    const struct tui_build_opts *o, tui_progress_fn progress, void *ctx,
		    struct tui_build_bg **out, char *msg, size_t msg_size);
const struct tui_events *tui_build_events(const struct tui_build_bg *b);
int tui_build_done(const struct tui_build_bg *b);
int tui_build_wait(struct tui_build_bg *b, char *msg, size_t msg_size);
void tui_build_drop(struct tui_build_bg *b);
void tui_build_abandon(struct tui_build_bg *b);
void tui_build_free(struct tui_build_bg *b); /* accepts NULL */

#endif
