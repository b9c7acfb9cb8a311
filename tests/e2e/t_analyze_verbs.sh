#!/bin/sh
# t_analyze_verbs.sh - asanalyze info, dump (text, --json, --full), verify
# (clean, flipped byte in a compressed frame, flipped byte in plain pcapng)
# and repair (aborted writer, cut file) on captures written by mkcap; usage
# errors exit 2, a missing file is named.
. tests/lib.sh

A=$O/asanalyze
MK=$O/tests/mkcap
[ -x "$A" ] && [ -x "$MK" ] || skip_all "build asanalyze and mkcap first (make)"
need_cmd python3
need_cmd zstd

# exit_is N CMD...: CMD exits with status N (its output is kept in $TMPD/last.out)
exit_is() {
	want=$1
	shift
	"$@" >"$TMPD/last.out" 2>&1
	rc=$?
	[ "$rc" = "$want" ] || { echo "exit status $rc, wanted $want"; cat "$TMPD/last.out"; return 1; }
}

C=$TMPD/c.pcapng.zst
BIG=700000
check "mkcap writes a capture" "$MK" "$C" --records 3000 --big $BIG \
	--big-out "$TMPD/big.bin" --frame-bytes 65536

# ---- info ----
"$A" info "$C" >"$TMPD/info.txt" 2>&1
check "info exits 0" [ $? = 0 ]
check_grep "info: host and kernel" '^host: +[^ ]+ \(Linux [0-9]' "$TMPD/info.txt"
check_grep "info: recorder command line" '^recorder: +mkcap .*--records 3000' "$TMPD/info.txt"
check_grep "info: wall-clock range with ms and duration" \
	'^time: +20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z \.\. 20.*Z \([0-9hm.]+s\)' \
	"$TMPD/info.txt"
check_grep "info: counts by type name" '^  exec +[0-9]+$' "$TMPD/info.txt"
check_grep "info: unknown type counted" '^  type32752 +1$' "$TMPD/info.txt"
check_grep "info: drops from stats and footer" '^drops: +3 \(stats\), 3 \(footer\)' "$TMPD/info.txt"
check_grep "info: truncations" '^truncations: +[1-9][0-9]* \(stats\).*records flagged truncated' \
	"$TMPD/info.txt"
check_grep "info: chain verified" '^integrity: +chain verified ok' "$TMPD/info.txt"
check_grep "info: closed cleanly" '^closed: +cleanly \(footer, seek table\)' "$TMPD/info.txt"
check_grep "info: sizes and ratio" '^size: .* compressed, .* uncompressed, ratio [0-9.]+' \
	"$TMPD/info.txt"

# ---- dump (text) ----
"$A" dump "$C" >"$TMPD/dump.txt" 2>"$TMPD/dump.err"
check "dump exits 0" [ $? = 0 ]
check_grep "dump: exec filename, quoted argv, cwd" \
	"exec +/bin/sh argv=\[/bin/sh -c 'ls -la '\\\\''/tmp/my dir'\\\\'' # round 0'\] cwd=/home/user/project" \
	"$TMPD/dump.txt"
check_grep "dump: fork parent->child" ' fork +1000->2000 ' "$TMPD/dump.txt"
check_grep "dump: exit signal" ' exit +signal=SIGKILL' "$TMPD/dump.txt"
check_grep "dump: open flags and fd" ' open +/tmp/work/file-0.txt oflags=O_WRONLY\|O_CREAT\|O_TRUNC\|O_CLOEXEC mode=0644 ret=3' \
	"$TMPD/dump.txt"
check_grep "dump: failed open as -ENOENT" ' open +/nonexistent/config.json .*ret=-ENOENT \[err\]' \
	"$TMPD/dump.txt"
check_grep "dump: rename old -> new" ' rename +/tmp/work/file-0.txt -> /tmp/work/file-0.done' \
	"$TMPD/dump.txt"
check_grep "dump: ipv4 connect" ' connect +127\.0\.0\.1:443 fd=20 ret=0' "$TMPD/dump.txt"
check_grep "dump: ipv6 connect" ' connect +\[::1\]:8080 fd=4 ret=-ECONNREFUSED' "$TMPD/dump.txt"
check_grep "dump: unix connect" ' connect +unix:/run/agent.sock' "$TMPD/dump.txt"
check_grep "dump: tls preview escaped" \
	' tls +write conn=0x55d0c0de0000 fd=20 ret=[0-9]+ len=[0-9]+ "POST /v1/messages HTTP/1.1\\r\\nHost: api' \
	"$TMPD/dump.txt"
check_grep "dump: wall-clock time first" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z ' \
	"$TMPD/dump.txt"
check_grep "dump: unknown type generic" ' type32752 .*len=8 "future\\x01\\x02"' "$TMPD/dump.txt"
check_grep "dump: chunked payload marked" ' tls +read .* chunk=0/'$BIG' \[more\]' "$TMPD/dump.txt"
check "dump: no control bytes on the terminal" \
	python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(any(b<32 and b!=10 or b>126 for b in d))' \
	"$TMPD/dump.txt"
"$A" dump --type exec --pid 2001 "$C" >"$TMPD/exec1.txt"
check "dump --type --pid filters" python3 -c '
import sys
l = open(sys.argv[1]).read().splitlines()
assert len(l) == 1 and " exec " in l[0] and " 2001/2001 " in l[0], l' "$TMPD/exec1.txt"

# ---- dump --json ----
"$A" dump --json "$C" >"$TMPD/dump.jsonl"
check "dump --json: every line is JSON" \
	sh -c "python3 -c 'import json,sys;[json.loads(l) for l in sys.stdin]' <'$TMPD/dump.jsonl'"
check "dump --json: one object per text line" \
	sh -c "[ \$(wc -l <'$TMPD/dump.jsonl') = \$(wc -l <'$TMPD/dump.txt') ]"
check "dump --json: decoded fields" python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
ex = next(r for r in rs if r["type"] == "exec")
assert ex["argv"] == ["/bin/sh", "-c", "ls -la '"'"'/tmp/my dir'"'"' # round 0"], ex
assert ex["cwd"] == "/home/user/project" and ex["filename"] == "/bin/sh"
addrs = {r.get("addr") for r in rs if r["type"] == "connect"}
assert {"127.0.0.1:443", "[::1]:8080", "unix:/run/agent.sock"} <= addrs, addrs
bad = next(r for r in rs if r["type"] == "open" and r.get("errno"))
assert bad["errno"] == "ENOENT" and bad["ret"] == -2 and "err" in bad["flags"]
t = next(r for r in rs if r["type"] == "tls")
assert t["payload"].startswith("POST /v1/messages HTTP/1.1\r\n") and t["payload_cut"]
assert any(r["type"] == "meta" and r["meta"].get("clock_real_ns") for r in rs)
' "$TMPD/dump.jsonl"

# ---- dump --full: the joined payload is byte-exact ----
"$A" dump --full --json --type tls "$C" >"$TMPD/full.jsonl"
check "dump --full --json: joined payload equals the original bytes" python3 -c '
import base64, json, sys
big = open(sys.argv[2], "rb").read()
rs = [json.loads(l) for l in open(sys.argv[1])]
hit = [r for r in rs if r["payload_len"] == len(big)]
assert len(hit) == 1, [r["payload_len"] for r in rs][:5]
assert base64.b64decode(hit[0]["payload_b64"]) == big
assert "more" not in hit[0].get("flags", [])
' "$TMPD/full.jsonl" "$TMPD/big.bin"
"$A" dump --full --type tls "$C" >"$TMPD/full.txt"
check "dump --full (text): unescaped payload equals the original bytes" python3 -c '
import codecs, re, sys
big = open(sys.argv[2], "rb").read()
for line in open(sys.argv[1], "rb"):
    m = re.search(rb" len=%d \"(.*)\"$" % len(big), line.rstrip(b"\n"))
    if m:
        assert codecs.escape_decode(m.group(1))[0] == big
        sys.exit(0)
sys.exit("no joined line")
' "$TMPD/full.txt" "$TMPD/big.bin"

# ---- verify ----
check "verify: clean file passes" exit_is 0 "$A" verify "$C"
check_grep "verify: says closed cleanly" "ok: .*closed cleanly" "$TMPD/last.out"

# flip one byte inside the 2nd zstd frame (frame 1); its offset is in the dump
off=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "chain" and r["frame_no"] == 1:
        print(r["frame_off"] + 200); break' "$TMPD/dump.jsonl")
F=$TMPD/flip.pcapng.zst
cp "$C" "$F"
byte=$(dd if="$F" bs=1 skip="$off" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 0x55)))" | dd of="$F" bs=1 seek="$off" conv=notrunc 2>/dev/null
check "verify: flipped byte in a compressed frame fails" exit_is 1 "$A" verify "$F"
check_grep "verify: names frame 1" "frame:? 1 at offset" "$TMPD/last.out"

# the same in plain pcapng, where only the hash chain can notice
P=$TMPD/plain.pcapng
zstd -q -d -c "$C" >"$P"
# frame 0 ends with its CHAIN record (PEN "gisa", type 0x8005, hdr_len 56);
# change a byte of the first TLS request after it, i.e. inside frame 1
poff=$(python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
print(d.find(b"POST /v1/messages", d.find(b"gisa\x05\x80\x38\x00")) + 2)' "$P")
cp "$P" "$TMPD/plain-flip.pcapng"
printf 'X' | dd of="$TMPD/plain-flip.pcapng" bs=1 seek="$poff" conv=notrunc 2>/dev/null
"$A" verify "$P" >"$TMPD/vplain.out" 2>&1
"$A" verify "$TMPD/plain-flip.pcapng" >"$TMPD/vflip.out" 2>&1
check "verify: plain flipped pcapng fails" [ $? = 1 ]
check_grep "verify: plain flip is a chain mismatch naming the frame" \
	"frame [0-9]+ at offset [0-9]+: hash chain mismatch" "$TMPD/vflip.out"

# ---- repair ----
X=$TMPD/x.pcapng.zst
"$MK" "$X" --records 4000 --abort-after 2500 --frame-bytes 65536 >/dev/null
check "mkcap --abort-after leaves a .part file" test -s "$X.part" -a ! -e "$X"
check "verify: aborted file fails (not closed cleanly)" exit_is 1 "$A" verify "$X.part"
check_grep "verify: aborted file: not closed cleanly" "not closed cleanly" "$TMPD/last.out"
R=$TMPD/r.pcapng.zst
check "repair: aborted capture" exit_is 0 "$A" repair "$X.part" "$R"
check_grep "repair: reports what was kept" "kept [0-9]+ records" "$TMPD/last.out"
check "repair: result verifies" exit_is 0 "$A" verify "$R"
"$A" dump --type meta "$R" >"$TMPD/rmeta.txt"
check_grep "repair: repaired_from meta key" "repaired_from=.*x\.pcapng\.zst\.part" "$TMPD/rmeta.txt"
check "repair: refuses to overwrite" exit_is 1 "$A" repair "$X.part" "$R"
check_grep "repair: names the existing file" "'$R': file exists" "$TMPD/last.out"
check "repair: --force overwrites" exit_is 0 "$A" repair --force "$X.part" "$R"

D=$TMPD/d.pcapng.zst
"$MK" "$D" --records 6000 --frame-bytes 65536 >/dev/null
K=$TMPD/cut.pcapng.zst
size=$(wc -c <"$D")
head -c $((size * 2 / 3)) "$D" >"$K"
check "dump: cut file reads up to the cut" exit_is 0 "$A" dump "$K"
check_grep "dump: cut file warns" "warning" "$TMPD/last.out"
R2=$TMPD/r2.pcapng.zst
check "repair: cut capture" exit_is 0 "$A" repair "$K" "$R2"
check_grep "repair: reports the lost tail" "lost: [0-9]+ bytes after offset" "$TMPD/last.out"
check "repair: cut result verifies" exit_is 0 "$A" verify "$R2"
"$A" info "$R2" >"$TMPD/info2.txt" 2>&1
check_grep "repair: drops carried over" '^drops: +3 ' "$TMPD/info2.txt"

# ---- usage and file errors ----
check "no verb exits 2" exit_is 2 "$A"
check "unknown verb exits 2" exit_is 2 "$A" frobnicate
check_grep "unknown verb is named" "asanalyze: unknown verb 'frobnicate'" "$TMPD/last.out"
check "dump without a file exits 2" exit_is 2 "$A" dump
check "unknown option exits 2" exit_is 2 "$A" info --bogus "$C"
check_grep "unknown option is named" "asanalyze: info: unknown option '--bogus'" "$TMPD/last.out"
check "bad --type exits 2" exit_is 2 "$A" dump --type nosuch "$C"
check "repair with one file exits 2" exit_is 2 "$A" repair "$C"
for v in info dump verify repair; do
	check "$v --help exits 0" exit_is 0 "$A" $v --help
	check_grep "$v --help shows usage" "^usage: asanalyze $v" "$TMPD/last.out"
done
check "--version" exit_is 0 "$A" --version
check "missing file exits 1" exit_is 1 "$A" info "$TMPD/nosuch.pcapng.zst"
check_grep "missing file is named" "^asanalyze: '$TMPD/nosuch.pcapng.zst'" "$TMPD/last.out"

done_testing
