#!/bin/sh
# t_analyze_llm_record.sh - the real thing: asrecord traces a shell that runs
# the python client (OpenSSL via the _ssl module) and curl against the local
# TLS mock (tests/mock/llm_mock.py); asanalyze must rebuild every call the
# mock served, field by field (tests/mock/check_calls.py), the process tree
# and the tool-call chain, and redact the keys.
. tests/lib.sh

T=$O/asanalyze
R=$O/asrecord
need_root
[ -x "$T" ] && [ -x "$R" ] || skip_all "build asrecord and an_try first (make)"
need_cmd python3
need_cmd openssl
need_cmd curl
M=tests/mock

. $M/mock.sh
mock_start "$TMPD" 120 || skip_all "the mock did not start"

cat >"$TMPD/agent.sh" <<EOS
python3 $M/llm_client.py --port $PORT --cacert $CERT --api anthropic --stream --transcript $TMPD/t1.jsonl
python3 $M/llm_client.py --port $PORT --cacert $CERT --api chat --gzip --transcript $TMPD/t2.jsonl
python3 $M/llm_client.py --port $PORT --cacert $CERT --api responses --stream --newconn --transcript $TMPD/t3.jsonl
python3 $M/llm_client.py --port $PORT --cacert $CERT --api gemini --stream --sse-alt --transcript $TMPD/t4.jsonl
curl -s --http1.1 --cacert $CERT --compressed -H 'x-api-key: sk-ant-api03-CURLFAKEKEY0123456789abcdef' \
	-H 'anthropic-version: 2023-06-01' -H 'Content-Type: application/json' \
	-d '{"model":"claude-sonnet-4-20250514","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi from curl"}],"tools":[{"name":"Bash","input_schema":{"type":"object"}}]}' \
	https://127.0.0.1:$PORT/v1/messages >/dev/null
EOS
C=$TMPD/rec.pcapng.zst
check "asrecord records the agent" "$R" -q -w "$C" -- sh "$TMPD/agent.sh"

# the official Node SDKs (npm), when node and npm are there
NPM_DIR=${ASIGHT_NPM_DIR:-$O/npm}
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
	if [ ! -d "$NPM_DIR/node_modules/openai" ] || [ ! -d "$NPM_DIR/node_modules/@anthropic-ai/sdk" ]; then
		mkdir -p "$NPM_DIR"
		timeout 300 npm install --prefix "$NPM_DIR" --silent --no-audit --no-fund \
			openai @anthropic-ai/sdk >"$TMPD/npm.log" 2>&1
	fi
fi
if [ -d "$NPM_DIR/node_modules/openai" ] && [ -d "$NPM_DIR/node_modules/@anthropic-ai/sdk" ]; then
	cp $M/sdk_client.mjs "$NPM_DIR/"
	mv "$TMPD/served.jsonl" "$TMPD/served.before-node"
	# no --tls-lib: asrecord pauses node at exec until its built-in
	# OpenSSL is hooked, so its first request is not missed
	NODE_EXTRA_CA_CERTS=$CERT "$R" -q \
		-w "$TMPD/node.pcapng.zst" -- \
		node "$NPM_DIR/sdk_client.mjs" "$PORT" >"$TMPD/node.out" 2>&1
	check "asrecord records the Node SDKs" grep -q done "$TMPD/node.out"
	mv "$TMPD/served.jsonl" "$TMPD/served-node.jsonl"
	mv "$TMPD/served.before-node" "$TMPD/served.jsonl"
	"$T" conversations --json -q "$TMPD/node.pcapng.zst" >"$TMPD/node.jsonl"
	check "Node SDKs: every served field comes out right" python3 $M/check_calls.py \
		"$TMPD/served-node.jsonl" "$TMPD/node.jsonl"
	check "Node SDKs: keys redacted" sh -c "! grep -q NODEFAKEKEY '$TMPD/node.jsonl'"
else
	skip_one "Node SDKs" "node, npm or the openai/@anthropic-ai/sdk packages not available"
fi
python3 -c "import urllib.request,ssl; c=ssl.create_default_context(cafile='$CERT'); \
urllib.request.urlopen('https://127.0.0.1:$PORT/quit', context=c).read()" 2>/dev/null
wait $MOCK

"$T" conversations --json "$C" >"$TMPD/calls.jsonl" 2>"$TMPD/conv.err"
check "conversations exits 0" [ $? = 0 ]
check "every served field comes out right" python3 $M/check_calls.py "$TMPD/served.jsonl" \
	"$TMPD/calls.jsonl"
check_grep "curl's call is found with its process" '"provider":"anthropic".*"messages":\[\{"role":"user","text":"hi from curl"' "$TMPD/calls.jsonl"
"$T" tree -q "$C" >"$TMPD/tree.txt"
check_grep "tree: curl with redacted key and exit 0" "curl,[0-9]+ .*x-api-key: (sk-ant-)?\[REDACTED\].*exit 0\]" "$TMPD/tree.txt"
check_grep "tree: the python clients" "python3,[0-9]+ .*llm_client.py .*--api gemini" "$TMPD/tree.txt"
"$T" export -q --sqlite "$TMPD/rec.db" --jsonl "$TMPD/rec.jsonl" "$C"
check "export exits 0" [ $? = 0 ]
check "no key in any output" sh -c "! grep -Eq 'FAKEKEYFORTESTS|CURLFAKEKEY|FAKECOOKIE' \
	'$TMPD/calls.jsonl' '$TMPD/tree.txt' '$TMPD/rec.jsonl'"
check_grep "TLS connections tied to their connect()" '"type":"connection".*"remote_addr":"127.0.0.1","remote_port":'"$PORT" "$TMPD/rec.jsonl"
done_testing
