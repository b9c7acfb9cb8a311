/* SPDX-License-Identifier: MIT */
/*
 * tui_model_q.c - detail queries of the model: all fields of an event and
 * its related rows, TLS bytes read back from the capture, the process
 * list, the LLM call list and call transcripts (see tui_model.h).
 */
#include "tui_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/cap_reader.h"
#include "tui_model_priv.h"

struct kind_table {
	const char *table, *pk;
};

static const struct kind_table kind_tables[TK_COUNT] = {
	[TK_LLM] = { "llm_calls", "call_id" },       [TK_TOOL] = { "tool_calls", "tool_call_pk" },
	[TK_EXEC] = { "execs", "exec_id" },          [TK_EXIT] = { "processes", "proc_id" },
	[TK_FILE] = { "files", "file_id" },          [TK_NET] = { "connections", "conn_id" },
	[TK_TLS] = { "tls_chunks", "chunk_id" },     [TK_DROP] = { "drops", "drop_id" },
};

/* Every column of the rows of @sql (one int64 parameter) as fields. */
static int row_fields(struct tui_model *m, const char *section, const char *sql, int64_t key,
		      tui_field_fn fn, void *ctx)
{
	sqlite3_stmt *s;
	int i, n = 0;

	if (sqlite3_prepare_v2(m->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, key);
	while (sqlite3_step(s) == SQLITE_ROW && n++ < 200) {
		for (i = 0; i < sqlite3_column_count(s); i++) {
			const void *v = sqlite3_column_type(s, i) == SQLITE_BLOB ?
						sqlite3_column_blob(s, i) :
						(const void *)sqlite3_column_text(s, i);

			fn(ctx, section, sqlite3_column_name(s, i), v,
			   (size_t)sqlite3_column_bytes(s, i));
		}
	}
	sqlite3_finalize(s);
	return 0;
}

int tui_model_fields(struct tui_model *m, const struct tui_event *ev, tui_field_fn fn, void *ctx)
{
	const struct kind_table *t;
	char sql[256];
	int rc;

	if (ev->kind <= 0 || ev->kind >= TK_COUNT)
		return -EINVAL;
	if (tui_mem_need_db(m))
		return -EAGAIN;
	t = &kind_tables[ev->kind];
	snprintf(sql, sizeof(sql), "SELECT * FROM %s WHERE %s = ?", t->table, t->pk);
	rc = row_fields(m, tui_kind_name(ev->kind), sql, ev->ref, fn, ctx);
	if (!rc && ev->kind == TK_LLM)
		rc = row_fields(m, "http", "SELECT h.* FROM http_messages h JOIN llm_calls c "
					   "USING (http_id) WHERE c.call_id = ?", ev->ref, fn, ctx);
	if (!rc && ev->kind == TK_TOOL)
		rc = row_fields(m, "effect", "SELECT kind, how, ts_ns, proc_id, file_id, conn_id, "
					     "target FROM tool_effects WHERE tool_call_pk = ? "
					     "ORDER BY ts_ns", ev->ref, fn, ctx);
	if (!rc && ev->kind == TK_TLS)
		rc = row_fields(m, "tls connection", "SELECT t.* FROM tls_connections t JOIN "
						     "tls_chunks k USING (tls_id) WHERE "
						     "k.chunk_id = ?", ev->ref, fn, ctx);
	if (!rc && ev->proc_id && ev->kind != TK_EXIT)
		rc = row_fields(m, "process", "SELECT * FROM processes WHERE proc_id = ?",
				ev->proc_id, fn, ctx);
	return rc;
}

/* The capture files: rp_meta sources, else the database path minus ".db". */
static int sources(struct tui_model *m, char **allp, char ***paths, size_t *n)
{
	sqlite3_stmt *s;
	char *all = NULL, *p, *nl, **v;
	size_t len;

	*n = 0;
	if (sqlite3_prepare_v2(m->db, "SELECT value FROM rp_meta WHERE key = 'sources'", -1, &s,
			       NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
			all = strdup((const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	len = strlen(m->info.path);
	if (!all && len > 3 && !strcmp(m->info.path + len - 3, ".db"))
		all = strndup(m->info.path, len - 3);
	if (!all)
		return -ENOENT;
	v = calloc(strlen(all) + 2, sizeof(*v));
	if (!v) {
		free(all);
		return -ENOMEM;
	}
	for (p = all; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p) - 1;
		else
			*nl = 0;
		if (*p && !access(p, R_OK))
			v[(*n)++] = p;
	}
	if (!*n) {
		free(v);
		free(all);
		return -ENOENT;
	}
	*paths = v; /* v[i] point into *allp */
	*allp = all;
	return 0;
}

struct chunk_key {
	int64_t ts, seq, data_off, pid;
};

static int chunk_key(struct tui_model *m, int64_t chunk_id, struct chunk_key *k)
{
	sqlite3_stmt *s;
	int rc = -ENOENT;

	if (sqlite3_prepare_v2(m->db, "SELECT ts_ns, seq, data_off, pid FROM tls_chunks WHERE "
				      "chunk_id = ?", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, chunk_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		k->ts = sqlite3_column_int64(s, 0);
		k->seq = sqlite3_column_int64(s, 1);
		k->data_off = sqlite3_column_int64(s, 2);
		k->pid = sqlite3_column_int64(s, 3);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Scan from a seek point for the record; the capture is in file order, so
 * stop a little past its time (records reach the writer out of order). */
static int find_record(struct cap_reader *r, const struct chunk_key *k, uint8_t **buf,
		       size_t *len)
{
	struct cap_rec rec;
	uint64_t scanned = 0;
	int rc;

	cap_reader_seek_ts(r, k->ts > 2000000000ll ? (uint64_t)k->ts - 2000000000ull : 0);
	while ((rc = cap_reader_next(r, &rec)) > 0 && scanned++ < 4000000) {
		if (rec.hdr.ts_ns > (uint64_t)k->ts + 10000000000ull)
			break;
		if (rec.hdr.type != CAP_REC_TLS || rec.hdr.seq != (uint64_t)k->seq ||
		    rec.hdr.data_off != (uint64_t)k->data_off || rec.hdr.pid != (uint64_t)k->pid)
			continue;
		*buf = malloc(rec.data_len ? rec.data_len : 1);
		if (!*buf)
			return -ENOMEM;
		memcpy(*buf, rec.data, rec.data_len);
		*len = rec.data_len;
		return 0;
	}
	return rc < 0 ? rc : -ENOENT;
}

int tui_model_raw(struct tui_model *m, const struct tui_event *ev, uint8_t **buf, size_t *len,
		  char *msg, size_t msg_size)
{
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct chunk_key k;
	struct cap_err err;
	char **paths, *all;
	size_t n;
	int rc;

	*buf = NULL;
	*len = 0;
	if (tui_mem_need_db(m)) {
		snprintf(msg, msg_size, "the cache is not written yet");
		return -EAGAIN;
	}
	if (ev->kind != TK_TLS || chunk_key(m, ev->ref, &k))
		return -ENOENT;
	rc = sources(m, &all, &paths, &n);
	if (rc) {
		snprintf(msg, msg_size, "capture file not found: open the capture, not the .db");
		return rc;
	}
	cap_reader_opts_init(&o);
	o.order = CAP_READ_FILE;
	rc = cap_reader_open((const char *const *)paths, n, &o, &r, &err);
	if (!rc) {
		rc = find_record(r, &k, buf, len);
		cap_reader_close(r);
	}
	if (rc)
		snprintf(msg, msg_size, "'%s': %s", paths[0],
			 rc == -ENOENT ? "record not found in the capture" : strerror(-rc));
	free(all);
	free(paths);
	return rc;
}

static void col_str(sqlite3_stmt *s, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

/* Grow *v (of @elem bytes) to hold one more; returns the new slot or NULL. */
static void *grow(void **v, size_t *n, size_t *cap, size_t elem)
{
	void *p;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;

		p = realloc(*v, c * elem);
		if (!p)
			return NULL;
		*v = p;
		*cap = c;
	}
	p = (char *)*v + (*n)++ * elem;
	memset(p, 0, elem);
	return p;
}

int tui_model_procs(struct tui_model *m, struct tui_proc **v, size_t *n)
{
	sqlite3_stmt *s;
	struct tui_proc *p;
	size_t cap = 0;
	int rc = 0;

	*v = NULL;
	*n = 0;
	if (tui_mem_need_db(m))
		return -EAGAIN;
	if (sqlite3_prepare_v2(m->db, "SELECT proc_id, COALESCE(parent_id, 0), pid, t_start_ns, "
				      "t_end_ns, exit_code, signal, exe, argv FROM processes "
				      "ORDER BY proc_id", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	while (sqlite3_step(s) == SQLITE_ROW) {
		p = grow((void **)v, n, &cap, sizeof(*p));
		if (!p) {
			rc = -ENOMEM;
			break;
		}
		p->id = sqlite3_column_int64(s, 0);
		p->parent = sqlite3_column_int64(s, 1);
		p->pid = (long)sqlite3_column_int64(s, 2);
		p->t_start = sqlite3_column_int64(s, 3);
		p->t_end = sqlite3_column_int64(s, 4);
		p->has_exit = sqlite3_column_type(s, 4) != SQLITE_NULL;
		p->exit_code = sqlite3_column_int(s, 5);
		p->signal = sqlite3_column_int(s, 6);
		tui_model_comm(sqlite3_column_text(s, 7), p->comm, sizeof(p->comm));
		col_str(s, 8, p->argv, sizeof(p->argv));
	}
	sqlite3_finalize(s);
	return rc;
}

int tui_model_calls(struct tui_model *m, struct tui_call **v, size_t *n)
{
	sqlite3_stmt *s;
	struct tui_call *c;
	size_t cap = 0;
	int rc = 0;

	*v = NULL;
	*n = 0;
	if (tui_mem_need_db(m))
		return -EAGAIN;
	if (sqlite3_prepare_v2(m->db, "SELECT c.call_id, c.t_request_ns, COALESCE(c.proc_id, 0), "
				      "c.pid, COALESCE(c.status, 0), c.input_tokens, "
				      "c.output_tokens, c.cost_usd, c.ttft_s, c.duration_s, "
				      "COALESCE(c.model, c.model_requested, c.provider), "
				      "COALESCE(c.error_type, c.analysis_error), (SELECT count(*) "
				      "FROM tool_calls t WHERE t.call_id = c.call_id), "
				      "COALESCE(c.purpose, 'turn') FROM "
				      "llm_calls c ORDER BY c.t_request_ns, c.call_id", -1, &s,
			       NULL) != SQLITE_OK)
		return -EIO;
	while (sqlite3_step(s) == SQLITE_ROW) {
		c = grow((void **)v, n, &cap, sizeof(*c));
		if (!c) {
			rc = -ENOMEM;
			break;
		}
		c->id = sqlite3_column_int64(s, 0);
		c->ts = sqlite3_column_int64(s, 1);
		c->proc_id = sqlite3_column_int64(s, 2);
		c->pid = (long)sqlite3_column_int64(s, 3);
		c->status = sqlite3_column_int(s, 4);
		c->in_tok = sqlite3_column_int64(s, 5);
		c->out_tok = sqlite3_column_int64(s, 6);
		c->cost = sqlite3_column_double(s, 7);
		c->ttft = sqlite3_column_double(s, 8);
		c->duration = sqlite3_column_double(s, 9);
		col_str(s, 10, c->model, sizeof(c->model));
		col_str(s, 11, c->problem, sizeof(c->problem));
		c->ntools = sqlite3_column_int(s, 12);
		col_str(s, 13, c->purpose, sizeof(c->purpose));
	}
	sqlite3_finalize(s);
	return rc;
}

static void item(sqlite3_stmt *s, int type, int64_t id, const char *label, int col,
		 tui_item_fn fn, void *ctx)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	if (t)
		fn(ctx, type, id, label, (const char *)t, (size_t)sqlite3_column_bytes(s, col));
}

static const char *coltext(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

static void emit_fmt(tui_item_fn fn, void *ctx, int type, int64_t id, const char *label,
		     const char *text)
{
	fn(ctx, type, id, label, text, strlen(text));
}

static void call_head(sqlite3_stmt *s, int64_t call_id, tui_item_fn fn, void *ctx)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "call %lld  %s  %s %s  https://%s%s  status %d",
		 (long long)call_id, coltext(s, 0), coltext(s, 1), coltext(s, 2), coltext(s, 3),
		 coltext(s, 4), sqlite3_column_int(s, 5));
	emit_fmt(fn, ctx, TI_HEADER, call_id, "call", buf);
	item(s, TI_SYSTEM, 0, "system", 6, fn, ctx);
}

static void call_tail(sqlite3_stmt *s, tui_item_fn fn, void *ctx)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "finish %s  tokens in %lld out %lld cache read %lld write %lld"
		 "  cost $%.6f  ttft %.3fs  duration %.3fs  %.1f tok/s",
		 coltext(s, 9), sqlite3_column_int64(s, 10), sqlite3_column_int64(s, 11),
		 sqlite3_column_int64(s, 12), sqlite3_column_int64(s, 13),
		 sqlite3_column_double(s, 14), sqlite3_column_double(s, 15),
		 sqlite3_column_double(s, 16), sqlite3_column_double(s, 17));
	emit_fmt(fn, ctx, TI_USAGE, 0, "usage", buf);
	item(s, TI_ERROR, 0, "api error", 18, fn, ctx);
	item(s, TI_ERROR, 0, "analysis error", 19, fn, ctx);
}

static int messages(struct tui_model *m, int64_t call_id, tui_item_fn fn, void *ctx)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(m->db, "SELECT role, text FROM messages WHERE call_id = ? "
				      "ORDER BY idx LIMIT 10000", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, call_id);
	while (sqlite3_step(s) == SQLITE_ROW)
		item(s, TI_MESSAGE, 0, coltext(s, 0), 1, fn, ctx);
	sqlite3_finalize(s);
	return 0;
}

static int tools(struct tui_model *m, int64_t call_id, tui_item_fn fn, void *ctx)
{
	sqlite3_stmt *s;
	char label[64];
	int64_t pk, ev;

	if (sqlite3_prepare_v2(m->db, "SELECT t.tool_call_pk, t.name, t.tool_call_id, "
				      "t.arguments, e.kind, e.target, e.proc_id, e.file_id, "
				      "e.conn_id FROM tool_calls t LEFT JOIN tool_effects e USING "
				      "(tool_call_pk) WHERE t.call_id = ? ORDER BY t.idx, e.ts_ns",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, call_id);
	for (pk = 0; sqlite3_step(s) == SQLITE_ROW;) {
		if (sqlite3_column_int64(s, 0) != pk) {
			pk = sqlite3_column_int64(s, 0);
			snprintf(label, sizeof(label), "%s %s", coltext(s, 1), coltext(s, 2));
			item(s, TI_TOOL_CALL, pk, label, 3, fn, ctx);
		}
		if (sqlite3_column_type(s, 4) == SQLITE_NULL)
			continue;
		if (sqlite3_column_type(s, 7) != SQLITE_NULL)
			ev = tui_model_event_of(m, TK_FILE, sqlite3_column_int64(s, 7));
		else if (sqlite3_column_type(s, 8) != SQLITE_NULL)
			ev = tui_model_event_of(m, TK_NET, sqlite3_column_int64(s, 8));
		else
			ev = 0;
		if (!ev && sqlite3_column_type(s, 6) != SQLITE_NULL)
			ev = tui_model_exec_of(m, sqlite3_column_int64(s, 6));
		item(s, TI_EFFECT, ev, coltext(s, 4), 5, fn, ctx);
	}
	sqlite3_finalize(s);
	return 0;
}

int tui_model_transcript(struct tui_model *m, int64_t call_id, tui_item_fn fn, void *ctx)
{
	sqlite3_stmt *s;
	int rc = -ENOENT;

	if (tui_mem_need_db(m))
		return -EAGAIN;
	if (sqlite3_prepare_v2(m->db, "SELECT COALESCE(model, model_requested, '?'), provider, "
				      "api, host, path, status, system, thinking, response_text, "
				      "finish_reason, input_tokens, output_tokens, "
				      "cache_read_tokens, cache_write_tokens, cost_usd, ttft_s, "
				      "duration_s, tokens_per_s, error_type || ': ' || "
				      "COALESCE(error_message, ''), analysis_error FROM llm_calls "
				      "WHERE call_id = ?", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, call_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		call_head(s, call_id, fn, ctx);
		rc = messages(m, call_id, fn, ctx);
		item(s, TI_THINKING, 0, "thinking", 7, fn, ctx);
		item(s, TI_RESPONSE, 0, "response", 8, fn, ctx);
		if (!rc)
			rc = tools(m, call_id, fn, ctx);
		call_tail(s, fn, ctx);
	}
	sqlite3_finalize(s);
	return rc;
}

int64_t tui_model_call_of_tool(struct tui_model *m, int64_t tool_pk)
{
	sqlite3_stmt *s;
	int64_t id = 0;

	if (tui_mem_need_db(m))
		return 0;
	if (sqlite3_prepare_v2(m->db, "SELECT call_id FROM tool_calls WHERE tool_call_pk = ?", -1,
			       &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, tool_pk);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return id;
}
