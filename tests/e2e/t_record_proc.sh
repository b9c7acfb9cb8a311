#!/bin/sh
# asrecord -- CMD: a shell that forks, execs, writes, renames, deletes,
# makes a directory, connects to a local TCP port, has a grandchild that
# forks without exec, and exits 7: every event is in the capture with the
# right pids, argv, paths, address and exit code.
. tests/lib.sh
. tests/e2e/rec_lib.sh
need_cmd bash
D=$TMPD/work
mkdir -p "$D"
rec_port_server "$TMPD/port"
PORT=$(cat "$TMPD/port")
cap=$TMPD/p.pcapng.zst
"$O/asrecord" -w "$cap" -- bash -c '
cd "$1"
echo data-marker > a.txt
mv a.txt b.txt
rm b.txt
mkdir sub
chmod 700 sub
( echo grandchild-marker > g.txt ) &
wait
exec 3<>/dev/tcp/127.0.0.1/$2
echo hello >&3
exec 3>&-
exit 7' rec "$D" "$PORT" >"$TMPD/rec.out" 2>&1
rc=$?
kill "$REC_SERVER_PID" 2>/dev/null
check "asrecord returns the command's exit status (7, got $rc)" test "$rc" = 7
check_grep "a summary line is printed" "records .* dropped, [0-9]+ truncated" "$TMPD/rec.out"
check "the capture is closed (no .part) and mode 0600" test -e "$cap" -a ! -e "$cap.part" \
	-a "$(stat -c %a "$cap")" = 600
check "asanalyze verify passes" "$O/asanalyze" verify "$cap"
rec_json "$cap" "$TMPD/j"
J=$TMPD/j
rec_py "exec of bash with its argv and cwd" "$J" \
	'first("exec", comm="bash") and first("exec", comm="bash")["argv"][0] == "bash"'
rec_py "exec of mv with argv and cwd $D" "$J" \
	"first('exec', argv=['mv', 'a.txt', 'b.txt'], cwd='$D') is not None"
rec_py "mv's parent is the bash pid" "$J" \
	'first("exec", comm="mv")["ppid"] == first("exec", comm="bash")["pid"]'
rec_py "open of a.txt for writing (O_CREAT, fd returned)" "$J" \
	'any(r["type"] == "open" and r.get("path") == "a.txt" and "O_CREAT" in r.get("oflags", "") and r["ret"] >= 0 for r in R)'
rec_py "write of the payload to a.txt" "$J" \
	'any(r["type"] == "write" and "data-marker" in r.get("data", r.get("payload", "")) for r in R)'
rec_py "rename a.txt -> b.txt succeeded" "$J" \
	'any(r["type"] == "rename" and r.get("oldpath") == "a.txt" and r.get("newpath") == "b.txt" and r["ret"] == 0 for r in R)'
rec_py "unlink of b.txt" "$J" 'any(r["type"] == "unlink" and r.get("path") == "b.txt" for r in R)'
rec_py "mkdir sub" "$J" 'any(r["type"] == "mkdir" and r.get("path") == "sub" for r in R)'
rec_py "chmod sub 0700" "$J" \
	'any(r["type"] == "chmod" and r.get("path") == "sub" and r.get("mode") == "0700" for r in R)'
rec_py "connect to 127.0.0.1:$PORT" "$J" \
	"any(r['type'] == 'connect' and r.get('addr') == '127.0.0.1:$PORT' for r in R)"
rec_py "the grandchild (fork, no exec) writes g.txt and is a child of bash" "$J" '
[f for f in R if f["type"] == "fork" and f["parent_pid"] == first("exec", comm="bash")["pid"]
 and any(o["type"] == "open" and o.get("path") == "g.txt" and o["pid"] == f["child_pid"] for o in R)]'
rec_py "exit of bash with code 7" "$J" \
	'any(r["type"] == "exit" and r.get("code") == 7 and r["pid"] == first("exec", comm="bash")["pid"] for r in R)'
rec_py "every traced record has its task_start_ns" "$J" \
	'all(r["task_start_ns"] > 0 for r in R if r["type"] in ("fork", "exec", "exit", "open"))'
# seq is counted per CPU (the CPU in bits 48 and up): each CPU's numbers run 1..n
rec_py "seq numbers have no gap on any CPU (no loss)" "$J" '
(lambda S: len(S) > 0 and all(
    sorted(q & 0xffffffffffff for q in S if q >> 48 == c) == list(range(1, 1 + sum(q >> 48 == c for q in S)))
    for c in set(q >> 48 for q in S)))([r["seq"] for r in R if r["type"] not in ("proc", "fd", "target")])'
if command -v tshark >/dev/null && command -v zstdcat >/dev/null; then
	zstdcat "$cap" | tshark -r - >"$TMPD/tshark.out" 2>&1
	check "zstdcat | tshark -r - reads the capture" test $? = 0 -a -s "$TMPD/tshark.out"
else
	skip_one "tshark" "tshark or zstdcat not installed"
fi
# a capture made on one CPU only: info shows that CPU's own numbers
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	taskset -c 1 "$O/asrecord" -q -w "$TMPD/cpu1.pcapng.zst" -- true
	"$O/asanalyze" info "$TMPD/cpu1.pcapng.zst" >"$TMPD/cpu1.info" 2>&1
	check_grep "info gives one CPU's seq run without its CPU bits" \
		"^records: .*, seq 1\.\.[0-9]{1,6} on CPU 1\$" "$TMPD/cpu1.info"
else
	skip_one "one-CPU capture" "needs 2 CPUs and taskset"
fi
done_testing
