#!/bin/sh
# t_bundle.sh - incident bundles: asrecord records an agent talking to the
# TLS mock into rotated files (-G); `asanalyze bundle` packs them; bsdtar
# and GNU tar list the members, sha256sum -c checks the extracted manifest,
# sqlite3 opens the export; asanalyze (info, tree, conversations, explain,
# dump, verify) and asreplay read the bundle directly and say what they say
# on the captures; one changed byte in a capture member fails verify, and
# asreplay's error on it names the bundle and member.
. tests/lib.sh

T=$O/asanalyze
R=$O/asrecord
P=$O/asreplay
need_root
[ -x "$T" ] && [ -x "$R" ] && [ -x "$P" ] || skip_all "build asrecord, asanalyze and asreplay first"
need_cmd python3
need_cmd bsdtar
need_cmd sqlite3
need_cmd sha256sum
need_cmd zstd
M=tests/mock

. $M/mock.sh
mock_start "$TMPD" 120 || skip_all "the mock did not start"

# two calls with a pause between: -G 2 rotates at least once
cat >"$TMPD/agent.sh" <<EOS
python3 $M/llm_client.py --port $PORT --cacert $CERT --api anthropic --stream --transcript $TMPD/t1.jsonl
sleep 3
python3 $M/llm_client.py --port $PORT --cacert $CERT --api chat --transcript $TMPD/t2.jsonl
EOS
check "asrecord records the agent into rotated files" "$R" -q -G 2 -w "$TMPD/rec.pcapng.zst" \
	-- sh "$TMPD/agent.sh"
python3 -c "import urllib.request,ssl; c=ssl.create_default_context(cafile='$CERT'); \
urllib.request.urlopen('https://127.0.0.1:$PORT/quit', context=c).read()" 2>/dev/null
wait $MOCK

# the files in recording order: rec, rec1, rec2, ...
FILES="$TMPD/rec.pcapng.zst"
i=1
while [ -e "$TMPD/rec$i.pcapng.zst" ]; do
	FILES="$FILES $TMPD/rec$i.pcapng.zst"
	i=$((i + 1))
done
check "two or more rotated files" [ "$i" -ge 2 ]

B=$TMPD/incident.tar.zst
# shellcheck disable=SC2086
check "bundle exits 0" "$T" bundle -q "$B" $FILES
# shellcheck disable=SC2086
"$T" bundle "$B" $FILES >"$TMPD/again.out" 2>&1
check "bundle refuses to replace OUT" [ $? = 1 ]
check_grep "... and says so" "'$B': file exists; use --force" "$TMPD/again.out"
# shellcheck disable=SC2086
"$T" bundle -f "$B" $FILES >"$TMPD/force.out" 2>&1
check "bundle -f replaces it" [ $? = 0 ]
check_grep "one-line summary" "wrote '$B': $i captures, analysis.db" "$TMPD/force.out"
check "no OUT.part left" [ ! -e "$B.part" ]
check "missing input: error names it, exit 1, no OUT" sh -c \
	"! '$T' bundle -q '$TMPD/none.tar.zst' '$TMPD/nope.pcapng.zst' 2>'$TMPD/none.err' &&
	 grep -q \"'$TMPD/nope.pcapng.zst'\" '$TMPD/none.err' && [ ! -e '$TMPD/none.tar.zst' ]"

# ---- real consumers: bsdtar (libarchive), GNU tar, sha256sum, sqlite3
bsdtar -tf "$B" >"$TMPD/list.bsd" 2>&1
check "bsdtar lists the bundle" [ $? = 0 ]
for m in captures/rec.pcapng.zst captures/rec1.pcapng.zst analysis.db SUMMARY.txt \
	MANIFEST.json SHA256SUMS; do
	check_grep "member $m" "^$m\$" "$TMPD/list.bsd"
done
tar --zstd -tf "$B" >"$TMPD/list.gnu" 2>&1
check "GNU tar lists the same members" cmp "$TMPD/list.bsd" "$TMPD/list.gnu"
X=$TMPD/x
mkdir -p "$X"
check "bsdtar extracts it" bsdtar -xf "$B" -C "$X"
check "sha256sum -c SHA256SUMS" sh -c "cd '$X' && sha256sum -c SHA256SUMS"
for f in $FILES; do
	check "$(basename "$f") packed byte-exact" cmp "$f" "$X/captures/$(basename "$f")"
done
# shellcheck disable=SC2086
"$T" conversations --json -q $FILES >"$TMPD/calls.jsonl"
NCALLS=$(wc -l <"$TMPD/calls.jsonl")
check "the recording holds LLM calls" [ "$NCALLS" -ge 2 ]
check "sqlite3: llm_calls has every call" \
	[ "$(sqlite3 "$X/analysis.db" 'SELECT count(*) FROM llm_calls')" = "$NCALLS" ]
check "manifest: every member's sha256, every capture's chain" python3 -c '
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "MANIFEST.json")))
for e in m["members"]:
    assert hashlib.sha256(open(os.path.join(d, e["name"]), "rb").read()).hexdigest() == e["sha256"], e
assert {e["name"] for e in m["members"]} == {"analysis.db", "SUMMARY.txt"} | \
    {c["name"] for c in m["captures"]}, m["members"]
assert len(m["captures"]) == int(sys.argv[2]), m["captures"]
for c in m["captures"]:
    assert len(c["final_chain_hash"]) == 64 and c["frames"] > 0 and c["chain_blocks_bad"] == 0, c
' "$X" "$i"
check_grep "summary: info, tree, conversations, explain" "==== LLM conversations" "$X/SUMMARY.txt"
check_grep "summary: the process tree" "llm_client.py" "$X/SUMMARY.txt"

# ---- asanalyze reads the bundle as the captures (names aside)
same() { # VERB [OPTS]: output on the bundle == output on the files
	# shellcheck disable=SC2086
	"$T" "$@" $FILES >"$TMPD/$1.files" 2>&1
	"$T" "$@" "$B" 2>&1 | sed "s|$B:captures/|$TMPD/|g" | grep -v "^'$B': ok:" >"$TMPD/$1.bundle"
	check "$1 on the bundle == on the captures" diff "$TMPD/$1.files" "$TMPD/$1.bundle"
}
same info
same tree -q
same conversations -q
same explain -q
same dump
same verify
"$T" verify "$B" >"$TMPD/verify.out" 2>&1
check "verify on the bundle exits 0" [ $? = 0 ]
check_grep "verify checks the manifest" "^'$B': ok: $((i + 4)) members match MANIFEST.json" \
	"$TMPD/verify.out"
"$T" export -q --sqlite "$TMPD/b.db" "$B"
check "export --sqlite from the bundle: same call count" \
	[ "$(sqlite3 "$TMPD/b.db" 'SELECT count(*) FROM llm_calls')" = "$NCALLS" ]

# ---- one byte changed inside the first capture member
zstd -qdc "$B" >"$TMPD/bad.tar"
SIZE=$(stat -c %s "$TMPD/rec.pcapng.zst")
# the first member's data starts after its 512-byte ustar header
printf 'Z' | dd of="$TMPD/bad.tar" bs=1 seek=$((512 + SIZE / 2)) conv=notrunc 2>/dev/null
zstd -qf "$TMPD/bad.tar" -o "$TMPD/bad.tar.zst"
"$T" verify "$TMPD/bad.tar.zst" >"$TMPD/bad.out" 2>&1
check "verify fails on the altered bundle" [ $? = 1 ]
check_grep "... naming the member and its sha256" \
	"'$TMPD/bad.tar.zst:captures/rec.pcapng.zst': sha256 mismatch" "$TMPD/bad.out"
check_grep "... and its verdict" "'$TMPD/bad.tar.zst:captures/rec.pcapng.zst': FAILED" \
	"$TMPD/bad.out"
check_grep "the other members still pass" \
	"'$TMPD/bad.tar.zst:captures/rec1.pcapng.zst': ok" "$TMPD/bad.out"

# ---- asreplay: the bundle's timeline is the captures' timeline
# shellcheck disable=SC2086
"$P" --print -q $FILES >"$TMPD/replay.files" 2>"$TMPD/replay.files.err"
check "asreplay --print on the captures" [ $? = 0 -a -s "$TMPD/replay.files" ]
"$P" --print -q "$B" >"$TMPD/replay.bundle" 2>"$TMPD/replay.bundle.err"
check "asreplay --print on the bundle" [ $? = 0 ]
check "asreplay: same timeline" cmp "$TMPD/replay.files" "$TMPD/replay.bundle"
check "asreplay caches the bundle's analysis beside it" [ -s "$B.db" ]
"$P" --print -q "$B" >"$TMPD/replay.bundle2" 2>&1
check "asreplay: same timeline from the cache" cmp "$TMPD/replay.files" "$TMPD/replay.bundle2"

# ---- asreplay on the bundle with the altered member: the reader's error
# names the bundle and the member, not the memfd it was read from
"$P" --print -q "$TMPD/bad.tar.zst" >/dev/null 2>"$TMPD/replay.bad.err"
check "asreplay --print on the altered bundle exits non-zero" [ $? != 0 ]
check_grep "... naming the bundle and the member" \
	"^asreplay: '$TMPD/bad.tar.zst:captures/rec.pcapng.zst': offset [0-9]+: " \
	"$TMPD/replay.bad.err"
check "... and no /proc/self/fd path" sh -c "! grep -q /proc/self/fd '$TMPD/replay.bad.err'"

# ---- SUMMARY.txt's tree, conversations and explain come from one model:
# each is what the verb prints on the captures (blank lines aside)
part() { # TITLE: that section of the summary
	awk -v t="==== $1 " 'index($0, "==== ") == 1 { on = index($0, t) == 1; next } on' \
		"$X/SUMMARY.txt" | grep -v '^$'
}
for v in "tree:process tree" "conversations:LLM conversations" \
	"explain:prompt -> tool call -> effects"; do
	# shellcheck disable=SC2086
	"$T" "${v%%:*}" -q $FILES 2>/dev/null | grep -v '^$' >"$TMPD/part.verb"
	part "${v#*:}" >"$TMPD/part.summary"
	check "summary: ${v%%:*} as the verb prints it" sh -c \
		"[ -s '$TMPD/part.verb' ] && cmp '$TMPD/part.verb' '$TMPD/part.summary'"
done
done_testing
