/* SPDX-License-Identifier: MIT */
/*
 * tui_fixture.h - a small analyzer database for the asreplay unit tests,
 * written with the analyzer's own schema (db_schema_sql): 3 processes,
 * @nfiles file events (1 ms apart), one LLM call with one tool call whose
 * effects are an exec and a file write, and a drop marker.  The replay
 * modules are compiled in (the makefile links unit tests with the two
 * libraries only).
 */
#ifndef AS_TESTS_TUI_FIXTURE_H
#define AS_TESTS_TUI_FIXTURE_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "analyze/db.h"

#define FX_T0 1000000000000ll

static int fx_exec(sqlite3 *d, const char *sql)
{
	return sqlite3_exec(d, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Write the fixture to a temporary file; returns its path (static buffer). */
static const char *fx_make(int nfiles)
{
	static char path[64];
	sqlite3 *d;
	sqlite3_stmt *s;
	int i, fd;

	snprintf(path, sizeof(path), "/tmp/t_tui.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	close(fd);
	unlink(path);
	if (sqlite3_open(path, &d) != SQLITE_OK)
		return NULL;
	fx_exec(d, "BEGIN");
	for (i = 0; db_schema_sql(i); i++)
		fx_exec(d, db_schema_sql(i));
	fx_exec(d, "INSERT INTO meta VALUES ('mono_to_real_ns', '1700000000000000000'),"
		   " ('hostname', 'host\x1b[31m')");
	fx_exec(d, "INSERT INTO processes (proc_id, pid, parent_id, exe, argv, t_start_ns,"
		   " t_end_ns, exit_code) VALUES (1, 100, NULL, '/bin/bash', 'bash', 1000000000000,"
		   " NULL, NULL), (2, 200, 1, '/usr/bin/python3', 'python3 agent.py', 1000000000000,"
		   " 1000900000000, 0), (3, 201, 2, '/bin/sh', 'sh -c ls', 1000500000000,"
		   " 1000600000000, 2)");
	fx_exec(d, "INSERT INTO execs VALUES (1, 3, 1000500000001, '/bin/sh', 'sh -c ls', '/')");
	fx_exec(d, "INSERT INTO llm_calls (call_id, proc_id, pid, provider, api, model, status,"
		   " system, response_text, input_tokens, output_tokens, cost_usd, t_request_ns,"
		   " t_end_ns, ttft_s) VALUES (1, 2, 200, 'anthropic', 'messages', 'claude-x', 200,"
		   " 'be careful', 'Let me run ls', 10, 5, 0.001, 1000100000000, 1000400000000, 0.2)");
	fx_exec(d, "INSERT INTO messages VALUES (1, 0, 'user', 'list files')");
	fx_exec(d, "INSERT INTO tool_calls VALUES (1, 1, 0, 'toolu_1', 'Bash', '{}', 'ls')");
	fx_exec(d, "INSERT INTO drops VALUES (1, 1000700000000, 'ring', 3, 99, 0, 0)");
	sqlite3_prepare_v2(d, "INSERT INTO files (file_id, ts_ns, proc_id, op, ret, path)"
			      " VALUES (?, ?, 3, 'write', 20, ?)", -1, &s, NULL);
	for (i = 1; i <= nfiles; i++) {
		char p[64];

		snprintf(p, sizeof(p), i == 7 ? "/tmp/needle-%d" : "/tmp/f-%d", i);
		sqlite3_bind_int(s, 1, i);
		sqlite3_bind_int64(s, 2, 1000500000000ll + 1000000ll * i);
		sqlite3_bind_text(s, 3, p, -1, SQLITE_TRANSIENT);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	fx_exec(d, "INSERT INTO tool_effects VALUES (1, 1, 1, 'exec', 'command', 1000500000001,"
		   " 3, NULL, NULL, 'sh -c ls'), (2, 1, 1, 'file_write', 'subtree', 1000501000000,"
		   " 3, 1, NULL, '/tmp/f-1')");
	fx_exec(d, "COMMIT");
	sqlite3_close(d);
	return path;
}

#endif
