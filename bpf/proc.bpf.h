/* SPDX-License-Identifier: MIT */
/*
 * proc.bpf.h - process life cycle: tp_btf sched_process_fork/exec/exit.
 *
 * fork: every clone of a traced task (thread or process); a new process
 *       joins the target set here, before it can run, so descendants are
 *       followed from fork and not only from exec.
 * exec: filename, argv (ASR_ARGV_MAX bytes, CAP_RF_TRUNC beyond), cwd
 *       (walked from fs->pwd, ASR_CWD_DEPTH components), ids, comm.
 * exit: raw wait status; the group leaves the target set when it is dead.
 */
#ifndef AS_BPF_PROC_BPF_H
#define AS_BPF_PROC_BPF_H

struct fork_rec {
	struct cap_rec_hdr h;
	struct cap_fork f;
};

SEC("tp_btf/sched_process_fork")
int BPF_PROG(asr_fork, struct task_struct *parent, struct task_struct *child)
{
	/* tracepoint arguments are BTF pointers: plain loads, no helper
	 * call per field (see fd_file in common.bpf.h) */
	__u32 ptgid = parent->tgid;
	__u32 ctgid = child->tgid;
	struct fork_rec *r;

	if (!traced_tgid(ptgid))
		return 0;
	if (ctgid != ptgid && cfg_mode != ASR_F_ALL)
		target_add(ctgid);
	if (!(cfg_probes & ASR_PR_PROC))
		return 0;
	r = ring_reserve(sizeof(*r));
	if (!r) {
		count(ASR_P_FORK, 1, 0);
		return 0;
	}
	hdr_fill(&r->h, CAP_REC_FORK, sizeof(r->f));
	r->f.parent_pid = ptgid;
	r->f.parent_tid = parent->pid;
	r->f.parent_start_ns = parent->group_leader->start_time;
	r->f.child_pid = ctgid;
	r->f.child_tid = child->pid;
	r->f.child_start_ns = ctgid == ptgid ? r->f.parent_start_ns : child->start_time;
	/* the tracepoint does not see clone flags; record what they imply */
	r->f.clone_flags_lo = ctgid == ptgid ? 0x00010000 /* CLONE_THREAD */ : 0;
	r->f.is_thread = ctgid == ptgid;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	count(ASR_P_FORK, 0, 0);
	return 0;
}

struct exit_rec {
	struct cap_rec_hdr h;
	struct cap_exit x;
};

SEC("tp_btf/sched_process_exit")
int BPF_PROG(asr_exit, struct task_struct *task, bool group_dead)
{
	__u32 tgid = task->tgid;
	struct exit_rec *r;

	if (!traced_tgid(tgid))
		return 0;
	if (cfg_probes & ASR_PR_PROC) {
		r = ring_reserve(sizeof(*r));
		if (r) {
			hdr_fill(&r->h, CAP_REC_EXIT, sizeof(r->x));
			r->x.exit_code = task->exit_code;
			r->x.is_thread = !group_dead;
			bpf_get_current_comm(r->x.comm, sizeof(r->x.comm));
			bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
			count(ASR_P_EXIT, 0, 0);
		} else {
			count(ASR_P_EXIT, 1, 0);
		}
	}
	if (group_dead)
		bpf_map_delete_elem(&targets, &tgid);
	return 0;
}

/* Exec record layout inside the scratch buffer. */
#define EXEC_DATA (sizeof(struct cap_rec_hdr) + sizeof(struct cap_exec))
/* the cwd is assembled backwards in [CWD_BASE, CWD_END] of the scratch
 * buffer, far enough from its end that every masked access stays inside */
#define CWD_BASE (SCR_SIZE - 16384)
#define CWD_END (CWD_BASE + 8191)
#define CWD_AT(pos) (CWD_BASE + (((pos) - CWD_BASE) & 8191))

/* the walk's pointers, kept as numbers: re-typed at each step with
 * bpf_rdonly_cast, so that every field is a plain load (a BPF_CORE_READ
 * is a helper call per step) */
struct cwd_walk {
	__u64 d;  /* struct dentry * */
	__u64 m;  /* struct mount * */
	__u8 *b;
	__u32 pos;
};

#define AS_BTF(type, p) ((type *)bpf_rdonly_cast((void *)(p), bpf_core_type_id_kernel(type)))

/* one step of the walk: a mount crossing or one path component */
static long cwd_step(__u32 i, void *data)
{
	struct cwd_walk *w = data;
	struct dentry *d = AS_BTF(struct dentry, w->d);
	struct mount *m = AS_BTF(struct mount, w->m);
	__u64 parent = (__u64)d->d_parent;
	__u32 len;

	if (w->d == (__u64)m->mnt.mnt_root) {
		__u64 mp = (__u64)m->mnt_parent;

		if (mp == w->m)
			return 1;
		w->d = (__u64)m->mnt_mountpoint;
		w->m = mp;
		return 0;
	}
	if (w->d == parent)
		return 1;
	len = d->d_name.len;
	if (len > 255 || w->pos < CWD_BASE + 256 + 1)
		return 1;
	w->pos -= len;
	bpf_probe_read_kernel(&w->b[CWD_AT(w->pos)], len & 255, d->d_name.name);
	w->pos--;
	w->b[CWD_AT(w->pos)] = '/';
	w->d = parent;
	return 0;
}

/*
 * Write the current task's cwd backwards ending at CWD_END (which holds
 * the NUL); return its start offset.  Crosses mount points; stops at the
 * root or after ASR_CWD_DEPTH steps.
 */
static __always_inline __u32 cwd_build(__u8 *b)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct cwd_walk w;

	w.d = (__u64)t->fs->pwd.dentry;
	/* the struct mount around the vfsmount (container_of) */
	w.m = (__u64)t->fs->pwd.mnt - bpf_core_field_offset(struct mount, mnt);
	w.b = b;
	w.pos = CWD_END;
	b[CWD_END] = 0;
	bpf_loop(ASR_CWD_DEPTH, cwd_step, &w, 0);
	if (w.pos == CWD_END) {
		w.pos--;
		b[CWD_AT(w.pos)] = '/';
	}
	return w.pos;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(asr_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct cap_rec_hdr *h;
	struct cap_exec *e;
	struct scratch *s;
	__u64 as, ae, alen, keep;
	__u32 off, cwd, cwdlen;
	long n;

	if (cfg_mode == ASR_F_COMM && !traced_tgid(tgid)) {
		char c[16];
		int i, same = 1;

		bpf_get_current_comm(c, sizeof(c));
		for (i = 0; i < 16; i++) {
			if (c[i] != cfg_comm[i]) {
				same = 0;
				break;
			}
			if (!c[i])
				break;
		}
		if (same) {
			target_add(tgid);
			/* this thread may have a "no" in its slot already */
			__sync_fetch_and_add(&targets_gen, 1);
		}
	}
	if (!traced_tgid(tgid))
		return 0;
	note_exec_file(bprm->file);
	if (!(cfg_probes & ASR_PR_PROC))
		return 0;
	s = scratch_get(ASR_P_EXEC);
	if (!s)
		return 0;
	h = (void *)s->b;
	e = (void *)(s->b + sizeof(*h));
	hdr_fill(h, CAP_REC_EXEC, sizeof(*e));
	e->ppid = p->real_parent->tgid;
	e->uid = p->cred->uid.val;
	e->gid = p->cred->gid.val;
	e->argc = bprm->argc;
	e->old_pid = old_pid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));

	n = bpf_probe_read_kernel_str(s->b + EXEC_DATA, ASR_PATH_MAX, bprm->filename);
	off = EXEC_DATA + (n > 0 ? n : 0);
	as = p->mm->arg_start;
	ae = p->mm->arg_end;
	alen = ae > as ? ae - as : 0;
	keep = alen < ASR_ARGV_MAX ? alen : ASR_ARGV_MAX;
	off &= 8191;
	if (keep && bpf_probe_read_user(s->b + off, BOUND(keep, ASR_ARGV_MAX * 2 - 1),
					(void *)as) == 0) {
		off += keep & (ASR_ARGV_MAX * 2 - 1);
		if (keep < alen) {
			s->b[(off - 1) & (SCR_SIZE - 1)] = 0;
			h->flags |= CAP_RF_TRUNC;
		}
	}
	cwd = cwd_build(s->b);
	cwdlen = CWD_END + 1 - cwd;
	e->cwd_len = cwdlen;
	off &= 32767;
	bpf_probe_read_kernel(s->b + off, BOUND(cwdlen, 8191), s->b + CWD_AT(cwd));
	off += cwdlen & 8191;
	h->cap_len = off - EXEC_DATA;
	h->orig_len = h->cap_len + (alen - keep);
	emit_scratch(s->b, off & (SCR_SIZE - 1), ASR_P_EXEC, keep < alen);
	return 0;
}

#endif
