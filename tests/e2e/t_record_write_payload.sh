#!/bin/sh
# File-write payloads, byte-exact, at each snaplen: the first SNAPLEN bytes
# of a write, the whole of a shorter one, and the cut marked (flags trunc,
# orig_len the bytes written).  Where the kernel has the dynptr copy kfunc
# (6.16+) the payload goes from the writer's buffer straight into the ring,
# otherwise through the scratch buffer (ASIGHT_COPY_TWICE=1 forces that
# path on any kernel): both must give the same records.
. tests/lib.sh
. tests/e2e/rec_lib.sh

cat >"$TMPD/w.py" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
# 256 distinct byte values, so a shifted or stale byte shows
os.write(fd, bytes(range(256)) * 160)      # 40960 bytes
os.write(fd, b"short write!")
os.pwrite(fd, bytes(range(255, -1, -1)) * 20, 7)  # 5120 bytes
os.close(fd)
EOF

# rec_at SNAPLEN: record the writer with -S SNAPLEN (empty: the default)
rec_at() {
	cap=$TMPD/$path-s$1.pcapng.zst
	rm -f "$TMPD/j$1"
	"$O/asrecord" -q ${1:+-S $1} -w "$cap" -- python3 "$TMPD/w.py" "$TMPD/out$1.bin" \
		>"$TMPD/rec$1.out" 2>&1
	check "$path: -S ${1:-default}: asrecord exits 0" test $? = 0
	"$O/asanalyze" dump -j -f -H "$cap" >"$TMPD/j$1" 2>"$TMPD/j$1.err"
}

# wcheck SNAPLEN KEEP: the three writes carry the first KEEP bytes (or all)
wcheck() {
	s=$1 keep=$2
	rec_py "$path: -S ${s:-default}: each write keeps min(len, $keep) bytes, exact, cut marked" \
		"$TMPD/j$s" "(lambda W: len(W) == 3 and all(
		  r['payload_len'] == min(n, $keep) and r.get('orig_len', n) == n and
		  ('trunc' in r.get('flags', [])) == (n > $keep) and
		  payload(r) == data[:$keep]
		  for r, (n, data) in zip(W, [(40960, bytes(range(256)) * 160),
		                              (12, b'short write!'),
		                              (5120, bytes(range(255, -1, -1)) * 20)])))(
		[r for r in R if r['type'] == 'write' and r.get('syscall') in (1, 18)])"
}

# payload bytes of a record: payload_b64 when the text form escaped them
cat >"$TMPD/sitecustomize.py" <<'EOF'
import base64, builtins
def payload(r):
    if "payload_b64" in r:
        return base64.b64decode(r["payload_b64"])
    return r.get("payload", "").encode("latin-1")
builtins.payload = payload
builtins.base64 = base64
EOF
export PYTHONPATH="$TMPD${PYTHONPATH:+:$PYTHONPATH}"

for path in once twice; do
	if [ $path = twice ]; then export ASIGHT_COPY_TWICE=1; else unset ASIGHT_COPY_TWICE; fi
	rec_at 100
	wcheck 100 100
	rec_at ""
	wcheck "" 4096
	rec_at 32768
	wcheck 32768 32768
	rec_at 0
	rec_py "$path: -S 0: writes recorded with their counts and no payload" "$TMPD/j0" \
		"[(r['count'], r.get('payload_len', 0)) for r in R if r['type'] == 'write' and
		  r.get('syscall') in (1, 18)] == [(40960, 0), (12, 0), (5120, 0)]"
done
unset ASIGHT_COPY_TWICE

done_testing
