#!/bin/sh
# asrecord never loses data silently: a flood through a 1 MiB ring must
# produce drops that are counted (STATS/footer) and match the holes in seq,
# while the traced workload still completes; and a recorder killed with
# SIGKILL leaves a .part file that reads up to its last frame and repairs.
. tests/lib.sh
need_root
need_cmd python3
need_cmd taskset
[ -x "$O/asrecord" ] || skip_all "asrecord not built"
cat >"$TMPD/storm.py" <<'PY'
import os, sys
path = sys.argv[2]
for i in range(int(sys.argv[1])):
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o644))
print("storm done")
PY
cap=$TMPD/flood.pcapng.zst
# three storms on two cores, and the consumer stopped for a second in the
# middle (as a starved recorder would be): a 1 MiB ring must overflow.
# A drop shows as a hole in its CPU's seq run only once a later record of
# that CPU is kept: after the storms, once the consumer runs again (the
# file cont) and has drained, a short burst pinned to each CPU closes
# every run.
"$O/asrecord" -q -b 1 -w "$cap" -- sh -c "python3 $TMPD/storm.py 300000 $TMPD/a &
	python3 $TMPD/storm.py 300000 $TMPD/b & python3 $TMPD/storm.py 300000 $TMPD/c;
	wait; while [ ! -e $TMPD/cont ]; do sleep 0.1; done; sleep 0.5
	for c in \$(seq 0 \$((\$(nproc) - 1))); do
	taskset -c \$c python3 $TMPD/storm.py 200 $TMPD/d >/dev/null; done" \
	>"$TMPD/flood.out" 2>&1 &
R=$!
for _ in $(seq 100); do [ -e "$TMPD/a" ] && break; sleep 0.05; done
sleep 0.2
kill -STOP $R
sleep 1
kill -CONT $R
: >"$TMPD/cont"
wait $R
check "the flooded workload still completes" test "$(grep -c 'storm done' "$TMPD/flood.out")" = 3
"$O/asanalyze" info "$cap" >"$TMPD/info.out" 2>&1
drops=$(sed -nE 's/^drops: +([0-9]+) \(stats\).*/\1/p' "$TMPD/info.out")
gaps=$(sed -nE 's/^seq gaps: +([0-9]+) records missing.*/\1/p' "$TMPD/info.out")
echo "  flood: drops=$drops seq-gaps=$gaps"
check "a 1 MiB ring under a two-core flood records drops ($drops)" test "${drops:-0}" -gt 0
check "drop count equals the holes in seq ($gaps)" test "${drops:-x}" = "${gaps:-y}"
check_grep "the footer carries the same drop count" "^drops: +$drops \(stats\), $drops \(footer\)" "$TMPD/info.out"
check "the flooded capture verifies" "$O/asanalyze" verify "$cap"
[ "$(nproc)" -ge 2 ] &&
	check_grep "records are numbered per CPU" "seq numbered per CPU on [0-9]+ CPUs" "$TMPD/info.out"
# the analyzer finds the same holes, CPU by CPU, streaming or not
if command -v sqlite3 >/dev/null 2>&1; then
	check "the streamed export of the flood succeeds" \
		"$O/asanalyze" export -q --sqlite "$TMPD/s.db" "$cap"
	check "the full-model export of the flood succeeds" \
		env ASANALYZE_NO_STREAM=1 "$O/asanalyze" export -q --sqlite "$TMPD/f.db" "$cap"
	q="SELECT ts_ns, count, first_seq FROM drops WHERE kind = 'seq_gap' ORDER BY rowid"
	sqlite3 "$TMPD/s.db" "$q" >"$TMPD/s.gaps"
	sqlite3 "$TMPD/f.db" "$q" >"$TMPD/f.gaps"
	sgaps=$(sqlite3 "$TMPD/s.db" "SELECT total(count) FROM drops WHERE kind = 'seq_gap'")
	check "the streamed export counts as many lost records as info (${sgaps%.0})" \
		test "${sgaps%.0}" = "$gaps"
	check "the streamed and the full model list the same seq gaps" cmp "$TMPD/s.gaps" "$TMPD/f.gaps"
fi

# SIGKILL mid-capture
kcap=$TMPD/killed.pcapng.zst
"$O/asrecord" -q -w "$kcap" -- python3 "$TMPD/storm.py" 100000000 "$TMPD/k" >/dev/null 2>&1 &
rpid=$!
sleep 3
kill -9 $rpid
sleep 0.5
pkill -f "storm.py 100000000" 2>/dev/null
check "a SIGKILLed recorder leaves a .part file" test -s "$kcap.part"
"$O/asanalyze" info "$kcap.part" >"$TMPD/kinfo.out" 2>&1
n=$(sed -nE 's/^records: +([0-9]+) data records.*/\1/p' "$TMPD/kinfo.out")
echo "  killed capture: $n records readable"
check "the killed capture reads up to its last frame ($n records)" test "${n:-0}" -gt 1000
check "repair turns it into a clean capture" "$O/asanalyze" repair "$kcap.part" "$TMPD/fixed.pcapng.zst"
check "the repaired capture verifies" "$O/asanalyze" verify "$TMPD/fixed.pcapng.zst"
done_testing
