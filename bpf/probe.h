/* SPDX-License-Identifier: MIT */
/*
 * probe.h - what the BPF programs (bpf/asrecord.bpf.c) and their loader
 * (record/rec_bpf.c) agree on besides the record ABI of format/cap_record.h:
 * probe slots of the drop counters, filter modes, TLS attach cookies and the
 * control record that asks the loader to look for new TLS libraries.
 *
 * Include format/cap_record.h first; this header includes nothing.
 */
#ifndef AS_BPF_PROBE_H
#define AS_BPF_PROBE_H

/* Slots of the per-CPU counters map; the loader reports slot i under the
 * record type asr_probe_type[i] in CAP_REC_STATS entries. */
enum asr_probe {
	ASR_P_FORK,
	ASR_P_EXEC,
	ASR_P_EXIT,
	ASR_P_OPEN,
	ASR_P_WRITE,
	ASR_P_UNLINK,
	ASR_P_RENAME,
	ASR_P_MKDIR,
	ASR_P_CHMOD,
	ASR_P_TRUNCATE,
	ASR_P_CONNECT,
	ASR_P_ACCEPT,
	ASR_P_BIND,
	ASR_P_LISTEN,
	ASR_P_CLOSE,
	ASR_P_TLS,
	ASR_P_CTRL,
	ASR_P_OTHER_ABI, /* syscalls of the ia32 or x32 ABI: counted, not decoded */
	ASR_P_NR
};

/* TLS payload scratch slots per CPU (common.bpf.h: a preempted uprobe
 * keeps its slot; the next probe on that CPU takes another) */
#define ASR_TLS_SCRATCH_SLOTS 2

/* One slot of the counters map (per CPU). */
struct asr_counters {
	__u64 events;  /* records submitted */
	__u64 drops;   /* failed ring-buffer reservations */
	__u64 truncs;  /* records whose payload was cut (snaplen or limit) */
};

/* cfg_mode: which processes are traced */
enum asr_filter {
	ASR_F_PIDS = 0,   /* tgids in the targets map (-p, -- CMD, -c seeds) */
	ASR_F_ALL = 1,    /* everything but the recorder */
	ASR_F_COMM = 2,   /* targets map, plus any exec whose comm matches */
	ASR_F_CGROUP = 3, /* current cgroup id == cfg_cgroup, plus targets map */
};

/* cfg_probes bits */
#define ASR_PR_PROC 0x1
#define ASR_PR_FILE 0x2
#define ASR_PR_NET 0x4
#define ASR_PR_TLS 0x8

/* Limits of the kernel side (documented in asrecord(8)). */
#define ASR_PATH_MAX 4096     /* one path argument, with its NUL */
#define ASR_ARGV_MAX 16384    /* exec argv bytes kept (the rest: CAP_RF_TRUNC) */
#define ASR_CWD_DEPTH 48      /* path components of a cwd walked */
#define ASR_WRITE_SNAP_MAX 32768 /* largest file-write payload per record */

/* TLS attach cookie: func | dir | extended-API flag | target index << 16 */
enum asr_tls_func {
	ASR_TLS_SSL_WRITE = 1,
	ASR_TLS_SSL_READ = 2,
	ASR_TLS_SSL_WRITE_EX = 3,
	ASR_TLS_SSL_READ_EX = 4,
	ASR_TLS_GNUTLS_SEND = 5,
	ASR_TLS_GNUTLS_RECV = 6,
	ASR_TLS_PR_WRITE = 7,
	ASR_TLS_PR_READ = 8,
	ASR_TLS_PR_SEND = 9,
	ASR_TLS_PR_RECV = 10,
	/*
	 * aws-lc AEAD (rustls with aws-lc-rs, bpf/tls_aead.bpf.h): one record
	 * per TLS record, conn = the EVP_AEAD_CTX of one direction, ret =
	 * what the AAD says (ASR_AEAD_* below); seal copies at entry, open
	 * at return
	 */
	ASR_TLS_AEAD_SEAL = 16,
	ASR_TLS_AEAD_OPEN = 17,
	ASR_TLS_AEAD_SEAL_SCATTER = 18, /* rustls 0.23 TLS 1.2 GCM, later 1.3 too */
};
#define ASR_TLS_IS_AEAD(f) ((f) >= ASR_TLS_AEAD_SEAL && (f) <= ASR_TLS_AEAD_SEAL_SCATTER)
/* cap_tls.ret of an AEAD record: the AAD length and bytes 0, 1, 8, 9 of it
 * (TLS 1.3: 5 bytes, 23 3 3 ...; TLS 1.2: 13 bytes, seq, type, 3 3 ...) */
#define ASR_AEAD_ADLEN(r) ((unsigned)((r) & 0xffff))
#define ASR_AEAD_AD(r, i) ((unsigned)(((r) >> (16 + 8 * (i))) & 0xff)) /* i: 0 1 2 3 */
/* seal_scatter's extra input (TLS 1.3 out of place: the content type, then
 * padding): its length (at most 255) and first byte */
#define ASR_AEAD_EXTRA_LEN(r) ((unsigned)(((r) >> 48) & 0xff))
#define ASR_AEAD_EXTRA0(r) ((unsigned)(((r) >> 56) & 0xff))
#define ASR_CK_FUNC(c) ((c) & 0xff)
#define ASR_CK_READ 0x100 /* plaintext is received: copy after the call */
#define ASR_CK_EX 0x200   /* *_ex API: returns 1, byte count via 4th argument */
#define ASR_CK_TARGET(c) (((c) >> 16) & 0xffff)

/*
 * Control record: never written to the capture.  Emitted (with a forced
 * wake-up) when a traced process maps an executable file not seen before,
 * so the loader can look for TLS symbols in it and attach uprobes.
 */
#define ASR_REC_CTRL 0x7f01
struct asr_ctrl {
	__u64 ino;
	__u32 dev;
	__u32 kind; /* 1 exec, 2 mmap; | ASR_CTRL_STOPPED */
};

/*
 * The kernel side sent SIGSTOP to the process with this control record:
 * the loader attaches the probes the file needs, then sends SIGCONT, so
 * no TLS call of a freshly started program runs before its probes exist.
 */
#define ASR_CTRL_STOPPED 0x100

#endif
