/* SPDX-License-Identifier: MIT */
/*
 * tui_events.c - rp_events from the in-memory model (see tui_events.h).
 *
 * Each text below is what the SQL in tui_model.c computes from the
 * columns db_write() stores: the same NULL rules (COALESCE), SQLite's
 * printf (sqlite3_snprintf is that engine) and substr() counting UTF-8
 * characters as SQLite does, redaction where db_write redacts.
 */
#include "tui_events.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/causal.h"
#include "analyze/export_jsonl.h"
#include "analyze/llm.h"
#include "analyze/redact.h"
#include "analyze/tree.h"
#include "tui_filter.h"
#include "tui_model_priv.h"

/* One event: its sort key and where it is in the model.  Texts are built
 * when a row is written or shown, not here: preparing is on the path to
 * the first screen of a first open. */
struct ev {
	int64_t ts, ref;
	uint32_t kind;
	uint32_t idx, sub;
};

struct tui_events {
	const struct model *m;
	struct ev *ev;
	size_t n, cap;
	int64_t *tool_pk_base; /* per call: tool_call_pk - 1 of its first tool call */
	int redact;
};

struct sb {
	char *p;
	size_t n, cap;
	int bad;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		char *p;

		while (nc < b->n + n + 1)
			nc *= 2;
		p = realloc(b->p, nc);
		if (!p) {
			b->bad = 1;
			return;
		}
		b->p = p;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void sb_s(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_i(struct sb *b, int64_t v)
{
	char t[32];

	sb_add(b, t, (size_t)snprintf(t, sizeof(t), "%lld", (long long)v));
}

/* SQLite's printf with one double (a NULL argument formats as 0.0). */
static void sb_f(struct sb *b, const char *fmt, double v)
{
	char t[128];

	sqlite3_snprintf(sizeof(t), t, fmt, v);
	sb_s(b, t);
}

/* substr(s, 1, max) as SQLite counts characters. */
static void sb_sub(struct sb *b, const char *s, size_t max)
{
	const unsigned char *z = (const unsigned char *)s;

	for (; *z && max; max--)
		if (*z++ >= 0xc0)
			while ((*z & 0xc0) == 0x80)
				z++;
	sb_add(b, s, (size_t)(z - (const unsigned char *)s));
}

/* What db_write stores for a redacted column: malloc'd (NULL stays NULL;
 * out of memory marks @b failed). */
static char *redacted(const struct tui_events *e, const char *s, struct sb *b)
{
	char *r;

	if (!s)
		return NULL;
	r = e->redact ? redact_str(s) : strdup(s);
	if (!r)
		b->bad = 1;
	return r;
}

static void llm_text_of(const struct tui_events *e, const struct llm_call *c, struct sb *b)
{
	char *err = redacted(e, c->error, b), *resp = redacted(e, llm_text(c), b);
	const char *model = c->model_resp ? c->model_resp
			    : c->model_req ? c->model_req : c->provider ? c->provider : "?";

	sb_s(b, model);
	sb_s(b, " ");
	sb_s(b, c->api ? c->api : "");
	sb_s(b, " status ");
	if (c->status)
		sb_i(b, c->status);
	else
		sb_s(b, "-");
	sb_s(b, " in ");
	if (c->in_tok >= 0)
		sb_i(b, c->in_tok);
	else
		sb_s(b, "-");
	sb_s(b, " out ");
	if (c->out_tok >= 0)
		sb_i(b, c->out_tok);
	else
		sb_s(b, "-");
	sb_f(b, " $%.4f", c->cost_known && !isnan(c->cost) ? c->cost : 0.0);
	sb_f(b, " ttft %.3fs",
	     c->t_first_tok > c->t_req ? (double)(c->t_first_tok - c->t_req) / 1e9 : 0.0);
	if (c->err_type || err) {
		sb_s(b, " ");
		sb_s(b, c->err_type ? c->err_type : err);
	}
	if (resp) {
		sb_s(b, ": ");
		sb_sub(b, resp, 200);
	}
	free(err);
	free(resp);
}

static void tool_text_of(const struct tui_events *e, const struct llm_tool_call *t,
			 struct sb *b)
{
	char *cmd = causal_tool_command(t->args), *rcmd = redacted(e, cmd, b);
	char *args = redacted(e, t->args, b);

	sb_s(b, t->name ? t->name : "?");
	sb_s(b, " ");
	sb_sub(b, rcmd ? rcmd : args ? args : "", 300);
	free(cmd);
	free(rcmd);
	free(args);
}

static void exec_text_of(const struct tui_events *e, const struct tree_exec *x, struct sb *b)
{
	char *args = x->argc ? tree_argv_join(x->argv, x->argc) : NULL, *r = redacted(e, args, b);

	sb_sub(b, r ? r : x->filename ? x->filename : "", 300);
	free(args);
	free(r);
}

static struct ev *ev_add(struct tui_events *e, int64_t ts, uint32_t kind, int64_t ref,
			 uint32_t idx, uint32_t sub)
{
	struct ev *v;

	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 4096;
		struct ev *p = realloc(e->ev, nc * sizeof(*p));

		if (!p)
			return NULL;
		e->ev = p;
		e->cap = nc;
	}
	v = &e->ev[e->n++];
	*v = (struct ev){ .ts = ts, .ref = ref, .kind = kind, .idx = idx, .sub = sub };
	return v;
}

/* LLM calls, their tool calls (placed when the response ended), execs. */
static int add_calls(struct tui_events *e)
{
	const struct model *m = e->m;
	int64_t pk = 0;
	struct ev *v;
	size_t i, k;

	e->tool_pk_base = calloc(m->ncalls + 1, sizeof(*e->tool_pk_base));
	if (!e->tool_pk_base)
		return -ENOMEM;
	for (i = 0; i < m->ncalls; i++) {
		const struct llm_call *c = m->calls[i];

		v = ev_add(e, (int64_t)c->t_req, TK_LLM, (int64_t)i + 1, (uint32_t)i, 0);
		if (!v)
			return -ENOMEM;
		e->tool_pk_base[i] = pk;
		for (k = 0; k < c->ncalls; k++) {
			v = ev_add(e, (int64_t)(c->t_end ? c->t_end : c->t_req), TK_TOOL, ++pk,
				   (uint32_t)i, (uint32_t)k);
			if (!v)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Execs and exits of every process. */
static int add_procs(struct tui_events *e)
{
	const struct tree *t = e->m->tree;
	int64_t exec_id = 0;
	size_t i, k;

	for (i = 0; i < t->n; i++) {
		const struct tree_proc *p = t->procs[i];

		for (k = 0; k < p->nexecs; k++)
			if (!ev_add(e, (int64_t)p->execs[k].ts, TK_EXEC, ++exec_id, (uint32_t)i,
				    (uint32_t)k))
				return -ENOMEM;
		if (p->exited && !ev_add(e, (int64_t)p->t_end, TK_EXIT, (int64_t)p->id,
					 (uint32_t)i, 0))
			return -ENOMEM;
	}
	return 0;
}

static int add_io(struct tui_events *e)
{
	const struct model *m = e->m;
	size_t i;

	for (i = 0; i < m->nfiles; i++)
		if (!ev_add(e, (int64_t)m->files[i].ts, TK_FILE, (int64_t)i + 1, (uint32_t)i, 0))
			return -ENOMEM;
	for (i = 0; i < m->nnets; i++)
		if (!ev_add(e, (int64_t)m->nets[i].ts, TK_NET, (int64_t)i + 1, (uint32_t)i, 0))
			return -ENOMEM;
	for (i = 0; i < m->ntls; i++)
		if (!ev_add(e, (int64_t)m->tls[i].ts, TK_TLS, (int64_t)i + 1, (uint32_t)i, 0))
			return -ENOMEM;
	for (i = 0; i < m->ndrops; i++)
		if (!ev_add(e, (int64_t)m->drops[i].ts, TK_DROP, (int64_t)i + 1, (uint32_t)i, 0))
			return -ENOMEM;
	return 0;
}

/* Room for every event at once: doubling would hold twice the memory. */
static int reserve(struct tui_events *e)
{
	const struct model *m = e->m;
	size_t n = m->nfiles + m->nnets + m->ntls + m->ndrops + m->ncalls, i;

	for (i = 0; i < m->ncalls; i++)
		n += m->calls[i]->ncalls;
	for (i = 0; i < m->tree->n; i++)
		n += m->tree->procs[i]->nexecs + 1;
	e->ev = malloc((n + 1) * sizeof(*e->ev));
	e->cap = n + 1;
	return e->ev ? 0 : -ENOMEM;
}

/* ORDER BY ts, kind, ref */
static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

static int ev_less(const struct ev *x, const struct ev *y)
{
	return ev_cmp(x, y) < 0;
}

/* Merge the sorted runs @src[a..b) and @src[b..c) into @dst[a..c). */
static void merge(const struct ev *src, struct ev *dst, size_t a, size_t b, size_t c)
{
	size_t i = a, j = b, k = a;

	while (i < b && j < c)
		dst[k++] = ev_less(&src[j], &src[i]) ? src[j++] : src[i++];
	memcpy(dst + k, src + i, (b - i) * sizeof(*dst));
	k += b - i;
	memcpy(dst + k, src + j, (c - j) * sizeof(*dst));
}

/*
 * Sort by (ts, kind, ref).  Each kind is added mostly in time order, so
 * the array is a few long sorted runs: merging them pairwise costs
 * n log(runs) where qsort costs n log(n), on the way to a first screen.
 */
static void ev_sort(struct ev *v, size_t n)
{
	struct ev *tmp = malloc(n * sizeof(*v)), *src = v, *dst = tmp, *sw;
	size_t *run = malloc((n + 1) * sizeof(*run)), nr = 0, i, k;

	if (!tmp || !run || n < 2) {
		free(tmp);
		free(run);
		qsort(v, n, sizeof(*v), ev_cmp);
		return;
	}
	for (i = 0; i < n; i++)
		if (!i || ev_less(&v[i], &v[i - 1]))
			run[nr++] = i;
	run[nr] = n;
	while (nr > 1) {
		for (i = k = 0; i < nr; i += 2, k++) {
			if (i + 1 < nr)
				merge(src, dst, run[i], run[i + 1], run[i + 2]);
			else
				memcpy(dst + run[i], src + run[i], (n - run[i]) * sizeof(*dst));
			run[k] = run[i];
		}
		run[k] = n;
		nr = k;
		sw = src;
		src = dst;
		dst = sw;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
	free(run);
}

int tui_events_prepare(const struct model *m, int redact, struct tui_events **out)
{
	struct tui_events *e = calloc(1, sizeof(*e));
	int rc;

	*out = NULL;
	if (!e)
		return -ENOMEM;
	e->m = m;
	e->redact = redact;
	rc = reserve(e);
	if (!rc)
		rc = add_calls(e);
	if (!rc)
		rc = add_procs(e);
	if (!rc)
		rc = add_io(e);
	if (rc) {
		tui_events_free(e);
		return rc;
	}
	ev_sort(e->ev, e->n);
	*out = e;
	return 0;
}

void tui_events_free(struct tui_events *e)
{
	if (!e)
		return;
	free(e->ev);
	free(e->tool_pk_base);
	free(e);
}

/* The TLS connection a chunk belongs to (ids are 1-based, in order). */
static const struct stream_conn *conn_of(const struct model *m, uint64_t id)
{
	size_t i;

	if (id >= 1 && id <= m->streams->n && m->streams->conns[id - 1]->id == id)
		return m->streams->conns[id - 1];
	for (i = 0; i < m->streams->n; i++)
		if (m->streams->conns[i]->id == id)
			return m->streams->conns[i];
	return NULL;
}

/* The text builders return 0 where SQL's text is NULL (an unknown op). */
static int file_text(const struct model_file *x, struct sb *b)
{
	const char *op = exj_file_op(x->type);

	if (!op)
		return 0;
	sb_s(b, op);
	sb_s(b, " ");
	if (x->abs || x->path) {
		sb_s(b, x->abs ? x->abs : x->path);
	} else { /* a close of an fd opened before the capture */
		sb_s(b, "fd ");
		sb_i(b, x->fd);
	}
	if (x->path2) { /* a rename's new name; where a copying write's bytes came from */
		sb_s(b, x->type == CAP_REC_WRITE ? " <- " : " -> ");
		sb_s(b, x->path2);
	}
	sb_s(b, " = ");
	sb_i(b, x->ret);
	return 1;
}

/* ":port" of an inet address (port 0 of a bind is "any"); unix has none */
static void port_text(const struct model_net *x, struct sb *b)
{
	if (x->port || x->family == 2 || x->family == 10) {
		sb_s(b, ":");
		sb_i(b, x->port);
	}
}

static int net_text(const struct model_net *x, struct sb *b)
{
	const char *op = exj_file_op(x->type);

	if (!op)
		return 0;
	if (x->type == CAP_REC_FD) { /* a socket open when the snapshot was taken */
		sb_s(b, "open fd ");
		sb_i(b, x->fd);
		sb_s(b, " at start (socket ");
		sb_s(b, x->addr[0] || x->family != 1 ? x->addr : "(unnamed)");
		port_text(x, b);
		sb_s(b, ")");
		return 1;
	}
	if (x->type == CAP_REC_CLOSE) { /* a socket's: its fd and its address, when known */
		sb_s(b, "close fd ");
		sb_i(b, x->fd);
		sb_s(b, " (socket");
		if (x->addr[0]) {
			sb_s(b, " ");
			sb_s(b, x->addr);
			port_text(x, b);
		}
		sb_s(b, ")");
	} else {
		sb_s(b, op);
		sb_s(b, " ");
		/* an accepted unix client that bound no name */
		sb_s(b, x->addr[0] || x->family != 1 ? x->addr : "(unnamed)");
		port_text(x, b);
	}
	sb_s(b, " = ");
	sb_i(b, x->ret);
	return 1;
}

static int exit_text(const struct tree_proc *p, struct sb *b)
{
	int sig = p->exit_status & 0x7f;

	if (sig) {
		sb_s(b, "killed by signal ");
		sb_i(b, sig);
	} else {
		sb_s(b, "exit ");
		sb_i(b, (p->exit_status >> 8) & 0xff);
	}
	sb_f(b, " after %.3fs", (double)((int64_t)p->t_end - (int64_t)p->t_start) / 1e9);
	return 1;
}

static int tls_text(const struct model_tls *x, const struct stream_conn *c, struct sb *b)
{
	sb_s(b, x->dir ? "read" : "write");
	sb_s(b, " ");
	sb_i(b, x->len);
	sb_s(b, " bytes");
	if ((int64_t)x->orig_len > (int64_t)x->len + (int64_t)x->data_off)
		sb_s(b, " (cut at snaplen)");
	sb_s(b, " conn ");
	sb_i(b, (int64_t)x->conn);
	if (c && c->sni) {
		sb_s(b, " ");
		sb_s(b, c->sni);
	}
	return 1;
}

static int drop_text(const struct model_drop *x, struct sb *b)
{
	if (!x->kind)
		return 0;
	sb_s(b, x->kind);
	sb_s(b, ": ");
	sb_i(b, (int64_t)x->count);
	sb_s(b, " records lost from seq ");
	/* asrecord numbers per CPU: the CPU in the top bits (ascap(5)) */
	sb_i(b, (int64_t)(x->first_seq & ((UINT64_C(1) << CAP_SEQ_CPU_SHIFT) - 1)));
	if (CAP_SEQ_CPU(x->first_seq)) {
		sb_s(b, " on CPU ");
		sb_i(b, (int64_t)CAP_SEQ_CPU(x->first_seq));
	}
	return 1;
}

/* proc_id, pid (INT64_MIN: NULL) and text (NULL: NULL) of @v. */
static const char *row_of(const struct tui_events *e, const struct ev *v, int64_t *proc,
			  int64_t *pid, struct sb *b, const struct tree_proc **pp)
{
	const struct model *m = e->m;
	const struct tree_proc *p = NULL;
	const struct stream_conn *c = NULL;
	int has = 1;

	b->n = 0;
	*proc = *pid = INT64_MIN;
	if (v->kind == TK_LLM || v->kind == TK_TOOL) {
		c = m->calls[v->idx]->ex->conn;
		p = c ? tree_get(m->tree, c->pid, c->start_ns) : NULL;
		*pid = c ? (int64_t)c->pid : INT64_MIN;
		if (v->kind == TK_LLM)
			llm_text_of(e, m->calls[v->idx], b);
		else
			tool_text_of(e, &m->calls[v->idx]->calls[v->sub], b);
	} else if (v->kind == TK_EXEC || v->kind == TK_EXIT) {
		p = m->tree->procs[v->idx];
		*pid = p->pid;
		if (v->kind == TK_EXIT)
			has = exit_text(p, b);
		else
			exec_text_of(e, &p->execs[v->sub], b);
	} else if (v->kind == TK_FILE) {
		p = m->files[v->idx].proc;
		*pid = p->pid;
		has = file_text(&m->files[v->idx], b);
	} else if (v->kind == TK_NET) {
		p = m->nets[v->idx].proc;
		*pid = p->pid;
		has = net_text(&m->nets[v->idx], b);
	} else if (v->kind == TK_TLS) {
		c = conn_of(m, m->tls[v->idx].conn);
		p = c ? tree_get(m->tree, c->pid, c->start_ns) : NULL;
		*pid = m->tls[v->idx].pid;
		has = tls_text(&m->tls[v->idx], c, b);
	} else {
		has = drop_text(&m->drops[v->idx], b);
	}
	if (p)
		*proc = (int64_t)p->id;
	if (pp)
		*pp = p;
	return has && !b->bad ? (b->p ? b->p : "") : NULL;
}

static void bind_i(sqlite3_stmt *st, int k, int64_t v)
{
	if (v == INT64_MIN)
		sqlite3_bind_null(st, k);
	else
		sqlite3_bind_int64(st, k, v);
}

static int fill(struct tui_events *e, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	struct sb b = { 0 };
	int64_t proc, pid;
	size_t i;
	int rc = sqlite3_prepare_v2(db, "INSERT INTO rp_events (ts, kind, ref, proc_id, pid, text) "
				    "VALUES (?,?,?,?,?,?)", -1, &st, NULL);

	for (i = 0; rc == SQLITE_OK && i < e->n; i++) {
		const struct ev *v = &e->ev[i];
		const char *text = row_of(e, v, &proc, &pid, &b, NULL);

		if (b.bad) {
			rc = SQLITE_NOMEM;
			break;
		}
		sqlite3_bind_int64(st, 1, v->ts);
		sqlite3_bind_int64(st, 2, v->kind);
		sqlite3_bind_int64(st, 3, v->ref);
		bind_i(st, 4, proc);
		bind_i(st, 5, pid);
		if (text)
			sqlite3_bind_text(st, 6, text, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 6);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	free(b.p);
	return rc;
}

static int exec_fmt(sqlite3 *db, const char *fmt)
{
	char *sql;
	int rc;

	if (asprintf(&sql, fmt, "") < 0)
		return SQLITE_NOMEM;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	free(sql);
	return rc;
}

static int fail(sqlite3 *db, int rc, char *msg, size_t msg_size)
{
	if (rc == SQLITE_OK)
		return 0;
	snprintf(msg, msg_size, "cannot index the timeline: %s",
		 db ? sqlite3_errmsg(db) : "out of memory");
	return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
}

/* A private scratch file, like db_write's: no journal, no sync.  @attach:
 * SQL run before the transaction (ATTACH cannot be in one), or NULL. */
static int open_fast(const char *path, int flags, const char *attach, sqlite3 **db)
{
	int rc = sqlite3_open_v2(path, db, flags | SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
				 NULL);

	if (rc == SQLITE_OK && attach)
		rc = sqlite3_exec(*db, attach, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(*db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
				  "PRAGMA locking_mode=EXCLUSIVE; PRAGMA page_size=8192; "
				  "PRAGMA cache_size=-16384; BEGIN;", NULL, NULL, NULL);
	return rc;
}

int tui_events_write(struct tui_events *e, const char *aux, void (*model_done)(void *ctx),
		     void *ctx, char *msg, size_t msg_size)
{
	sqlite3 *db = NULL;
	int rc;

	if (unlink(aux) && errno != ENOENT)
		return fail(NULL, SQLITE_CANTOPEN, msg, msg_size);
	/* private like the database it goes into */
	close(open(aux, O_CREAT | O_WRONLY | O_EXCL, 0600));
	rc = open_fast(aux, SQLITE_OPEN_CREATE, NULL, &db);
	if (rc == SQLITE_OK)
		rc = exec_fmt(db, tui_model_index_sql(0));
	if (rc == SQLITE_OK)
		rc = fill(e, db);
	if (model_done)
		model_done(ctx);
	if (rc == SQLITE_OK)
		rc = exec_fmt(db, tui_model_index_sql(1));
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL);
	rc = fail(db, rc, msg, msg_size);
	if (sqlite3_close(db) != SQLITE_OK && !rc)
		rc = fail(NULL, SQLITE_ERROR, msg, msg_size);
	return rc;
}

int tui_events_merge(const char *db_path, const char *aux, char *msg, size_t msg_size)
{
	sqlite3 *db = NULL;
	char *sql = sqlite3_mprintf("ATTACH %Q AS rp", aux);
	int rc = sql ? SQLITE_OK : SQLITE_NOMEM;

	if (rc == SQLITE_OK)
		rc = open_fast(db_path, 0, sql, &db);
	sqlite3_free(sql);
	/* the empty table and its indexes first: SQLite then copies rows and
	 * index entries as they are (no re-sorting) */
	if (rc == SQLITE_OK)
		rc = exec_fmt(db, tui_model_index_sql(0));
	if (rc == SQLITE_OK)
		rc = exec_fmt(db, tui_model_index_sql(1));
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "INSERT INTO main.rp_events SELECT * FROM rp.rp_events; "
				  "COMMIT;", NULL, NULL, NULL);
	rc = fail(db, rc, msg, msg_size);
	if (sqlite3_close(db) != SQLITE_OK && !rc)
		rc = fail(NULL, SQLITE_ERROR, msg, msg_size);
	return rc;
}

size_t tui_events_count(const struct tui_events *e)
{
	return e->n;
}

int64_t tui_events_ts(const struct tui_events *e, size_t i)
{
	return e->ev[i].ts;
}

int tui_events_kind(const struct tui_events *e, size_t i)
{
	return (int)e->ev[i].kind;
}

int tui_events_get(const struct tui_events *e, size_t i, struct tui_event *out)
{
	const struct ev *v = &e->ev[i];
	const struct tree_proc *p = NULL;
	struct sb b = { 0 };
	int64_t proc, pid;
	const char *text = row_of(e, v, &proc, &pid, &b, &p);
	size_t n = text ? strlen(text) : 0;

	out->id = (int64_t)i + 1;
	out->ts = v->ts;
	out->kind = (int)v->kind;
	out->ref = v->ref;
	out->proc_id = proc == INT64_MIN ? 0 : proc;
	out->pid = pid == INT64_MIN ? -1 : (long)pid;
	/* the SQL's text column is read as bytes cut to the buffer */
	if (n > TUI_TEXT_MAX - 1)
		n = TUI_TEXT_MAX - 1;
	memcpy(out->text, text ? text : "", n);
	out->text[n] = 0;
	out->text_len = n;
	tui_model_comm((const unsigned char *)(p ? p->exe : NULL), out->comm, sizeof(out->comm));
	free(b.p);
	return b.bad ? -ENOMEM : 0;
}

int64_t tui_events_mono_to_real(const struct tui_events *e)
{
	return e->m->mono_to_real;
}

const char *tui_events_hostname(const struct tui_events *e)
{
	return e->m->hostname ? e->m->hostname : "";
}
