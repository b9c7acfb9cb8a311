/* SPDX-License-Identifier: MIT */
/*
 * cap_record.h - the raw record ABI shared by bpf/ (kernel side), record/
 * (the recorder) and every reader.  This header includes nothing and uses
 * no kernel types, so it compiles both under clang -target bpf and in
 * userspace.  Every multi-byte field is little-endian on disk.
 *
 * A record is laid out as
 *
 *   struct cap_rec_hdr   (hdr_len bytes; fields are only ever appended)
 *   fixed body           (fixed_len bytes; the per-type struct below,
 *                         fields only ever appended)
 *   data                 (cap_len bytes; variable tail: payload, path, argv)
 *
 * and is stored as the custom data of one pcapng Custom Block (see
 * man/ascap.5).  A reader must check hdr_len >= CAP_REC_HDR_MIN,
 * hdr_len + fixed_len + cap_len <= the bytes available, and must read a
 * fixed struct only up to min(fixed_len, sizeof(struct)) - zero-filling the
 * rest - so that old readers read new files and new readers read old files.
 *
 * Payloads larger than CAP_REC_CHUNK_MAX are split into continuation
 * records that share seq; data_off gives the chunk's offset inside the
 * original payload, CAP_RF_MORE is set on every chunk but the last.
 * orig_len is the length of the whole original payload; when the sum of all
 * chunks' cap_len is smaller than orig_len the payload was truncated
 * (snaplen) and CAP_RF_TRUNC is set on the last chunk.
 */
#ifndef AS_FORMAT_CAP_RECORD_H
#define AS_FORMAT_CAP_RECORD_H

#ifndef __ASIGHT_KERNEL_TYPES
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed int __s32;
typedef signed long long __s64;
#endif

/* Private enterprise number written in every Custom Block (not registered
 * with IANA; "asig" in ASCII). */
#define CAP_PEN 0x61736967u
#define CAP_FORMAT_VERSION 1
/* Largest data part of one record; larger payloads are chunked.  60 KiB
 * lets two chunks share a frame that still fits one 128 KiB read buffer of
 * Wireshark when the data does not compress (see ascap(5)). */
#define CAP_REC_CHUNK_MAX (60u * 1024u)

enum cap_rec_type {
	/* kernel-side probes: process */
	CAP_REC_FORK = 1,     /* struct cap_fork, no data */
	CAP_REC_EXEC = 2,     /* struct cap_exec, data: filename\0 argv0\0 argv1\0 ... */
	CAP_REC_EXIT = 3,     /* struct cap_exit, no data */
	/* file syscalls */
	CAP_REC_OPEN = 10,    /* struct cap_file, data: path */
	CAP_REC_WRITE = 11,   /* struct cap_file, data: optional payload (snaplen) */
	CAP_REC_UNLINK = 12,  /* struct cap_file, data: path */
	CAP_REC_RENAME = 13,  /* struct cap_file, data: oldpath\0 newpath */
	CAP_REC_MKDIR = 14,   /* struct cap_file, data: path */
	CAP_REC_CHMOD = 15,   /* struct cap_file, data: path (empty for fchmod) */
	CAP_REC_TRUNCATE = 16,/* struct cap_file, data: path (empty for ftruncate) */
	CAP_REC_READ = 17,    /* struct cap_file, no data */
	/* network syscalls */
	CAP_REC_CONNECT = 20, /* struct cap_net */
	CAP_REC_ACCEPT = 21,  /* struct cap_net */
	CAP_REC_BIND = 22,    /* struct cap_net */
	CAP_REC_LISTEN = 23,  /* struct cap_net */
	CAP_REC_CLOSE = 24,   /* struct cap_file (fd only), no data */
	/* TLS plaintext */
	CAP_REC_TLS = 30,     /* struct cap_tls, data: plaintext */
	CAP_REC_TLS_EVENT = 31, /* struct cap_tls, data: e.g. SNI on handshake */

	/* written by userspace (the recorder), never by BPF */
	CAP_REC_META = 0x8001,   /* no fixed part; data: "key=value\0" pairs */
	CAP_REC_PROC = 0x8002,   /* struct cap_proc snapshot; data: exe\0 cwd\0 cgroup\0 argv0\0 ... */
	CAP_REC_TARGET = 0x8003, /* TLS target; data: "key=value\0" pairs */
	CAP_REC_STATS = 0x8004,  /* struct cap_stats + n * struct cap_stat_entry */
	CAP_REC_CHAIN = 0x8005,  /* struct cap_chain: last block of every frame */
	CAP_REC_FOOTER = 0x8006, /* struct cap_footer: first block of the last frame */
	CAP_REC_INDEX = 0x8007,  /* n * struct cap_index_entry; in the last frame */
	CAP_REC_LOSS = 0x8008,   /* struct cap_loss: userspace-observed loss */
	/* never stored: how a reader hands out an Enhanced Packet Block when
	 * asked to (cap_reader_opts.packets); data: the LINUX_SLL2 frame */
	CAP_REC_PACKET = 0x8009,
	/* one open fd of a process in a /proc snapshot (after its CAP_REC_PROC) */
	CAP_REC_FD = 0x800a,     /* struct cap_fd; data: link target\0 unix socket path */
};

/* record flags */
#define CAP_RF_MORE 0x0001  /* another chunk with the same seq follows */
#define CAP_RF_TRUNC 0x0002 /* payload truncated (snaplen or probe limit) */
#define CAP_RF_ERR 0x0004   /* the syscall/call failed; see ret */

/*
 * A record's seq is its CPU's count: the CPU in the bits from
 * CAP_SEQ_CPU_SHIFT up, that CPU's records numbered from 1 below, so
 * recorders on many CPUs share no counter.  Each CPU's numbers are one
 * sequence whose holes are lost records.  (Captures made before asrecord
 * counted per CPU have one global sequence: CPU bits 0.)
 */
#define CAP_SEQ_CPU_SHIFT 48
#define CAP_SEQ_CPU(seq) ((seq) >> CAP_SEQ_CPU_SHIFT)

struct cap_rec_hdr {
	__u16 type;           /* enum cap_rec_type */
	__u16 hdr_len;        /* sizeof this header as written */
	__u32 cpu;            /* CPU the probe ran on */
	__u64 ts_ns;          /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 seq;            /* sequence; gaps mean lost records (CAP_SEQ_CPU) */
	__u32 pid;            /* tgid */
	__u32 tid;            /* thread id */
	__u64 task_start_ns;  /* start_time of the thread group leader */
	__u32 orig_len;       /* length of the whole original payload */
	__u32 cap_len;        /* data bytes in this record */
	__u16 fixed_len;      /* bytes of the per-type fixed body */
	__u16 flags;          /* CAP_RF_* */
	__u32 data_off;       /* offset of this chunk in the original payload */
};
#define CAP_REC_HDR_MIN 56

/* CAP_REC_FORK */
struct cap_fork {
	__u32 parent_pid;     /* tgid of the parent */
	__u32 parent_tid;
	__u64 parent_start_ns;
	__u32 child_pid;      /* tgid of the child */
	__u32 child_tid;
	__u64 child_start_ns; /* start_time of the child's group leader */
	__u32 clone_flags_lo; /* low 32 bits of clone flags when known */
	__u32 is_thread;      /* 1 when the child shares the parent's tgid */
};

/* CAP_REC_EXEC; data: filename\0argv...; orig_len is the argv size before truncation */
struct cap_exec {
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 argc;           /* number of argv strings in the data */
	__u32 old_pid;        /* pid before exec (differs for a non-leader thread exec) */
	__u32 cwd_len;        /* bytes of cwd at the end of data (after argv) */
	char comm[16];
};

/* CAP_REC_EXIT */
struct cap_exit {
	__s32 exit_code;      /* raw wait status: code << 8 | signal */
	__u32 is_thread;      /* 1 when a thread exits but the group lives on */
	char comm[16];
};

/* file records; the path is as the process passed it */
struct cap_file {
	__s64 ret;            /* syscall return value (fd, bytes, or -errno) */
	__s32 fd;             /* fd argument or -1; for openat: the dirfd */
	__u32 flags;          /* open flags / rename flags / unlink flags */
	__u32 mode;           /* creation or chmod mode */
	__u32 syscall_nr;     /* the syscall number that produced the record */
	__u64 count;          /* bytes requested (write/read/truncate length) */
	/* appended by asrecord 0.1 */
	__s32 fd2;            /* rename: the new path's dirfd (-100 AT_FDCWD); a write by
	                         sendfile/splice/copy_file_range: the source fd; else -100 */
	__u32 pad;
	/* appended later (older records stop at pad): the file itself, so
	 * that a write through an fd the process did not open (a shell's
	 * redirection, dup2, one inherited at fork) still finds the open that
	 * named it; 0 unknown */
	__u64 ino;            /* open (ret >= 0), write, close: the inode number */
	__u32 dev;            /* and its device, the kernel's dev_t (major << 20 | minor) */
	__u32 pad2;
};

/* network records */
struct cap_net {
	__s64 ret;
	__s32 fd;
	__u16 family;         /* AF_INET, AF_INET6, AF_UNIX */
	__u16 port;           /* host byte order */
	__u8 addr[16];        /* IPv4 in the first 4 bytes, or IPv6 */
	__u32 backlog;        /* listen(2) backlog */
	__u32 syscall_nr;
	char path[108];       /* AF_UNIX path (abstract: leading '@') */
};

/* CAP_REC_TLS direction */
#define CAP_TLS_WRITE 0  /* plaintext sent (SSL_write) */
#define CAP_TLS_READ 1   /* plaintext received (SSL_read) */

struct cap_tls {
	__u64 conn;           /* SSL* / session pointer: connection identity */
	__s32 fd;             /* socket fd when known, else -1 */
	__u16 dir;            /* CAP_TLS_WRITE or CAP_TLS_READ */
	__u16 target;         /* index of the CAP_REC_TARGET that fired */
	__s64 ret;            /* return value of the library call */
	__u32 func;           /* which function fired (see ascap(5)) */
	__u32 pad;
};

/* CAP_REC_PROC snapshot of one /proc entry */
struct cap_proc {
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 argc;
	__u32 exe_len;        /* lengths of the strings that follow, with NUL */
	__u32 cwd_len;
	__u32 cgroup_len;
	__u32 nthreads;
	char comm[16];
};

/*
 * CAP_REC_FD: an fd open when the snapshot was taken (/proc/PID/fd), so
 * that writes, TLS and closes through descriptors opened before the
 * capture began still find their file or their peer.  The link target
 * (data) is a path, "socket:[ino]", "pipe:[ino]", "anon_inode:[...]"...
 */
struct cap_fd {
	__s32 fd;
	__u32 mode;           /* st_mode of the file the fd refers to */
	__u64 ino;            /* its inode number and device, as in cap_file */
	__u32 dev;            /* the kernel's dev_t (major << 20 | minor) */
	__u32 flags;          /* open flags (fdinfo "flags") */
	__u64 pos;            /* file offset (fdinfo "pos") */
	/* a socket found in the process's /proc/PID/net/{tcp,tcp6,udp,udp6,unix}
	 * (family 0: not found there, e.g. netlink or a packet socket) */
	__u16 family;         /* AF_INET, AF_INET6, AF_UNIX */
	__u16 proto;          /* IPPROTO_TCP or IPPROTO_UDP; 0 for AF_UNIX */
	__u16 lport;          /* host byte order */
	__u16 rport;          /* 0: not connected */
	__u8 laddr[16];       /* IPv4 in the first 4 bytes, or IPv6 */
	__u8 raddr[16];
	__u32 state;          /* TCP state (1 established, 10 listen, as in /proc/net/tcp) */
	__u32 left_out;       /* first record of a process with too many fds: fds not listed */
};

/* CAP_REC_STATS: totals, then nentries * struct cap_stat_entry */
struct cap_stats {
	__u64 records;        /* records written so far in this file */
	__u64 bytes;          /* uncompressed bytes written */
	__u64 drops;          /* total lost records (all causes) */
	__u64 truncs;         /* payloads truncated */
	__u64 write_errors;   /* userspace write failures */
	__u32 nentries;
	__u32 pad;
	/* appended for packet capture (asrecord -i); all zero without it */
	__u64 packets;        /* Enhanced Packet Blocks written to this file */
	__u64 pkt_recv;       /* packets the capture filter accepted (pcap ps_recv) */
	__u64 pkt_drops;      /* dropped by the kernel's buffer (pcap ps_drop) */
	__u64 pkt_ifdrops;    /* dropped by the interface (pcap ps_ifdrop) */
	__u64 pkt_qdrops;     /* dropped by the recorder: its queue was full */
	__u64 pkt_truncs;     /* packets cut by the snaplen */
};
struct cap_stat_entry {
	__u32 probe;          /* probe id (ascap(5)); 0xffffffff = all */
	__u32 cpu;            /* 0xffffffff = all CPUs */
	__u64 events;         /* events seen */
	__u64 drops;          /* failed ring-buffer reservations */
	__u64 truncs;         /* payloads cut by snaplen */
};

/* CAP_REC_CHAIN: last block of every frame */
struct cap_chain {
	__u64 frame_no;       /* 0-based frame number in this file */
	__u64 records;        /* records in this frame (chain excluded) */
	__u8 hash[32];        /* SHA-256(previous hash || frame bytes before this block) */
};

/* CAP_REC_FOOTER: in the last frame of a cleanly closed file */
struct cap_footer {
	__u64 frames;         /* data frames before the last frame */
	__u64 records;        /* records in the file (chain/footer/index excluded) */
	__u64 drops;
	__u64 truncs;
	__u64 first_ts_ns;
	__u64 last_ts_ns;
	__u8 final_hash[32];  /* hash of the last chain block before the footer */
	__u64 index_frame;    /* frame number holding the first CAP_REC_INDEX chunk */
	__u64 data_frames;    /* frames before index_frame (the data frames) */
};

/* CAP_REC_INDEX entries, one per data frame */
struct cap_index_entry {
	__u64 comp_off;       /* offset of the zstd frame in the file */
	__u64 min_ts_ns;
	__u64 max_ts_ns;
	__u32 comp_len;
	__u32 records;
};

/*
 * Probe id of a STATS entry (never a record type): the syscalls of traced
 * processes made through the ia32 (int 0x80, sysenter, 32-bit programs) or
 * x32 ABI, whose numbers and registers are not x86_64's; events counts them,
 * the recorder decodes none of them.
 */
#define CAP_STAT_OTHER_ABI 0x7f02

/* CAP_REC_LOSS: records known lost (e.g. ring overflow seen in userspace) */
struct cap_loss {
	__u64 lost;
	__u32 probe;
	__u32 cause;          /* 1 ring reserve, 2 write error, 3 queue full */
};

#ifndef __bpf__
_Static_assert(sizeof(struct cap_rec_hdr) == CAP_REC_HDR_MIN, "record header ABI");
_Static_assert(sizeof(struct cap_fork) == 40, "cap_fork ABI");
_Static_assert(sizeof(struct cap_tls) == 32, "cap_tls ABI");
_Static_assert(sizeof(struct cap_chain) == 48, "cap_chain ABI");
_Static_assert(sizeof(struct cap_fd) == 80, "cap_fd ABI");
#endif

#endif
