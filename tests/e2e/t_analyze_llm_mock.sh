#!/bin/sh
# t_analyze_llm_mock.sh - real LLM API bytes through the analyzer: the local
# TLS mock (tests/mock/llm_mock.py) serves scripted two-turn conversations of
# Anthropic Messages, OpenAI Chat Completions and Responses and Gemini
# (streamed and not, gzip and not, tool calls, API errors) to a client that
# logs every SSL_write/SSL_read; mkllmcap wraps those bytes in a capture with
# a fake agent process tree.  Every field the analyzer reports must equal
# what the mock served (tests/mock/check_calls.py), whatever the read
# chunking or interleaving; secrets are redacted; broken streams give a
# per-call error without hiding the other calls.
. tests/lib.sh

T=$O/asanalyze
MK=$O/tests/mkllmcap
[ -x "$T" ] && [ -x "$MK" ] || skip_all "build an_try and mkllmcap first (make)"
need_cmd python3
need_cmd openssl
M=tests/mock

. $M/mock.sh
mock_start "$TMPD" 120 || skip_all "the mock did not start"

n=0
TR=""
run() {
	n=$((n + 1))
	python3 $M/llm_client.py --port "$PORT" --cacert "$CERT" --transcript "$TMPD/t$n.jsonl" "$@" \
		>>"$TMPD/client.log" 2>&1 || echo "client $n ($*) failed" >>"$TMPD/client.err"
	TR="$TR $TMPD/t$n.jsonl"
}
for api in anthropic chat responses gemini; do
	run --api $api
	run --api $api --stream --newconn
	run --api $api --gzip
	run --api $api --stream --gzip
done
run --api gemini --stream --sse-alt
run --api anthropic --error
run --api chat --error
run --api gemini --error --stream --sse-alt
python3 -c "import urllib.request,ssl; c=ssl.create_default_context(cafile='$CERT'); \
urllib.request.urlopen('https://127.0.0.1:$PORT/quit', context=c).read()" 2>/dev/null
wait $MOCK
check "every client ran" [ ! -e "$TMPD/client.err" ]

C=$TMPD/llm.pcapng.zst
# shellcheck disable=SC2086
check "mkllmcap wraps $n transcripts" "$MK" "$C" $TR
"$T" conversations --json "$C" >"$TMPD/calls.jsonl" 2>"$TMPD/conv.err"
check "conversations --json exits 0" [ $? = 0 ]
check "every served field comes out right" python3 $M/check_calls.py "$TMPD/served.jsonl" \
	"$TMPD/calls.jsonl"
check_grep "summary names the calls" "^asanalyze: 37 LLM calls \(0 with problems\)" "$TMPD/conv.err"

# the same bytes split into 1..7-byte SSL_reads, and all agents at once
# shellcheck disable=SC2086
"$MK" "$TMPD/re.pcapng.zst" --rechunk 7 --seed 3 $TR
"$T" conversations --json -q "$TMPD/re.pcapng.zst" >"$TMPD/re.jsonl"
check "tiny SSL_read chunks: same fields" python3 $M/check_calls.py "$TMPD/served.jsonl" \
	"$TMPD/re.jsonl"
# shellcheck disable=SC2086
"$MK" "$TMPD/par.pcapng.zst" --parallel $TR
"$T" conversations --json -q "$TMPD/par.pcapng.zst" >"$TMPD/par.jsonl"
check "interleaved agents: $n processes' calls all found" \
	[ "$(wc -l <"$TMPD/par.jsonl")" = 37 ]

# text transcript
"$T" conversations -q "$C" >"$TMPD/conv.txt"
check_grep "text: tool call with arguments" \
	'^tool_call Bash id=toolu_01Mock[0-9]+ \{"command":"ls -la /tmp/asight-mock"\}' "$TMPD/conv.txt"
check_grep "text: usage and cost" "^usage: in 12[0-9]+ out [0-9]+ cache_read 1000 .*cost \\$" \
	"$TMPD/conv.txt"
check_grep "text: api error" "^api error: overloaded_error: Overloaded" "$TMPD/conv.txt"

# secrets
"$T" export -q --jsonl "$TMPD/all.jsonl" "$C"
"$T" export -q --sqlite "$TMPD/all.db" "$C"
check "no api key in conversations" sh -c "! grep -q FAKEKEYFORTESTS '$TMPD/conv.txt' '$TMPD/calls.jsonl'"
check "no api key, bearer token or cookie in JSONL" \
	sh -c "! grep -Eq 'FAKEKEYFORTESTS|FAKECOOKIE' '$TMPD/all.jsonl'"
check "no api key in SQLite" sh -c "! sqlite3 '$TMPD/all.db' .dump | grep -Eq 'FAKEKEYFORTESTS|FAKECOOKIE'"
check_grep "headers show that a key was there" '\["x-api-key","\[REDACTED\]"\]' "$TMPD/all.jsonl"
"$T" export -q --no-redact --jsonl "$TMPD/raw.jsonl" "$C"
check_grep "--no-redact keeps the key" "sk-ant-api03-FAKEKEYFORTESTS" "$TMPD/raw.jsonl"

# the reviewer queries of analyze/reviewer-queries.sql on the SQLite export
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 -header -separator ' | ' "$TMPD/all.db" <analyze/reviewer-queries.sql \
		>"$TMPD/q.txt" 2>&1
	check "reviewer queries run" [ $? = 0 ]
	check_grep "Q1 cost per model" "^claude-sonnet-4-20250514 \| anthropic \| [0-9]+ \| .* \| 0\.[0-9]+$" "$TMPD/q.txt"
	check_grep "Q1 gemini priced" "^gemini-2.5-flash \| gemini \| [0-9]+ \| .* \| 0\.[0-9]+$" "$TMPD/q.txt"
	check_grep "Q2 command with its tool call" "sh -c 'ls -la /tmp/asight-mock' \| 0 \| Bash \| toolu_01Mock" "$TMPD/q.txt"
	check_grep "Q3 file written after the prompt" "\| open \| /tmp/asight-mock/ls.out \| 2[0-9]1$" "$TMPD/q.txt"
	check_grep "Q4 tool effects" "\| shell \| \{\"command\":\"ls -la /tmp/asight-mock\"\} \| exec \| command \|" "$TMPD/q.txt"
	check_grep "Q5 ttft and speed" "^[0-9]+ \| [a-z0-9.-]+ \| [01] \| 0\.[0-9]+ \| 0\.[0-9]+ \| [0-9.]+ \| [0-9]+$" "$TMPD/q.txt"
	check_grep "Q6 api errors" "^llm \| [0-9]+ \| overloaded_error: Overloaded$" "$TMPD/q.txt"
	check_grep "Q7 hosts" "^2[0-9]0 \| localhost \| 127.0.0.1 \| [0-9]+ \| http/1.1 \| [0-9]+ \| [0-9]+$" "$TMPD/q.txt"
else
	skip_one "reviewer queries" "sqlite3 not installed"
fi

# process tree and causality
"$T" tree -q "$C" >"$TMPD/tree.txt"
check_grep "tree: agent under the snapshot shell" '^[|`]-python3,200 agent.py --session=0 ' "$TMPD/tree.txt"
check_grep "tree: tool process with exit code" "sh,201 -c 'ls -la /tmp/asight-mock'  \[[0-9.]+m?s, exit 0\]" "$TMPD/tree.txt"
"$T" explain -q "$C" >"$TMPD/explain.txt"
check_grep "explain: exec tied to its tool call by command" \
	"exec +sh,201 -c 'ls -la /tmp/asight-mock' \[exit 0\]  \(command" "$TMPD/explain.txt"
check_grep "explain: file written by the tool's process" \
	"file_write /tmp/asight-mock/ls.out  \(subtree" "$TMPD/explain.txt"

# broken streams: a cut and a lost record
"$MK" "$TMPD/cut.pcapng.zst" --cut 900 "$TMPD/t2.jsonl" "$TMPD/t1.jsonl"
"$T" conversations --json -q "$TMPD/cut.pcapng.zst" >"$TMPD/cut.jsonl"
check "cut stream: analyzed, exit 0" [ $? = 0 ]
check_grep "cut stream: per-call error" '"analysis_error":"(response: stream ends|event stream cut)' "$TMPD/cut.jsonl"
check_grep "cut stream: the next agent's calls still complete" \
	'"call_id":[0-9],.*"finish_reason":"end_turn".*"analysis_error":null' "$TMPD/cut.jsonl"
"$MK" "$TMPD/drop.pcapng.zst" --drop 3 "$TMPD/t4.jsonl" "$TMPD/t1.jsonl"
"$T" export -q --jsonl "$TMPD/drop.jsonl" "$TMPD/drop.pcapng.zst"
check "lost record: export exits 0" [ $? = 0 ]
check_grep "lost record: seq gap in drops" '"type":"drop".*"kind":"seq_gap","count":1' "$TMPD/drop.jsonl"
done_testing
