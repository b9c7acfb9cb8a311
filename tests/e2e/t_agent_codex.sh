#!/bin/sh
# t_agent_codex.sh - the real Codex CLI (@openai/codex from npm: a node
# wrapper around a stripped static-pie Rust binary, rustls on aws-lc) under
# asrecord, against the local TLS mock with tests/mock/profile_codex.py:
# `codex exec` gets a turn answered with a call of its shell tool that
# writes a file, runs it through `bash -lc`, and sends the output back.
# asrecord must find aws-lc's AEAD functions in the binary by itself (no
# flag names the library, the binary or an offset), say so in TARGET
# records, and reuse its discovery cache on the next run; asanalyze must
# rebuild both calls field by field, redact the key and tie the shell to
# the tool call.  Both pinned versions (CUR, OLD) are recorded over HTTP
# and SSE (what codex uses for a custom provider), CUR twice (the second
# run's discovery comes from the cache), CUR once more over the
# Responses-over-WebSocket transport it uses for OpenAI's own provider, and
# CUR by attaching (-p) to an already running codex.
. tests/lib.sh
. tests/agents/install.sh

T=$O/asanalyze
R=$O/asrecord
case $R in /*) ;; *) R=$(pwd)/$R ;; esac # run from the work directory
need_root
[ -x "$T" ] && [ -x "$R" ] || skip_all "build asrecord and asanalyze first (make)"
need_cmd python3
need_cmd openssl
need_cmd node
agent_install "$CODEX_PKG" "$CODEX_CUR" || skip_all "codex $CODEX_CUR: $AGENT_WHY"
CUR_BIN=$AGENT_BIN/codex
OLD_BIN=
if agent_install "$CODEX_PKG" "$CODEX_OLD"; then
	OLD_BIN=$AGENT_BIN/codex
else
	OLD_WHY=$AGENT_WHY
fi
KEY=sk-proj-FAKEKEYFORCODEXTESTS0123456789
# a cache of our own: the first run scans, the second must not
export ASIGHT_CACHE_DIR=$TMPD/disc
. tests/mock/mock.sh

# codex_env DIR PORT [WS [RETRIES]]: CODEX_HOME with the mock as the
# provider (HTTP and SSE: a custom provider does not use the WebSocket
# transport unless supports_websockets is set, WS=true), no approval
# prompts, no sandbox, RETRIES retries of a failed request (0 unless told)
codex_env() {
	mkdir -p "$1/codex" "$1/home" "$1/work" "$1/out"
	cat >"$1/codex/config.toml" <<EOS
model = "gpt-5-codex"
model_provider = "mock"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false

[model_providers.mock]
name = "asight mock"
base_url = "https://127.0.0.1:$2/v1"
env_key = "ASIGHT_CODEX_KEY"
wire_api = "responses"
request_max_retries = ${4:-0}
stream_max_retries = 0
supports_websockets = ${3:-false}
EOS
}

# compare what the mock served (its log) with `conversations --json`:
# served.jsonl calls.jsonl
compare() {
	python3 - "$@" <<'EOF'
import json, os, sys
sys.path.insert(0, os.environ["AGENTS_PY"])
from calls import compare
exp, act, bad = compare(sys.argv[1], sys.argv[2],
                        fields=("purpose", "model", "stream", "status", "text", "finish_reason"),
                        fixed={"stream": True, "status": 200, "finish_reason": "completed"})
if len(exp) < 2:
    bad.append("%d calls served, 2 or more expected" % len(exp))
for i, (e, a) in enumerate(zip(exp, act)):
    def want(field, x, y):
        if x != y:
            bad.append("call %d: %s: expected %r, got %r" % (i + 1, field, x, y))
    want("api", "responses", a["api"])
    want("tools offered", e["tools_offered"], a["tools"])
    # the system prompt: `instructions`, or codex's first developer message
    sysmsg = a["system"] or next((m["text"] for m in a["messages"]
                                  if m["role"] in ("developer", "system")), "")
    if "Codex" not in sysmsg:
        bad.append("call %d: no Codex system prompt" % (i + 1))
    users = [m["text"] for m in a["messages"] if m["role"] == "user"]
    if e["user_prompt"] not in users:
        bad.append("call %d: user prompt %r not among %r" % (i + 1, e["user_prompt"], users))
    if e["tool_output"]:
        outs = [m["text"] for m in a["messages"] if m["role"] == "tool"]
        if not any(e["tool_output"].strip() in o for o in outs):
            bad.append("call %d: tool output %r not sent back in %r" %
                       (i + 1, e["tool_output"], outs))
        asked = [m["text"] for m in a["messages"] if m["role"] == "assistant"]
        if not any("[tool_call " in t and "codex-out.txt" in t for t in asked):
            bad.append("call %d: the earlier tool call is not in the history" % (i + 1))
print("\n".join(bad) or "%d calls match" % len(exp))
sys.exit(1 if bad else 0)
EOF
}

# compare_ws served.jsonl calls.jsonl: the Responses API over WebSocket
# (the pre-warm "generate": false is a side call; input is incremental)
compare_ws() {
	python3 - "$@" <<'EOF'
import json, sys
exp = [json.loads(l) for l in open(sys.argv[1]) if '"api"' in l]
act = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
bad = []
if len(exp) != len(act) or len(exp) < 2:
    bad.append("%d calls served, %d found" % (len(exp), len(act)))
for i, (e, a) in enumerate(zip(exp, act)):
    for k in ("purpose", "text", "input_tokens", "output_tokens", "cache_read_tokens"):
        if e[k] != a[k]:
            bad.append("call %d: %s: expected %r, got %r" % (i + 1, k, e[k], a[k]))
    if a["transport"] != "websocket" or a["analysis_error"]:
        bad.append("call %d: transport %r, error %r" % (i + 1, a["transport"],
                                                        a["analysis_error"]))
    w = [(t["id"], t["name"], t["args"]) for t in e["tool_calls"]]
    g = [(t["id"], t["name"], json.loads(t["arguments"])) for t in a["tool_calls"]]
    if w != g:
        bad.append("call %d: tool calls: expected %r, got %r" % (i + 1, w, g))
res = [m["text"] for m in act[-1]["messages"] if m["role"] == "tool"] if act else []
if not res or "Process exited with code 0" not in res[-1]:
    bad.append("the last call does not send the tool's output back: %r" % res)
print("\n".join(bad) or "%d calls match" % len(exp))
sys.exit(1 if bad else 0)
EOF
}

# record_run LABEL BIN DIR [WS]: record `codex exec` against a fresh mock
record_run() {
	_l=$1
	_d=$3
	MOCK_CODEX_DIR=$_d/out MOCK_PROFILE=codex mock_start "$_d" 120 ||
		{ skip_one "$_l" "the mock did not start"; return 1; }
	codex_env "$_d" "$PORT" "${4:-false}"
	(cd "$_d/work" && env -u OPENAI_API_KEY -u CODEX_API_KEY -u OPENAI_BASE_URL \
		HOME="$_d/home" CODEX_HOME="$_d/codex" SSL_CERT_FILE=$CERT ASIGHT_CODEX_KEY=$KEY \
		timeout 100 "$R" -v -w "$_d/rec.pcapng.zst" -- \
		"$2" exec --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox \
		-C "$_d/work" "write hi into codex-out.txt in $_d/out" \
		</dev/null >"$_d/codex.out" 2>"$_d/codex.err")
	check "$_l: codex exec exits 0 under asrecord" [ $? = 0 ]
	kill "$MOCK" 2>/dev/null
	wait "$MOCK" 2>/dev/null
	check_grep "$_l: codex printed the final answer" "Done: codex-out.txt now holds hi" \
		"$_d/codex.out"
	check_grep "$_l: the shell tool wrote the file" "^hi$" "$_d/out/codex-out.txt"
}

# analyze_run LABEL DIR: the assertions on one capture
analyze_run() {
	_l=$1
	_d=$2
	_c=$_d/rec.pcapng.zst
	"$T" conversations --json -q "$_c" >"$_d/calls.jsonl"
	check "$_l: conversations --json exits 0" [ $? = 0 ]
	check "$_l: every served call comes out right" compare "$_d/served.jsonl" \
		"$_d/calls.jsonl"
	"$T" conversations -q "$_c" >"$_d/conv.txt"
	"$T" explain -q "$_c" >"$_d/explain.txt"
	"$T" tree -q "$_c" >"$_d/tree.txt"
	"$T" dump "$_c" >"$_d/dump.txt" 2>&1
	"$T" export -q --jsonl "$_d/rec.jsonl" --sqlite "$_d/rec.db" "$_c"
	check "$_l: export exits 0" [ $? = 0 ]
	check_grep "$_l: TARGET: aws-lc seal found by its error sites" \
		"target .*symbol=EVP_AEAD_CTX_seal .*kind=aws-lc method='cipher/aead.c error sites \(reasons 117 103 115\)" \
		"$_d/dump.txt"
	check_grep "$_l: TARGET: aws-lc open found by its error sites" \
		"target .*symbol=EVP_AEAD_CTX_open .*kind=aws-lc method='cipher/aead.c error sites \(reasons 115 101\)" \
		"$_d/dump.txt"
	check_grep "$_l: conversations shows the tool call with its command" \
		"^tool_call [a-z_]+ id=call_codex1 .*echo hi > $_d/out/codex-out.txt" "$_d/conv.txt"
	# bash -lc 'echo hi > F; ls D' execs ls in its own place at the end, so
	# the process explain names by its last image must have exec'd bash first
	_pid=$(sed -n 's/^ *exec  .* \[exit 0\]  (command, [^,]*,\([0-9]*\))$/\1/p' \
		"$_d/explain.txt" | head -1)
	check "$_l: explain ties a process to the tool call by its command, exit 0" \
		[ -n "$_pid" ]
	check_grep "$_l: that process is codex's bash -lc running the command" \
		" $_pid/$_pid +exec +/bin/bash argv=\[/bin/bash -lc 'echo hi > $_d/out/codex-out.txt" \
		"$_d/dump.txt"
	check_grep "$_l: explain shows the file the shell wrote" \
		"file_write $_d/out/codex-out.txt  \((path|command|subtree), " "$_d/explain.txt"
	check "$_l: the capture holds the key (so the next checks mean something)" \
		sh -c "zstdcat '$_c' | grep -aq '$KEY'"
	check_grep "$_l: the authorization header is redacted" \
		'"authorization","(Bearer )?\[REDACTED\]"' "$_d/rec.jsonl"
	check "$_l: no key in any output" sh -c "! grep -aq '$KEY' '$_d/calls.jsonl' \
		'$_d/conv.txt' '$_d/explain.txt' '$_d/tree.txt' '$_d/rec.jsonl' '$_d/rec.db'"
}

D=$TMPD/cur
mkdir -p "$D"
if record_run "codex $CODEX_CUR" "$CUR_BIN" "$D"; then
	analyze_run "codex $CODEX_CUR" "$D"
	check_grep "codex $CODEX_CUR: the first run scanned the binary" \
		"target .*symbol=EVP_AEAD_CTX_seal .*discovery='scan [0-9.]+ s'" "$D/dump.txt"
	# the same binary again: the discovery cache answers; this time the
	# mock never sends the empty chunk that ends an answer (codex closes
	# after response.completed): no call may count as failed for that
	D2=$TMPD/cur2
	mkdir -p "$D2"
	MOCK_CODEX_NO_LAST_CHUNK=1
	export MOCK_CODEX_NO_LAST_CHUNK
	record_run "codex $CODEX_CUR again" "$CUR_BIN" "$D2"
	_rc=$?
	unset MOCK_CODEX_NO_LAST_CHUNK
	if [ $_rc = 0 ]; then
		analyze_run "codex $CODEX_CUR again" "$D2"
		check_grep "codex $CODEX_CUR again: discovery came from the cache" \
			"target .*symbol=EVP_AEAD_CTX_seal .*discovery=cache" "$D2/dump.txt"
		check_grep "codex $CODEX_CUR again: the HTTP answers end between chunks" \
			'"sse":true,"error":"connection closed before the last chunk \(the client' \
			"$D2/rec.jsonl"
	fi
fi

# the WebSocket transport codex uses for OpenAI's own provider
D=$TMPD/ws
mkdir -p "$D"
if record_run "codex $CODEX_CUR over WebSocket" "$CUR_BIN" "$D" true; then
	"$T" conversations --json -q "$D/rec.pcapng.zst" >"$D/calls.jsonl"
	check "codex $CODEX_CUR over WebSocket: every served call comes out right" \
		compare_ws "$D/served.jsonl" "$D/calls.jsonl"
	check "codex $CODEX_CUR over WebSocket: no key in any output" \
		sh -c "! grep -aq '$KEY' '$D/calls.jsonl'"
fi

# -p PID: codex runs untraced; the mock holds its first answer until
# asrecord says its probes are attached (no timing assumption), then fails
# it with a 500 that codex retries (request_max_retries = 1), so the turn
# with the tool call is served after attaching
D=$TMPD/attach
mkdir -p "$D"
if MOCK_CODEX_DIR=$D/out MOCK_CODEX_HOLD=$D/attached MOCK_PROFILE=codex \
	mock_start "$D" 120; then
	codex_env "$D" "$PORT" false 1
	# exec all the way down: $! is the node wrapper, the Rust binary its child
	(cd "$D/work" && exec env -u OPENAI_API_KEY -u CODEX_API_KEY -u OPENAI_BASE_URL \
		HOME="$D/home" CODEX_HOME="$D/codex" SSL_CERT_FILE=$CERT ASIGHT_CODEX_KEY=$KEY \
		"$CUR_BIN" exec --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox \
		-C "$D/work" "write hi into codex-out.txt in $D/out" \
		</dev/null >"$D/codex.out" 2>"$D/codex.err") &
	CDX=$!
	i=0
	while ! grep -q '"holding"' "$D/served.jsonl" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# --foreground: timeout passes the SIGINT below to asrecord alone (by
	# default it signals its process group too, a second SIGINT that
	# makes asrecord stop at once and leave the .part file)
	timeout --foreground 100 "$R" -v -w "$D/rec.pcapng.zst" -p "$CDX" \
		2>"$D/asrecord.err" &
	REC=$!
	i=0
	while ! grep -q 'TLS functions attached' "$D/asrecord.err" && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	touch "$D/attached"
	wait "$CDX"
	check "attached: codex exec exits 0" [ $? = 0 ]
	# asrecord also stops by itself once every traced process is gone
	kill -INT "$REC" 2>/dev/null
	wait "$REC"
	check "asrecord -p on a running codex exits 0" [ $? = 0 ]
	kill "$MOCK" 2>/dev/null
	wait "$MOCK" 2>/dev/null
	check_grep "attached: asrecord attached aws-lc's functions" \
		"asrecord: [1-9][0-9]* TLS functions attached" "$D/asrecord.err"
	check_grep "attached: codex printed the final answer" \
		"Done: codex-out.txt now holds hi" "$D/codex.out"
	check_grep "attached: the shell tool wrote the file" "^hi$" "$D/out/codex-out.txt"
	check_grep "attached: the held request was failed and retried" '"held"' \
		"$D/served.jsonl"
	# the held request was in flight when asrecord attached (it went out
	# before, its answer came after): it may be only partly captured and
	# is not among the calls compared (the mock logs it as "held", not as
	# a call); every call after it must be rebuilt in full
	analyze_run "attached" "$D"
else
	skip_one "asrecord -p" "the mock did not start"
fi

if [ -n "$OLD_BIN" ]; then
	D=$TMPD/old
	mkdir -p "$D"
	record_run "codex $CODEX_OLD" "$OLD_BIN" "$D" && analyze_run "codex $CODEX_OLD" "$D"
else
	skip_one "codex $CODEX_OLD" "$OLD_WHY"
fi
done_testing
