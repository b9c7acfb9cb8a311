/* SPDX-License-Identifier: MIT */
/*
 * mkcap.c - write a synthetic but realistic capture through cap_writer, for
 * tests, benchmarks and the demo.  Deterministic for a given --seed except
 * for the clock anchor (timestamps start at the current CLOCK_MONOTONIC and
 * advance by pseudo-random steps; the writer's frame clock follows them).
 *
 * Content: META (recorder, cmdline, filter, file_index; the writer adds
 * hostname, kernel, clock anchor...), a /proc snapshot (3 PROC records), a
 * TLS TARGET, one record of an unknown future type (0x7ff0), then rounds
 * of: connect 127.0.0.1:443, TLS write of an HTTP request, TLS read of the
 * response, fork, exec with argv and cwd, open/write/rename/unlink, a
 * failed open (-ENOENT), connect [::1]:8080 and unix:/run/agent.sock,
 * close, exit; every 5th write is snaplen-truncated; STATS report a few
 * drops.  --big adds one TLS read of BYTES bytes split into continuation
 * records (cap_writer_add_parts).  --children N: after N rounds the agent
 * does the file and socket work itself, so that the process table stops
 * growing (to show what else grows with a capture).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "format/cap_record.h"
#include "format/cap_writer.h"

static const char usage_text[] =
	"usage: mkcap OUT.pcapng.zst [OPTIONS]\n"
	"\n"
	"Write a synthetic capture (see the top of tests/tools/mkcap.c).\n"
	"\n"
	"  --records N      about N records (default 1000)\n"
	"  --seed S         pseudo-random seed (default 1)\n"
	"  --big BYTES      add one TLS read of BYTES bytes, split into\n"
	"                   continuation records (default 0: none)\n"
	"  --big-out FILE   also write the big payload's bytes to FILE\n"
	"  --children N     fork a child in the first N rounds only (default: all)\n"
	"  --abort-after N  stop with cap_writer_abort() after N records, as a\n"
	"                   crash would: OUT.part keeps only the closed frames\n"
	"  --level L        zstd level (default 1)\n"
	"  --frame-bytes B  close frames at B uncompressed bytes (default 256 KiB)\n"
	"  --force          replace OUT if it exists\n"
	"  --help           this help\n";

struct gen {
	struct cap_writer *w;
	uint64_t rng;
	uint64_t now;          /* synthetic CLOCK_MONOTONIC */
	uint64_t seq;
	uint64_t added, limit, abort_after;
	int done;
	uint64_t big;
	const char *big_out;
	uint64_t agent_start;
	uint32_t next_pid;
	uint64_t truncs, drops;
	uint64_t children;     /* rounds that fork a child; 0: all */
	int rc;
};

static uint64_t rnd(struct gen *g)
{
	/* xorshift64*: deterministic, no libc state */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545F4914F6CDD1Dull;
}

static uint64_t gen_clock(void *ctx)
{
	return ((struct gen *)ctx)->now;
}

static void emit(struct gen *g, uint16_t type, uint32_t pid, uint32_t tid, uint64_t start,
		 const void *fixed, size_t flen, const void *data, size_t dlen, uint16_t flags,
		 uint32_t orig_len)
{
	struct cap_rec_hdr h = { 0 };
	int rc;

	if (g->done)
		return;
	g->now += 20000 + rnd(g) % 2000000;
	h.type = type;
	h.cpu = (uint32_t)(rnd(g) % 4);
	h.ts_ns = g->now;
	h.seq = ++g->seq;
	h.pid = pid;
	h.tid = tid;
	h.task_start_ns = start;
	h.flags = flags;
	h.orig_len = orig_len;
	rc = cap_writer_add_parts(g->w, &h, fixed, flen, data, dlen);
	if (rc) {
		g->rc = rc;
		g->done = 1;
		return;
	}
	g->added++;
	if (g->added >= g->limit || (g->abort_after && g->added >= g->abort_after))
		g->done = 1;
}

/* key=value\0 list */
static size_t kv(char *buf, size_t size, const char *const *pairs)
{
	size_t n = 0;

	for (; *pairs && n < size; pairs += 2)
		n += (size_t)snprintf(buf + n, size - n, "%s=%s", pairs[0], pairs[1]) + 1;
	return n < size ? n : size;
}

/* Concatenate strings with their NULs. */
static size_t strs(char *buf, size_t size, const char *const *v)
{
	size_t n = 0;

	for (; *v && n < size; v++)
		n += (size_t)snprintf(buf + n, size - n, "%s", *v) + 1;
	return n < size ? n : size;
}

static void snapshot_one(struct gen *g, uint32_t pid, uint32_t ppid, const char *comm,
			 const char *const *exe_cwd_cg, const char *const *argv)
{
	struct cap_proc p = { .ppid = ppid, .uid = 1000, .gid = 1000, .nthreads = 1 };
	char data[1024];
	size_t n = 0, i;

	for (i = 0; i < 3; i++) {
		size_t l = strlen(exe_cwd_cg[i]) + 1;

		memcpy(data + n, exe_cwd_cg[i], l);
		n += l;
	}
	p.exe_len = (uint32_t)strlen(exe_cwd_cg[0]) + 1;
	p.cwd_len = (uint32_t)strlen(exe_cwd_cg[1]) + 1;
	p.cgroup_len = (uint32_t)strlen(exe_cwd_cg[2]) + 1;
	for (i = 0; argv[i]; i++)
		p.argc++;
	n += strs(data + n, sizeof(data) - n, argv);
	snprintf(p.comm, sizeof(p.comm), "%s", comm);
	emit(g, CAP_REC_PROC, pid, pid, pid == 1 ? 1000000 : g->agent_start, &p, sizeof(p), data,
	     n, 0, 0);
}

static void prologue(struct gen *g)
{
	static const char *const init[] = { "/usr/lib/systemd/systemd", "/", "/init.scope" };
	static const char *const init_argv[] = { "/sbin/init", NULL };
	static const char *const sh[] = { "/usr/bin/bash", "/home/user", "/user.slice" };
	static const char *const sh_argv[] = { "-bash", NULL };
	static const char *const ag[] = { "/usr/bin/node", "/home/user/project", "/user.slice" };
	static const char *const ag_argv[] = { "node", "/usr/bin/claude", "--print", NULL };
	static const char *const target[] = { "path", "/usr/lib/x86_64-linux-gnu/libssl.so.3",
					      "build_id", "0123456789abcdef0123456789abcdef01234567",
					      "symbol", "SSL_write", "kind", "openssl3",
					      "method", "symbol", NULL };
	struct cap_tls t = { .conn = 0, .fd = -1 };
	char buf[512];
	size_t n;

	snapshot_one(g, 1, 0, "systemd", init, init_argv);
	snapshot_one(g, 900, 1, "bash", sh, sh_argv);
	snapshot_one(g, 1000, 900, "node", ag, ag_argv);
	n = kv(buf, sizeof(buf), target);
	emit(g, CAP_REC_TARGET, 0, 0, 0, NULL, 0, buf, n, 0, 0);
	/* a record type from the future: readers must show it generically */
	emit(g, 0x7ff0, 1000, 1000, g->agent_start, &t, sizeof(t), "future\x01\x02", 8, 0, 0);
}

static void net(struct gen *g, uint16_t type, uint32_t pid, uint64_t start, int fd, int family,
		const char *where, int ret)
{
	struct cap_net n = { .ret = ret, .fd = fd, .family = (uint16_t)family, .syscall_nr = 42 };

	if (family == AF_INET) {
		static const uint8_t lo4[4] = { 127, 0, 0, 1 };

		memcpy(n.addr, lo4, 4);
		n.port = 443;
	} else if (family == AF_INET6) {
		n.addr[15] = 1;
		n.port = 8080;
	} else {
		snprintf(n.path, sizeof(n.path), "%s", where);
	}
	emit(g, type, pid, pid, start, &n, sizeof(n), NULL, 0, ret < 0 ? CAP_RF_ERR : 0, 0);
}

static void tls(struct gen *g, uint64_t conn, int dir, const void *p, size_t n)
{
	struct cap_tls t = { .conn = conn, .fd = 20, .dir = (uint16_t)dir, .ret = (int64_t)n,
			     .func = dir == CAP_TLS_WRITE ? 1 : 2 };

	emit(g, CAP_REC_TLS, 1000, 1001, g->agent_start, &t, sizeof(t), p, n, 0, 0);
}

static void exchange(struct gen *g, unsigned round)
{
	static const char body[] = "{\"model\":\"claude-sonnet-4\",\"max_tokens\":1024,"
				   "\"messages\":[{\"role\":\"user\",\"content\":\"list /tmp\"}]}";
	static const char resp[] = "{\"id\":\"msg_01\",\"type\":\"message\",\"content\":[{\"type\":"
				   "\"tool_use\",\"name\":\"bash\",\"input\":{\"command\":"
				   "\"ls -la /tmp\"}}],\"usage\":{\"input_tokens\":12,"
				   "\"output_tokens\":30}}";
	uint64_t conn = 0x55d0c0de0000ull + (uint64_t)(round % 7) * 0x1000;
	char req[1024];
	int n;

	net(g, CAP_REC_CONNECT, 1000, g->agent_start, 20, AF_INET, NULL, 0);
	n = snprintf(req, sizeof(req),
		     "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n"
		     "content-type: application/json\r\nx-api-key: sk-ant-test-%u\r\n"
		     "content-length: %zu\r\n\r\n%s",
		     round, sizeof(body) - 1, body);
	tls(g, conn, CAP_TLS_WRITE, req, (size_t)n);
	n = snprintf(req, sizeof(req),
		     "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
		     "content-length: %zu\r\n\r\n%s",
		     sizeof(resp) - 1, resp);
	tls(g, conn, CAP_TLS_READ, req, (size_t)n);
}

static void big_payload(struct gen *g)
{
	static const char head[] = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\r\n";
	uint8_t *p = malloc(g->big ? g->big : 1);
	size_t i, h = sizeof(head) - 1 < g->big ? sizeof(head) - 1 : g->big;
	FILE *f;

	if (!p) {
		g->rc = -ENOMEM;
		g->done = 1;
		return;
	}
	memcpy(p, head, h);
	for (i = h; i < g->big; i++)
		p[i] = (uint8_t)(rnd(g) >> 56);
	if (g->big_out) {
		f = fopen(g->big_out, "we");
		if (!f || fwrite(p, 1, g->big, f) != g->big || fclose(f)) {
			fprintf(stderr, "mkcap: '%s': cannot write: %s\n", g->big_out,
				strerror(errno));
			g->rc = -EIO;
			g->done = 1;
		}
	}
	tls(g, 0x55d0c0de0000ull, CAP_TLS_READ, p, g->big);
	free(p);
}

static void file_op(struct gen *g, uint16_t type, uint32_t pid, uint64_t start, const char *a,
		    const char *b, uint32_t flags, int64_t ret)
{
	struct cap_file f = { .ret = ret, .fd = -100, .flags = flags, .syscall_nr = 257 };
	char data[512];
	size_t n = (size_t)snprintf(data, sizeof(data), "%s", a) + (b ? 1 : 0);

	if (b)
		n += (size_t)snprintf(data + n, sizeof(data) - n, "%s", b);
	if (type == CAP_REC_OPEN && (flags & O_CREAT))
		f.mode = 0644;
	emit(g, type, pid, pid, start, &f, sizeof(f), data, n, ret < 0 ? CAP_RF_ERR : 0, 0);
}

static void child_writes(struct gen *g, uint32_t pid, uint64_t start, unsigned round)
{
	struct cap_file f = { .fd = 3, .syscall_nr = 1 };
	char path[128], done[128], buf[256];
	size_t n;

	snprintf(path, sizeof(path), "/tmp/work/file-%u.txt", round);
	snprintf(done, sizeof(done), "/tmp/work/file-%u.done", round);
	file_op(g, CAP_REC_OPEN, pid, start, path, NULL, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 3);
	n = (size_t)snprintf(buf, sizeof(buf), "total %u\ndrwxrwxrwt 12 root root 4096 .\n",
			     round * 8);
	f.count = n;
	f.ret = (int64_t)n;
	if (round % 5 == 4) {
		/* snaplen cut: 8 KiB written, 64 bytes kept */
		f.count = f.ret = 8192;
		emit(g, CAP_REC_WRITE, pid, pid, start, &f, sizeof(f), buf, 64, CAP_RF_TRUNC,
		     8192);
		g->truncs++;
	} else {
		emit(g, CAP_REC_WRITE, pid, pid, start, &f, sizeof(f), buf, n, 0, 0);
	}
	file_op(g, CAP_REC_RENAME, pid, start, path, done, 0, 0);
	snprintf(path, sizeof(path), "/tmp/work/old-%u", round);
	file_op(g, CAP_REC_UNLINK, pid, start, path, NULL, 0, 0);
	file_op(g, CAP_REC_OPEN, pid, start, "/nonexistent/config.json", NULL, O_RDONLY, -ENOENT);
}

static void child(struct gen *g, unsigned round)
{
	uint32_t pid = g->next_pid;
	uint64_t start = g->now + 1000;
	struct cap_fork fk = { .parent_pid = 1000, .parent_tid = 1000,
			       .parent_start_ns = g->agent_start, .child_pid = pid,
			       .child_tid = pid, .child_start_ns = start,
			       .clone_flags_lo = 0x1200011 };
	struct cap_exec ex = { .ppid = 1000, .uid = 1000, .gid = 1000, .old_pid = pid };
	struct cap_exit x = { .exit_code = round % 7 == 6 ? 9 : 0 };
	struct cap_file cl = { .fd = 3, .syscall_nr = 3 };
	char data[512], cmd[64];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	size_t n;

	if (g->children && round >= g->children) {
		/* the agent itself: no process to add */
		child_writes(g, 1000, g->agent_start, round);
		net(g, CAP_REC_CONNECT, 1000, g->agent_start, 4, AF_INET6, NULL,
		    round % 3 ? 0 : -ECONNREFUSED);
		net(g, CAP_REC_CONNECT, 1000, g->agent_start, 5, AF_UNIX, "/run/agent.sock", 0);
		emit(g, CAP_REC_CLOSE, 1000, 1000, g->agent_start, &cl, sizeof(cl), NULL, 0, 0, 0);
		return;
	}
	g->next_pid = g->next_pid >= 30000 ? 2000 : g->next_pid + 1;
	snprintf(cmd, sizeof(cmd), "ls -la '/tmp/my dir' # round %u", round);
	emit(g, CAP_REC_FORK, 1000, 1000, g->agent_start, &fk, sizeof(fk), NULL, 0, 0, 0);
	n = (size_t)snprintf(data, sizeof(data), "/bin/sh") + 1;
	n += strs(data + n, sizeof(data) - n, argv);
	ex.argc = 3;
	ex.cwd_len = (uint32_t)sizeof("/home/user/project");
	memcpy(data + n, "/home/user/project", ex.cwd_len);
	n += ex.cwd_len;
	snprintf(ex.comm, sizeof(ex.comm), "sh");
	emit(g, CAP_REC_EXEC, pid, pid, start, &ex, sizeof(ex), data, n, 0, 0);
	child_writes(g, pid, start, round);
	net(g, CAP_REC_CONNECT, pid, start, 4, AF_INET6, NULL, round % 3 ? 0 : -ECONNREFUSED);
	net(g, CAP_REC_CONNECT, pid, start, 5, AF_UNIX, "/run/agent.sock", 0);
	emit(g, CAP_REC_CLOSE, pid, pid, start, &cl, sizeof(cl), NULL, 0, 0, 0);
	snprintf(x.comm, sizeof(x.comm), "sh");
	emit(g, CAP_REC_EXIT, pid, pid, start, &x, sizeof(x), NULL, 0, 0, 0);
}

static void stats(struct gen *g)
{
	struct cap_stat_entry e[2] = {
		{ .probe = 0xffffffffu, .cpu = 0, .events = g->added, .drops = g->drops,
		  .truncs = g->truncs },
		{ .probe = 0xffffffffu, .cpu = 1, .events = 0, .drops = 0, .truncs = 0 },
	};
	struct cap_stats s = { .records = g->added, .drops = g->drops, .truncs = g->truncs };

	cap_writer_set_stats(g->w, &s, e, 2);
}

static void generate(struct gen *g)
{
	unsigned round;

	prologue(g);
	for (round = 0; !g->done; round++) {
		exchange(g, round);
		if (round == 0 && g->big)
			big_payload(g);
		child(g, round);
		if (round == 3)
			g->drops = 3; /* the ring buffer overflowed once */
		stats(g);
	}
}

static int parse(struct gen *g, struct cap_writer_opts *o, int argc, char **argv,
		 const char **out)
{
	static const struct option lo[] = {
		{ "records", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "big", required_argument, NULL, 'b' },
		{ "big-out", required_argument, NULL, 'B' },
		{ "abort-after", required_argument, NULL, 'a' },
		{ "level", required_argument, NULL, 'l' },
		{ "frame-bytes", required_argument, NULL, 'F' },
		{ "children", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v = 0;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "n:s:b:B:a:l:F:c:fh", lo, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (c == 'f') {
			o->overwrite = 1;
			continue;
		}
		if (c == 'B') {
			g->big_out = optarg;
			continue;
		}
		if (c == '?')
			return 2;
		errno = 0;
		v = strtoull(optarg, &end, 0);
		if (errno || *end || optarg[0] == '-') {
			fprintf(stderr, "mkcap: bad number '%s'\n", optarg);
			return 2;
		}
		if (c == 'n')
			g->limit = v;
		else if (c == 's')
			g->rng = v ? v : 1;
		else if (c == 'b')
			g->big = v;
		else if (c == 'a')
			g->abort_after = v;
		else if (c == 'l')
			o->level = (int)v;
		else if (c == 'F')
			o->frame_bytes = (size_t)v;
		else if (c == 'c')
			g->children = v;
	}
	if (argc - optind != 1) {
		fputs(usage_text, stderr);
		return 2;
	}
	*out = argv[optind];
	return 0;
}

static void add_meta(struct gen *g, int argc, char **argv)
{
	char cmdline[1024];
	size_t n = 0;
	int i;

	cmdline[0] = '\0';
	for (i = 0; i < argc && n < sizeof(cmdline); i++)
		n += (size_t)snprintf(cmdline + n, sizeof(cmdline) - n, "%s%s", i ? " " : "",
				      argv[i]);
	cap_writer_add_meta(g->w, "recorder", "mkcap " ASIGHT_VERSION);
	cap_writer_add_meta(g->w, "cmdline", cmdline);
	cap_writer_add_meta(g->w, "filter", "synthetic");
	cap_writer_add_meta(g->w, "file_index", "0");
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct gen g = { .rng = 1, .limit = 1000, .next_pid = 2000 };
	struct cap_writer_totals t;
	struct cap_writer_opts o;
	struct cap_err err;
	const char *out = NULL;
	char msg[600];
	int rc;

	cap_writer_opts_init(&o);
	rc = parse(&g, &o, argc, argv, &out);
	if (rc)
		return rc;
	g.now = mono_now();
	g.agent_start = g.now - 5000000000ull;
	o.clock = gen_clock;
	o.clock_ctx = &g;
	o.userappl = "mkcap " ASIGHT_VERSION;
	if (cap_writer_open(out, &o, &g.w, &err)) {
		fprintf(stderr, "mkcap: %s\n", cap_strerror(&err, msg, sizeof(msg)));
		return 1;
	}
	add_meta(&g, argc, argv);
	stats(&g);
	generate(&g);
	cap_writer_totals(g.w, &t);
	if (g.rc) {
		fprintf(stderr, "mkcap: %s\n", cap_strerror(cap_writer_err(g.w), msg, sizeof(msg)));
		cap_writer_abort(g.w);
		return 1;
	}
	if (g.abort_after && g.added >= g.abort_after) {
		cap_writer_abort(g.w);
		printf("mkcap: aborted after %" PRIu64 " records; '%s.part' holds %" PRIu64
		       " closed frames (%" PRIu64 " bytes)\n", g.added, out, t.frames,
		       t.file_bytes);
		return 0;
	}
	if (cap_writer_close(g.w, &err)) {
		fprintf(stderr, "mkcap: %s\n", cap_strerror(&err, msg, sizeof(msg)));
		return 1;
	}
	printf("mkcap: wrote '%s': %" PRIu64 " records (%" PRIu64 " chunks)\n", out, g.added,
	       t.records);
	return 0;
}
