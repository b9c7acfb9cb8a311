/* SPDX-License-Identifier: MIT */
/*
 * sys.bpf.h - file and network syscalls through one tp_btf/sys_exit hook
 * that switches on the syscall number (measured on this VM: ~180 ns per
 * recorded event against ~525 ns through per-syscall tracepoints).
 * sys_exit builds the record from the registers the syscall was called
 * with and its result; close alone has an entry probe, which keeps the
 * file type (see close_enter).  User memory
 * (paths, sockaddrs, payloads) is read at exit: the kernel has just copied
 * it, so the pages are resident and bpf_probe_read_user does not fail on a
 * page that was never touched.
 */
#ifndef AS_BPF_SYS_BPF_H
#define AS_BPF_SYS_BPF_H

#if !defined(__TARGET_ARCH_x86)
#error "syscall numbers below are x86_64 only"
#endif

/* x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl) */
#define NR_read 0
#define NR_write 1
#define NR_open 2
#define NR_close 3
#define NR_mmap 9
#define NR_pwrite64 18
#define NR_readv 19
#define NR_writev 20
#define NR_sendfile 40
#define NR_connect 42
#define NR_accept 43
#define NR_sendto 44
#define NR_recvfrom 45
#define NR_sendmsg 46
#define NR_recvmsg 47
#define NR_bind 49
#define NR_listen 50
#define NR_truncate 76
#define NR_ftruncate 77
#define NR_rename 82
#define NR_mkdir 83
#define NR_rmdir 84
#define NR_creat 85
#define NR_unlink 87
#define NR_chmod 90
#define NR_fchmod 91
#define NR_openat 257
#define NR_mkdirat 258
#define NR_unlinkat 263
#define NR_renameat 264
#define NR_fchmodat 268
#define NR_accept4 288
#define NR_pwritev 296
#define NR_splice 275
#define NR_renameat2 316
#define NR_copy_file_range 326
#define NR_pwritev2 328
#define NR_openat2 437
#define NR_fchmodat2 452

/* probe slot for a syscall number, or -1 when it is not recorded */
static __always_inline int sys_probe(long nr)
{
	switch (nr) {
	case NR_open: case NR_openat: case NR_openat2: case NR_creat:
		return cfg_probes & ASR_PR_FILE ? ASR_P_OPEN : -1;
	case NR_write: case NR_pwrite64: case NR_writev: case NR_pwritev: case NR_pwritev2:
	case NR_sendfile: case NR_splice: case NR_copy_file_range:
		return cfg_probes & ASR_PR_FILE ? ASR_P_WRITE : -1;
	case NR_unlink: case NR_unlinkat: case NR_rmdir:
		return cfg_probes & ASR_PR_FILE ? ASR_P_UNLINK : -1;
	case NR_rename: case NR_renameat: case NR_renameat2:
		return cfg_probes & ASR_PR_FILE ? ASR_P_RENAME : -1;
	case NR_mkdir: case NR_mkdirat:
		return cfg_probes & ASR_PR_FILE ? ASR_P_MKDIR : -1;
	case NR_chmod: case NR_fchmod: case NR_fchmodat: case NR_fchmodat2:
		return cfg_probes & ASR_PR_FILE ? ASR_P_CHMOD : -1;
	case NR_truncate: case NR_ftruncate:
		return cfg_probes & ASR_PR_FILE ? ASR_P_TRUNCATE : -1;
	case NR_connect:
		return cfg_probes & ASR_PR_NET ? ASR_P_CONNECT : -1;
	case NR_accept: case NR_accept4:
		return cfg_probes & ASR_PR_NET ? ASR_P_ACCEPT : -1;
	case NR_bind:
		return cfg_probes & ASR_PR_NET ? ASR_P_BIND : -1;
	case NR_listen:
		return cfg_probes & ASR_PR_NET ? ASR_P_LISTEN : -1;
	case NR_close:
		return cfg_probes & (ASR_PR_NET | ASR_PR_FILE) ? ASR_P_CLOSE : -1;
	case NR_mmap:
		return cfg_probes & ASR_PR_TLS ? ASR_P_CTRL : -1;
	}
	return -1;
}

/*
 * A syscall made through the ia32 ABI (int 0x80, sysenter, a 32-bit
 * program: the kernel sets TS_COMPAT in thread_info.status from entry until
 * the return to user mode, so still at sys_exit) or the x32 ABI (its bit in
 * the number).  Their numbers and argument registers are not x86_64's: an
 * ia32 read(2) is number 3, x86_64's close; pipe(2) is 42, connect.  They
 * are counted (ASR_P_OTHER_ABI), never decoded with the x86_64 table.
 * A number of -1 is no syscall's: rt_sigreturn exits with orig_ax -1 (the
 * restored frame's, so that nothing restarts), and is not an x32 call.
 */
#define TS_COMPAT_ 0x0002
#define X32_SYSCALL_BIT_ 0x40000000

static __always_inline int sys_other_abi(struct task_struct *task, long nr)
{
	return (task->thread_info.status & TS_COMPAT_) || (nr >= 0 && (nr & X32_SYSCALL_BIT_));
}

/* the fd used by the socket I/O of a TLS call in progress (see tls.bpf.h) */
static __always_inline int sys_is_sockio(long nr)
{
	return nr == NR_read || nr == NR_write || nr == NR_sendto || nr == NR_recvfrom ||
	       nr == NR_sendmsg || nr == NR_recvmsg || nr == NR_readv || nr == NR_writev;
}

/*
 * Only close needs its entry: at exit the fd no longer names the file
 * whose type decides whether it is recorded.  Every other recorded
 * syscall is built at exit from the registers it was called with: on
 * x86_64 the entry code saves them in pt_regs, the syscall reads its
 * arguments from there and nothing writes them back (only ax gets the
 * result) before the sys_exit tracepoint.  Stashing them at entry cost a
 * task-storage lookup and a filter check per syscall (sys_enter on the
 * open+close storm of tests/bench: 126 -> 101 ns, the close half unchanged).
 */
static __always_inline void close_enter(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct sys_args *slot;
	struct file *file;
	__u32 mode;

	if (!(cfg_probes & (ASR_PR_NET | ASR_PR_FILE)) || sys_other_abi(task, NR_close))
		return;
	slot = bpf_task_storage_get(&sysargs, task, 0, 0);
	if (!traced_slot(slot))
		return;
	file = fd_file(fd);
	mode = file_mode(file) & S_IFMT;
	if (mode != S_IFSOCK && mode != S_IFREG)
		return;
	if (!(cfg_probes & (mode == S_IFSOCK ? ASR_PR_NET : ASR_PR_FILE)))
		return;
	if (!slot)
		slot = bpf_task_storage_get(&sysargs, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!slot)
		return;
	slot->nr = NR_close;
	slot->a[0] = fd;
	slot->mode = mode;
	/* the file's identity for the record (net.bpf.h close_rec) */
	slot->a[1] = file->f_inode->i_ino; /* file is not NULL: mode is not 0 */
	slot->a[2] = file->f_inode->i_sb->s_dev;
}

/*
 * close's entry through its own syscall event, which the loader prefers:
 * every other syscall of every process then pays a bit test in the
 * kernel's syscall-event code instead of a run of a program on the raw
 * sys_enter tracepoint (under asrecord on this VM, getppid(2) 306 -> 286
 * ns; 170 untraced), while a close pays for the event's record (close(-1)
 * 356 -> 460 ns): a gain wherever closes are under about 1 syscall in 6,
 * as in agents' sessions, a loss on an open+close storm.  Attaching it
 * needs tracefs (the event's id): without it the loader falls back to
 * asr_sys_enter below.
 */
SEC("tracepoint/syscalls/sys_enter_close")
int asr_close_enter(struct trace_event_raw_sys_enter *ctx)
{
	close_enter(ctx->args[0]);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(asr_sys_enter, struct pt_regs *regs, long nr)
{
	if (nr == NR_close)
		close_enter(regs->di);
	return 0;
}

/* scratch layout of file records */
#define FILE_DATA (sizeof(struct cap_rec_hdr) + sizeof(struct cap_file))

/* Read a user path to @off; returns bytes kept without the NUL. */
static __always_inline __u32 path_put(struct scratch *s, __u32 off, __u64 uptr)
{
	long n = bpf_probe_read_user_str(s->b + (off & 8191), ASR_PATH_MAX, (void *)uptr);

	return n > 0 ? n - 1 : 0;
}

static __always_inline void file_rec(struct sys_args *a, long ret, int probe)
{
	struct scratch *s = scratch_get(probe);
	struct cap_rec_hdr *h;
	struct cap_file *f;
	__u64 nr = a->nr;
	__u32 len = 0, l2;
	__u16 type;

	if (!s)
		return;
	h = (void *)s->b;
	f = (void *)(s->b + sizeof(*h));
	f->ret = ret;
	f->fd = AT_FDCWD_;
	f->flags = 0;
	f->mode = 0;
	f->syscall_nr = nr;
	f->count = 0;
	f->fd2 = AT_FDCWD_;
	f->pad = 0;
	f->ino = 0;
	f->dev = 0;
	f->pad2 = 0;
	switch (nr) {
	case NR_open:
		type = CAP_REC_OPEN;
		f->flags = a->a[1];
		f->mode = a->a[2];
		len = path_put(s, FILE_DATA, a->a[0]);
		break;
	case NR_creat:
		type = CAP_REC_OPEN;
		f->flags = 01101; /* O_CREAT|O_WRONLY|O_TRUNC */
		f->mode = a->a[1];
		len = path_put(s, FILE_DATA, a->a[0]);
		break;
	case NR_openat:
		type = CAP_REC_OPEN;
		f->fd = a->a[0];
		f->flags = a->a[2];
		f->mode = a->a[3];
		len = path_put(s, FILE_DATA, a->a[1]);
		break;
	case NR_openat2: {
		struct open_how how = {};

		type = CAP_REC_OPEN;
		f->fd = a->a[0];
		bpf_probe_read_user(&how, sizeof(how), (void *)a->a[2]);
		f->flags = how.flags;
		f->mode = how.mode;
		len = path_put(s, FILE_DATA, a->a[1]);
		break;
	}
	case NR_unlink:
	case NR_rmdir:
		type = CAP_REC_UNLINK;
		f->flags = nr == NR_rmdir ? AT_REMOVEDIR_ : 0;
		len = path_put(s, FILE_DATA, a->a[0]);
		break;
	case NR_unlinkat:
		type = CAP_REC_UNLINK;
		f->fd = a->a[0];
		f->flags = a->a[2];
		len = path_put(s, FILE_DATA, a->a[1]);
		break;
	case NR_rename:
		type = CAP_REC_RENAME;
		len = path_put(s, FILE_DATA, a->a[0]) + 1;
		l2 = path_put(s, FILE_DATA + (len & 4095), a->a[1]);
		len = (len & 4095) + l2;
		break;
	case NR_renameat:
	case NR_renameat2:
		type = CAP_REC_RENAME;
		f->fd = a->a[0];
		f->fd2 = a->a[2];
		f->flags = nr == NR_renameat2 ? a->a[4] : 0;
		len = path_put(s, FILE_DATA, a->a[1]) + 1;
		l2 = path_put(s, FILE_DATA + (len & 4095), a->a[3]);
		len = (len & 4095) + l2;
		break;
	case NR_mkdir:
		type = CAP_REC_MKDIR;
		f->mode = a->a[1];
		len = path_put(s, FILE_DATA, a->a[0]);
		break;
	case NR_mkdirat:
		type = CAP_REC_MKDIR;
		f->fd = a->a[0];
		f->mode = a->a[2];
		len = path_put(s, FILE_DATA, a->a[1]);
		break;
	case NR_chmod:
		type = CAP_REC_CHMOD;
		f->mode = a->a[1];
		len = path_put(s, FILE_DATA, a->a[0]);
		break;
	case NR_fchmod:
		type = CAP_REC_CHMOD;
		f->fd = a->a[0];
		f->mode = a->a[1];
		break;
	case NR_fchmodat:
	case NR_fchmodat2:
		type = CAP_REC_CHMOD;
		f->fd = a->a[0];
		f->mode = a->a[2];
		f->flags = nr == NR_fchmodat2 ? a->a[3] : 0;
		len = path_put(s, FILE_DATA, a->a[1]);
		break;
	case NR_truncate:
		type = CAP_REC_TRUNCATE;
		f->count = a->a[1];
		len = path_put(s, FILE_DATA, a->a[0]);
		break;
	case NR_ftruncate:
		type = CAP_REC_TRUNCATE;
		f->fd = a->a[0];
		f->count = a->a[1];
		break;
	default:
		scratch_put();
		return;
	}
	if (type == CAP_REC_OPEN && ret >= 0)
		file_id(f, fd_file(ret));
	len &= 16383;
	hdr_fill(h, type, sizeof(*f));
	h->cap_len = len;
	h->orig_len = len;
	if (ret < 0)
		h->flags |= CAP_RF_ERR;
	emit_scratch(s->b, FILE_DATA + BOUND(len, 16383), probe, 0);
}

/*
 * write(2) family to regular files: count, result, first bytes
 * (cfg_write_snap).  sendfile, splice and copy_file_range move bytes in
 * the kernel (cat and cp use them): the fd they come from goes in fd2, no
 * payload is kept; nor for the vector writes.
 */
static __always_inline void write_rec(struct sys_args *a, long ret)
{
	__u64 nr = a->nr;
	int copy = nr == NR_sendfile || nr == NR_splice || nr == NR_copy_file_range;
	int out = nr == NR_splice || nr == NR_copy_file_range ? a->a[2] : a->a[0];
	struct file *file = fd_file(out);
	__u32 mode = file_mode(file) & S_IFMT;
	struct scratch *s;
	struct cap_rec_hdr *h;
	struct cap_file *f;
	__u64 n = 0, have;
	int vec = nr != NR_write && nr != NR_pwrite64; /* no payload */

	if (mode != S_IFREG)
		return;
	s = scratch_get(ASR_P_WRITE);
	if (!s)
		return;
	h = (void *)s->b;
	f = (void *)(s->b + sizeof(*h));
	hdr_fill(h, CAP_REC_WRITE, sizeof(*f));
	f->ret = ret;
	f->fd = out;
	f->flags = file->f_flags; /* file is not NULL: mode is S_IFREG */
	f->mode = mode;
	f->syscall_nr = nr;
	if (copy)
		f->count = nr == NR_sendfile ? a->a[3] : a->a[4];
	else
		f->count = vec ? (ret > 0 ? ret : 0) : a->a[2];
	f->fd2 = copy ? (nr == NR_sendfile ? a->a[1] : a->a[0]) : AT_FDCWD_;
	f->pad = 0;
	f->pad2 = 0;
	file_id(f, file);
	have = ret > 0 ? ret : 0;
	if (!vec && have && cfg_write_snap) {
		n = have < cfg_write_snap ? have : cfg_write_snap;
		if (n > ASR_WRITE_SNAP_MAX)
			n = ASR_WRITE_SNAP_MAX;
		h->cap_len = n;
		h->orig_len = have;
		if (n < have)
			h->flags |= CAP_RF_TRUNC;
		if (emit_user_payload(s->b, FILE_DATA, n, a->a[1], ASR_P_WRITE, n < have) == 0) {
			scratch_put();
			return;
		}
		h->flags = 0;
		if (bpf_probe_read_user(s->b + FILE_DATA, BOUND(n, ASR_WRITE_SNAP_MAX * 2 - 1),
					(void *)a->a[1]))
			n = 0;
	}
	n &= ASR_WRITE_SNAP_MAX * 2 - 1;
	h->cap_len = n;
	/* vector writes keep no payload: orig_len 0, nothing claimed missing */
	h->orig_len = vec ? 0 : have;
	if (ret < 0)
		h->flags |= CAP_RF_ERR;
	else if (!vec && n < have && cfg_write_snap)
		h->flags |= CAP_RF_TRUNC;
	emit_scratch(s->b, FILE_DATA + BOUND(n, ASR_WRITE_SNAP_MAX * 2 - 1), ASR_P_WRITE,
	     h->flags & CAP_RF_TRUNC);
}

/* close: the record of the slot sys_enter filled, if it did; the slot is
 * emptied either way */
static __always_inline void close_exit(struct task_struct *task, long ret)
{
	struct sys_args *a = bpf_task_storage_get(&sysargs, task, 0, 0);

	if (!a)
		return;
	if (a->nr == NR_close)
		net_rec(a, ret, ASR_P_CLOSE);
	a->nr = SYSARGS_EMPTY;
}

/*
 * Is the current thread traced?  The sysargs slot keeps the filter's
 * answer (traced_slot); a thread without one gets it here, so that its
 * next syscalls skip the filter's hash lookup, traced or not (not in
 * cgroup mode, which asks the filter every time anyway).
 */
static __always_inline int traced_exit(struct task_struct *task)
{
	struct sys_args *slot = bpf_task_storage_get(&sysargs, task, 0, 0);
	__u32 gen;
	int yes;

	if (slot)
		return traced_slot(slot);
	gen = targets_gen; /* before the lookup, as in traced_slot */
	asm volatile("" ::: "memory");
	yes = traced_current();
	if (!yes && cfg_mode == ASR_F_CGROUP)
		return 0;
	slot = bpf_task_storage_get(&sysargs, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (slot) {
		slot->nr = SYSARGS_EMPTY;
		slot->untraced = yes ? 0 : untraced_mark(gen);
	}
	return yes;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(asr_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	long nr = regs->orig_ax;
	struct sys_args r;
	int p;

	if (sys_other_abi(task, nr)) {
		if (traced_task(task))
			count(ASR_P_OTHER_ABI, 0, 0);
		return 0;
	}
	if (sys_is_sockio(nr) && (cfg_probes & ASR_PR_TLS)) {
		tls_note_fd(regs->di);
		aead_note_sys(nr, regs->di); /* tls_aead.bpf.h */
	}
	p = sys_probe(nr);
	if (p < 0)
		return 0;
	if (p == ASR_P_CLOSE) {
		close_exit(task, ret);
		return 0;
	}
	if (nr == NR_mmap && (!(regs->dx & PROT_EXEC_) || (int)regs->r8 < 0))
		return 0;
	if (!traced_exit(task))
		return 0;
	r.nr = nr;
	r.a[0] = regs->di;
	r.a[1] = regs->si;
	r.a[2] = regs->dx;
	r.a[3] = regs->r10;
	r.a[4] = regs->r8;
	r.a[5] = regs->r9;
	r.mode = 0;
	r.untraced = 0;
	if (p == ASR_P_WRITE)
		write_rec(&r, ret);
	else if (p == ASR_P_CTRL)
		note_mmap(r.a[4], ret);
	else if (p >= ASR_P_CONNECT && p <= ASR_P_LISTEN)
		net_rec(&r, ret, p);
	else
		file_rec(&r, ret, p);
	return 0;
}

#endif
