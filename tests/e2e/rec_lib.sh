# tests/e2e/rec_lib.sh - helpers for the asrecord e2e tests (sourced after
# tests/lib.sh).
#
#   rec_json FILE OUT        asanalyze dump -j (or skip when it is missing)
#   rec_py "title" OUT 'python expression over R (list of records)'
#   rec_port_server OUT      TCP listener on 127.0.0.1; port written to OUT
#   wait_file PATH           wait up to 10 s for PATH to exist (1 when it does not)
#   rec_tls_server           HTTPS server on 127.0.0.1 (rec_tls_server.py) with a
#                            new certificate: sets PORT and SRV (its pid)

need_root
need_cmd python3
[ -x "$O/asrecord" ] || skip_all "asrecord not built"
[ -x "$O/asanalyze" ] || skip_all "asanalyze not built"

wait_file() {
	for _ in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.05; done
	return 1
}

rec_json() {
	"$O/asanalyze" dump -j -H "$1" >"$2" 2>"$2.err"
}

# One assertion: a python expression over R (the records of a JSONL dump).
rec_py() {
	title=$1
	json=$2
	expr=$3
	check "$title" python3 -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def first(t, **kw):
    for r in R:
        if r["type"] == t and all(r.get(k) == v for k, v in kw.items()):
            return r
    return None
ok = eval(sys.argv[2])
if not ok:
    print("assertion failed:", sys.argv[2])
    for r in R[:60]:
        print(json.dumps(r)[:300])
sys.exit(0 if ok else 1)
' "$json" "$expr"
}

# A TCP listener that accepts and reads until EOF, forever; the port goes to $1.
rec_port_server() {
	python3 -c '
import socket, sys, threading
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
def serve(c):
    while c.recv(65536):
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$1" &
	REC_SERVER_PID=$!
	for _ in $(seq 50); do [ -s "$1" ] && break; sleep 0.1; done
}

# The local HTTPS server of the TLS tests, with a certificate made here.
rec_tls_server() {
	need_cmd openssl
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-keyout "$TMPD/key.pem" -out "$TMPD/cert.pem" -days 1 -nodes \
		-subj /CN=localhost >/dev/null 2>&1 || skip_all "openssl cannot make a certificate"
	python3 tests/e2e/rec_tls_server.py "$TMPD/cert.pem" "$TMPD/key.pem" "$TMPD/port" &
	SRV=$!
	for _ in $(seq 50); do [ -s "$TMPD/port" ] && break; sleep 0.1; done
	PORT=$(cat "$TMPD/port")
}
