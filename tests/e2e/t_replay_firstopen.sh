#!/bin/sh
# t_replay_firstopen.sh - a first open of a capture with no cache: asreplay
# shows the timeline from the analyzer's model in memory while the cache is
# written in a background thread (held back here with $ASREPLAY_TEST_HOLD
# until the test lets it go), the timeline is navigable meanwhile (End,
# Home, search, a kind filter), a view that needs the cache waits for it,
# the switch to the cache keeps the cursor, quitting before the cache is
# written finishes it, and the next open uses the cache.  Assertions are on
# screen contents and files only.
. tests/lib.sh
. tests/e2e/replay_lib.sh

C=$TMPD/agent.pcapng.zst
check "make a capture" replay_agent_cap "$C"
"$R" --print --db "$TMPD/ref.db" "$C" >"$TMPD/print.txt" 2>/dev/null
N=$(wc -l <"$TMPD/print.txt")
FOUND=$(grep -n "Found a.txt" "$TMPD/print.txt" | cut -d: -f1)
check "reference timeline ($N events)" [ "$N" -gt 5 ]

HOLD=$TMPD/go
export ASREPLAY_TEST_HOLD=$HOLD
tm_start 30x120 "$C"
check "first open: the timeline shows before the cache exists" \
	tm_wait "asreplay .* timeline .* $N events  \[writing the cache"
check "no cache yet" [ ! -e "$C.db" ]
tm_shot "$TMPD/s1"
check_grep "first screen: rows from memory" \
	"^[0-9:.]{12} +\+0\.[0-9]{6} +200 python3 +exec" "$TMPD/s1"
tm_keys End
check "End while writing: the last event" tm_wait " $N/$N$"
tm_shot "$TMPD/end_mem"
tm_keys Home
check "Home while writing" tm_wait " 1/$N$"
tm_keys / F o u n d Enter
check "search while writing" tm_wait " $FOUND/$N$"
tm_keys f C-u k i n d = f i l e Enter
check "filter while writing" tm_wait "filter: kind=file"
tm_shot "$TMPD/s2"
check "filter while writing: only file events" \
	sh -c "! grep -qE ' (exec|tls|llm|tool|net|exit) ' '$TMPD/s2'"
check_grep "filter while writing: the tool's write" \
	" 201 sh +file +write /tmp/replay-demo/out.txt" "$TMPD/s2"
tm_keys F
check "filter cleared while writing" tm_wait "filter cleared"
tm_keys / F o u n d Enter
check "back on the match" tm_wait " $FOUND/$N$"
check "still writing the cache" tm_wait "\[writing the cache"

# the process tree needs the cache's tables: it waits for them
tm_keys 2
check "a view that needs the cache waits for it" tm_wait "waiting for the cache"
touch "$HOLD"
check "then the process tree shows" tm_wait "200 python3 +1\.51s +exit 0"
check "the cache is written beside the capture" [ -s "$C.db" ]
tm_keys 1
check "after the switch: the cursor stayed" tm_wait " $FOUND/$N$"
check "the note is gone" tm_wait "^ asreplay [^[]* events *$"
tm_keys End
check "End from the cache" tm_wait " $N/$N$"
tm_shot "$TMPD/end_db"
sed 1d "$TMPD/end_mem" >"$TMPD/end_mem.body"
sed 1d "$TMPD/end_db" >"$TMPD/end_db.body"
check "the same last page from memory and from the cache" cmp "$TMPD/end_mem.body" "$TMPD/end_db.body"
tm_keys Q
check "quits with status 0" tm_wait "ASREPLAY-EXITED 0"
tm_stop

"$R" --print "$C" >"$TMPD/print2.txt" 2>"$TMPD/print2.err"
check "the next open uses the cache (no analysis)" [ ! -s "$TMPD/print2.err" ]
check "the cache holds the same timeline" cmp "$TMPD/print.txt" "$TMPD/print2.txt"

# quitting before the cache is written: asreplay finishes it, then exits
rm -f "$HOLD" "$C.db"
tm_start 30x120 "$C"
check "second first open" tm_wait "\[writing the cache"
tm_keys Q
check "quit while writing: says it finishes the cache" tm_wait "finishing the cache"
touch "$HOLD"
check "then exits 0" tm_wait "ASREPLAY-EXITED 0"
tm_stop
"$R" --print "$C" >"$TMPD/print3.txt" 2>"$TMPD/print3.err"
check "the cache written after quitting is used" [ ! -s "$TMPD/print3.err" ]
check "and holds the same timeline" cmp "$TMPD/print.txt" "$TMPD/print3.txt"
check "no scratch files left" sh -c "! ls '$TMPD' | grep -q part"
done_testing
