/* SPDX-License-Identifier: MIT */
/*
 * db_priv.h - what db.c shares with db_stream.c: the writer state and the
 * row writers of the tables whose rows are final as soon as they are read
 * (files, connections, tls_chunks).
 */
#ifndef AS_ANALYZE_DB_PRIV_H
#define AS_ANALYZE_DB_PRIV_H

#include <sqlite3.h>

#include "analyze/db.h"

/* Redacted text by content: prompts, system prompts, bodies and targets
 * repeat across calls, and redaction (which parses JSON) costs more than
 * a hash and a compare.  Direct-mapped, inputs up to RC_MAX bytes, so at
 * most RC_SLOTS * 2 * RC_MAX bytes are held. */
#define RC_SLOTS 128
#define RC_MAX (64u * 1024u)

struct rc_slot {
	uint64_t h;
	size_t n;
	char *in, *out;
};

/* INT64_MIN binds NULL through dbw_run's type 'I' */
#define NUL_IF(cond, v) ((cond) ? INT64_MIN : (int64_t)(v))

/* A statement prepared at its first row. */
struct dbs {
	const char *sql;
	sqlite3_stmt *st;
};

/* A value to bind: t 'i' (i), 'd' (d), 's' (s, i bytes) or 'n' (NULL). */
struct dbv {
	char t;
	int64_t i;
	double d;
	const char *s;
};

struct dbw {
	struct rc_slot rc[RC_SLOTS];
	sqlite3 *db;
	const struct model *m;
	const struct causal *cz;
	int redact;
	struct db_counts *cnt;
	char *msg;
	size_t msg_size;
	int64_t *tool_pk_base; /* per call: tool_call_pk of its first tool call */
	const struct db_opts *o;
	struct causal *own_cz; /* built by cz_thread when o->causal */
	int cz_rc;
	/* rows of m->files, m->nets, m->tls already written (db_stream) */
	size_t done[3];
	/* rows go to this writer thread instead of being stepped here */
	struct db_stream *aq;
	/* the writer thread's side: rows gather into multi-row inserts */
	struct db_stream *bq;
	int idx_early; /* the indexes of DB_EARLY_TABLES exist already */
	/* the model was streamed (model_sink, db_live.c): its rows but the
	 * processes still in the tree (with their execs), TLS connections,
	 * drops and meta are written */
	int live;
};

/* db_stream: tables whose indexes exist before their rows.  The streamed
 * ones are written while the capture is read, when the writer has time to
 * spare; tool_effects is written last, and its indexes built after it
 * would be all that runs at the end.  The others are built after their
 * rows, while the reader prepares the next table's. */
#define DB_EARLY_TABLES "files connections tls_chunks tool_effects drops"
/* Streamed model (db_stream_sink): these too, whose rows come at the end
 * (but those of the processes freed while reading, model_sink.proc);
 * those of http_messages, llm_calls and tool_calls are built as soon
 * as the capture is read, while the reader makes the processes' rows. */
#define DB_LATE_TABLES "processes execs tls_connections"

#define DB_SQL_PROC "INSERT INTO processes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
#define DB_SQL_EXEC "INSERT INTO execs (proc_id, ts_ns, filename, argv, cwd) VALUES (?,?,?,?,?)"
#define DB_SQL_FILE "INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
#define DB_SQL_NET "INSERT INTO connections VALUES (?,?,?,?,?,?,?,?,?,?)"
#define DB_SQL_CHUNK "INSERT INTO tls_chunks VALUES (?,?,?,?,?,?,?,?,?,?)"
#define DB_SQL_HTTP "INSERT INTO http_messages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
#define DB_SQL_CALL "INSERT INTO llm_calls VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?," \
	"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
#define DB_SQL_MSG "INSERT INTO messages VALUES (?,?,?,?)"
#define DB_SQL_TOOL "INSERT INTO tool_calls VALUES (?,?,?,?,?,?,?)"
#define DB_SQL_EFF "INSERT INTO tool_effects VALUES (?,?,?,?,?,?,?,?,?,?)"

/* Bind @n values to @st (prepared if need be), step and reset it. */
int dbw_step(struct dbw *w, struct dbs *st, const struct dbv *v, int n);
/* Bind @n values to the prepared @q, step and reset it. */
int dbw_bind_step(struct dbw *w, sqlite3_stmt *q, const struct dbv *v, int n);
void dbs_done(struct dbs *st);
int dbw_exec(struct dbw *w, const char *sql);
/* db_stream.c: queue a row for @sql (NULL: @v[0] is SQL to execute),
 * copying its text; wait for every queued row and end the thread. */
int db_stream_queue(struct db_stream *s, const char *sql, const struct dbv *v, int n);
int db_stream_drain(struct db_stream *s);
/* Writer thread: add a row for @st (one of the stream's statements) to its
 * batch, stepped as one multi-row insert when full or at the next flush;
 * @now: flush every batch at once (text goes after the call). */
int db_stream_batch(struct db_stream *s, struct dbs *st, const struct dbv *v, int n, int now);
/* Wait until the writer no longer reads the model (the streamed rows). */
void db_stream_wait_streamed(struct db_stream *s);
/* row @i (0-based) of files, connections, tls_chunks */
int dbw_file_row(struct dbw *w, struct dbs *st, size_t i, const struct model_file *x);
int dbw_net_row(struct dbw *w, struct dbs *st, size_t i, const struct model_net *x);
int dbw_chunk_row(struct dbw *w, struct dbs *st, size_t i, const struct model_tls *x);
int dbw_http_row(struct dbw *w, struct dbs *st, const struct conv_exchange *ex);
/* an LLM call @x, row @i + 1, its messages and tool calls (rows from @pk,
 * their commands @cmds, NULL: found here); st: llm_calls, messages,
 * tool_calls */
int dbw_call_rows(struct dbw *w, struct dbs st[3], size_t i, const struct llm_call *x,
		  int64_t pk, char *const *cmds);
/* A process's row and its execs' (st: processes, execs), counted. */
int dbw_proc_rows(struct dbw *w, struct dbs st[2], const struct tree_proc *x);
/* run() for db_live.c: types as there */
int dbw_run(struct dbw *w, struct dbs *st, const char *types, ...);

/* Create @path's ".part" file (*part, owned), open it in w->db, begin the
 * transaction and create the tables; dbw_fill writes the rest (from the
 * w->done rows on), dbw_close closes and renames it (or removes it when
 * @rc is not 0) and returns the final result. */
int dbw_open(struct dbw *w, const char *path, char **part);
/* The CREATE INDEX statements of the space-separated @tables (NULL: all),
 * malloc'd (NULL: no memory). */
char *dbw_index_sql(const char *tables);
int dbw_fill(struct dbw *w);
int dbw_close(struct dbw *w, const char *path, char *part, int rc);

#endif
