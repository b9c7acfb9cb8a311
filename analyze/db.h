/* SPDX-License-Identifier: MIT */
/*
 * db.h - write the analysis model (model.h + causal.h) into a SQLite
 * database: the documented schema of asanalyze-schema(7), its indexes and
 * views.  This database is also what asreplay reads.
 *
 * Calling sequence:
 *   struct db_opts o = { .redact = 1 };
 *   db_write(m, cz, "out.db", &o, &counts, msg, sizeof(msg));
 * An existing file at the path is replaced.  Returns 0, or -errno / -EIO
 * with @msg saying what failed (sqlite's message).
 */
#ifndef AS_ANALYZE_DB_H
#define AS_ANALYZE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/causal.h"
#include "analyze/model.h"

#define DB_BODY_MAX (4u * 1024u * 1024u) /* bytes of each HTTP body stored */

struct db_opts {
	int redact;
	/* with cz NULL: build the tool-call effects here, in a second thread
	 * while the tables that do not need them are written */
	int causal;
	/* optional: called once every row is written, before the indexes are
	 * built (not after a failure); from then on db_write no longer reads
	 * the model, so the caller may start freeing it in another thread */
	void (*rows_done)(void *ctx);
	void *rows_ctx;
	/* optional, with rows_ctx: called once the rows that read the HTTP
	 * exchanges and LLM calls are written or queued and the effects are
	 * found (not after a failure): the caller may start freeing those
	 * (model_free_convs_start) while the rest is written */
	void (*convs_done)(void *ctx);
};

struct db_counts {
	uint64_t processes, execs, files, connections, tls, chunks, http, llm_calls, messages,
		tool_calls, effects, drops;
};

int db_write(const struct model *m, const struct causal *cz, const char *path,
	     const struct db_opts *o, struct db_counts *cnt, char *msg, size_t msg_size);

/*
 * The same database, with the rows of files, connections and tls_chunks
 * written by a second thread while the model is being built:
 *   db_stream_open("out.db", &s, msg, sizeof(msg));
 *   model_opts.row = db_stream_row; model_opts.row_ctx = s;
 *   model_build(...);
 *   db_stream_finish(s, m, cz, &o, &counts, msg, sizeof(msg));
 * db_stream_finish writes the rest as db_write does and frees @s; with @m
 * NULL (the model could not be built) it only removes the partial file.
 * The queue between the threads is bounded (a few MiB).
 */
struct db_stream;
int db_stream_open(const char *path, struct db_stream **out, char *msg, size_t msg_size);
void db_stream_row(void *ctx, const struct model *m, int kind, size_t idx);
int db_stream_finish(struct db_stream *s, const struct model *m, const struct causal *cz,
		     const struct db_opts *o, struct db_counts *cnt, char *msg, size_t msg_size);

/*
 * Streaming instead (bounded memory): set model_opts.sink to
 * db_stream_sink(s, redact) rather than .row, and every row is queued as
 * the model finds it, the model keeping none (struct model_sink); then
 * db_stream_finish(s, m, NULL, ...) writes the processes, execs, TLS
 * connections, drops and meta, and numbers the tool effects.
 */
const struct model_sink *db_stream_sink(struct db_stream *s, int redact);

/*
 * PRAGMA user_version of the databases written: bumped whenever a table,
 * column or view changes (2: llm_calls.purpose, transport,
 * previous_response_id, inherited_messages; 3: a socket's close is a row
 * of connections, no longer of files; 4: a write through an fd its
 * process did not open has the path found by inode, a copying write its
 * source in path2), so caches made by an older build are rebuilt
 * (asreplay) and scripts can tell.
 */
#define DB_SCHEMA_VERSION 4

/* The schema as SQL text in parts: 0 tables, 1 indexes, 2 views; NULL after. */
const char *db_schema_sql(int part);

#endif
