#!/bin/sh
# TLS plaintext: curl, python3 (urllib) and node (https) POST a JSON body to
# a local HTTPS server; the request and the streamed reply appear in
# CAP_REC_TLS records tied to one connection (SSL* pointer); a 4 MiB body
# is captured whole across continuation records; every hooked function is
# named by a CAP_REC_TARGET record.
. tests/lib.sh
. tests/e2e/rec_lib.sh
need_cmd curl
rec_tls_server
URL=https://127.0.0.1:$PORT/v1/messages

# curl (OpenSSL): SSL_write / SSL_read
cap=$TMPD/curl.pcapng.zst
"$O/asrecord" -q -w "$cap" -- curl -sk -H 'Content-Type: application/json' \
	-d '{"prompt":"curl-request-marker"}' "$URL" >"$TMPD/curl.out" 2>&1
check_grep "curl got the streamed reply" "reply-marker" "$TMPD/curl.out"
"$O/asanalyze" dump -j -f -H "$cap" >"$TMPD/cj" 2>&1
rec_py "curl: request plaintext in a TLS write record" "$TMPD/cj" \
	'any(r["type"] == "tls" and r["dir"] == "write" and "curl-request-marker" in r.get("payload", "") for r in R)'
rec_py "curl: streamed reply in TLS read records of the same connection" "$TMPD/cj" '
[w for w in R if w["type"] == "tls" and "curl-request-marker" in w.get("payload", "")
 and any(r["type"] == "tls" and r["dir"] == "read" and r["conn"] == w["conn"]
         and "reply-marker" in r.get("payload", "") for r in R)]'
rec_py "curl: the socket fd is known and a connect precedes" "$TMPD/cj" '
any(r["type"] == "tls" and r.get("fd", -1) >= 0 for r in R) and first("connect") is not None'
rec_py "curl: a TARGET record names the library, symbol and build id" "$TMPD/cj" '
any(r["type"] == "target" for r in R)'
"$O/asanalyze" dump -H -t target "$cap" >"$TMPD/ct" 2>&1
check_grep "target records carry path, build_id, symbol, offset" \
	"path=/.* build_id=[0-9a-f]{40} symbol=(SSL_write|ssl_write_internal) offset=0x" "$TMPD/ct"

# python3 (urllib; SSL_write_ex / SSL_read_ex) with a 4 MiB body
cap=$TMPD/py.pcapng.zst
"$O/asrecord" -q -w "$cap" -- python3 -c '
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
body = json.dumps({"prompt": "py-request-marker", "pad": "x" * (4 << 20)}).encode()
r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=body,
    headers={"Content-Type": "application/json"}), context=ctx)
print(r.read().decode())' "$URL" >"$TMPD/py.out" 2>&1
check_grep "python got the streamed reply" "reply-marker" "$TMPD/py.out"
"$O/asanalyze" dump -j -f -H "$cap" >"$TMPD/pj" 2>&1
rec_py "python: the 4 MiB body is captured whole in one TLS write" "$TMPD/pj" '
any(r["type"] == "tls" and r["dir"] == "write" and len(r.get("payload", "")) >= 4 << 20
    and "py-request-marker" in r["payload"] for r in R)'
rec_py "python: reply read on the same connection" "$TMPD/pj" '
[w for w in R if w["type"] == "tls" and "py-request-marker" in w.get("payload", "")
 and any(r["type"] == "tls" and r["dir"] == "read" and r["conn"] == w["conn"]
         and "reply-marker" in r.get("payload", "") for r in R)]'
"$O/asanalyze" info "$cap" >"$TMPD/pinfo" 2>&1
check_grep "python: no drops" "drops: +0 " "$TMPD/pinfo"

# node (OpenSSL built into the binary, found by its exported symbols)
if command -v node >/dev/null; then
	cap=$TMPD/node.pcapng.zst
	"$O/asrecord" -q -w "$cap" -- node -e '
const https = require("https");
const req = https.request(process.argv[1], {method: "POST", rejectUnauthorized: false,
  headers: {"Content-Type": "application/json"}}, (res) => {
  res.on("data", (d) => process.stdout.write(d)); });
req.end(JSON.stringify({prompt: "node-request-marker"}));' "$URL" >"$TMPD/node.out" 2>&1
	check_grep "node got the streamed reply" "reply-marker" "$TMPD/node.out"
	"$O/asanalyze" dump -j -f -H "$cap" >"$TMPD/nj" 2>&1
	rec_py "node: request and reply plaintext on one connection" "$TMPD/nj" '
[w for w in R if w["type"] == "tls" and "node-request-marker" in w.get("payload", "")
 and any(r["type"] == "tls" and r["dir"] == "read" and r["conn"] == w["conn"]
         and "reply-marker" in r.get("payload", "") for r in R)]'
else
	skip_one "node" "node not installed"
fi
kill $SRV 2>/dev/null
done_testing
