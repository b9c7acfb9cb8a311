#!/bin/sh
# t_replay_events.sh - the timeline table asreplay builds from the
# in-memory model while caching a capture (replay/tui_events.c) holds
# exactly the rows the SQL of replay/tui_model.c builds from the exported
# database: same ids, times, kinds, references, processes and texts
# (redacted or not, escape sequences and invalid UTF-8 cut by substr, cost
# and TTFT through SQLite's printf), on a recorded-style agent session, a
# hostile one and a mixed synthetic capture.
. tests/lib.sh
. tests/e2e/replay_lib.sh
need_cmd sqlite3
[ -x "$O/tests/mkcap" ] || skip_all "build mkcap first (make)"

# $1 capture, $2 label, then asreplay options: the cache's rp_events against
# the SQL's on a copy of the same database without them
same_as_sql() {
	c=$1
	label=$2
	shift 2
	rm -f "$c.db"
	"$R" --print -q "$@" "$c" >"$TMPD/p1.txt" 2>"$TMPD/err"
	check "$label: cache built" [ -s "$c.db" ]
	check "$label: no scratch file left" [ ! -e "$c.db.part-rp" ]
	cp "$c.db" "$TMPD/sql.db"
	sqlite3 "$TMPD/sql.db" "DROP TABLE rp_events; DELETE FROM rp_meta WHERE key = 'version';"
	"$R" --print -q "$TMPD/sql.db" >"$TMPD/p2.txt" 2>>"$TMPD/err"
	q="SELECT id, ts, kind, ref, quote(proc_id), quote(pid), quote(text) FROM rp_events ORDER BY id"
	sqlite3 "$c.db" "$q" >"$TMPD/e1.txt"
	sqlite3 "$TMPD/sql.db" "$q" >"$TMPD/e2.txt"
	check "$label: events present ($(wc -l <"$TMPD/e1.txt"))" [ -s "$TMPD/e1.txt" ]
	check "$label: rp_events identical to the SQL's" cmp "$TMPD/e1.txt" "$TMPD/e2.txt"
	check "$label: --print identical" cmp "$TMPD/p1.txt" "$TMPD/p2.txt"
	check "$label: indexes there" [ "$(sqlite3 "$c.db" "SELECT count(*) FROM sqlite_master \
		WHERE name IN ('rp_events_ts', 'rp_events_ref')")" = 2 ]
	check "$label: version recorded" [ "$(sqlite3 "$c.db" "SELECT value FROM rp_meta \
		WHERE key = 'version'")" = 2 ]
}

# secrets where the timeline shows them (tool command, exec argv, response
# text), long multi-byte text cut by substr, and an API error
secret_cap() {
	python3 - "$TMPD/secret.jsonl" <<'PY'
import json, sys
KEY = "sk-ant-api03-" + "Q" * 40
def req(text):
    body = json.dumps({"model": "claude-sonnet-4-20250514", "max_tokens": 100,
                       "messages": [{"role": "user", "content": text}]}).encode()
    return (b"POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
def resp(obj, status=b"200 OK"):
    body = json.dumps(obj).encode()
    return (b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
cmd = "curl -H 'x-api-key: " + KEY + "' https://example.com/" + "\u00e9\u4e2d" * 200
text = "Using " + KEY + " now: " + "\u00e9\u4e2d\U0001f600" * 150
use = {"type": "tool_use", "id": "toolu_s1", "name": "Bash", "input": {"command": cmd}}
ok = {"id": "msg_s", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
      "content": [{"type": "text", "text": text}, use], "stop_reason": "tool_use",
      "usage": {"input_tokens": 7, "output_tokens": 3}}
err = {"type": "error", "error": {"type": "overloaded_error", "message": "busy " + KEY}}
ev = [
    {"ev": "connect", "conn": 1, "port": 443, "t": 1000000},
    {"ev": "w", "conn": 1, "hex": req("go").hex(), "t": 2000000},
    {"ev": "r", "conn": 1, "hex": resp(ok).hex(), "t": 300000000},
    {"ev": "exec", "argv": ["/usr/bin/curl", "--token=" + KEY, "\u00e9" * 400],
     "cwd": "/tmp", "t": 310000000},
    {"ev": "w", "conn": 1, "hex": req("again").hex(), "t": 900000000},
    {"ev": "r", "conn": 1, "hex": resp(err, b"529 Overloaded").hex(), "t": 1500000000},
]
with open(sys.argv[1], "w") as f:
    for e in ev:
        f.write(json.dumps(e) + "\n")
PY
	"$MKLLM" "$1" "$TMPD/secret.jsonl" >/dev/null
}

A=$TMPD/agent.pcapng.zst
check "make an agent capture" replay_agent_cap "$A"
same_as_sql "$A" agent

S=$TMPD/secret.pcapng.zst
check "make a capture with secrets" secret_cap "$S"
same_as_sql "$S" secrets
check_grep "secrets: redacted in the timeline" "REDACTED" "$TMPD/e1.txt"
check "secrets: no key in the timeline" sh -c "! grep -q QQQQQQQQQQ '$TMPD/e1.txt'"
same_as_sql "$S" "secrets --no-redact" --no-redact
check_grep "secrets --no-redact: the key is kept" "QQQQQQQQQQ" "$TMPD/e1.txt"
check_grep "secrets: the API error shown" "overloaded_error" "$TMPD/e1.txt"

H=$TMPD/evil.pcapng.zst
check "make a hostile capture" replay_agent_cap "$H" hostile
same_as_sql "$H" hostile

M=$TMPD/mixed.pcapng.zst
check "make a mixed capture" sh -c "'$O/tests/mkcap' '$M' --records 30000 >/dev/null"
same_as_sql "$M" mixed

# sockets as asrecord records them: closes of socket fds (no path), a bind
# to port 0, an accepted unix client without a name
if [ "$(id -u)" = 0 ] && [ -x "$O/asrecord" ]; then
	N=$TMPD/net.pcapng.zst
	mkdir -p "$TMPD/nw"
	B=$(cd "$O" && pwd)
	W=$(pwd)/tests/e2e/rec_netfiles.py
	check "record a socket workload" sh -c "cd '$TMPD/nw' &&
		'$B/asrecord' -q -w '$N' -- python3 '$W' '$TMPD/nw/out.json'"
	same_as_sql "$N" sockets
	check_grep "sockets: a socket's close names its fd" "close fd [0-9]+ \\(socket( [^)]+)?\\)" \
		"$TMPD/e1.txt"
	# a close is a row of connections with the socket's peer (model.c FD_SOCK)
	check_grep "sockets: a connected TCP socket's close shows its peer" \
		"close fd [0-9]+ \\(socket 127\\.0\\.0\\.1:[1-9][0-9]*\\) = 0" "$TMPD/e1.txt"
	check_grep "sockets: a unix client's close shows its peer" \
		"close fd [0-9]+ \\(socket nf_unix\\.sock\\) = 0" "$TMPD/e1.txt"
	check_grep "sockets: a bind to port 0 shows it" "bind 127\\.0\\.0\\.1:0 = 0" "$TMPD/e1.txt"
	check_grep "sockets: an unnamed unix client" "accept \\(unnamed\\) = " "$TMPD/e1.txt"
else
	skip_one "sockets" "recording needs root and asrecord"
fi

done_testing
