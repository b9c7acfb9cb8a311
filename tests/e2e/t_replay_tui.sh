#!/bin/sh
# t_replay_tui.sh - asreplay driven in tmux on a real capture (Anthropic
# Messages bytes of a two-call agent session with one tool call, wrapped by
# mkllmcap): every view, the detail pane with TLS bytes, filter, search,
# the jump from a tool call to what it caused, playback, help, resize to
# 80x24 and --print.  Assertions are on screen contents only.
. tests/lib.sh
. tests/e2e/replay_lib.sh

C=$TMPD/agent.pcapng.zst
check "make a capture" replay_agent_cap "$C"

# --print: plain text, one line per event, the cache is built beside the capture
"$R" --print "$C" >"$TMPD/print.txt" 2>"$TMPD/print.err"
check "--print exits 0" [ $? = 0 ]
check "the model is cached as FILE.db" [ -s "$C.db" ]
check_grep "--print: llm call" " llm +claude-sonnet-4-20250514 messages status 200" "$TMPD/print.txt"
check_grep "--print: tool call" " tool +Bash ls /tmp/replay-demo$" "$TMPD/print.txt"
check_grep "--print: exec of the tool" " sh +exec +/bin/sh -c 'ls /tmp/replay-demo'" "$TMPD/print.txt"
check_grep "--print: file write" " file +write /tmp/replay-demo/out.txt = 20" "$TMPD/print.txt"
check_grep "progress while analyzing" "asreplay: reading the capture" "$TMPD/print.err"
"$R" --print -f "kind=exec pid=201" "$C" >"$TMPD/pf.txt" 2>&1
check "--print --filter keeps one exec" [ "$(wc -l <"$TMPD/pf.txt")" = 1 ]
"$R" --print -q "$C" >"$TMPD/print2.txt" 2>"$TMPD/print2.err"
check "second open uses the cache (no analysis)" [ ! -s "$TMPD/print2.err" ]
check "same timeline from the cache" cmp "$TMPD/print.txt" "$TMPD/print2.txt"
"$R" --print "$C.db" >"$TMPD/print3.txt" 2>&1
check "a .db opens directly" cmp "$TMPD/print.txt" "$TMPD/print3.txt"

N=$(wc -l <"$TMPD/print.txt")
FOUND=$(grep -n "Found a.txt" "$TMPD/print.txt" | cut -d: -f1)
OUT2=$(grep -n "out.txt" "$TMPD/print.txt" | sed -n 2p | cut -d: -f1)
tm_start 30x120 "$C"
check "timeline view opens" tm_wait "asreplay .* timeline .* $N events"
tm_shot "$TMPD/s1"
check_grep "status bar names the keys" "\?:help /:search f:filter Enter:detail 2:tree 3:conv space:play q:quit" "$TMPD/s1"
check_grep "row: time, relative time, pid, comm, kind" "^[0-9:.]{12} +\+0\.[0-9]{6} +200 python3 +exec" "$TMPD/s1"

# detail pane: all fields; for the TLS write (4th event) bytes as hex + text
tm_keys Enter
check "detail pane opens" tm_wait "detail \(Tab"
tm_shot "$TMPD/s2"
check_grep "detail: exec fields" "^filename: +/usr/bin/python3" "$TMPD/s2"
check_grep "detail: wall-clock time" "^event 1  exec  20[0-9-]+ [0-9:.]+  \+0\.000000" "$TMPD/s2"
tm_keys j j j
check "detail: TLS bytes as hex" tm_wait "^000000  50 4f 53 54 20 2f 76 31 2f 6d 65 73 73 61 67 65  POST /v1/message"
tm_keys Tab
check "detail: TLS bytes as text" tm_seek "^POST /v1/messages HTTP/1.1\\\\r"
tm_keys Tab End
check "End goes to the last event" tm_wait " $N/$N$"
tm_keys Home
check "Home goes to the first event" tm_wait " 1/$N$"
tm_keys PgDn
# wait for the redraw: a position other than the first
check "PgDn moves a page" tm_wait " ([2-9]|[1-9][0-9]+)/$N\$"
tm_keys G g d
check "g goes to the first event" tm_wait " 1/$N$"

# process tree, Enter filters the timeline to the subtree
tm_keys 2
check "process tree view" tm_wait "process tree"
tm_shot "$TMPD/s3"
check_grep "tree: agent with duration and exit" "200 python3 +1\.51s +exit 0 +/usr/bin/python3 agent.py" "$TMPD/s3"
check_grep "tree: tool process under the agent" "201 sh +2ms +exit 0 +/bin/sh -c" "$TMPD/s3"
tm_keys j j Enter
check "Enter on a process filters the timeline" tm_wait "filter: proc=[0-9]+"
tm_shot "$TMPD/s4"
check "subtree filter keeps only pid 201" sh -c "! grep -E '^[0-9:.]{12} .* (200|100) ' '$TMPD/s4'"
check_grep "subtree filter keeps the tool's file writes" " 201 sh +file +write" "$TMPD/s4"
tm_keys F
check "F clears the filter" tm_wait "filter cleared"

# conversations, transcript, jump from the tool call to its effects
tm_keys 3
check "conversations view" tm_wait "claude-sonnet-4-20250514 +200 +in 100 out 20 .* 1 tool call"
tm_keys Enter
check "transcript of the call" tm_wait "^tool call Bash toolu_replay1:"
tm_shot "$TMPD/s5"
check_grep "transcript: system prompt" "^system: +You are a test agent\." "$TMPD/s5"
check_grep "transcript: user message" "^user: +List /tmp/replay-demo please\." "$TMPD/s5"
check_grep "transcript: tokens, cost, ttft" "^usage: .*tokens in 100 out 20 .*cost \\$.*ttft 0\.298s" "$TMPD/s5"
check_grep "transcript: the effect of the tool" "^  -> exec: +/bin/sh -c 'ls /tmp/replay-demo'" "$TMPD/s5"
n=$(grep -nE "^tool call Bash" "$TMPD/s5" | cut -d: -f1)
i=2
while [ $i -lt "$n" ]; do tm_keys j; i=$((i + 1)); done
tm_keys Enter
check "Enter on a tool call jumps to what it caused" tm_wait "filter: tool=1"
tm_shot "$TMPD/s6"
check_grep "jump: the tool's process exec" " 201 sh +exec +/bin/sh -c 'ls /tmp/replay-demo'" "$TMPD/s6"
check_grep "jump: the tool's file write" " 201 sh +file +write /tmp/replay-demo/out.txt" "$TMPD/s6"
check "jump: nothing of the agent's own TLS" sh -c "! grep -q ' tls ' '$TMPD/s6'"
tm_keys F

# search as you type, n / N
tm_keys g / F o u n d Enter
check "search moves to the match" tm_wait " $FOUND/$N$"
tm_keys N
check "N: previous match (none above)" tm_wait "'Found' not found above"
tm_keys g / o u t . t x t Enter n
check "n: next match" tm_wait " $OUT2/$N$"

# filter as you type
tm_keys f C-u k i n d = f i l e
check "filter as you type" tm_wait "filter: kind=file"
tm_shot "$TMPD/s7"
check "filter: only file events shown" sh -c "! grep -qE ' (exec|tls|llm|tool|net|exit) ' '$TMPD/s7'"
tm_keys Escape
check "Esc restores the previous filter" tm_wait "^ asreplay [^|]* events *$"

# playback at max speed reaches the end
tm_keys g '>' '>' '>' Space
check "playback plays" tm_wait "max"
check "playback advances to the end" tm_wait "playback reached the end"
tm_shot "$TMPD/s8"
check_grep "playback moved the cursor to the end" " $N/$N$" "$TMPD/s8"

# help is a view
tm_keys '?'
check "help view" tm_wait "^Playback"
tm_keys q
check "q leaves help" tm_wait "/:search"

# resize to 80x24
tmux -L "$TM_SOCK" resize-window -t r -x 80 -y 24
check "resize to 80x24 redraws" tm_wait "asreplay .* timeline"
tm_shot "$TMPD/s9"
check "80x24: 24 rows" [ "$(wc -l <"$TMPD/s9")" = 24 ]
check "80x24: no row wider than 80" [ "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$TMPD/s9")" -le 80 ]
check_grep "80x24: status bar on the last row" "q:quit" "$TMPD/s9"
tm_keys Enter
check "80x24: detail pane fits" tm_wait "detail \(Tab"
tmux -L "$TM_SOCK" resize-window -t r -x 200 -y 60
check "large terminal" tm_wait "^ asreplay .* timeline"

tm_keys Q
check "Q quits with status 0" tm_wait "ASREPLAY-EXITED 0"
tm_stop
done_testing
