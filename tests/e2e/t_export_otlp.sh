#!/bin/sh
# t_export_otlp.sh - asanalyze export --otlp / --otlp-endpoint on a real
# recording: asrecord traces four scripted agents (tests/mock/llm_client.py
# --run: Anthropic streamed, OpenAI chat gzip, Gemini SSE, and an Anthropic
# agent that starts a Responses sub-agent process) that talk TLS to
# the local mock and run the tool call's `ls` for real.  The OTLP/JSON is
# decoded with the OpenTelemetry protobuf definitions from npm
# (tests/otlp/decode.js: the protobufjs root of @opentelemetry/otlp-transformer,
# round trip through the binary encoding) and its span tree checked against
# conversations --json and what the mock served (tests/otlp/check_otlp.py).
# --otlp-endpoint posts to a small local HTTP receiver (tests/otlp/receiver.py).
. tests/lib.sh

T=$O/asanalyze
R=$O/asrecord
need_root
[ -x "$T" ] && [ -x "$R" ] || skip_all "build asrecord and asanalyze first (make)"
need_cmd python3
need_cmd openssl
M=tests/mock
P=tests/otlp

# the keys must never reach an export: the agents' key headers, and one in
# a directory name that lands in command lines and file paths
KEY=sk-ant-api03-OTLPFAKEKEY0123456789abcdefXYZ
KD="$TMPD/$KEY"
mkdir -p "$KD"

. $M/mock.sh
mock_start "$TMPD" 120 || skip_all "the mock did not start"
# an agent that, after its own two calls, starts a sub-agent process
# (Responses API) that makes two more: one session, the sub-agent's calls
# under the exec span of its process
SUB="import runpy, subprocess, sys
sys.argv[0] = '$M/llm_client.py'
runpy.run_path(sys.argv[0], run_name='__main__')
subprocess.run([sys.executable, sys.argv[0], '--port', '$PORT', '--cacert', '$CERT',
                '--api', 'responses', '--run', '--transcript', '$KD/t5.jsonl'], check=True)"
cat >"$TMPD/agent.sh" <<EOS
python3 $M/llm_client.py --port $PORT --cacert $CERT --api anthropic --stream --run --transcript $KD/t1.jsonl
python3 $M/llm_client.py --port $PORT --cacert $CERT --api chat --gzip --run --transcript $KD/t2.jsonl
python3 $M/llm_client.py --port $PORT --cacert $CERT --api gemini --stream --sse-alt --run --transcript $KD/t3.jsonl
python3 -c "$SUB" --port $PORT --cacert $CERT --api anthropic --run --transcript $KD/t4.jsonl
EOS
C=$TMPD/rec.pcapng.zst
check "asrecord records four agents and a sub-agent" "$R" -q -w "$C" -- sh "$TMPD/agent.sh"
kill "$MOCK" 2>/dev/null
wait "$MOCK" 2>/dev/null
"$T" conversations --json -q "$C" >"$TMPD/calls.jsonl"
check "the capture holds the ten served calls" [ "$(wc -l <"$TMPD/calls.jsonl")" = 10 ]

O1=$TMPD/otlp.json
"$T" export --otlp "$O1" "$C" 2>"$TMPD/export.err"
check "export --otlp exits 0" [ $? = 0 ]
check_grep "export says what it wrote" "wrote '.*otlp.json': 4 traces, [0-9]+ spans \(10 llm calls, 5 tool calls" "$TMPD/export.err"
"$T" export -q --otlp "$TMPD/otlp2.json" "$C"
check "two exports of one capture are identical" cmp "$O1" "$TMPD/otlp2.json"
check "one line, one ExportTraceServiceRequest" python3 -c "
import json, sys
t = open(sys.argv[1]).read()
assert t.count('\n') == 1 and list(json.loads(t)) == ['resourceSpans']" "$O1"
"$T" export -q --otlp-content --otlp "$TMPD/content.json" "$C"
check "export --otlp-content exits 0" [ $? = 0 ]
"$T" export -q --no-redact --otlp-content --otlp "$TMPD/nored.json" "$C"
check "--no-redact does not apply to OTLP" cmp "$TMPD/content.json" "$TMPD/nored.json"
check "secrets redacted everywhere" sh -c "! grep -Eq 'OTLPFAKEKEY|FAKEKEYFORTESTS' \
	'$O1' '$TMPD/content.json' '$TMPD/nored.json'"
check_grep "the key in a path shows as redacted" 'REDACTED' "$O1"
check "no prompt or answer text without --otlp-content" sh -c \
	"! grep -Eq 'List the files in|The directory holds|careful shell assistant' '$O1'"
check_grep "prompt text with --otlp-content" 'List the files in /tmp/asight-mock please' \
	"$TMPD/content.json"

# a real OTLP decoder: the OpenTelemetry proto definitions from npm
OTV=0.52.1
NPMC=${ASIGHT_OTLP_CACHE:-/var/cache/asight-tests/otlp-transformer-$OTV}
ROOTJS=$NPMC/node_modules/@opentelemetry/otlp-transformer/build/src/generated/root.js
why=
if [ ! -f "$NPMC/.done" ]; then
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		why="node or npm not installed"
	elif ! timeout 20 npm view "@opentelemetry/otlp-transformer@$OTV" version \
		>/dev/null 2>&1; then
		why="npm registry out of reach"
	else
		rm -rf "$NPMC"
		mkdir -p "$NPMC" && timeout 300 npm install --prefix "$NPMC" --no-audit \
			--no-fund --ignore-scripts "@opentelemetry/otlp-transformer@$OTV" \
			>"$TMPD/npm.log" 2>&1 && [ -f "$ROOTJS" ] && touch "$NPMC/.done" ||
			why="npm install @opentelemetry/otlp-transformer@$OTV failed: $(tail -1 "$TMPD/npm.log")"
	fi
fi
if [ -z "$why" ]; then
	node $P/decode.js "$ROOTJS" "$O1" >"$TMPD/dec.json" 2>"$TMPD/dec.err"
	check "the OTLP protobuf definitions decode the export" [ $? = 0 ]
	cat "$TMPD/dec.err"
	node $P/decode.js "$ROOTJS" "$TMPD/content.json" >"$TMPD/cdec.json" 2>"$TMPD/cdec.err"
	check "... and the export with content" [ $? = 0 ]
	sed 's/"kind":3/"kind":3,"notInOtlp":1/' "$O1" >"$TMPD/bad.json"
	check "the decoder rejects a key OTLP does not have" sh -c \
		"! node $P/decode.js '$ROOTJS' '$TMPD/bad.json' >/dev/null 2>&1"
	check "decoded tree: sessions, chat, tools, kernel effects, no content" python3 \
		$P/check_otlp.py "$TMPD/dec.json" "$TMPD/calls.jsonl" "$TMPD/served.jsonl" \
		--no-content --nested 2 --secret "$KEY" --secret FAKEKEYFORTESTS
	check "decoded tree with --otlp-content: the messages" python3 \
		$P/check_otlp.py "$TMPD/cdec.json" "$TMPD/calls.jsonl" "$TMPD/served.jsonl" \
		--content --nested 2 --secret "$KEY" --secret FAKEKEYFORTESTS
else
	skip_one "OTLP protobuf decoding" "$why"
fi

# --otlp-endpoint: POST to a local receiver
mkdir -p "$TMPD/rx"
python3 $P/receiver.py "$TMPD/rx" 60 &
RX=$!
i=0
while [ ! -s "$TMPD/rx/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
RP=$(cat "$TMPD/rx/port" 2>/dev/null)
if [ -n "$RP" ]; then
	"$T" export -q --otlp-endpoint "http://127.0.0.1:$RP" "$C"
	check "--otlp-endpoint without a path exits 0" [ $? = 0 ]
	check_grep "... posts to /v1/traces as application/json" '^/v1/traces application/json$' \
		"$TMPD/rx/req.1"
	check "... the same bytes as --otlp" cmp "$TMPD/rx/body.1" "$O1"
	"$T" export -q --otlp "$TMPD/both.json" --otlp-endpoint "http://127.0.0.1:$RP/custom/traces" "$C"
	check "--otlp and --otlp-endpoint URL/PATH together" [ $? = 0 ]
	check_grep "... a path is used as given" '^/custom/traces application/json$' "$TMPD/rx/req.2"
	check "... file and body are the same" cmp "$TMPD/rx/body.2" "$TMPD/both.json"
	"$T" export -q --otlp-endpoint "http://127.0.0.1:$RP/fail" "$C" 2>"$TMPD/fail.err"
	check "a 503 from the collector exits 1" [ $? = 1 ]
	check_grep "... with the status and the collector's words" \
		"^asanalyze: 'http://127.0.0.1:$RP/fail': HTTP 503: collector unavailable" "$TMPD/fail.err"
else
	skip_one "--otlp-endpoint" "the receiver did not start"
fi
kill $RX 2>/dev/null
wait $RX 2>/dev/null
# a port nobody listens on: the receiver's, now closed
"$T" export -q --otlp-endpoint "http://127.0.0.1:${RP:-9}" "$C" 2>"$TMPD/refused.err"
check "a refused connection exits 1" [ $? = 1 ]
check_grep "... and says so" "^asanalyze: 'http://127.0.0.1:${RP:-9}/v1/traces': .*(refused|connect)" \
	"$TMPD/refused.err"
"$T" export -q --otlp "$TMPD/no/such/dir/x.json" "$C" 2>"$TMPD/nodir.err"
check "an unwritable --otlp file exits 1" [ $? = 1 ]
done_testing
