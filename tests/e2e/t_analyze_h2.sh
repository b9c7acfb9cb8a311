#!/bin/sh
# t_analyze_h2.sh - a real HTTP/2 conversation: curl --http2 against nghttpd
# (nghttp2-server) on 127.0.0.1 with a throwaway certificate, recorded by
# asrecord; asanalyze must rebuild the exchanges (path, :status, the body
# reassembled from DATA frames) and the LLM layer must see a POST shaped
# like an OpenAI chat completion.
. tests/lib.sh

T=$O/asanalyze
R=$O/asrecord
need_root
[ -x "$T" ] && [ -x "$R" ] || skip_all "build asrecord and asanalyze first (make)"
need_cmd curl
need_cmd openssl
need_cmd python3
NGHTTPD=$(command -v nghttpd || ls /usr/sbin/nghttpd 2>/dev/null)
[ -n "$NGHTTPD" ] || skip_all "no HTTP/2 server: nghttpd not installed (apt-get install nghttp2-server)"
curl --version | grep -q HTTP2 || skip_all "curl has no HTTP/2 support"

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 \
	-keyout "$TMPD/key.pem" -out "$TMPD/cert.pem" >/dev/null 2>&1 ||
	skip_all "openssl could not make a certificate"
DOC=$TMPD/htdocs
mkdir -p "$DOC/v1/chat"
# a body of many DATA frames (nghttpd sends 16 KiB frames)
python3 -c 'import sys; sys.stdout.write("".join("line %05d of the h2 body\n" % i for i in range(4000)))' \
	>"$DOC/big.txt"
cat >"$DOC/v1/chat/completions" <<'EOS'
{"id":"chatcmpl-h2","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hello over h2"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}
EOS

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$NGHTTPD" --address=127.0.0.1 --htdocs="$DOC" "$PORT" "$TMPD/key.pem" "$TMPD/cert.pem" \
	>"$TMPD/nghttpd.out" 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null' EXIT
i=0
until curl --http2 -sk -o /dev/null "https://127.0.0.1:$PORT/big.txt" || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ $i -lt 50 ] || skip_all "nghttpd did not start: $(head -3 "$TMPD/nghttpd.out")"

cat >"$TMPD/client.sh" <<EOS
curl --http2 -sk -o $TMPD/got.txt https://127.0.0.1:$PORT/big.txt https://127.0.0.1:$PORT/nope
curl --http2 -sk -H 'Authorization: Bearer sk-h2fakekey0123456789abcdef' -H 'Content-Type: application/json' \
	-d '{"model":"gpt-4o-mini","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi over h2"}]}' \
	-o $TMPD/got.json https://127.0.0.1:$PORT/v1/chat/completions
EOS
C=$TMPD/h2.pcapng.zst
check "asrecord records curl --http2" "$R" -q -w "$C" -- sh "$TMPD/client.sh"
check "curl got the big body" cmp "$TMPD/got.txt" "$DOC/big.txt"

"$T" export --jsonl - "$C" >"$TMPD/out.jsonl" 2>"$TMPD/out.err"
check "asanalyze export --jsonl runs" test -s "$TMPD/out.jsonl"
SIZE=$(wc -c <"$DOC/big.txt")
check "h2 exchanges: path, :status and the reassembled body" python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
H = [r for r in R if r.get("type") == "http"]
C = [r for r in R if r.get("type") == "connection" and r.get("protocol") == "h2"]
def find(t):
    return [h for h in H if h.get("target") == t]
big, nope, chat = find("/big.txt"), find("/nope"), find("/v1/chat/completions")
ok = (C and big and big[0]["status"] == 200 and big[0]["resp_body_len"] == int(sys.argv[2])
      and not big[0]["error"] and nope and nope[0]["status"] == 404
      and chat and chat[0]["method"] == "POST" and chat[0]["status"] == 200)
if not ok:
    print("connections:", C)
    for h in H:
        print(json.dumps(h)[:400])
sys.exit(0 if ok else 1)
' "$TMPD/out.jsonl" "$SIZE"
check "the LLM layer sees the h2 chat completion" python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
L = [r for r in R if r.get("type") == "llm_call"]
ok = any(l.get("model") == "gpt-4o-mini" and "hello over h2" in (l.get("text") or "")
         and l.get("input_tokens") == 9 and l.get("output_tokens") == 4 for l in L)
if not ok:
    print([json.dumps(l)[:600] for l in L] or [r.get("type") for r in R])
sys.exit(0 if ok else 1)
' "$TMPD/out.jsonl"
"$T" conversations "$C" >"$TMPD/conv.txt" 2>&1
check_grep "conversations prints the h2 call" "hello over h2" "$TMPD/conv.txt"
check "the API key is redacted" sh -c "! grep -q sk-h2fakekey0123456789abcdef $TMPD/out.jsonl $TMPD/conv.txt"
done_testing
