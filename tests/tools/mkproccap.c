/* SPDX-License-Identifier: MIT */
/*
 * mkproccap.c - a capture whose process table is what is hard for the
 * streaming export, which writes and frees a process once it is final
 * (asanalyze(1), tree.h "retiring"): an agent (a snapshot process with one
 * TLS connection to an LLM API) answers each call with a tool call; the
 * tool is a chain of 2 to 5 processes (sh -> make -> make -> ... -> cc),
 * every process but the last exits at once, and the last one, a grandchild
 * or deeper whose parents have all exited long ago (more than the 5 s
 * after which a process may be retired), then writes a file and connects:
 * tool effects of a process whose ancestors are gone.  Meanwhile many
 * short-lived processes (a thread each, the thread exits first), pids
 * reused from a pool of 40, a process first seen through a file record
 * whose parent is known only from its exec (linked by ppid), one that
 * never exits every 50 rounds, and a second LLM call per round that names
 * no tool.  Deterministic but for the clock anchor.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "format/cap_record.h"
#include "format/cap_writer.h"

#define AGENT 1000u
#define POOL 40u /* pids 3000..3039, reused */

struct gen {
	struct cap_writer *w;
	uint64_t now, seq, agent_start;
	uint32_t next;   /* the next pid of the pool */
	int rc;
};

static uint64_t gen_clock(void *ctx)
{
	return ((struct gen *)ctx)->now;
}

/* One record @step ns after the last. */
static void emit(struct gen *g, uint64_t step, uint16_t type, uint32_t pid, uint64_t start,
		 const void *fixed, size_t flen, const void *data, size_t dlen)
{
	struct cap_rec_hdr h = { 0 };

	if (g->rc)
		return;
	g->now += step;
	h.type = type;
	h.cpu = (uint32_t)(g->seq % 2);
	h.ts_ns = g->now;
	h.seq = ++g->seq;
	h.pid = pid;
	h.tid = pid;
	h.task_start_ns = start;
	g->rc = cap_writer_add_parts(g->w, &h, fixed, flen, data, dlen);
}

/* Strings with their NULs. */
static size_t strs(char *buf, size_t size, const char *const *v)
{
	size_t n = 0;

	for (; *v && n < size; v++)
		n += (size_t)snprintf(buf + n, size - n, "%s", *v) + 1;
	return n < size ? n : size;
}

static void snapshot(struct gen *g, uint32_t pid, uint32_t ppid, uint64_t start,
		     const char *exe, const char *argv0)
{
	struct cap_proc p = { .ppid = ppid, .uid = 1000, .gid = 1000, .nthreads = 1 };
	const char *v[] = { exe, "/home/user", "/user.slice", argv0, NULL };
	char data[256];
	size_t n = strs(data, sizeof(data), v);

	p.exe_len = (uint32_t)strlen(exe) + 1;
	p.cwd_len = sizeof("/home/user");
	p.cgroup_len = sizeof("/user.slice");
	p.argc = 1;
	snprintf(p.comm, sizeof(p.comm), "%s", argv0);
	emit(g, 1000, CAP_REC_PROC, pid, start, &p, sizeof(p), data, n);
}

/* A new process forked by (ppid, pstart), its pid from the pool unless
 * *pid is set; its start. */
static uint64_t fork_one(struct gen *g, uint32_t ppid, uint64_t pstart, uint32_t *pid)
{
	struct cap_fork f = { .parent_pid = ppid, .parent_tid = ppid, .parent_start_ns = pstart,
			      .clone_flags_lo = 0x1200011 };

	if (!*pid)
		*pid = 3000 + g->next++ % POOL;
	f.child_pid = f.child_tid = *pid;
	f.child_start_ns = g->now + 500;
	emit(g, 20000, CAP_REC_FORK, ppid, pstart, &f, sizeof(f), NULL, 0);
	return f.child_start_ns;
}

static void exec_one(struct gen *g, uint32_t pid, uint64_t start, uint32_t ppid,
		     const char *const *argv)
{
	struct cap_exec e = { .ppid = ppid, .uid = 1000, .gid = 1000, .old_pid = pid };
	char data[512];
	size_t n = strs(data, sizeof(data), (const char *const[]){ argv[0], NULL });

	for (; argv[e.argc]; e.argc++)
		;
	n += strs(data + n, sizeof(data) - n, argv);
	e.cwd_len = sizeof("/tmp/w");
	memcpy(data + n, "/tmp/w", e.cwd_len);
	n += e.cwd_len;
	snprintf(e.comm, sizeof(e.comm), "%s", strrchr(argv[0], '/') + 1);
	emit(g, 30000, CAP_REC_EXEC, pid, start, &e, sizeof(e), data, n);
}

static void exit_one(struct gen *g, uint64_t step, uint32_t pid, uint64_t start, int code,
		     int thread)
{
	struct cap_exit x = { .exit_code = code << 8, .is_thread = (uint32_t)thread };

	emit(g, step, CAP_REC_EXIT, pid, start, &x, sizeof(x), NULL, 0);
}

static void file_op(struct gen *g, uint64_t step, uint16_t type, uint32_t pid, uint64_t start,
		    const char *path, int64_t ret)
{
	struct cap_file f = { .ret = ret, .fd = type == CAP_REC_WRITE ? (int32_t)ret : -100,
			      .flags = O_WRONLY | O_CREAT | O_TRUNC, .mode = 0644 };

	if (type == CAP_REC_WRITE) {
		f.count = 6;
		f.ret = 6;
		emit(g, step, type, pid, start, &f, sizeof(f), "hello\n", 6);
		return;
	}
	emit(g, step, type, pid, start, &f, sizeof(f), path, strlen(path) + 1);
}

static void connect_one(struct gen *g, uint32_t pid, uint64_t start, uint16_t family)
{
	struct cap_net n = { .fd = 20, .family = family, .syscall_nr = 42 };
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };

	if (family == AF_INET) {
		memcpy(n.addr, lo4, 4);
		n.port = 443;
	} else {
		snprintf(n.path, sizeof(n.path), "/run/build.sock");
	}
	emit(g, 40000, CAP_REC_CONNECT, pid, start, &n, sizeof(n), NULL, 0);
}

static void tls(struct gen *g, int dir, const char *p, size_t n)
{
	struct cap_tls t = { .conn = 0x55d0c0de1000ull, .fd = 20, .dir = (uint16_t)dir,
			     .ret = (int64_t)n, .func = dir == CAP_TLS_WRITE ? 1 : 2 };

	emit(g, 50000, CAP_REC_TLS, AGENT, g->agent_start, &t, sizeof(t), p, n);
}

/* One call and its answer: a tool call running @cmd, or (NULL) text. */
static void exchange(struct gen *g, unsigned r, const char *cmd)
{
	char body[256], resp[512], msg[1024];
	int n;

	snprintf(body, sizeof(body), "{\"model\":\"claude-sonnet-4\",\"max_tokens\":512,"
		 "\"messages\":[{\"role\":\"user\",\"content\":\"step %u\"}]}", r);
	if (cmd)
		snprintf(resp, sizeof(resp), "{\"id\":\"msg_%u\",\"type\":\"message\",\"content\":"
			 "[{\"type\":\"tool_use\",\"id\":\"tu_%u\",\"name\":\"bash\",\"input\":"
			 "{\"command\":\"%s\"}}],\"stop_reason\":\"tool_use\",\"usage\":"
			 "{\"input_tokens\":20,\"output_tokens\":9}}", r, r, cmd);
	else
		snprintf(resp, sizeof(resp), "{\"id\":\"msg_%ut\",\"type\":\"message\",\"content\":"
			 "[{\"type\":\"text\",\"text\":\"done %u\"}],\"stop_reason\":\"end_turn\","
			 "\"usage\":{\"input_tokens\":30,\"output_tokens\":3}}", r, r);
	n = snprintf(msg, sizeof(msg), "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n"
		     "content-type: application/json\r\ncontent-length: %zu\r\n\r\n%s",
		     strlen(body), body);
	tls(g, CAP_TLS_WRITE, msg, (size_t)n);
	n = snprintf(msg, sizeof(msg), "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
		     "content-length: %zu\r\n\r\n%s", strlen(resp), resp);
	tls(g, CAP_TLS_READ, msg, (size_t)n);
}

/* Short-lived helpers of the agent, each with a thread that exits first. */
static void helpers(struct gen *g, unsigned r)
{
	const char *argv[] = { "/usr/bin/git", "status", "--short", NULL };
	struct cap_fork th = { .clone_flags_lo = 0x00010000, .is_thread = 1 };
	uint64_t s;
	uint32_t pid;
	unsigned i;

	for (i = 0; i < 4 + r % 3; i++) {
		pid = 0;
		s = fork_one(g, AGENT, g->agent_start, &pid);
		exec_one(g, pid, s, AGENT, argv);
		th.parent_pid = th.child_pid = pid;
		th.parent_tid = pid;
		th.child_tid = pid + 100000;
		th.parent_start_ns = th.child_start_ns = s;
		emit(g, 10000, CAP_REC_FORK, pid, s, &th, sizeof(th), NULL, 0);
		file_op(g, 20000, CAP_REC_OPEN, pid, s, "/home/user/project/.git/index", 3);
		exit_one(g, 10000, pid, s, 0, 1);
		exit_one(g, 20000, pid, s, (int)(i % 2), 0);
	}
}

/* A process first seen through a file record, its parent only by ppid. */
static void stray(struct gen *g, unsigned r)
{
	const char *argv[] = { "/usr/bin/sleep", "1", NULL };
	uint64_t qs, ps = g->now - 7000;
	uint32_t q = 0, p = 20000 + r;

	qs = fork_one(g, AGENT, g->agent_start, &q);
	file_op(g, 30000, CAP_REC_OPEN, p, ps, "/tmp/w/stray.lock", 4);
	exec_one(g, p, ps, q, argv);
	exit_one(g, 40000, q, qs, 0, 0);
	exit_one(g, 40000, p, ps, 0, 0);
}

static void round_of(struct gen *g, unsigned r)
{
	char cmd[64], out[64];
	const char *sh[] = { "/bin/sh", "-c", cmd, NULL };
	const char *mk[] = { "/usr/bin/make", "-C", "/tmp/w", cmd + 5, NULL };
	const char *cc[] = { "/usr/bin/cc", "-o", out, "main.c", NULL };
	uint32_t pid[6] = { 0 }, depth = 2 + r % 4, i;
	uint64_t st[6];

	snprintf(cmd, sizeof(cmd), "make step-%u", r);
	snprintf(out, sizeof(out), "/tmp/w/out-%u", r);
	exchange(g, r, cmd);
	st[0] = fork_one(g, AGENT, g->agent_start, &pid[0]);
	exec_one(g, pid[0], st[0], AGENT, sh);
	for (i = 1; i <= depth; i++) {
		st[i] = fork_one(g, pid[i - 1], st[i - 1], &pid[i]);
		exec_one(g, pid[i], st[i], pid[i - 1], i < depth ? mk : cc);
	}
	for (i = 0; i < depth; i++) /* every parent goes before the last one works */
		exit_one(g, 30000, pid[i], st[i], 0, 0);
	helpers(g, r);
	if (r % 10 == 3)
		stray(g, r);
	/* long after its parents: the last of the chain does the work */
	file_op(g, 7000000000ull, CAP_REC_OPEN, pid[depth], st[depth], out, 5);
	file_op(g, 20000, CAP_REC_WRITE, pid[depth], st[depth], NULL, 5);
	connect_one(g, pid[depth], st[depth], AF_UNIX);
	exit_one(g, 30000, pid[depth], st[depth], r % 7 == 6 ? 2 : 0, 0);
	if (r % 50 == 10) { /* a daemon that outlives the capture */
		const char *d[] = { "/usr/bin/watchman", "--foreground", NULL };
		uint32_t dp = 9000 + r; /* not from the pool: it lives on */
		uint64_t ds = fork_one(g, AGENT, g->agent_start, &dp);

		exec_one(g, dp, ds, AGENT, d);
	}
	exchange(g, r, NULL);
}

int main(int argc, char **argv)
{
	struct gen g = { 0 };
	struct cap_writer_opts o;
	struct cap_err err;
	struct timespec ts;
	char msg[600], *end = NULL;
	unsigned rounds = 300, r;

	if (argc == 4 && !strcmp(argv[2], "--rounds"))
		rounds = (unsigned)strtoul(argv[3], &end, 10);
	if ((argc != 2 && argc != 4) || (end && *end)) {
		fprintf(stderr, "usage: mkproccap OUT.pcapng.zst [--rounds N]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	g.now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	g.agent_start = g.now - 3000000000ull;
	cap_writer_opts_init(&o);
	o.clock = gen_clock;
	o.clock_ctx = &g;
	o.overwrite = 1;
	if (cap_writer_open(argv[1], &o, &g.w, &err)) {
		fprintf(stderr, "mkproccap: %s\n", cap_strerror(&err, msg, sizeof(msg)));
		return 1;
	}
	cap_writer_add_meta(g.w, "recorder", "mkproccap");
	snapshot(&g, 1, 0, 1000000, "/usr/lib/systemd/systemd", "/sbin/init");
	snapshot(&g, AGENT, 1, g.agent_start, "/usr/bin/node", "claude");
	connect_one(&g, AGENT, g.agent_start, AF_INET);
	for (r = 0; r < rounds && !g.rc; r++)
		round_of(&g, r);
	if (g.rc || cap_writer_close(g.w, &err)) {
		fprintf(stderr, "mkproccap: %s\n",
			cap_strerror(g.rc ? cap_writer_err(g.w) : &err, msg, sizeof(msg)));
		if (g.rc)
			cap_writer_abort(g.w);
		return 1;
	}
	printf("mkproccap: wrote '%s': %" PRIu64 " records\n", argv[1], g.seq);
	return 0;
}
