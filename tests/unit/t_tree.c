/* SPDX-License-Identifier: MIT */
/*
 * t_tree.c - the process model: snapshot + fork/exec/exit, identity by
 * (pid, task_start_ns) so a reused pid is a new process, threads folded in,
 * /proc tick-rounded start times matched to the kernel's nanoseconds,
 * exit statuses and argv quoting; retiring final processes (the streaming
 * export): leaf first, not while held or while a descendant runs, ids
 * never given again.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/tree.h"
#include "tests/harness.h"

static void rec(struct tree *t, uint16_t type, uint64_t ts, uint32_t pid, uint64_t start,
		const void *fixed, size_t flen, const void *data, size_t dlen)
{
	struct cap_rec r = { 0 };

	r.hdr.type = type;
	r.hdr.ts_ns = ts;
	r.hdr.pid = pid;
	r.hdr.task_start_ns = start;
	r.fixed = fixed;
	r.fixed_len = r.hdr.fixed_len = (uint16_t)flen;
	r.data = data;
	r.data_len = r.hdr.cap_len = (uint32_t)dlen;
	CHECK_EQ_U(tree_feed(t, &r), 0);
}

static void fork_(struct tree *t, uint64_t ts, uint32_t pp, uint64_t ps, uint32_t c, uint64_t cs,
		  int thread)
{
	struct cap_fork f = { .parent_pid = pp, .parent_start_ns = ps, .child_pid = c,
			      .child_start_ns = cs, .is_thread = (uint32_t)thread };

	rec(t, CAP_REC_FORK, ts, pp, ps, &f, sizeof(f), NULL, 0);
}

static void exec_(struct tree *t, uint64_t ts, uint32_t pid, uint64_t start, const char *d,
		  size_t n, uint32_t argc, uint32_t cwd_len)
{
	struct cap_exec e = { .uid = 1000, .argc = argc, .cwd_len = cwd_len };

	rec(t, CAP_REC_EXEC, ts, pid, start, &e, sizeof(e), d, n);
}

static void exit_(struct tree *t, uint64_t ts, uint32_t pid, uint64_t start, int status)
{
	struct cap_exit x = { .exit_code = status };

	rec(t, CAP_REC_EXIT, ts, pid, start, &x, sizeof(x), NULL, 0);
}

TEST(pid_reuse_threads_snapshot)
{
	static const char snap[] = "/usr/bin/bash\0/home/u\0/\0bash\0-l";
	static const char ex[] = "/bin/sh\0sh\0-c\0echo 'hi'\0/tmp";
	struct cap_proc p = { .ppid = 1, .uid = 1000, .argc = 2, .exe_len = 14, .cwd_len = 8,
			      .cgroup_len = 2 };
	struct tree *t;
	struct tree_proc *a, *b, *sh;
	char buf[32], *line;

	tree_new(&t);
	/* /proc says 10 ms ticks: 5.00 s; the kernel says 5.003 s */
	rec(t, CAP_REC_PROC, 9000000000ull, 50, 5000000000ull, &p, sizeof(p), snap, sizeof(snap));
	fork_(t, 10000000000ull, 50, 5003000000ull, 60, 10000000001ull, 0);
	fork_(t, 10000000100ull, 60, 10000000001ull, 60, 10000000001ull, 1); /* thread */
	exec_(t, 10000000200ull, 60, 10000000001ull, ex, sizeof(ex), 3, 5);
	exit_(t, 12000000000ull, 60, 10000000001ull, 2 << 8);
	fork_(t, 13000000000ull, 50, 5003000000ull, 60, 13000000000ull, 0); /* pid reused */
	exit_(t, 14000000000ull, 60, 13000000000ull, 9);
	tree_finish(t);
	CHECK_EQ_U(t->n, 3);
	sh = t->procs[0];
	a = tree_get(t, 60, 10000000001ull);
	b = tree_get(t, 60, 13000000000ull);
	CHECK(a && b && a != b);
	CHECK(tree_get(t, 50, 5003000000ull) == sh); /* tick-rounded snapshot matched */
	if (!a || !b)
		goto out;
	CHECK(a->parent == sh && b->parent == sh && sh->child == a && a->sibling == b);
	CHECK_EQ_U(a->nthreads, 1);
	CHECK_EQ_U(sh->nthreads, 0);
	CHECK_STR(a->exe, "/bin/sh");
	CHECK_STR(a->cwd, "/tmp");
	CHECK_EQ_U(a->argc, 3);
	line = tree_argv_join(a->argv, a->argc);
	CHECK_STR(line, "sh -c 'echo '\\''hi'\\'''");
	free(line);
	CHECK_STR(tree_status_str(a, buf, sizeof(buf)), "2");
	CHECK_STR(tree_status_str(b, buf, sizeof(buf)), "SIGKILL");
	CHECK_STR(tree_status_str(sh, buf, sizeof(buf)), "running");
	CHECK_STR(b->argv[0], "bash"); /* inherits the parent's image until exec */
	CHECK_EQ_U(a->t_end - a->t_start, 2000000000ull);
out:
	tree_free(t);
}

TEST(thread_fork_counts)
{
	struct tree *t;

	tree_new(&t);
	fork_(t, 1, 70, 7, 71, 7, 1);
	fork_(t, 2, 70, 7, 72, 7, 1);
	CHECK_EQ_U(t->n, 1);
	CHECK_EQ_U(t->procs[0]->nthreads, 2);
	tree_free(t);
}

/* tree_retire_start: the ids given to on_retire, in order */
struct retired {
	uint64_t ids[16];
	size_t n;
};

static void on_retire(void *ctx, struct tree_proc *p)
{
	struct retired *r = ctx;

	if (r->n < 16)
		r->ids[r->n++] = p->id;
}

#define S 1000000000ull

TEST(retire_final_processes)
{
	static const char snap[] = "/usr/bin/node\0/\0/\0node";
	struct cap_proc sp = { .ppid = 1, .argc = 1, .exe_len = 14, .cwd_len = 2,
			       .cgroup_len = 2 };
	struct retired r = { { 0 }, 0 };
	struct tree *t;
	struct tree_proc *a, *b, *c, *d;

	tree_new(&t);
	tree_retire_start(t, 5 * S, on_retire, &r);
	rec(t, CAP_REC_PROC, 1 * S, 10, 1, &sp, sizeof(sp), snap, sizeof(snap)); /* agent: 1 */
	fork_(t, 2 * S, 10, 1, 20, 2 * S, 0);          /* a: 2, its child b: 3, grandchild c: 4 */
	fork_(t, 3 * S, 20, 2 * S, 21, 3 * S, 0);
	fork_(t, 4 * S, 21, 3 * S, 22, 4 * S, 0);
	exit_(t, 5 * S, 20, 2 * S, 0);
	exit_(t, 6 * S, 21, 3 * S, 0);
	a = tree_get(t, 20, 2 * S);
	b = tree_get(t, 21, 3 * S);
	c = tree_get(t, 22, 4 * S);
	tree_advance(t, 20 * S);
	/* exited long ago, but a running grandchild walks up through them */
	CHECK_EQ_U(r.n, 0);
	CHECK(c && c->parent == b && b->parent == a);
	tree_hold(c);
	exit_(t, 21 * S, 22, 4 * S, 0);
	tree_advance(t, 30 * S);
	CHECK_EQ_U(r.n, 0); /* held */
	fork_(t, 31 * S, 10, 1, 20, 31 * S, 0);        /* pid 20 reused: d, 5 */
	tree_unhold(t, c);                             /* then c, b and a go, leaf first */
	CHECK_EQ_U(r.n, 3);
	CHECK(r.ids[0] == 4 && r.ids[1] == 3 && r.ids[2] == 2);
	tree_sweep(t);
	CHECK_EQ_U(t->n, 2);
	CHECK(!tree_get(t, 20, 2 * S) && !tree_get(t, 22, 4 * S));
	d = tree_get(t, 20, 31 * S);
	CHECK(d && d->id == 5 && tree_by_id(t, 5) == d && !tree_by_id(t, 3));
	CHECK(tree_by_id(t, 1) && tree_by_id(t, 1)->child == d && !d->sibling);
	exit_(t, 32 * S, 20, 31 * S, 0);
	tree_pin(d);
	exit_(t, 33 * S, 10, 1, 0);                    /* a snapshot process stays */
	tree_advance(t, 60 * S);
	CHECK_EQ_U(r.n, 3);                            /* d is pinned */
	CHECK_EQ_U(t->nids, 5);
	tree_free(t);
}

int main(void)
{
	RUN(pid_reuse_threads_snapshot);
	RUN(thread_fork_counts);
	RUN(retire_final_processes);
	return harness_done();
}
