#!/bin/sh
# t_export_pcapng.sh - asanalyze export --pcapng on real recordings, read
# back by tshark: HTTP/1.1 from python clients and curl against the local
# TLS mock, and HTTP/2 from curl --http2 against nghttpd.  tshark must find
# the request paths, response fields, the prompt and the answer in "follow
# http", the pid and comm in the packet comments, segments within the MSS,
# wall-clock times, the handshake at the connect() record's time, and no
# key unless --no-redact.
. tests/lib.sh

T=$O/asanalyze
R=$O/asrecord
need_root
[ -x "$T" ] && [ -x "$R" ] || skip_all "build asrecord and asanalyze first (make)"
need_cmd tshark
need_cmd python3
need_cmd openssl
need_cmd curl
M=tests/mock
TS="tshark -n -o tcp.desegment_tcp_streams:TRUE"

. $M/mock.sh
mock_start "$TMPD" 120 || skip_all "the mock did not start"
cat >"$TMPD/agent.sh" <<EOS
python3 $M/llm_client.py --port $PORT --cacert $CERT --api anthropic --stream --run --transcript $TMPD/t1.jsonl
python3 $M/llm_client.py --port $PORT --cacert $CERT --api chat --gzip --transcript $TMPD/t2.jsonl
curl -s --http1.1 --cacert $CERT -H 'x-api-key: sk-ant-api03-CURLFAKEKEY0123456789abcdef' \
	-H 'anthropic-version: 2023-06-01' -H 'Content-Type: application/json' \
	-d '{"model":"claude-sonnet-4-20250514","max_tokens":64,"messages":[{"role":"user","content":"hi from curl"}]}' \
	https://127.0.0.1:$PORT/v1/messages >/dev/null
EOS
C=$TMPD/rec.pcapng.zst
START=$(date +%s)
check "asrecord records the agent" "$R" -q -w "$C" -- sh "$TMPD/agent.sh"
python3 -c "import urllib.request,ssl; c=ssl.create_default_context(cafile='$CERT'); \
urllib.request.urlopen('https://127.0.0.1:$PORT/quit', context=c).read()" 2>/dev/null
wait $MOCK

P=$TMPD/h1.pcapng
check "export --pcapng exits 0" "$T" export -q --pcapng "$P" "$C"
check "plain pcapng (section header block first)" python3 -c '
import sys; sys.exit(open(sys.argv[1], "rb").read(4) != b"\x0a\x0d\x0d\x0a")' "$P"
$TS -r "$P" -Y http.request -T fields -e http.request.method -e http.request.uri \
	>"$TMPD/req.txt" 2>"$TMPD/tshark.err"
check "tshark reads it" [ $? = 0 ]
check_grep "tshark: the Messages request path" "^POST	/v1/messages$" "$TMPD/req.txt"
check_grep "tshark: the chat completions request path" "^POST	/v1/chat/completions$" "$TMPD/req.txt"
check "tshark: 5 requests (2 anthropic turns, 2 chat turns, curl)" [ "$(wc -l <"$TMPD/req.txt")" = 5 ]
$TS -r "$P" -Y http.response -T fields -e http.response.code -e http.content_type >"$TMPD/resp.txt"
check_grep "tshark: SSE responses" "^200	text/event-stream" "$TMPD/resp.txt"
$TS -r "$P" -Y json -T fields -e json.member_with_value >"$TMPD/json.txt"
check_grep "tshark: a JSON member of the (gunzipped) answer" "finish_reason:tool_calls" "$TMPD/json.txt"
check "tshark: no malformed packet, no bad checksum" sh -c \
	"[ -z \"\$($TS -r '$P' -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
	-Y '_ws.malformed || tcp.checksum.status == 0 || ip.checksum.status == 0')\" ]"
$TS -r "$P" -q -z follow,http,ascii,0 >"$TMPD/follow0.txt"
check_grep "follow http: the prompt" "List the files in /tmp/asight-mock please" "$TMPD/follow0.txt"
check_grep "follow http: the streamed answer" 'text_delta", "text": "Let ' "$TMPD/follow0.txt"
check_grep "follow http: the final answer" 'text_delta", "text": "The directory h' "$TMPD/follow0.txt"
check_grep "follow http: the tool result sent back" "tool_result" "$TMPD/follow0.txt"
$TS -r "$P" -q -z follow,tcp,ascii,2 >"$TMPD/follow2.txt"
check_grep "follow tcp: curl's prompt" "hi from curl" "$TMPD/follow2.txt"
$TS -r "$P" -T fields -e tcp.stream -e frame.comment >"$TMPD/comments.txt"
"$T" export -q --jsonl - "$C" >"$TMPD/rec.jsonl"
check "every packet's comment names a traced process: pid and comm" python3 -c '
import json, re, sys
def base(s):
    return (s or "").split(" ")[0].rsplit("/", 1)[-1]
procs = {}
for r in map(json.loads, open(sys.argv[2])):
    if r["type"] == "process":
        procs.setdefault(r["pid"], set()).update((base(r["exe"]), base(r["argv"])))
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
seen = set()
for s, c in rows:
    m = re.match(r"pid (\d+) comm (\S+) conn \d+", c)
    if not m or not any(n.startswith(m.group(2)) for n in procs.get(int(m.group(1)), ())):
        sys.exit("bad comment %r" % c)
    seen.add(m.group(2))
sys.exit(0 if {"python3", "curl"} <= seen else "comms %s" % seen)
' "$TMPD/comments.txt" "$TMPD/rec.jsonl"
check_grep "the first packet names the real endpoint" \
	"decrypted TLS HTTP/1.1 to 127.0.0.1:$PORT, shown as plaintext on port 80" "$TMPD/comments.txt"
$TS -r "$P" -T fields -e frame.time_epoch -e tcp.len -e ip.dst >"$TMPD/frames.txt"
check "segments within the MSS, wall-clock times, the real server address" python3 -c '
import sys
rows = [l.split() for l in open(sys.argv[1])]
t = [float(r[0]) for r in rows]
ok = (all(int(r[1]) <= 1400 for r in rows) and min(t) >= int(sys.argv[2]) - 5
      and max(t) <= int(sys.argv[2]) + 600 and t == sorted(t)
      and any(r[2] == "127.0.0.1" for r in rows))
sys.exit(0 if ok else 1)
' "$TMPD/frames.txt" "$START"
check "keys redacted by default" sh -c \
	"! grep -aEq 'FAKEKEYFORTESTS|CURLFAKEKEY|FAKECOOKIE' '$P' && grep -aq 'x-api-key: \\[REDACTED\\]' '$P'"
check "--no-redact keeps them" sh -c \
	"'$T' export -q --no-redact --pcapng - '$C' | grep -aq CURLFAKEKEY"

# the handshake at the connection's connect(), not at its first write, so
# Wireshark's time to the first byte is right: each SYN's time is the
# wall-clock time of its connect record (the SQLite export's connections
# row of that TLS connection, plus meta.mono_to_real_ns), to the microsecond
"$T" export -q --sqlite "$TMPD/h1.db" "$C"
$TS -r "$P" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" -T fields -e frame.time_epoch \
	-e frame.comment >"$TMPD/syn.txt"
check "SYN at the connect() time of its connection (wall clock, within 1 us)" python3 -c '
import re, sqlite3, sys
db = sqlite3.connect(sys.argv[2])
off = int(db.execute("SELECT value FROM meta WHERE key = ?", ("mono_to_real_ns",)).fetchone()[0])
conn = dict(db.execute("SELECT t.tls_id, c.ts_ns FROM tls_connections t JOIN connections c "
                       "ON c.conn_id = t.conn_id WHERE c.op = ?", ("connect",)))
n = 0
for l in open(sys.argv[1]):
    t, c = l.rstrip("\n").split("\t")
    s, _, f = t.partition(".")
    ns = int(s) * 10**9 + int((f + "000000000")[:9])
    i = int(re.match(r"pid \d+ comm \S+ conn (\d+)", c).group(1))
    if i not in conn:
        sys.exit("conn %d: no connect record" % i)
    if abs(ns - (conn[i] + off)) > 1000:
        sys.exit("conn %d: SYN at %d, connect at %d" % (i, ns, conn[i] + off))
    n += 1
sys.exit(0 if n >= 3 else "only %d SYNs" % n)
' "$TMPD/syn.txt" "$TMPD/h1.db"

# HTTP/2 over IPv6: curl --http2 against nghttpd on ::1
NGHTTPD=$(command -v nghttpd || ls /usr/sbin/nghttpd 2>/dev/null)
if [ -z "$NGHTTPD" ] || ! curl --version | grep -q HTTP2; then
	skip_one "HTTP/2" "nghttpd (nghttp2-server) or curl with HTTP/2 not installed"
	done_testing
	exit
fi
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 \
	-keyout "$TMPD/key.pem" -out "$TMPD/cert.pem" >/dev/null 2>&1
DOC=$TMPD/htdocs
mkdir -p "$DOC/v1/chat"
python3 -c 'import sys; sys.stdout.write("".join("line %05d of the h2 body\n" % i for i in range(4000)))' \
	>"$DOC/big.txt"
cat >"$DOC/v1/chat/completions" <<'EOS'
{"id":"chatcmpl-h2","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hello over h2"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}
EOS
HPORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0)); print(s.getsockname()[1])') || {
	skip_one "HTTP/2" "no IPv6 loopback"
	done_testing
	exit
}
"$NGHTTPD" --address=::1 --htdocs="$DOC" "$HPORT" "$TMPD/key.pem" "$TMPD/cert.pem" \
	>"$TMPD/nghttpd.out" 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null' EXIT
i=0
until curl --http2 -sk -o /dev/null "https://[::1]:$HPORT/big.txt" || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ $i -ge 50 ]; then
	skip_one "HTTP/2" "nghttpd did not start: $(head -3 "$TMPD/nghttpd.out")"
	done_testing
	exit
fi
cat >"$TMPD/client.sh" <<EOS
curl --http2 -sk -o $TMPD/got.txt https://[::1]:$HPORT/big.txt
curl --http2 -sk -H 'Authorization: Bearer sk-h2fakekey0123456789abcdef' -H 'Content-Type: application/json' \
	-d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi over h2"}]}' \
	-o $TMPD/got.json https://[::1]:$HPORT/v1/chat/completions
EOS
C2=$TMPD/h2.pcapng.zst
check "asrecord records curl --http2" "$R" -q -w "$C2" -- sh "$TMPD/client.sh"
kill $SRV 2>/dev/null
P2=$TMPD/h2.pcapng
check "export --pcapng (HTTP/2) exits 0" "$T" export -q --pcapng "$P2" "$C2"
$TS -r "$P2" -T fields -e ipv6.dst -e frame.comment >"$TMPD/h2c.txt"
check_grep "IPv6 packets to the real server ::1" "^::1	" "$TMPD/h2c.txt"
check_grep "the first packet names the real IPv6 endpoint" \
	"decrypted TLS HTTP/2 to \[::1\]:$HPORT, shown as plaintext on port 80" "$TMPD/h2c.txt"
$TS -r "$P2" -Y http2.type==1 -T fields -e http2.headers.path -e http2.headers.status \
	-e http2.header.value >"$TMPD/h2hdr.txt" 2>"$TMPD/tshark2.err"
check "tshark decodes HTTP/2 on port 80 by its preface" [ -s "$TMPD/h2hdr.txt" ]
check_grep "tshark: the HTTP/2 request path" "/v1/chat/completions" "$TMPD/h2hdr.txt"
check_grep "tshark: the HTTP/2 :status" "^	200" "$TMPD/h2hdr.txt"
check_grep "tshark: HTTP/2 header values (redacted authorization)" "Bearer \[REDACTED\]" "$TMPD/h2hdr.txt"
# tcp stream 1 is the chat call; its HTTP/2 stream 1
$TS -r "$P2" -q -z follow,http2,ascii,1,1 >"$TMPD/follow_h2.txt"
check_grep "follow http2: the prompt" '"content":"hi over h2"' "$TMPD/follow_h2.txt"
check_grep "follow http2: the answer" '"content":"hello over h2"' "$TMPD/follow_h2.txt"
# tshark gives the reassembled body with the last DATA frame of a stream
$TS -r "$P2" -Y http2.data.data -T fields -e http2.data.data >"$TMPD/h2data.hex"
check "tshark reassembles the 104000-byte body of 7 DATA frames byte for byte" python3 -c '
import sys
d = max((bytes.fromhex(l.strip().replace(":", "")) for l in open(sys.argv[1])), key=len)
sys.exit(d != open(sys.argv[2], "rb").read())
' "$TMPD/h2data.hex" "$DOC/big.txt"
check "no key in the HTTP/2 file" sh -c "! grep -aq h2fakekey '$P2'"
done_testing
