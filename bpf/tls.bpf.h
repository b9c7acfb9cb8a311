/* SPDX-License-Identifier: MIT */
/*
 * tls.bpf.h - TLS plaintext through uprobes, and the control records that
 * let the loader find TLS libraries mapped after the capture started.
 *
 * One entry program serves every TLS function: all have the shape
 * f(conn, buf, len[, out_len]) and the attach cookie says which function
 * fired (probe.h).  The entry saves the arguments per thread; the return
 * program copies the plaintext that was really transferred (the return
 * value, or *out_len for the *_ex API), split into records of at most
 * CAP_REC_CHUNK_MAX bytes that share seq, up to cfg_tls_snap bytes.  A
 * record is reserved with the size its chunk needs.  Failed calls
 * (ret <= 0) leave no record.
 *
 * The socket fd is learned from the first read/write-family syscall the
 * thread makes while inside the call (OpenSSL keeps it in private state);
 * it stays -1 when the call was served from buffered data.
 */
#ifndef AS_BPF_TLS_BPF_H
#define AS_BPF_TLS_BPF_H

struct tls_args {
	__u64 conn;
	__u64 buf;
	__u64 len;
	__u64 outp;
	__u64 cookie;
	__u64 sp; /* stack pointer at entry: the return has sp + 8 */
	__s32 fd;
	__u32 pad;
};

/*
 * The call in flight on a thread (cookie 0: none; an attach cookie is
 * never 0, function ids start at 1 in probe.h).  Task local storage
 * rather than an LRU hash keyed by tid, as for sysargs (common.bpf.h): the
 * hash update at entry and delete at return cost more than the rest of
 * the two probes (measured: entry ~370 -> ~140 ns, return ~930 -> ~600).
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tls_args);
} tls_pending SEC(".maps");

/* ASR_TLS_SCRATCH_SLOTS per CPU, claimed as common.bpf.h says */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* ASR_TLS_SCRATCH_SLOTS x number of CPUs, set by the loader */
	__type(key, __u32);
	__type(value, struct scratch);
} tls_scratch SEC(".maps");

/* files already reported to the loader, keyed by (dev, inode) */
struct file_key {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct file_key);
	__type(value, __u32);
} seen_files SEC(".maps");

/*
 * Processes stopped by note_file and not yet continued (tgid -> 1).  The
 * loader deletes an entry when it sends SIGCONT; its guardian process
 * (record/rec_guard.h) continues whatever is left if the loader dies.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} stopped_pids SEC(".maps");

/*
 * The fd of the socket I/O made inside the current thread's pending TLS
 * call.  No system-wide "calls in flight" count guards the lookup: the
 * probes of one CPU wrote it while every socket syscall of the other read
 * it, and the cache line went back and forth.  The thread's own uprobe
 * state does: a call in flight has its return probe armed, so the
 * thread's count of pending return instances is not 0.  Most reads and
 * writes on the machine (every thread outside a probed call) then cost
 * two loads instead of a storage lookup (~25 ns less each on this VM).
 */
static __always_inline void tls_note_fd(__u64 fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct tls_args *a;

	/* (a kernel without uprobes has no utask, and no TLS call either) */
	if (!bpf_core_field_exists(t->utask) || !t->utask || !t->utask->depth)
		return;
	a = bpf_task_storage_get(&tls_pending, t, 0, 0);
	if (a && a->cookie && a->fd < 0)
		a->fd = (int)fd;
}

struct ctrl_rec {
	struct cap_rec_hdr h;
	struct asr_ctrl c;
};

#define ASR_SIGSTOP 19

/*
 * Tell the loader about an executable file it has not seen yet and, when
 * stop_unseen is set, stop the process until its probes are attached.
 */
static __always_inline void note_file(struct file *f, __u32 kind)
{
	struct file_key k = {};
	struct ctrl_rec *r;
	__u32 one = 1, tgid;
	__u64 id;

	if (!(cfg_probes & ASR_PR_TLS) || !f)
		return;
	k.ino = f->f_inode->i_ino; /* f is a BTF pointer: plain loads */
	k.dev = f->f_inode->i_sb->s_dev;
	if (bpf_map_lookup_elem(&seen_files, &k))
		return;
	bpf_map_update_elem(&seen_files, &k, &one, BPF_ANY);
	r = ring_reserve_noseq(sizeof(*r));
	if (!r) {
		/* forget it so that the next mapping asks again */
		bpf_map_delete_elem(&seen_files, &k);
		count(ASR_P_CTRL, 1, 0);
		return;
	}
	/* not a capture record: no seq, so no gap when it is not written */
	__builtin_memset(r, 0, sizeof(*r));
	id = bpf_get_current_pid_tgid();
	r->h.type = ASR_REC_CTRL;
	r->h.hdr_len = sizeof(r->h);
	r->h.pid = id >> 32;
	r->h.tid = (__u32)id;
	r->h.fixed_len = sizeof(r->c);
	r->c.ino = k.ino;
	r->c.dev = k.dev;
	r->c.kind = kind;
	/*
	 * Stop before the record is visible: the loader's SIGCONT then
	 * always comes after the SIGSTOP (a SIGCONT sent first would be
	 * cancelled by it and leave the process stopped for good).  The
	 * stopped_pids entry comes first, so that no stop goes unrecorded.
	 */
	tgid = id >> 32;
	if (stop_unseen && bpf_map_update_elem(&stopped_pids, &tgid, &one, BPF_ANY) == 0) {
		if (bpf_send_signal(ASR_SIGSTOP) == 0)
			r->c.kind |= ASR_CTRL_STOPPED;
		else
			bpf_map_delete_elem(&stopped_pids, &tgid);
	}
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	count(ASR_P_CTRL, 0, 0);
}

static __always_inline void note_exec_file(struct file *f)
{
	note_file(f, 1);
}

static __always_inline void note_mmap(__u64 fd, long ret)
{
	if (ret < 0 && ret > -4096)
		return;
	note_file(fd_file((int)fd), 2);
}

/* nspr/prio.h: PRDescType of a pushed I/O layer (NSS's SSL layer is one) */
#define ASR_PR_DESC_LAYERED 4

/*
 * NSPR's PR_Write, PR_Read, PR_Send and PR_Recv serve every PRFileDesc:
 * files, pipes and plain sockets as well as TLS.  NSS does TLS as an I/O
 * layer that SSL_ImportFD pushes on top of the socket's stack, and a
 * program calls PR_* on the top of that stack, so keep a call only when
 * its PRFileDesc is a layer.  prio.h's public ABI: PRFileDesc starts with
 * its methods table pointer, PRIOMethods with the PRDescType; plain NSPR
 * files and sockets are PR_DESC_FILE, _SOCKET_TCP, _SOCKET_UDP or _PIPE.
 */
static __always_inline int pr_fd_layered(const void *fd)
{
	__u64 methods = 0;
	__s32 type = 0;

	if (bpf_probe_read_user(&methods, sizeof(methods), fd) || !methods ||
	    bpf_probe_read_user(&type, sizeof(type), (const void *)methods))
		return 0;
	return type == ASR_PR_DESC_LAYERED;
}

SEC("uprobe")
int BPF_KPROBE(asr_tls_enter, void *conn, void *buf, __u64 len, void *outp)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct tls_args *a;
	__u32 func;
	__u64 ck;

	/* the probes fire in every process that maps the library: the
	 * filter first */
	if (!traced_task(task))
		return 0;
	ck = bpf_get_attach_cookie(ctx);
	func = ASR_CK_FUNC(ck);
	if (func >= ASR_TLS_PR_WRITE && func <= ASR_TLS_PR_RECV && !pr_fd_layered(conn))
		return 0;
	a = bpf_task_storage_get(&tls_pending, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a)
		return 0;
	a->conn = (__u64)conn;
	a->buf = (__u64)buf;
	a->len = len;
	a->outp = (__u64)outp;
	a->cookie = ck;
	a->sp = PT_REGS_SP(ctx);
	a->fd = -1;
	return 0;
}

struct tls_ctx {
	struct cap_rec_hdr h;
	struct cap_tls t;
	__u64 buf;
	__u64 total; /* bytes to copy (<= cfg_tls_snap) */
	__u64 orig;  /* bytes the call transferred */
	__u32 slot;  /* index of the claimed tls_scratch slot */
	__u32 pad;
};

#define TLS_DATA (sizeof(struct cap_rec_hdr) + sizeof(struct cap_tls))

static long tls_chunk(__u32 i, void *data)
{
	struct tls_ctx *c = data;
	struct scratch *s;
	struct cap_rec_hdr *h;
	__u64 off = (__u64)i * CAP_REC_CHUNK_MAX, n;
	int last;

	if (i && off >= c->total)
		return 1;
	n = c->total - off;
	if (n > CAP_REC_CHUNK_MAX)
		n = CAP_REC_CHUNK_MAX;
	last = off + n >= c->total;
	s = bpf_map_lookup_elem(&tls_scratch, &c->slot);
	if (!s)
		return 1;
	h = (void *)s->b;
	__builtin_memcpy(h, &c->h, sizeof(*h));
	__builtin_memcpy(s->b + sizeof(*h), &c->t, sizeof(c->t));
	h->cap_len = n;
	h->data_off = off;
	h->flags = last ? (c->total < c->orig ? CAP_RF_TRUNC : 0) : CAP_RF_MORE;
	n = BOUND(n, 0xffff);
	if (n && bpf_probe_read_user(s->b + TLS_DATA, n, (void *)(c->buf + off))) {
		/* never ship stale scratch bytes: an empty, truncated chunk */
		n = 0;
		h->cap_len = 0;
		h->flags |= CAP_RF_TRUNC;
	}
	if (ring_output(s->b, TLS_DATA + BOUND(n, 0xffff))) {
		count(ASR_P_TLS, 1, 0);
		return 1; /* the rest would not fit either: one drop per call */
	}
	count(ASR_P_TLS, 0, last && c->total < c->orig);
	return 0;
}

/*
 * Emit the record of @c (header filled, total and orig set) in chunks,
 * built in a tls_scratch slot of this CPU claimed for the time it takes;
 * with every slot busy (the probes that hold them were preempted), a drop.
 */
static __always_inline void tls_emit(struct tls_ctx *c)
{
	__u32 cpu = bpf_get_smp_processor_id(), k, chunks;

	for (k = 0; k < ASR_TLS_SCRATCH_SLOTS; k++)
		if (scratch_claim(1 + k))
			break;
	if (k == ASR_TLS_SCRATCH_SLOTS) {
		count(ASR_P_TLS, 1, 0); /* its seq, taken by hdr_fill, is a gap */
		return;
	}
	c->slot = cpu * ASR_TLS_SCRATCH_SLOTS + k;
	chunks = (c->total + CAP_REC_CHUNK_MAX - 1) / CAP_REC_CHUNK_MAX;
	/* one chunk (-s 0: a record without payload) needs no loop */
	if (chunks <= 1)
		tls_chunk(0, c);
	else
		bpf_loop(chunks, tls_chunk, c, 0);
	scratch_release(1 + k);
}

SEC("uretprobe")
int BPF_KRETPROBE(asr_tls_ret, long rax)
{
	struct tls_args *p = bpf_task_storage_get(&tls_pending, bpf_get_current_task_btf(), 0, 0);
	struct tls_ctx c = {};
	__u32 func;
	__u64 n = 0;
	long ret;

	if (!p || !p->cookie)
		return 0;
	/*
	 * The return of a hooked call made inside the pending one (a PR_Write
	 * to a log file that the layer check above let pass without an entry,
	 * say) is not the pending call's: its stack is deeper.
	 */
	if (PT_REGS_SP(ctx) != p->sp + 8)
		return 0;
	c.buf = p->buf;
	c.t.conn = p->conn;
	c.t.fd = p->fd;
	func = ASR_CK_FUNC(p->cookie);
	c.t.func = func;
	c.t.target = ASR_CK_TARGET(p->cookie);
	c.t.dir = p->cookie & ASR_CK_READ ? CAP_TLS_READ : CAP_TLS_WRITE;
	/* gnutls returns ssize_t; OpenSSL and NSPR an int (upper half undefined) */
	ret = func == ASR_TLS_GNUTLS_SEND || func == ASR_TLS_GNUTLS_RECV ? rax : (int)rax;
	c.t.ret = ret;
	if (p->cookie & ASR_CK_EX) {
		if (ret == 1 && p->outp)
			bpf_probe_read_user(&n, sizeof(n), (void *)p->outp);
	} else if (ret > 0) {
		n = ret;
	}
	p->cookie = 0;
	if (!n)
		return 0;
	c.orig = n;
	c.total = n < cfg_tls_snap ? n : cfg_tls_snap;
	hdr_fill(&c.h, CAP_REC_TLS, sizeof(c.t));
	c.h.orig_len = n;
	tls_emit(&c);
	return 0;
}

#endif
