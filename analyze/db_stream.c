/* SPDX-License-Identifier: MIT */
/*
 * db_stream.c - SQLite export on two cores (see db.h).  A writer thread
 * owns the connection and steps every insert; the reader queues rows to it:
 * first the files, connections and TLS chunks, final as soon as their
 * record is read, while the capture is read; then, once the model is
 * built, every other row (with its text copied) and the indexes of each
 * table once its rows are queued: the writer builds those while the reader
 * prepares the next table's rows (the indexes of DB_EARLY_TABLES exist
 * from the start instead).  The writer steps rows in multi-row inserts.
 * The queue is bounded (QMAX).  A streamed model (db_stream_sink) queues
 * every row as it is found, with its text, and keeps none.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/db_priv.h"

#define BLOCK_BYTES (256u * 1024u) /* a block is handed over at this size */
#define QMAX (4u << 20)            /* bytes queued at most: the reader waits */
#define NSTMT 24                   /* statements of queued rows */
#define Q_GEN 3                    /* entry kinds: MODEL_ROW_*, then these */
#define Q_EXEC 4
#define Q_LFILE 5                  /* streamed model: rows with their strings */
#define Q_LNET 6

/* Rows of one statement gathered for a multi-row insert: the per-statement
 * cost of SQLite (cursor, transaction check, halt) is paid once a batch. */
#define BATCH 16
#define BATCH_COLS 64

struct batch {
	int ncols, n, no_multi;
	sqlite3_stmt *multi;   /* BATCH rows */
	struct dbv *v;         /* BATCH * BATCH_COLS */
};

/* One queued entry; its payload follows, padded to 8 bytes. */
struct qent {
	uint32_t kind, n;
	const char *sql;
	size_t size;           /* of the whole entry */
};

struct qblock {
	struct qblock *next;
	size_t len, cap;
	unsigned char *buf;
};

struct db_stream {
	struct dbw w;          /* the reader's side */
	struct dbw ww;         /* the writer thread's side (same connection) */
	char *path, *part;
	char msg[512], wmsg[512];
	pthread_t t;
	pthread_mutex_t mu;
	pthread_cond_t work, space;
	struct qblock *head, *tail, *cur;
	struct qblock *pool;   /* written blocks for reuse: malloc and free of
				* large blocks on two threads fragment the heap */
	size_t queued;         /* bytes */
	int done, rc, started;
	int passed;            /* the writer is past the streamed rows */
	size_t given[3];       /* rows queued of each MODEL_ROW_ kind */
	int stopped[3];        /* a row came out of order: the rest is dbw_fill's */
	struct dbs st[3 + NSTMT];
	struct batch bt[3 + NSTMT];
	/* a streamed model (db_stream_sink): its rows' statements, counts and
	 * first failure */
	struct model_sink sink;
	struct dbs lst[10];
	struct db_counts lcnt;
	int lrc;
};

/* "INSERT ... VALUES (?,...)" with the tuple repeated BATCH times. */
static int prepare_multi(struct db_stream *s, struct dbs *st, struct batch *b)
{
	const char *tuple = strstr(st->sql, " VALUES (");
	size_t base = strlen(st->sql), tl, i;
	char *sql, *o;
	int rc;

	if (!tuple)
		return -EINVAL;
	tuple += 8;
	tl = strlen(tuple);
	sql = malloc(base + (BATCH - 1) * (tl + 1) + 1);
	if (!sql)
		return -ENOMEM;
	memcpy(sql, st->sql, base);
	for (o = sql + base, i = 1; i < BATCH; i++, o += tl + 1) {
		*o = ',';
		memcpy(o + 1, tuple, tl);
	}
	*o = 0;
	rc = sqlite3_prepare_v2(s->ww.db, sql, -1, &b->multi, NULL) == SQLITE_OK ? 0 : -EIO;
	free(sql);
	if (rc) {
		sqlite3_finalize(b->multi);
		b->multi = NULL;
	}
	return rc;
}

static int batch_flush(struct db_stream *s, size_t k)
{
	struct batch *b = &s->bt[k];
	int i, rc = 0;

	if (b->n == BATCH && !b->no_multi && (b->multi || !prepare_multi(s, &s->st[k], b))) {
		rc = dbw_bind_step(&s->ww, b->multi, b->v, BATCH * b->ncols);
	} else {
		/* a short batch (or no multi-row statement): one row at a time */
		b->no_multi |= b->n == BATCH;
		for (i = 0; !rc && i < b->n; i++)
			rc = dbw_step(&s->ww, &s->st[k], b->v + i * b->ncols, b->ncols);
	}
	b->n = 0;
	return rc;
}

/* Step every gathered row: before the text they point to goes (the end of
 * a block, the model) and before SQL that reads the tables. */
static int flush_all(struct db_stream *s)
{
	size_t k;
	int rc = 0;

	for (k = 0; k < 3 + NSTMT; k++)
		if (s->bt[k].n && !rc)
			rc = batch_flush(s, k);
	return rc;
}

static void batch_done(struct batch *b)
{
	sqlite3_finalize(b->multi);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

int db_stream_batch(struct db_stream *s, struct dbs *st, const struct dbv *v, int n, int now)
{
	size_t k = (size_t)(st - s->st);
	struct batch *b = &s->bt[k];
	int rc = 0;

	if (k >= 3 + NSTMT || n > BATCH_COLS)
		return dbw_step(&s->ww, st, v, n);
	if (!b->v && !(b->v = malloc(BATCH * BATCH_COLS * sizeof(*v))))
		return dbw_step(&s->ww, st, v, n);
	if (b->n && b->ncols != n)
		rc = batch_flush(s, k);
	b->ncols = n;
	memcpy(b->v + b->n * n, v, (size_t)n * sizeof(*v));
	b->n++;
	/* @now: text of this row (the redaction cache's) goes after the call,
	 * and rows of other statements may share it */
	if (!rc && now)
		rc = flush_all(s);
	else if (!rc && b->n == BATCH)
		rc = batch_flush(s, k);
	return rc;
}

static struct dbs *stmt_for(struct db_stream *s, const char *sql)
{
	size_t i;

	for (i = 3; i < 3 + NSTMT && s->st[i].sql; i++)
		if (s->st[i].sql == sql)
			return &s->st[i];
	if (i == 3 + NSTMT) { /* more statements than expected: drop the oldest */
		if (flush_all(s))
			return NULL;
		dbs_done(&s->st[3]);
		batch_done(&s->bt[3]);
		memmove(&s->st[3], &s->st[4], (NSTMT - 1) * sizeof(s->st[0]));
		memmove(&s->bt[3], &s->bt[4], (NSTMT - 1) * sizeof(s->bt[0]));
		memset(&s->bt[3 + NSTMT - 1], 0, sizeof(s->bt[0]));
		i = 3 + NSTMT - 1;
	}
	s->st[i].sql = sql;
	s->st[i].st = NULL;
	return &s->st[i];
}

/* A streamed file or connection row: its struct, its process's id, then
 * (files) path, path2 and abs, each a presence byte and the text. */
struct lrow {
	uint64_t proc_id;
	union {
		struct model_file f;
		struct model_net n;
	} u;
};

static const char *lrow_str(const char **at)
{
	const char *s = *at + 1;

	if (!**at) {
		*at += 1;
		return NULL;
	}
	*at = s + strlen(s) + 1;
	return s;
}

/* Written here, from the copy in the block (the batch keeps pointers to
 * its text until the block is done): the reader's row strings are gone
 * by now, and the model may be too. */
static int live_row(struct db_stream *s, const struct qent *e)
{
	struct lrow *r = (struct lrow *)(uintptr_t)(e + 1);
	struct tree_proc p = { .id = r->proc_id }; /* only its id is read */
	const char *at = (const char *)(r + 1);

	if (e->kind == Q_LNET) {
		r->u.n.proc = &p;
		return dbw_net_row(&s->ww, &s->st[1], s->ww.done[1]++, &r->u.n);
	}
	r->u.f.proc = &p;
	r->u.f.path = (char *)lrow_str(&at);
	r->u.f.path2 = (char *)lrow_str(&at);
	r->u.f.abs = (char *)lrow_str(&at);
	return dbw_file_row(&s->ww, &s->st[0], s->ww.done[0]++, &r->u.f);
}

static int do_entry(struct db_stream *s, const struct qent *e)
{
	const void *p = e + 1;
	struct dbv v[64];
	struct dbs *st;
	const char *text;
	uint32_t i;
	int rc;

	switch (e->kind) {
	case MODEL_ROW_FILE:
		return dbw_file_row(&s->ww, &s->st[0], s->ww.done[0]++, p);
	case MODEL_ROW_NET:
		return dbw_net_row(&s->ww, &s->st[1], s->ww.done[1]++, p);
	case MODEL_ROW_TLS:
		return dbw_chunk_row(&s->ww, &s->st[2], s->ww.done[2]++, p);
	case Q_LFILE:
	case Q_LNET:
		return live_row(s, e);
	case Q_EXEC:
		rc = flush_all(s);
		if (rc)
			return rc;
		if (!s->passed) { /* the first: queued after the streamed rows */
			pthread_mutex_lock(&s->mu);
			s->passed = 1;
			pthread_cond_broadcast(&s->space);
			pthread_mutex_unlock(&s->mu);
		}
		return dbw_exec(&s->ww, p);
	default:
		break;
	}
	if (e->n > 64)
		return -EINVAL;
	memcpy(v, p, e->n * sizeof(v[0]));
	text = (const char *)p + e->n * sizeof(v[0]);
	for (i = 0; i < e->n; i++)
		if (v[i].t == 's') {
			v[i].s = text;
			text += v[i].i + 1;
		}
	st = stmt_for(s, e->sql);
	return st ? db_stream_batch(s, st, v, (int)e->n, 0) : -EIO;
}

static void *writer(void *arg)
{
	struct db_stream *s = arg;
	const struct qent *e;
	struct qblock *b;
	size_t off, i;
	int rc = 0;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!s->head && !s->done)
			pthread_cond_wait(&s->work, &s->mu);
		b = s->head;
		if (b) {
			s->head = b->next;
			if (!s->head)
				s->tail = NULL;
		}
		rc = rc ? rc : s->rc; /* set by db_stream_row when the model goes */
		pthread_mutex_unlock(&s->mu);
		if (!b)
			break;
		/* after a failure the rows are dropped: db_stream_drain reports it */
		for (off = 0; !rc && off < b->len; off += e->size) {
			e = (const struct qent *)(b->buf + off);
			rc = do_entry(s, e);
		}
		if (!rc) /* the rows point into the block */
			rc = flush_all(s);
		pthread_mutex_lock(&s->mu);
		s->queued -= b->cap;
		if (rc && !s->rc)
			__atomic_store_n(&s->rc, rc, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&s->space);
		if (b->cap == BLOCK_BYTES) {
			b->next = s->pool;
			s->pool = b;
			b = NULL;
		}
		pthread_mutex_unlock(&s->mu);
		if (b) {
			free(b->buf);
			free(b);
		}
	}
	for (i = 0; i < 3 + NSTMT; i++) {
		batch_done(&s->bt[i]);
		dbs_done(&s->st[i]);
	}
	return NULL;
}

static void push_block(struct db_stream *s)
{
	struct qblock *b = s->cur;

	s->cur = NULL;
	if (!b)
		return;
	pthread_mutex_lock(&s->mu);
	while (s->queued && s->queued + b->cap > QMAX)
		pthread_cond_wait(&s->space, &s->mu);
	b->next = NULL;
	if (s->tail)
		s->tail->next = b;
	else
		s->head = b;
	s->tail = b;
	s->queued += b->cap;
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->mu);
}

/* Room for an entry of @size bytes at the end of the current block. */
static struct qent *reserve(struct db_stream *s, size_t size)
{
	struct qblock *b = s->cur;

	size = (size + 7) & ~(size_t)7;
	if (b && b->len + size > b->cap) {
		push_block(s);
		b = NULL;
	}
	if (!b && size <= BLOCK_BYTES && s->pool) {
		pthread_mutex_lock(&s->mu);
		b = s->pool;
		if (b)
			s->pool = b->next;
		pthread_mutex_unlock(&s->mu);
		if (b) {
			b->len = 0;
			b->next = NULL;
			s->cur = b;
		}
	}
	if (!b) {
		size_t cap = size > BLOCK_BYTES ? size : BLOCK_BYTES;

		b = calloc(1, sizeof(*b));
		if (!b || !(b->buf = malloc(cap))) {
			free(b);
			return NULL;
		}
		b->cap = cap;
		s->cur = b;
	}
	b->len += size;
	((struct qent *)(b->buf + b->len - size))->size = size;
	return (struct qent *)(b->buf + b->len - size);
}

int db_stream_queue(struct db_stream *s, const char *sql, const struct dbv *v, int n)
{
	size_t size = sizeof(struct qent) + (size_t)n * sizeof(*v);
	struct qent *e;
	char *text;
	int i, rc = __atomic_load_n(&s->rc, __ATOMIC_RELAXED);

	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		if (v[i].t == 's')
			size += (size_t)v[i].i + 1;
	e = reserve(s, size);
	if (!e) {
		snprintf(s->msg, sizeof(s->msg), "out of memory");
		return -ENOMEM;
	}
	e->kind = sql ? Q_GEN : Q_EXEC;
	e->n = (uint32_t)n;
	e->sql = sql;
	if (!sql) { /* v[0]: the SQL text */
		memcpy(e + 1, v[0].s, (size_t)v[0].i + 1);
		return 0;
	}
	memcpy(e + 1, v, (size_t)n * sizeof(*v));
	text = (char *)(e + 1) + (size_t)n * sizeof(*v);
	for (i = 0; i < n; i++)
		if (v[i].t == 's') {
			memcpy(text, v[i].s, (size_t)v[i].i);
			text[v[i].i] = 0;
			text += v[i].i + 1;
		}
	return 0;
}

void db_stream_row(void *ctx, const struct model *m, int kind, size_t idx)
{
	static const size_t sizes[] = { sizeof(struct model_file), sizeof(struct model_net),
					sizeof(struct model_tls) };
	struct db_stream *s = ctx;
	struct qent *e;

	if (!m) { /* the model is going: drop what is queued and stop */
		pthread_mutex_lock(&s->mu);
		if (!s->rc)
			s->rc = -ECANCELED;
		pthread_mutex_unlock(&s->mu);
		db_stream_drain(s);
		return;
	}
	if (kind < 0 || kind > 2 || s->stopped[kind])
		return;
	/* only an unbroken run from row 0 is streamed; dbw_fill writes the rest */
	if (idx != s->given[kind] || !(e = reserve(s, sizeof(*e) + sizes[kind]))) {
		s->stopped[kind] = 1;
		return;
	}
	e->kind = (uint32_t)kind;
	if (kind == MODEL_ROW_FILE)
		memcpy(e + 1, &m->files[idx], sizes[kind]);
	else if (kind == MODEL_ROW_NET)
		memcpy(e + 1, &m->nets[idx], sizes[kind]);
	else
		memcpy(e + 1, &m->tls[idx], sizes[kind]);
	s->given[kind]++;
}

void db_stream_wait_streamed(struct db_stream *s)
{
	push_block(s);
	pthread_mutex_lock(&s->mu);
	while (s->started && !s->passed && !s->rc)
		pthread_cond_wait(&s->space, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

int db_stream_drain(struct db_stream *s)
{
	struct qblock *b;

	if (s->started) {
		push_block(s);
		pthread_mutex_lock(&s->mu);
		s->done = 1;
		pthread_cond_signal(&s->work);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->t, NULL);
		s->started = 0;
		if (s->rc)
			snprintf(s->msg, sizeof(s->msg), "%s", s->wmsg);
	}
	if (s->cur) {
		free(s->cur->buf);
		free(s->cur);
		s->cur = NULL;
	}
	while ((b = s->head)) { /* only when the thread could not start */
		s->head = b->next;
		free(b->buf);
		free(b);
	}
	while ((b = s->pool)) {
		s->pool = b->next;
		free(b->buf);
		free(b);
	}
	return s->rc;
}

/* The indexes exist before the rows: the writer keeps them up to date
 * while the capture is read and while the reader prepares rows, when it
 * has time to spare, instead of building them at the end, when it alone
 * is the critical path. */
static int early_indexes(struct db_stream *s)
{
	char *sql = dbw_index_sql(DB_EARLY_TABLES);
	int rc = sql ? dbw_exec(&s->w, sql) : -ENOMEM;

	free(sql);
	return rc;
}

int db_stream_open(const char *path, struct db_stream **out, char *msg, size_t msg_size)
{
	struct db_stream *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(msg, msg_size, "out of memory");
		return -ENOMEM;
	}
	s->w.msg = s->msg;
	s->w.msg_size = sizeof(s->msg);
	s->ww.msg = s->wmsg;
	s->ww.msg_size = sizeof(s->wmsg);
	s->ww.bq = s;
	s->st[0].sql = DB_SQL_FILE;
	s->st[1].sql = DB_SQL_NET;
	s->st[2].sql = DB_SQL_CHUNK;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->space, NULL);
	rc = dbw_open(&s->w, path, &s->part);
	s->ww.db = s->w.db;
	if (!rc)
		rc = early_indexes(s);
	if (!rc) {
		s->started = !pthread_create(&s->t, NULL, writer, s);
		if (!s->started)
			rc = -EAGAIN;
	}
	if (rc) {
		snprintf(msg, msg_size, "%s", s->msg);
		db_stream_finish(s, NULL, NULL, NULL, NULL, NULL, 0);
		return rc;
	}
	*out = s;
	return 0;
}

static int begin_rest(struct db_stream *s, const struct model *m, const struct causal *cz,
		      const struct db_opts *o, struct db_counts *cnt)
{
	struct dbv v = { .t = 's', .i = 1, .s = ";" };
	/* marks the end of the streamed rows (s->passed) */
	int rc = db_stream_queue(s, NULL, &v, 1);

	memset(cnt, 0, sizeof(*cnt));
	cnt->files = s->given[0];
	cnt->connections = s->given[1];
	cnt->chunks = s->given[2];
	memcpy(s->w.done, s->given, sizeof(s->w.done));
	if (s->w.live) {
		*cnt = s->lcnt;
		cnt->files = s->w.done[0] = m->nfiles;
		cnt->connections = s->w.done[1] = m->nnets;
		cnt->chunks = s->w.done[2] = m->ntls;
		rc = rc ? rc : s->lrc;
	}
	s->w.m = m;
	s->w.cz = cz;
	s->w.o = o;
	s->w.redact = o ? o->redact : 1;
	s->w.cnt = cnt;
	s->w.aq = s;
	s->w.idx_early = 1;
	return rc;
}

/* ---- a streamed model's rows (model_sink) ---- */

static void lrow_put(char **o, const char *str)
{
	size_t l = str ? strlen(str) : 0;

	*(*o)++ = str != NULL;
	if (str) {
		memcpy(*o, str, l + 1);
		*o += l + 1;
	}
}

/* Files, connections and chunks are most of the rows: the writer thread,
 * which has time to spare, makes their values (the reader has not). */
static void l_file(void *ctx, const struct model *m, const struct model_file *f, uint64_t row)
{
	struct db_stream *s = ctx;
	const char *str[3] = { f->path, f->path2, f->abs };
	size_t size = sizeof(struct qent) + sizeof(struct lrow) + 3, i;
	struct lrow r = { .proc_id = f->proc->id, .u.f = *f };
	struct qent *e;
	char *o;

	(void)m;
	(void)row;
	for (i = 0; i < 3; i++)
		size += str[i] ? strlen(str[i]) + 1 : 0;
	if (s->lrc || !(e = reserve(s, size))) {
		s->lrc = s->lrc ? s->lrc : -ENOMEM;
		return;
	}
	e->kind = Q_LFILE;
	memcpy(e + 1, &r, sizeof(r));
	o = (char *)(e + 1) + sizeof(r);
	for (i = 0; i < 3; i++)
		lrow_put(&o, str[i]);
}

static void l_net(void *ctx, const struct model *m, const struct model_net *n, uint64_t row)
{
	struct db_stream *s = ctx;
	struct lrow r = { .proc_id = n->proc->id, .u.n = *n };
	struct qent *e;

	(void)m;
	(void)row;
	if (s->lrc || !(e = reserve(s, sizeof(*e) + sizeof(r)))) {
		s->lrc = s->lrc ? s->lrc : -ENOMEM;
		return;
	}
	e->kind = Q_LNET;
	memcpy(e + 1, &r, sizeof(r));
}

static void l_tls(void *ctx, const struct model *m, const struct model_tls *t, uint64_t row)
{
	struct db_stream *s = ctx;
	struct qent *e;

	(void)m;
	(void)row;
	if (s->lrc || !(e = reserve(s, sizeof(*e) + sizeof(*t)))) {
		s->lrc = s->lrc ? s->lrc : -ENOMEM;
		return;
	}
	e->kind = MODEL_ROW_TLS; /* no pointers in it */
	memcpy(e + 1, t, sizeof(*t));
}

static void l_exchange(void *ctx, const struct model *m, const struct conv_exchange *ex)
{
	struct db_stream *s = ctx;

	s->w.m = m;
	if (!s->lrc)
		s->lrc = dbw_http_row(&s->w, &s->lst[3], ex);
	s->lcnt.http++;
}

static void l_call(void *ctx, const struct model *m, const struct llm_call *c, size_t idx,
		   uint64_t tool_row, char *const *cmds)
{
	struct db_stream *s = ctx;

	s->w.m = m;
	if (!s->lrc)
		s->lrc = dbw_call_rows(&s->w, &s->lst[4], idx, c, (int64_t)tool_row, cmds);
}

static void l_effect(void *ctx, const struct model *m, const struct model_effect *e)
{
	struct db_stream *s = ctx;
	const struct tree_proc *p = e->proc;
	const char *target = e->target;
	char *args = NULL;

	s->w.m = m;
	if (s->lrc)
		return;
	if (!target && p && p->argc)
		target = args = tree_argv_join(p->argv, p->argc);
	else if (!target && p)
		target = p->exe;
	s->lcnt.effects++;
	s->lrc = dbw_run(&s->w, &s->lst[7], "iiIssiIIIr", (int64_t)s->lcnt.effects,
			 (int64_t)e->call + 1, e->tool_row ? (int64_t)e->tool_row : INT64_MIN,
			 e->kind, e->how, (int64_t)e->ts, p ? (int64_t)p->id : INT64_MIN,
			 e->file ? (int64_t)e->file : INT64_MIN,
			 e->net ? (int64_t)e->net : INT64_MIN, target);
	free(args);
}

/* A final process (model_sink.proc): its row and its execs' now; the
 * processes still in the tree at the end are dbw_fill's.  The execs are
 * numbered in the order they come (exec_id), not the whole model's. */
static void l_proc(void *ctx, const struct model *m, const struct tree_proc *p)
{
	struct db_stream *s = ctx;

	s->w.m = m;
	if (!s->lrc)
		s->lrc = dbw_proc_rows(&s->w, &s->lst[8], p);
}

const struct model_sink *db_stream_sink(struct db_stream *s, int redact)
{
	static const char *const sql[10] = { DB_SQL_FILE, DB_SQL_NET, DB_SQL_CHUNK, DB_SQL_HTTP,
					     DB_SQL_CALL, DB_SQL_MSG, DB_SQL_TOOL, DB_SQL_EFF,
					     DB_SQL_PROC, DB_SQL_EXEC };
	size_t i;

	char *idx = dbw_index_sql(DB_LATE_TABLES);
	struct dbv v = { .t = 's', .s = idx, .i = idx ? (int64_t)strlen(idx) : 0 };

	/* the indexes of the tables written at the end exist before their
	 * rows (DB_LATE_TABLES): kept up to date as they come instead of built
	 * after them, when the writer alone is working */
	s->lrc = idx ? db_stream_queue(s, NULL, &v, 1) : -ENOMEM;
	free(idx);
	for (i = 0; i < 10; i++)
		s->lst[i].sql = sql[i];
	s->w.live = 1;
	s->w.redact = redact;
	s->w.aq = s;
	s->w.cnt = &s->lcnt;
	s->sink = (struct model_sink){ .ctx = s, .file = l_file, .net = l_net, .tls = l_tls,
				       .exchange = l_exchange, .call = l_call,
				       .effect = l_effect, .proc = l_proc };
	return &s->sink;
}

int db_stream_finish(struct db_stream *s, const struct model *m, const struct causal *cz,
		     const struct db_opts *o, struct db_counts *cnt, char *msg, size_t msg_size)
{
	int rc = m ? begin_rest(s, m, cz, o, cnt) : -ECANCELED;

	if (!rc)
		rc = dbw_fill(&s->w); /* drains the queue */
	if (s->started || s->cur) {
		int qrc = db_stream_drain(s);

		rc = rc ? rc : qrc;
	}
	s->w.aq = NULL;
	if (s->part)
		rc = dbw_close(&s->w, s->path, s->part, rc);
	if (msg && msg_size)
		snprintf(msg, msg_size, "%s", s->msg);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->space);
	free(s->path);
	free(s);
	return rc;
}
