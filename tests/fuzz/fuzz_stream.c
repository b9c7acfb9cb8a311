/* SPDX-License-Identifier: MIT */
/*
 * fuzz_stream.c - differential libFuzzer target for the streamed SQLite
 * export.  The input is a short program of capture records (one op byte
 * each, then its arguments; see run_op): /proc snapshots, forks of threads
 * and processes, execs, exits, file and socket syscalls, TLS writes and
 * reads whose plaintext is taken from the input (HTTP/1.1 and LLM API
 * bytes in the corpus), time steps and jumps past the 5 s after which the
 * streamed side retires a process, lost records (a skipped seq) and CPU
 * switches (seq = cpu << 48 | that CPU's count), records written a few
 * records late (another CPU's ring; the reader puts them back in time
 * order), pids from a pool of 8.  What only a damaged capture holds is not
 * made (each rule where it is applied): a pid given again while its
 * process lives or within a snapshot's slack of its start, a ppid naming
 * a process that exited, is younger or has no record yet, a parent learned after what its
 * child did.  It is written as a real capture (cap_writer) and exported
 * twice, as `asanalyze export --sqlite` does: streamed (db_stream_sink) and from the
 * whole model (db_write); header bit 1 adds the rows-while-reading path of
 * ASANALYZE_NO_STREAM=1 (db_stream_row).  After a process exits, its pid's
 * records are of a new process (not seen starting), as in a real capture;
 * header bit 2 keeps them on the exited one instead, as only a damaged
 * capture would: the streamed side has written and freed such a process
 * 5 s after its exit (MODEL_RETIRE_GRACE_NS), by design, so its database
 * is then not compared, only built (the sanitizers watch); the other two
 * still are.  Header bit 0 cuts the capture (cap_writer_abort).  Every
 * table must hold the same rows in primary key order (execs without
 * exec_id: a retired process's execs are numbered when it is written, as
 * t_export_stream.sh allows), the schema and the summary counts must be
 * equal, and both or neither export must fail.  A difference is printed
 * and trapped.  FUZZ_STREAM_KEEP=1 keeps each run's capture and databases
 * (in $TMPDIR, else /dev/shm), FUZZ_STREAM_TRACE=1 prints the records.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "analyze/an_rec.h"
#include "analyze/an_render.h"
#include "analyze/db.h"
#include "analyze/model.h"
#include "format/cap_record.h"
#include "format/cap_writer.h"

#define MAX_RECS 400
#define NPIDS 8
#define NCPUS 4
#define BASE_TS 1000000000000ull /* 1000 s of monotonic time */
#define PAYLOAD_MAX 8192
#define REUSE_NS 25000000ull /* a pid is not given again sooner after its start */

struct gen {
	const uint8_t *d;
	size_t n, off;
	struct cap_writer *w;
	uint64_t now;
	/* a record written some records late, with its true time and seq
	 * (another CPU's ring drained later: the reader puts it in place) */
	unsigned delay, held_wait;
	struct cap_rec_hdr held;
	uint8_t held_fixed[256], *held_data;
	size_t held_flen, held_dlen;
	uint64_t count[NCPUS];
	uint32_t cpu, nrecs, tid_next;
	uint64_t start[NPIDS];  /* each pool pid's current process */
	uint8_t dead[NPIDS];    /* ... exited, and the pid not used since */
	uint8_t known[NPIDS];   /* ... came with its parent (fork, snapshot, exec) */
	uint8_t anon[NPIDS];    /* ... came without (a placeholder's records) */
	uint8_t seen[NPIDS];    /* ... has a record already (or its fork) */
	int zombies;            /* records of a process after its exit */
	int trace;              /* FUZZ_STREAM_TRACE=1: print the records */
	int rc;
};

static unsigned get(struct gen *g)
{
	return g->off < g->n ? g->d[g->off++] : 0;
}

static uint64_t gen_clock(void *ctx)
{
	return ((struct gen *)ctx)->now;
}

static uint32_t pid_of(unsigned b)
{
	return 1 + b % NPIDS;
}

static void trace(const struct cap_rec_hdr *h, const void *fixed, const void *data, size_t n,
		  unsigned delay)
{
	const uint32_t *u = fixed;

	fprintf(stderr, "%llu cpu %u seq %llu type %u pid %u tid %u start %llu", h->ts_ns, h->cpu,
		h->seq & 0xffffffffffffull, h->type, h->pid, h->tid, h->task_start_ns);
	if (h->type == CAP_REC_FORK)
		fprintf(stderr, " parent %u/%llu child %u/%llu%s", u[0],
			((const struct cap_fork *)fixed)->parent_start_ns, u[4],
			((const struct cap_fork *)fixed)->child_start_ns, u[9] ? " thread" : "");
	else if (h->type == CAP_REC_EXEC || h->type == CAP_REC_PROC)
		fprintf(stderr, " ppid %u", u[0]);
	else if (h->type == CAP_REC_EXIT && u[1])
		fprintf(stderr, " thread");
	if (n && h->type != CAP_REC_FORK)
		fprintf(stderr, " '%.40s'", (const char *)data);
	fprintf(stderr, "%s\n", delay ? " (written late)" : "");
}

/* Write the held record now. */
static void release(struct gen *g)
{
	if (!g->held_data)
		return;
	if (!g->rc)
		g->rc = cap_writer_add_parts(g->w, &g->held, g->held_fixed, g->held_flen,
					     g->held_data, g->held_dlen);
	free(g->held_data);
	g->held_data = NULL;
	g->held_wait = 0;
}

static void emit(struct gen *g, uint16_t type, uint32_t pid, uint32_t tid, const void *fixed,
		 size_t flen, const void *data, size_t dlen, uint16_t flags)
{
	struct cap_rec_hdr h = { 0 };

	if (g->rc || g->nrecs >= MAX_RECS)
		return;
	g->nrecs++;
	g->now += 1000;
	h.type = type;
	h.cpu = g->cpu;
	h.ts_ns = g->now;
	h.seq = (uint64_t)g->cpu << CAP_SEQ_CPU_SHIFT | ++g->count[g->cpu];
	h.pid = pid;
	h.tid = tid;
	h.task_start_ns = pid ? g->start[pid - 1] : 0;
	h.flags = flags;
	if (pid) {
		g->dead[pid - 1] = 0;
		g->seen[pid - 1] = 1;
		g->anon[pid - 1] |= !g->known[pid - 1];
	}
	if (g->trace)
		trace(&h, fixed, data, dlen, g->delay);
	if (g->delay && !g->held_wait && flen <= sizeof(g->held_fixed) &&
	    (g->held_data = malloc(dlen + 1))) {
		g->held = h;
		memcpy(g->held_fixed, fixed, flen);
		g->held_flen = flen;
		if (dlen)
			memcpy(g->held_data, data, dlen);
		g->held_dlen = dlen;
		g->held_wait = g->delay;
		g->delay = 0;
		return;
	}
	g->rc = cap_writer_add_parts(g->w, &h, fixed, flen, data, dlen);
	if (g->held_wait && !--g->held_wait)
		release(g);
}

/* NUL-separated strings. */
static size_t strs(char *buf, size_t size, const char *const *v)
{
	size_t n = 0;

	for (; *v && n < size; v++)
		n += (size_t)snprintf(buf + n, size - n, "%s", *v) + 1;
	return n < size ? n : size;
}

static const char *const exes[][4] = {
	{ "/bin/sh", "-c", "ls -la /tmp/asight-mock", NULL },
	{ "/usr/bin/make", "-C", "/tmp/w", NULL },
	{ "/usr/bin/git", "status", NULL, NULL },
	{ "/usr/bin/node", "/usr/bin/claude", "--print", NULL },
};

static const char *const paths[] = {
	"/tmp/asight-mock/a.txt", "b.txt", "./out/c.o", "/etc/passwd", "../up.txt", "",
};

/*
 * The ppid a snapshot or an exec gives @pid: a process alive now that
 * started before it, as the kernel reports it; 0 (none) instead of one
 * that exited, or of a pid given to another process since @pid started.
 */
static uint32_t ppid_of(const struct gen *g, uint32_t pid, unsigned b)
{
	uint32_t ppid = b % (NPIDS + 1);

	if (g->zombies || !ppid)
		return ppid;
	if (ppid == pid || g->dead[ppid - 1] || !g->seen[ppid - 1] ||
	    g->start[ppid - 1] > g->start[pid - 1] || g->anon[pid - 1])
		return 0;
	return ppid;
}

/* @pid's process comes with its parent @ppid (0: none) now, unless its
 * records came first: a parent learned after what a process did is not
 * applied to it by the streamed side (causal_live resolved it already;
 * only a lost fork record makes such a capture), so it is not made. */
static void introduce(struct gen *g, uint32_t pid, uint32_t ppid)
{
	if (!g->anon[pid - 1] && ppid)
		g->known[pid - 1] = 1;
}

static void op_proc(struct gen *g)
{
	uint32_t pid = pid_of(get(g)), ppid = ppid_of(g, pid, get(g));
	const char *const *v = exes[get(g) % 4];
	struct cap_proc p = { .ppid = ppid, .uid = 1000, .gid = 1000, .nthreads = 1 };
	const char *s[8] = { v[0], "/home/user", "/user.slice" };
	char data[512];
	size_t i;

	for (i = 0; v[i]; i++)
		s[3 + i] = v[i];
	p.exe_len = (uint32_t)strlen(v[0]) + 1;
	p.cwd_len = sizeof("/home/user");
	p.cgroup_len = sizeof("/user.slice");
	p.argc = (uint32_t)i;
	snprintf(p.comm, sizeof(p.comm), "%s", strrchr(v[0], '/') + 1);
	introduce(g, pid, ppid);
	emit(g, CAP_REC_PROC, pid, pid, &p, sizeof(p), data, strs(data, sizeof(data), s), 0);
}

/* @pid's process exits (@tid != 0: that thread only). */
static void exit_one(struct gen *g, uint32_t pid, int status, uint32_t tid)
{
	struct cap_exit x = { .exit_code = status, .is_thread = tid != 0 };

	emit(g, CAP_REC_EXIT, pid, tid ? tid : pid, &x, sizeof(x), NULL, 0, 0);
	/* its pid's next records are of a process not seen starting, not
	 * within a snapshot's slack of this one's start (tree.c: the same
	 * process) */
	if (!tid && !g->zombies) {
		if (g->now + 7 < g->start[pid - 1] + REUSE_NS) {
			release(g);
			g->now = g->start[pid - 1] + REUSE_NS;
		}
		g->start[pid - 1] = g->now + 7;
		g->dead[pid - 1] = 1;
		g->known[pid - 1] = g->anon[pid - 1] = g->seen[pid - 1] = 0;
	}
}

static void op_fork(struct gen *g)
{
	unsigned b = get(g);
	uint32_t ppid = pid_of(b), cpid = pid_of(get(g));
	struct cap_fork f = { .parent_pid = ppid, .parent_tid = ppid,
			      .parent_start_ns = g->start[ppid - 1] };

	if (cpid == ppid)
		cpid = pid_of(ppid); /* the next one */
	/* a pid is given again only once its process exited */
	if (!(b & 0x80) && !g->dead[cpid - 1] && !g->zombies)
		exit_one(g, cpid, 0, 0);
	/* ... and not within a snapshot's slack of its start (tree.c: the
	 * same process) */
	if (!(b & 0x80) && !g->zombies && g->now + 500 < g->start[cpid - 1] + REUSE_NS) {
		release(g);
		g->now = g->start[cpid - 1] + REUSE_NS;
	}
	if (b & 0x80) { /* a thread of ppid */
		f.is_thread = 1;
		f.clone_flags_lo = 0x00010000;
		f.child_pid = ppid;
		f.child_tid = 100 + g->tid_next++ % 16;
		f.child_start_ns = f.parent_start_ns;
	} else {
		f.clone_flags_lo = 0x1200011;
		f.child_pid = f.child_tid = cpid;
		f.child_start_ns = g->now + 500;
	}
	emit(g, CAP_REC_FORK, ppid, ppid, &f, sizeof(f), NULL, 0, 0);
	if (!f.is_thread) {
		g->start[cpid - 1] = f.child_start_ns;
		g->known[cpid - 1] = g->seen[cpid - 1] = 1;
		g->anon[cpid - 1] = 0;
	}
}

static void op_exec(struct gen *g)
{
	uint32_t pid = pid_of(get(g)), ppid = ppid_of(g, pid, get(g));
	const char *const *v = exes[get(g) % 4];
	struct cap_exec e = { .ppid = ppid, .uid = 1000, .gid = 1000, .old_pid = pid };
	char data[512];
	size_t n = strs(data, sizeof(data), (const char *const[]){ v[0], NULL });

	for (; v[e.argc]; e.argc++)
		;
	n += strs(data + n, sizeof(data) - n, v);
	e.cwd_len = sizeof("/tmp/w");
	memcpy(data + n, "/tmp/w", e.cwd_len);
	n += e.cwd_len;
	snprintf(e.comm, sizeof(e.comm), "%s", strrchr(v[0], '/') + 1);
	introduce(g, pid, ppid);
	emit(g, CAP_REC_EXEC, pid, pid, &e, sizeof(e), data, n, 0);
}

static void op_exit(struct gen *g)
{
	uint32_t pid = pid_of(get(g));
	unsigned b = get(g);

	exit_one(g, pid, (int)(b >> 1 & 7) << 8, b & 1 ? 100 + (b >> 4) : 0);
}

static void op_file(struct gen *g)
{
	static const uint16_t types[] = { CAP_REC_OPEN, CAP_REC_WRITE, CAP_REC_READ,
					  CAP_REC_CLOSE, CAP_REC_RENAME, CAP_REC_UNLINK,
					  CAP_REC_MKDIR, CAP_REC_CHMOD, CAP_REC_TRUNCATE };
	uint32_t pid = pid_of(get(g));
	unsigned t = get(g), fd = 3 + get(g) % 4, pb = get(g);
	uint16_t type = types[t % 9];
	struct cap_file f = { .fd = -100, .flags = O_WRONLY | O_CREAT, .mode = 0644,
			      .fd2 = -100, .count = 6 };
	const char *p = paths[pb % 6];
	char data[256];
	size_t n = 0;

	f.ret = t & 0x80 ? -ENOENT : 0;
	if (type == CAP_REC_OPEN && !(t & 0x80))
		f.ret = fd;
	if (type == CAP_REC_OPEN && (pb & 0x40))
		f.fd = (int32_t)(3 + (pb >> 3) % 4); /* openat relative to a dirfd */
	if (type == CAP_REC_WRITE || type == CAP_REC_READ || type == CAP_REC_CLOSE ||
	    (type == CAP_REC_CHMOD && (pb & 0x80)) || (type == CAP_REC_TRUNCATE && (pb & 0x80))) {
		f.fd = (int32_t)fd;
		if (type == CAP_REC_WRITE || type == CAP_REC_READ)
			f.ret = t & 0x80 ? -EBADF : 6;
		if (type == CAP_REC_WRITE)
			n = (size_t)snprintf(data, sizeof(data), "hello\n");
		/* a socket's close: a connections row with the fd's address */
		if (type == CAP_REC_CLOSE && (pb & 0x20))
			f.mode = 0140000;
	} else {
		n = (size_t)snprintf(data, sizeof(data), "%s", p) + 1;
		if (type == CAP_REC_RENAME)
			n += (size_t)snprintf(data + n, sizeof(data) - n, "%s",
					      paths[(pb >> 3) % 6]) + 1;
	}
	/* the file's inode (a write through an fd its process did not open
	 * finds its path by it) and a copying write's source fd */
	if (pb & 0x10) {
		f.ino = 100 + pb % 6;
		f.dev = 8 << 20;
	}
	if (type == CAP_REC_WRITE && (pb & 0x08))
		f.fd2 = (int32_t)(3 + (pb >> 1) % 4);
	emit(g, type, pid, pid, &f, sizeof(f), data, n, f.ret < 0 ? CAP_RF_ERR : 0);
}

static void op_net(struct gen *g)
{
	static const uint16_t types[] = { CAP_REC_CONNECT, CAP_REC_CONNECT, CAP_REC_ACCEPT,
					  CAP_REC_BIND, CAP_REC_LISTEN };
	uint32_t pid = pid_of(get(g));
	unsigned t = get(g), fd = 3 + get(g) % 4;
	struct cap_net c = { .fd = (int32_t)fd, .syscall_nr = 42 };

	c.ret = t & 0x80 ? -ECONNREFUSED : 0;
	switch (t >> 3 & 3) {
	case 0:
	case 1:
		c.family = AF_INET;
		c.addr[0] = 127;
		c.addr[3] = 1;
		c.port = t & 8 ? 8080 : 443;
		break;
	case 2:
		c.family = AF_INET6;
		c.addr[15] = 1;
		c.port = 443;
		break;
	default:
		c.family = AF_UNIX;
		snprintf(c.path, sizeof(c.path), "/run/agent.sock");
		break;
	}
	if (types[t % 5] == CAP_REC_ACCEPT && !(t & 0x80))
		c.ret = fd + 1;
	emit(g, types[t % 5], pid, pid, &c, sizeof(c), NULL, 0, c.ret < 0 ? CAP_RF_ERR : 0);
}

/* TLS plaintext (@type CAP_REC_TLS) or a handshake with its SNI. */
static void op_tls(struct gen *g, uint16_t type, int dir)
{
	uint32_t pid = pid_of(get(g));
	unsigned b = get(g);
	struct cap_tls t = { .conn = 0x55d0c0de0000ull + (b & 3) * 0x1000,
			     .fd = (int32_t)(3 + (b >> 2) % 4), .dir = (uint16_t)dir,
			     .func = dir == CAP_TLS_WRITE ? 1 : 2 };
	size_t len;

	if (type == CAP_REC_TLS_EVENT) {
		emit(g, type, pid, pid, &t, sizeof(t), "api.anthropic.com", 18, 0);
		return;
	}
	len = get(g);
	len |= (size_t)get(g) << 8;
	if (len > PAYLOAD_MAX)
		len = PAYLOAD_MAX;
	if (len > g->n - g->off)
		len = g->n - g->off;
	t.ret = (int64_t)len;
	emit(g, type, pid, pid, &t, sizeof(t), g->d + g->off, len, 0);
	g->off += len;
}

static void op_loss(struct gen *g)
{
	struct cap_loss l = { .lost = 1 + get(g), .probe = 3, .cause = 1 };

	emit(g, CAP_REC_LOSS, 0, 0, &l, sizeof(l), NULL, 0, 0);
}

/* An fd of the snapshot (asrecord's CAP_REC_FD): a file, or a socket
 * with or without addresses, of a process seen or not. */
static void op_fd(struct gen *g)
{
	static const char *const targets[] = { "/home/user/notes.txt", "socket:[4242]",
					       "pipe:[77]", "relative/path" };
	static const uint16_t fams[] = { 0, AF_INET, AF_INET6, AF_UNIX };
	uint32_t pid = pid_of(get(g));
	struct cap_fd f = { .fd = (int32_t)(get(g) % 12) - 1, .ino = 1 + get(g) % 6, .dev = 8 << 20 };
	const char *t = targets[get(g) % 4];
	char data[128];
	size_t n = strlen(t) + 1;

	f.mode = t[0] == 's' ? 0140777 : 0100644;
	f.flags = get(g) % 4;
	f.family = fams[get(g) % 4];
	f.lport = (uint16_t)(get(g) << 8 | get(g));
	f.rport = get(g) % 2 ? 443 : 0;
	f.raddr[0] = 127;
	f.raddr[3] = 1;
	f.raddr[15] = (uint8_t)get(g);
	f.state = get(g) % 12;
	f.left_out = get(g) % 8 == 0 ? get(g) : 0;
	memcpy(data, t, n);
	if (f.family == AF_UNIX && get(g) % 2) { /* a name, NUL-terminated or not */
		memcpy(data + n, "@abstract", 10);
		n += 9 + get(g) % 2;
	}
	emit(g, CAP_REC_FD, pid, pid, &f, get(g) % 5 ? sizeof(f) : get(g) % sizeof(f), data, n, 0);
}

static void run_op(struct gen *g, unsigned op)
{
	switch (op % 16) {
	case 0: op_proc(g); break;
	case 1: op_fork(g); break;
	case 2: op_exec(g); break;
	case 3: op_exit(g); break;
	case 4: op_file(g); break;
	case 5: op_net(g); break;
	case 6: op_tls(g, CAP_REC_TLS, CAP_TLS_WRITE); break;
	case 7: op_tls(g, CAP_REC_TLS, CAP_TLS_READ); break;
	case 8: op_tls(g, CAP_REC_TLS_EVENT, CAP_TLS_WRITE); break;
	case 9: /* up to 255 ms (the held record first: within the reader's window) */
		release(g);
		g->now += (uint64_t)get(g) * 1000000;
		break;
	case 10: /* up to 25.6 s */
		release(g);
		g->now += (uint64_t)(1 + get(g)) * 100000000;
		break;
	case 11: g->count[g->cpu] += 1 + get(g) % 4; break;          /* lost records */
	case 12: g->cpu = get(g) % NCPUS; break;
	case 13: op_loss(g); break;
	case 14: op_fd(g); break;
	default: g->delay = 1 + get(g) % 8; break;                     /* next one late */
	}
}

/* The capture of the input at @path; 0 or -1. */
static int write_capture(const uint8_t *d, size_t n, const char *path)
{
	struct gen g = { .d = d, .n = n };
	struct cap_writer_opts o;
	struct cap_err err;
	unsigned flags = get(&g), i;

	g.zombies = flags & 4;
	g.trace = getenv("FUZZ_STREAM_TRACE") != NULL;
	g.now = BASE_TS;
	for (i = 0; i < NPIDS; i++) /* processes that predate the capture */
		g.start[i] = 1000000 + i;
	cap_writer_opts_init(&o);
	o.clock = gen_clock;
	o.clock_ctx = &g;
	o.no_part = 1;
	o.overwrite = 1;
	if (cap_writer_open(path, &o, &g.w, &err))
		return -1;
	if (cap_writer_set_anchor(g.w, BASE_TS, 1764000000000000000ull) ||
	    cap_writer_add_meta(g.w, "recorder", "fuzz_stream")) {
		cap_writer_abort(g.w);
		return -1;
	}
	while (g.off < g.n && g.nrecs < MAX_RECS && !g.rc)
		run_op(&g, get(&g));
	release(&g);
	if (g.rc || (flags & 1)) { /* bit 0: cut, as by a crash */
		cap_writer_abort(g.w);
		return g.rc ? -1 : 0;
	}
	return cap_writer_close(g.w, &err) ? -1 : 0;
}

/* ---- the exports ---- */

enum { WAY_SINK, WAY_ROWS, WAY_FULL };

static const char *pricing(void)
{
	const char *p = getenv("ASIGHT_PRICING");

	if (p && *p)
		return p;
	return access("analyze/pricing.tsv", R_OK) ? NULL : "analyze/pricing.tsv";
}

/* One export of @cap into @db as an_cmds_export.c does it; 0 or the failure. */
/*
 * `asanalyze dump` and `dump --json` of every record (an_rec.h decodes,
 * an_render.h prints, to /dev/null): the decoders read each type's fixed
 * part and data as the generator made them, short fixed parts and
 * unterminated strings included; ASan watches every byte they touch.
 */
static void dump_all(const char *cap)
{
	FILE *null = fopen("/dev/null", "w");
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err err;
	struct cap_rec rec;
	int json;

	if (!null)
		return;
	cap_reader_opts_init(&o);
	for (json = 0; json < 2; json++) {
		struct an_render rd = { .json = json, .preview = 64 };
		struct an_rec d;

		if (cap_reader_open(&cap, 1, &o, &r, &err))
			break;
		while (cap_reader_next(r, &rec) > 0) {
			an_rec_decode(&d, &rec);
			an_render_rec(&rd, &rec, &d, d.payload, d.payload_len, 0, null);
		}
		cap_reader_close(r);
		an_render_release(&rd);
	}
	fclose(null);
}

static int export(int way, const char *cap, const char *db, struct db_counts *cnt)
{
	struct db_opts dopts = { .redact = 1, .causal = 1 };
	struct db_stream *ds = NULL;
	struct model_opts mo;
	struct model *m = NULL;
	struct cap_err err;
	char msg[512];
	int rc;

	memset(cnt, 0, sizeof(*cnt));
	model_opts_init(&mo);
	mo.pricing = pricing();
	if (way != WAY_FULL && db_stream_open(db, &ds, msg, sizeof(msg)))
		return -1;
	if (way == WAY_SINK)
		mo.sink = db_stream_sink(ds, 1);
	if (way == WAY_ROWS) {
		mo.row = db_stream_row;
		mo.row_ctx = ds;
	}
	rc = model_build(&cap, 1, &mo, &m, &err);
	if (rc) {
		if (ds)
			db_stream_finish(ds, NULL, NULL, NULL, cnt, NULL, 0);
		return rc;
	}
	rc = ds ? db_stream_finish(ds, m, NULL, &dopts, cnt, msg, sizeof(msg))
		: db_write(m, NULL, db, &dopts, cnt, msg, sizeof(msg));
	model_free(m);
	return rc ? rc : 0;
}

/* ---- the comparison ---- */

static void show_row(const char *who, sqlite3_stmt *s)
{
	int i, n = sqlite3_column_count(s);

	fprintf(stderr, "  %s:", who);
	for (i = 0; i < n; i++) {
		const unsigned char *t = sqlite3_column_text(s, i);

		fprintf(stderr, " %s=%.200s", sqlite3_column_name(s, i),
			t ? (const char *)t : "NULL");
	}
	fputc('\n', stderr);
}

static int same_value(sqlite3_stmt *a, sqlite3_stmt *b, int i)
{
	int t = sqlite3_column_type(a, i);
	int n;

	if (t != sqlite3_column_type(b, i))
		return 0;
	switch (t) {
	case SQLITE_NULL:
		return 1;
	case SQLITE_INTEGER:
		return sqlite3_column_int64(a, i) == sqlite3_column_int64(b, i);
	case SQLITE_FLOAT:
		return sqlite3_column_double(a, i) == sqlite3_column_double(b, i);
	default:
		n = sqlite3_column_bytes(a, i);
		if (n != sqlite3_column_bytes(b, i))
			return 0;
		return !n || !memcmp(sqlite3_column_blob(a, i), sqlite3_column_blob(b, i),
				     (size_t)n);
	}
}

/* @sql's rows on both databases; 0 when equal, else prints the first
 * difference (@what names it) and returns 1. */
static int same_rows(sqlite3 *full, sqlite3 *live, const char *sql, const char *what,
		     const char *lname)
{
	sqlite3_stmt *a = NULL, *b = NULL;
	int ra, rb, row = 0, diff = 0, i;

	if (sqlite3_prepare_v2(full, sql, -1, &a, NULL) ||
	    sqlite3_prepare_v2(live, sql, -1, &b, NULL)) {
		fprintf(stderr, "fuzz_stream: %s: '%s': %s / %s\n", what, sql,
			sqlite3_errmsg(full), sqlite3_errmsg(live));
		diff = 1;
		goto out;
	}
	for (;; row++) {
		ra = sqlite3_step(a);
		rb = sqlite3_step(b);
		if (ra != rb) {
			fprintf(stderr, "fuzz_stream: %s: row %d in one database only\n", what,
				row);
			if (ra == SQLITE_ROW)
				show_row("whole model", a);
			if (rb == SQLITE_ROW)
				show_row(lname, b);
			diff = 1;
			break;
		}
		if (ra != SQLITE_ROW)
			break;
		for (i = 0; i < sqlite3_column_count(a) && same_value(a, b, i); i++)
			;
		if (i < sqlite3_column_count(a)) {
			fprintf(stderr, "fuzz_stream: %s: row %d differs in %s\n", what, row,
				sqlite3_column_name(a, i));
			show_row("whole model", a);
			show_row(lname, b);
			diff = 1;
			break;
		}
	}
out:
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	return diff;
}

/* "SELECT cols FROM t ORDER BY pk" for @table (execs: no exec_id). */
static int table_query(sqlite3 *db, const char *table, char *q, size_t size)
{
	char cols[2048] = "", order[512] = "", pk[16][64] = { { 0 } }, sql[256];
	sqlite3_stmt *s;
	int execs = !strcmp(table, "execs"), k, npk = 0;
	size_t n = 0, o = 0;

	snprintf(sql, sizeof(sql), "PRAGMA table_info(\"%s\")", table);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL))
		return -1;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(s, 1);

		k = sqlite3_column_int(s, 5);
		if (k > 0 && k <= 16) {
			snprintf(pk[k - 1], sizeof(pk[0]), "%s", c);
			npk = k > npk ? k : npk;
		}
		if (execs && !strcmp(c, "exec_id"))
			continue;
		n += (size_t)snprintf(cols + n, sizeof(cols) - n, "%s\"%s\"", n ? ", " : "", c);
	}
	sqlite3_finalize(s);
	if (execs) /* a retired process's execs were numbered when it was written */
		o = (size_t)snprintf(order, sizeof(order), "proc_id, exec_id");
	for (k = 0; !execs && k < npk; k++)
		o += (size_t)snprintf(order + o, sizeof(order) - o, "%s\"%s\"", k ? ", " : "",
				      pk[k]);
	snprintf(q, size, "SELECT %s FROM \"%s\" ORDER BY %s", cols, table, o ? order : "rowid");
	return n && n < sizeof(cols) ? 0 : -1;
}

static int same_db(const char *fullp, const char *livep, const char *lname)
{
	sqlite3 *full = NULL, *live = NULL;
	sqlite3_stmt *t = NULL;
	char q[4096], what[128];
	int diff = 0;

	if (sqlite3_open_v2(fullp, &full, SQLITE_OPEN_READONLY, NULL) ||
	    sqlite3_open_v2(livep, &live, SQLITE_OPEN_READONLY, NULL)) {
		fprintf(stderr, "fuzz_stream: cannot open the databases\n");
		diff = 1;
		goto out;
	}
	diff |= same_rows(full, live, "PRAGMA user_version", "user_version", lname);
	diff |= same_rows(full, live, "SELECT type, name, tbl_name, sql FROM sqlite_master "
			  "ORDER BY type, name", "schema", lname);
	if (diff || sqlite3_prepare_v2(full, "SELECT name FROM sqlite_master WHERE type = 'table' "
				       "ORDER BY name", -1, &t, NULL)) {
		diff = 1;
		goto out;
	}
	while (!diff && sqlite3_step(t) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(t, 0);

		snprintf(what, sizeof(what), "table %s", name);
		if (table_query(full, name, q, sizeof(q))) {
			fprintf(stderr, "fuzz_stream: %s: no query\n", what);
			diff = 1;
			break;
		}
		diff |= same_rows(full, live, q, what, lname);
	}
out:
	sqlite3_finalize(t);
	sqlite3_close(full);
	sqlite3_close(live);
	return diff;
}

static int same_counts(const struct db_counts *a, const struct db_counts *b, const char *lname)
{
	if (!memcmp(a, b, sizeof(*a)))
		return 0;
	fprintf(stderr, "fuzz_stream: counts differ (whole model / %s): processes %" PRIu64
		"/%" PRIu64 " execs %" PRIu64 "/%" PRIu64 " files %" PRIu64 "/%" PRIu64
		" connections %" PRIu64 "/%" PRIu64 " tls %" PRIu64 "/%" PRIu64 " chunks %" PRIu64
		"/%" PRIu64 " http %" PRIu64 "/%" PRIu64 " llm_calls %" PRIu64 "/%" PRIu64
		" messages %" PRIu64 "/%" PRIu64 " tool_calls %" PRIu64 "/%" PRIu64
		" effects %" PRIu64 "/%" PRIu64 " drops %" PRIu64 "/%" PRIu64 "\n", lname,
		a->processes, b->processes, a->execs, b->execs, a->files, b->files,
		a->connections, b->connections, a->tls, b->tls, a->chunks, b->chunks, a->http,
		b->http, a->llm_calls, b->llm_calls, a->messages, b->messages, a->tool_calls,
		b->tool_calls, a->effects, b->effects, a->drops, b->drops);
	return 1;
}

/* Everything in @dir, then @dir. */
static void rm_dir(const char *dir)
{
	char p[1024];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void compare(const char *dir, const char *cap, int way, const char *name, int rfull,
		    const struct db_counts *cfull, int zombies)
{
	struct db_counts c;
	char full[600], db[600];
	int r;

	snprintf(full, sizeof(full), "%s/full.db", dir);
	snprintf(db, sizeof(db), "%s/%s.db", dir, name);
	r = export(way, cap, db, &c);
	if (!r != !rfull) {
		fprintf(stderr, "fuzz_stream: whole model export %d, %s export %d\n", rfull, name,
			r);
		__builtin_trap();
	}
	if (!r && !zombies && (same_counts(cfull, &c, name) || same_db(full, db, name)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR")
			  : access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	char dir[512], cap[600], full[600];
	struct db_counts cfull;
	unsigned flags = n ? d[0] : 0;
	int rfull;

	snprintf(dir, sizeof(dir), "%s/fuzz_stream.XXXXXX", tmp);
	if (!mkdtemp(dir))
		abort();
	snprintf(cap, sizeof(cap), "%s/c.pcapng.zst", dir);
	snprintf(full, sizeof(full), "%s/full.db", dir);
	if (!write_capture(d, n, cap)) {
		dump_all(cap);
		rfull = export(WAY_FULL, cap, full, &cfull);
		compare(dir, cap, WAY_SINK, "streamed", rfull, &cfull, flags & 4);
		if (flags & 2)
			compare(dir, cap, WAY_ROWS, "rows", rfull, &cfull, 0);
	}
	if (getenv("FUZZ_STREAM_KEEP")) /* to look at a run: keep its files */
		fprintf(stderr, "fuzz_stream: kept '%s'\n", dir);
	else
		rm_dir(dir);
	return 0;
}
