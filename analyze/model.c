/* SPDX-License-Identifier: MIT */
/*
 * model.c - build the analysis model from capture files (see model.h).
 */
#include "model.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "analyze/autil.h"
#include "analyze/model_live.h"

#define AT_FDCWD_ (-100)

static char closed_fd[] = "";

void model_opts_init(struct model_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->keep_tls = 1;
}

/* ---- TLS: reassembly -> HTTP -> LLM ---- */

static void on_exchange(void *ctx, struct conv_exchange *ex)
{
	struct model *m = ctx;
	struct llm_call *c, **slot;

	if (m->sink) {
		model_live_exchange(m, ex);
		return;
	}
	c = llm_from_exchange(ex, m->pricing);
	if (!c)
		return;
	slot = au_push(&m->calls, &m->ncalls, &m->ccalls, sizeof(*slot));
	if (!slot) {
		llm_call_free(c);
		return;
	}
	*slot = c;
	ex->user = c;
}

static void s_open(void *ctx, struct stream_conn *c)
{
	struct model *m = ctx;

	struct tree_proc *p = tree_ref(m->tree, c->pid, c->start_ns, c->t_first);

	if (p) {
		/* the socket of this TLS session: the last connect() on its fd */
		struct au_key k = { p->id, (uint64_t)(int64_t)c->fd, 3 }, kc = { c->id, 0, 4 };
		void *v = au_map_get(&m->fds, k);

		/* its connections and calls name it to the end (tls_connections,
		 * llm_calls, the agent of causal_live): never retired */
		tree_pin(p);
		if (v)
			au_map_put(&m->fds, kc, v);
	}
	conv_stream_ops()->open(m->convs, c);
}

static void row_done(struct model *m, int kind, size_t idx)
{
	if (m->opts && m->opts->row)
		m->opts->row(m->opts->row_ctx, m, kind, idx);
}

static void s_chunk(void *ctx, struct stream_conn *c, const struct cap_rec *rec)
{
	struct model *m = ctx;
	struct model_tls *t, one;
	struct cap_tls ct;

	t = m->sink ? &one : au_push(&m->tls, &m->ntls, &m->ctls, sizeof(*t));
	if (!t)
		return;
	cap_rec_fixed(rec, &ct, sizeof(ct));
	t->ts = rec->hdr.ts_ns;
	t->seq = rec->hdr.seq;
	t->conn = c->id;
	t->pid = rec->hdr.pid;
	t->len = (uint32_t)rec->data_len;
	t->data_off = rec->hdr.data_off;
	t->dir = ct.dir;
	t->flags = rec->hdr.flags;
	t->orig_len = rec->hdr.orig_len;
	if (m->sink) {
		m->ntls++;
		model_live_tls(m, t);
		return;
	}
	row_done(m, MODEL_ROW_TLS, m->ntls - 1);
}

static void s_data(void *ctx, struct stream_conn *c, int dir, uint64_t ts, const uint8_t *p,
		   size_t n)
{
	struct model *m = ctx;

	conv_stream_ops()->data(m->convs, c, dir, ts, p, n);
}

static void s_gap(void *ctx, struct stream_conn *c, int dir, uint64_t ts, uint64_t missing)
{
	struct model *m = ctx;

	conv_stream_ops()->gap(m->convs, c, dir, ts, missing);
}

static const struct stream_ops model_sops = {
	.open = s_open, .chunk = s_chunk, .data = s_data, .gap = s_gap,
};

/* ---- files and sockets ---- */

/* Where a row's strings go: the model's arena, or (streaming) the
 * current row's, reused once the row is given. */
static struct au_arena *row_arena(struct model *m)
{
	return m->sink ? &m->row_strs : &m->strs;
}

static char *join_path(struct model *m, const char *dir, const char *p)
{
	if (!dir || !*dir)
		return NULL;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	return au_arena_join(row_arena(m), dir, p);
}

static const char *fd_path(struct model *m, const struct tree_proc *p, int32_t fd)
{
	struct au_key k = { p->id, (uint64_t)(int64_t)fd, 2 };
	const char *s = au_map_get(&m->fds, k);

	return s && *s ? s : NULL;
}

static void fd_set_path(struct model *m, const struct tree_proc *p, int32_t fd, char *s)
{
	struct au_key k = { p->id, (uint64_t)(int64_t)fd, 2 };
	char *old;

	if (m->sink) {
		/* streaming: the map owns a copy, freed once the row that may
		 * still show the old one is given */
		old = au_map_get(&m->fds, k);
		if (old && old != closed_fd) {
			free(m->row_free);
			m->row_free = old;
		}
		s = s ? au_strdup(s) : NULL;
	}
	au_map_put(&m->fds, k, s ? s : closed_fd);
}

/*
 * The path a file was last opened for writing under, by its inode
 * (cap_file ino/dev, 0 in older captures): a write through an fd its process did
 * not open (a shell's redirection, dup2, an fd inherited at fork or kept
 * across exec) has no path of its own.  The map owns a copy; a row takes
 * its own (ino_row_path), as a later open may replace this one.
 */
#define FD_INO 6

static void ino_set_path(struct model *m, const struct cap_file *cf, const char *path)
{
	struct au_key k = { cf->dev, cf->ino, FD_INO };
	char *old = au_map_get(&m->fds, k), *s;

	if (!cf->ino || !path || (old && !strcmp(old, path)))
		return;
	s = au_strdup(path);
	if (!s)
		return; /* the old name stays: better than none */
	free(old);
	au_map_put(&m->fds, k, s);
}

static char *ino_row_path(struct model *m, const struct cap_file *cf)
{
	struct au_key k = { cf->dev, cf->ino, FD_INO };
	const char *s = cf->ino ? au_map_get(&m->fds, k) : NULL;

	return s ? au_arena_strndup(row_arena(m), s, strlen(s)) : NULL;
}

/*
 * The inode an fd's open gave (malloc'd, key class FD_ID), so that a write
 * or close that carries another one is known not to be through the file
 * the fd map names: dup2() (not recorded) put another file on that fd
 * number, and the path found by inode is the right one.
 */
#define FD_ID 7
struct fd_id {
	uint64_t ino;
	uint32_t dev;
};

static void fd_set_id(struct model *m, const struct tree_proc *p, int32_t fd,
		      const struct cap_file *cf)
{
	struct au_key k = { p->id, (uint64_t)(int64_t)fd, FD_ID };
	struct fd_id *old = au_map_get(&m->fds, k), *s = NULL;

	if (cf && cf->ino && (s = malloc(sizeof(*s)))) {
		s->ino = cf->ino;
		s->dev = cf->dev;
	}
	free(old);
	au_map_put(&m->fds, k, s);
}

/* Is @cf's file (when it names one) another than the one @fd was opened on? */
static int fd_replaced(struct model *m, const struct tree_proc *p, int32_t fd,
		       const struct cap_file *cf)
{
	struct au_key k = { p->id, (uint64_t)(int64_t)fd, FD_ID };
	const struct fd_id *s = cf->ino ? au_map_get(&m->fds, k) : NULL;

	return s && (s->ino != cf->ino || s->dev != cf->dev);
}

/* The absolute form of @path: @path itself when already absolute. */
static char *resolve(struct model *m, const struct tree_proc *p, int32_t dirfd, char *path)
{
	if (!path || !*path)
		return NULL;
	if (path[0] == '/')
		return path;
	if (dirfd == AT_FDCWD_ || dirfd == -1)
		return join_path(m, p->cwd, path);
	return join_path(m, fd_path(m, p, dirfd), path);
}

static int add_file(struct model *m, const struct cap_rec *rec, struct tree_proc *p,
		    struct model_file *one)
{
	struct model_file *f = one ? one : au_push(&m->files, &m->nfiles, &m->cfiles, sizeof(*f));
	struct cap_file cf;
	const char *d = (const char *)rec->data;
	size_t l;

	if (!f)
		return -ENOMEM;
	cap_rec_fixed(rec, &cf, sizeof(cf));
	f->ts = rec->hdr.ts_ns;
	f->proc = p;
	f->tid = rec->hdr.tid;
	f->type = rec->hdr.type;
	f->ret = cf.ret;
	f->fd = cf.fd;
	f->flags = cf.flags;
	f->mode = cf.mode;
	f->count = cf.count;
	switch (rec->hdr.type) {
	case CAP_REC_WRITE:
	case CAP_REC_READ:
	case CAP_REC_CLOSE:
		/* the OPEN row owns the fd's path and lives as long as the model:
		 * one string for every read and write instead of two copies each */
		f->path = (char *)fd_path(m, p, cf.fd);
		if (f->path && fd_replaced(m, p, cf.fd, &cf))
			f->path = NULL;
		f->borrowed = f->path != NULL;
		if (!f->path)
			f->path = ino_row_path(m, &cf);
		f->abs = f->path;
		/* sendfile, splice, copy_file_range: the source (fd2 since 0.1) */
		if (rec->hdr.type == CAP_REC_WRITE && cf.fd2 != AT_FDCWD_ &&
		    rec->fixed_len >= offsetof(struct cap_file, pad)) {
			const char *src = fd_path(m, p, cf.fd2);

			if (src)
				f->path2 = au_arena_strndup(row_arena(m), src, strlen(src));
		}
		if (rec->hdr.type == CAP_REC_CLOSE && cf.ret == 0) {
			fd_set_path(m, p, cf.fd, NULL);
			fd_set_id(m, p, cf.fd, NULL);
		}
		return 0;
	default:
		break;
	}
	l = strnlen(d, rec->data_len);
	/* the paths live as long as the model: from its arena (m->strs); when
	 * streaming, as long as the row (m->row_strs) */
	f->path = au_arena_strndup(row_arena(m), d, l);
	if (rec->hdr.type == CAP_REC_RENAME && l + 1 < rec->data_len)
		f->path2 = au_arena_strndup(row_arena(m), d + l + 1,
					    strnlen(d + l + 1, rec->data_len - l - 1));
	if ((rec->hdr.type == CAP_REC_CHMOD || rec->hdr.type == CAP_REC_TRUNCATE) && !l) {
		const char *fp = fd_path(m, p, cf.fd);

		f->abs = fp ? au_arena_strndup(row_arena(m), fp, strlen(fp)) : NULL;
	} else
		f->abs = resolve(m, p, cf.fd, f->path);
	if (rec->hdr.type == CAP_REC_OPEN && cf.ret >= 0) {
		fd_set_path(m, p, (int32_t)cf.ret, f->abs ? f->abs : f->path);
		fd_set_id(m, p, (int32_t)cf.ret, &cf);
		/* O_WRONLY or O_RDWR: only writes look a path up by inode */
		if (cf.flags & 3)
			ino_set_path(m, &cf, f->abs ? f->abs : f->path);
	}
	return 0;
}

/*
 * The address a socket fd was last given: the target of its last
 * connect() (whatever it returned), the peer of the accept() that made
 * it, or where it listens or is bound (successful calls).  Kept
 * (malloc'd, key class FD_SOCK) for the row of its close, which the CLOSE
 * record does not carry.  Not a row index: a streamed model keeps no rows.
 */
#define FD_SOCK 5
struct sock_peer {
	uint16_t family, port;
	char addr[64];
};

static void fd_set_peer(struct model *m, const struct tree_proc *p, int32_t fd,
			const struct model_net *n)
{
	struct au_key k = { p->id, (uint64_t)(int64_t)fd, FD_SOCK };
	struct sock_peer *old = au_map_get(&m->fds, k), *s = NULL;

	if (n && (s = malloc(sizeof(*s)))) {
		s->family = n->family;
		s->port = n->port;
		memcpy(s->addr, n->addr, sizeof(s->addr));
	}
	free(old);
	au_map_put(&m->fds, k, s);
}

static int is_socket_close(const struct cap_rec *rec)
{
	struct cap_file cf;

	if (rec->hdr.type != CAP_REC_CLOSE)
		return 0;
	cap_rec_fixed(rec, &cf, sizeof(cf));
	return (cf.mode & S_IFMT) == S_IFSOCK;
}

/* A new connections row of @rec's time, process and type (zeroed), or NULL. */
static struct model_net *net_row(struct model *m, const struct cap_rec *rec, struct tree_proc *p,
				 struct model_net *one)
{
	struct model_net *n = one ? one : au_push(&m->nets, &m->nnets, &m->cnets, sizeof(*n));

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->ts = rec->hdr.ts_ns;
	n->proc = p;
	n->tid = rec->hdr.tid;
	n->type = rec->hdr.type;
	return n;
}

/* A socket's close: a row of connections (op close) with its peer. */
static int add_socket_close(struct model *m, const struct cap_rec *rec, struct tree_proc *p,
			    struct model_net *one)
{
	struct model_net *n = net_row(m, rec, p, one);
	struct au_key k;
	const struct sock_peer *s;
	struct cap_file cf;

	if (!n)
		return -ENOMEM;
	cap_rec_fixed(rec, &cf, sizeof(cf));
	n->ret = cf.ret;
	n->fd = cf.fd;
	k = (struct au_key){ p->id, (uint64_t)(int64_t)cf.fd, FD_SOCK };
	s = au_map_get(&m->fds, k);
	if (s) {
		n->family = s->family;
		n->port = s->port;
		memcpy(n->addr, s->addr, sizeof(n->addr));
		n->addr[sizeof(n->addr) - 1] = 0;
	}
	if (cf.ret == 0)
		fd_set_peer(m, p, cf.fd, NULL);
	return 0;
}

/* A socket of the snapshot's fd table whose address was found. */
static int is_socket_fd(const struct cap_rec *rec)
{
	struct cap_fd f;

	if (rec->hdr.type != CAP_REC_FD)
		return 0;
	cap_rec_fixed(rec, &f, sizeof(f));
	return S_ISSOCK(f.mode) && f.family;
}

/* The switch key of the dispatchers: a socket's close, or a socket open
 * when the snapshot was taken, makes a net row. */
static uint16_t row_kind(const struct cap_rec *rec)
{
	return is_socket_close(rec) || is_socket_fd(rec) ? CAP_REC_CONNECT : rec->hdr.type;
}

/*
 * An fd open when the snapshot was taken (asrecord -p, or a rotation): the
 * fd maps get what an open would have given them, so that later writes,
 * closes and dirfd-relative paths through it resolve.  No row.
 */
static void add_fd_file(struct model *m, const struct cap_rec *rec, struct tree_proc *p)
{
	const char *d = (const char *)rec->data;
	size_t l = d ? strnlen(d, rec->data_len) : 0;
	struct cap_file cf = { 0 };
	struct cap_fd f;
	char *path;

	cap_rec_fixed(rec, &f, sizeof(f));
	path = l && d[0] == '/' ? au_arena_strndup(row_arena(m), d, l) : NULL;
	if (!path) {
		/* a pipe, socket or anon inode: no path, and none left from a
		 * file that had this fd number before (a rotation's snapshot) */
		fd_set_path(m, p, f.fd, NULL);
		fd_set_id(m, p, f.fd, NULL);
		return;
	}
	cf.ino = f.ino;
	cf.dev = f.dev;
	fd_set_path(m, p, f.fd, path);
	fd_set_id(m, p, f.fd, &cf);
	if (f.flags & 3)
		ino_set_path(m, &cf, path);
}

/* A socket open at the snapshot: a connections row (op "fd") with its
 * peer, or where it listens or is bound; TLS on that fd finds it as it
 * would its connect(). */
static int add_fd_net(struct model *m, const struct cap_rec *rec, struct tree_proc *p,
		      struct model_net *one)
{
	struct model_net *n = net_row(m, rec, p, one);
	const char *d = (const char *)rec->data;
	size_t l = d ? strnlen(d, rec->data_len) : 0;
	int peer;
	struct cap_fd f;

	if (!n)
		return -ENOMEM;
	cap_rec_fixed(rec, &f, sizeof(f));
	n->fd = f.fd;
	n->family = f.family;
	peer = f.family != AF_UNIX && f.rport;
	n->port = peer ? f.rport : f.lport;
	if (f.family == AF_INET || f.family == AF_INET6)
		inet_ntop(f.family, peer ? f.raddr : f.laddr, n->addr, sizeof(n->addr));
	else if (f.family == AF_UNIX && l + 1 < rec->data_len)
		snprintf(n->addr, sizeof(n->addr), "%.*s",
			 (int)strnlen(d + l + 1, rec->data_len - l - 1), d + l + 1);
	fd_set_path(m, p, f.fd, NULL);
	fd_set_id(m, p, f.fd, NULL);
	fd_set_peer(m, p, f.fd, n);
	{
		struct au_key k = { p->id, (uint64_t)(int64_t)f.fd, 3 };

		/* index + 1, as for connect() */
		au_map_put(&m->fds, k, (void *)(uintptr_t)(m->nnets + (one ? 1 : 0)));
	}
	return 0;
}

static int add_net(struct model *m, const struct cap_rec *rec, struct tree_proc *p,
		   struct model_net *one)
{
	struct model_net *n;
	struct cap_net cn;

	if (rec->hdr.type == CAP_REC_CLOSE)
		return add_socket_close(m, rec, p, one);
	if (rec->hdr.type == CAP_REC_FD)
		return add_fd_net(m, rec, p, one);
	n = one ? one : au_push(&m->nets, &m->nnets, &m->cnets, sizeof(*n));
	if (!n)
		return -ENOMEM;
	cap_rec_fixed(rec, &cn, sizeof(cn));
	n->ts = rec->hdr.ts_ns;
	n->proc = p;
	n->tid = rec->hdr.tid;
	n->type = rec->hdr.type;
	n->ret = cn.ret;
	n->fd = cn.fd;
	n->family = cn.family;
	n->port = cn.port;
	if (cn.family == AF_INET)
		inet_ntop(AF_INET, cn.addr, n->addr, sizeof(n->addr));
	else if (cn.family == AF_INET6)
		inet_ntop(AF_INET6, cn.addr, n->addr, sizeof(n->addr));
	else if (cn.family == AF_UNIX)
		snprintf(n->addr, sizeof(n->addr), "%.*s", (int)strnlen(cn.path, sizeof(cn.path)),
			 cn.path);
	if (rec->hdr.type == CAP_REC_ACCEPT && cn.ret >= 0) {
		fd_set_path(m, p, (int32_t)cn.ret, NULL);
		fd_set_id(m, p, (int32_t)cn.ret, NULL);
		fd_set_peer(m, p, (int32_t)cn.ret, n);
	}
	if (rec->hdr.type == CAP_REC_CONNECT ||
	    ((rec->hdr.type == CAP_REC_BIND || rec->hdr.type == CAP_REC_LISTEN) && cn.ret == 0))
		fd_set_peer(m, p, cn.fd, n);
	if (rec->hdr.type == CAP_REC_CONNECT) {
		struct au_key k = { p->id, (uint64_t)(int64_t)cn.fd, 3 };

		/* index + 1: the array moves as it grows */
		au_map_put(&m->fds, k, (void *)(uintptr_t)(m->nnets + (one ? 1 : 0)));
	}
	return 0;
}

static void add_drop(struct model *m, uint64_t ts, const char *kind, uint64_t count,
		     uint64_t first_seq, uint32_t probe, uint32_t cpu)
{
	struct model_drop *d = au_push(&m->drops, &m->ndrops, &m->cdrops, sizeof(*d));

	if (!d)
		return;
	d->ts = ts;
	d->kind = kind;
	d->count = count;
	d->first_seq = first_seq;
	d->probe = probe;
	d->cpu = cpu;
}

static void note_clock(struct model *m, const struct cap_reader *r)
{
	const char *mono = cap_reader_meta(r, "clock_mono_ns");
	const char *real = cap_reader_meta(r, "clock_real_ns");
	const char *host = cap_reader_meta(r, "hostname");

	if (!m->has_clock && mono && real) {
		m->mono_to_real = (int64_t)(strtoull(real, NULL, 10) - strtoull(mono, NULL, 10));
		m->has_clock = 1;
	}
	if (!m->hostname && host)
		m->hostname = au_strdup(host);
}

/* Records that neither keep nor give a row. */
static int dispatch_rest(struct model *m, const struct cap_rec *rec)
{
	struct cap_loss loss;

	if (rec->hdr.type == CAP_REC_LOSS) {
		cap_rec_fixed(rec, &loss, sizeof(loss));
		add_drop(m, rec->hdr.ts_ns, "loss", loss.lost, 0, loss.probe, rec->hdr.cpu);
	}
	return 0;
}

/* Entries of exited processes' descriptors: no record will use them. */
static int fd_gone(void *ctx, struct au_key k, void *v)
{
	struct model *m = ctx;
	const struct tree_proc *p;

	if ((k.c != 2 && k.c != 3 && k.c != FD_SOCK && k.c != FD_ID) || !k.a ||
	    k.a > m->tree->nids)
		return 0;
	p = tree_by_id(m->tree, k.a); /* NULL: retired (exited) */
	if (p && !p->exited)
		return 0;
	if ((k.c == 2 && v != closed_fd) || k.c == FD_SOCK || k.c == FD_ID)
		free(v);
	return 1;
}

/* Streaming: what the process table needs no more once a process exited. */
static void live_trim(struct model *m, const struct cap_rec *rec)
{
	struct tree_proc *p;
	struct tree_exec *x;

	if (rec->hdr.type == CAP_REC_EXIT &&
	    (p = tree_get(m->tree, rec->hdr.pid, rec->hdr.task_start_ns)) && p->exited &&
	    p->cexecs > p->nexecs && p->nexecs) {
		/* no exec will come: the array's room for more goes */
		x = realloc(p->execs, p->nexecs * sizeof(*x));
		if (x) {
			p->execs = x;
			p->cexecs = p->nexecs;
		}
	}
	if (m->fds.n > 4096 && m->fds.n > 2 * m->fds_kept) {
		au_map_drop(&m->fds, fd_gone, m);
		m->fds_kept = m->fds.n;
	}
}

/* Streaming: the same, each row given to the sink (model_live.c). */
static int dispatch_live(struct model *m, const struct cap_rec *rec)
{
	const struct cap_rec_hdr *h = &rec->hdr;
	struct model_file f;
	struct model_net n;
	struct tree_proc *p;
	int r = 0;

	if (h->type < 0x8000 && h->seq && !h->data_off)
		model_live_seq(m, h->seq, h->ts_ns);
	if (!m->tree_linked && h->type != CAP_REC_PROC && h->type != CAP_REC_FD) {
		/* the snapshot's parents, as tree_finish links them at the end */
		tree_finish(m->tree);
		m->tree_linked = 1;
	}
	if (tree_feed(m->tree, rec))
		return -ENOMEM;
	if (h->type == CAP_REC_CLOSE)
		stream_feed(m->streams, rec); /* see dispatch */
	switch (row_kind(rec)) {
	case CAP_REC_TLS:
	case CAP_REC_TLS_EVENT:
		r = stream_feed(m->streams, rec);
		break;
	case CAP_REC_OPEN: case CAP_REC_WRITE: case CAP_REC_UNLINK: case CAP_REC_RENAME:
	case CAP_REC_MKDIR: case CAP_REC_CHMOD: case CAP_REC_TRUNCATE: case CAP_REC_READ:
	case CAP_REC_CLOSE:
		memset(&f, 0, sizeof(f));
		p = tree_ref(m->tree, h->pid, h->task_start_ns, h->ts_ns);
		r = p ? model_live_procs(m) : -ENOMEM;
		if (!r)
			r = add_file(m, rec, p, &f);
		if (!r) {
			m->nfiles++;
			r = model_live_file(m, &f);
		}
		break;
	case CAP_REC_CONNECT: case CAP_REC_ACCEPT: case CAP_REC_BIND: case CAP_REC_LISTEN:
		memset(&n, 0, sizeof(n));
		p = tree_ref(m->tree, h->pid, h->task_start_ns, h->ts_ns);
		r = p ? model_live_procs(m) : -ENOMEM;
		if (!r)
			r = add_net(m, rec, p, &n);
		if (!r) {
			m->nnets++;
			r = model_live_net(m, &n);
		}
		break;
	case CAP_REC_FD:
		p = tree_ref(m->tree, h->pid, h->task_start_ns, h->ts_ns);
		r = p ? model_live_procs(m) : -ENOMEM;
		if (!r)
			add_fd_file(m, rec, p);
		break;
	default:
		r = dispatch_rest(m, rec);
		break;
	}
	free(m->row_free);
	m->row_free = NULL;
	au_arena_reset(&m->row_strs);
	live_trim(m, rec);
	if (!r)
		r = model_live_procs(m);
	if (!r)
		model_live_pump(m);
	/* after the pump: what it was done with may go too */
	tree_advance(m->tree, h->ts_ns);
	return r;
}

static int dispatch(struct model *m, const struct cap_rec *rec)
{
	const struct cap_rec_hdr *h = &rec->hdr;
	struct tree_proc *p;
	struct model_seq *s;
	int r;

	if (h->type < 64)
		m->by_type[h->type]++;
	if (m->sink)
		return dispatch_live(m, rec);
	if (h->type < 0x8000 && h->seq && !h->data_off) {
		s = au_push(&m->seqs, &m->nseqs, &m->cseqs, sizeof(*s));
		if (s) {
			s->seq = h->seq;
			s->ts = h->ts_ns;
		}
	}
	r = tree_feed(m->tree, rec);
	if (r)
		return r;
	/*
	 * close(fd) ends the aws-lc AEAD contexts of that socket (stream.c
	 * aead_close_fd): without it, a context address the allocator gives
	 * the next connection (codex, one connection per call) goes on
	 * feeding the old connection, and that call has no response.
	 */
	if (h->type == CAP_REC_CLOSE)
		stream_feed(m->streams, rec);
	switch (row_kind(rec)) {
	case CAP_REC_TLS:
	case CAP_REC_TLS_EVENT:
		return stream_feed(m->streams, rec);
	case CAP_REC_OPEN: case CAP_REC_WRITE: case CAP_REC_UNLINK: case CAP_REC_RENAME:
	case CAP_REC_MKDIR: case CAP_REC_CHMOD: case CAP_REC_TRUNCATE: case CAP_REC_READ:
	case CAP_REC_CLOSE:
		p = tree_ref(m->tree, h->pid, h->task_start_ns, h->ts_ns);
		r = p ? add_file(m, rec, p, NULL) : -ENOMEM;
		if (!r)
			row_done(m, MODEL_ROW_FILE, m->nfiles - 1);
		return r;
	case CAP_REC_CONNECT: case CAP_REC_ACCEPT: case CAP_REC_BIND: case CAP_REC_LISTEN:
		p = tree_ref(m->tree, h->pid, h->task_start_ns, h->ts_ns);
		r = p ? add_net(m, rec, p, NULL) : -ENOMEM;
		if (!r)
			row_done(m, MODEL_ROW_NET, m->nnets - 1);
		return r;
	case CAP_REC_FD:
		p = tree_ref(m->tree, h->pid, h->task_start_ns, h->ts_ns);
		if (p)
			add_fd_file(m, rec, p);
		return 0;
	default:
		return dispatch_rest(m, rec);
	}
}

static int seq_cmp(const void *a, const void *b)
{
	const struct model_seq *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Holes in a CPU's sequence are records the ring buffer lost (sorted, each
 * CPU's seqs are together: CAP_SEQ_CPU is their top bits). */
static void seq_gaps(struct model *m)
{
	size_t i;

	if (m->nseqs > 1)
		qsort(m->seqs, m->nseqs, sizeof(*m->seqs), seq_cmp);
	for (i = 1; i < m->nseqs; i++)
		if (m->seqs[i].seq > m->seqs[i - 1].seq + 1 &&
		    CAP_SEQ_CPU(m->seqs[i].seq) == CAP_SEQ_CPU(m->seqs[i - 1].seq))
			add_drop(m, m->seqs[i].ts, "seq_gap",
				 m->seqs[i].seq - m->seqs[i - 1].seq - 1, m->seqs[i - 1].seq + 1,
				 UINT32_MAX, UINT32_MAX);
	free(m->seqs);
	m->seqs = NULL;
	m->nseqs = m->cseqs = 0;
}

static int call_cmp(const void *a, const void *b)
{
	const struct llm_call *x = *(struct llm_call *const *)a, *y = *(struct llm_call *const *)b;

	if (x->t_req != y->t_req)
		return x->t_req < y->t_req ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void add_warning(struct model *m, const char *w)
{
	char **s = au_push(&m->warnings, &m->nwarnings, &m->cwarnings, sizeof(*s));

	if (s)
		*s = au_strdup(w);
}

static uint64_t files_size(const char *const *paths, size_t n)
{
	uint64_t total = 0;
	struct stat st;
	size_t i;

	for (i = 0; i < n; i++)
		if (!stat(paths[i], &st))
			total += (uint64_t)st.st_size;
	return total;
}

static void progress(const struct model_opts *o, const struct cap_reader *r, uint64_t total)
{
	struct cap_reader_stats s;

	cap_reader_stats(r, &s);
	o->progress(o->progress_ctx, s.comp_bytes, total);
}

static int read_all(struct model *m, const char *const *paths, size_t n,
		    const struct model_opts *o, struct cap_err *err)
{
	uint64_t total = o && o->progress ? files_size(paths, n) : 0;
	struct cap_reader_opts ro;
	struct cap_reader *r;
	struct cap_rec rec;
	const char *w;
	size_t i;
	int rc;

	cap_reader_opts_init(&ro);
	ro.order = CAP_READ_TIME;
	ro.skip_housekeeping = 1;
	rc = cap_reader_open(paths, n, &ro, &r, err);
	if (rc)
		return rc;
	while ((rc = cap_reader_next(r, &rec)) > 0) {
		if (!m->records++)
			note_clock(m, r);
		if (rec.hdr.ts_ns && rec.hdr.type < 0x8000) {
			if (!m->first_ts || rec.hdr.ts_ns < m->first_ts)
				m->first_ts = rec.hdr.ts_ns;
			if (rec.hdr.ts_ns > m->last_ts)
				m->last_ts = rec.hdr.ts_ns;
		}
		if (total && !(m->records & 8191))
			progress(o, r, total);
		if (dispatch(m, &rec)) {
			rc = -ENOMEM;
			cap_err_set(err, rc, "", CAP_OFF_NONE, CAP_OFF_NONE, "out of memory");
			break;
		}
	}
	if (rc < 0 && rc != -ENOMEM)
		*err = *cap_reader_err(r);
	note_clock(m, r);
	cap_reader_stats(r, &m->rstats);
	for (i = 0; (w = cap_reader_warning(r, i)); i++)
		add_warning(m, w);
	cap_reader_close(r);
	return rc < 0 ? rc : 0;
}

int model_build(const char *const *paths, size_t n, const struct model_opts *o,
		struct model **out, struct cap_err *err)
{
	struct model *m = calloc(1, sizeof(*m));
	unsigned bad = 0;
	int rc;

	*out = NULL;
	cap_err_clear(err);
	if (!m)
		return -ENOMEM;
	if (o && o->pricing && (rc = llm_pricing_load(o->pricing, &m->pricing, &bad))) {
		cap_err_set(err, rc, o->pricing, CAP_OFF_NONE, CAP_OFF_NONE, "%s",
			    rc == -EBADMSG ? "line is not MODEL IN OUT CACHE_READ CACHE_WRITE"
					   : strerror(-rc));
		if (bad)
			snprintf(err->msg, sizeof(err->msg), "line %u: expected 'MODEL IN OUT "
				 "CACHE_READ CACHE_WRITE' (USD per million tokens)", bad);
		free(m);
		return rc;
	}
	if (tree_new(&m->tree) || conv_new(on_exchange, m, &m->convs) ||
	    stream_new(&model_sops, m, &m->streams)) {
		model_free(m);
		return -ENOMEM;
	}
	m->opts = o;
	m->sink = o ? o->sink : NULL;
	if (m->sink && model_live_new(m)) {
		model_free(m);
		return -ENOMEM;
	}
	rc = read_all(m, paths, n, o, err);
	if (rc) {
		if (o && o->row) /* the rows given point into the model */
			o->row(o->row_ctx, NULL, -1, 0);
		model_free(m);
		return rc;
	}
	stream_finish(m->streams); /* may still pass chunks to row_done */
	m->opts = NULL;
	conv_finish(m->convs);
	if (m->sink) {
		model_live_finish(m);
		tree_finish(m->tree);
		*out = m;
		return 0;
	}
	tree_finish(m->tree);
	seq_gaps(m);
	if (m->ncalls > 1) /* (qsort of a NULL array is undefined, even of 0) */
		qsort(m->calls, m->ncalls, sizeof(*m->calls), call_cmp);
	llm_mark_retries(m->calls, m->ncalls);
	llm_link_previous(m->calls, m->ncalls);
	*out = m;
	return 0;
}

static void *bg_free_run(void *arg)
{
	model_free(((struct model_bg_free *)arg)->m);
	return NULL;
}

void model_free_start(void *arg)
{
	struct model_bg_free *b = arg;

	b->started = !pthread_create(&b->t, NULL, bg_free_run, b);
}

static void *convs_free_run(void *arg)
{
	struct model *m = arg;
	size_t i;

	for (i = 0; i < m->ncalls; i++)
		llm_call_free(m->calls[i]);
	free(m->calls);
	m->calls = NULL;
	m->ncalls = m->ccalls = 0;
	conv_free(m->convs);
	m->convs = NULL;
	return NULL;
}

void model_free_convs_start(void *arg)
{
	struct model *m = ((struct model_bg_free *)arg)->m;

	if (!m->convs_started)
		m->convs_started = !pthread_create(&m->convs_t, NULL, convs_free_run, m);
}

void model_free(struct model *m)
{
	size_t i;

	if (!m)
		return;
	if (m->convs_started)
		pthread_join(m->convs_t, NULL);
	model_live_free(m); /* gives its exchanges back to m->convs */
	if (m->sink)
		au_map_free_values(&m->fds, 2, closed_fd);
	au_map_free_values(&m->fds, FD_SOCK, NULL);
	au_map_free_values(&m->fds, FD_INO, NULL);
	au_map_free_values(&m->fds, FD_ID, NULL);
	au_arena_release(&m->row_strs);
	free(m->row_free);
	for (i = 0; i < m->ncalls; i++)
		llm_call_free(m->calls[i]);
	au_arena_release(&m->strs); /* the files' paths */
	for (i = 0; i < m->nwarnings; i++)
		free(m->warnings[i]);
	free(m->warnings);
	free(m->calls);
	free(m->files);
	free(m->nets);
	free(m->tls);
	free(m->drops);
	free(m->seqs);
	free(m->hostname);
	au_map_release(&m->fds);
	conv_free(m->convs);
	stream_free(m->streams);
	tree_free(m->tree);
	llm_pricing_free(m->pricing);
	free(m);
}

const char *model_time(const struct model *m, uint64_t ts, char *buf, size_t size)
{
	struct tm tm;
	time_t t;
	uint64_t ns;

	if (!m->has_clock) {
		snprintf(buf, size, "%" PRIu64 ".%06" PRIu64, ts / 1000000000u,
			 ts % 1000000000u / 1000u);
		return buf;
	}
	ns = ts + (uint64_t)m->mono_to_real;
	t = (time_t)(ns / 1000000000u);
	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d.%03u", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ns % 1000000000u / 1000000u));
	return buf;
}

struct tree_proc *model_conn_proc(const struct model *m, const struct stream_conn *c)
{
	return tree_ref(m->tree, c->pid, c->start_ns, c->t_first);
}

const struct model_net *model_conn_net(const struct model *m, const struct stream_conn *c)
{
	uint64_t v = model_conn_net_row(m, c);

	return v && m->nets ? &m->nets[v - 1] : NULL;
}

uint64_t model_conn_net_row(const struct model *m, const struct stream_conn *c)
{
	struct au_key k = { c->id, 0, 4 };
	uintptr_t v = (uintptr_t)au_map_get(&m->fds, k);

	return v && v <= m->nnets ? v : 0;
}
