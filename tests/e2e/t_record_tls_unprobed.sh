#!/bin/sh
# A program that carries its own TLS implementation where asrecord finds
# nothing to probe: asrecord says so on stderr, naming the file, the pid
# and the implementation, and writes a TARGET record with attached=no;
# a program without TLS code gets no such warning.
. tests/lib.sh
. tests/e2e/rec_lib.sh
need_cmd cc
# a stripped binary holding a rustls panic-location path, as Rust programs
# linking rustls do, and no TLS function asrecord can locate
cat >"$TMPD/fake.c" <<'EOC'
#include <stdio.h>
static const char where[] = "/src/rustls-0.23.0/src/conn.rs";
int main(void) { return puts(where) < 0; }
EOC
cc -O1 -s -o "$TMPD/fake-rustls" "$TMPD/fake.c" || skip_all "cannot compile a test program"
export ASIGHT_CACHE_DIR=$TMPD/cache
"$O/asrecord" -q -w "$TMPD/f.zst" -- "$TMPD/fake-rustls" >/dev/null 2>"$TMPD/f.err"
check_grep "the warning names the file, the pid and rustls" \
	"warning: '$TMPD/fake-rustls' \\(pid [0-9]+, fake-rustls\\) contains TLS code \\(rustls\\) but no function to probe" \
	"$TMPD/f.err"
"$O/asanalyze" dump -H -t target "$TMPD/f.zst" >"$TMPD/f.t" 2>&1
check_grep "a TARGET record says nothing was attached" \
	"path=$TMPD/fake-rustls .*kind=rustls .*attached=no" "$TMPD/f.t"
"$O/asanalyze" info "$TMPD/f.zst" >"$TMPD/f.info" 2>&1
check_grep "asanalyze info lists the file as not hooked" \
	"^  \\(none\\) +rustls +fake-rustls @0x0 \\[not hooked: no\\]" "$TMPD/f.info"
"$O/asrecord" -q -w "$TMPD/t.zst" -- sh -c true >/dev/null 2>"$TMPD/t.err"
check "a program without TLS code gets no warning" sh -c "! grep -q warning '$TMPD/t.err'"
done_testing
