#!/bin/sh
# t_replay_hostile.sh - captured data full of terminal escape sequences
# (OSC window title, SGR colors, clear screen, CSI as the C1 byte 0x9b,
# a right-to-left override, raw ESC and invalid UTF-8 in HTTP headers) is
# rendered inert by asreplay: shown escaped, never interpreted by the
# terminal, in the timeline, the detail pane (hex + text), the transcript
# and --print.
. tests/lib.sh
. tests/e2e/replay_lib.sh

C=$TMPD/evil.pcapng.zst
check "make a hostile capture" replay_agent_cap "$C" hostile

"$R" --print -q "$C" >"$TMPD/print.txt"
check "--print: no raw ESC byte" sh -c "! LC_ALL=C grep -q \"\$(printf '\\033')\" '$TMPD/print.txt'"
check "--print: no raw C1 CSI" sh -c "! LC_ALL=C grep -q \"\$(printf '\\302\\233')\" '$TMPD/print.txt'"
check "--print: no raw RLO" sh -c "! grep -q \"\$(printf '\\342\\200\\256')\" '$TMPD/print.txt'"
check_grep "--print: escapes shown" 'I will look\.\\e\]2;pwned\\a\\e\[31mRED\\e\[0m\\e\[2J\\u\{202e\}desrever\\u\{009b\}31m' \
	"$TMPD/print.txt"

# asanalyze's text outputs: nothing a terminal would obey
for v in tree explain conversations info; do
	"$O/asanalyze" $v "$C" >"$TMPD/an-$v.txt" 2>/dev/null
	check "asanalyze $v: no raw ESC, C1 CSI or RLO" sh -c \
		"! LC_ALL=C grep -q \"\$(printf '\\033\\|\\302\\233\\|\\342\\200\\256')\" '$TMPD/an-$v.txt'"
done
check_grep "asanalyze explain: a hostile file name shown escaped" \
	'file_write /tmp/replay-demo/out\.txt\\x1b\]2;pwned\\x07' "$TMPD/an-explain.txt"
check_grep "asanalyze info read the capture" "^records: " "$TMPD/an-info.txt"
check_grep "asanalyze conversations: C1 and RLO shown as code points" \
	'\\u\{202e\}desrever\\u\{009b\}31m' "$TMPD/an-conversations.txt"

tm_start 30x200 "$C"
check "timeline opens" tm_wait "asreplay .* timeline"
tm_shot "$TMPD/s1"
check_grep "timeline: OSC shown escaped" 'I will look\.\\e\]2;pwned\\a\\e\[31mRED' "$TMPD/s1"
check_grep "timeline: exec argv escaped" "exec +/bin/sh -c 'ls /tmp/replay-demo\\\\e\[31mevil'" "$TMPD/s1"
check_grep "clear-screen did not clear: title bar still there" "^ asreplay " "$TMPD/s1"
title=$(tmux -L "$TM_SOCK" display-message -p -t r '#{pane_title}')
check "window title not set by the capture ($title)" sh -c "! echo '$title' | grep -qE 'pwned|owned'"
tmux -L "$TM_SOCK" capture-pane -p -e -t r >"$TMPD/s1e"
check "no blinking text from the capture" sh -c "! grep -q \"\$(printf '\\033')\\[5m\" '$TMPD/s1e'"

# the TLS read with the hostile header: hex and escaped text
n=$(grep -nE ' tls +read ' "$TMPD/print.txt" | head -1 | cut -d: -f1)
i=1
while [ $i -lt "$n" ]; do tm_keys j; i=$((i + 1)); done
tm_keys Enter Tab
check "detail: ESC bytes as hex" tm_seek "^000030  .*1b 5d 30 3b 6f 77 6e  "
check "detail: invalid UTF-8 as hex" tm_seek "^000040  65 64 07 1b 5b 35 6d ff fe 0d 0a"
check "detail: header as escaped text" tm_seek '^X-Evil: \\e\]0;owned\\a\\e\[5m\\xff\\xfe\\r'
title=$(tmux -L "$TM_SOCK" display-message -p -t r '#{pane_title}')
check "window title still not set ($title)" sh -c "! echo '$title' | grep -qE 'pwned|owned'"

# the transcript: system prompt and response escaped
tm_keys Tab 3 Enter
check "transcript: system prompt escaped" tm_wait '^system: +You are a test agent\.\\e\]2;pwned'
check "transcript: response escaped" tm_wait '^response: +I will look\.\\e\]2;pwned\\a\\e\[31mRED'
tm_keys Q
check "quits cleanly" tm_wait "ASREPLAY-EXITED 0"
tm_stop
done_testing
