#!/bin/sh
# asrecord --cgroup: processes in a cgroup v2 directory are traced, also
# those that join it after the recorder started; a process outside leaves
# no records.  Needs a writable cgroup2 mount (unified or hybrid layout).
. tests/lib.sh
. tests/e2e/rec_lib.sh

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CG2" ] || skip_all "no cgroup2 file system mounted"
CG=$CG2/asight-test-$$
mkdir "$CG" 2>/dev/null || skip_all "cannot create a cgroup under $CG2"
D=$TMPD/w
mkdir -p "$D"
cleanup_cg() { rmdir "$CG" 2>/dev/null; }
trap cleanup_cg EXIT


# relative to the cgroup2 mount point, as asrecord(8) allows
"$O/asrecord" -q -w "$TMPD/cg.pcapng.zst" --cgroup "${CG#"$CG2"/}" 2>"$TMPD/rec.err" &
R=$!
wait_file "$TMPD/cg.pcapng.zst.part"
sleep 0.3
# joins the cgroup after the recorder started, then execs and forks
sh -c 'echo $$ >"$1/cgroup.procs" && exec /bin/sh -c "echo in-marker >\"\$0/in.txt\"; \
( echo child-marker >\"\$0/child.txt\" )" "$2"' cg "$CG" "$D"
IN_RC=$?
echo out-marker >"$D/out.txt"
sh -c 'echo outside >"$1/out2.txt"' o "$D"
sleep 0.3
kill -INT $R
wait $R
check "asrecord --cgroup stops cleanly on SIGINT (status $?)" test -e "$TMPD/cg.pcapng.zst"
check "the process joined the cgroup (status $IN_RC)" test "$IN_RC" = 0
check "meta names the cgroup filter" sh -c \
	"'$O/asanalyze' info '$TMPD/cg.pcapng.zst' | grep -q 'cgroup: ${CG#"$CG2"/}\|cgroup: $CG'"
rec_json "$TMPD/cg.pcapng.zst" "$TMPD/j"
rec_py "--cgroup: the exec inside the cgroup is recorded" "$TMPD/j" \
	"any(r['type'] == 'exec' and '/bin/sh' in r.get('filename', '') for r in R)"
rec_py "--cgroup: its open of in.txt" "$TMPD/j" \
	"any(r['type'] == 'open' and r.get('path', '').endswith('in.txt') for r in R)"
rec_py "--cgroup: a child forked inside the cgroup is followed" "$TMPD/j" \
	"any(r['type'] == 'open' and r.get('path', '').endswith('child.txt') for r in R)"
rec_py "--cgroup: processes outside the cgroup leave no records" "$TMPD/j" \
	"not any(r.get('path', '').endswith(('out.txt', 'out2.txt')) for r in R)"
check "a missing cgroup is a clear error" sh -c \
	"! '$O/asrecord' -q -w '$TMPD/x.pcapng.zst' --cgroup '$CG2/asight-none-$$' 2>'$TMPD/e' &&
	 grep -q 'asight-none' '$TMPD/e'"
done_testing
