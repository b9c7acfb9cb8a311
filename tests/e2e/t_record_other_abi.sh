#!/bin/sh
# Syscalls through the ia32 ABI (int 0x80 here; sysenter and 32-bit programs
# alike) have their own numbers and argument registers: ia32 read(2) is 3,
# x86_64's close; pipe(2) is 42, x86_64's connect.  asrecord counts them
# (STATS entry CAP_STAT_OTHER_ABI, the summary, asanalyze info) and never
# decodes them with the x86_64 table.  The program makes three ia32 calls
# with rdi holding an open file's fd (what a misdecoded close or connect
# would take as its fd), then an x86_64 open that must be recorded: the
# kernel's TS_COMPAT must not outlive the ia32 call.  A signal handler's
# return (rt_sigreturn exits with number -1) must not be counted.
. tests/lib.sh
. tests/e2e/rec_lib.sh
need_cmd cc
[ "$(uname -m)" = x86_64 ] || skip_all "x86_64 only"
cat >"$TMPD/abi.c" <<'EOC'
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
/* static: below 4 GiB in a non-PIE program, so ia32 calls can take them */
static char buf[64], path[512];
static int fds[2];
static long int80(long nr, long a, long b, long c, long di)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c), "D"(di)
			 : "memory");
	return r;
}
static void on_usr1(int sig)
{
	(void)sig;
}
int main(int argc, char **argv)
{
	char after[600];
	int fd;
	long n, p, fd2;

	/* the handler returns through rt_sigreturn, whose sys_exit has
	 * number -1: no syscall of another ABI */
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	snprintf(path, sizeof(path), "%s/abi.txt", argv[1]);
	snprintf(after, sizeof(after), "%s/after.txt", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "hello", 5) != 5 || lseek(fd, 0, SEEK_SET))
		return 1;
	n = int80(3, fd, (long)buf, 5, fd);             /* read */
	if (n == -38)
		return 3; /* ENOSYS: no ia32 emulation in this kernel */
	p = int80(42, (long)fds, 0, 0, fd);              /* pipe */
	fd2 = int80(5, (long)path, O_RDONLY, 0, fd);     /* open */
	close(open(after, O_CREAT | O_WRONLY, 0644));
	return n == 5 && !memcmp(buf, "hello", 5) && p == 0 && fd2 >= 0 ? 0 : 2;
}
EOC
cc -O1 -no-pie -o "$TMPD/abi" "$TMPD/abi.c" || skip_all "cannot compile the test program"
"$TMPD/abi" "$TMPD"
case $? in
0) ;;
3) skip_all "the kernel has no ia32 emulation (int 0x80 returns ENOSYS)" ;;
*) skip_all "the test program fails untraced" ;;
esac
check "the program runs under asrecord" sh -c \
	"'$O/asrecord' -w '$TMPD/a.zst' -- '$TMPD/abi' '$TMPD' 2>'$TMPD/a.err'"
check_grep "the summary counts the 3 ia32 syscalls" \
	", 3 ia32/x32 syscalls not decoded" "$TMPD/a.err"
"$O/asanalyze" info "$TMPD/a.zst" >"$TMPD/a.info" 2>&1
check_grep "asanalyze info counts them" \
	"^not decoded: +3 syscalls of the ia32/x32 ABI" "$TMPD/a.info"
rec_json "$TMPD/a.zst" "$TMPD/a.json"
rec_py "ia32 read (3) is not recorded as a close of the file's fd" "$TMPD/a.json" \
	'not any(r["type"] == "close" and r.get("ret") == 5 for r in R)'
rec_py "ia32 pipe (42) is not recorded as a connect" "$TMPD/a.json" \
	'not any(r["type"] == "connect" for r in R)'
rec_py "the x86_64 open before them is recorded" "$TMPD/a.json" \
	'sum(1 for r in R if r["type"] == "open" and r.get("path", "").endswith("/abi.txt")) == 1'
rec_py "the x86_64 open after them is recorded" "$TMPD/a.json" \
	'any(r["type"] == "open" and r.get("path", "").endswith("/after.txt") and r.get("ret", -1) >= 0 for r in R)'
done_testing
