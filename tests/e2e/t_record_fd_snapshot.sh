#!/bin/sh
# asrecord's snapshot lists the open fds of each process (CAP_REC_FD), so
# that a process traced with -p keeps the files and peers of what it
# opened before the attach: its later write names the file, its TLS
# connection has its peer, its sockets appear in the connections table.
. tests/lib.sh
. tests/e2e/rec_lib.sh
need_cmd sqlite3
A=$O/asanalyze
D=$TMPD/w
mkdir -p "$D"

check_eq() { check "$1" test "$2" = "$3"; }

rec_tls_server
rec_port_server "$TMPD/tcpport"
TCPPORT=$(cat "$TMPD/tcpport")
python3 tests/e2e/rec_fd_holder.py "$D" "$PORT" "$TCPPORT" >"$TMPD/fds.out" 2>"$TMPD/holder.err" &
H=$!
wait_file "$D/ready" || { cat "$TMPD/holder.err"; }
"$O/asrecord" -q -w "$TMPD/f.pcapng.zst" -p "$H" &
R=$!
wait_file "$TMPD/f.pcapng.zst.part"
sleep 0.3
touch "$D/go"
wait $H
wait $R
kill $SRV $REC_SERVER_PID 2>/dev/null
check "the holder ran to its end" test -s "$TMPD/fds.out"
read -r FFD TFD CFD UFD <"$TMPD/fds.out"
rec_json "$TMPD/f.pcapng.zst" "$TMPD/fj"
rec_py "the held file: its fd, path, write flags and offset" "$TMPD/fj" \
	"any(r['type'] == 'fd' and r['pid'] == $H and r['fd'] == $FFD and
	     r['target'] == '$D/held.txt' and r['oflags'].startswith('O_WRONLY') and r['pos'] == 7
	     for r in R)"
rec_py "the TLS socket: its peer is the server, established" "$TMPD/fj" \
	"any(r['type'] == 'fd' and r['pid'] == $H and r['fd'] == $TFD and
	     r['peer'] == '127.0.0.1:$PORT' and r['state'] == 1 and r['target'].startswith('socket:[')
	     for r in R)"
rec_py "the TCP socket: its peer and its local address" "$TMPD/fj" \
	"any(r['type'] == 'fd' and r['pid'] == $H and r['fd'] == $CFD and
	     r['peer'] == '127.0.0.1:$TCPPORT' and r['local'].startswith('127.0.0.1:')
	     for r in R)"
rec_py "the unix socket: its name, listening" "$TMPD/fj" \
	"any(r['type'] == 'fd' and r['pid'] == $H and r['fd'] == $UFD and
	     r['local'] == 'unix:$D/held.sock' and r['family'] == 'unix' for r in R)"
rec_py "the fd records follow the process's proc record" "$TMPD/fj" \
	"[r['type'] for r in R if r['pid'] == $H][:2] == ['proc', 'fd']"
rec_py "no open of held.txt was recorded: the path comes from the snapshot" "$TMPD/fj" \
	"not any(r['type'] == 'open' and r.get('path', '').endswith('held.txt') for r in R)"

"$A" export --sqlite "$TMPD/f.db" "$TMPD/f.pcapng.zst" 2>"$TMPD/exp.err"
check "export --sqlite" test -s "$TMPD/f.db"
q() { sqlite3 "$TMPD/f.db" "$1" 2>&1; }
check_eq "the write after the attach names the held file" \
	"$(q "SELECT path FROM files WHERE op = 'write' AND fd = $FFD")" "$D/held.txt"
check_eq "connections: the sockets open at the snapshot (op fd)" \
	"$(q "SELECT fd || ' ' || addr || ' ' || port FROM connections WHERE op = 'fd' AND fd IN ($TFD, $CFD, $UFD) ORDER BY fd")" \
	"$(printf '%s\n' "$TFD 127.0.0.1 $PORT" "$CFD 127.0.0.1 $TCPPORT" "$UFD $D/held.sock 0" | sort -n)"
check_eq "the TLS connection used after the attach has the server as its peer" \
	"$(q "SELECT c.addr || ':' || c.port FROM tls_connections t JOIN connections c
	      ON c.conn_id = t.conn_id WHERE t.fd = $TFD")" "127.0.0.1:$PORT"
check_eq "its POST after the attach is an HTTP message" \
	"$(q "SELECT count(*) FROM http_messages WHERE req_body LIKE '%attach-marker%'")" "1"
# the whole-capture model (not streamed) gives the same rows
ASANALYZE_NO_STREAM=1 "$A" export --sqlite "$TMPD/g.db" "$TMPD/f.pcapng.zst" 2>>"$TMPD/exp.err"
g() { sqlite3 "$TMPD/g.db" "$1" 2>&1; }
check_eq "not streamed: the write after the attach names the held file" \
	"$(g "SELECT path FROM files WHERE op = 'write' AND fd = $FFD")" "$D/held.txt"
check_eq "not streamed: the TLS connection has the server as its peer" \
	"$(g "SELECT c.addr || ':' || c.port || ' ' || c.op FROM tls_connections t JOIN connections c
	      ON c.conn_id = t.conn_id WHERE t.fd = $TFD")" "127.0.0.1:$PORT fd"

# ---- a process with more fds than the snapshot lists: the rest are counted
python3 -c '
import os, resource, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(16500)]
open(sys.argv[1], "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.02)
' "$D/many.ready" "$D/many.go" &
M=$!
wait_file "$D/many.ready"
N=$(ls /proc/$M/fd | wc -l)
"$O/asrecord" -q -w "$TMPD/m.pcapng.zst" -p "$M" &
R=$!
wait_file "$TMPD/m.pcapng.zst.part"
# stopped while the process lives: the snapshot, written when the file
# opened, has all its fds
kill -INT $R
wait $R
touch "$D/many.go"
wait $M
rec_json "$TMPD/m.pcapng.zst" "$TMPD/mj"
rec_py "at most 16384 fds of one process are listed" "$TMPD/mj" \
	"sum(1 for r in R if r['type'] == 'fd' and r['pid'] == $M) == 16384"
rec_py "the first says how many were left out ($N open)" "$TMPD/mj" \
	"[r.get('left_out', 0) for r in R if r['type'] == 'fd' and r['pid'] == $M][0] == $N - 16384"
done_testing
