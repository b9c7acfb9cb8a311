/* SPDX-License-Identifier: MIT */
/*
 * tls_aead.bpf.h - TLS plaintext at aws-lc's AEAD calls, for rustls with
 * the aws-lc-rs provider (codex), whose TLS layer has no SSL_write/SSL_read
 * (record/rec_disc_awslc.c finds the two functions).
 *
 * Every TLS record is one call:
 *   EVP_AEAD_CTX_seal(ctx, out, out_len*, max_out, nonce, nonce_len,
 *                     in, in_len, ad, ad_len)   plaintext is `in`, read at
 *                     entry (aws-lc-rs seals in place: out == in)
 *   EVP_AEAD_CTX_open(ctx, out, out_len*, max_out, nonce, nonce_len,
 *                     in, in_len, ad, ad_len)   plaintext is `out`, *out_len
 *                     bytes, read at return when it returned 1
 *   EVP_AEAD_CTX_seal_scatter(...)             the same for the seal rustls
 *                     0.23 uses for TLS 1.2 GCM (and later ones for 1.3)
 * Arguments past the 6th are on the stack (sp+8, sp+16, ... at entry).  One
 * CAP_REC_TLS per call, cut into chunks like tls.bpf.h (tls_chunk): conn
 * is the context, which belongs to one direction of one connection (and
 * one key: TLS 1.3 handshake and application keys are different contexts);
 * ret carries the AAD's length and bytes 0, 1, 8, 9 (probe.h ASR_AEAD_*)
 * so the analyzer can tell TLS 1.3 (5-byte record header AAD; the
 * plaintext ends with the inner content type and padding) from TLS 1.2
 * (13 bytes, the type is byte 8) from other uses of the AEAD.
 *
 * The socket: rustls does no I/O itself; tokio-rustls reads the socket
 * and then decrypts, and encrypts and then writes it, on the same thread
 * in the same poll.  So an open takes the fd of the thread's last
 * read-family syscall on a socket, and the first write-family syscall on
 * a socket after a seal binds that seal's context to its fd: remembered
 * per (tgid, context) for the next seals, and told to the analyzer at
 * once with a CAP_REC_TLS without payload (orig_len 0), since the seal
 * that started the connection was recorded before its fd was known.
 *
 * A binding holds only while its fd still names the same socket (inode
 * kept with it, checked at use): codex opens a connection per call and
 * frees its contexts, and the allocator hands a freed context's address to
 * the next connection, read or write side.  Without the check the new
 * connection's first seals (its request) carried the closed socket's fd.
 */
#ifndef AS_BPF_TLS_AEAD_BPF_H
#define AS_BPF_TLS_AEAD_BPF_H

/* per thread: the state the probes and the syscall hook share */
struct aead_thr {
	__u64 seal_ctx;    /* last sealed context not yet seen written */
	__u64 open_ctx;    /* open in flight: its context, 0 when none */
	__u64 open_out;
	__u64 open_outlen;
	__s64 open_ad;
	__u32 cookie;      /* attach cookie of the open in flight */
	__u32 seal_cookie;
	__s32 rd_fd;       /* socket of the last read-family syscall, -1 */
	__u32 pad;
	__u64 rd_ino;      /* its inode */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct aead_thr);
} aead_thr SEC(".maps");

struct aead_key {
	__u64 ctx;
	__u32 tgid;
	__u32 pad;
};

struct aead_sock {
	__s32 fd;
	__u32 pad;
	__u64 ino;
};

/* (tgid, context) -> socket fd and inode */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct aead_key);
	__type(value, struct aead_sock);
} aead_fd SEC(".maps");

/* set once an AEAD probe fired: until then the syscall hook does nothing */
__u32 aead_on = 0;

static __always_inline struct aead_thr *aead_thr_get(__u32 tid)
{
	struct aead_thr *t = bpf_map_lookup_elem(&aead_thr, &tid), z = {};

	if (t)
		return t;
	z.rd_fd = -1;
	bpf_map_update_elem(&aead_thr, &tid, &z, BPF_NOEXIST);
	return bpf_map_lookup_elem(&aead_thr, &tid);
}

/* AAD length and bytes 0, 1, 8, 9 (see ASR_AEAD_* in probe.h) */
static __always_inline __s64 aead_ad(__u64 ad, __u64 len)
{
	__u8 b[10] = {};

	if (len >= 10)
		bpf_probe_read_user(b, 10, (void *)ad);
	else if (len >= 2)
		bpf_probe_read_user(b, 2, (void *)ad);
	return (__s64)((len > 0xffff ? 0xffff : len) | (__u64)b[0] << 16 | (__u64)b[1] << 24 |
		       (__u64)b[8] << 32 | (__u64)b[9] << 40);
}

static __always_inline __u64 aead_ino(struct file *f)
{
	return f ? f->f_inode->i_ino : 0; /* f is a BTF pointer: plain loads */
}

/* The socket fd bound to @actx, -1 when none or when that fd no longer
 * names the socket it was bound to (the binding of a freed context). */
static __always_inline __s32 aead_fd_of(__u64 actx)
{
	struct aead_key k = { .ctx = actx, .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct aead_sock *b = bpf_map_lookup_elem(&aead_fd, &k);

	if (!b || aead_ino(fd_file(b->fd)) != b->ino)
		return -1;
	return b->fd;
}

static __always_inline void aead_emit(__u64 actx, __u64 buf, __u64 n, __s32 fd, __u32 cookie,
				      __s64 ad, __u16 dir)
{
	struct tls_ctx c = {};

	c.buf = buf;
	c.t.conn = actx;
	c.t.fd = fd;
	c.t.func = ASR_CK_FUNC(cookie);
	c.t.target = ASR_CK_TARGET(cookie);
	c.t.dir = dir;
	c.t.ret = ad;
	c.orig = n;
	c.total = n < cfg_tls_snap ? n : cfg_tls_snap;
	hdr_fill(&c.h, CAP_REC_TLS, sizeof(c.t));
	c.h.orig_len = n;
	tls_emit(&c);
}

/*
 * Both seals: EVP_AEAD_CTX_seal (stack: in, in_len, ad, ad_len) and
 * EVP_AEAD_CTX_seal_scatter(ctx, out, out_tag, out_tag_len*, max_tag,
 * nonce, nonce_len, in, in_len, extra_in, extra_in_len, ad, ad_len), whose
 * extra input (TLS 1.3 sealed out of place: the content type) goes into
 * the top 16 bits of ret (probe.h ASR_AEAD_EXTRA_*).
 */
SEC("uprobe")
int BPF_KPROBE(asr_aead_seal, void *actx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 a[7] = {}; /* seal: in, in_len, ad, ad_len; scatter: nonce_len, in, ... */
	__u32 cookie = (__u32)bpf_get_attach_cookie(ctx);
	__u64 in, n, ad, adlen, xlen = 0;
	__u8 x0 = 0;
	struct aead_thr *t;
	__s64 r;

	if (!traced_current())
		return 0;
	if (bpf_probe_read_user(a, sizeof(a), (void *)(PT_REGS_SP(ctx) + 8)))
		return 0;
	if (ASR_CK_FUNC(cookie) == ASR_TLS_AEAD_SEAL_SCATTER) {
		in = a[1], n = a[2], ad = a[5], adlen = a[6];
		xlen = a[4] > 0xff ? 0xff : a[4];
		if (xlen)
			bpf_probe_read_user(&x0, 1, (void *)a[3]);
	} else {
		in = a[0], n = a[1], ad = a[2], adlen = a[3];
	}
	if (!n)
		return 0;
	if (!aead_on)
		aead_on = 1;
	r = aead_ad(ad, adlen) | (__s64)(xlen << 48) | (__s64)((__u64)x0 << 56);
	aead_emit((__u64)actx, in, n, aead_fd_of((__u64)actx), cookie, r, CAP_TLS_WRITE);
	t = aead_thr_get(tid);
	if (t) {
		t->seal_ctx = (__u64)actx;
		t->seal_cookie = cookie;
	}
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(asr_aead_open, void *actx, void *out, void *out_len)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 a[4] = {};
	struct aead_thr *t;

	if (!traced_current())
		return 0;
	if (!aead_on)
		aead_on = 1;
	t = aead_thr_get(tid);
	if (!t)
		return 0;
	bpf_probe_read_user(a, sizeof(a), (void *)(PT_REGS_SP(ctx) + 8));
	t->open_ctx = (__u64)actx;
	t->open_out = (__u64)out;
	t->open_outlen = (__u64)out_len;
	t->open_ad = aead_ad(a[2], a[3]);
	t->cookie = (__u32)bpf_get_attach_cookie(ctx);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(asr_aead_open_ret, long rax)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct aead_thr *t = bpf_map_lookup_elem(&aead_thr, &tid);
	struct aead_key k = {};
	struct aead_sock b = {};
	__u64 actx, n = 0;
	__s32 fd;

	if (!t || !t->open_ctx)
		return 0;
	actx = t->open_ctx;
	t->open_ctx = 0;
	if ((int)rax != 1 || bpf_probe_read_user(&n, sizeof(n), (void *)t->open_outlen) || !n)
		return 0;
	fd = t->rd_fd;
	if (fd >= 0) {
		k.ctx = actx;
		k.tgid = bpf_get_current_pid_tgid() >> 32;
		b.fd = fd;
		b.ino = t->rd_ino;
		bpf_map_update_elem(&aead_fd, &k, &b, BPF_ANY);
	} else {
		fd = aead_fd_of(actx);
	}
	aead_emit(actx, t->open_out, n, fd, t->cookie, t->open_ad, CAP_TLS_READ);
	return 0;
}

struct aead_bind {
	struct cap_rec_hdr h;
	struct cap_tls t;
};

/* A seal's context was written to socket @fd (inode @ino): remember it
 * and say so (also when only the inode changed: the seals before said
 * no fd, aead_fd_of having found the binding stale). */
static __always_inline void aead_bind(struct aead_thr *t, __s32 fd, __u64 ino)
{
	struct aead_key k = { .ctx = t->seal_ctx, .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct aead_sock *old = bpf_map_lookup_elem(&aead_fd, &k), b = { .fd = fd, .ino = ino };
	struct aead_bind r = {};

	t->seal_ctx = 0;
	if (old && old->fd == fd && old->ino == ino)
		return;
	bpf_map_update_elem(&aead_fd, &k, &b, BPF_ANY);
	hdr_fill(&r.h, CAP_REC_TLS, sizeof(r.t));
	r.t.conn = k.ctx;
	r.t.fd = fd;
	r.t.dir = CAP_TLS_WRITE;
	r.t.func = ASR_CK_FUNC(t->seal_cookie);
	r.t.target = ASR_CK_TARGET(t->seal_cookie);
	emit(&r, sizeof(r), ASR_P_TLS, 0);
}

/*
 * Called by sys_enter for the socket I/O syscalls (read, write, readv,
 * writev, sendto, recvfrom, sendmsg, recvmsg): x86_64 numbers of the reads
 * are 0, 19, 45 and 47.
 */
static __always_inline void aead_note_sys(long nr, __u64 fd)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	int rd = nr == 0 || nr == 19 || nr == 45 || nr == 47;
	struct aead_thr *t;
	struct file *f;

	if (!aead_on)
		return;
	t = bpf_map_lookup_elem(&aead_thr, &tid);
	if (!t && (!rd || !traced_current()))
		return;
	if (t && !rd && !t->seal_ctx)
		return;
	f = fd_file((int)fd);
	if ((file_mode(f) & S_IFMT) != S_IFSOCK)
		return;
	if (!t)
		t = aead_thr_get(tid);
	if (!t)
		return;
	if (rd) {
		t->rd_fd = (int)fd;
		t->rd_ino = aead_ino(f);
	} else {
		aead_bind(t, (int)fd, aead_ino(f));
	}
}

#endif
