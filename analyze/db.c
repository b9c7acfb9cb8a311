/* SPDX-License-Identifier: MIT */
/*
 * db.c - SQLite export of the model (see db.h; schema in db_schema.c).
 */
#include "db.h"

#define STR2(x) #x
#define STR(x) STR2(x)

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/autil.h"
#include "analyze/db_priv.h"
#include "analyze/export_jsonl.h"
#include "analyze/redact.h"

static int fail(struct dbw *w, const char *what)
{
	snprintf(w->msg, w->msg_size, "%s: %s", what, w->db ? sqlite3_errmsg(w->db) : "?");
	return -EIO;
}

#define RUN_MAX_COLS 40
/* databases up to this many 64 KiB pages (4 MiB) get 8 KiB pages: a
 * VACUUM of that size takes milliseconds (repack_small) */
#define DB_REPACK_PAGES 64

static uint64_t rc_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

/* The redacted form of @s (@n bytes), or NULL when it is unchanged or on
 * ENOMEM.  The result stays valid until the next call; what it replaces in
 * the cache goes to @owned, freed after the current row is stepped. */
static const char *rc_redact(struct dbw *w, const char *s, size_t n, char **owned, int *nowned)
{
	uint64_t h;
	struct rc_slot *e;
	char *out;

	/* the usual case, nothing to redact: one scan, no copy, no slot (a
	 * look-up costs as much as the scan, and most texts differ) */
	if (redact_clean(s, n))
		return NULL;
	if (n > RC_MAX) {
		out = redact_str(s);
		if (out)
			owned[(*nowned)++] = out;
		return out;
	}
	h = rc_hash(s, n);
	e = &w->rc[h % RC_SLOTS];
	if (e->in && e->h == h && e->n == n && !memcmp(e->in, s, n))
		return e->out;
	out = redact_str(s);
	if (!out)
		return NULL;
	if (!strcmp(out, s)) { /* a rule matched text already redacted */
		free(out);
		out = NULL;
	}
	if (e->in) {
		/* the old text may be bound to an earlier column of this row */
		free(e->in);
		if (e->out)
			owned[(*nowned)++] = e->out;
	}
	e->h = h;
	e->n = n;
	e->in = au_strndup(s, n);
	e->out = out;
	if (!e->in) {
		e->out = NULL;
		owned[(*nowned)++] = out;
	}
	return out;
}

static void rc_free(struct dbw *w)
{
	size_t i;

	for (i = 0; i < RC_SLOTS; i++) {
		free(w->rc[i].in);
		free(w->rc[i].out);
	}
}

int dbw_step(struct dbw *w, struct dbs *st, const struct dbv *v, int n)
{
	if (!st->st && sqlite3_prepare_v2(w->db, st->sql, -1, &st->st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st->st);
		st->st = NULL;
		return fail(w, st->sql);
	}
	return dbw_bind_step(w, st->st, v, n);
}

int dbw_bind_step(struct dbw *w, sqlite3_stmt *q, const struct dbv *v, int n)
{
	int i, rc;

	/* text is bound SQLITE_STATIC: the callers' strings outlive the step,
	 * and the reset below drops every reference before they are freed */
	for (i = 0; i < n; i++) {
		switch (v[i].t) {
		case 'i':
			sqlite3_bind_int64(q, i + 1, v[i].i);
			break;
		case 'd':
			sqlite3_bind_double(q, i + 1, v[i].d);
			break;
		case 's':
			sqlite3_bind_text(q, i + 1, v[i].s, (int)v[i].i, SQLITE_STATIC);
			break;
		default:
			sqlite3_bind_null(q, i + 1);
		}
	}
	rc = sqlite3_step(q);
	rc = rc == SQLITE_DONE ? 0 : fail(w, "insert");
	sqlite3_reset(q);
	return rc;
}

void dbs_done(struct dbs *st)
{
	sqlite3_finalize(st->st);
	st->st = NULL;
}

static void val_text(struct dbv *v, const char *s)
{
	v->t = s ? 's' : 'n';
	v->s = s;
	v->i = s ? (int64_t)strlen(s) : 0;
}

/* Insert a row of values: 'i' int64, 'I' int64 or NULL for INT64_MIN,
 * 'd' double (NaN: NULL), 's' text (NULL ok), 'r' text to redact, 'n'
 * null.  Stepped here, or queued to the writer thread of db_stream. */
static int vrun(struct dbw *w, struct dbs *st, const char *types, va_list ap)
{
	char *owned[2 * RUN_MAX_COLS];
	struct dbv v[RUN_MAX_COLS];
	int i, rc, nowned = 0;

	for (i = 0; types[i] && i < RUN_MAX_COLS; i++) {
		v[i].t = 'n';
		switch (types[i]) {
		case 'i':
		case 'I':
			v[i].i = va_arg(ap, int64_t);
			if (types[i] == 'i' || v[i].i != INT64_MIN)
				v[i].t = 'i';
			break;
		case 'd':
			v[i].d = va_arg(ap, double);
			if (!isnan(v[i].d)) /* NaN: unknown */
				v[i].t = 'd';
			break;
		case 's':
			val_text(&v[i], va_arg(ap, const char *));
			break;
		case 'r': {
			const char *s = va_arg(ap, const char *);
			size_t n = s ? strlen(s) : 0;
			const char *r = s && w->redact ? rc_redact(w, s, n, owned, &nowned) : NULL;

			if (r) {
				val_text(&v[i], r);
			} else { /* unchanged: its length is known */
				v[i].t = s ? 's' : 'n';
				v[i].s = s;
				v[i].i = (int64_t)n;
			}
			break;
		}
		default:
			break;
		}
	}
	if (w->aq)
		rc = db_stream_queue(w->aq, st->sql, v, i);
	else if (w->bq) /* the writer thread: flushed before @owned goes */
		rc = db_stream_batch(w->bq, st, v, i, nowned > 0);
	else
		rc = dbw_step(w, st, v, i);
	while (nowned)
		free(owned[--nowned]);
	return rc;
}

int dbw_run(struct dbw *w, struct dbs *st, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = vrun(w, st, types, ap);
	va_end(ap);
	return rc;
}


int dbw_proc_rows(struct dbw *w, struct dbs st[2], const struct tree_proc *x)
{
	char *args = x->argc ? tree_argv_join(x->argv, x->argc) : NULL;
	int sig = x->exit_status & 0x7f, rc;
	size_t k;

	rc = dbw_run(w, &st[0], "iiiIsrsIiIIIIii", (int64_t)x->id, (int64_t)x->pid,
		 (int64_t)x->start_ns, NUL_IF(!x->parent, x->parent ? x->parent->id : 0),
		 x->exe, args, x->cwd, NUL_IF(!x->uid_known, x->uid), (int64_t)x->t_start,
		 NUL_IF(!x->exited, x->t_end), NUL_IF(!x->exited, x->exit_status),
		 NUL_IF(!x->exited || sig, (x->exit_status >> 8) & 0xff),
		 NUL_IF(!x->exited || !sig, sig), (int64_t)x->from_snapshot,
		 (int64_t)x->nthreads);
	free(args);
	if (rc)
		return rc;
	w->cnt->processes++;
	for (k = 0; !rc && k < x->nexecs; k++) {
		const struct tree_exec *xe = &x->execs[k];

		args = xe->argc ? tree_argv_join(xe->argv, xe->argc) : NULL;
		rc = dbw_run(w, &st[1], "iisrs", (int64_t)x->id, (int64_t)xe->ts, xe->filename,
			 args, xe->cwd);
		free(args);
		w->cnt->execs++;
	}
	return rc;
}

static int put_procs(struct dbw *w)
{
	struct dbs st[2] = { { .sql = DB_SQL_PROC }, { .sql = DB_SQL_EXEC } };
	const struct tree *t = w->m->tree;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < t->n; i++)
		if (!t->procs[i]->retired) /* written already (model_sink.proc) */
			rc = dbw_proc_rows(w, st, t->procs[i]);
	dbs_done(&st[0]);
	dbs_done(&st[1]);
	return rc;
}

int dbw_file_row(struct dbw *w, struct dbs *st, size_t i, const struct model_file *x)
{
	return dbw_run(w, st, "iiiisiisssiii", (int64_t)i + 1, (int64_t)x->ts, (int64_t)x->proc->id,
		   (int64_t)x->tid, exj_file_op(x->type), (int64_t)x->ret, (int64_t)x->fd, x->path,
		   x->path2, x->abs, (int64_t)x->flags, (int64_t)x->mode, (int64_t)x->count);
}

int dbw_net_row(struct dbw *w, struct dbs *st, size_t i, const struct model_net *x)
{
	return dbw_run(w, st, "iiiisiiisi", (int64_t)i + 1, (int64_t)x->ts, (int64_t)x->proc->id,
		   (int64_t)x->tid, exj_file_op(x->type), (int64_t)x->ret, (int64_t)x->fd,
		   (int64_t)x->family, x->addr, (int64_t)x->port);
}

int dbw_chunk_row(struct dbw *w, struct dbs *st, size_t i, const struct model_tls *x)
{
	return dbw_run(w, st, "iiiiisiiii", (int64_t)i + 1, (int64_t)x->ts, (int64_t)x->seq,
		   (int64_t)x->conn, (int64_t)x->pid, x->dir ? "read" : "write", (int64_t)x->len,
		   (int64_t)x->data_off, (int64_t)x->orig_len, (int64_t)x->flags);
}

static int put_io(struct dbw *w)
{
	struct dbs f = { .sql = DB_SQL_FILE };
	struct dbs c = { .sql = DB_SQL_NET };
	const struct model *m = w->m;
	size_t i;
	int rc = 0;

	for (i = w->done[0]; !rc && i < m->nfiles; i++, w->cnt->files++)
		rc = dbw_file_row(w, &f, i, &m->files[i]);
	for (i = w->done[1]; !rc && i < m->nnets; i++, w->cnt->connections++)
		rc = dbw_net_row(w, &c, i, &m->nets[i]);
	dbs_done(&f);
	dbs_done(&c);
	return rc;
}

static int put_tls(struct dbw *w)
{
	struct dbs t = { .sql = "INSERT INTO tls_connections VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)" };
	struct dbs k = { .sql = DB_SQL_CHUNK };
	const struct model *m = w->m;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < m->streams->n; i++, w->cnt->tls++) {
		const struct stream_conn *c = m->streams->conns[i];
		uint64_t n = model_conn_net_row(m, c);
		const struct tree_proc *p = tree_get(m->tree, c->pid, c->start_ns);

		rc = dbw_run(w, &t, "iIIiiiiissiii", (int64_t)c->id, NUL_IF(!p, p ? p->id : 0),
			 NUL_IF(!n, n), (int64_t)c->fd, (int64_t)c->ptr,
			 (int64_t)c->first_seq, (int64_t)c->t_first, (int64_t)c->t_last, c->sni,
			 conv_proto(c), (int64_t)c->dir[0].bytes, (int64_t)c->dir[1].bytes,
			 (int64_t)(c->dir[0].gap_bytes + c->dir[1].gap_bytes));
	}
	for (i = w->done[2]; !rc && i < m->ntls; i++, w->cnt->chunks++)
		rc = dbw_chunk_row(w, &k, i, &m->tls[i]);
	dbs_done(&t);
	dbs_done(&k);
	return rc;
}

static int put_http(struct dbw *w)
{
	struct dbs h = { .sql = DB_SQL_HTTP };
	const struct conv_set *cs = w->m->convs;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && !w->live && i < cs->nex; i++, w->cnt->http++)
		rc = dbw_http_row(w, &h, cs->ex[i]);
	dbs_done(&h);
	return rc;
}

static int put_call(struct dbw *w, struct dbs *c, size_t i, const struct llm_call *x)
{
	const struct stream_conn *sc = x->ex->conn;
	const struct tree_proc *p = sc ? tree_get(w->m->tree, sc->pid, sc->start_ns) : NULL;

	return dbw_run(w, c, "iiIIIsssrisssIrrrsIIIIdssrIIIdddsssi", (int64_t)i + 1, (int64_t)x->ex->id,
		   NUL_IF(!sc, sc ? sc->id : 0), NUL_IF(!p, p ? p->id : 0),
		   NUL_IF(!sc, sc ? sc->pid : 0), x->provider, x->api, x->host, x->path,
		   (int64_t)x->stream, x->model_req, x->model_resp, x->resp_id,
		   NUL_IF(!x->status, x->status), x->system, llm_text(x), llm_thinking(x),
		   x->finish,
		   NUL_IF(x->in_tok < 0, x->in_tok), NUL_IF(x->out_tok < 0, x->out_tok),
		   NUL_IF(x->cache_read < 0, x->cache_read),
		   NUL_IF(x->cache_write < 0, x->cache_write), x->cost_known ? x->cost : NAN,
		   x->err_type, x->err_msg, x->error, (int64_t)x->t_req,
		   NUL_IF(!x->t_first_tok, x->t_first_tok), NUL_IF(!x->t_end, x->t_end),
		   x->t_first_tok > x->t_req ? (double)(x->t_first_tok - x->t_req) / 1e9 : NAN,
		   llm_duration_s(x), llm_tokens_per_s(x), x->purpose, x->transport,
		   x->prev_resp_id, (int64_t)x->ninherited);
}

int dbw_call_rows(struct dbw *w, struct dbs st[3], size_t i, const struct llm_call *x,
		  int64_t pk, char *const *cmds)
{
	size_t k;
	int rc = put_call(w, &st[0], i, x);

	w->cnt->llm_calls++;
	for (k = 0; !rc && k < x->nmsgs; k++, w->cnt->messages++)
		rc = dbw_run(w, &st[1], "iisr", (int64_t)i + 1, (int64_t)k, x->msgs[k].role,
			 x->msgs[k].text);
	for (k = 0; !rc && k < x->ncalls; k++, w->cnt->tool_calls++) {
		char *cmd = cmds ? NULL : causal_tool_command(x->calls[k].args);

		rc = dbw_run(w, &st[2], "iiissrr", pk++, (int64_t)i + 1, (int64_t)k, x->calls[k].id,
			 x->calls[k].name, x->calls[k].args, cmds ? cmds[k] : cmd);
		free(cmd);
	}
	return rc;
}

static int put_llm(struct dbw *w)
{
	struct dbs st[3] = { { .sql = DB_SQL_CALL }, { .sql = DB_SQL_MSG }, { .sql = DB_SQL_TOOL } };
	int64_t pk = 1;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && !w->live && i < w->m->ncalls; i++) {
		w->tool_pk_base[i] = pk;
		rc = dbw_call_rows(w, st, i, w->m->calls[i], pk, NULL);
		pk += (int64_t)w->m->calls[i]->ncalls;
	}
	for (i = 0; i < 3; i++)
		dbs_done(&st[i]);
	return rc;
}

static int put_effects(struct dbw *w)
{
	struct dbs e = { .sql = DB_SQL_EFF };
	struct dbs d = { .sql = "INSERT INTO drops VALUES (?,?,?,?,?,?,?)" };
	const struct model *m = w->m;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && w->cz && i < w->cz->n; i++, w->cnt->effects++) {
		const struct causal_effect *x = &w->cz->eff[i];
		const char *target = x->file ? (x->file->abs ? x->file->abs : x->file->path)
			: x->net ? x->net->addr : x->proc ? x->proc->exe : NULL;
		char *args = NULL;

		if (!x->file && !x->net && x->proc && x->proc->argc)
			target = args = tree_argv_join(x->proc->argv, x->proc->argc);
		rc = dbw_run(w, &e, "iiIssiIIIr", (int64_t)i + 1, (int64_t)x->call + 1,
			 NUL_IF(x->tool < 0, w->tool_pk_base[x->call] + x->tool), x->kind, x->how,
			 (int64_t)x->ts, NUL_IF(!x->proc, x->proc ? x->proc->id : 0),
			 NUL_IF(!x->file, x->file ? x->file - m->files + 1 : 0),
			 NUL_IF(!x->net, x->net ? x->net - m->nets + 1 : 0), target);
		free(args);
	}
	for (i = 0; !rc && i < m->ndrops; i++, w->cnt->drops++) {
		const struct model_drop *x = &m->drops[i];

		rc = dbw_run(w, &d, "iisiiII", (int64_t)i + 1, (int64_t)x->ts, x->kind,
			 (int64_t)x->count, (int64_t)x->first_seq,
			 NUL_IF(x->probe == UINT32_MAX, x->probe),
			 NUL_IF(x->cpu == UINT32_MAX, x->cpu));
	}
	dbs_done(&e);
	dbs_done(&d);
	return rc;
}

static int put_meta(struct dbw *w)
{
	struct dbs s = { .sql = "INSERT INTO meta VALUES (?,?)" };
	char buf[64];
	int rc = 0;

	snprintf(buf, sizeof(buf), "%lld", (long long)w->m->mono_to_real);
	if (!rc)
		rc = dbw_run(w, &s, "ss", "mono_to_real_ns", buf);
	if (!rc)
		rc = dbw_run(w, &s, "ss", "schema_version", STR(DB_SCHEMA_VERSION));
	if (!rc)
		rc = dbw_run(w, &s, "ss", "hostname", w->m->hostname);
	if (!rc)
		rc = dbw_run(w, &s, "ss", "redacted", w->redact ? "1" : "0");
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)w->m->records);
	if (!rc)
		rc = dbw_run(w, &s, "ss", "records", buf);
	dbs_done(&s);
	return rc;
}

static int exec_sql(struct dbw *w, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(w->db, sql, NULL, NULL, &err) == SQLITE_OK)
		return 0;
	snprintf(w->msg, w->msg_size, "%s", err ? err : "sqlite error");
	sqlite3_free(err);
	return -EIO;
}

int dbw_exec(struct dbw *w, const char *sql)
{
	return exec_sql(w, sql);
}

static void *cz_thread(void *arg)
{
	struct dbw *w = arg;

	w->cz_rc = causal_build(w->m, &w->own_cz);
	return NULL;
}

/* Whether the CREATE INDEX @stmt (@n bytes) is on one of @tables. */
static int on_table(const char *stmt, size_t n, const char *tables)
{
	const char *on = memmem(stmt, n, " ON ", 4), *t = tables, *e;
	size_t l;

	if (!on)
		return 0;
	on += 4;
	l = (size_t)(stmt + n - on);
	for (; *t; t = *e ? e + 1 : e) {
		e = strchr(t, ' ');
		if (!e)
			e = t + strlen(t);
		if ((size_t)(e - t) < l && !memcmp(on, t, (size_t)(e - t)) && on[e - t] == ' ')
			return 1;
	}
	return 0;
}

char *dbw_index_sql(const char *tables)
{
	const char *p = db_schema_sql(1), *e;
	char *out = malloc(strlen(p) + 1), *o = out;

	/* one CREATE INDEX a line */
	for (; out && *p; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		if (tables && !on_table(p, (size_t)(e - p), tables))
			continue;
		memcpy(o, p, (size_t)(e - p));
		o += e - p;
		*o++ = '\n';
	}
	if (out)
		*o = 0;
	return out;
}

/* With the writer thread: queue the indexes of @tables, whose rows are all
 * queued, so that they are built while the next tables are prepared. */
static int queue_indexes(struct dbw *w, int rc, const char *tables)
{
	char *sql;
	struct dbv v = { .t = 's' };

	/* the callers' lists are either all early or none */
	if (rc || !w->aq || (w->live && strstr(DB_LATE_TABLES, tables)) ||
	    (w->idx_early && strstr(DB_EARLY_TABLES, tables)))
		return rc;
	sql = dbw_index_sql(tables);
	if (!sql)
		return -ENOMEM;
	v.s = sql;
	v.i = (int64_t)strlen(sql);
	rc = db_stream_queue(w->aq, NULL, &v, 1);
	free(sql);
	return rc;
}

/* The rows are written (or queued): indexes, model no longer needed, commit. */
static int fill_end(struct dbw *w, int rc)
{
	int qrc;

	rc = queue_indexes(w, rc, "tool_effects drops");
	if (w->aq) {
		/* the writer holds copies of what it still has to write, but for
		 * the rows streamed while reading: the model may go once it has
		 * passed them */
		if (!rc)
			db_stream_wait_streamed(w->aq);
		if (!rc && w->o && w->o->rows_done)
			w->o->rows_done(w->o->rows_ctx);
		qrc = db_stream_drain(w->aq);
		w->aq = NULL;
		rc = rc ? rc : qrc;
	} else {
		if (!rc && w->o && w->o->rows_done)
			w->o->rows_done(w->o->rows_ctx);
		if (!rc)
			rc = exec_sql(w, db_schema_sql(1));
	}
	if (!rc)
		rc = exec_sql(w, "COMMIT;");
	return rc;
}


/* Everything but the tables (dbw_open) and the rows in w->done. */
static int fill(struct dbw *w)
{
	int own = !w->cz && w->o && w->o->causal && !w->live, threaded = 0, rc;
	pthread_t t;

	/* causal_build only reads the model, as the writer does: it runs on
	 * the second core while the tables before tool_effects are written */
	if (own)
		threaded = !pthread_create(&t, NULL, cz_thread, w);
	if (own && !threaded)
		cz_thread(w);
	rc = 0;
	if (w->live) /* their rows are in: built while the processes' are made */
		rc = queue_indexes(w, rc, "http_messages llm_calls tool_calls");
	if (!rc)
		rc = put_meta(w);
	if (!rc)
		rc = put_procs(w);
	rc = queue_indexes(w, rc, "processes execs");
	if (!rc)
		rc = put_io(w);
	if (!rc)
		rc = put_tls(w);
	rc = queue_indexes(w, rc, "tls_connections");
	if (!rc && !w->live)
		rc = put_http(w);
	if (!w->live)
		rc = queue_indexes(w, rc, "http_messages");
	if (!rc && !w->live)
		rc = put_llm(w);
	if (!w->live)
		rc = queue_indexes(w, rc, "llm_calls tool_calls");
	if (threaded)
		pthread_join(t, NULL); /* even after a failure */
	if (own)
		w->cz = w->own_cz;
	if (!rc && w->cz_rc) {
		snprintf(w->msg, w->msg_size, "out of memory");
		rc = w->cz_rc;
	}
	if (!rc && w->o && w->o->convs_done)
		w->o->convs_done(w->o->rows_ctx);
	if (!rc)
		rc = put_effects(w);
	return fill_end(w, rc);
}

int dbw_fill(struct dbw *w)
{
	int rc;

	w->tool_pk_base = calloc(w->m->ncalls + 1, sizeof(*w->tool_pk_base));
	rc = w->tool_pk_base ? fill(w) : -ENOMEM;
	free(w->tool_pk_base);
	w->tool_pk_base = NULL;
	return rc;
}

int dbw_open(struct dbw *w, const char *path, char **part)
{
	int rc = 0, i;

	*part = au_fmt("%s.part", path);
	if (!*part)
		return -ENOMEM;
	/* built beside the target and renamed over it when complete: a reader
	 * never sees half a database, and a failed export keeps the old one */
	if (unlink(*part) && errno != ENOENT) {
		rc = -errno;
		snprintf(w->msg, w->msg_size, "cannot replace '%s': %s", *part, strerror(errno));
		free(*part);
		*part = NULL;
		return rc;
	}
	/* the export holds prompts and file names: as private as the capture */
	close(open(*part, O_CREAT | O_WRONLY | O_EXCL, 0600));
	/* no allocation statistics (a lock and counters on every SQLite
	 * malloc of the bulk insert); a no-op once SQLite is initialized */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sqlite3_open_v2(*part, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL)) {
		rc = fail(w, "open");
		sqlite3_close(w->db);
		w->db = NULL;
		unlink(*part);
		free(*part);
		*part = NULL;
		return rc;
	}
	/* a fresh private file nobody reads until the rename: no journal, no
	 * fsync, one transaction; larger pages and a 16 MiB cache cut the page
	 * writes of the bulk insert and of the index builds at the end (64 KiB
	 * pages: ~10% less CPU on the writer thread than 8 KiB, which is the
	 * critical path of a streamed export) */
	rc = exec_sql(w, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
		      "PRAGMA locking_mode=EXCLUSIVE; PRAGMA page_size=65536; "
		      "PRAGMA cache_size=-16384; BEGIN;");
	for (i = 0; !rc && db_schema_sql(i); i++)
		if (i != 1) /* indexes after the data: faster inserts */
			rc = exec_sql(w, db_schema_sql(i));
	return rc;
}

/* A small database is rewritten with 8 KiB pages: the 64 KiB pages that
 * speed up a large export would make every table and index of a small one
 * a 64 KiB page (2.5 MB for a few hundred rows).  In memory, and only a
 * nicety: on failure the database stays as it is, complete. */
static void repack_small(struct dbw *w)
{
	sqlite3_stmt *q = NULL;
	int64_t pages = INT64_MAX;

	if (sqlite3_prepare_v2(w->db, "PRAGMA page_count", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		pages = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (pages <= DB_REPACK_PAGES)
		sqlite3_exec(w->db, "PRAGMA temp_store=MEMORY; PRAGMA page_size=8192; VACUUM;",
			     NULL, NULL, NULL);
}

int dbw_close(struct dbw *w, const char *path, char *part, int rc)
{
	causal_free(w->own_cz);
	w->own_cz = NULL;
	rc_free(w);
	if (!rc)
		repack_small(w);
	if (sqlite3_close(w->db) != SQLITE_OK && !rc)
		rc = -EIO;
	w->db = NULL;
	if (!rc && rename(part, path)) {
		rc = -errno;
		snprintf(w->msg, w->msg_size, "cannot rename '%s': %s", part, strerror(errno));
	}
	if (rc)
		unlink(part);
	free(part);
	return rc;
}

int db_write(const struct model *m, const struct causal *cz, const char *path,
	     const struct db_opts *o, struct db_counts *cnt, char *msg, size_t msg_size)
{
	struct dbw w = { .m = m, .cz = cz, .redact = o ? o->redact : 1, .cnt = cnt,
			 .msg = msg, .msg_size = msg_size, .o = o };
	char *part;
	int rc;

	memset(cnt, 0, sizeof(*cnt));
	rc = dbw_open(&w, path, &part);
	if (!part)
		return rc;
	if (!rc)
		rc = dbw_fill(&w);
	return dbw_close(&w, path, part, rc);
}
