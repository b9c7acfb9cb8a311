#!/bin/sh
# t_analyze_ws.sh - the OpenAI Responses API over WebSocket, as Codex speaks
# it: tests/mock/ws_client.py (stdlib ssl + socket, masked frames by hand)
# runs a two-turn conversation with a function call and an incremental
# previous_response_id against llm_mock.py --profile ws, with and without
# permessage-deflate, in fragments with pings between them, and once with a
# stale previous_response_id the server refuses.  asanalyze must rebuild
# every call the mock served (tests/mock/check_calls.py), the conversation
# across previous_response_id, the columns of export --sqlite, and redact
# the key of the upgrade request.  First from the clients' own transcripts
# (tests/tools/mkllmcap, reads re-cut at random points, no root needed),
# then recorded for real under asrecord.
. tests/lib.sh

T=$O/asanalyze
R=$O/asrecord
MK=$O/tests/mkllmcap
[ -x "$T" ] && [ -x "$MK" ] || skip_all "build asanalyze and the test tools first (make)"
need_cmd python3
need_cmd openssl
M=tests/mock

. $M/mock.sh
MOCK_PROFILE=ws
mock_start "$TMPD" 180 || skip_all "the mock did not start"

# conversations --json of FILE must hold the two-turn chain (twice) and
# the refused call; prints what is wrong
check_chain() {
	python3 - "$1" <<'EOF'
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
want(len(calls) == 5, "5 calls, got %d" % len(calls))
by_id = {c["response_id"]: c for c in calls if c["response_id"]}
for c in calls:
    want(c["transport"] == "websocket", "call %d transport %r" % (c["call_id"], c["transport"]))
    want(c["api"] == "responses" and c["path"] == "/v1/responses", "call %d api/path" % c["call_id"])
    p = c["previous_response_id"]
    if p in by_id:
        first = by_id[p]
        want(c["inherited_messages"] == 3, "call %d inherits %r" % (c["call_id"], c["inherited_messages"]))
        roles = [m["role"] for m in c["messages"]]
        want(roles == ["user", "assistant", "assistant", "tool"], "call %d roles %r" % (c["call_id"], roles))
        want(c["messages"][0]["text"] == first["messages"][0]["text"], "call %d: not the first prompt" % c["call_id"])
        want(c["messages"][2]["text"].startswith("[tool_call shell] "), "call %d: no tool call" % c["call_id"])
        want("a.txt" in c["messages"][3]["text"], "call %d: no tool result" % c["call_id"])
        want(c["system"] == "You are a careful shell assistant.", "call %d: system" % c["call_id"])
    elif p:
        want(p == "resp_gone" and c["status"] == 400 and c["error_type"] == "invalid_request_error",
             "call %d: stale previous_response_id not shown as refused" % c["call_id"])
        want(c["inherited_messages"] == 0, "call %d: inherited from nothing" % c["call_id"])
    else:
        want(c["inherited_messages"] == 0 and len(c["messages"]) == 1, "call %d: first turn messages" % c["call_id"])
        want(c["tools"] == ["shell"], "call %d tools %r" % (c["call_id"], c["tools"]))
        want(c["t_first_token_ns"] > c["t_request_ns"], "call %d: no ttft" % c["call_id"])
want(sum(1 for c in calls if c["previous_response_id"] in by_id) == 2, "2 continued calls")
print("\n".join(bad) or "chain ok")
sys.exit(1 if bad else 0)
EOF
}

# ---- 1. the clients' transcripts wrapped into a capture ----
python3 $M/ws_client.py --port $PORT --cacert $CERT --deflate --fragments 3 \
	--transcript "$TMPD/t1.jsonl" >"$TMPD/c1.out" 2>&1
check "ws client, deflate and fragments" grep -q "^done resp_" "$TMPD/c1.out"
python3 $M/ws_client.py --port $PORT --cacert $CERT --stale-prev \
	--transcript "$TMPD/t2.jsonl" >"$TMPD/c2.out" 2>&1
check "ws client, plain frames and a stale previous_response_id" grep -q "^done resp_" "$TMPD/c2.out"
mv "$TMPD/served.jsonl" "$TMPD/served-tr.jsonl"
check "mkllmcap wraps the transcripts, reads re-cut at random" \
	"$MK" "$TMPD/tr.pcapng.zst" --rechunk 5 --seed 7 "$TMPD/t1.jsonl" "$TMPD/t2.jsonl"
"$T" conversations --json -q "$TMPD/tr.pcapng.zst" >"$TMPD/tr.jsonl"
check "transcripts: every served field comes out right" python3 $M/check_calls.py \
	"$TMPD/served-tr.jsonl" "$TMPD/tr.jsonl"
check "transcripts: conversation rebuilt across previous_response_id" check_chain "$TMPD/tr.jsonl"

# Codex's pre-warm: generate false, then turn 1 continues it with no input
python3 $M/ws_client.py --port $PORT --cacert $CERT --warmup \
	--transcript "$TMPD/t3.jsonl" >"$TMPD/c3.out" 2>&1
mv "$TMPD/served.jsonl" "$TMPD/served-warm.jsonl"
"$MK" "$TMPD/warm.pcapng.zst" "$TMPD/t3.jsonl"
"$T" conversations --json -q "$TMPD/warm.pcapng.zst" >"$TMPD/warm.jsonl"
# (no check_calls.py: a pre-warm has no first token by design)
check "pre-warm: a side-call, and turn 1 rebuilt from it" python3 -c "
import json, sys
c = [json.loads(l) for l in open('$TMPD/warm.jsonl')]
ok = (len(c) == 3 and c[0]['purpose'] == 'side-call' and c[1]['purpose'] == 'turn' and
      c[1]['previous_response_id'] == c[0]['response_id'] and c[1]['inherited_messages'] == 1 and
      c[1]['messages'][0]['text'].startswith('List the files') and c[1]['text'] == 'Let me look.' and
      len(c[1]['tool_calls']) == 1 and c[2]['inherited_messages'] == 3 and c[0]['text'] == '')
sys.exit(0 if ok else 'got %r' % [(x['purpose'], x['previous_response_id'], x['inherited_messages']) for x in c])"

# ---- 2. recorded for real ----
if [ "$(id -u)" != 0 ] || [ ! -x "$R" ]; then
	skip_one "recorded under asrecord" "needs root for eBPF and build/asrecord"
	python3 -c "import urllib.request,ssl; c=ssl.create_default_context(cafile='$CERT'); \
urllib.request.urlopen('https://127.0.0.1:$PORT/quit', context=c).read()" 2>/dev/null
	wait $MOCK
	done_testing
	exit
fi
cat >"$TMPD/agent.sh" <<EOS
python3 $M/ws_client.py --port $PORT --cacert $CERT --deflate --fragments 3 --run
python3 $M/ws_client.py --port $PORT --cacert $CERT --stale-prev
EOS
C=$TMPD/rec.pcapng.zst
check "asrecord records the websocket agent" "$R" -q -w "$C" -- sh "$TMPD/agent.sh"
python3 -c "import urllib.request,ssl; c=ssl.create_default_context(cafile='$CERT'); \
urllib.request.urlopen('https://127.0.0.1:$PORT/quit', context=c).read()" 2>/dev/null
wait $MOCK

"$T" conversations --json "$C" >"$TMPD/calls.jsonl" 2>"$TMPD/conv.err"
check "conversations exits 0" [ $? = 0 ]
check "recorded: every served field comes out right" python3 $M/check_calls.py \
	"$TMPD/served.jsonl" "$TMPD/calls.jsonl"
check "recorded: conversation rebuilt across previous_response_id" check_chain "$TMPD/calls.jsonl"
"$T" conversations -q "$C" >"$TMPD/conv.txt"
check_grep "text: a websocket call" "=== call 1  turn  openai-compatible responses  WS 127.0.0.1:$PORT/v1/responses  python3," "$TMPD/conv.txt"
check_grep "text: the continued call says where its context comes from" \
	"^previous_response_id: resp_mock[0-9]+ \(3 messages from earlier calls\)" "$TMPD/conv.txt"
check_grep "text: the refused call" "api error: invalid_request_error: Previous response with id 'resp_gone' not found" "$TMPD/conv.txt"
"$T" export -q --sqlite "$TMPD/rec.db" --jsonl "$TMPD/rec.jsonl" "$C"
check "export exits 0" [ $? = 0 ]
python3 - "$TMPD/rec.db" >"$TMPD/db.txt" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for r in db.execute("SELECT call_id, transport, api, previous_response_id IS NOT NULL, "
                    "inherited_messages, (SELECT count(*) FROM messages m WHERE m.call_id = c.call_id), "
                    "(SELECT count(*) FROM tool_calls t WHERE t.call_id = c.call_id), "
                    "input_tokens > 0, ttft_s > 0 FROM llm_calls c ORDER BY call_id"):
    print("|".join(str(x) for x in r))
EOF
check_grep "sqlite: first turn (1 message, 1 tool call)" "^1\|websocket\|responses\|0\|0\|1\|1\|1\|1$" "$TMPD/db.txt"
check_grep "sqlite: second turn (3 inherited + 1 message)" "^2\|websocket\|responses\|1\|3\|4\|0\|1\|1$" "$TMPD/db.txt"
check "sqlite: 5 calls" [ "$(wc -l <"$TMPD/db.txt")" = 5 ]
"$T" explain -q "$C" >"$TMPD/explain.txt"
check_grep "explain: the shell the tool call asked for is tied to it, exit 0" \
	"exec +sh,[0-9]+ -c 'ls -la /tmp/asight-mock' \[exit 0\]  \(command" "$TMPD/explain.txt"
check "no key in any output" sh -c "! grep -aq WSFAKEKEY '$TMPD/calls.jsonl' '$TMPD/conv.txt' \
	'$TMPD/rec.jsonl' '$TMPD/rec.db'"
check_grep "the upgrade's Authorization is there, redacted" "[Aa]uthorization.{0,8}Bearer (sk-proj-)?\[REDACTED\]" "$TMPD/rec.jsonl"
"$T" export -q --no-redact --jsonl "$TMPD/raw.jsonl" "$C"
check_grep "the key was captured (--no-redact shows it)" "Bearer sk-proj-WSFAKEKEY" "$TMPD/raw.jsonl"
done_testing
