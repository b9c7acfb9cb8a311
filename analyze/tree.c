/* SPDX-License-Identifier: MIT */
/*
 * tree.c - process model from PROC snapshots and FORK/EXEC/EXIT records.
 */
#include "tree.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* /proc/PID/stat start times have clock-tick (10 ms) resolution, the
 * kernel's task start_time nanoseconds; both name the same process. */
#define TREE_SNAP_SLACK_NS 20000000ull

static struct au_key key2(uint32_t pid, uint64_t start)
{
	struct au_key k = { pid, start, 0 };

	return k;
}

static struct au_key key1(uint32_t pid)
{
	struct au_key k = { pid, 0, 1 };

	return k;
}

int tree_new(struct tree **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

/* An argv is one block: the pointers, then the strings they point to (a
 * malloc and a free each instead of one per argument). */
static void free_argv(char **argv, uint32_t argc)
{
	(void)argc;
	free(argv);
}

/* A block of @n pointers (zeroed) and @bytes for the strings. */
static char **argv_block(uint32_t n, size_t bytes, char **strings)
{
	size_t ptrs = (n ? n : 1) * sizeof(char *);
	char **v = malloc(ptrs + bytes);

	if (v) {
		memset(v, 0, ptrs);
		*strings = (char *)v + ptrs;
	}
	return v;
}

static void proc_free(struct tree_proc *p)
{
	size_t i;

	for (i = 0; i < p->nexecs; i++) {
		free(p->execs[i].filename);
		free(p->execs[i].cwd);
		free_argv(p->execs[i].argv, p->execs[i].argc);
	}
	free(p->execs);
	free(p->exe);
	free(p->cwd);
	free_argv(p->argv, p->argc);
	free(p);
}

void tree_free(struct tree *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) /* the retired ones too, until a sweep */
		proc_free(t->procs[i]);
	free(t->procs);
	free(t->dead);
	free(t->exitq);
	au_map_release(&t->by_key);
	au_map_release(&t->by_pid);
	free(t);
}

struct tree_proc *tree_get(const struct tree *t, uint32_t pid, uint64_t start_ns)
{
	struct tree_proc *p = au_map_get(&t->by_key, key2(pid, start_ns));

	/* retired, freed at the next sweep: a record of it after the grace
	 * (a damaged capture) makes a new placeholder, which nothing freed
	 * is linked to */
	return p && !p->retired ? p : NULL;
}

struct tree_proc *tree_ref(struct tree *t, uint32_t pid, uint64_t start_ns, uint64_t ts)
{
	struct tree_proc *p = tree_get(t, pid, start_ns), **slot;

	if (p)
		return p;
	p = au_map_get(&t->by_pid, key1(pid));
	if (p && p->from_snapshot &&
	    (start_ns > p->start_ns ? start_ns - p->start_ns : p->start_ns - start_ns) <
		    TREE_SNAP_SLACK_NS) {
		/* /proc gives start times in clock ticks: the same process */
		return au_map_put(&t->by_key, key2(pid, start_ns), p) ? NULL : p;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	slot = au_push(&t->procs, &t->n, &t->cap, sizeof(*slot));
	if (!slot || au_map_put(&t->by_key, key2(pid, start_ns), p) ||
	    au_map_put(&t->by_pid, key1(pid), p)) {
		if (slot)
			t->n--;
		free(p);
		return NULL;
	}
	*slot = p;
	p->id = ++t->nids;
	p->pid = pid;
	p->start_ns = start_ns;
	p->t_start = ts;
	p->placeholder = 1;
	return p;
}

static void link_child(struct tree_proc *parent, struct tree_proc *c)
{
	if (c->parent || parent == c || tree_is_descendant(parent, c))
		return;
	c->parent = parent;
	if (parent->last_child)
		parent->last_child->sibling = c;
	else
		parent->child = c;
	parent->last_child = c;
}

int tree_is_descendant(const struct tree_proc *p, const struct tree_proc *anc)
{
	for (; p; p = p->parent)
		if (p == anc)
			return 1;
	return 0;
}

/* Split @n NUL-terminated strings from data; the rest is returned via @used. */
static char **split_strings(const uint8_t *d, size_t len, uint32_t n, uint32_t *got, size_t *used)
{
	size_t off = 0, bytes = 0;
	uint32_t i, k;
	char **v, *o;

	*got = 0;
	for (k = 0; k < n && off < len; k++) { /* how many, how long */
		const uint8_t *z = memchr(d + off, 0, len - off);
		size_t l = z ? (size_t)(z - (d + off)) : len - off;

		bytes += l + 1;
		off += l + (z ? 1 : 0);
	}
	v = argv_block(n, bytes, &o);
	if (!v)
		return NULL;
	for (off = 0, i = 0; i < k; i++) {
		const uint8_t *z = memchr(d + off, 0, len - off);
		size_t l = z ? (size_t)(z - (d + off)) : len - off;

		memcpy(o, d + off, l);
		o[l] = 0;
		v[i] = o;
		o += l + 1;
		off += l + (z ? 1 : 0);
	}
	*got = k;
	*used = off;
	return v;
}

static void set_argv(struct tree_proc *p, char **argv, uint32_t argc)
{
	uint32_t i;

	size_t bytes = 0, l;
	char *o;

	free_argv(p->argv, p->argc);
	for (i = 0; i < argc; i++)
		bytes += argv[i] ? strlen(argv[i]) + 1 : 0;
	p->argv = argv_block(argc, bytes, &o);
	p->argc = 0;
	for (i = 0; p->argv && i < argc; i++) {
		if (!argv[i])
			continue;
		l = strlen(argv[i]) + 1;
		p->argv[i] = memcpy(o, argv[i], l);
		o += l;
		p->argc++;
	}
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = au_strdup(s);
}

static struct tree_proc *alive_at(const struct tree *t, uint32_t pid, uint64_t ts,
				  const struct tree_proc *not);

static void unlink_child(struct tree_proc *p);
static void retire(struct tree *t, struct tree_proc *p);

/*
 * Retiring: a process is linked by its ppid as soon as it has one
 * (feed_exec), not by tree_finish at the end, so that its parent cannot
 * have retired by then.  A snapshot (a rotated file's, in the middle of
 * the capture) gives @p the ppid tree_finish will use (its parent may
 * have exited since the exec: reparented) and its start: link @p by what
 * tree_finish would pick, now, while that parent is surely still there.
 * A fork's link stays, as it would.
 */
static void ppid_link(struct tree *t, struct tree_proc *p)
{
	struct tree_proc *par, *old;

	if (!t->on_retire || (p->parent && !p->by_ppid))
		return;
	par = p->ppid ? alive_at(t, p->ppid, p->t_start, p) : NULL;
	old = p->parent;
	if (par == old)
		return;
	if (old) {
		unlink_child(p);
		p->parent = NULL;
	}
	if (par)
		link_child(par, p);
	p->by_ppid = p->parent != NULL;
	if (old) /* it may have waited for this child only */
		retire(t, old);
}

static int feed_proc(struct tree *t, const struct cap_rec *rec)
{
	struct cap_proc cp;
	struct tree_proc *p;
	const uint8_t *d = rec->data;
	size_t len = rec->data_len, off = 0, used;
	char *exe, *cwd;
	char **argv;
	uint32_t argc;

	cap_rec_fixed(rec, &cp, sizeof(cp));
	p = tree_ref(t, rec->hdr.pid, rec->hdr.task_start_ns, rec->hdr.ts_ns);
	if (!p)
		return -ENOMEM;
	p->placeholder = 0;
	p->from_snapshot = 1;
	p->ppid = cp.ppid;
	p->uid = cp.uid;
	p->uid_known = 1;
	memcpy(p->comm, cp.comm, 16);
	if (cp.exe_len > len || cp.cwd_len > len - cp.exe_len ||
	    cp.cgroup_len > len - cp.exe_len - cp.cwd_len) {
		ppid_link(t, p);
		return 0; /* lengths do not fit: keep what the fixed part said */
	}
	exe = au_strndup(d, cp.exe_len ? strnlen((const char *)d, cp.exe_len) : 0);
	off = cp.exe_len;
	cwd = au_strndup(d + off, cp.cwd_len ? strnlen((const char *)d + off, cp.cwd_len) : 0);
	off += cp.cwd_len + cp.cgroup_len;
	free(p->exe);
	free(p->cwd);
	p->exe = exe;
	p->cwd = cwd;
	argv = split_strings(d + off, len - off, cp.argc, &argc, &used);
	if (argv) {
		set_argv(p, argv, argc);
		free_argv(argv, argc);
	}
	/* task_start_ns shares the clock of ts_ns, so it is the real start */
	if (rec->hdr.task_start_ns && rec->hdr.task_start_ns <= rec->hdr.ts_ns)
		p->t_start = rec->hdr.task_start_ns;
	ppid_link(t, p);
	return 0;
}

static int feed_fork(struct tree *t, const struct cap_rec *rec)
{
	struct cap_fork f;
	struct tree_proc *parent, *c;

	cap_rec_fixed(rec, &f, sizeof(f));
	parent = tree_ref(t, f.parent_pid, f.parent_start_ns, rec->hdr.ts_ns);
	if (!parent)
		return -ENOMEM;
	if (f.is_thread || f.child_pid == f.parent_pid) {
		parent->nthreads++;
		return 0;
	}
	c = tree_ref(t, f.child_pid, f.child_start_ns, rec->hdr.ts_ns);
	if (!c)
		return -ENOMEM;
	c->placeholder = 0;
	c->t_start = rec->hdr.ts_ns;
	c->ppid = f.parent_pid;
	/* a child inherits its parent's image until it execs */
	if (!c->argv && parent->argv)
		set_argv(c, parent->argv, parent->argc);
	if (!c->exe && parent->exe)
		c->exe = au_strdup(parent->exe);
	if (!c->cwd && parent->cwd)
		c->cwd = au_strdup(parent->cwd);
	if (parent->uid_known) {
		c->uid = parent->uid;
		c->uid_known = 1;
	}
	memcpy(c->comm, parent->comm, sizeof(c->comm));
	link_child(parent, c);
	return 0;
}

static int feed_exec(struct tree *t, const struct cap_rec *rec)
{
	struct cap_exec e;
	struct tree_proc *p;
	struct tree_exec *x;
	const uint8_t *d = rec->data;
	size_t len = rec->data_len, used = 0, l;
	uint32_t got;

	cap_rec_fixed(rec, &e, sizeof(e));
	p = tree_ref(t, rec->hdr.pid, rec->hdr.task_start_ns, rec->hdr.ts_ns);
	if (!p)
		return -ENOMEM;
	x = au_push(&p->execs, &p->nexecs, &p->cexecs, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->ts = rec->hdr.ts_ns;
	if (e.cwd_len <= len) {
		const char *cwd = (const char *)d + len - e.cwd_len;

		x->cwd = e.cwd_len ? au_strndup(cwd, strnlen(cwd, e.cwd_len)) : NULL;
		len -= e.cwd_len;
	}
	l = strnlen((const char *)d, len);
	x->filename = au_strndup(d, l);
	used = l < len ? l + 1 : len;
	x->argv = split_strings(d + used, len - used, e.argc, &got, &l);
	x->argc = got;
	x->truncated = got < e.argc || (rec->hdr.flags & CAP_RF_TRUNC);
	p->placeholder = 0;
	if (!p->ppid)
		p->ppid = e.ppid;
	/* retiring: its parent by ppid now (as tree_finish would at the end),
	 * while the parent is surely still there to be found */
	if (t->on_retire && !p->parent && p->ppid && !p->from_snapshot) {
		struct tree_proc *par = alive_at(t, p->ppid, p->t_start, p);

		if (par)
			link_child(par, p);
		p->by_ppid = p->parent != NULL;
	}
	p->uid = e.uid;
	p->uid_known = 1;
	memcpy(p->comm, e.comm, 16);
	set_str(&p->exe, x->filename);
	if (x->cwd)
		set_str(&p->cwd, x->cwd);
	if (x->argv)
		set_argv(p, x->argv, x->argc);
	return 0;
}

static int feed_exit(struct tree *t, const struct cap_rec *rec)
{
	struct cap_exit e;
	struct tree_proc *p;

	cap_rec_fixed(rec, &e, sizeof(e));
	if (e.is_thread)
		return 0;
	p = tree_ref(t, rec->hdr.pid, rec->hdr.task_start_ns, rec->hdr.ts_ns);
	if (!p)
		return -ENOMEM;
	if (t->on_retire && !p->exited &&
	    !au_push(&t->exitq, &t->qn, &t->qcap, sizeof(*t->exitq)))
		return -ENOMEM;
	if (t->on_retire && !p->exited)
		t->exitq[t->qn - 1] = p;
	p->exited = 1;
	p->t_end = rec->hdr.ts_ns;
	p->exit_status = e.exit_code;
	if (!p->comm[0])
		memcpy(p->comm, e.comm, 16);
	return 0;
}

int tree_feed(struct tree *t, const struct cap_rec *rec)
{
	uint64_t ts = rec->hdr.ts_ns;

	if (rec->hdr.type == CAP_REC_PROC || rec->hdr.type == CAP_REC_FORK ||
	    rec->hdr.type == CAP_REC_EXEC || rec->hdr.type == CAP_REC_EXIT) {
		if (!t->first_ts || ts < t->first_ts)
			t->first_ts = ts;
		if (ts > t->last_ts)
			t->last_ts = ts;
	}
	switch (rec->hdr.type) {
	case CAP_REC_PROC:
		return feed_proc(t, rec);
	case CAP_REC_FORK:
		return feed_fork(t, rec);
	case CAP_REC_EXEC:
		return feed_exec(t, rec);
	case CAP_REC_EXIT:
		return feed_exit(t, rec);
	default:
		return 0;
	}
}

/* ---- retiring final processes (streaming) ---- */

void tree_retire_start(struct tree *t, uint64_t grace_ns,
		       void (*on_retire)(void *ctx, struct tree_proc *p), void *ctx)
{
	t->grace_ns = grace_ns;
	t->on_retire = on_retire;
	t->retire_ctx = ctx;
}

/* Final, and nothing points to it: see tree.h.  A process linked only by
 * ppid (snapshot, placeholder) keeps its row until tree_finish's. */
static int can_retire(const struct tree_proc *p)
{
	return p->graced && !p->retired && !p->holds && !p->child && !p->pinned && p->parent &&
	       !p->from_snapshot && !p->placeholder;
}

/* Out of its parent's children; usually the first of them (the oldest
 * still there), so the walk is short. */
static void unlink_child(struct tree_proc *p)
{
	struct tree_proc *par = p->parent, *c, *prev = NULL;

	for (c = par->child; c && c != p; c = c->sibling)
		prev = c;
	if (!c)
		return;
	if (prev)
		prev->sibling = p->sibling;
	else
		par->child = p->sibling;
	if (par->last_child == p)
		par->last_child = prev;
	p->sibling = NULL;
}

/* @p, then each ancestor it was the last child of. */
static void retire(struct tree *t, struct tree_proc *p)
{
	struct tree_proc **slot;

	for (; p && can_retire(p); p = p->parent) {
		slot = au_push(&t->dead, &t->ndead, &t->cdead, sizeof(*slot));
		if (!slot)
			return; /* kept: its row is written with the others at the end */
		*slot = p;
		t->on_retire(t->retire_ctx, p);
		p->retired = 1;
		/* p->parent stays: freed at the same sweep as p or a later one */
		unlink_child(p);
	}
}

void tree_unhold(struct tree *t, struct tree_proc *p)
{
	if (p->holds && !--p->holds && t->on_retire)
		retire(t, p);
}

static int drop_retired(void *ctx, struct au_key k, void *v)
{
	(void)ctx;
	(void)k;
	return ((const struct tree_proc *)v)->retired;
}

void tree_sweep(struct tree *t)
{
	size_t i, o;

	if (!t->ndead)
		return;
	/* no memory: they stay found and are freed at the next sweep */
	if (au_map_drop(&t->by_key, drop_retired, NULL) ||
	    au_map_drop(&t->by_pid, drop_retired, NULL))
		return;
	for (i = o = 0; i < t->n; i++)
		if (!t->procs[i]->retired)
			t->procs[o++] = t->procs[i];
	t->n = o;
	for (i = 0; i < t->ndead; i++)
		proc_free(t->dead[i]);
	t->ndead = 0;
}

void tree_advance(struct tree *t, uint64_t ts)
{
	struct tree_proc *p;

	if (!t->on_retire)
		return;
	if (ts > t->now)
		t->now = ts;
	while (t->qhead < t->qn && (p = t->exitq[t->qhead])->t_end + t->grace_ns <= t->now) {
		t->qhead++;
		p->graced = 1;
		retire(t, p);
	}
	if (t->qhead > 1024 && t->qhead * 2 > t->qn) {
		memmove(t->exitq, t->exitq + t->qhead, (t->qn - t->qhead) * sizeof(*t->exitq));
		t->qn -= t->qhead;
		t->qhead = 0;
	}
	/* the maps are rebuilt to drop them: not for every process */
	if (t->ndead >= 1024 && t->ndead * 4 >= t->n)
		tree_sweep(t);
}

struct tree_proc *tree_by_id(const struct tree *t, uint64_t id)
{
	size_t lo = 0, hi = t->n, mid;
	struct tree_proc *p = NULL;

	if (!id || id > t->nids)
		return NULL;
	if (t->n == t->nids) {
		p = t->procs[id - 1];
	} else {
		while (lo < hi) { /* kept in id order */
			mid = lo + (hi - lo) / 2;
			if (t->procs[mid]->id < id)
				lo = mid + 1;
			else
				hi = mid;
		}
		p = lo < t->n && t->procs[lo]->id == id ? t->procs[lo] : NULL;
	}
	return p && !p->retired ? p : NULL;
}

/* The process with @pid alive at @ts (the latest started before it). */
static struct tree_proc *alive_at(const struct tree *t, uint32_t pid, uint64_t ts,
				  const struct tree_proc *not)
{
	struct tree_proc *best = NULL;
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct tree_proc *p = t->procs[i];

		if (p == not || p->pid != pid || p->t_start > ts || p->retired)
			continue;
		if (p->exited && p->t_end < ts)
			continue;
		if (!best || p->t_start > best->t_start)
			best = p;
	}
	return best;
}

void tree_finish(struct tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct tree_proc *p = t->procs[i], *par;

		if (p->parent || !p->ppid)
			continue;
		par = alive_at(t, p->ppid, p->t_start, p);
		if (par)
			link_child(par, p);
	}
}

const char *tree_proc_name(const struct tree_proc *p)
{
	const char *s;

	if (p->argc && p->argv[0][0]) {
		s = strrchr(p->argv[0], '/');
		return s ? s + 1 : p->argv[0];
	}
	if (p->comm[0])
		return p->comm;
	s = p->exe ? strrchr(p->exe, '/') : NULL;
	return s ? s + 1 : p->exe ? p->exe : "?";
}

const char *tree_status_str(const struct tree_proc *p, char *buf, size_t size)
{
	int sig;

	if (!p->exited)
		return "running";
	sig = p->exit_status & 0x7f;
	if (sig) {
		const char *n = sigabbrev_np(sig);

		if (n)
			snprintf(buf, size, "SIG%s", n);
		else
			snprintf(buf, size, "signal %d", sig);
	} else {
		snprintf(buf, size, "%d", (p->exit_status >> 8) & 0xff);
	}
	return buf;
}

static int needs_quote(const char *s)
{
	if (!*s)
		return 1;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "-_./=:,+@%", *s))
			return 1;
	return 0;
}

char *tree_argv_join(char *const *argv, uint32_t argc)
{
	size_t cap = 1, i, o = 0;
	char *s;

	for (i = 0; i < argc; i++)
		cap += strlen(argv[i]) * 4 + 3;
	s = malloc(cap);
	if (!s)
		return NULL;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (i)
			s[o++] = ' ';
		if (!needs_quote(a)) {
			memcpy(s + o, a, strlen(a));
			o += strlen(a);
			continue;
		}
		s[o++] = '\'';
		for (; *a; a++) {
			if (*a == '\'') {
				memcpy(s + o, "'\\''", 4);
				o += 4;
			} else {
				s[o++] = *a;
			}
		}
		s[o++] = '\'';
	}
	s[o] = 0;
	return s;
}
