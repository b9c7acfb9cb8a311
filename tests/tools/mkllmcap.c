/* SPDX-License-Identifier: MIT */
/*
 * mkllmcap.c - wrap the exact TLS plaintext logged by tests/mock/llm_client.py
 * into a capture, as asrecord would have written it: a /proc snapshot (a
 * shell), per transcript an agent process (fork + exec), a connect and a
 * TLS handshake event per connection, one CAP_REC_TLS record per logged
 * SSL_write/SSL_read (continuation chunks above CAP_REC_CHUNK_MAX), and for
 * each tool the client "ran": fork, exec, open/write/close, exit.
 *
 *   mkllmcap OUT.pcapng.zst [--parallel] [--rechunk N] [--drop K] [--cut BYTES]
 *            [--seed S] TRANSCRIPT.jsonl...
 *
 * --parallel   transcripts overlap in time (else one after the other)
 * --rechunk N  split every read further into pieces of 1..N bytes
 * --drop K     lose the K-th TLS record (a seq gap, like a full ring buffer)
 * --cut BYTES  stop the first transcript's reads after BYTES bytes (cut stream)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "format/cap_record.h"
#include "format/cap_writer.h"

#define BASE_TS 5000000000000ull

struct rec {
	struct cap_rec_hdr h;
	uint8_t fixed[256];
	size_t flen;
	uint8_t *data;
	size_t dlen;
	uint64_t order;
};

struct gen {
	struct rec *r;
	size_t n, cap;
	uint64_t rng, order, now;
	unsigned rechunk;
	long drop, cut;
	int parallel;
};

static uint64_t rnd(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545F4914F6CDD1Dull;
}

static struct rec *add(struct gen *g, uint16_t type, uint64_t ts, uint32_t pid, uint64_t start,
		       const void *fixed, size_t flen, const void *data, size_t dlen)
{
	struct rec *r;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 256;
		g->r = realloc(g->r, g->cap * sizeof(*g->r));
		if (!g->r)
			exit(1);
	}
	r = &g->r[g->n++];
	memset(r, 0, sizeof(*r));
	r->h.type = type;
	r->h.ts_ns = ts;
	r->h.pid = pid;
	r->h.tid = pid;
	r->h.task_start_ns = start;
	r->h.cpu = (uint32_t)(rnd(g) % 2);
	if (flen)
		memcpy(r->fixed, fixed, flen);
	r->flen = flen;
	r->data = malloc(dlen + 1);
	if (dlen)
		memcpy(r->data, data, dlen);
	r->dlen = dlen;
	r->order = g->order++;
	return r;
}

static size_t strs(char *buf, size_t size, const char *const *v, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s", v[i]) + 1;
	return o < size ? o : size;
}

static void snapshot(struct gen *g)
{
	static const char *const v[] = { "/usr/bin/bash", "/home/dev", "0::/user.slice", "bash",
					 "-l" };
	struct cap_proc p = { .ppid = 1, .uid = 1000, .gid = 1000, .argc = 2, .nthreads = 1 };
	char d[256];
	size_t n = strs(d, sizeof(d), v, 5);

	p.exe_len = 14;
	p.cwd_len = 10;
	p.cgroup_len = 15;
	memcpy(p.comm, "bash", 5);
	add(g, CAP_REC_PROC, BASE_TS - 1000000000ull, 100, BASE_TS - 5000000000ull, &p, sizeof(p),
	    d, n);
}

static void spawn(struct gen *g, uint64_t ts, uint32_t ppid, uint64_t pstart, uint32_t pid,
		  uint64_t start, const char *const *argv, size_t argc, const char *cwd)
{
	struct cap_fork f = { .parent_pid = ppid, .parent_tid = ppid, .parent_start_ns = pstart,
			      .child_pid = pid, .child_tid = pid, .child_start_ns = start };
	struct cap_exec e = { .ppid = ppid, .uid = 1000, .gid = 1000 };
	char d[4096];
	size_t n;

	add(g, CAP_REC_FORK, ts, ppid, pstart, &f, sizeof(f), NULL, 0);
	n = strs(d, sizeof(d), argv, 1);
	n += strs(d + n, sizeof(d) - n, argv, argc);
	e.argc = (uint32_t)argc;
	e.cwd_len = (uint32_t)strlen(cwd) + 1;
	memcpy(d + n, cwd, e.cwd_len);
	n += e.cwd_len;
	snprintf(e.comm, sizeof(e.comm), "%s", strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1
									: argv[0]);
	add(g, CAP_REC_EXEC, ts + 300000, pid, start, &e, sizeof(e), d, n);
}

static void proc_exit(struct gen *g, uint64_t ts, uint32_t pid, uint64_t start, int code)
{
	struct cap_exit x = { .exit_code = code << 8 };

	add(g, CAP_REC_EXIT, ts, pid, start, &x, sizeof(x), NULL, 0);
}

static uint8_t *unhex(const char *s, size_t *n)
{
	size_t l = strlen(s) / 2, i;
	uint8_t *b = malloc(l + 1);

	for (i = 0; i < l; i++) {
		unsigned v;

		sscanf(s + 2 * i, "%2x", &v);
		b[i] = (uint8_t)v;
	}
	*n = l;
	return b;
}

static void tls(struct gen *g, uint64_t ts, uint32_t pid, uint64_t start, int conn, int dir,
		const uint8_t *d, size_t n)
{
	struct cap_tls t = { .conn = 0x55550000a000ull + (uint64_t)conn * 0x1000, .fd = 2 + conn,
			     .dir = (uint16_t)dir, .ret = (int64_t)n, .func = dir };
	size_t off = 0, k;

	while (off < n) {
		k = n - off;
		if (dir == CAP_TLS_READ && g->rechunk) {
			size_t piece = 1 + rnd(g) % g->rechunk;

			k = piece < k ? piece : k;
		}
		t.ret = (int64_t)k;
		add(g, CAP_REC_TLS, ts++, pid, start, &t, sizeof(t), d + off, k);
		off += k;
	}
}

static void net_connect(struct gen *g, uint64_t ts, uint32_t pid, uint64_t start, int conn,
			int port)
{
	struct cap_net c = { .ret = 0, .fd = 2 + conn, .family = AF_INET, .port = (uint16_t)port,
			     .addr = { 127, 0, 0, 1 } };
	struct cap_tls t = { .conn = 0x55550000a000ull + (uint64_t)conn * 0x1000, .fd = 2 + conn };

	add(g, CAP_REC_CONNECT, ts, pid, start, &c, sizeof(c), NULL, 0);
	add(g, CAP_REC_TLS_EVENT, ts + 1000, pid, start, &t, sizeof(t), "localhost", 10);
}

static void tool(struct gen *g, json_t *ev, uint64_t ts, uint32_t ppid, uint64_t pstart,
		 uint32_t pid)
{
	const char *argv[16];
	size_t argc = 0, i;
	json_t *v;
	uint64_t start = ts + 50000;
	const char *cwd = json_string_value(json_object_get(ev, "cwd"));

	json_array_foreach(json_object_get(ev, "argv"), i, v)
		if (argc < 16)
			argv[argc++] = json_string_value(v);
	spawn(g, ts, ppid, pstart, pid, start, argv, argc, cwd ? cwd : "/");
	ts += 1000000;
	json_array_foreach(json_object_get(ev, "writes"), i, v) {
		const char *p = json_string_value(v);
		struct cap_file f = { .ret = 3, .fd = -100, .flags = O_WRONLY | O_CREAT | O_TRUNC,
				      .mode = 0644, .fd2 = -100 };

		add(g, CAP_REC_OPEN, ts, pid, start, &f, sizeof(f), p, strlen(p) + 1);
		f.fd = 3;
		f.ret = 20;
		f.count = 20;
		f.flags = 0;
		add(g, CAP_REC_WRITE, ts + 1000, pid, start, &f, sizeof(f), NULL, 0);
		f.ret = 0;
		add(g, CAP_REC_CLOSE, ts + 2000, pid, start, &f, sizeof(f), NULL, 0);
		ts += 10000;
	}
	proc_exit(g, ts + 1000000, pid, start, 0);
}

/* One transcript = one agent process; returns the time it ended. */
static uint64_t agent(struct gen *g, const char *path, int idx, uint64_t t0)
{
	uint32_t pid = 200 + (uint32_t)idx * 10, kid = pid + 1;
	uint64_t start = t0 + 100000, ts = t0, last = t0;
	long got = 0;
	char line[1 << 20], argv1[64];
	const char *argv[3] = { "/usr/bin/python3", "agent.py", argv1 };
	FILE *f = fopen(path, "r");
	int conns = 0;

	if (!f) {
		perror(path);
		exit(1);
	}
	snprintf(argv1, sizeof(argv1), "--session=%d", idx);
	spawn(g, t0, 100, BASE_TS - 5000000000ull, pid, start, argv, 3, "/tmp/asight-mock");
	while (fgets(line, sizeof(line), f)) {
		json_t *ev = json_loads(line, 0, NULL);
		const char *k = json_string_value(json_object_get(ev, "ev"));
		int conn = (int)json_integer_value(json_object_get(ev, "conn")) + idx * 4;
		size_t n;
		uint8_t *d;

		ts = t0 + 1000000 + (uint64_t)json_integer_value(json_object_get(ev, "t"));
		last = ts;
		if (!k) {
		} else if (!strcmp(k, "connect")) {
			net_connect(g, ts, pid, start, conn,
				    (int)json_integer_value(json_object_get(ev, "port")));
			conns++;
		} else if (!strcmp(k, "w") || !strcmp(k, "r")) {
			d = unhex(json_string_value(json_object_get(ev, "hex")), &n);
			if (k[0] == 'r' && !idx && g->cut >= 0 && got + (long)n > g->cut)
				n = got < g->cut ? (size_t)(g->cut - got) : 0;
			if (k[0] == 'r')
				got += (long)n;
			if (n)
				tls(g, ts, pid, start, conn, k[0] == 'r', d, n);
			free(d);
		} else if (!strcmp(k, "exec")) {
			tool(g, ev, ts, pid, start, kid++);
		}
		json_decref(ev);
	}
	fclose(f);
	proc_exit(g, last + 5000000, pid, start, 0);
	return last + 10000000;
}

static int cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->h.ts_ns != y->h.ts_ns)
		return x->h.ts_ns < y->h.ts_ns ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static uint64_t fake_clock(void *ctx)
{
	return *(uint64_t *)ctx;
}

static int write_all(struct gen *g, const char *out)
{
	struct cap_writer_opts o;
	struct cap_writer *w;
	struct cap_err err;
	uint64_t seq = 0, ntls = 0;
	size_t i;
	int rc;

	cap_writer_opts_init(&o);
	o.overwrite = 1;
	o.clock = fake_clock;
	o.clock_ctx = &g->now;
	if ((rc = cap_writer_open(out, &o, &w, &err))) {
		fprintf(stderr, "mkllmcap: '%s': %s\n", out, err.msg);
		return 1;
	}
	cap_writer_add_meta(w, "recorder", "mkllmcap (tests)");
	qsort(g->r, g->n, sizeof(*g->r), cmp);
	for (i = 0; i < g->n && !rc; i++) {
		struct rec *r = &g->r[i];

		r->h.seq = ++seq;
		g->now = r->h.ts_ns;
		if (r->h.type == CAP_REC_TLS && ++ntls == (uint64_t)g->drop)
			continue;
		rc = cap_writer_add_parts(w, &r->h, r->fixed, r->flen, r->data, r->dlen);
	}
	if (rc || cap_writer_close(w, &err)) {
		fprintf(stderr, "mkllmcap: '%s': write failed (%d)\n", out, rc);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "parallel", no_argument, NULL, 'p' }, { "rechunk", required_argument, NULL, 'r' },
		{ "drop", required_argument, NULL, 'd' }, { "cut", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 },
	};
	struct gen g = { .rng = 88172645463325252ull, .drop = -1, .cut = -1 };
	uint64_t t = BASE_TS;
	const char *out;
	int c, i, rc;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p': g.parallel = 1; break;
		case 'r': g.rechunk = (unsigned)atoi(optarg); break;
		case 'd': g.drop = atol(optarg); break;
		case 'c': g.cut = atol(optarg); break;
		case 's': g.rng ^= strtoull(optarg, NULL, 0) * 0x9E3779B97F4A7C15ull; break;
		default:
			fputs("usage: mkllmcap OUT [--parallel] [--rechunk N] [--drop K] [--cut B] "
			      "TRANSCRIPT...\n", stderr);
			return 2;
		}
	}
	if (argc - optind < 2) {
		fputs("usage: mkllmcap OUT [OPTIONS] TRANSCRIPT...\n", stderr);
		return 2;
	}
	out = argv[optind];
	snapshot(&g);
	for (i = optind + 1; i < argc; i++) {
		uint64_t end = agent(&g, argv[i], i - optind - 1, t);

		if (!g.parallel)
			t = end + 1000000000ull;
		else
			t += 1000000;
	}
	rc = write_all(&g, out);
	for (i = 0; i < (int)g.n; i++)
		free(g.r[i].data);
	free(g.r);
	return rc;
}
