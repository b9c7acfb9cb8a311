/* SPDX-License-Identifier: MIT */
/*
 * model.h - the analyzer's in-memory model of one or more capture files:
 * process tree, file and network activity, TLS connections, HTTP
 * exchanges, LLM calls and loss markers.  Everything asanalyze prints or
 * exports (tree, conversations, explain, SQLite, JSONL) reads this.
 *
 * Calling sequence:
 *   struct model_opts o; model_opts_init(&o); o.pricing = ...;
 *   model_build(paths, n, &o, &m, &err);      reads every record once
 *   ... m->tree, m->files, m->nets, m->streams, m->convs, m->calls ...
 *   model_free(m);
 *
 * Records are read in (ts, seq) order.  A problem inside one conversation
 * (bad HTTP, cut stream, invalid JSON) is kept on that conversation; only
 * unreadable input fails model_build (err names file and offset).
 */
#ifndef AS_ANALYZE_MODEL_H
#define AS_ANALYZE_MODEL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/conv.h"
#include "analyze/llm.h"
#include "analyze/stream.h"
#include "analyze/tree.h"
#include "format/cap_reader.h"

struct model_file {
	uint64_t ts;
	struct tree_proc *proc;
	uint32_t tid;
	uint16_t type;         /* CAP_REC_OPEN ... CAP_REC_READ, CAP_REC_CLOSE */
	int64_t ret;
	int32_t fd;
	uint32_t flags, mode;
	uint64_t count;
	char *path;            /* as passed (or the fd's path for read/write/close) */
	char *path2;           /* rename target */
	char *abs;             /* absolute when it could be resolved, else NULL;
				* may be the same string as path */
	uint8_t borrowed;      /* path and abs belong to the OPEN row of the fd */
};

struct model_net {
	uint64_t ts;
	struct tree_proc *proc;
	uint32_t tid;
	uint16_t type;         /* CAP_REC_CONNECT ACCEPT BIND LISTEN, CLOSE of a socket */
	int64_t ret;
	int32_t fd;
	uint16_t family, port;
	char addr[64];         /* printable address or unix path */
};

struct model_tls {
	uint64_t ts, seq;
	uint64_t conn;         /* stream_conn id */
	uint32_t pid, len, data_off;
	uint16_t dir, flags;
	uint32_t orig_len;
};

struct model_drop {
	uint64_t ts;
	const char *kind;      /* "seq_gap", "loss", "ring" */
	uint64_t count;
	uint64_t first_seq;
	uint32_t probe, cpu;
};

struct model_seq {
	uint64_t seq, ts;
};

struct model;

struct model_opts {
	const char *pricing;   /* pricing table path, NULL: none */
	int keep_tls;          /* keep per-record TLS metadata (tls_chunks) */
	uint64_t decode_limit; /* HTTP body decoding limit, 0: default */
	/* called every few thousand records with compressed bytes read so far
	 * and the total size of the files; NULL: none */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
	/* called once for each file, network and TLS chunk row as soon as it
	 * is complete (kind MODEL_ROW_*, its index in m->files, m->nets or
	 * m->tls; the array may move later): an exporter can write it while
	 * the rest is read (db_stream_row); the strings and processes it
	 * points to live as long as the model.  When model_build fails it is
	 * called once with m NULL and kind -1 before the model is freed: stop
	 * using those rows.  NULL: none */
	void (*row)(void *ctx, const struct model *m, int kind, size_t idx);
	void *row_ctx;
	/* streaming (see struct model_sink), NULL: keep everything */
	const struct model_sink *sink;
};

enum { MODEL_ROW_FILE, MODEL_ROW_NET, MODEL_ROW_TLS };

/*
 * A tool call's effect as the streaming model finds it (causal.h has the
 * rules): @call is the call's index (its llm_calls row - 1), @tool_row the
 * tool_calls row of @tool (0: none), @file and @net rows of files and
 * connections (0: none); @target NULL for an exec (the process's command).
 * @order: with (call, ts), the key that sorts effects as causal_build does.
 */
struct model_effect {
	size_t call;
	int tool;
	uint64_t tool_row;
	const char *kind, *how;
	uint64_t ts;
	const struct tree_proc *proc;
	uint64_t file, net;
	const char *target;
	uint64_t order[3];
};

/*
 * Streaming (model_opts.sink): every row goes to the sink as soon as it is
 * final and is then forgotten, so that memory is bounded by what is still
 * open (conversations, LLM calls not yet in request order, the activity of
 * tool calls whose window is open) plus the process and TLS connection
 * tables, not by the capture's size.  After model_build the model holds
 * the tree, the TLS connections, the drops and the counts only: m->files,
 * m->nets, m->tls and m->calls stay empty (n* count the rows given) and
 * m->convs holds no exchange.  The strings and structures given live until
 * the call returns.  Rows: file, net, tls numbered from 1 in capture order;
 * exchange when an HTTP exchange is complete (http_messages); call once
 * per LLM call in request order with its index, the row number of its
 * first tool call and each tool call's command (causal_tool_command); effect for each tool effect, in no particular order.
 */
struct model_sink {
	void *ctx;
	void (*file)(void *ctx, const struct model *m, const struct model_file *f, uint64_t row);
	void (*net)(void *ctx, const struct model *m, const struct model_net *n, uint64_t row);
	void (*tls)(void *ctx, const struct model *m, const struct model_tls *t, uint64_t row);
	void (*exchange)(void *ctx, const struct model *m, const struct conv_exchange *ex);
	void (*call)(void *ctx, const struct model *m, const struct llm_call *c, size_t idx,
		     uint64_t tool_row, char *const *cmds);
	void (*effect)(void *ctx, const struct model *m, const struct model_effect *e);
	/* NULL: every process stays in m->tree to the end.  Else a process
	 * that is final (exited, and nothing can change its row or still
	 * points to it: tree.h, retiring) is given here once, then freed;
	 * m->tree keeps the others, whose rows remain to be written. */
	void (*proc)(void *ctx, const struct model *m, const struct tree_proc *p);
};

struct model {
	struct tree *tree;
	struct stream_set *streams;
	struct conv_set *convs;
	struct llm_pricing *pricing;
	struct llm_call **calls;    /* in request order */
	size_t ncalls, ccalls;
	struct model_file *files;
	size_t nfiles, cfiles;
	struct model_net *nets;
	size_t nnets, cnets;
	struct model_tls *tls;
	size_t ntls, ctls;
	struct model_drop *drops;
	size_t ndrops, cdrops;
	uint64_t records, first_ts, last_ts;
	uint64_t by_type[64];       /* record counts by type (kernel types < 64) */
	int64_t mono_to_real;       /* add to a ts_ns for wall-clock ns; 0 unknown */
	int has_clock;
	char *hostname;
	struct au_map fds;          /* (proc id, fd) -> path (in strs) */
	struct au_arena strs;       /* the files' path, path2 and abs strings */
	struct model_seq *seqs;     /* kernel records' (seq, ts), for loss markers */
	size_t nseqs, cseqs;
	struct cap_reader_stats rstats;
	char **warnings;
	size_t nwarnings, cwarnings;
	const struct model_opts *opts; /* during model_build only, else NULL */
	pthread_t convs_t;          /* model_free_convs_start's thread */
	int convs_started;
	/* streaming only (opts->sink): model_live.c's state */
	const struct model_sink *sink;
	struct model_live *live;
	struct au_arena row_strs;   /* the current row's strings */
	char *row_free;             /* a string to free once the row is given */
	int tree_linked;            /* the snapshot's parents are linked */
	size_t fds_kept;            /* m->fds entries after the last trim */
};

void model_opts_init(struct model_opts *o);
int model_build(const char *const *paths, size_t n, const struct model_opts *o,
		struct model **out, struct cap_err *err);
void model_free(struct model *m);

/*
 * Free a model on the second core while the caller goes on (SQLite builds
 * its indexes meanwhile).  model_free_start takes a struct model_bg_free
 * (as void *, to serve as db_opts.rows_done); started is 0 when no thread
 * could be made, and the model is then still the caller's to free.
 */
struct model_bg_free {
	struct model *m;
	pthread_t t;
	int started;
};
void model_free_start(void *bg);
/* The same for the LLM calls and HTTP exchanges only (m->calls and
 * m->convs become empty; model_free waits for it); for db_opts.convs_done
 * once nothing reads them any more. */
void model_free_convs_start(void *bg);

/* Wall-clock rendering of a monotonic timestamp: "2026-11-25 21:30:03.123". */
const char *model_time(const struct model *m, uint64_t ts, char *buf, size_t size);

/* The CONNECT that opened the socket of a TLS connection, or NULL. */
const struct model_net *model_conn_net(const struct model *m, const struct stream_conn *c);

/* The connections row of that CONNECT (1-based), or 0; also streaming. */
uint64_t model_conn_net_row(const struct model *m, const struct stream_conn *c);

/* The process of a TLS connection (never NULL after model_build). */
struct tree_proc *model_conn_proc(const struct model *m, const struct stream_conn *c);

#endif
