#!/bin/sh
# asanalyze repair on a capture with packets (asrecord -i): a cut file is
# repaired with every packet before the cut carried over byte for byte (same
# timestamp, lengths, flags and bytes), the packet counters of STATS kept,
# and info/dump show the packets and their counters.
. tests/lib.sh
. tests/e2e/rec_lib.sh
need_cmd tshark
need_cmd zstdcat

A=$O/asanalyze
F=$TMPD/p.pcapng.zst

# 30 datagrams of 1200 random bytes 0.1 s apart: incompressible packets
# spread over several 1 s frames, so a cut lands among them.
cat >"$TMPD/send.py" <<'EOF'
import os, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    u.sendto(os.urandom(1200), ("127.0.0.1", port))
    time.sleep(0.1)
EOF
# The EPBs of a (complete) capture, one line each: the block's bytes in hex.
cat >"$TMPD/epbs.py" <<'EOF'
import struct, sys
b = sys.stdin.buffer.read()
i = 0
while i + 8 <= len(b):
    t, n = struct.unpack_from("<II", b, i)
    if n < 12 or i + n > len(b):
        break
    if t == 6:
        print(b[i:i + n].hex())
    i += n
EOF

PORT=$((40000 + $$ % 20000))
"$O/asrecord" -w "$F" -i lo -f "udp port $PORT" -- python3 "$TMPD/send.py" "$PORT" 30 \
	>/dev/null 2>"$TMPD/rec.err"
check "asrecord -i lo writes a capture with 30 packets" \
	grep -q ", 30 packets, 0 packets dropped" "$TMPD/rec.err"
zstdcat "$F" | python3 "$TMPD/epbs.py" >"$TMPD/all.epb"
tshark -r "$F" -Y udp -T fields -e frame.time_epoch -e frame.len -e frame.cap_len \
	-e frame.packet_flags -e data.data >"$TMPD/all.ts" 2>/dev/null
check "tshark and the block walk both see the 30 packets" \
	sh -c "[ \$(wc -l <'$TMPD/all.epb') = 30 ] && [ \$(wc -l <'$TMPD/all.ts') = 30 ]"

# info and dump of the clean capture
"$A" info "$F" >"$TMPD/info.txt" 2>&1
check_grep "info: a packets line with the count" "^packets: +30 \(stats: 30 written" \
	"$TMPD/info.txt"
check_grep "info: the packet interface from META" "^  interface +lo \(ifindex 1\)" \
	"$TMPD/info.txt"
check_grep "info: the packet filter from META" "^  filter +.*udp port $PORT" "$TMPD/info.txt"
check_grep "info: the packet drop counters" "^packet drops: +0 \(kernel buffer\), 0 \(interface\)" \
	"$TMPD/info.txt"
check "info: packets are no longer unknown blocks" \
	sh -c "! grep -q 'unknown blocks' '$TMPD/info.txt'"
"$A" dump -t stats "$F" | tail -1 >"$TMPD/stats.txt"
check_grep "dump: the last STATS shows packets=30 and pkt_recv" \
	" packets=30 pkt_recv=[1-9][0-9]* " "$TMPD/stats.txt"

# The middle of every data frame (from the seek table; the last frame with
# content is the footer's): the offsets to cut at.
cat >"$TMPD/mids.py" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
nf, _, magic = struct.unpack_from("<IBI", b, len(b) - 9)
assert magic == 0x8F92EAB1
ents = struct.unpack_from("<%dI" % (2 * nf), b, len(b) - 9 - 8 * nf)
off, frames = 0, []
for i in range(nf):
    if ents[2 * i + 1]:
        frames.append((off, ents[2 * i]))
    off += ents[2 * i]
for o, n in frames[:-1]:
    print(o + n // 2)
EOF
python3 "$TMPD/mids.py" "$F" >"$TMPD/mids.txt"

# Cut in the middle of each data frame that leaves some packets, repair,
# compare with the original.
ncut=0
for at in $(cat "$TMPD/mids.txt"); do
	K=$TMPD/cut.zst
	R=$TMPD/rep.zst
	rm -f "$K" "$R"
	head -c "$at" "$F" >"$K"
	n=$("$A" dump -t packet "$K" 2>/dev/null | wc -l)
	[ "$n" -ge 1 ] && [ "$n" -lt 30 ] || continue
	ncut=$((ncut + 1))
	frac="offset $at ($n packets before)"
	m=$(zstdcat "$K" 2>/dev/null | python3 "$TMPD/epbs.py" | wc -l)
	check "cut at $frac: zstdcat finds the same $n EPBs in the cut file (got $m)" [ "$m" = "$n" ]
	"$A" repair "$K" "$R" >"$TMPD/rep.out" 2>&1
	check "cut at $frac: repair exits 0" [ $? = 0 ]
	check_grep "cut at $frac: repair reports the packets kept byte for byte" \
		"^packets: kept $n of $n read.*, byte for byte" "$TMPD/rep.out"
	"$A" verify "$R" >"$TMPD/ver.out" 2>&1
	check "cut at $frac: asanalyze verify passes on the repaired file" [ $? = 0 ]
	tshark -r "$R" -Y udp -T fields -e frame.time_epoch -e frame.len -e frame.cap_len \
		-e frame.packet_flags -e data.data >"$TMPD/rep.ts" 2>/dev/null
	head -n "$n" "$TMPD/all.ts" >"$TMPD/want.ts"
	check "cut at $frac: tshark sees the $n packets before the cut, same time, lengths, flags, bytes" \
		sh -c "[ \$(wc -l <'$TMPD/rep.ts') = $n ] && cmp '$TMPD/want.ts' '$TMPD/rep.ts'"
	zstdcat "$R" | python3 "$TMPD/epbs.py" >"$TMPD/rep.epb"
	head -n "$n" "$TMPD/all.epb" >"$TMPD/want.epb"
	check "cut at $frac: the $n EPBs are byte-identical to the original's" \
		cmp "$TMPD/want.epb" "$TMPD/rep.epb"
	"$A" dump -t stats "$K" 2>/dev/null | tail -1 | grep -o ' pkt_recv=[0-9]*' >"$TMPD/k.recv"
	"$A" dump -t stats "$R" | tail -1 >"$TMPD/r.stats"
	check "cut at $frac: STATS keeps pkt_recv ($(cat "$TMPD/k.recv")) and counts packets=$n" \
		sh -c "[ -s '$TMPD/k.recv' ] && grep -q \" packets=$n\$(cat '$TMPD/k.recv') \" \
			'$TMPD/r.stats'"
	"$A" info "$R" >"$TMPD/rinfo.txt" 2>&1
	check_grep "cut at $frac: info of the repaired file counts the packets" \
		"^packets: +$n \(stats: $n written" "$TMPD/rinfo.txt"
done

check "at least two mid-frame cuts had packets before them (got $ncut)" [ "$ncut" -ge 2 ]

# A capture without packets: repair and info say nothing about packets.
"$O/asrecord" -w "$TMPD/plain.zst" -- true >/dev/null 2>&1
"$A" repair "$TMPD/plain.zst" "$TMPD/plain.rep.zst" >"$TMPD/prep.out" 2>&1
check "without packets repair works (rc $?)" grep -q "^lost: nothing" "$TMPD/prep.out"
"$A" info "$TMPD/plain.rep.zst" >"$TMPD/pinfo.txt" 2>&1
check "without packets neither repair nor info print packet lines" \
	sh -c "! grep -q '^packet' '$TMPD/prep.out' '$TMPD/pinfo.txt'"

done_testing
