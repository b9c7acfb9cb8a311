#!/bin/sh
# t_export_perfetto.sh - asanalyze export --perfetto on a real recording:
# asrecord traces two python SDK-style clients (tests/mock/llm_client.py
# --run: the model asks for a shell tool, the client runs it and sends the
# result) against the local TLS mock.  The trace must be valid Trace Event
# Format JSON whose slices nest per track (tests/tools/trace_check.py, the
# rules of Perfetto's JSON importer), with a process track per pid, LLM
# calls with their tokens and cost, tool calls with flows to the processes
# they spawned, execs, and no secret unless --no-redact.
# Perfetto's own trace_processor is a downloaded binary (no npm or Debian
# package), so the real consumer read here is TracerBench's trace model
# (npm @tracerbench/trace-model, tests/tools/trace_model.cjs), when npm is
# there; the checker adds the nesting rules of Perfetto's JSON importer.
. tests/lib.sh

T=$O/asanalyze
R=$O/asrecord
need_root
[ -x "$T" ] && [ -x "$R" ] || skip_all "build asrecord and asanalyze first (make)"
need_cmd python3
need_cmd openssl
M=tests/mock
CHK=tests/tools/trace_check.py

. $M/mock.sh
mock_start "$TMPD" 120 || skip_all "the mock did not start"
cat >"$TMPD/agent.sh" <<EOS
python3 $M/llm_client.py --port $PORT --cacert $CERT --api anthropic --stream --run --transcript $TMPD/t1.jsonl
python3 $M/llm_client.py --port $PORT --cacert $CERT --api chat --gzip --run --transcript $TMPD/t2.jsonl
/bin/true --key sk-ant-api03-ARGVFAKEKEY0123456789abcdefXYZ
cp /bin/true "$TMPD/$(printf 'tr\377ue')" && "$TMPD/$(printf 'tr\377ue')"
EOS
C=$TMPD/rec.pcapng.zst
check "asrecord records the agent" "$R" -q -w "$C" -- sh "$TMPD/agent.sh"
python3 -c "import urllib.request,ssl; c=ssl.create_default_context(cafile='$CERT'); \
urllib.request.urlopen('https://127.0.0.1:$PORT/quit', context=c).read()" 2>/dev/null
wait $MOCK

OUT=$TMPD/trace.json
check "export --perfetto exits 0" "$T" export -q --perfetto "$OUT" "$C"
check "the trace parses, slices nest per track, LLM and tool calls, execs and flows" \
	python3 $CHK "$OUT" --expect '^chat claude-sonnet-4'=2 --expect '^chat gpt-4o'=2 \
	--expect '^tool Bash$' --expect '^tool shell$' --expect '^exec ls$'=2 \
	--expect '^exec python3$'=2 --expect '^python3$'=2 --flows 2 \
	--expect '^exec tr.ue$' \
	--args '^chat =input_tokens,output_tokens,status,finish_reason,cost_usd,ttft_ms' \
	--args '^tool =id,arguments'
cat "$TMPD/check.out"
check "process tracks: real pids named 'comm pid' with argv" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = {e["pid"]: e["args"] for e in d["traceEvents"]
         if e["ph"] == "M" and e["name"] == "process_name"}
py = [(p, a) for p, a in names.items() if a["name"] == "python3 %d" % p and "llm_client.py" in a["argv"]]
calls = [e for e in d["traceEvents"] if e["ph"] == "X" and e["name"].startswith("chat ")]
ok = len(py) == 2 and all(c["pid"] in dict(py) and c["tid"] != c["pid"] for c in calls)
sys.exit(0 if ok else print(names, calls))
' "$OUT"
check "tool call slices start after their LLM call asked for them" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
X = [e for e in d["traceEvents"] if e["ph"] == "X"]
chat = {e["args"]["call"]: e for e in X if e["name"].startswith("chat ")}
tools = [e for e in X if e["name"].startswith("tool ")]
ok = tools and all(t["ts"] >= chat[t["args"]["call"]]["ts"] and t["pid"] == chat[t["args"]["call"]]["pid"]
                   for t in tools)
sys.exit(0 if ok else 1)
' "$OUT"
check "instants: the clients' connects to the mock and transcript writes" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
py = {e["pid"] for e in d["traceEvents"] if e["ph"] == "M" and e["name"] == "process_name"
      and e["args"]["name"].startswith("python3 ")}
I = [(e["pid"], e["name"]) for e in d["traceEvents"] if e["ph"] == "i"]
con = {p for p, n in I if n == "connect 127.0.0.1:" + sys.argv[2]}
wr = {p for p, n in I if n in ("write t1.jsonl", "write t2.jsonl")}
sys.exit(0 if con == py and wr == py and len(py) == 2 else print(py, I))
' "$OUT" "$PORT"
check "keys in argv redacted by default" sh -c "! grep -q ARGVFAKEKEY '$OUT'"
check "export --perfetto --no-redact keeps them" sh -c \
	"'$T' export -q --no-redact --perfetto - '$C' | grep -q ARGVFAKEKEY"

# a real Trace Event Format reader from npm
NPM_DIR=${ASIGHT_NPM_DIR:-$O/npm}
TM=$NPM_DIR/node_modules/@tracerbench/trace-model
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && [ ! -d "$TM" ]; then
	mkdir -p "$NPM_DIR"
	timeout 300 npm install --prefix "$NPM_DIR" --silent --no-audit --no-fund \
		@tracerbench/trace-model@8 >"$TMPD/npm.log" 2>&1
fi
if command -v node >/dev/null 2>&1 && [ -d "$TM" ]; then
	check "@tracerbench/trace-model reads it: processes, threads, slice parents" \
		env NODE_PATH="$NPM_DIR/node_modules" node tests/tools/trace_model.cjs "$OUT"
	cat "$TMPD/check.out"
else
	skip_one "@tracerbench/trace-model" "node, npm or the package not available"
fi

# the checker itself: a partial overlap on one track must fail
printf '%s\n' '{"displayTimeUnit":"ms","traceEvents":[' \
	'{"ph":"M","name":"process_name","pid":1,"tid":1,"ts":0,"args":{"name":"x 1"}},' \
	'{"ph":"X","name":"a","pid":1,"tid":1,"ts":0,"dur":10},' \
	'{"ph":"X","name":"b","pid":1,"tid":1,"ts":5,"dur":10}]}' >"$TMPD/bad.json"
check "trace_check rejects overlapping slices" sh -c "! python3 $CHK '$TMPD/bad.json'"
done_testing
