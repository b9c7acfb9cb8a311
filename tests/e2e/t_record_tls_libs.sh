#!/bin/sh
# TLS plaintext from GnuTLS (gnutls_record_send/recv in libgnutls) and NSS
# (PR_Write/PR_Send/PR_Recv/PR_Read in libnspr4): two small C clients
# (tests/e2e/tls_clients/, compiled here) POST a JSON body to the local
# HTTPS server.  The request and the streamed reply must be in TLS records
# of one connection with its fd, every hooked function in a TARGET record,
# a 2 MiB body whole with no drops, and the analyzer must pair request and
# reply into one HTTP exchange tied to its connect().  The NSS client also
# PR_Writes to a plain file descriptor, which must not be taken for TLS.
. tests/lib.sh
. tests/e2e/rec_lib.sh
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || skip_all "no C compiler ($CC)"
need_cmd pkg-config
rec_tls_server
BIG=2097152

# tls_py TITLE DUMP 'expression': rec_py with the client's name and the
# request's connection at hand (C: the conn of the write holding the marker)
tls_py() {
	rec_py "$NAME: $1" "$2" "
[0 for C in [next((w['conn'] for w in R if w['type'] == 'tls' and w['dir'] == 'write'
                   and '$MARK' in w.get('payload', '')), None)]
 if C is not None and ($3)]"
}

# one client: NAME (tls_gnutls, tls_nss), the pkg-config packages, the
# library file pattern and the symbols that must be hooked
run_client() {
	NAME=$1
	MARK=$NAME-request-marker
	# shellcheck disable=SC2086 # $2 is a list of packages
	if ! pkg-config --exists $2; then
		skip_one "$NAME" "pkg-config finds no $2 (install its -dev package)"
		return
	fi
	# shellcheck disable=SC2046,SC2086
	if ! "$CC" -O2 -o "$TMPD/$NAME" "tests/e2e/tls_clients/$NAME.c" \
		$(pkg-config --cflags --libs $2) >"$TMPD/$NAME.cc" 2>&1; then
		skip_one "$NAME" "it does not compile: $(head -c 300 "$TMPD/$NAME.cc")"
		return
	fi
	cap=$TMPD/$NAME.pcapng.zst
	"$O/asrecord" -q -w "$cap" -- "$TMPD/$NAME" "$PORT" /upload 300 "$MARK" \
		>"$TMPD/$NAME.out" 2>&1
	check_grep "$NAME got the streamed reply" "reply-marker.: 2" "$TMPD/$NAME.out"
	check "$NAME: asrecord sees nothing left unprobed" \
		sh -c "! grep 'asrecord:' '$TMPD/$NAME.out'"
	j=$TMPD/$NAME.json
	"$O/asanalyze" dump -j -f -H "$cap" >"$j" 2>&1
	tls_py "request plaintext in a TLS write record" "$j" \
		"any(r['type'] == 'tls' and r['dir'] == 'write' and
		     r['payload'].startswith('POST /upload HTTP/1.1') for r in R if r.get('conn') == C)"
	tls_py "the streamed reply in TLS read records of the same connection" "$j" \
		"'\"reply-marker\": 2' in ''.join(r.get('payload', '') for r in R
		     if r['type'] == 'tls' and r['dir'] == 'read' and r['conn'] == C)"
	tls_py "the socket fd is known on the connection's records" "$j" \
		"any(r.get('fd', -1) >= 0 for r in R if r['type'] == 'tls' and r['conn'] == C)"
	tls_py "each TLS record names a hooked $3 function ($4)" "$j" "
all(any(t['type'] == 'target' and t['meta']['index'] == str(r['target'])
        and t['meta']['symbol'] in '$4'.split() and '$3' in t['meta']['path']
        and len(t['meta']['build_id']) == 40 and t['meta']['attached'] == 'yes' for t in R)
    for r in R if r['type'] == 'tls')"
	"$O/asanalyze" dump -H -t target "$cap" >"$TMPD/$NAME.targets" 2>&1
	for sym in $4; do
		check_grep "$NAME: target $sym in $3 with build id and offset" \
			"path=/[^ ]*$3[^ ]* build_id=[0-9a-f]{40} symbol=$sym offset=0x[0-9a-f]+ .*attached=yes" \
			"$TMPD/$NAME.targets"
	done
	"$O/asanalyze" conversations "$cap" >"$TMPD/$NAME.conv" 2>&1
	check_grep "$NAME: conversations sees the HTTP exchange" \
		"=== http +POST /upload -> 200 +$NAME," "$TMPD/$NAME.conv"
	check_grep "$NAME: one HTTP exchange on one TLS connection" \
		"in 1 HTTP exchanges on 1 TLS connections" "$TMPD/$NAME.conv"
	"$O/asanalyze" export -q --sqlite "$TMPD/$NAME.db" "$cap" >"$TMPD/$NAME.exp" 2>&1
	check "$NAME: export --sqlite: one exchange, tied to its connect()" python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("""select h.method, h.target, h.status, h.req_body, h.resp_body, t.fd, c.port
    from http_messages h join tls_connections t using (tls_id)
    left join connections c on c.conn_id = t.conn_id""").fetchall()
print(rows)
assert len(rows) == 1
m, target, status, req, resp, fd, port = rows[0]
assert (m, target, status) == ("POST", "/upload", 200)
assert sys.argv[2] in req and "\"len\": 300" in resp and fd >= 0 and port == int(sys.argv[3])
' "$TMPD/$NAME.db" "$MARK" "$PORT"

	# a 2 MiB body: whole (GnuTLS sends it one 16 KiB record per call,
	# NSS in one call cut into continuation records), no drops.  Here the
	# GnuTLS client uses a non-blocking socket, so that calls fail with
	# GNUTLS_E_AGAIN and are retried, and the NSS client leaves the
	# handshake to its first PR_Write, in which the certificate hook's
	# PR_Write to stderr nests (tls_gnutls.c, tls_nss.c)
	cap=$TMPD/$NAME-big.pcapng.zst
	MARK=$NAME-big-marker
	TLS_CLIENT_NONBLOCK=1 TLS_CLIENT_LAZY=1 "$O/asrecord" -q -w "$cap" -- "$TMPD/$NAME" \
		"$PORT" /upload $BIG "$MARK" >"$TMPD/$NAME-big.out" 2>&1
	check_grep "$NAME: the server got all $BIG bytes" "\"len\": $BIG" "$TMPD/$NAME-big.out"
	if [ "$NAME" = tls_gnutls ]; then
		check_grep "tls_gnutls: calls did return GNUTLS_E_AGAIN" \
			"tls_gnutls: [1-9][0-9]* calls returned GNUTLS_E_AGAIN" "$TMPD/$NAME-big.out"
	fi
	j=$TMPD/$NAME-big.json
	"$O/asanalyze" dump -j -f -H "$cap" >"$j" 2>&1
	tls_py "the $BIG-byte body is captured whole" "$j" "
(lambda s: s.count('{\"prompt\":\"$MARK\",\"pad\":\"') == 1 and
     len(s[s.index('{\"prompt\"'):]) == $BIG and s.endswith('\"}'))(
''.join(r['payload'] for r in sorted(R, key=lambda r: r['ts_ns'])
        if r['type'] == 'tls' and r['dir'] == 'write' and r['conn'] == C))"
	if [ "$NAME" = tls_nss ]; then
		check_grep "tls_nss: the certificate hook ran" "certificate-hook-marker" \
			"$TMPD/$NAME-big.out"
		tls_py "the PR_Write nested in the first one leaves the request whole" "$j" \
			"[r['payload'] for r in R if r['type'] == 'tls' and r['conn'] == C][0]
			 .startswith('POST /upload HTTP/1.1') and
			 [r['payload'] for r in R if r['type'] == 'tls' and r['conn'] == C][0]
			 .endswith('\r\n\r\n') and
			 not any('certificate-hook-marker' in r.get('payload', '') for r in R
			         if r['type'] == 'tls')"
	fi
	tls_py "no record for a failed call" "$j" \
		"all(r['ret'] > 0 for r in R if r['type'] == 'tls')"
	"$O/asanalyze" info "$cap" >"$TMPD/$NAME-big.info" 2>&1
	check_grep "$NAME: no drops" "drops: +0 " "$TMPD/$NAME-big.info"
	"$O/asanalyze" export -q --sqlite "$TMPD/$NAME-big.db" "$cap" >/dev/null 2>&1
	check "$NAME: the analyzer has the whole body" python3 -c '
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "select req_body_len, status from http_messages").fetchall()
print(rows)
assert rows == [(int(sys.argv[2]), 200)]
' "$TMPD/$NAME-big.db" "$BIG"
}

run_client tls_gnutls gnutls libgnutls.so "gnutls_record_send gnutls_record_recv"
run_client tls_nss "nss nspr" libnspr4.so "PR_Write PR_Read PR_Send PR_Recv"
# NSPR's PR_Write on a plain file is not TLS (bpf/tls.bpf.h keeps layered fds only)
if [ -s "$TMPD/tls_nss.json" ]; then
	check_grep "tls_nss wrote to a plain fd with PR_Write" "plain-file-marker" "$TMPD/tls_nss.out"
	rec_py "tls_nss: that plain PR_Write is not a TLS record" "$TMPD/tls_nss.json" '
(not any(r["type"] == "tls" and "plain-file-marker" in r.get("payload", "") for r in R)
 and any(r["type"] == "tls" for r in R))'
fi
kill $SRV 2>/dev/null
done_testing
