#!/bin/sh
# TLS functions built with -fcf-protection begin with endbr64, which the
# kernel single-steps under a uprobe (~10 us a call here) where it emulates
# a push (~1 us): asrecord probes such a function on the push after the
# endbr64 (record/rec_entry.h).  A program exporting SSL_write (endbr64,
# push) and SSL_read (push only) over a pipe: SSL_write's TARGET record has
# attach_offset = offset + 4, SSL_read's has none, and both calls are
# recorded byte-exact with their return values.
. tests/lib.sh
. tests/e2e/rec_lib.sh
need_cmd cc
need_cmd readelf
need_cmd nm
[ "$(uname -m)" = x86_64 ] || skip_all "x86_64 instruction bytes"
cat >"$TMPD/cet.c" <<'EOC'
#include <string.h>
#include <unistd.h>
/* int SSL_write(void *ssl, const void *buf, int num): write(fd in *ssl) */
__asm__(".text\n.globl SSL_write\n.type SSL_write,@function\nSSL_write:\n"
	"endbr64\npush %rbx\nmovslq (%rdi),%rdi\nmovslq %edx,%rdx\ncall write@PLT\n"
	"pop %rbx\nret\n.size SSL_write,.-SSL_write\n");
/* int SSL_read(void *ssl, void *buf, int num): read(fd in *ssl) */
__asm__(".text\n.globl SSL_read\n.type SSL_read,@function\nSSL_read:\n"
	"push %rbx\nmovslq (%rdi),%rdi\nmovslq %edx,%rdx\ncall read@PLT\n"
	"pop %rbx\nret\n.size SSL_read,.-SSL_read\n");
int SSL_write(void *ssl, const void *buf, int num);
int SSL_read(void *ssl, void *buf, int num);
int main(void)
{
	static const char msg[] = "POST /v1/messages endbr64-probe";
	char got[64] = { 0 };
	int p[2], w, r;

	if (pipe(p))
		return 1;
	w = SSL_write(&p[1], msg, (int)strlen(msg));
	r = SSL_read(&p[0], got, sizeof(got) - 1);
	return w == (int)strlen(msg) && r == w && !memcmp(got, msg, (size_t)r) ? 0 : 2;
}
EOC
cc -O1 -rdynamic -o "$TMPD/cet" "$TMPD/cet.c" || skip_all "cannot compile the test program"
W=$(nm -D --defined-only "$TMPD/cet" | awk '$3 == "SSL_write" { print $1 }')
R=$(nm -D --defined-only "$TMPD/cet" | awk '$3 == "SSL_read" { print $1 }')
[ -n "$W" ] && [ -n "$R" ] || skip_all "the test program exports no SSL_write/SSL_read"
# file offsets (what TARGET records hold): address - .text address + .text offset
set -- $(readelf -SW "$TMPD/cet" | sed -n 's/.* \.text *PROGBITS *\([0-9a-f]*\) \([0-9a-f]*\) .*/\1 \2/p')
[ $# = 2 ] || skip_all "readelf shows no .text section"
WOFF=$(printf '0x%x' $((0x$W - 0x$1 + 0x$2)))
ROFF=$(printf '0x%x' $((0x$R - 0x$1 + 0x$2)))
WAT=$(printf '0x%x' $((0x$W - 0x$1 + 0x$2 + 4)))
export ASIGHT_CACHE_DIR=$TMPD/cache
check "the program runs under asrecord" "$O/asrecord" -q -w "$TMPD/c.zst" -- "$TMPD/cet"
"$O/asanalyze" dump -H -t target "$TMPD/c.zst" >"$TMPD/c.t" 2>&1
check_grep "SSL_write (endbr64, push) is probed on the push" \
	"symbol=SSL_write offset=$WOFF attach_offset=$WAT .*attached=yes" "$TMPD/c.t"
check_grep "SSL_read (push) is probed on its first byte" \
	"symbol=SSL_read offset=$ROFF kind" "$TMPD/c.t"
"$O/asanalyze" info "$TMPD/c.zst" >"$TMPD/c.info" 2>&1
check_grep "asanalyze info shows where SSL_write is probed" \
	"^  SSL_write +openssl +cet @$WOFF \\(probed at $WAT\\): symbol" "$TMPD/c.info"
rec_json "$TMPD/c.zst" "$TMPD/c.json"
rec_py "the write is recorded byte-exact with its return value" "$TMPD/c.json" \
	'any(r["type"] == "tls" and r.get("dir") == "write" and r.get("ret") == 31 and r.get("payload") == "POST /v1/messages endbr64-probe" for r in R)'
rec_py "the read is recorded byte-exact with its return value" "$TMPD/c.json" \
	'any(r["type"] == "tls" and r.get("dir") == "read" and r.get("ret") == 31 and r.get("payload") == "POST /v1/messages endbr64-probe" for r in R)'
done_testing
