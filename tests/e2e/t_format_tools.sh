#!/bin/sh
# Standard tools open a capture written by the format library:
# tshark -r FILE.zst, zstdcat | tshark -r -, zstdcat | tcpdump -r -,
# capinfos; and the capture survives a SIGKILL of its writer.
. tests/lib.sh
need_cmd tshark
need_cmd tcpdump
need_cmd zstdcat
[ -x "$O/tests/mkcap" ] || skip_all "mkcap not built"
cap=$TMPD/t.pcapng.zst
check "mkcap writes a capture with a 4 MiB payload" \
	"$O/tests/mkcap" "$cap" --records 200000 --big 4194304
# every custom block is a "frame" to tshark; count them from our side too
n=$("$O/asanalyze" dump "$cap" 2>/dev/null | wc -l)
tshark -r "$cap" >"$TMPD/tshark.out" 2>"$TMPD/tshark.err"
echo "tshark exit $?" >>"$TMPD/tshark.err"
check_grep "tshark -r FILE.zst reads to the end without error" "tshark exit 0" "$TMPD/tshark.err"
tn=$(wc -l <"$TMPD/tshark.out")
check "tshark -r sees every block ($tn blocks, $n records)" test "$tn" -ge "$n" -a "$n" -gt 200000
zstdcat "$cap" | tshark -r - >"$TMPD/tshark2.out" 2>&1
check "zstdcat | tshark -r - sees the same blocks" test "$(grep -c Custom "$TMPD/tshark2.out")" = "$tn"
zstdcat "$cap" | tcpdump -r - >"$TMPD/tcpdump.out" 2>&1
check_grep "zstdcat | tcpdump -r - opens it" "link-type LINUX_SLL2" "$TMPD/tcpdump.out"
check "capinfos reads it" capinfos "$cap"
check "the capture file is mode 0600" test "$(stat -c %a "$cap")" = 600

# SIGKILL the writer mid-run: the .part file keeps every closed frame
"$O/tests/mkcap" "$TMPD/k.pcapng.zst" --records 100000000 >/dev/null 2>&1 &
pid=$!
sleep 2
kill -9 $pid
wait $pid 2>/dev/null
check "a killed writer leaves a .part file" test -s "$TMPD/k.pcapng.zst.part"
"$O/asanalyze" info "$TMPD/k.pcapng.zst.part" >"$TMPD/kinfo.out" 2>&1
check_grep "info reads the killed capture" "records" "$TMPD/kinfo.out"
check "repair rewrites the killed capture" \
	"$O/asanalyze" repair "$TMPD/k.pcapng.zst.part" "$TMPD/fixed.pcapng.zst"
check "verify passes on the repaired capture" "$O/asanalyze" verify "$TMPD/fixed.pcapng.zst"
check "tshark reads the killed capture" tshark -r "$TMPD/k.pcapng.zst.part" -c 10
done_testing
