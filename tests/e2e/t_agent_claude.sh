#!/bin/sh
# t_agent_claude.sh - the real Claude Code (@anthropic-ai/claude-code from
# npm: a Bun single-file executable with BoringSSL linked in and no SSL_*
# symbols) under asrecord, against the local TLS mock with
# tests/mock/profile_claude.py: the HEAD / pre-connect, a turn answered with
# a Bash tool call that writes a file, the turn that sends its result back.
# asrecord must discover SSL_write/SSL_read in the stripped binary by
# itself (no --tls-lib) and say so in its TARGET records; a second run must
# take them from the discovery cache.  asanalyze must rebuild every turn
# the mock served, field by field, show HEAD / as a plain HTTP request,
# redact the key and tie the shell Claude spawned to the Bash call; a
# request repeated after a 529 is a retry; -p on a running claude works.  Both
# pinned versions (CUR, OLD: two Bun and BoringSSL builds) are recorded.
. tests/lib.sh
. tests/agents/install.sh

T=$O/asanalyze
R=$O/asrecord
need_root
[ -x "$T" ] && [ -x "$R" ] || skip_all "build asrecord and asanalyze first (make)"
R=$(realpath "$R") # claude runs in a directory of its own
need_cmd python3
need_cmd openssl
need_cmd zstdcat
need_cmd sqlite3

# The binary: bin/claude.exe is a stub until the package's postinstall
# (off with --ignore-scripts) copies the platform package's binary over it.
claude_exe() {
	_b=$AGENT_DIR/node_modules/@anthropic-ai/claude-code/bin/claude.exe
	if [ "$(head -c 4 "$_b" 2>/dev/null | tail -c 3)" = ELF ]; then
		echo "$_b"
		return 0
	fi
	_b=$AGENT_DIR/node_modules/@anthropic-ai/claude-code-linux-x64/claude
	[ -x "$_b" ] && echo "$_b"
}

agent_install "$CLAUDE_PKG" "$CLAUDE_CUR" || skip_all "claude-code $CLAUDE_CUR: $AGENT_WHY"
CUR_BIN=$(claude_exe) || skip_all "claude-code $CLAUDE_CUR: no linux-x64 binary in $AGENT_DIR"
OLD_BIN=
if agent_install "$CLAUDE_PKG" "$CLAUDE_OLD"; then
	OLD_BIN=$(claude_exe) || OLD_WHY="no linux-x64 binary in $AGENT_DIR"
else
	OLD_WHY=$AGENT_WHY
fi
KEY=sk-ant-api03-CLAUDEFAKEKEY0123456789abcdef
# a fresh discovery cache: the first run scans, the second reads it
export ASIGHT_CACHE_DIR=$TMPD/disc
. tests/mock/mock.sh

# compare what the mock served (its log) with `conversations --json`:
# served.jsonl calls.jsonl OUTDIR
compare() {
	python3 - "$@" <<'EOF'
import json, os, sys
sys.path.insert(0, os.environ["AGENTS_PY"])
from calls import compare
exp, act, bad = compare(sys.argv[1], sys.argv[2], provider="anthropic",
                        tokens=("input_tokens", "output_tokens", "cache_read_tokens",
                                "cache_write_tokens"))
out = sys.argv[3]
for i, a in enumerate(act):
    if a["purpose"] == "turn":
        if "Bash" not in a["tools"]:
            bad.append("call %d: Bash not among the tools offered" % (i + 1))
        if "Claude" not in (a["system"] or ""):
            bad.append("call %d: no system prompt" % (i + 1))
turns = [a for a in act if a["purpose"] == "turn"]
if len(turns) < 2:
    bad.append("fewer than 2 turns")
else:
    # the prompt in the first turn, the tool call and its result in the last
    if not any("write hi into a file" in m["text"] for m in turns[0]["messages"]
               if m["role"] == "user"):
        bad.append("the user's prompt is not in the first turn")
    res = [m["text"] for m in turns[-1]["messages"] if m["role"] == "user" and
           m["text"].startswith("[tool_result]")]
    if not res or "claude-out.txt" not in res[-1]:
        bad.append("no tool_result with the shell's output in the last turn")
    if not any(m["role"] == "assistant" and "[tool_use Bash]" in m["text"]
               for m in turns[-1]["messages"]):
        bad.append("the last turn does not carry the tool_use back")
print("\n".join(bad) or "%d calls match" % len(exp))
sys.exit(1 if bad else 0)
EOF
}

# record_run LABEL BIN DIR: record `claude -p` against a fresh mock
record_run() {
	_l=$1
	_d=$3
	mkdir -p "$_d/home" "$_d/work" "$_d/out"
	MOCK_CLAUDE_DIR=$_d/out MOCK_CLAUDE_REQLOG=$_d/requests.jsonl MOCK_PROFILE=claude \
		mock_start "$_d" 120 || { skip_one "$_l" "the mock did not start"; return 1; }
	# no network but 127.0.0.1: the non-essential traffic (telemetry,
	# feature flags, update checks) is turned off, else claude waits on it
	(cd "$_d/work" && env -u ANTHROPIC_AUTH_TOKEN -u CLAUDE_CODE_USE_BEDROCK \
		-u CLAUDE_CODE_USE_VERTEX HOME="$_d/home" ANTHROPIC_API_KEY=$KEY \
		ANTHROPIC_BASE_URL=https://127.0.0.1:$PORT NODE_EXTRA_CA_CERTS=$CERT \
		CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 \
		timeout 100 "$R" -q -w "$_d/rec.pcapng.zst" -- \
		"$2" -p "write hi into a file in $_d/out" --allowedTools Bash \
		</dev/null >"$_d/claude.out" 2>"$_d/claude.err")
	check "$_l: claude -p exits 0 under asrecord" [ $? = 0 ]
	kill "$MOCK" 2>/dev/null
	wait "$MOCK" 2>/dev/null
	check_grep "$_l: claude printed the final answer" "Done: claude-out.txt holds hi" \
		"$_d/claude.out"
	check_grep "$_l: the Bash tool wrote the file" "^hi$" "$_d/out/claude-out.txt"
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
	"$T" dump --type target "$_c" >"$_d/targets.txt"
	"$T" export -q --jsonl "$_d/rec.jsonl" --sqlite "$_d/rec.db" "$_c"
	check "$_l: export exits 0" [ $? = 0 ]
	check_grep "$_l: conversations shows each turn's model" \
		"^=== call 2  turn  anthropic messages  POST 127\.0\.0\.1:[0-9]+/v1/messages" \
		"$_d/conv.txt"
	check_grep "$_l: conversations shows the tool call with its command" \
		"^tool_call Bash id=toolu_01Mock[0-9]+ .*\"command\":\"echo hi > $_d/out/claude-out.txt" \
		"$_d/conv.txt"
	check_grep "$_l: conversations shows the tool result" \
		"^\[user\] \[tool_result\] claude-out.txt" "$_d/conv.txt"
	check_grep "$_l: conversations shows the tokens" \
		"^usage: in 120[0-9] out 8[0-9] cache_read 1000 cache_write 200" "$_d/conv.txt"
	check_grep "$_l: HEAD / is shown as a plain HTTP request" \
		"^=== http  HEAD / -> 200  claude,[0-9]+ .*\(not an LLM call\)" "$_d/conv.txt"
	check_grep "$_l: explain shows the user's prompt" \
		"call 1 anthropic [^ ]+: prompt \"write hi into a file in $_d/out\"" "$_d/explain.txt"
	check_grep "$_l: explain ties the spawned shell to the Bash call, exit 0" \
		"exec +bash,[0-9]+ -c .*echo hi > $_d/out/claude-out.txt.* \[exit 0\]  \(command, bash" \
		"$_d/explain.txt"
	check_grep "$_l: explain shows the file the shell wrote" \
		"file_write $_d/out/claude-out.txt  \((path|command|subtree), bash" "$_d/explain.txt"
	check "$_l: SQLite llm_calls: 2 turns" sh -c "[ \"\$(sqlite3 '$_d/rec.db' \
		\"SELECT COUNT(*) FROM llm_calls WHERE purpose = 'turn'\")\" = 2 ]"
	check "$_l: the capture holds the key (so the next checks mean something)" \
		sh -c "zstdcat '$_c' | grep -aq '$KEY'"
	check_grep "$_l: the key header is redacted" '"x-api-key","\[REDACTED\]"' "$_d/rec.jsonl"
	check "$_l: no key in any output" sh -c "! grep -aq '$KEY' '$_d/calls.jsonl' \
		'$_d/conv.txt' '$_d/explain.txt' '$_d/tree.txt' '$_d/rec.jsonl' '$_d/rec.db'"
	check_grep "$_l: SSL_write was discovered in the stripped binary" \
		"symbol=SSL_write offset=0x[0-9a-f]+ kind=boringssl method='ssl_lib.cc error sites, reasons 111 226 215; bounds by [^']+' discovery=.* attached=yes" \
		"$_d/targets.txt"
	check_grep "$_l: SSL_read was discovered in the stripped binary" \
		"symbol=SSL_read offset=0x[0-9a-f]+ kind=boringssl method='[^']*ssl_lib.cc error sites, reasons 66[^']*' discovery=.* attached=yes" \
		"$_d/targets.txt"
}

D=$TMPD/cur
mkdir -p "$D"
if record_run "claude-code $CLAUDE_CUR" "$CUR_BIN" "$D"; then
	analyze_run "claude-code $CLAUDE_CUR" "$D" "$D/rec.pcapng.zst"
	check_grep "claude-code $CLAUDE_CUR: the first run scanned the binary" \
		"symbol=SSL_write .* discovery='scan [0-9.]+ s'" "$D/targets.txt"
	check "claude-code $CLAUDE_CUR: the discovery cache is a 0700 directory" \
		sh -c "[ \"\$(stat -c %a '$ASIGHT_CACHE_DIR')\" = 700 ]"
	# the same binary again: the functions come from the cache
	D2=$TMPD/cur2
	mkdir -p "$D2"
	if record_run "claude-code $CLAUDE_CUR (cached)" "$CUR_BIN" "$D2"; then
		"$T" dump --type target "$D2/rec.pcapng.zst" >"$D2/targets.txt"
		check_grep "claude-code $CLAUDE_CUR: the second run read the cache" \
			"symbol=SSL_write .*kind=boringssl .* discovery=cache .*attached=yes" \
			"$D2/targets.txt"
		"$T" conversations --json -q "$D2/rec.pcapng.zst" >"$D2/calls.jsonl"
		check "claude-code $CLAUDE_CUR (cached): every served call comes out right" \
			compare "$D2/served.jsonl" "$D2/calls.jsonl" "$D2"
	fi
fi

# an overloaded error on the first request: Claude sends it again, which
# asanalyze must call a retry
if [ -d "$TMPD/cur" ]; then
	D=$TMPD/retry
	mkdir -p "$D"
	export MOCK_CLAUDE_FAIL_FIRST=1
	if record_run "claude-code $CLAUDE_CUR (529 first)" "$CUR_BIN" "$D"; then
		"$T" conversations -q "$D/rec.pcapng.zst" >"$D/conv.txt"
		check_grep "529 first: the failed call is shown with its API error" \
			"^api error: overloaded_error: Overloaded" "$D/conv.txt"
		check_grep "529 first: the same request again is a retry" \
			"^=== call 2  retry  anthropic messages" "$D/conv.txt"
		check_grep "529 first: the turn after it is a turn" \
			"^=== call 3  turn  anthropic messages" "$D/conv.txt"
	fi
	unset MOCK_CLAUDE_FAIL_FIRST
fi

# -p PID: claude runs untraced; the mock holds its first answer until
# asrecord says its probes are attached, so the answer to the first request
# (whose request went out before), the Bash child and the second turn are
# seen
D=$TMPD/attach
mkdir -p "$D/home" "$D/work" "$D/out"
if MOCK_CLAUDE_DIR=$D/out MOCK_CLAUDE_HOLD=$D/attached MOCK_PROFILE=claude \
	mock_start "$D" 120; then
	(cd "$D/work" && exec env HOME="$D/home" ANTHROPIC_API_KEY=$KEY \
		ANTHROPIC_BASE_URL=https://127.0.0.1:$PORT NODE_EXTRA_CA_CERTS=$CERT \
		CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 \
		"$CUR_BIN" -p "write hi into a file in $D/out" --allowedTools Bash \
		</dev/null >"$D/claude.out" 2>"$D/claude.err") &
	CL=$!
	i=0
	while [ ! -e "$D/attached.waiting" ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	timeout 100 "$R" -v -w "$D/att.pcapng.zst" -p "$CL" 2>"$D/asrecord.err" &
	REC=$!
	i=0
	while ! grep -q 'TLS functions attached' "$D/asrecord.err" && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	touch "$D/attached"
	wait "$REC"
	check "asrecord -p on a running claude exits 0" [ $? = 0 ]
	wait "$CL"
	check "claude exits 0" [ $? = 0 ]
	kill "$MOCK" 2>/dev/null
	wait "$MOCK" 2>/dev/null
	check_grep "attached: the Bash tool wrote the file" "^hi$" "$D/out/claude-out.txt"
	"$T" dump --type target "$D/att.pcapng.zst" >"$D/targets.txt"
	check_grep "attached: SSL_write and SSL_read of the running claude are hooked" \
		"symbol=SSL_read .*kind=boringssl .*attached=yes" "$D/targets.txt"
	"$T" conversations -q "$D/att.pcapng.zst" >"$D/conv.txt"
	check_grep "attached: the turn after the attach is rebuilt, tool result and answer" \
		"^\[user\] \[tool_result\] claude-out.txt" "$D/conv.txt"
	check_grep "attached: ... with the final answer" "^Done: claude-out.txt holds hi" \
		"$D/conv.txt"
	"$T" tree -q "$D/att.pcapng.zst" >"$D/tree.txt"
	check_grep "attached: the shell claude spawned is traced" \
		"bash,[0-9]+ -c .*echo hi > $D/out/claude-out.txt" "$D/tree.txt"
else
	skip_one "asrecord -p on a running claude" "the mock did not start"
fi

# the cache itself, through the discovery code alone (build/tests/disc_find)
DF=$O/tests/disc_find
if [ -x "$DF" ] && [ -d "$ASIGHT_CACHE_DIR" ]; then
	BID=$(ls "$ASIGHT_CACHE_DIR" | grep -E '^[0-9a-f]{40}$' | while read -r f; do
		grep -q '^f .* SSL_write boringssl' "$ASIGHT_CACHE_DIR/$f" && echo "$f"; done | head -1)
	E=$ASIGHT_CACHE_DIR/$BID
	"$DF" "$CUR_BIN" "$BID" >"$TMPD/df1.out"
	check_grep "disc_find: the entry asrecord wrote is used" "^found 2 in .* \(cache\)" \
		"$TMPD/df1.out"
	sed -i 's/^\(f [0-9a-f]* [0-9a-f]* \)[0-9a-f]\{4\}/\10000/' "$E"
	"$DF" "$CUR_BIN" "$BID" >"$TMPD/df2.out"
	check "disc_find: an entry whose bytes do not match the file is redone" \
		sh -c "grep -q '^found 2 in' '$TMPD/df2.out' && ! grep -q cache '$TMPD/df2.out'"
	"$DF" "$CUR_BIN" "$BID" >"$TMPD/df3.out"
	check_grep "disc_find: ... and rewritten" "^found 2 in .* \(cache\)" "$TMPD/df3.out"
	printf 'asight-disc 1 boringssl\nsize 1\nf zz\n' >"$E"
	"$DF" "$CUR_BIN" "$BID" >"$TMPD/df4.out"
	check "disc_find: a damaged entry is redone" \
		sh -c "grep -q '^found 2 in' '$TMPD/df4.out' && ! grep -q cache '$TMPD/df4.out'"
	check_grep "disc_find: the same offsets as asrecord found" \
		"^SSL_write 0x$(sed -n 's/.*symbol=SSL_write offset=0x\([0-9a-f]*\) .*/\1/p' \
		"$TMPD/cur/targets.txt" | head -1) " "$TMPD/df4.out"
	mkdir -m 777 "$TMPD/open"
	ASIGHT_CACHE_DIR=$TMPD/open "$DF" "$CUR_BIN" "$BID" >/dev/null
	ASIGHT_CACHE_DIR=$TMPD/open "$DF" "$CUR_BIN" "$BID" >"$TMPD/df7.out"
	check "disc_find: a cache directory others may write is not used" \
		sh -c "grep -q '^found 2 in' '$TMPD/df7.out' && ! grep -q cache '$TMPD/df7.out' &&
		[ -z \"\$(ls '$TMPD/open')\" ]"
	"$DF" /bin/true >"$TMPD/df5.out"
	check_grep "disc_find: nothing in a binary without BoringSSL" "^found 0 in" "$TMPD/df5.out"
	"$DF" "$0" >"$TMPD/df6.out"
	check_grep "disc_find: nothing in a file that is not ELF" "^found 0 in" "$TMPD/df6.out"
else
	skip_one "discovery cache checks" "no $DF or no cache written"
fi

if [ -n "$OLD_BIN" ]; then
	D=$TMPD/old
	mkdir -p "$D"
	record_run "claude-code $CLAUDE_OLD" "$OLD_BIN" "$D" &&
		analyze_run "claude-code $CLAUDE_OLD" "$D" "$D/rec.pcapng.zst"
else
	skip_one "claude-code $CLAUDE_OLD" "$OLD_WHY"
fi
done_testing
