#!/bin/sh
# Writes through an fd the writing process did not open, and writes the
# kernel does for the process.  A shell's redirection opens the file and
# dup2()s it onto fd 1; a subshell writes to an fd its parent opened; cat
# and cp copy with copy_file_range(2), sendfile(2) or splice(2).  asrecord
# puts the file's inode and device in open, write and close records, and
# the source fd of a copying write in fd2; asanalyze finds the path by
# inode and names the source (files.path2).  A write through an fd that
# dup2() (not recorded) gave another file is told by its inode too.
. tests/lib.sh
. tests/e2e/rec_lib.sh
need_cmd sqlite3
D=$TMPD/w
mkdir -p "$D"
F=$TMPD/facts.json
J=$TMPD/j
cap=$TMPD/fdw.pcapng.zst
printf 'source bytes\n' >"$D/src.txt"

cat >"$TMPD/copies.py" <<'EOF'
import json, os, sys
d, out = sys.argv[1], sys.argv[2]
src = os.open(d + "/src.txt", os.O_RDONLY)
n = os.fstat(src).st_size
fx = {"src_fd": src, "n": n}
cfr = os.open(d + "/cfr.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
fx["cfr"] = [cfr, os.copy_file_range(src, cfr, n, 0)]
sf = os.open(d + "/sf.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
fx["sf"] = [sf, os.sendfile(sf, src, 0, n)]
r, w = os.pipe()
os.write(w, b"piped\n")
sp = os.open(d + "/sp.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
fx["sp"] = [sp, os.splice(r, sp, 6), r]
# dup2 (not recorded) puts db.txt on the fd da.txt was opened on
da = os.open(d + "/da.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
db = os.open(d + "/db.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.dup2(db, da)
os.write(da, b"dup2 target\n")
os.close(da)
for name in ("a.txt", "c.txt", "cfr.txt"):
    st = os.stat(d + "/" + name)
    fx[name] = [st.st_ino, "%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev))]
json.dump(fx, open(out, "w"))
EOF

B=$(cd "$O" && pwd)
(cd "$D" && "$B/asrecord" -w "$cap" -- sh -c '
echo hi > a.txt
exec 3> c.txt
(echo sub >&3)
exec 3>&-
python3 "$1" "$2" "$3"' fdw "$TMPD/copies.py" "$D" "$F") >"$TMPD/rec.out" 2>&1
rc=$?
check "the workload ran, status 0 ($rc)" test "$rc" = 0 -a -s "$F"
rec_json "$cap" "$J"
fx() {
	rec_py "$1" "$J" "(lambda X: ($2))(json.load(open('$F')))"
}

fx "the shell's redirected write (fd 1) carries a.txt's inode and device" "
first('write', fd=1, payload='hi\n', ino=X['a.txt'][0], dev=X['a.txt'][1])"
fx "the open of a.txt carries the same inode" "
first('open', path='a.txt', ino=X['a.txt'][0], dev=X['a.txt'][1])"
fx "the subshell's write (its parent's fd 3, dup2'd onto 1) carries c.txt's inode" "
any(r['type'] == 'write' and r.get('payload') == 'sub\n' and
    r['ino'] == X['c.txt'][0] for r in R)"
fx "the close of fd 3 carries c.txt's inode" "
first('close', fd=3, ino=X['c.txt'][0])"
fx "copy_file_range: a write of the destination fd, from the source fd, ret = size" "
first('write', syscall=326, fd=X['cfr'][0], from_fd=X['src_fd'], ret=X['n'],
      ino=X['cfr.txt'][0]) and X['cfr'][1] == X['n']"
fx "sendfile: a write of the destination fd, from the source fd" "
first('write', syscall=40, fd=X['sf'][0], from_fd=X['src_fd'], ret=X['n'])"
fx "splice: a write of the destination fd, from the pipe" "
first('write', syscall=275, fd=X['sp'][0], from_fd=X['sp'][2], ret=6)"
fx "copying writes keep no payload and claim none missing" "
all(not r.get('payload') and r.get('flags', 0) == 0 for r in R
    if r['type'] == 'write' and r['syscall'] in (40, 275, 326))"

db=$TMPD/fdw.db
"$O/asanalyze" export --sqlite "$db" "$cap" >/dev/null 2>&1
check "asanalyze export --sqlite" test -s "$db"
q() { sqlite3 "$db" "$1" 2>&1; }
check_eq() { check "$1" test "$2" = "$3"; }
check_eq "SQLite: the redirected write's path is a.txt (found by inode)" "$D/a.txt" \
	"$(q "SELECT abs_path FROM files WHERE op = 'write' AND fd = 1 AND count = 3")"
check_eq "SQLite: the subshell's write's path is c.txt" "$D/c.txt" \
	"$(q "SELECT abs_path FROM files WHERE op = 'write' AND count = 4")"
check_eq "SQLite: copy_file_range and sendfile rows name their source in path2" \
	"$D/cfr.txt|$D/src.txt
$D/sf.txt|$D/src.txt" \
	"$(q "SELECT abs_path, path2 FROM files WHERE op = 'write' AND path2 IS NOT NULL
	      ORDER BY ts_ns")"
check_eq "SQLite: the splice row has its file and no source path (a pipe)" "$D/sp.txt|" \
	"$(q "SELECT abs_path, path2 FROM files WHERE op = 'write' AND abs_path LIKE '%sp.txt'")"
check_eq "SQLite: a write and close through an fd dup2() replaced name the new file" \
	"write|$D/db.txt
close|$D/db.txt" \
	"$(q "SELECT op, abs_path FROM files WHERE op IN ('write', 'close')
	      AND ts_ns >= (SELECT ts_ns FROM files WHERE op = 'write' AND count = 12)
	      AND fd = (SELECT fd FROM files WHERE op = 'write' AND count = 12) ORDER BY ts_ns LIMIT 2")"
check_eq "SQLite: every write row has a path" "0" \
	"$(q "SELECT count(*) FROM files WHERE op = 'write' AND abs_path IS NULL")"
# the export above streams its model; the whole model must give the same rows
ASANALYZE_NO_STREAM=1 "$O/asanalyze" export --sqlite "$TMPD/whole.db" "$cap" >/dev/null 2>&1
sqlite3 "$db" .dump >"$TMPD/stream.sql"
sqlite3 "$TMPD/whole.db" .dump >"$TMPD/whole.sql"
check "SQLite: the streamed and the whole model's exports are the same" \
	cmp "$TMPD/stream.sql" "$TMPD/whole.sql"

# asreplay's timeline: the C text builder (cache) and the SQL one agree on
# the copying write's "<-" (tests/e2e/t_replay_events.sh does all rows)
RP=$O/asreplay
if [ -x "$RP" ]; then
	"$RP" --print -q "$cap" >"$TMPD/p1.txt" 2>"$TMPD/rp.err"
	check_grep "asreplay: the copying write shows its source" \
		"write $D/cfr.txt <- $D/src.txt = $(python3 -c "import json; print(json.load(open('$F'))['n'])")" \
		"$TMPD/p1.txt"
	cp "$cap.db" "$TMPD/sql.db"
	sqlite3 "$TMPD/sql.db" "DROP TABLE rp_events; DELETE FROM rp_meta WHERE key = 'version';"
	"$RP" --print -q "$TMPD/sql.db" >"$TMPD/p2.txt" 2>>"$TMPD/rp.err"
	check "asreplay: the timeline from SQL is the same" cmp "$TMPD/p1.txt" "$TMPD/p2.txt"
else
	skip_one "asreplay timeline" "asreplay not built"
fi
done_testing
