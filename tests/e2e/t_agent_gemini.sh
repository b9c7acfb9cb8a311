#!/bin/sh
# t_agent_gemini.sh - the real Gemini CLI (@google/gemini-cli from npm, on
# node with its built-in OpenSSL) under asrecord, against the local TLS mock
# with tests/mock/profile_gemini.py: the router's classifier side call, a
# turn answered with a run_shell_command call that writes a file, the turn
# that sends its functionResponse back.  asanalyze must rebuild every call
# the mock served, field by field, classify the side call, redact the key
# and tie the shell the CLI spawned to the tool call.  Both pinned versions
# (CUR, OLD) are recorded with no flag naming the TLS library; CUR is also
# recorded by attaching (-p) to an already running CLI.
. tests/lib.sh
. tests/agents/install.sh

T=$(realpath "$O/asanalyze")
R=$(realpath "$O/asrecord")
need_root
[ -x "$T" ] && [ -x "$R" ] || skip_all "build asrecord and asanalyze first (make)"
need_cmd python3
need_cmd openssl
need_cmd node
agent_install "$GEMINI_PKG" "$GEMINI_CUR" || skip_all "gemini-cli $GEMINI_CUR: $AGENT_WHY"
CUR_BIN=$AGENT_BIN/gemini
OLD_BIN=
if agent_install "$GEMINI_PKG" "$GEMINI_OLD"; then
	OLD_BIN=$AGENT_BIN/gemini
else
	OLD_WHY=$AGENT_WHY
fi
KEY=AIzaSyFAKEKEYFORGEMINITESTS0123456789
. tests/mock/mock.sh

# gemini_env DIR: a home whose settings pick API-key auth and turn off
# update checks, usage statistics, telemetry, IDE integration and the
# folder-trust prompt (nothing but 127.0.0.1 is reachable)
gemini_env() {
	mkdir -p "$1/home/.gemini" "$1/work" "$1/out"
	cat >"$1/home/.gemini/settings.json" <<'EOS'
{
  "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": false}},
  "general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false},
  "privacy": {"usageStatisticsEnabled": false},
  "telemetry": {"enabled": false},
  "ide": {"enabled": false}
}
EOS
}

# compare what the mock served (its log) with `conversations --json`:
# served.jsonl calls.jsonl OUTDIR
compare() {
	python3 - "$@" <<'EOF'
import json, os, sys
sys.path.insert(0, os.environ["AGENTS_PY"])
from calls import compare
exp, act, bad = compare(sys.argv[1], sys.argv[2], provider="gemini", ids=False)
out = sys.argv[3]
for i, a in enumerate(act):
    if a["purpose"] == "turn":
        if "run_shell_command" not in a["tools"]:
            bad.append("call %d: run_shell_command not among the tools offered" % (i + 1))
        if not a["system"]:
            bad.append("call %d: no system instruction" % (i + 1))
# the turn that carries the tool result back, and the tool call it answers
turns = [a for a in act if a["purpose"] == "turn"]
res = [m["text"] for a in turns for m in a["messages"] if m["role"] == "user" and
       m["text"].startswith("[tool_result run_shell_command]")]
if not res or "gemini-out.txt" not in res[-1]:
    bad.append("no functionResponse of run_shell_command with the shell's output")
open(out + "/command", "w").write(json.loads(turns[0]["tool_calls"][0]["arguments"])["command"]
                                  if turns and turns[0]["tool_calls"] else "")
print("\n".join(bad) or "%d calls match" % len(exp))
sys.exit(1 if bad else 0)
EOF
}

# record_run LABEL BIN DIR: record `gemini -p` against a fresh mock
record_run() {
	_l=$1
	_d=$3
	gemini_env "$_d"
	MOCK_GEMINI_DIR=$_d/out MOCK_PROFILE=gemini mock_start "$_d" 120 ||
		{ skip_one "$_l" "the mock did not start"; return 1; }
	(cd "$_d/work" && env -u GOOGLE_API_KEY -u GOOGLE_GENAI_USE_VERTEXAI \
		HOME="$_d/home" GEMINI_API_KEY=$KEY NODE_EXTRA_CA_CERTS=$CERT \
		GOOGLE_GEMINI_BASE_URL=https://127.0.0.1:$PORT \
		timeout 100 "$R" -q -w "$_d/rec.pcapng.zst" -- \
		"$2" -p "write hi into a file in $_d/out" --approval-mode yolo \
		</dev/null >"$_d/gemini.out" 2>"$_d/gemini.err")
	check "$_l: gemini -p exits 0 under asrecord" [ $? = 0 ]
	kill "$MOCK" 2>/dev/null
	wait "$MOCK" 2>/dev/null
	check_grep "$_l: gemini printed the final answer" "Done: gemini-out.txt now holds hi" \
		"$_d/gemini.out"
	check_grep "$_l: the shell tool wrote the file" "^hi$" "$_d/out/gemini-out.txt"
}

# analyze_run LABEL DIR CAPTURE: the assertions on one capture
analyze_run() {
	_l=$1
	_d=$2
	_c=$3
	"$T" conversations --json -q "$_c" >"$_d/calls.jsonl"
	check "$_l: conversations --json exits 0" [ $? = 0 ]
	check "$_l: every served call comes out right" compare "$_d/served.jsonl" \
		"$_d/calls.jsonl" "$_d"
	"$T" conversations -q "$_c" >"$_d/conv.txt"
	"$T" explain -q "$_c" >"$_d/explain.txt"
	"$T" tree -q "$_c" >"$_d/tree.txt"
	"$T" export -q --jsonl "$_d/rec.jsonl" --sqlite "$_d/rec.db" "$_c"
	check "$_l: export exits 0" [ $? = 0 ]
	check_grep "$_l: conversations shows the tool call with its command" \
		"^tool_call run_shell_command id=.*\"command\":\"echo hi > $_d/out/gemini-out.txt" \
		"$_d/conv.txt"
	check_grep "$_l: explain ties the spawned shell to the tool call, exit 0" \
		"exec +bash,[0-9]+ -c .*echo hi > $_d/out/gemini-out.txt.* \[exit 0\]  \(command, bash" \
		"$_d/explain.txt"
	check_grep "$_l: explain shows the file the shell wrote" \
		"file_write $_d/out/gemini-out.txt  \((path|command|subtree), bash" "$_d/explain.txt"
	check "$_l: the capture holds the key (so the next checks mean something)" \
		sh -c "zstdcat '$_c' | grep -aq '$KEY'"
	check_grep "$_l: the key header is redacted" \
		'"x-goog-api-key","\[REDACTED\]"' "$_d/rec.jsonl"
	check "$_l: no key in any output" sh -c "! grep -aq '$KEY' '$_d/calls.jsonl' \
		'$_d/conv.txt' '$_d/explain.txt' '$_d/tree.txt' '$_d/rec.jsonl' '$_d/rec.db'"
}

D=$TMPD/cur
mkdir -p "$D"
if record_run "gemini-cli $GEMINI_CUR" "$CUR_BIN" "$D"; then
	analyze_run "gemini-cli $GEMINI_CUR" "$D" "$D/rec.pcapng.zst"
	check_grep "gemini-cli $GEMINI_CUR: the router's classifier is a side call" \
		"^\[.*\] call 1 gemini [^ ]+ \(side-call\): prompt" "$D/explain.txt"
	check_grep "gemini-cli $GEMINI_CUR: the CLI re-exec'd itself, both traced" \
		"^\`-node,[0-9]+ --max-old-space-size" "$D/tree.txt"
fi

if [ -n "$OLD_BIN" ]; then
	D=$TMPD/old
	mkdir -p "$D"
	record_run "gemini-cli $GEMINI_OLD" "$OLD_BIN" "$D" &&
		analyze_run "gemini-cli $GEMINI_OLD" "$D" "$D/rec.pcapng.zst"
else
	skip_one "gemini-cli $GEMINI_OLD" "$OLD_WHY"
fi

# -p PID: the CLI runs untraced; the mock holds its first answer (the
# classifier's) until asrecord says its probes are attached, so every
# later call is seen
D=$TMPD/attach
gemini_env "$D"
if MOCK_GEMINI_DIR=$D/out MOCK_GEMINI_HOLD=$D/attached MOCK_PROFILE=gemini \
	mock_start "$D" 120; then
	(cd "$D/work" && exec env -u GOOGLE_API_KEY -u GOOGLE_GENAI_USE_VERTEXAI \
		HOME="$D/home" GEMINI_API_KEY=$KEY NODE_EXTRA_CA_CERTS=$CERT \
		GOOGLE_GEMINI_BASE_URL=https://127.0.0.1:$PORT \
		"$CUR_BIN" -p "write hi into a file in $D/out" --approval-mode yolo \
		</dev/null >"$D/gemini.out" 2>"$D/gemini.err") &
	GEM=$!
	i=0
	while ! grep -q '"holding"' "$D/served.jsonl" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	timeout 100 "$R" -v -w "$D/att.pcapng.zst" -p "$GEM" 2>"$D/asrecord.err" &
	REC=$!
	i=0
	while ! grep -q 'TLS functions attached' "$D/asrecord.err" && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	touch "$D/attached"
	wait "$REC"
	check "asrecord -p on a running gemini exits 0" [ $? = 0 ]
	wait "$GEM"
	check "gemini exits 0" [ $? = 0 ]
	kill "$MOCK" 2>/dev/null
	wait "$MOCK" 2>/dev/null
	check_grep "attached: the shell tool wrote the file" "^hi$" "$D/out/gemini-out.txt"
	# the classifier's request went out before asrecord attached: only
	# the two turns after it can be rebuilt
	mv "$D/served.jsonl" "$D/served-all.jsonl"
	grep -v '"side-call"' "$D/served-all.jsonl" >"$D/served.jsonl"
	analyze_run "attached" "$D" "$D/att.pcapng.zst"
else
	skip_one "asrecord -p" "the mock did not start"
fi
done_testing
