/* SPDX-License-Identifier: MIT */
/* rec_bpf.c - skeleton open/configure/load/attach (see rec_bpf.h). */
#include "rec_bpf.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/asrecord.skel.h"

struct rec_bpf {
	struct asrecord_bpf *skel;
	int ncpu;
	int *ring_fds;           /* one ring buffer per CPU */
	size_t ring_bytes;       /* the size of each */
	struct bpf_link **links; /* uprobe links */
	size_t nlinks, cap;
	int close_raw;           /* close's entry through tp_btf/sys_enter */
};

static const uint32_t slot_type[ASR_P_NR] = {
	[ASR_P_FORK] = CAP_REC_FORK,	     [ASR_P_EXEC] = CAP_REC_EXEC,
	[ASR_P_EXIT] = CAP_REC_EXIT,	     [ASR_P_OPEN] = CAP_REC_OPEN,
	[ASR_P_WRITE] = CAP_REC_WRITE,	     [ASR_P_UNLINK] = CAP_REC_UNLINK,
	[ASR_P_RENAME] = CAP_REC_RENAME,     [ASR_P_MKDIR] = CAP_REC_MKDIR,
	[ASR_P_CHMOD] = CAP_REC_CHMOD,	     [ASR_P_TRUNCATE] = CAP_REC_TRUNCATE,
	[ASR_P_CONNECT] = CAP_REC_CONNECT,   [ASR_P_ACCEPT] = CAP_REC_ACCEPT,
	[ASR_P_BIND] = CAP_REC_BIND,	     [ASR_P_LISTEN] = CAP_REC_LISTEN,
	[ASR_P_CLOSE] = CAP_REC_CLOSE,	     [ASR_P_TLS] = CAP_REC_TLS,
	[ASR_P_CTRL] = ASR_REC_CTRL,	     [ASR_P_OTHER_ABI] = CAP_STAT_OTHER_ABI,
};

uint32_t rec_bpf_slot_type(unsigned slot)
{
	return slot < ASR_P_NR ? slot_type[slot] : 0;
}

static int fail(char *err, size_t len, int rc, const char *what)
{
	snprintf(err, len, "%s: %s", what, strerror(rc < 0 ? -rc : rc));
	return rc < 0 ? rc : -rc;
}

static void configure(struct asrecord_bpf *s, const struct rec_bpf_cfg *c)
{
	s->rodata->cfg_mode = c->mode;
	s->rodata->cfg_self = c->self;
	s->rodata->cfg_cgroup = c->cgroup_id;
	memcpy((char *)s->rodata->cfg_comm, c->comm, sizeof(c->comm));
	s->rodata->cfg_probes = c->probes;
	s->rodata->cfg_write_snap = c->write_snap;
	s->rodata->cfg_tls_snap = c->tls_snap;
	/* the payload path of kernels without the dynptr copy, on any kernel */
	s->rodata->cfg_copy_once = !getenv("ASIGHT_COPY_TWICE");
}

/* Each CPU's share of @total bytes: a power of two of at least 1 MiB (a
 * ring must hold the largest record, 256 KiB of TLS data and headers). */
static size_t ring_share(size_t total, int ncpu)
{
	size_t each = total / (size_t)ncpu, p = 1u << 20;

	while (p * 2 <= each)
		p *= 2;
	return p;
}

/* Make one ring buffer per CPU; the first is also the template of the
 * `rings` map's values, which libbpf needs before the load. */
static int make_rings(struct rec_bpf *b, char *err, size_t len)
{
	int i;

	b->ring_fds = calloc((size_t)b->ncpu, sizeof(*b->ring_fds));
	if (!b->ring_fds)
		return fail(err, len, -ENOMEM, "out of memory");
	for (i = 0; i < b->ncpu; i++)
		b->ring_fds[i] = -1;
	for (i = 0; i < b->ncpu; i++) {
		b->ring_fds[i] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "asr_ring", 0, 0,
						(__u32)b->ring_bytes, NULL);
		if (b->ring_fds[i] < 0)
			return fail(err, len, -errno, "cannot create the ring buffers");
	}
	if (bpf_map__set_inner_map_fd(b->skel->maps.rings, b->ring_fds[0]))
		return fail(err, len, -errno, "cannot create the ring buffers");
	return 0;
}

/* Put the rings into the loaded `rings` map, one per CPU. */
static int install_rings(struct rec_bpf *b, char *err, size_t len)
{
	int outer = bpf_map__fd(b->skel->maps.rings), i;

	for (i = 0; i < b->ncpu; i++) {
		__u32 k = (__u32)i;

		if (bpf_map_update_elem(outer, &k, &b->ring_fds[i], BPF_ANY))
			return fail(err, len, -errno, "cannot install the ring buffers");
	}
	return 0;
}

void rec_bpf_stop_unseen(struct rec_bpf *b, int on)
{
	/* .bss is mapped: a plain store, safe in a signal handler too */
	if (b && b->skel && b->skel->bss)
		b->skel->bss->stop_unseen = on ? 1 : 0;
}

int rec_bpf_open(const struct rec_bpf_cfg *cfg, struct rec_bpf **out, char *err, size_t len)
{
	struct rec_bpf *b = calloc(1, sizeof(*b));
	int rc;

	*out = NULL;
	if (!b)
		return fail(err, len, -ENOMEM, "out of memory");
	b->ncpu = libbpf_num_possible_cpus();
	if (b->ncpu <= 0) {
		rc = b->ncpu ? b->ncpu : -EINVAL;
		free(b);
		return fail(err, len, rc, "cannot count CPUs");
	}
	b->skel = asrecord_bpf__open();
	if (!b->skel) {
		rc = -errno;
		free(b);
		return fail(err, len, rc, "cannot open the BPF object");
	}
	configure(b->skel, cfg);
	b->ring_bytes = ring_share(cfg->ring_bytes, b->ncpu);
	rc = bpf_map__set_max_entries(b->skel->maps.rings, (__u32)b->ncpu);
	if (!rc)
		rc = bpf_map__set_max_entries(b->skel->maps.scratch, b->ncpu);
	if (!rc)
		rc = bpf_map__set_max_entries(b->skel->maps.tls_scratch,
					      (__u32)b->ncpu * ASR_TLS_SCRATCH_SLOTS);
	if (rc) {
		rec_bpf_close(b);
		return fail(err, len, rc, "cannot size the BPF maps");
	}
	rc = make_rings(b, err, len);
	if (rc) {
		rec_bpf_close(b);
		return rc;
	}
	/* uprobe programs are attached per target later, by rec_bpf_uprobe */
	bpf_program__set_autoattach(b->skel->progs.asr_tls_enter, false);
	bpf_program__set_autoattach(b->skel->progs.asr_tls_ret, false);
	bpf_program__set_autoattach(b->skel->progs.asr_aead_seal, false);
	bpf_program__set_autoattach(b->skel->progs.asr_aead_open, false);
	bpf_program__set_autoattach(b->skel->progs.asr_aead_open_ret, false);
	rc = asrecord_bpf__load(b->skel);
	if (rc) {
		rec_bpf_close(b);
		return fail(err, len, rc,
			    "cannot load the BPF programs (see the libbpf messages above; "
			    "needs root or CAP_BPF+CAP_PERFMON and a kernel with BTF)");
	}
	rc = install_rings(b, err, len);
	if (rc) {
		rec_bpf_close(b);
		return rc;
	}
	rec_bpf_stop_unseen(b, cfg->stop_unseen);
	*out = b;
	return 0;
}

/* Can libbpf find the id of close's syscall event?  Asked first, so that
 * a machine without tracefs gets the fallback without a libbpf warning. */
static int close_event_exists(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_close/id", dirs[i]);
		if (access(path, R_OK) == 0)
			return 1;
	}
	return 0;
}

int rec_bpf_close_raw(const struct rec_bpf *b)
{
	return b->close_raw;
}

int rec_bpf_attach(struct rec_bpf *b, char *err, size_t len)
{
	struct {
		struct bpf_program *p;
		struct bpf_link **l;
		const char *name;
	} t[] = {
		{ b->skel->progs.asr_fork, &b->skel->links.asr_fork, "sched_process_fork" },
		{ b->skel->progs.asr_exec, &b->skel->links.asr_exec, "sched_process_exec" },
		{ b->skel->progs.asr_exit, &b->skel->links.asr_exit, "sched_process_exit" },
		{ b->skel->progs.asr_sys_exit, &b->skel->links.asr_sys_exit, "sys_exit" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		*t[i].l = bpf_program__attach(t[i].p);
		if (!*t[i].l) {
			char what[96];

			snprintf(what, sizeof(what), "cannot attach tp_btf/%s", t[i].name);
			return fail(err, len, -errno, what);
		}
	}
	/*
	 * close's entry: its own syscall event is cheaper for the other
	 * syscalls (sys.bpf.h) but needs tracefs, which may not be mounted;
	 * then the raw sys_enter tracepoint, which always works.
	 */
	if (close_event_exists()) {
		b->skel->links.asr_close_enter =
			bpf_program__attach(b->skel->progs.asr_close_enter);
		if (b->skel->links.asr_close_enter)
			return 0;
	}
	b->close_raw = 1;
	b->skel->links.asr_sys_enter = bpf_program__attach(b->skel->progs.asr_sys_enter);
	if (!b->skel->links.asr_sys_enter)
		return fail(err, len, -errno, "cannot attach tp_btf/sys_enter");
	return 0;
}

/*
 * After adding a target: its threads may have asked the filter already and
 * keep its "no" until the generation moves (common.bpf.h traced_slot).
 */
static void targets_changed(struct rec_bpf *b)
{
	__atomic_fetch_add(&b->skel->bss->targets_gen, 1, __ATOMIC_SEQ_CST);
}

int rec_bpf_target_add(struct rec_bpf *b, uint32_t tgid)
{
	uint32_t one = 1;

	if (bpf_map__update_elem(b->skel->maps.targets, &tgid, sizeof(tgid), &one, sizeof(one),
				 BPF_ANY))
		return -errno;
	targets_changed(b);
	return 0;
}

int rec_bpf_target_add_new(struct rec_bpf *b, uint32_t tgid)
{
	uint32_t one = 1;

	if (!bpf_map__update_elem(b->skel->maps.targets, &tgid, sizeof(tgid), &one, sizeof(one),
				  BPF_NOEXIST)) {
		targets_changed(b);
		return 1;
	}
	return errno == EEXIST ? 0 : -errno;
}

size_t rec_bpf_targets_prune(struct rec_bpf *b, uint32_t *buf, size_t max)
{
	size_t n = rec_bpf_targets(b, buf, max), i, gone = 0;

	for (i = 0; i < n; i++)
		if (kill((pid_t)buf[i], 0) && errno == ESRCH &&
		    !bpf_map__delete_elem(b->skel->maps.targets, &buf[i], sizeof(buf[i]), 0))
			gone++;
	return gone;
}

size_t rec_bpf_targets(struct rec_bpf *b, uint32_t *out, size_t max)
{
	uint32_t key, next;
	size_t n = 0;
	int fd = bpf_map__fd(b->skel->maps.targets);
	void *prev = NULL;

	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		out[n++] = next;
		key = next;
		prev = &key;
	}
	return n;
}

void rec_bpf_forget_file(struct rec_bpf *b, uint64_t ino, uint32_t dev)
{
	struct {
		uint64_t ino;
		uint32_t dev, pad;
	} k = { ino, dev, 0 };

	bpf_map__delete_elem(b->skel->maps.seen_files, &k, sizeof(k), 0);
}

int rec_bpf_uprobe(struct rec_bpf *b, const char *path, uint64_t offset, int retprobe,
		   uint64_t cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = retprobe, .bpf_cookie = cookie);
	struct bpf_program *p = retprobe ? b->skel->progs.asr_tls_ret : b->skel->progs.asr_tls_enter;
	struct bpf_link *l;

	/* aws-lc AEAD calls have programs of their own (bpf/tls_aead.bpf.h);
	 * a seal is copied at entry and needs no return probe */
	if (ASR_CK_FUNC(cookie) == ASR_TLS_AEAD_SEAL ||
	    ASR_CK_FUNC(cookie) == ASR_TLS_AEAD_SEAL_SCATTER) {
		if (retprobe)
			return 0;
		p = b->skel->progs.asr_aead_seal;
	} else if (ASR_CK_FUNC(cookie) == ASR_TLS_AEAD_OPEN) {
		p = retprobe ? b->skel->progs.asr_aead_open_ret : b->skel->progs.asr_aead_open;
	}

	if (b->nlinks == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		struct bpf_link **n = realloc(b->links, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		b->links = n;
		b->cap = cap;
	}
	l = bpf_program__attach_uprobe_opts(p, -1, path, offset, &o);
	if (!l)
		return -errno;
	b->links[b->nlinks++] = l;
	return 0;
}

int rec_bpf_ncpu(const struct rec_bpf *b)
{
	return b->ncpu;
}

int rec_bpf_counters(struct rec_bpf *b, struct asr_counters *out)
{
	int fd = bpf_map__fd(b->skel->maps.counters);
	uint32_t k;

	for (k = 0; k < ASR_P_NR; k++)
		if (bpf_map_lookup_elem(fd, &k, out + (size_t)k * b->ncpu))
			return -errno;
	return 0;
}

int rec_bpf_stopped_fd(const struct rec_bpf *b)
{
	return bpf_map__fd(b->skel->maps.stopped_pids);
}

const int *rec_bpf_ring_fds(const struct rec_bpf *b, size_t *n)
{
	*n = (size_t)b->ncpu;
	return b->ring_fds;
}

size_t rec_bpf_ring_bytes(const struct rec_bpf *b)
{
	return b->ring_bytes;
}

void rec_bpf_close(struct rec_bpf *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->nlinks; i++)
		bpf_link__destroy(b->links[i]);
	free(b->links);
	for (i = 0; b->ring_fds && i < (size_t)b->ncpu; i++)
		if (b->ring_fds[i] >= 0)
			close(b->ring_fds[i]);
	free(b->ring_fds);
	asrecord_bpf__destroy(b->skel);
	free(b);
}
