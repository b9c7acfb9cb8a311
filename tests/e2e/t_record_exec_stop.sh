#!/bin/sh
# The exec-time pause: a traced process that maps a file asrecord has not
# examined yet is stopped until that file's TLS probes are attached, so a
# program that does TLS the moment it starts loses nothing (the race that
# used to need --tls-lib).  Shells and their children run normally under
# it, and a pause never outlives the recorder.
. tests/lib.sh
. tests/e2e/rec_lib.sh
. tests/mock/mock.sh
[ -x "$O/tests/tls_quick" ] || skip_all "tests/tls_quick not built"
mock_start "$TMPD" 120 || skip_all "the TLS mock did not start"

# A TLS client that sends its request within milliseconds of exec: every
# one of 5 runs has its request recorded, and the recorder paused it.
ok=0
for i in 1 2 3 4 5; do
	rm -f "$TMPD/q.zst"
	"$O/asrecord" -v -w "$TMPD/q.zst" -- "$O/tests/tls_quick" "$PORT" "/quick-$i" \
		>"$TMPD/q.out" 2>"$TMPD/q.err"
	grep -q "200 OK" "$TMPD/q.out" || continue
	grep -qE ", [1-9][0-9]* exec/mmap pauses" "$TMPD/q.err" || continue
	"$O/asanalyze" dump -H -t tls "$TMPD/q.zst" 2>/dev/null | grep -q "GET /quick-$i" &&
		ok=$((ok + 1))
done
check "a TLS client that talks at once is recorded on each of 5 runs (got $ok)" [ "$ok" = 5 ]
"$O/asanalyze" conversations -q "$TMPD/q.zst" >/dev/null 2>&1
check_grep "the summary counts the pauses" "exec/mmap pauses for probe attachment" "$TMPD/q.err"

# Shells (with and without job control) see their children exit normally.
"$O/asrecord" -q -w "$TMPD/sh.zst" -- bash -c \
	'python3 -c "print(\"py-ran\")"; echo "rc=$?"; sh -c "exit 3"; echo "rc=$?"' >"$TMPD/sh.out" 2>&1
check_grep "bash: a python child runs and exits 0" "^py-ran" "$TMPD/sh.out"
check "bash: exit codes come through unchanged" sh -c \
	"grep -c '^rc=0\$' '$TMPD/sh.out' | grep -qx 1 && grep -qx 'rc=3' '$TMPD/sh.out'"
"$O/asrecord" -q -w "$TMPD/ish.zst" -- bash -ic 'sh -c "exit 4"; echo "rc=$?"' \
	>"$TMPD/ish.out" 2>&1 </dev/null
check_grep "interactive bash (job control) is not confused by a pause" "^rc=4" "$TMPD/ish.out"

# --no-exec-stop: no pause at all.
"$O/asrecord" -v --no-exec-stop -w "$TMPD/ns.zst" -- sh -c 'true' >/dev/null 2>"$TMPD/ns.err"
check_grep "--no-exec-stop pauses nothing" ", 0 exec/mmap pauses" "$TMPD/ns.err"

# No process is left stopped (state T) once the recorder is gone.
"$O/asrecord" -q -w "$TMPD/bg.zst" -- sh -c 'sleep 30 & echo $! >'"$TMPD/bg.pid"'; sleep 1' \
	>/dev/null 2>&1
bgpid=$(cat "$TMPD/bg.pid" 2>/dev/null)
state=$(awk '{print $3}' "/proc/$bgpid/stat" 2>/dev/null)
check "a traced process outliving the recorder is running, not stopped (state '$state')" \
	sh -c "[ -n '$state' ] && [ '$state' != T ]"
kill "$bgpid" 2>/dev/null

# SIGKILL of asrecord while a program is stopped for probe attachment: the
# guardian process continues it.  A fresh copy of node (large, never
# examined in this run) keeps the pause long enough to be seen.
if command -v node >/dev/null 2>&1; then
	cp "$(command -v node)" "$TMPD/node-copy"
	python3 tests/e2e/rec_guard_kill.py "$O/asrecord" "$TMPD/k.zst" "$TMPD/node-copy" \
		-e 'setTimeout(() => {}, 200)' >"$TMPD/k.out" 2>&1
	rc=$?
	if [ $rc = 2 ]; then
		skip_one "SIGKILL during a pause" "the pause was never caught in state T"
	else
		check "after SIGKILL of asrecord the paused program is continued ($(cat "$TMPD/k.out"))" \
			[ $rc = 0 ]
	fi
else
	skip_one "SIGKILL during a pause" "node is not installed"
fi
kill "$MOCK" 2>/dev/null
done_testing
