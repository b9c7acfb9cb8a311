#!/bin/sh
# asrecord -i IFACE -f FILTER: packets captured with libpcap land in the
# same capture as Enhanced Packet Blocks (LINUX_SLL2, ns wall-clock
# timestamps) beside the probe records; standard tools read them, the hash
# chain covers them, rotation keeps them, bad options fail before tracing.
. tests/lib.sh
. tests/e2e/rec_lib.sh
need_cmd tshark
need_cmd zstdcat

PORT=$((40000 + $$ % 20000))
F=$TMPD/p.pcapng.zst

# A DNS-shaped query to 127.0.0.1:5353 over UDP, then a TCP connection to a
# local listener on PORT that carries two bytes.
cat >"$TMPD/send.py" <<'EOF'
import socket, struct, sys, time
port, n, gap = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(1)
q = struct.pack(">6H", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x07example\x03com\x00" + \
    struct.pack(">HH", 1, 1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    u.sendto(q, ("127.0.0.1", 5353))
    time.sleep(gap)
c = socket.create_connection(("127.0.0.1", port))
a, _ = ls.accept()
c.sendall(b"hi")
a.recv(2)
c.close()
a.close()
EOF

"$O/asrecord" -w "$F" -i lo -f "udp port 5353 or tcp port $PORT" -- \
	python3 "$TMPD/send.py" "$PORT" 1 0 >"$TMPD/p.out" 2>"$TMPD/p.err"
check "asrecord -i lo -f ... exits 0" [ $? = 0 ]
check_grep "the summary counts packets and packet drops" \
	", [1-9][0-9]* packets, 0 packets dropped" "$TMPD/p.err"

zstdcat "$F" | tshark -r - >"$TMPD/ts.txt" 2>"$TMPD/ts.err"
check_grep "zstdcat | tshark -r - shows the UDP query to 5353" \
	"127\.0\.0\.1 → 127\.0\.0\.1 .*Standard query 0x1234 A example\.com" "$TMPD/ts.txt"
check_grep "zstdcat | tshark -r - shows the TCP SYN to port $PORT" \
	"→ $PORT \[SYN\] " "$TMPD/ts.txt"
tshark -r "$F" -Y 'dns.qry.name == "example.com"' -T fields -e udp.dstport \
	>"$TMPD/dns.txt" 2>/dev/null
check "tshark -r F -Y dns.qry.name finds the query on udp port 5353" \
	grep -qx 5353 "$TMPD/dns.txt"
tshark -r "$F" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields -e tcp.dstport \
	>"$TMPD/syn.txt" 2>/dev/null
check "tshark -r F finds exactly one SYN, to port $PORT" [ "$(cat "$TMPD/syn.txt")" = "$PORT" ]
tshark -r "$F" -T fields -e frame.interface_id -e sll.ifindex -Y 'udp || tcp' \
	>"$TMPD/if.txt" 2>/dev/null
check "every packet is on interface 0 with SLL2 ifindex 1 (lo)" \
	sh -c "[ -s '$TMPD/if.txt' ] && ! grep -qv '^0	1\$' '$TMPD/if.txt'"

# Packet times are wall-clock and agree with the probe records: the SYN
# lies within 5 s of the connect record (same clock, not boot time).
"$O/asanalyze" dump -j "$F" >"$TMPD/p.json" 2>/dev/null
rec_py "asanalyze dump shows the connect record to port $PORT" "$TMPD/p.json" \
	"first('connect', addr='127.0.0.1:$PORT') is not None"
rec_py "asanalyze dump shows one line per packet with its length and ports" "$TMPD/p.json" \
	"any(r['type'] == 'packet' and r['bytes'].endswith(' bytes') and
	     r['summary'].startswith('udp ') and r['summary'].endswith(':5353') for r in R)"
rec_py "the SYN packet and the connect record are less than 5 s apart" "$TMPD/p.json" \
	"abs([r for r in R if r['type'] == 'packet' and r['summary'].endswith('[S]')][0]['ts_ns']
	     - first('connect', addr='127.0.0.1:$PORT')['ts_ns']) < 5e9"
tshark -r "$F" -T fields -e frame.time_epoch -Y udp 2>/dev/null | head -1 >"$TMPD/t.txt"
check "EPB timestamps are epoch ns (within a day of now)" python3 -c "
import sys, time
t = float(open('$TMPD/t.txt').read())
sys.exit(0 if abs(t - time.time()) < 86400 else 1)"
"$O/asanalyze" verify "$F" >"$TMPD/v.txt" 2>&1
check "asanalyze verify passes on a capture with packets" [ $? = 0 ]
check_grep "verify reports matching chain blocks" "chain blocks match" "$TMPD/v.txt"
check_grep "the META names the packet interface and filter" \
	'"packet_filter":"ifindex 1 and .udp port 5353' "$TMPD/p.json"

# A filter that matches nothing: zero packets, probes as usual.
"$O/asrecord" -w "$TMPD/none.zst" -i lo -f 'udp port 9' -- \
	python3 "$TMPD/send.py" "$PORT" 1 0 >/dev/null 2>"$TMPD/none.err"
check_grep "a filter matching nothing gives 0 packets" ", 0 packets, 0 packets dropped" \
	"$TMPD/none.err"
n=$("$O/asanalyze" dump -t packet "$TMPD/none.zst" 2>/dev/null | wc -l)
check "no packet lines in that capture (got $n)" [ "$n" = 0 ]
n=$("$O/asanalyze" dump -t connect "$TMPD/none.zst" 2>/dev/null | grep -c ":$PORT ")
check "but the connect record is there" [ "$n" -ge 1 ]

# Bad filter, bad interface, -f alone: clear error before anything runs.
"$O/asrecord" -w "$TMPD/bad.zst" -i lo -f 'xx yy' -- touch "$TMPD/ran1" 2>"$TMPD/bad.err"
rc=$?
check "an invalid filter exits non-zero (rc $rc)" [ "$rc" != 0 ]
check_grep "an invalid filter is named" "^asrecord: -f 'xx yy': .*syntax error" "$TMPD/bad.err"
check "an invalid filter starts nothing" \
	sh -c "[ ! -e '$TMPD/ran1' ] && [ ! -e '$TMPD/bad.zst.part' ]"
"$O/asrecord" -w "$TMPD/bad2.zst" -i nosuch0 -- touch "$TMPD/ran2" 2>"$TMPD/bad2.err"
rc=$?
check "a bad interface exits non-zero (rc $rc)" [ "$rc" != 0 ]
check_grep "a bad interface is named" "^asrecord: -i 'nosuch0': no such interface" \
	"$TMPD/bad2.err"
check "a bad interface starts nothing" [ ! -e "$TMPD/ran2" ]
"$O/asrecord" -w "$TMPD/bad3.zst" -f 'udp' -- true 2>"$TMPD/bad3.err"
check "-f without -i is a usage error (rc 2)" [ $? = 2 ]

# -i any works; -s cuts packets (caplen 60 of longer packets, TRUNC flag).
"$O/asrecord" -w "$TMPD/any.zst" -s 60 -i any -f "tcp port $PORT" -- \
	python3 "$TMPD/send.py" "$PORT" 0 0 >/dev/null 2>"$TMPD/any.err"
tshark -r "$TMPD/any.zst" -Y tcp -T fields -e frame.cap_len -e frame.len 2>/dev/null |
	grep -v '^$' >"$TMPD/any.txt"
check "-i any captures the TCP connection" [ "$(wc -l <"$TMPD/any.txt")" -ge 5 ]
check "-s 60 cuts every packet to at most 60 bytes" \
	sh -c "! awk '\$1 > 60 { bad = 1 } END { exit !bad }' '$TMPD/any.txt'"
check "and the original lengths are kept" \
	sh -c "awk '\$2 > 60 { ok = 1 } END { exit !ok }' '$TMPD/any.txt'"

# Rotation: -G 1 with a datagram every 0.2 s for about 3 s spreads packets
# over several files; each one opens in tshark and verifies, none is lost.
"$O/asrecord" -w "$TMPD/rot.pcapng.zst" -G 1 -i lo -f 'udp port 5353' -- \
	python3 "$TMPD/send.py" "$PORT" 15 0.2 >/dev/null 2>"$TMPD/rot.err"
nf=0
np=0
okv=1
for f in "$TMPD"/rot*.pcapng.zst; do
	nf=$((nf + 1))
	k=$(tshark -r "$f" -Y 'udp.dstport == 5353' 2>/dev/null | wc -l)
	np=$((np + k))
	"$O/asanalyze" verify "$f" >/dev/null 2>&1 || okv=0
done
check "-G 1 with packets gives several files (got $nf)" [ "$nf" -ge 2 ]
check "every rotated file verifies" [ "$okv" = 1 ]
check "the 15 datagrams are all there across the files (got $np)" [ "$np" = 15 ]

# Without -i nothing changes: no packets, no packet words in the summary.
"$O/asrecord" -w "$TMPD/plain.zst" -- python3 "$TMPD/send.py" "$PORT" 1 0 \
	>/dev/null 2>"$TMPD/plain.err"
check "without -i the summary has no packet counts" \
	sh -c "! grep -q packets '$TMPD/plain.err'"
n=$("$O/asanalyze" dump -t packet "$TMPD/plain.zst" 2>/dev/null | wc -l)
check "without -i the capture holds no packets (got $n)" [ "$n" = 0 ]

done_testing
