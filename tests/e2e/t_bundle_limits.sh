#!/bin/sh
# t_bundle_limits.sh - hostile bundles: a member that would unpack to far
# more than the bundle's size (a sparse 1 GiB member bsdtar packs into a
# few hundred bytes, a forged 10 GiB size in a pax header, the same for a
# member that is only hashed) is refused before it is copied, by asanalyze
# (info, verify) and asreplay, with the bundle, member and tar offset
# named; ASIGHT_BUNDLE_MAX replaces the limit (0: none; junk: an error).
# No root needed: the honest capture comes from tests/tools/mkcap.
. tests/lib.sh

T=$O/asanalyze
P=$O/asreplay
MK=$O/tests/mkcap
[ -x "$T" ] && [ -x "$P" ] && [ -x "$MK" ] || skip_all "build asanalyze, asreplay and mkcap first"
need_cmd bsdtar
need_cmd python3
need_cmd truncate
need_cmd zstd

LIMIT="is past the bundle's unpack limit of 67108864 bytes \(64 times its size, at least 64 MiB\); ASIGHT_BUNDLE_MAX raises it"

# ---- an honest bundle of a small synthetic capture
check "mkcap writes a capture" "$MK" "$TMPD/ok.pcapng.zst" --records 2000
B=$TMPD/ok.tar.zst
check "bundle packs it" "$T" bundle -q "$B" "$TMPD/ok.pcapng.zst"
check "info reads the honest bundle under the default limit" "$T" info "$B"
ASIGHT_BUNDLE_MAX=1k "$T" info "$B" >/dev/null 2>"$TMPD/env1k.err"
check "ASIGHT_BUNDLE_MAX=1k: exit 1" [ $? = 1 ]
check_grep "... naming the bundle, the member, the tar offset and the limit" \
	"^asanalyze: '$B:captures/ok.pcapng.zst': tar offset [0-9]+: member of [0-9]+ bytes is past the bundle's unpack limit of 1024 bytes \(ASIGHT_BUNDLE_MAX=1024\)" \
	"$TMPD/env1k.err"
check "ASIGHT_BUNDLE_MAX=0: no limit" env ASIGHT_BUNDLE_MAX=0 "$T" info "$B"
check "ASIGHT_BUNDLE_MAX=1G: enough" env ASIGHT_BUNDLE_MAX=1G "$T" info "$B"
ASIGHT_BUNDLE_MAX=lots "$T" info "$B" >/dev/null 2>"$TMPD/envbad.err"
check "ASIGHT_BUNDLE_MAX=lots: exit 1" [ $? = 1 ]
check_grep "... saying it is not a size" "ASIGHT_BUNDLE_MAX: not a size: 'lots'" "$TMPD/envbad.err"

# ---- a bundle cut inside its first zstd block: too short to see the tar
# header, so it is known by its name and read as a bundle (not as an
# empty capture that exits 0)
head -c 300 "$B" >"$TMPD/cut.tar.zst"
"$T" info "$TMPD/cut.tar.zst" >/dev/null 2>"$TMPD/cut.err"
check "info on a cut bundle: exit 1" [ $? = 1 ]
check_grep "... naming the bundle and the cut" "'$TMPD/cut.tar.zst': .*[Tt]runcated" "$TMPD/cut.err"

# ---- a sparse capture member: 1 GiB of zeros then one byte, a few
# hundred bytes packed; read as it was, it fills 1 GiB of memory
mkdir -p "$TMPD/sp/captures"
truncate -s 1G "$TMPD/sp/captures/huge.pcapng.zst"
printf x >>"$TMPD/sp/captures/huge.pcapng.zst"
S=$TMPD/sparse.tar.zst
(cd "$TMPD/sp" && bsdtar --zstd --format pax -cf "$S" captures/huge.pcapng.zst)
check "bsdtar packs the sparse member small" [ "$(stat -c %s "$S")" -lt 65536 ]
"$T" info "$S" >/dev/null 2>"$TMPD/sparse.err"
check "info on the sparse bundle: exit 1" [ $? = 1 ]
check_grep "... the member refused before it is copied" \
	"^asanalyze: '$S:captures/huge.pcapng.zst': tar offset [0-9]+: member of 1073741825 bytes $LIMIT" \
	"$TMPD/sparse.err"
"$T" verify "$S" >"$TMPD/sparse.verify" 2>&1
check "verify on the sparse bundle: exit 1" [ $? = 1 ]
check_grep "... the same message" "member of 1073741825 bytes $LIMIT" "$TMPD/sparse.verify"
"$P" --print -q "$S" >/dev/null 2>"$TMPD/sparse.replay"
check "asreplay --print on the sparse bundle: exit 1" [ $? = 1 ]
check_grep "... the same message" \
	"^asreplay: '$S:captures/huge.pcapng.zst': tar offset [0-9]+: member of 1073741825 bytes $LIMIT" \
	"$TMPD/sparse.replay"

# ---- a pax header claiming 10 GiB with no data behind it, after an
# honest capture member, and the same for a member that is only hashed
forge() { # OUT NAME: ok.pcapng.zst as captures/ok.pcapng.zst, then NAME of 10 GiB
	python3 - "$TMPD/ok.pcapng.zst" "$1.tar" "$2" <<'EOF'
import sys, tarfile
src, out, name = sys.argv[1:4]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    t.add(src, "captures/ok.pcapng.zst")
    ti = tarfile.TarInfo(name)
    ti.size = 10 << 30
    t.addfile(ti)  # the header alone: no data follows
EOF
	zstd -qf "$1.tar" -o "$1"
}
F=$TMPD/forged.tar.zst
check "a bundle with a forged 10 GiB capture member" forge "$F" captures/big.pcapng.zst
"$T" info "$F" >/dev/null 2>"$TMPD/forged.err"
check "info on it: exit 1" [ $? = 1 ]
check_grep "... refused by its header's size" \
	"^asanalyze: '$F:captures/big.pcapng.zst': tar offset [0-9]+: member of 10737418240 bytes $LIMIT" \
	"$TMPD/forged.err"
H=$TMPD/hashed.tar.zst
check "a bundle with a forged 10 GiB analysis.db" forge "$H" analysis.db
"$T" verify "$H" >"$TMPD/hashed.out" 2>&1
check "verify on it: exit 1" [ $? = 1 ]
check_grep "... refused too (it would only be hashed, for minutes)" \
	"'$H:analysis.db': tar offset [0-9]+: member of 10737418240 bytes $LIMIT" "$TMPD/hashed.out"
done_testing
