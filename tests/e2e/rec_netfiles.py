# tests/e2e/rec_netfiles.py - the workload of t_record_net_files.sh: the
# file and network syscalls asrecord records, each made once with a
# marker name, through the raw syscall where Python or libc would pick
# another one.  Writes the values the kernel gave (fds, ports, results)
# as JSON to argv[1] for the test to compare with the capture.
import ctypes
import json
import os
import socket
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
AT_FDCWD = -100
O_RDONLY, O_WRONLY, O_RDWR = 0, 1, 2
O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_CLOEXEC = 0o100, 0o200, 0o1000, 0o200000, 0o2000000
AT_REMOVEDIR = 0x200
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
NR = dict(accept=43, truncate=76, ftruncate=77, rmdir=84, creat=85, fchmod=91, openat=257,
          mkdirat=258, unlinkat=263, fchmodat=268, renameat2=316, openat2=437, fchmodat2=452)
out = {"pid": os.getpid()}


class OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                ("resolve", ctypes.c_uint64)]


def sc(name, *args):
    conv = [ctypes.c_char_p(a) if isinstance(a, bytes) else
            ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    r = libc.syscall(ctypes.c_long(NR[name]), *conv)
    return r if r >= 0 else -ctypes.get_errno()


# ---- files
how = OpenHow(O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o640, 0)
fd = sc("openat2", AT_FDCWD, b"nf_openat2.txt", ctypes.byref(how), ctypes.sizeof(how))
out["openat2_fd"] = fd
out["write_ret"] = os.write(fd, b"openat2-payload")
out["ftruncate_ret"] = sc("ftruncate", fd, 7)
out["fchmod_ret"] = sc("fchmod", fd, 0o611)
os.close(fd)
out["openat2_bad"] = sc("openat2", AT_FDCWD, b"nf_openat2.txt", ctypes.byref(how),
                        ctypes.sizeof(how))
fd = sc("creat", b"nf_creat.txt", 0o600)
out["creat_fd"] = fd
os.close(fd)
out["open_missing"] = sc("openat", AT_FDCWD, b"nf_missing/nope.txt", O_RDONLY, 0)
out["truncate_ret"] = sc("truncate", b"nf_creat.txt", 3)
out["fchmodat_ret"] = sc("fchmodat", AT_FDCWD, b"nf_creat.txt", 0o604, 0)
# AT_SYMLINK_NOFOLLOW (0x100) on a regular file: 0 since Linux 6.6, else -ENOSYS
out["fchmodat2_ret"] = sc("fchmodat2", AT_FDCWD, b"nf_openat2.txt", 0o644, 0x100)
out["mkdirat_ret"] = sc("mkdirat", AT_FDCWD, b"nf_dir", 0o750)
dfd = sc("openat", AT_FDCWD, b"nf_dir", O_RDONLY | O_DIRECTORY, 0)
out["dir_fd"] = dfd
out["rename_ret"] = sc("renameat2", AT_FDCWD, b"nf_creat.txt", dfd, b"nf_moved.txt",
                       RENAME_NOREPLACE)
open("nf_other.txt", "w").close()
out["rename_exists"] = sc("renameat2", AT_FDCWD, b"nf_other.txt", dfd, b"nf_moved.txt",
                          RENAME_NOREPLACE)
out["rename_xchg"] = sc("renameat2", AT_FDCWD, b"nf_other.txt", dfd, b"nf_moved.txt",
                        RENAME_EXCHANGE)
out["unlinkat_ret"] = sc("unlinkat", dfd, b"nf_moved.txt", 0)
os.close(dfd)
os.unlink("nf_other.txt")
out["unlinkat_dir"] = sc("unlinkat", AT_FDCWD, b"nf_dir", AT_REMOVEDIR)
os.mkdir("nf_dir2")
out["rmdir_ret"] = sc("rmdir", b"nf_dir2")


def name(a):
    """an address as JSON: abstract unix names with a leading '@'"""
    if isinstance(a, bytes):
        return "@" + a[1:].decode()
    return a


# ---- network: listener, client, accepted socket, held open (unique fds)
# and closed at the end
held = []


def pair(fam, addr, client_bind=None, raw_accept=False):
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.bind(addr)
    ls.listen(5)
    c = socket.socket(fam, socket.SOCK_STREAM)
    if client_bind is not None:
        c.bind(client_bind)
    c.connect(ls.getsockname())
    if raw_accept:
        afd = sc("accept", ls.fileno(), 0, 0)
        a = socket.socket(fileno=afd)
    else:
        a, _ = ls.accept()
    r = dict(lfd=ls.fileno(), cfd=c.fileno(), afd=a.fileno(),
             local=name(ls.getsockname()), client=name(c.getsockname()))
    held.extend((a, c, ls))
    return r


out["v4"] = pair(socket.AF_INET, ("127.0.0.1", 0), raw_accept=True)
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
s = socket.socket()
try:
    s.bind(busy.getsockname())
    out["v4_busy"] = 0
except OSError as e:
    out["v4_busy"] = -e.errno
out["v4_busy_port"] = busy.getsockname()[1]
s.close()
busy.close()
if os.environ.get("NF_V6"):
    out["v6"] = pair(socket.AF_INET6, ("::1", 0))
out["unix"] = pair(socket.AF_UNIX, "nf_unix.sock", client_bind="nf_client.sock")
tag = "nf_abstract_%d" % os.getpid()
out["abstract_name"] = tag
out["abs"] = pair(socket.AF_UNIX, "\0" + tag)
out["closed"] = [s.fileno() for s in held]
for s in held:
    s.close()
os.unlink("nf_unix.sock")
os.unlink("nf_client.sock")
json.dump(out, open(sys.argv[1], "w"))
