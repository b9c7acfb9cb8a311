-- reviewer-queries.sql - ad-hoc questions a reviewer asks of an agent
-- session, against `asanalyze export --sqlite session.db capture.pcapng.zst`.
-- Run all:  sqlite3 -header -column session.db < reviewer-queries.sql
-- The schema and views are described in asanalyze-schema(7).
-- tests/e2e/t_analyze_llm_mock.sh runs every query and checks its answer.

-- Q1: what did the session cost, per model?
SELECT model, provider, calls, input_tokens, output_tokens, cache_read_tokens, cost_usd
FROM v_cost_per_model;

-- Q2: every command the agent ran, with its exit code and the tool call behind it
SELECT time, pid, argv, exit_code, tool, tool_call_id
FROM v_commands WHERE argv NOT LIKE '%agent.py%';

-- Q3: files written after a given prompt (here: the first prompt mentioning "List the files")
SELECT time, op, path, pid
FROM v_files_written
WHERE ts_ns >= (SELECT c.t_request_ns FROM llm_calls c JOIN messages m USING (call_id)
                WHERE m.role = 'user' AND m.text LIKE '%List the files%'
                ORDER BY c.t_request_ns LIMIT 1);

-- Q4: what each tool call did (processes, files, connections)
SELECT call_id, tool, arguments, kind, how, target
FROM v_tool_effects ORDER BY call_id, time;

-- Q5: the slowest calls, with time to first token and generation speed
SELECT call_id, model, stream, ttft_s, duration_s, tokens_per_s, output_tokens
FROM llm_calls WHERE status = 200 ORDER BY duration_s DESC LIMIT 5;

-- Q6: everything that went wrong: API errors, broken HTTP, lost records
SELECT layer, id, error FROM v_errors;

-- Q7: which hosts did the agent's TLS connections go to, and how much was said
SELECT p.pid, t.sni, c.addr, c.port, t.protocol, t.bytes_sent, t.bytes_received
FROM tls_connections t JOIN processes p USING (proc_id)
LEFT JOIN connections c ON c.conn_id = t.conn_id;
