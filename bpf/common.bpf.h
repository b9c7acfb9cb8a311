/* SPDX-License-Identifier: MIT */
/*
 * common.bpf.h - maps, configuration and helpers shared by every probe of
 * asrecord.bpf.c: the in-kernel target filter, record headers with the
 * (pid, task_start_ns) identity, and submission with drop counting.
 *
 * Every record goes to the ring buffer of the CPU it is made on, without
 * a wake-up; the recorder drains them every few milliseconds (per-event
 * wake-ups dominate the cost of tracing on small VMs).  A failed
 * reservation is counted per CPU and per probe in `counters`, and the seq
 * number it takes leaves a gap.
 *
 * Nothing on the hot path is shared between CPUs: one ring and one seq
 * counter per CPU.  With one ring and one global counter for all, the
 * storm of tests/bench spent most of the per-record cost of sys_exit in
 * the counter's `lock xadd` and the ring's spinlock, the cache lines
 * bouncing between the two cores.
 */
#ifndef AS_BPF_COMMON_BPF_H
#define AS_BPF_COMMON_BPF_H

/* configuration, set by the loader between open and load */
const volatile __u32 cfg_mode = ASR_F_PIDS;
const volatile __u32 cfg_self = 0;          /* the recorder's tgid: never traced */
const volatile __u64 cfg_cgroup = 0;
const volatile char cfg_comm[16] = {};
const volatile __u32 cfg_probes = ASR_PR_PROC | ASR_PR_FILE | ASR_PR_NET | ASR_PR_TLS;
const volatile __u32 cfg_write_snap = 0;    /* bytes of file-write payload kept */
const volatile __u32 cfg_tls_snap = 1u << 20; /* bytes of TLS payload kept per call */
const volatile __u32 cfg_copy_once = 1;     /* emit_user_payload may be used */
/*
 * SIGSTOP a process at its first mapping of a file (tls.bpf.h).  Not a
 * constant: the loader turns it off before it stops reading the ring, so
 * no process is stopped with nobody left to continue it.
 */
volatile __u32 stop_unseen = 0;

/* the rings: one per CPU, made and sized by the loader (rec_bpf.c) */
struct ring_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* set to the number of CPUs by the loader */
	__type(key, __u32);
	__array(values, struct ring_map);
} rings SEC(".maps");

/* each CPU's record counter (format/cap_record.h: CAP_SEQ_CPU_SHIFT) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cpu_seq SEC(".maps");

/* traced thread groups (tgid -> 1); children are added at fork */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ASR_P_NR);
	__type(key, __u32);
	__type(value, struct asr_counters);
} counters SEC(".maps");

/* Scratch space to build variable-length records in (one per CPU, indexed
 * by CPU number: per-CPU maps are limited to 32 KiB values). */
#define SCR_SIZE (1u << 17)
struct scratch {
	__u8 b[SCR_SIZE];
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of CPUs by the loader */
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* x & mask, with the mask kept even where the compiler proves it redundant:
 * the verifier needs to see it */
#define BOUND(x, mask)                                  \
	({                                              \
		__u64 __v = (x);                        \
		asm volatile("" : "+r"(__v));           \
		__v & (mask);                           \
	})

/*
 * Scratch slots are taken, not only looked up.  A probe runs with migration
 * disabled, but a uprobe program stays preemptible (preempt=full or lazy
 * kernels): another thread's probe can run on the same CPU while a record
 * is half built in this CPU's scratch and overwrite it, so that the first
 * record would carry the second's bytes.  Each slot has a busy flag set by
 * an atomic exchange; a probe that finds every slot of its CPU busy counts
 * a drop rather than share one.  tls_scratch (tls.bpf.h, used only by
 * uprobes) has ASR_TLS_SCRATCH_SLOTS slots per CPU; `scratch` has one, used by
 * tracepoint programs, which the kernel runs with preemption disabled
 * today: the flag costs an exchange and guards kernels that would not.
 */
struct scratch_flags {
	__u64 busy[4]; /* [0] scratch, [1 + i] tls_scratch slot i */
};
_Static_assert(1 + ASR_TLS_SCRATCH_SLOTS <= 4, "scratch_flags too small");
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch_flags);
} scratch_busy SEC(".maps");

static __always_inline __u64 *scratch_flag(__u32 i)
{
	__u32 k = 0;
	struct scratch_flags *f = bpf_map_lookup_elem(&scratch_busy, &k);

	return f ? &f->busy[i & 3] : NULL;
}

/* Set flag @i if it was clear; 1 when this probe now owns its slot. */
static __always_inline int scratch_claim(__u32 i)
{
	__u64 *f = scratch_flag(i);

	return f && !__sync_lock_test_and_set(f, 1);
}

static __always_inline void scratch_release(__u32 i)
{
	__u64 *f = scratch_flag(i);

	if (!f)
		return;
	/* the record is out of the slot before the flag says so */
	asm volatile("" ::: "memory");
	*(volatile __u64 *)f = 0;
}

static __always_inline void scratch_put(void)
{
	scratch_release(0);
}

/* this CPU's ring, or NULL (never, once the loader has filled `rings`) */
static __always_inline void *ring_here(__u32 cpu)
{
	return bpf_map_lookup_elem(&rings, &cpu);
}

/*
 * The next seq of CPU @cpu.  A program runs with migration disabled but
 * may be preempted by another task's on the same CPU: an atomic add, on a
 * cache line that stays with its CPU.  Counts start at 1 (seq 0 is a
 * writer record's).
 */
static __always_inline __u64 seq_take(__u32 cpu)
{
	__u32 k = 0;
	__u64 *n = bpf_map_lookup_elem(&cpu_seq, &k);

	if (!n)
		return 0;
	return (__u64)cpu << CAP_SEQ_CPU_SHIFT | (__sync_fetch_and_add(n, 1) + 1);
}

/* Reserve @size bytes (a constant) in this CPU's ring; NULL when full. */
#define ring_reserve_noseq(size)                                                \
	({                                                                      \
		void *__rb = ring_here(bpf_get_smp_processor_id());             \
		__rb ? bpf_ringbuf_reserve(__rb, (size), 0) : NULL;             \
	})

/* The same for a record with a seq: on failure the seq it would have had
 * is taken, leaving a gap. */
#define ring_reserve(size)                                                      \
	({                                                                      \
		void *__r = ring_reserve_noseq(size);                           \
		if (!__r)                                                       \
			seq_take(bpf_get_smp_processor_id());                   \
		__r;                                                            \
	})

static __always_inline void count(__u32 probe, int dropped, int trunc)
{
	struct asr_counters *c = bpf_map_lookup_elem(&counters, &probe);

	if (!c)
		return;
	/* atomic adds: a preempted uprobe must not lose another's count */
	if (dropped)
		__sync_fetch_and_add(&c->drops, 1);
	else
		__sync_fetch_and_add(&c->events, 1);
	if (trunc)
		__sync_fetch_and_add(&c->truncs, 1);
}

/*
 * This CPU's `scratch`, claimed until emit_scratch() or scratch_put(), for a
 * record of @probe; NULL when busy, counted as a drop of that probe with
 * the seq the record would have had left as a gap.
 */
static __always_inline struct scratch *scratch_get(__u32 probe)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = NULL;

	if (scratch_claim(0)) {
		s = bpf_map_lookup_elem(&scratch, &cpu);
		if (!s)
			scratch_put();
	}
	if (!s) {
		count(probe, 1, 0);
		seq_take(cpu);
	}
	return s;
}

static __always_inline int traced_tgid(__u32 tgid)
{
	if (tgid == cfg_self)
		return 0;
	if (cfg_mode == ASR_F_ALL)
		return 1;
	if (cfg_mode == ASR_F_CGROUP && bpf_get_current_cgroup_id() == cfg_cgroup)
		return 1;
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

static __always_inline int traced_current(void)
{
	return traced_tgid(bpf_get_current_pid_tgid() >> 32);
}

/* a recorded syscall: its number and arguments (from its registers) */
struct sys_args {
	__u64 nr;
	__u64 a[6];
	__u32 mode; /* close: i_mode of the fd's file, taken before it goes */
	__u32 untraced; /* 0: traced; else the filter's "no" (untraced_mark) */
};

/*
 * One slot per thread the filter was asked about at its recorded
 * syscalls: it keeps the answer (traced_slot), and close's sys_enter keeps
 * the fd and file type there for sys_exit (sys.bpf.h).  Task local
 * storage rather than a hash keyed by tid: it costs about 150 ns per
 * syscall instead of about 400 (measured on the storm of tests/bench), has
 * no capacity to overflow, and goes away with the task.  A slot is marked
 * empty with nr = SYSARGS_EMPTY instead of being deleted, so the storage
 * is allocated once per thread; a new slot is zeroed, so it says traced.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sys_args);
} sysargs SEC(".maps");

#define SYSARGS_EMPTY ((__u64)-1)

/*
 * Bumped after each addition to `targets` that may concern a thread which
 * already has its answer: the loader's (-p, -c at start, the command of
 * --) and a comm match at exec.  A fork's child needs none: a new task
 * has no slot.  A "no" kept in a slot holds for the generation it was
 * made in only; the loader's bump is an atomic add on the mmap'ed .bss.
 */
volatile __u32 targets_gen = 0;

/* a slot's mark for "untraced as of generation @gen": never 0 (traced) */
static __always_inline __u32 untraced_mark(__u32 gen)
{
	return gen << 1 | 1;
}

/*
 * traced_current() for a thread whose sysargs slot is @slot (or NULL).  A
 * process stays traced until it dies (the filter loses a tgid only at
 * exit), so a traced slot stands for the filter's answer without its hash
 * lookup; an untraced one does while targets_gen has not moved (untraced
 * processes' opens, writes and closes then cost ~70 ns less each).  A
 * cgroup can be entered and left, so there the filter is always asked.
 */
static __always_inline int traced_slot(struct sys_args *slot)
{
	__u32 gen;
	int yes;

	if (!slot || cfg_mode == ASR_F_CGROUP)
		return traced_current();
	if (!slot->untraced)
		return 1;
	/* the generation is read before the filter's lookup: an addition
	 * the lookup misses has not been counted yet, so the mark it leaves
	 * is already stale when the loader's bump lands */
	gen = targets_gen;
	if (slot->untraced == untraced_mark(gen))
		return 0;
	asm volatile("" ::: "memory");
	yes = traced_current();
	slot->untraced = yes ? 0 : untraced_mark(gen);
	return yes;
}

static __always_inline int traced_task(struct task_struct *task)
{
	return traced_slot(bpf_task_storage_get(&sysargs, task, 0, 0));
}

static __always_inline void target_add(__u32 tgid)
{
	__u32 one = 1;

	bpf_map_update_elem(&targets, &tgid, &one, BPF_ANY);
}

/* Fill a record header for the current task. */
static __always_inline void hdr_fill(struct cap_rec_hdr *h, __u16 type, __u16 fixed_len)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 cpu = bpf_get_smp_processor_id();

	h->type = type;
	h->hdr_len = sizeof(*h);
	h->cpu = cpu;
	h->ts_ns = bpf_ktime_get_ns();
	h->seq = seq_take(cpu);
	/* what bpf_get_current_pid_tgid() returns, without the call */
	h->pid = t->tgid;
	h->tid = t->pid;
	h->task_start_ns = t->group_leader->start_time;
	h->orig_len = 0;
	h->cap_len = 0;
	h->fixed_len = fixed_len;
	h->flags = 0;
	h->data_off = 0;
}

/* Copy @len bytes built in scratch space to this CPU's ring; 0 or -1
 * when it is full (the record's seq then stays a gap). */
static __always_inline long ring_output(void *rec, __u64 len)
{
	void *rb = ring_here(bpf_get_smp_processor_id());

	if (!rb)
		return -1;
	return bpf_ringbuf_output(rb, rec, len, BPF_RB_NO_WAKEUP);
}

/* Submit the @len bytes of a record at @rec; count the outcome. */
static __always_inline void emit(void *rec, __u64 len, __u32 probe, int trunc)
{
	long rc = -1;

	if (len <= SCR_SIZE)
		rc = ring_output(rec, len);
	count(probe, rc != 0, trunc);
}

/* emit() for a record built in this CPU's `scratch` (scratch_get): the
 * slot is given back once the ring has the record */
static __always_inline void emit_scratch(void *rec, __u64 len, __u32 probe, int trunc)
{
	long rc = -1;

	if (len <= SCR_SIZE)
		rc = ring_output(rec, len);
	scratch_put();
	count(probe, rc != 0, trunc);
}

/*
 * Payload from user memory copied once, straight into the ring, where the
 * kernel has bpf_probe_read_user_dynptr (6.16 or later): through scratch
 * it is copied twice, user memory to scratch and scratch to the ring.  On
 * the open+write loop of a micro-benchmark, a 4 KiB file write's record
 * went from ~560 to ~470 ns, and the copy no longer passes through (and
 * evicts cache lines for) the scratch buffer.  Declared weak: on an older
 * kernel the symbol is NULL, the verifier drops the branch, and callers
 * copy through scratch (as they do with cfg_copy_once 0: ASIGHT_COPY_TWICE=1,
 * for tests of that path).  off and size are u32 before 6.19 and u64 from
 * it; both stay below 2^32 here, so either prototype reads them right.
 */
extern int bpf_probe_read_user_dynptr(struct bpf_dynptr *dptr, __u64 off, __u64 size,
				      const void *unsafe_ptr) __ksym __weak;

/*
 * Emit the record whose first @head bytes (header and fixed part) are
 * built at @rec, followed by @n payload bytes read from @uptr, with one
 * copy; counts the outcome.  Returns 0 when the record went out or was
 * counted as a drop, -1 when the caller must take the scratch path: the
 * kfunc is missing, or the user memory could not be read (the scratch
 * path then ships the record without the payload, as it always did).
 */
static __always_inline int emit_user_payload(void *rec, __u32 head, __u64 n, __u64 uptr,
					     __u32 probe, int trunc)
{
	struct bpf_dynptr dp;
	void *rb;
	long err;

	if (!cfg_copy_once || !bpf_probe_read_user_dynptr)
		return -1;
	rb = ring_here(bpf_get_smp_processor_id());
	if (!rb)
		return -1;
	if (bpf_ringbuf_reserve_dynptr(rb, head + n, 0, &dp)) {
		/* a failed reservation still hands back a dynptr to release */
		bpf_ringbuf_discard_dynptr(&dp, BPF_RB_NO_WAKEUP);
		count(probe, 1, 0);
		return 0;
	}
	err = bpf_probe_read_user_dynptr(&dp, head, n, (void *)uptr);
	if (!err)
		err = bpf_dynptr_write(&dp, 0, rec, head, 0);
	if (err) {
		bpf_ringbuf_discard_dynptr(&dp, BPF_RB_NO_WAKEUP);
		return -1;
	}
	bpf_ringbuf_submit_dynptr(&dp, BPF_RB_NO_WAKEUP);
	count(probe, 0, trunc);
	return 0;
}

/*
 * Reads through BTF pointers (bpf_get_current_task_btf(), bpf_rdonly_cast)
 * are plain loads the verifier guards with an exception-table entry; a
 * BPF_CORE_READ is a bpf_probe_read_kernel call per step.  close's
 * sys_enter went from 7 helper calls to 1 (on the storm of tests/bench:
 * sys_enter ~260 -> ~180 ns, sys_exit ~360 -> ~260 ns per run, with
 * hdr_fill's reads).  The uprobes may call bpf_get_current_task_btf()
 * and bpf_rdonly_cast() too: fd_file() also serves the aws-lc seal probe
 * (tls_aead.bpf.h aead_fd_of).
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* struct file * of @fd in the current task, or NULL */
static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = t->files->fdt;
	struct file *f = NULL;

	if (fd < 0 || !fdt || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	/* fdt->fd is a struct file **: no BTF pointer, so one helper read */
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
	if (!f)
		return NULL;
	return bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
}

static __always_inline __u32 file_mode(struct file *f)
{
	return f ? f->f_inode->i_mode : 0;
}

/* the inode number and device of @f (a BTF pointer, or NULL: left as is) */
static __always_inline void file_id(struct cap_file *cf, struct file *f)
{
	if (!f)
		return;
	cf->ino = f->f_inode->i_ino;
	cf->dev = f->f_inode->i_sb->s_dev;
}

#define AT_FDCWD_ -100
#define AT_REMOVEDIR_ 0x200
#define PROT_EXEC_ 0x4

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000

#endif
