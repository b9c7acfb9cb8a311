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
#include "analyze/export_jsonl.h"
#include "analyze/redact.h"

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
};

static int fail(struct dbw *w, const char *what)
{
	snprintf(w->msg, w->msg_size, "%s: %s", what, w->db ? sqlite3_errmsg(w->db) : "?");
	return -EIO;
}

#define RUN_MAX_COLS 40

static uint64_t rc_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

/* The redacted form of @s, or NULL when it is unchanged or on ENOMEM.  The
 * result stays valid until the next call; what it replaces in the cache
 * goes to @owned, freed after the current row is stepped. */
static const char *rc_redact(struct dbw *w, const char *s, char **owned, int *nowned)
{
	size_t n = strlen(s);
	uint64_t h;
	struct rc_slot *e;
	char *out;

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
	if (e->in) {
		/* the old text may be bound to an earlier column of this row */
		free(e->in);
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

/* Bind a list of values: 'i' int64, 'd' double, 's' text (NULL ok),
 * 'r' text to redact, 'n' null. */
static int run(struct dbw *w, sqlite3_stmt *st, const char *types, ...)
{
	char *owned[2 * RUN_MAX_COLS];
	int i, rc, nowned = 0;
	va_list ap;

	/* text is bound SQLITE_STATIC: the callers' strings outlive the step,
	 * and the reset below drops every reference before they are freed */
	va_start(ap, types);
	for (i = 0; types[i] && i < RUN_MAX_COLS; i++) {
		int k = i + 1;

		switch (types[i]) {
		case 'i':
			sqlite3_bind_int64(st, k, va_arg(ap, int64_t));
			break;
		case 'I': {
			int64_t v = va_arg(ap, int64_t);

			if (v == INT64_MIN)
				sqlite3_bind_null(st, k);
			else
				sqlite3_bind_int64(st, k, v);
			break;
		}
		case 'd': {
			double v = va_arg(ap, double);

			if (isnan(v)) /* unknown */
				sqlite3_bind_null(st, k);
			else
				sqlite3_bind_double(st, k, v);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (s)
				sqlite3_bind_text(st, k, s, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, k);
			break;
		}
		case 'r': {
			const char *s = va_arg(ap, const char *);
			const char *r = s && w->redact ? rc_redact(w, s, owned, &nowned) : NULL;

			if (s)
				sqlite3_bind_text(st, k, r ? r : s, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, k);
			break;
		}
		default:
			sqlite3_bind_null(st, k);
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : fail(w, "insert");
	sqlite3_reset(st);
	while (nowned)
		free(owned[--nowned]);
	return rc;
}

static sqlite3_stmt *prep(struct dbw *w, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK)
		fail(w, sql);
	return st;
}

/* INT64_MIN binds NULL through type 'I' */
#define NUL_IF(cond, v) ((cond) ? INT64_MIN : (int64_t)(v))

static int put_procs(struct dbw *w)
{
	sqlite3_stmt *p = prep(w, "INSERT INTO processes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_stmt *e = prep(w, "INSERT INTO execs (proc_id, ts_ns, filename, argv, cwd) "
				  "VALUES (?,?,?,?,?)");
	const struct tree *t = w->m->tree;
	size_t i, k;
	int rc = p && e ? 0 : -EIO;

	for (i = 0; !rc && i < t->n; i++) {
		const struct tree_proc *x = t->procs[i];
		char *args = x->argc ? tree_argv_join(x->argv, x->argc) : NULL;

		int sig = x->exit_status & 0x7f;

		rc = run(w, p, "iiiIsrsIiIIIIii", (int64_t)x->id, (int64_t)x->pid,
			 (int64_t)x->start_ns, NUL_IF(!x->parent, x->parent ? x->parent->id : 0),
			 x->exe, args, x->cwd, NUL_IF(!x->uid_known, x->uid), (int64_t)x->t_start,
			 NUL_IF(!x->exited, x->t_end), NUL_IF(!x->exited, x->exit_status),
			 NUL_IF(!x->exited || sig, (x->exit_status >> 8) & 0xff),
			 NUL_IF(!x->exited || !sig, sig), (int64_t)x->from_snapshot,
			 (int64_t)x->nthreads);
		free(args);
		if (rc)
			break;
		w->cnt->processes++;
		for (k = 0; !rc && k < x->nexecs; k++) {
			const struct tree_exec *xe = &x->execs[k];

			args = xe->argc ? tree_argv_join(xe->argv, xe->argc) : NULL;
			rc = run(w, e, "iisrs", (int64_t)x->id, (int64_t)xe->ts, xe->filename, args,
				 xe->cwd);
			free(args);
			w->cnt->execs++;
		}
	}
	sqlite3_finalize(p);
	sqlite3_finalize(e);
	return rc;
}

static int put_io(struct dbw *w)
{
	sqlite3_stmt *f = prep(w, "INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_stmt *c = prep(w, "INSERT INTO connections VALUES (?,?,?,?,?,?,?,?,?,?)");
	const struct model *m = w->m;
	size_t i;
	int rc = f && c ? 0 : -EIO;

	for (i = 0; !rc && i < m->nfiles; i++, w->cnt->files++) {
		const struct model_file *x = &m->files[i];

		rc = run(w, f, "iiiisiisssiii", (int64_t)i + 1, (int64_t)x->ts,
			 (int64_t)x->proc->id, (int64_t)x->tid, exj_file_op(x->type),
			 (int64_t)x->ret, (int64_t)x->fd, x->path, x->path2, x->abs,
			 (int64_t)x->flags, (int64_t)x->mode, (int64_t)x->count);
	}
	for (i = 0; !rc && i < m->nnets; i++, w->cnt->connections++) {
		const struct model_net *x = &m->nets[i];

		rc = run(w, c, "iiiisiiisi", (int64_t)i + 1, (int64_t)x->ts, (int64_t)x->proc->id,
			 (int64_t)x->tid, exj_file_op(x->type), (int64_t)x->ret, (int64_t)x->fd,
			 (int64_t)x->family, x->addr, (int64_t)x->port);
	}
	sqlite3_finalize(f);
	sqlite3_finalize(c);
	return rc;
}

static int put_tls(struct dbw *w)
{
	sqlite3_stmt *t = prep(w, "INSERT INTO tls_connections VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_stmt *k = prep(w, "INSERT INTO tls_chunks VALUES (?,?,?,?,?,?,?,?,?,?)");
	const struct model *m = w->m;
	size_t i;
	int rc = t && k ? 0 : -EIO;

	for (i = 0; !rc && i < m->streams->n; i++, w->cnt->tls++) {
		const struct stream_conn *c = m->streams->conns[i];
		const struct model_net *n = model_conn_net(m, c);
		const struct tree_proc *p = tree_get(m->tree, c->pid, c->start_ns);

		rc = run(w, t, "iIIiiiiissiii", (int64_t)c->id, NUL_IF(!p, p ? p->id : 0),
			 NUL_IF(!n, n ? n - m->nets + 1 : 0), (int64_t)c->fd, (int64_t)c->ptr,
			 (int64_t)c->first_seq, (int64_t)c->t_first, (int64_t)c->t_last, c->sni,
			 conv_proto(c), (int64_t)c->dir[0].bytes, (int64_t)c->dir[1].bytes,
			 (int64_t)(c->dir[0].gap_bytes + c->dir[1].gap_bytes));
	}
	for (i = 0; !rc && i < m->ntls; i++, w->cnt->chunks++) {
		const struct model_tls *x = &m->tls[i];

		rc = run(w, k, "iiiiisiiii", (int64_t)i + 1, (int64_t)x->ts, (int64_t)x->seq,
			 (int64_t)x->conn, (int64_t)x->pid, x->dir ? "read" : "write",
			 (int64_t)x->len, (int64_t)x->data_off, (int64_t)x->orig_len,
			 (int64_t)x->flags);
	}
	sqlite3_finalize(t);
	sqlite3_finalize(k);
	return rc;
}

/* 0 when @s is printable ASCII needing no JSON escape, else -1: then
 * jansson writes the whole array, as the database has always had it. */
static int plain_json(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' ||
		    *s == '\\')
			return -1;
	return 0;
}

/* Append ["name","value"] to the array in *buf; -1 when jansson must. */
static int hj_add(char **buf, size_t *len, size_t *cap, const char *name, const char *v)
{
	size_t nn = strlen(name), nv = strlen(v), need = *len + nn + nv + 10;
	char *o;

	if (plain_json(name) || plain_json(v))
		return -1;
	if (need > *cap) {
		size_t nc = *cap * 2 > need ? *cap * 2 : need;
		char *p = realloc(*buf, nc);

		if (!p)
			return -1;
		*buf = p;
		*cap = nc;
	}
	o = *buf + *len;
	if (*len > 1)
		*o++ = ',';
	*o++ = '[';
	*o++ = '"';
	memcpy(o, name, nn);
	o += nn;
	memcpy(o, "\",\"", 3);
	o += 3;
	memcpy(o, v, nv);
	o += nv;
	*o++ = '"';
	*o++ = ']';
	*len = (size_t)(o - *buf);
	return 0;
}

/* The common case, printable ASCII headers, written directly: jansson's
 * compact dump costs more than the insert.  NULL: use headers_json_j(). */
static char *headers_json_fast(const struct http_msg *h, int redact)
{
	size_t i, len = 1, cap = 256;
	char *buf = malloc(cap);
	int bad = !buf;

	if (buf)
		buf[0] = '[';
	for (i = 0; !bad && h && i < h->nhdrs; i++) {
		const char *name = h->hdrs[i].name, *value = h->hdrs[i].value;
		char *v = redact ? redact_header(name, value) : NULL;

		bad = (redact && !v) || !name || !value ||
		      hj_add(&buf, &len, &cap, name, redact ? v : value);
		free(v);
	}
	if (bad || len + 2 > cap) {
		free(buf);
		return NULL;
	}
	buf[len++] = ']';
	buf[len] = 0;
	return buf;
}

static char *headers_json_j(const struct http_msg *h, int redact)
{
	json_t *a = json_array();
	char *s;
	size_t i;

	for (i = 0; h && i < h->nhdrs; i++) {
		char *v = redact ? redact_header(h->hdrs[i].name, h->hdrs[i].value)
				 : au_strdup(h->hdrs[i].value);
		json_t *pair = json_pack("[ss]", h->hdrs[i].name, v ? v : "");

		if (pair)
			json_array_append_new(a, pair);
		free(v);
	}
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static char *headers_json(const struct http_msg *h, int redact)
{
	char *s = headers_json_fast(h, redact);

	return s ? s : headers_json_j(h, redact);
}

static char *body_text(const struct http_msg *h)
{
	size_t n;

	if (!h || !h->body.len)
		return NULL;
	n = h->body.len < DB_BODY_MAX ? h->body.len : DB_BODY_MAX;
	return au_strndup(h->body.p, strnlen((const char *)h->body.p, n));
}

static int put_http(struct dbw *w)
{
	sqlite3_stmt *h = prep(w, "INSERT INTO http_messages VALUES "
				  "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	const struct conv_set *cs = w->m->convs;
	size_t i;
	int rc = h ? 0 : -EIO;

	for (i = 0; !rc && i < cs->nex; i++, w->cnt->http++) {
		const struct conv_exchange *ex = cs->ex[i];
		const struct http_msg *q = ex->req, *r = ex->resp;
		char *qh = headers_json(q, w->redact), *rh = headers_json(r, w->redact);
		char *qb = body_text(q), *rb = body_text(r);

		rc = run(w, h, "iIsrIssrrIIsiIIIs", (int64_t)ex->id,
			 NUL_IF(!ex->conn, ex->conn ? ex->conn->id : 0), q ? q->method : NULL,
			 q ? q->target : NULL, NUL_IF(!r, r ? r->status : 0), qh, rh, qb, rb,
			 NUL_IF(!q, q ? q->body_len : 0), NUL_IF(!r, r ? r->body_len : 0),
			 r ? http_dec_name(r->coding) : NULL, (int64_t)ex->is_sse,
			 NUL_IF(!q, q ? q->t_first : 0), NUL_IF(!r, r ? r->t_head : 0),
			 NUL_IF(!r, r ? r->t_end : 0), conv_exchange_error(ex));
		free(qh);
		free(rh);
		free(qb);
		free(rb);
	}
	sqlite3_finalize(h);
	return rc;
}

static int put_call(struct dbw *w, sqlite3_stmt *c, size_t i)
{
	const struct llm_call *x = w->m->calls[i];
	const struct stream_conn *sc = x->ex->conn;
	const struct tree_proc *p = sc ? tree_get(w->m->tree, sc->pid, sc->start_ns) : NULL;

	return run(w, c, "iiIIIsssrisssIrrrsIIIIdssrIIIdddsssi", (int64_t)i + 1, (int64_t)x->ex->id,
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

static int put_llm(struct dbw *w)
{
	sqlite3_stmt *c = prep(w, "INSERT INTO llm_calls VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
				  "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_stmt *mm = prep(w, "INSERT INTO messages VALUES (?,?,?,?)");
	sqlite3_stmt *t = prep(w, "INSERT INTO tool_calls VALUES (?,?,?,?,?,?,?)");
	int64_t pk = 0;
	size_t i, k;
	int rc = c && mm && t ? 0 : -EIO;

	for (i = 0; !rc && i < w->m->ncalls; i++, w->cnt->llm_calls++) {
		const struct llm_call *x = w->m->calls[i];

		rc = put_call(w, c, i);
		w->tool_pk_base[i] = pk + 1;
		for (k = 0; !rc && k < x->nmsgs; k++, w->cnt->messages++)
			rc = run(w, mm, "iisr", (int64_t)i + 1, (int64_t)k, x->msgs[k].role,
				 x->msgs[k].text);
		for (k = 0; !rc && k < x->ncalls; k++, w->cnt->tool_calls++) {
			char *cmd = causal_tool_command(x->calls[k].args);

			rc = run(w, t, "iiissrr", ++pk, (int64_t)i + 1, (int64_t)k, x->calls[k].id,
				 x->calls[k].name, x->calls[k].args, cmd);
			free(cmd);
		}
	}
	sqlite3_finalize(c);
	sqlite3_finalize(mm);
	sqlite3_finalize(t);
	return rc;
}

static int put_effects(struct dbw *w)
{
	sqlite3_stmt *e = prep(w, "INSERT INTO tool_effects VALUES (?,?,?,?,?,?,?,?,?,?)");
	sqlite3_stmt *d = prep(w, "INSERT INTO drops VALUES (?,?,?,?,?,?,?)");
	const struct model *m = w->m;
	size_t i;
	int rc = e && d ? 0 : -EIO;

	for (i = 0; !rc && w->cz && i < w->cz->n; i++, w->cnt->effects++) {
		const struct causal_effect *x = &w->cz->eff[i];
		const char *target = x->file ? (x->file->abs ? x->file->abs : x->file->path)
			: x->net ? x->net->addr : x->proc ? x->proc->exe : NULL;
		char *args = NULL;

		if (!x->file && !x->net && x->proc && x->proc->argc)
			target = args = tree_argv_join(x->proc->argv, x->proc->argc);
		rc = run(w, e, "iiIssiIIIr", (int64_t)i + 1, (int64_t)x->call + 1,
			 NUL_IF(x->tool < 0, w->tool_pk_base[x->call] + x->tool), x->kind, x->how,
			 (int64_t)x->ts, NUL_IF(!x->proc, x->proc ? x->proc->id : 0),
			 NUL_IF(!x->file, x->file ? x->file - m->files + 1 : 0),
			 NUL_IF(!x->net, x->net ? x->net - m->nets + 1 : 0), target);
		free(args);
	}
	for (i = 0; !rc && i < m->ndrops; i++, w->cnt->drops++) {
		const struct model_drop *x = &m->drops[i];

		rc = run(w, d, "iisiiII", (int64_t)i + 1, (int64_t)x->ts, x->kind,
			 (int64_t)x->count, (int64_t)x->first_seq,
			 NUL_IF(x->probe == UINT32_MAX, x->probe),
			 NUL_IF(x->cpu == UINT32_MAX, x->cpu));
	}
	sqlite3_finalize(e);
	sqlite3_finalize(d);
	return rc;
}

static int put_meta(struct dbw *w)
{
	sqlite3_stmt *s = prep(w, "INSERT INTO meta VALUES (?,?)");
	char buf[64];
	int rc = s ? 0 : -EIO;

	snprintf(buf, sizeof(buf), "%lld", (long long)w->m->mono_to_real);
	if (!rc)
		rc = run(w, s, "ss", "mono_to_real_ns", buf);
	if (!rc)
		rc = run(w, s, "ss", "schema_version", STR(DB_SCHEMA_VERSION));
	if (!rc)
		rc = run(w, s, "ss", "hostname", w->m->hostname);
	if (!rc)
		rc = run(w, s, "ss", "redacted", w->redact ? "1" : "0");
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)w->m->records);
	if (!rc)
		rc = run(w, s, "ss", "records", buf);
	sqlite3_finalize(s);
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

static void *cz_thread(void *arg)
{
	struct dbw *w = arg;

	w->cz_rc = causal_build(w->m, &w->own_cz);
	return NULL;
}

/* Fill the database; the caller owns w->db. */
static int fill(struct dbw *w)
{
	int own = !w->cz && w->o && w->o->causal, threaded = 0, rc, part;
	pthread_t t;

	/* causal_build only reads the model, as the writer does: it runs on
	 * the second core while the tables before tool_effects are written */
	if (own)
		threaded = !pthread_create(&t, NULL, cz_thread, w);
	if (own && !threaded)
		cz_thread(w);
	/* a fresh private file nobody reads until the rename: no journal, no
	 * fsync, one transaction; larger pages and a 16 MiB cache cut the page
	 * writes of the bulk insert and of the index builds at the end */
	rc = exec_sql(w, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
		      "PRAGMA locking_mode=EXCLUSIVE; PRAGMA page_size=8192; "
		      "PRAGMA cache_size=-16384; BEGIN;");
	for (part = 0; !rc && db_schema_sql(part); part++)
		if (part != 1) /* indexes after the data: faster inserts */
			rc = exec_sql(w, db_schema_sql(part));
	if (!rc)
		rc = put_meta(w);
	if (!rc)
		rc = put_procs(w);
	if (!rc)
		rc = put_io(w);
	if (!rc)
		rc = put_tls(w);
	if (!rc)
		rc = put_http(w);
	if (!rc)
		rc = put_llm(w);
	if (threaded)
		pthread_join(t, NULL); /* even after a failure */
	if (own)
		w->cz = w->own_cz;
	if (!rc && w->cz_rc) {
		snprintf(w->msg, w->msg_size, "out of memory");
		rc = w->cz_rc;
	}
	if (!rc)
		rc = put_effects(w);
	if (!rc && w->o && w->o->rows_done)
		w->o->rows_done(w->o->rows_ctx);
	if (!rc)
		rc = exec_sql(w, db_schema_sql(1));
	if (!rc)
		rc = exec_sql(w, "COMMIT;");
	return rc;
}

int db_write(const struct model *m, const struct causal *cz, const char *path,
	     const struct db_opts *o, struct db_counts *cnt, char *msg, size_t msg_size)
{
	struct dbw w = { .m = m, .cz = cz, .redact = o ? o->redact : 1, .cnt = cnt,
			 .msg = msg, .msg_size = msg_size, .o = o };
	char *part = au_fmt("%s.part", path);
	int rc = 0;

	memset(cnt, 0, sizeof(*cnt));
	if (!part)
		return -ENOMEM;
	/* built beside the target and renamed over it when complete: a reader
	 * never sees half a database, and a failed export keeps the old one */
	if (unlink(part) && errno != ENOENT) {
		rc = -errno;
		snprintf(msg, msg_size, "cannot replace '%s': %s", part, strerror(errno));
		free(part);
		return rc;
	}
	/* the export holds prompts and file names: as private as the capture */
	close(open(part, O_CREAT | O_WRONLY | O_EXCL, 0600));
	if (sqlite3_open_v2(part, &w.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL)) {
		rc = fail(&w, "open");
		sqlite3_close(w.db);
		unlink(part);
		free(part);
		return rc;
	}
	w.tool_pk_base = calloc(m->ncalls + 1, sizeof(*w.tool_pk_base));
	rc = w.tool_pk_base ? fill(&w) : -ENOMEM;
	free(w.tool_pk_base);
	causal_free(w.own_cz);
	rc_free(&w);
	if (sqlite3_close(w.db) != SQLITE_OK && !rc)
		rc = -EIO;
	if (!rc && rename(part, path)) {
		rc = -errno;
		snprintf(msg, msg_size, "cannot rename '%s': %s", part, strerror(errno));
	}
	if (rc)
		unlink(part);
	free(part);
	return rc;
}
