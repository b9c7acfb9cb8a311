#!/bin/sh
# asrecord's file and network records with their real values: a python
# workload (tests/e2e/rec_netfiles.py) makes openat2, creat, a failed
# open, truncate/ftruncate, fchmod/fchmodat, mkdirat, renameat2 with its
# flags and a dirfd, unlinkat (with a dirfd, with AT_REMOVEDIR), rmdir,
# then bind/listen/connect/accept(4) over IPv4, IPv6 (::1), a unix path
# and an abstract unix name, and closes its sockets; every record is
# compared with the values the kernel gave the workload.  Then --all
# stopped by SIGTERM, and the drop to SUDO_UID/SUDO_GID.
. tests/lib.sh
. tests/e2e/rec_lib.sh
A=$O/asanalyze
D=$TMPD/work
mkdir -p "$D"
F=$TMPD/facts.json
J=$TMPD/j

# one assertion over the records R with X (the workload's facts) and P (its pid)
nf() {
	rec_py "$1" "$J" "(lambda X: (lambda P: ($2))(X['pid']))(json.load(open('$F')))"
}

NF_V6=
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null && NF_V6=1
cap=$TMPD/nf.pcapng.zst
W=$(pwd)/tests/e2e/rec_netfiles.py
B=$(cd "$O" && pwd)
(cd "$D" && NF_V6=$NF_V6 "$B/asrecord" -w "$cap" -- python3 "$W" "$F") >"$TMPD/rec.out" 2>&1
rc=$?
check "the workload ran and asrecord returned its status 0 ($rc)" test "$rc" = 0 -a -s "$F"
check "asanalyze verify passes" "$A" verify "$cap"
rec_json "$cap" "$J"

# ---- files
nf "exec of the workload with its cwd (relative paths resolve against it)" \
	"first('exec', pid=P)['cwd'] == '$D'"
nf "openat2: path, flags and mode from struct open_how, fd returned" "
first('open', pid=P, syscall=437, path='nf_openat2.txt', ret=X['openat2_fd'],
      oflags='O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC', mode='0640')"
nf "openat2 of an existing file with O_EXCL: ret -EEXIST, marked err" "
'err' in first('open', pid=P, syscall=437, ret=-17, errno='EEXIST')['flags']
and X['openat2_bad'] == -17"
nf "write to the openat2 fd: count, result and bytes" "
first('write', pid=P, fd=X['openat2_fd'], count=15, ret=15, payload='openat2-payload')"
nf "ftruncate: fd and length, no path" "
'path' not in first('truncate', pid=P, syscall=77, fd=X['openat2_fd'], length=7, ret=0)"
nf "fchmod: fd and mode" "first('chmod', pid=P, syscall=91, fd=X['openat2_fd'], mode='0611', ret=0)"
nf "close of the openat2 fd is a regular file's" "
first('close', pid=P, fd=X['openat2_fd'], mode='0100000', ret=0, syscall=3)"
nf "creat: O_WRONLY|O_CREAT|O_TRUNC, mode 0600, fd returned" "
first('open', pid=P, syscall=85, path='nf_creat.txt', oflags='O_WRONLY|O_CREAT|O_TRUNC',
      mode='0600', ret=X['creat_fd'])"
nf "failed openat: ret -ENOENT, O_RDONLY, marked err" "
'err' in first('open', pid=P, syscall=257, path='nf_missing/nope.txt', oflags='O_RDONLY',
               ret=-2, errno='ENOENT')['flags']"
nf "truncate: path and length" "
first('truncate', pid=P, syscall=76, path='nf_creat.txt', length=3, ret=0)"
nf "fchmodat: path and mode" "
first('chmod', pid=P, syscall=268, path='nf_creat.txt', mode='0604', ret=0)"
nf "fchmodat2: path, mode, flags AT_SYMLINK_NOFOLLOW and the result" "
first('chmod', pid=P, syscall=452, path='nf_openat2.txt', mode='0644', op_flags='0x100',
      ret=X['fchmodat2_ret'])"
nf "mkdirat: path and mode" "first('mkdir', pid=P, syscall=258, path='nf_dir', mode='0750', ret=0)"
nf "renameat2 RENAME_NOREPLACE: both paths, new dirfd, flags 0x1" "
'fd' not in first('rename', pid=P, syscall=316, oldpath='nf_creat.txt', newpath='nf_moved.txt',
                  fd2=X['dir_fd'], op_flags='0x1', ret=0)"
nf "renameat2 onto an existing name: ret -EEXIST" "
first('rename', pid=P, oldpath='nf_other.txt', newpath='nf_moved.txt', op_flags='0x1',
      ret=-17, errno='EEXIST') and X['rename_exists'] == -17"
nf "renameat2 RENAME_EXCHANGE: flags 0x2" "
first('rename', pid=P, oldpath='nf_other.txt', fd2=X['dir_fd'], op_flags='0x2', ret=0)"
nf "unlinkat with a dirfd, no flags" "
'op_flags' not in first('unlink', pid=P, syscall=263, path='nf_moved.txt', fd=X['dir_fd'], ret=0)"
nf "unlinkat AT_REMOVEDIR" "
first('unlink', pid=P, syscall=263, path='nf_dir', op_flags='0x200', ret=0)"
nf "mkdir then rmdir (AT_REMOVEDIR)" "
first('mkdir', pid=P, syscall=83, path='nf_dir2', mode='0777', ret=0) and
first('unlink', pid=P, syscall=84, path='nf_dir2', op_flags='0x200', ret=0)"

# ---- network
# inet_checks NAME KEY ADDR FAMILY ACCEPT_NR: bind to port 0, listen, connect
# and accept over one family (X[KEY] from rec_netfiles.py); ADDR is the
# python format of an address with its port
inet_checks() {
	nf "$1 bind $(printf "$3" 0)" "
first('bind', pid=P, fd=X['$2']['lfd'], addr='$3' % 0, family='$4', ret=0)"
	nf "$1 listen: bound address with its port, backlog 5" "
first('listen', pid=P, fd=X['$2']['lfd'], addr='$3' % X['$2']['local'][1], family='$4',
      backlog=5, ret=0)"
	nf "$1 connect: address and port" "
first('connect', pid=P, fd=X['$2']['cfd'], addr='$3' % X['$2']['local'][1], family='$4',
      ret=0)"
	nf "$1 accept (syscall $5): new fd, the client's address and port" "
first('accept', pid=P, syscall=$5, fd=X['$2']['lfd'], ret=X['$2']['afd'],
      addr='$3' % X['$2']['client'][1], family='$4')"
}
inet_checks IPv4 v4 '127.0.0.1:%d' inet 43
nf "bind to a port in use: the port passed, ret -EADDRINUSE" "
first('bind', pid=P, addr='127.0.0.1:%d' % X['v4_busy_port'], ret=-98, errno='EADDRINUSE')"
if [ -n "$NF_V6" ]; then
	inet_checks IPv6 v6 '[::1]:%d' inet6 288
else
	skip_one "IPv6" "::1 cannot be bound on this host"
fi
nf "unix bind/listen: the path as passed" "
first('bind', pid=P, fd=X['unix']['lfd'], addr='unix:nf_unix.sock', family='unix', ret=0) and
first('listen', pid=P, fd=X['unix']['lfd'], addr='unix:nf_unix.sock')"
nf "unix connect: the path" "
first('connect', pid=P, fd=X['unix']['cfd'], addr='unix:nf_unix.sock', ret=0)"
nf "unix accept: new fd and the client's bound path" "
first('bind', pid=P, fd=X['unix']['cfd'], addr='unix:nf_client.sock') and
first('accept', pid=P, fd=X['unix']['lfd'], ret=X['unix']['afd'], addr='unix:nf_client.sock')"
nf "abstract unix bind/listen/connect: '@' and the name" "
(lambda a: first('bind', pid=P, fd=X['abs']['lfd'], addr=a, ret=0) and
 first('listen', pid=P, fd=X['abs']['lfd'], addr=a) and
 first('connect', pid=P, fd=X['abs']['cfd'], addr=a, ret=0))('unix:@' + X['abstract_name'])"
nf "abstract unix accept: new fd, unnamed client" "
first('accept', pid=P, fd=X['abs']['lfd'], ret=X['abs']['afd'], addr='unix:(unnamed)',
      family='unix')"
nf "every socket fd is closed, recorded as a socket (mode 0140000)" "
len(X['closed']) >= 9 and all(first('close', pid=P, fd=fd, mode='0140000',
      ret=0, syscall=3) for fd in X['closed'])"

# ---- close's entry on its syscall event (tracefs mounted) and on the raw
# sys_enter tracepoint (tracefs hidden): the same records either way.  Each
# run has a private mount namespace, so the host's mounts are not touched,
# and its own directory (the workload's O_EXCL files).
close_run() {
	mkdir -p "$D/$1"
	(cd "$D/$1" && NF_V6=$NF_V6 unshare -m sh -c '
	if [ "$1" = event ]; then
		mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing || exit 97
	else
		for t in /sys/kernel/debug/tracing /sys/kernel/tracing; do
			[ -d "$t" ] && { mount -t tmpfs none "$t" || exit 97; }
		done
	fi
	shift
	exec "$@"' sh "$1" "$B/asrecord" -v -w "$TMPD/close_$1.pcapng.zst" -- \
		python3 "$W" "$TMPD/facts_$1.json") >"$TMPD/close_$1.out" 2>&1
}
for how in event raw; do
	if ! command -v unshare >/dev/null 2>&1 || ! command -v mountpoint >/dev/null 2>&1; then
		skip_one "close entries ($how)" "unshare or mountpoint (util-linux) not installed"
		continue
	fi
	close_run $how
	rc=$?
	if [ "$rc" = 97 ]; then
		skip_one "close entries ($how)" "cannot mount in a private mount namespace"
		continue
	fi
	check "close entries ($how): the workload ran, status 0 ($rc)" test "$rc" = 0
	case $how in
	event) check_grep "close entries (event): asrecord -v names syscalls/sys_enter_close" \
		"close\\(2\\) entries through syscalls/sys_enter_close" "$TMPD/close_$how.out" ;;
	raw) check_grep "close entries (raw): asrecord -v names the tp_btf/sys_enter fallback" \
		"close\\(2\\) entries through tp_btf/sys_enter" "$TMPD/close_$how.out" ;;
	esac
	rec_json "$TMPD/close_$how.pcapng.zst" "$TMPD/cj_$how"
	F=$TMPD/facts_$how.json
	J=$TMPD/cj_$how
	nf "close entries ($how): a regular file's close and every socket's, with their modes" "
first('close', pid=P, fd=X['openat2_fd'], mode='0100000', ret=0, syscall=3) and
len(X['closed']) >= 9 and all(first('close', pid=P, fd=fd, mode='0140000',
      ret=0, syscall=3) for fd in X['closed'])"
done
F=$TMPD/facts.json
J=$TMPD/j

# ---- --all, stopped by SIGTERM: a process that is not asrecord's child
"$O/asrecord" --all -w "$TMPD/all.pcapng.zst" >"$TMPD/all.out" 2>&1 &
R=$!
wait_file "$TMPD/all.pcapng.zst.part"
G=$(cat /proc/$R/task/*/children 2>/dev/null | tr -s ' \n' ' ')
sh -c 'echo all-marker > "$1/all_marker.txt"' nf_all_marker "$D"
kill -TERM $R
wait $R
rc=$?
check "--all: SIGTERM stops asrecord with status 0 ($rc)" test "$rc" = 0
check_grep "--all: the summary is printed" "records .* dropped, [0-9]+ truncated" "$TMPD/all.out"
check "--all: the file is closed (no .part left)" test -e "$TMPD/all.pcapng.zst" \
	-a ! -e "$TMPD/all.pcapng.zst.part"
check "--all: asanalyze verify passes" "$A" verify "$TMPD/all.pcapng.zst"
rec_json "$TMPD/all.pcapng.zst" "$TMPD/allj"
rec_py "--all: exec of the marker (not a child of asrecord) and its open" "$TMPD/allj" "
any(r['type'] == 'exec' and r['argv'][:2] == ['sh', '-c'] and 'nf_all_marker' in r['argv'] and
    first('open', pid=r['pid'], path='$D/all_marker.txt') for r in R)"
rec_py "--all: nothing of asrecord ($R) or its guardian ($G), snapshot included" "$TMPD/allj" "
not [r for r in R if r['pid'] in [$R] + [int(g) for g in '$G'.split()]]"
rec_py "--all: no record of the capture file being written" "$TMPD/allj" \
	"not [r for r in R if 'all.pcapng.zst' in r.get('path', '')]"

# ---- the command drops to SUDO_UID/SUDO_GID (what sudo sets) while traced
if getent passwd 65534 >/dev/null; then
	S=$TMPD/sudo
	mkdir -p "$S"
	chmod 711 "$TMPD"
	chmod 777 "$S"
	SUDO_UID=65534 SUDO_GID=65534 SUDO_USER=nobody HOME=/root "$O/asrecord" \
		-w "$S/s.pcapng.zst" -- sh -c 'id -u; id -g; id -G; echo "$HOME $USER $LOGNAME"
touch "$1/nf_sudo_marker"' nf_sudo "$S" >"$TMPD/sudo.out" 2>"$TMPD/sudo.err"
	rc=$?
	home=$(getent passwd 65534 | cut -d: -f6)
	name=$(getent passwd 65534 | cut -d: -f1)
	printf '65534\n65534\n65534\n%s %s %s\n' "$home" "$name" "$name" >"$TMPD/sudo.want"
	check "sudo drop: status 0 ($rc)" test "$rc" = 0
	check "sudo drop: uid, gid, groups 65534 only, that user's HOME/USER/LOGNAME" \
		cmp "$TMPD/sudo.want" "$TMPD/sudo.out"
	check "sudo drop: the file is made by uid 65534" \
		test "$(stat -c %u:%g "$S/nf_sudo_marker" 2>/dev/null)" = 65534:65534
	check "sudo drop: the capture still verifies" "$A" verify "$S/s.pcapng.zst"
	rec_json "$S/s.pcapng.zst" "$TMPD/sj"
	rec_py "sudo drop: the exec records of sh and touch carry uid and gid 65534" "$TMPD/sj" "(
first('exec', comm='sh', uid=65534, gid=65534) and first('exec', comm='touch', uid=65534, gid=65534)
and not [r for r in R if r['type'] == 'exec' and r['uid'] != 65534])"
	rec_py "sudo drop: touch's open of the marker is recorded" "$TMPD/sj" "
any(r['type'] == 'open' and r['path'].endswith('nf_sudo_marker') and r['ret'] >= 0 and
    first('exec', comm='touch', pid=r['pid']) for r in R)"
else
	skip_one "sudo drop" "no user with uid 65534"
fi
done_testing
