/* SPDX-License-Identifier: MIT */
/*
 * tui_model.c - open an analyzer database, build the rp_events timeline
 * index once, and page through it with keyset queries (see tui_model.h).
 */
#include "tui_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui_model_priv.h"

#define EV_COLS "e.id, e.ts, e.kind, e.ref, e.proc_id, e.pid, e.text, p.exe"
#define EV_FROM " FROM rp_events e LEFT JOIN processes p ON p.proc_id = e.proc_id "

/*
 * One row per timeline event, in time order.  Summaries are built here so
 * that text filters and searches are one LIKE over one column.  A tool
 * call is placed when the response that asked for it ended.
 */
#define RP_TABLE_SQL \
	"CREATE %1$s TABLE rp_events (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,\n" \
	"  kind INTEGER, ref INTEGER, proc_id INTEGER, pid INTEGER, text TEXT);\n"
#define RP_TAIL_SQL \
	"CREATE INDEX rp_events_ts ON rp_events (ts);\n" \
	"CREATE INDEX rp_events_ref ON rp_events (kind, ref);\n" \
	"CREATE %1$s TABLE IF NOT EXISTS rp_meta (key TEXT PRIMARY KEY, value TEXT);\n" \
	"INSERT OR REPLACE INTO rp_meta VALUES ('version', '" TUI_INDEX_VERSION "');\n"

/* tui_events.c fills the same table from the in-memory model: keep the two
 * in step (the rows and their texts). */
static const char index_sql[] = RP_TABLE_SQL
	"INSERT INTO rp_events (ts, kind, ref, proc_id, pid, text) SELECT * FROM (\n"
	" SELECT c.t_request_ns AS ts, 1 AS kind, c.call_id AS ref, c.proc_id, c.pid,\n"
	"  COALESCE(c.model, c.model_requested, c.provider, '?') || ' ' || COALESCE(c.api, '')\n"
	"  || ' status ' || COALESCE(c.status, '-') || ' in ' || COALESCE(c.input_tokens, '-')\n"
	"  || ' out ' || COALESCE(c.output_tokens, '-')\n"
	"  || COALESCE(printf(' $%%.4f', c.cost_usd), '')\n"
	"  || COALESCE(printf(' ttft %%.3fs', c.ttft_s), '')\n"
	"  || COALESCE(' ' || COALESCE(c.error_type, c.analysis_error), '')\n"
	"  || COALESCE(': ' || substr(c.response_text, 1, 200), '')\n"
	"  FROM llm_calls c WHERE c.t_request_ns IS NOT NULL\n"
	" UNION ALL SELECT COALESCE(c.t_end_ns, c.t_request_ns), 2, t.tool_call_pk, c.proc_id,\n"
	"  c.pid, COALESCE(t.name, '?') || ' ' || substr(COALESCE(t.command, t.arguments, ''), 1,\n"
	"  300) FROM tool_calls t JOIN llm_calls c USING (call_id)\n"
	"  WHERE c.t_request_ns IS NOT NULL\n"
	" UNION ALL SELECT e.ts_ns, 3, e.exec_id, e.proc_id, p.pid,\n"
	"  substr(COALESCE(e.argv, e.filename, ''), 1, 300)\n"
	"  FROM execs e LEFT JOIN processes p USING (proc_id) WHERE e.ts_ns IS NOT NULL\n"
	" UNION ALL SELECT p.t_end_ns, 4, p.proc_id, p.proc_id, p.pid,\n"
	"  CASE WHEN p.signal THEN 'killed by signal ' || p.signal\n"
	"  ELSE 'exit ' || COALESCE(p.exit_code, '?') END\n"
	"  || COALESCE(printf(' after %%.3fs', (p.t_end_ns - p.t_start_ns) / 1e9), '')\n"
	"  FROM processes p WHERE p.t_end_ns IS NOT NULL\n"
	" UNION ALL SELECT f.ts_ns, 5, f.file_id, f.proc_id, p.pid,\n"
	"  f.op || ' ' || COALESCE(f.abs_path, f.path, 'fd ' || f.fd, '')\n"
	"  || COALESCE(CASE f.op WHEN 'write' THEN ' <- ' ELSE ' -> ' END || f.path2, '')\n"
	"  || ' = ' || COALESCE(f.ret, '?')\n"
	"  FROM files f LEFT JOIN processes p USING (proc_id) WHERE f.ts_ns IS NOT NULL\n"
	" UNION ALL SELECT n.ts_ns, 6, n.conn_id, n.proc_id, p.pid,\n"
	"  CASE WHEN n.op = 'close' THEN 'close fd ' || n.fd || ' (socket'\n"
	"  || COALESCE(' ' || NULLIF(n.addr, '')\n"
	"  || CASE WHEN n.port OR n.family IN (2, 10) THEN ':' || n.port ELSE '' END, '') || ')'\n"
	"  ELSE n.op || ' ' || COALESCE(NULLIF(n.addr, ''), CASE n.family WHEN 1 THEN '(unnamed)' END, '')\n"
	"  || CASE WHEN n.port OR n.family IN (2, 10) THEN ':' || n.port ELSE '' END END\n"
	"  || ' = ' || COALESCE(n.ret, '?')\n"
	"  FROM connections n LEFT JOIN processes p USING (proc_id) WHERE n.ts_ns IS NOT NULL\n"
	" UNION ALL SELECT k.ts_ns, 7, k.chunk_id, c.proc_id, k.pid,\n"
	"  k.dir || ' ' || k.len || ' bytes'\n"
	"  || CASE WHEN k.orig_len > k.len + k.data_off THEN ' (cut at snaplen)' ELSE '' END\n"
	"  || ' conn ' || k.tls_id || COALESCE(' ' || c.sni, '')\n"
	"  FROM tls_chunks k LEFT JOIN tls_connections c USING (tls_id) WHERE k.ts_ns IS NOT NULL\n"
	" UNION ALL SELECT d.ts_ns, 8, d.drop_id, NULL, NULL,\n"
	"  d.kind || ': ' || d.count || ' records lost'\n"
	"  || COALESCE(' from seq ' || d.first_seq, '') FROM drops d WHERE d.ts_ns IS NOT NULL\n"
	") ORDER BY ts, kind, ref;\n" RP_TAIL_SQL;

const char *tui_model_index_sql(int part)
{
	return part == 0 ? RP_TABLE_SQL : part == 1 ? RP_TAIL_SQL : NULL;
}

static int sql_err(struct tui_model *m, int rc, char *msg, size_t msg_size, const char *what)
{
	snprintf(msg, msg_size, "%s: %s", what, sqlite3_errmsg(m->db));
	return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
}

static int64_t scalar(sqlite3 *db, const char *sql, int64_t dflt)
{
	sqlite3_stmt *s;
	int64_t v = dflt;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return dflt;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int has_index(struct tui_model *m)
{
	return scalar(m->db, "SELECT value = '" TUI_INDEX_VERSION "' FROM rp_meta WHERE key = "
			     "'version' AND EXISTS (SELECT 1 FROM sqlite_master WHERE name = "
			     "'rp_events' UNION SELECT 1 FROM sqlite_temp_master WHERE name = "
			     "'rp_events')", 0) == 1;
}

static int build_index(struct tui_model *m, tui_progress_fn progress, void *ctx, char *msg,
		       size_t msg_size)
{
	char *sql, *err = NULL;
	const char *scope;
	int rc;

	m->info.readonly_index = sqlite3_db_readonly(m->db, "main") == 1;
	scope = m->info.readonly_index ? "TEMP" : "";
	if (progress)
		progress(ctx, "indexing the timeline", -1);
	if (asprintf(&sql, index_sql, scope) < 0)
		return -ENOMEM;
	/* the table is rebuilt whole; a half-built one must never stay */
	rc = sqlite3_exec(m->db, "BEGIN; DROP TABLE IF EXISTS rp_events;", NULL, NULL, &err);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(m->db, sql, NULL, NULL, &err);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(m->db, "COMMIT;", NULL, NULL, &err);
	free(sql);
	if (rc != SQLITE_OK) {
		snprintf(msg, msg_size, "cannot index the timeline: %s",
			 err ? err : sqlite3_errmsg(m->db));
		sqlite3_free(err);
		sqlite3_exec(m->db, "ROLLBACK;", NULL, NULL, NULL);
		return -EIO;
	}
	return 0;
}

static void load_info(struct tui_model *m)
{
	sqlite3_stmt *s;

	m->info.nevents = scalar(m->db, "SELECT max(id) FROM rp_events", 0);
	m->info.first_ts = scalar(m->db, "SELECT ts FROM rp_events WHERE id = 1", 0);
	m->info.last_ts = scalar(m->db, "SELECT ts FROM rp_events ORDER BY id DESC LIMIT 1", 0);
	m->info.mono_to_real = scalar(m->db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
					     "'mono_to_real_ns'", 0);
	if (sqlite3_prepare_v2(m->db, "SELECT value FROM meta WHERE key = 'hostname'", -1, &s,
			       NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
			snprintf(m->info.hostname, sizeof(m->info.hostname), "%s",
				 (const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
}

static int open_db(struct tui_model *m, const char *path, char *msg, size_t msg_size)
{
	int rc = sqlite3_open_v2(path, &m->db, SQLITE_OPEN_READWRITE, NULL);

	if (rc != SQLITE_OK) {
		sqlite3_close(m->db);
		m->db = NULL;
		rc = sqlite3_open_v2(path, &m->db, SQLITE_OPEN_READONLY, NULL);
	}
	if (rc != SQLITE_OK)
		return sql_err(m, rc, msg, msg_size, "cannot open");
	/* bounded memory whatever the file size: 8 MiB page cache, temp on disk */
	sqlite3_exec(m->db, "PRAGMA cache_size = -8192; PRAGMA temp_store = FILE;", NULL, NULL,
		     NULL);
	if (scalar(m->db, "SELECT count(*) FROM sqlite_master WHERE name IN ('processes', "
			  "'llm_calls', 'files', 'meta')", -1) != 4) {
		snprintf(msg, msg_size, "not an asanalyze database (export one with "
					"'asanalyze export --sqlite')");
		return -EINVAL;
	}
	return 0;
}

static void finalize_queries(struct tui_model *m);

/* The database, its timeline index and the queries, keeping m->filt. */
static int open_index(struct tui_model *m, const char *path, tui_progress_fn progress, void *ctx,
		      char *msg, size_t msg_size)
{
	int rc = open_db(m, path, msg, msg_size);

	if (!rc && !has_index(m))
		rc = build_index(m, progress, ctx, msg, msg_size);
	if (!rc) {
		load_info(m);
		rc = tui_model_set_filter(m, &m->filt);
		if (rc)
			sql_err(m, SQLITE_ERROR, msg, msg_size, "cannot query the timeline");
	}
	if (!rc && (sqlite3_prepare_v2(m->db, "SELECT " EV_COLS EV_FROM "WHERE e.id = ?", -1,
				       &m->get, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(m->db, "SELECT id FROM rp_events WHERE kind = ? AND ref = ?",
				       -1, &m->event_of, NULL) != SQLITE_OK))
		rc = sql_err(m, SQLITE_ERROR, msg, msg_size, "cannot query the timeline");
	return rc;
}

int tui_model_open(const char *path, tui_progress_fn progress, void *ctx, struct tui_model **out,
		   char *msg, size_t msg_size)
{
	struct tui_model *m = calloc(1, sizeof(*m));
	int rc;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	snprintf(m->info.path, sizeof(m->info.path), "%s", path);
	tui_filter_init(&m->filt);
	rc = open_index(m, path, progress, ctx, msg, msg_size);
	if (rc) {
		tui_model_close(m);
		return rc;
	}
	*out = m;
	return 0;
}

int tui_model_attach(struct tui_model *m, const char *path, char *msg, size_t msg_size)
{
	struct tui_mem *mem = m->mem;
	int rc;

	if (!mem)
		return 0;
	m->mem = NULL; /* from here every query is SQL */
	rc = open_index(m, path, NULL, NULL, msg, msg_size);
	if (rc) {
		finalize_queries(m);
		sqlite3_finalize(m->get);
		sqlite3_finalize(m->event_of);
		sqlite3_close(m->db);
		m->get = m->event_of = NULL;
		m->db = NULL;
		m->mem = mem;
		return rc;
	}
	snprintf(m->info.path, sizeof(m->info.path), "%s", path);
	mem->ops->free(mem);
	return 0;
}

static void finalize_queries(struct tui_model *m)
{
	int i;

	for (i = 0; i < Q_COUNT; i++) {
		sqlite3_finalize(m->q[i]);
		m->q[i] = NULL;
	}
}

void tui_model_close(struct tui_model *m)
{
	if (!m)
		return;
	finalize_queries(m);
	sqlite3_finalize(m->get);
	sqlite3_finalize(m->event_of);
	sqlite3_close(m->db);
	if (m->mem)
		m->mem->ops->free(m->mem);
	free(m);
}

const struct tui_info *tui_model_info(const struct tui_model *m)
{
	return &m->info;
}

const struct tui_filter *tui_model_filter(const struct tui_model *m)
{
	return &m->filt;
}

int tui_model_set_sources(struct tui_model *m, const char *const *paths, size_t n)
{
	sqlite3_stmt *s;
	char *all = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&all, &len);
	int rc;

	if (!f)
		return -ENOMEM;
	if (tui_mem_need_db(m)) {
		fclose(f);
		free(all);
		return -EAGAIN;
	}
	for (i = 0; i < n; i++)
		fprintf(f, "%s%c", paths[i], '\n');
	fclose(f);
	rc = sqlite3_prepare_v2(m->db, "INSERT OR REPLACE INTO rp_meta VALUES ('sources', ?)", -1,
				&s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, all, (int)len, SQLITE_TRANSIENT);
		rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_finalize(s);
	}
	free(all);
	return rc == SQLITE_OK ? 0 : -EIO;
}

#define SUBTREE(seed) \
	"(WITH RECURSIVE sub(id) AS (" seed " UNION SELECT c.proc_id FROM processes c " \
	"JOIN sub ON c.parent_id = sub.id) SELECT id FROM sub)"
#define BASENAME "replace(p.exe, rtrim(p.exe, replace(p.exe, '/', '')), '')"

/* The WHERE terms of @f, with named parameters bound by bind_filter(). */
static void filter_sql(const struct tui_filter *f, FILE *o)
{
	int k, first = 1;

	if (f->pid >= 0)
		fputs(" AND e.pid = :pid", o);
	if (f->tree_pid >= 0)
		fputs(" AND e.proc_id IN " SUBTREE("SELECT proc_id FROM processes WHERE pid = :tpid"),
		      o);
	if (f->proc)
		fputs(" AND e.proc_id IN " SUBTREE("SELECT :proc"), o);
	if (f->tool)
		fputs(" AND ((e.kind = 2 AND e.ref = :tool) OR (e.ts >= (SELECT ts FROM rp_events "
		      "WHERE kind = 2 AND ref = :tool) AND e.kind <> 2 AND e.proc_id IN "
		      SUBTREE("SELECT proc_id FROM tool_effects WHERE tool_call_pk = :tool AND "
			      "proc_id IS NOT NULL") "))", o);
	if (f->kinds) {
		fputs(" AND e.kind IN (", o);
		for (k = 1; k < TK_COUNT; k++)
			if (f->kinds & (1u << k)) {
				fprintf(o, "%s%d", first ? "" : ",", k);
				first = 0;
			}
		fputs(")", o);
	}
	if (f->comm[0])
		fputs(" AND " BASENAME " LIKE :comm ESCAPE '\\'", o);
	if (f->text[0])
		fputs(" AND e.text LIKE :text ESCAPE '\\'", o);
	if (f->since.set)
		fputs(" AND e.ts >= :since", o);
	if (f->until.set)
		fputs(" AND e.ts <= :until", o);
}

/* "%s%" with LIKE's wildcards in @s escaped; @pre adds a leading "%". */
static char *like_pattern(const char *s, int pre)
{
	size_t n = strlen(s), i, j = 0;
	char *p = malloc(2 * n + 3);

	if (!p)
		return NULL;
	if (pre)
		p[j++] = '%';
	for (i = 0; i < n; i++) {
		if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
			p[j++] = '\\';
		p[j++] = s[i];
	}
	p[j++] = '%';
	p[j] = 0;
	return p;
}

static void bind_text_param(sqlite3_stmt *s, const char *name, const char *v, int pre)
{
	int i = sqlite3_bind_parameter_index(s, name);
	char *p;

	if (!i)
		return;
	p = like_pattern(v, pre);
	if (p)
		sqlite3_bind_text(s, i, p, -1, free);
}

static void bind_int_param(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i)
		sqlite3_bind_int64(s, i, v);
}

static void bind_filter(struct tui_model *m, sqlite3_stmt *s)
{
	const struct tui_filter *f = &m->filt;

	bind_int_param(s, ":pid", f->pid);
	bind_int_param(s, ":tpid", f->tree_pid);
	bind_int_param(s, ":proc", f->proc);
	bind_int_param(s, ":tool", f->tool);
	if (f->comm[0])
		bind_text_param(s, ":comm", f->comm, 0);
	if (f->text[0])
		bind_text_param(s, ":text", f->text, 1);
	if (f->since.set)
		bind_int_param(s, ":since", tui_model_time_abs(m, &f->since));
	if (f->until.set)
		bind_int_param(s, ":until", tui_model_time_abs(m, &f->until));
}

static const char *const query_fmt[Q_COUNT] = {
	[Q_FWD] = "SELECT " EV_COLS EV_FROM "WHERE e.id >= :id%s ORDER BY e.id LIMIT :n",
	[Q_BACK] = "SELECT " EV_COLS EV_FROM "WHERE e.id <= :id%s ORDER BY e.id DESC LIMIT :n",
	[Q_FIND_FWD] = "SELECT e.id" EV_FROM "WHERE e.id >= :id%s AND (e.text LIKE :q ESCAPE '\\'"
		       " OR " BASENAME " LIKE :q ESCAPE '\\') ORDER BY e.id LIMIT 1",
	[Q_FIND_BACK] = "SELECT e.id" EV_FROM "WHERE e.id <= :id%s AND (e.text LIKE :q ESCAPE "
			"'\\' OR " BASENAME " LIKE :q ESCAPE '\\') ORDER BY e.id DESC LIMIT 1",
	[Q_AT_TS] = "SELECT e.id" EV_FROM "WHERE e.id <= (SELECT coalesce(max(id), 0) FROM "
		    "rp_events WHERE ts <= :ts)%s ORDER BY e.id DESC LIMIT 1",
	[Q_STEP_FWD] = "SELECT e.id" EV_FROM "WHERE e.id >= :id%s ORDER BY e.id LIMIT :n",
	[Q_STEP_BACK] = "SELECT e.id" EV_FROM "WHERE e.id <= :id%s ORDER BY e.id DESC LIMIT :n",
};

int tui_model_set_filter(struct tui_model *m, const struct tui_filter *f)
{
	char *where = NULL, *sql;
	size_t len = 0;
	struct tui_filter old = m->filt;
	FILE *o;
	int i, rc = 0;

	if (f)
		m->filt = *f;
	else
		tui_filter_init(&m->filt);
	/* in memory: scanned, unless the filter needs the cache's tables */
	if (m->mem && (m->mem->ops->filter_ok(&m->filt) || tui_mem_need_db(m))) {
		if (m->mem->ops->filter_ok(&m->filt))
			return 0;
		m->filt = old;
		return -EAGAIN;
	}
	o = open_memstream(&where, &len);
	if (!o)
		return -ENOMEM;
	filter_sql(&m->filt, o);
	fclose(o);
	finalize_queries(m);
	for (i = 0; i < Q_COUNT && !rc; i++) {
		if (asprintf(&sql, query_fmt[i], where ? where : "") < 0) {
			rc = -ENOMEM;
			break;
		}
		if (sqlite3_prepare_v2(m->db, sql, -1, &m->q[i], NULL) != SQLITE_OK)
			rc = -EIO;
		else
			bind_filter(m, m->q[i]);
		free(sql);
	}
	free(where);
	return rc;
}

void tui_model_comm(const unsigned char *exe, char *dst, size_t size)
{
	const char *s = exe ? strrchr((const char *)exe, '/') : NULL;

	snprintf(dst, size, "%s", s ? s + 1 : exe ? (const char *)exe : "");
}

static void read_event(sqlite3_stmt *s, struct tui_event *ev)
{
	int n;

	ev->id = sqlite3_column_int64(s, 0);
	ev->ts = sqlite3_column_int64(s, 1);
	ev->kind = sqlite3_column_int(s, 2);
	ev->ref = sqlite3_column_int64(s, 3);
	ev->proc_id = sqlite3_column_int64(s, 4);
	ev->pid = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(s, 5);
	n = sqlite3_column_bytes(s, 6);
	if (n > TUI_TEXT_MAX - 1)
		n = TUI_TEXT_MAX - 1;
	if (n > 0)
		memcpy(ev->text, sqlite3_column_blob(s, 6), (size_t)n);
	ev->text_len = n > 0 ? (size_t)n : 0;
	ev->text[ev->text_len] = 0;
	tui_model_comm(sqlite3_column_text(s, 7), ev->comm, sizeof(ev->comm));
}

size_t tui_model_fetch(struct tui_model *m, int64_t id, int dir, struct tui_event *out,
		       size_t max)
{
	sqlite3_stmt *s = m->q[dir > 0 ? Q_FWD : Q_BACK];
	size_t n = 0;

	if (m->mem)
		return m->mem->ops->fetch(m, id, dir, out, max);
	sqlite3_reset(s);
	bind_int_param(s, ":id", id);
	bind_int_param(s, ":n", (int64_t)max);
	while (n < max && sqlite3_step(s) == SQLITE_ROW)
		read_event(s, &out[n++]);
	sqlite3_reset(s);
	return n;
}

static int64_t one_id(sqlite3_stmt *s)
{
	int64_t id = 0;

	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return id;
}

int64_t tui_model_step(struct tui_model *m, int64_t id, int dir, int64_t n)
{
	sqlite3_stmt *s = m->q[dir > 0 ? Q_STEP_FWD : Q_STEP_BACK];
	int64_t last = 0;

	if (m->mem)
		return m->mem->ops->step(m, id, dir, n);
	sqlite3_reset(s);
	bind_int_param(s, ":id", id);
	bind_int_param(s, ":n", n + 1);
	while (sqlite3_step(s) == SQLITE_ROW)
		last = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return last;
}

int64_t tui_model_find(struct tui_model *m, int64_t id, int dir, const char *q)
{
	sqlite3_stmt *s = m->q[dir > 0 ? Q_FIND_FWD : Q_FIND_BACK];

	if (!q || !*q)
		return 0;
	if (m->mem)
		return m->mem->ops->find(m, id, dir, q);
	sqlite3_reset(s);
	bind_int_param(s, ":id", id);
	bind_text_param(s, ":q", q, 1);
	return one_id(s);
}

int64_t tui_model_at_ts(struct tui_model *m, int64_t ts)
{
	sqlite3_stmt *s = m->q[Q_AT_TS];
	int64_t id;

	if (m->mem)
		return m->mem->ops->at_ts(m, ts);
	sqlite3_reset(s);
	bind_int_param(s, ":ts", ts);
	id = one_id(s);
	return id ? id : tui_model_step(m, 1, +1, 0);
}

int64_t tui_model_event_of(struct tui_model *m, int kind, int64_t ref)
{
	if (m->mem)
		return m->mem->ops->event_of(m, kind, ref);
	sqlite3_reset(m->event_of);
	sqlite3_bind_int(m->event_of, 1, kind);
	sqlite3_bind_int64(m->event_of, 2, ref);
	return one_id(m->event_of);
}

int tui_model_get(struct tui_model *m, int64_t id, struct tui_event *ev)
{
	int rc = -ENOENT;

	if (m->mem)
		return m->mem->ops->get(m, id, ev);
	sqlite3_reset(m->get);
	sqlite3_bind_int64(m->get, 1, id);
	if (sqlite3_step(m->get) == SQLITE_ROW) {
		read_event(m->get, ev);
		rc = 0;
	}
	sqlite3_reset(m->get);
	return rc;
}

static int split_time(const struct tui_model *m, int64_t ts, struct tm *tm, unsigned *ms)
{
	int64_t ns = ts + m->info.mono_to_real;
	time_t t;

	if (!m->info.mono_to_real || ns < 0)
		return -1;
	t = (time_t)(ns / 1000000000);
	*ms = (unsigned)(ns % 1000000000 / 1000000);
	return gmtime_r(&t, tm) ? 0 : -1;
}

const char *tui_model_clock(const struct tui_model *m, int64_t ts, char *buf, size_t size)
{
	struct tm tm;
	unsigned ms;

	if (split_time(m, ts, &tm, &ms))
		snprintf(buf, size, "%12.3f", ts / 1e9);
	else
		snprintf(buf, size, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return buf;
}

const char *tui_model_wall(const struct tui_model *m, int64_t ts, char *buf, size_t size)
{
	struct tm tm;
	unsigned ms;

	if (split_time(m, ts, &tm, &ms))
		snprintf(buf, size, "mono %.3f", ts / 1e9);
	else
		snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d.%03u", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return buf;
}

const char *tui_model_rel(const struct tui_model *m, int64_t ts, char *buf, size_t size)
{
	int64_t d = ts - m->info.first_ts;

	snprintf(buf, size, "%s%lld.%06lld", d < 0 ? "-" : "+", (long long)(d < 0 ? -d : d) / 1000000000,
		 (long long)((d < 0 ? -d : d) % 1000000000) / 1000);
	return buf;
}

int64_t tui_model_time_abs(const struct tui_model *m, const struct tui_time *t)
{
	int64_t real, day;

	if (!t->wall)
		return m->info.first_ts + t->ns;
	if (!m->info.mono_to_real)
		return t->ns;
	/* a time of day on the first event's UTC date */
	real = m->info.first_ts + m->info.mono_to_real;
	day = real - real % (86400ll * 1000000000ll);
	return day + t->ns - m->info.mono_to_real;
}

int64_t tui_model_exec_of(struct tui_model *m, int64_t proc_id)
{
	int64_t exec_id = 0;
	sqlite3_stmt *s;

	if (tui_mem_need_db(m))
		return 0;
	if (sqlite3_prepare_v2(m->db, "SELECT exec_id FROM execs WHERE proc_id = ? ORDER BY "
				      "ts_ns LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, proc_id);
	exec_id = one_id(s);
	sqlite3_finalize(s);
	return exec_id ? tui_model_event_of(m, TK_EXEC, exec_id) : 0;
}
