/* SPDX-License-Identifier: MIT */
/*
 * db_schema.c - the SQLite schema written by db_write() (asanalyze-schema(7)).
 * Times are CLOCK_MONOTONIC nanoseconds (*_ns); meta.mono_to_real_ns turns
 * them into Unix-epoch nanoseconds, which the views use for "time" columns.
 */
#include "db.h"

#define STR2(x) #x
#define STR(x) STR2(x)

static const char schema[] =
	"PRAGMA user_version = " STR(DB_SCHEMA_VERSION) ";\n"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);\n"
	"CREATE TABLE processes (proc_id INTEGER PRIMARY KEY, pid INTEGER, start_ns INTEGER,\n"
	"  parent_id INTEGER REFERENCES processes, exe TEXT, argv TEXT, cwd TEXT, uid INTEGER,\n"
	"  t_start_ns INTEGER, t_end_ns INTEGER, exit_status INTEGER, exit_code INTEGER,\n"
	"  signal INTEGER, from_snapshot INTEGER, threads INTEGER);\n"
	"CREATE TABLE execs (exec_id INTEGER PRIMARY KEY, proc_id INTEGER REFERENCES processes,\n"
	"  ts_ns INTEGER, filename TEXT, argv TEXT, cwd TEXT);\n"
	"CREATE TABLE files (file_id INTEGER PRIMARY KEY, ts_ns INTEGER,\n"
	"  proc_id INTEGER REFERENCES processes, tid INTEGER, op TEXT, ret INTEGER, fd INTEGER,\n"
	"  path TEXT, path2 TEXT, abs_path TEXT, flags INTEGER, mode INTEGER, count INTEGER);\n"
	"CREATE TABLE connections (conn_id INTEGER PRIMARY KEY, ts_ns INTEGER,\n"
	"  proc_id INTEGER REFERENCES processes, tid INTEGER, op TEXT, ret INTEGER, fd INTEGER,\n"
	"  family INTEGER, addr TEXT, port INTEGER);\n"
	"CREATE TABLE tls_connections (tls_id INTEGER PRIMARY KEY,\n"
	"  proc_id INTEGER REFERENCES processes, conn_id INTEGER REFERENCES connections,\n"
	"  fd INTEGER, ssl_ptr INTEGER, first_seq INTEGER, t_first_ns INTEGER,\n"
	"  t_last_ns INTEGER, sni TEXT, protocol TEXT, bytes_sent INTEGER,\n"
	"  bytes_received INTEGER, gap_bytes INTEGER);\n"
	"CREATE TABLE tls_chunks (chunk_id INTEGER PRIMARY KEY, ts_ns INTEGER, seq INTEGER,\n"
	"  tls_id INTEGER REFERENCES tls_connections, pid INTEGER, dir TEXT, len INTEGER,\n"
	"  data_off INTEGER, orig_len INTEGER, flags INTEGER);\n"
	"CREATE TABLE http_messages (http_id INTEGER PRIMARY KEY,\n"
	"  tls_id INTEGER REFERENCES tls_connections, method TEXT, target TEXT, status INTEGER,\n"
	"  req_headers TEXT, resp_headers TEXT, req_body TEXT, resp_body TEXT,\n"
	"  req_body_len INTEGER, resp_body_len INTEGER, content_encoding TEXT, sse INTEGER,\n"
	"  t_request_ns INTEGER, t_response_ns INTEGER, t_end_ns INTEGER, error TEXT);\n"
	"CREATE TABLE llm_calls (call_id INTEGER PRIMARY KEY,\n"
	"  http_id INTEGER REFERENCES http_messages, tls_id INTEGER REFERENCES tls_connections,\n"
	"  proc_id INTEGER REFERENCES processes, pid INTEGER, provider TEXT, api TEXT, host TEXT,\n"
	"  path TEXT, stream INTEGER, model_requested TEXT, model TEXT, response_id TEXT,\n"
	"  status INTEGER, system TEXT, response_text TEXT, thinking TEXT, finish_reason TEXT,\n"
	"  input_tokens INTEGER, output_tokens INTEGER, cache_read_tokens INTEGER,\n"
	"  cache_write_tokens INTEGER, cost_usd REAL, error_type TEXT, error_message TEXT,\n"
	"  analysis_error TEXT, t_request_ns INTEGER, t_first_token_ns INTEGER,\n"
	"  t_end_ns INTEGER, ttft_s REAL, duration_s REAL, tokens_per_s REAL, purpose TEXT,\n"
	"  transport TEXT, previous_response_id TEXT, inherited_messages INTEGER);\n"
	"CREATE TABLE messages (call_id INTEGER REFERENCES llm_calls, idx INTEGER, role TEXT,\n"
	"  text TEXT, PRIMARY KEY (call_id, idx));\n"
	"CREATE TABLE tool_calls (tool_call_pk INTEGER PRIMARY KEY,\n"
	"  call_id INTEGER REFERENCES llm_calls, idx INTEGER, tool_call_id TEXT, name TEXT,\n"
	"  arguments TEXT, command TEXT);\n"
	"CREATE TABLE tool_effects (effect_id INTEGER PRIMARY KEY,\n"
	"  call_id INTEGER REFERENCES llm_calls, tool_call_pk INTEGER REFERENCES tool_calls,\n"
	"  kind TEXT, how TEXT, ts_ns INTEGER, proc_id INTEGER REFERENCES processes,\n"
	"  file_id INTEGER REFERENCES files, conn_id INTEGER REFERENCES connections,\n"
	"  target TEXT);\n"
	"CREATE TABLE drops (drop_id INTEGER PRIMARY KEY, ts_ns INTEGER, kind TEXT,\n"
	"  count INTEGER, first_seq INTEGER, probe INTEGER, cpu INTEGER);\n";

static const char indexes[] =
	"CREATE INDEX processes_pid ON processes (pid);\n"
	"CREATE INDEX processes_parent ON processes (parent_id);\n"
	"CREATE INDEX processes_time ON processes (t_start_ns);\n"
	"CREATE INDEX execs_proc ON execs (proc_id);\n"
	"CREATE INDEX execs_time ON execs (ts_ns);\n"
	"CREATE INDEX files_time ON files (ts_ns);\n"
	"CREATE INDEX files_proc ON files (proc_id);\n"
	"CREATE INDEX files_path ON files (abs_path);\n"
	"CREATE INDEX connections_time ON connections (ts_ns);\n"
	"CREATE INDEX connections_proc ON connections (proc_id);\n"
	"CREATE INDEX tls_proc ON tls_connections (proc_id);\n"
	"CREATE INDEX tls_chunks_conn ON tls_chunks (tls_id, ts_ns);\n"
	"CREATE INDEX tls_chunks_time ON tls_chunks (ts_ns);\n"
	"CREATE INDEX http_conn ON http_messages (tls_id);\n"
	"CREATE INDEX http_time ON http_messages (t_request_ns);\n"
	"CREATE INDEX llm_time ON llm_calls (t_request_ns);\n"
	"CREATE INDEX llm_proc ON llm_calls (proc_id);\n"
	"CREATE INDEX llm_conn ON llm_calls (tls_id);\n"
	"CREATE INDEX tool_calls_call ON tool_calls (call_id);\n"
	"CREATE INDEX effects_call ON tool_effects (call_id);\n"
	"CREATE INDEX effects_tool ON tool_effects (tool_call_pk);\n"
	"CREATE INDEX effects_time ON tool_effects (ts_ns);\n"
	"CREATE INDEX drops_time ON drops (ts_ns);\n";

#define WALL(col) \
	"strftime('%Y-%m-%d %H:%M:%f', (" col " + (SELECT CAST(value AS INTEGER) FROM meta " \
	"WHERE key = 'mono_to_real_ns')) / 1e9, 'unixepoch')"

static const char views[] =
	"CREATE VIEW v_cost_per_model AS SELECT COALESCE(model, model_requested) AS model,\n"
	"  provider, COUNT(*) AS calls, SUM(input_tokens) AS input_tokens,\n"
	"  SUM(output_tokens) AS output_tokens, SUM(cache_read_tokens) AS cache_read_tokens,\n"
	"  SUM(cache_write_tokens) AS cache_write_tokens, ROUND(SUM(cost_usd), 6) AS cost_usd,\n"
	"  ROUND(AVG(ttft_s), 3) AS avg_ttft_s, ROUND(AVG(tokens_per_s), 1) AS avg_tokens_per_s\n"
	"  FROM llm_calls GROUP BY 1, 2 ORDER BY cost_usd DESC;\n"
	"CREATE VIEW v_commands AS SELECT " WALL("e.ts_ns") " AS time, e.ts_ns, p.pid,\n"
	"  p.proc_id, e.argv, e.cwd, p.exit_code, p.signal,\n"
	"  ROUND((p.t_end_ns - p.t_start_ns) / 1e9, 3) AS duration_s,\n"
	"  te.call_id, tc.name AS tool, tc.tool_call_id\n"
	"  FROM execs e JOIN processes p USING (proc_id)\n"
	"  LEFT JOIN tool_effects te ON te.kind = 'exec' AND te.proc_id = p.proc_id\n"
	"  LEFT JOIN tool_calls tc ON tc.tool_call_pk = te.tool_call_pk ORDER BY e.ts_ns;\n"
	"CREATE VIEW v_files_written AS SELECT " WALL("f.ts_ns") " AS time, f.ts_ns, f.op,\n"
	"  COALESCE(f.abs_path, f.path) AS path, f.path2, p.pid, p.argv\n"
	"  FROM files f JOIN processes p USING (proc_id)\n"
	"  WHERE f.op IN ('write', 'unlink', 'rename', 'mkdir', 'chmod', 'truncate')\n"
	"  OR (f.op = 'open' AND f.ret >= 0 AND (f.flags & 579) != 0) ORDER BY f.ts_ns;\n"
	"CREATE VIEW v_llm_timeline AS SELECT c.call_id, " WALL("c.t_request_ns") " AS time,\n"
	"  c.pid, c.provider, COALESCE(c.model, c.model_requested) AS model, c.status,\n"
	"  (SELECT text FROM messages m WHERE m.call_id = c.call_id ORDER BY idx DESC LIMIT 1)\n"
	"  AS last_message, substr(c.response_text, 1, 200) AS response,\n"
	"  (SELECT group_concat(name, ',') FROM tool_calls t WHERE t.call_id = c.call_id)\n"
	"  AS tools_called, c.input_tokens, c.output_tokens, c.cost_usd, c.ttft_s,\n"
	"  c.duration_s, COALESCE(c.analysis_error, c.error_type) AS problem\n"
	"  FROM llm_calls c ORDER BY c.t_request_ns;\n"
	"CREATE VIEW v_tool_effects AS SELECT tc.call_id, tc.name AS tool, tc.arguments,\n"
	"  te.kind, te.how, te.target, " WALL("te.ts_ns") " AS time, p.pid\n"
	"  FROM tool_effects te LEFT JOIN tool_calls tc USING (tool_call_pk)\n"
	"  LEFT JOIN processes p ON p.proc_id = te.proc_id ORDER BY te.ts_ns;\n"
	"CREATE VIEW v_errors AS SELECT 'llm' AS layer, call_id AS id, t_request_ns AS ts_ns,\n"
	"  COALESCE(error_type || ': ' || error_message, analysis_error) AS error\n"
	"  FROM llm_calls WHERE error_type IS NOT NULL OR analysis_error IS NOT NULL\n"
	"  UNION ALL SELECT 'http', http_id, t_request_ns, error FROM http_messages\n"
	"  WHERE error IS NOT NULL\n"
	"  UNION ALL SELECT 'drop', drop_id, ts_ns, kind || ': ' || count || ' records lost'\n"
	"  FROM drops ORDER BY ts_ns;\n";

const char *db_schema_sql(int part)
{
	static const char *const parts[] = { schema, indexes, views };

	return part >= 0 && part < 3 ? parts[part] : NULL;
}
