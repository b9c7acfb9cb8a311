/* SPDX-License-Identifier: MIT */
/*
 * an_rec.c - raw record -> named fields (see an_rec.h).  One function per
 * record family; every length comes from the record and is checked
 * against what is there before use.
 */
#include "an_rec.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "an_fmt.h"

static const unsigned known_types[] = {
	CAP_REC_FORK,	  CAP_REC_EXEC,	   CAP_REC_EXIT,   CAP_REC_OPEN,     CAP_REC_WRITE,
	CAP_REC_UNLINK,	  CAP_REC_RENAME,  CAP_REC_MKDIR,  CAP_REC_CHMOD,    CAP_REC_TRUNCATE,
	CAP_REC_READ,	  CAP_REC_CONNECT, CAP_REC_ACCEPT, CAP_REC_BIND,     CAP_REC_LISTEN,
	CAP_REC_CLOSE,	  CAP_REC_TLS,	   CAP_REC_TLS_EVENT, CAP_REC_META,  CAP_REC_PROC,
	CAP_REC_TARGET,	  CAP_REC_STATS,   CAP_REC_CHAIN,  CAP_REC_FOOTER,   CAP_REC_INDEX,
	CAP_REC_LOSS,	  CAP_REC_FD,
};

static int is_known(unsigned type)
{
	size_t i;

	for (i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		if (known_types[i] == type)
			return 1;
	return 0;
}

const char *an_rec_type_name(unsigned type, char *buf, size_t size)
{
	const char *n = is_known(type) ? cap_rec_type_name(type) : NULL;

	if (n && *n)
		return n;
	snprintf(buf, size, "type%u", type);
	return buf;
}

int an_rec_type_parse(const char *s, unsigned *type)
{
	unsigned long long v;
	char *end;
	size_t i;

	for (i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++) {
		const char *n = cap_rec_type_name(known_types[i]);

		if (n && !strcasecmp(n, s)) {
			*type = known_types[i];
			return 0;
		}
	}
	if (!strncasecmp(s, "type", 4))
		s += 4;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	v = strtoull(s, &end, 0);
	if (*end || v > 0xffff)
		return -EINVAL;
	*type = (unsigned)v;
	return 0;
}

int an_rec_is_housekeeping(unsigned type)
{
	return type == CAP_REC_META || type == CAP_REC_STATS || type == CAP_REC_CHAIN ||
	       type == CAP_REC_INDEX || type == CAP_REC_FOOTER;
}

static struct an_field *add(struct an_rec *d, const char *name, int type, int flags)
{
	struct an_field *f;

	if (d->n >= AN_REC_MAX_FIELDS)
		return NULL;
	f = &d->f[d->n++];
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->type = (unsigned char)type;
	f->flags = (unsigned char)flags;
	return f;
}

static void add_u(struct an_rec *d, const char *name, int type, uint64_t v, int flags)
{
	struct an_field *f = add(d, name, type, flags);

	if (f)
		f->u = v;
}

static void add_s(struct an_rec *d, const char *name, int type, int64_t v, int flags)
{
	struct an_field *f = add(d, name, type, flags);

	if (f)
		f->s = v;
}

static void add_bytes(struct an_rec *d, const char *name, int type, const void *p, size_t n,
		      int flags)
{
	struct an_field *f = add(d, name, type, flags);

	if (f) {
		f->p = p;
		f->len = n;
	}
}

/* A decoder-made string in the pool (cut when the pool is full). */
static struct an_field *add_sym(struct an_rec *d, const char *name, int flags,
				const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static struct an_field *add_sym(struct an_rec *d, const char *name, int flags,
				const char *fmt, ...)
{
	size_t room = sizeof(d->pool) - d->pool_used;
	char *p = d->pool + d->pool_used;
	va_list ap;
	int n;

	struct an_field *f;

	if (room < 2 || d->n >= AN_REC_MAX_FIELDS)
		return NULL;
	va_start(ap, fmt);
	n = vsnprintf(p, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	if ((size_t)n >= room)
		n = (int)room - 1;
	d->pool_used += (size_t)n + 1;
	f = add(d, name, AN_F_SYM, flags);
	f->p = (const uint8_t *)p;
	f->len = (size_t)n;
	return f;
}

/* A fixed-size char array from the capture (comm): copied, rendered escaped. */
static void add_comm(struct an_rec *d, int flags, const char comm[16])
{
	struct an_field *f = add_sym(d, "comm", flags, "%.16s", comm);

	if (f)
		f->type = AN_F_STR;
}

/* Length of the NUL-terminated string at @p within @n bytes. */
static size_t str_in(const uint8_t *p, size_t n)
{
	const uint8_t *z = memchr(p, 0, n);

	return z ? (size_t)(z - p) : n;
}

static void dec_fork(struct an_rec *d, const struct cap_rec *rec)
{
	struct cap_fork f;

	cap_rec_fixed(rec, &f, sizeof(f));
	add_sym(d, "edge", AN_FF_BARE | AN_FF_TEXT, "%u->%u", f.parent_pid, f.child_pid);
	add_u(d, "parent_pid", AN_F_UINT, f.parent_pid, AN_FF_JSON);
	add_u(d, "parent_tid", AN_F_UINT, f.parent_tid, AN_FF_JSON);
	add_u(d, "parent_start_ns", AN_F_UINT, f.parent_start_ns, AN_FF_JSON);
	add_u(d, "child_pid", AN_F_UINT, f.child_pid, AN_FF_JSON);
	add_u(d, "child_tid", AN_F_UINT, f.child_tid, f.child_tid == f.child_pid ? AN_FF_JSON : 0);
	add_u(d, "child_start_ns", AN_F_UINT, f.child_start_ns, AN_FF_JSON);
	add_u(d, "thread", AN_F_UINT, f.is_thread, f.is_thread ? 0 : AN_FF_JSON);
	add_u(d, "clone_flags", AN_F_HEX, f.clone_flags_lo, 0);
}

static void dec_exec(struct an_rec *d, const struct cap_rec *rec)
{
	const uint8_t *p = rec->data;
	size_t n = rec->data_len, cwd_len, fn;
	struct cap_exec e;

	cap_rec_fixed(rec, &e, sizeof(e));
	cwd_len = e.cwd_len <= n ? e.cwd_len : 0;
	n -= cwd_len;
	fn = str_in(p, n);
	add_bytes(d, "filename", AN_F_STR, p, fn, AN_FF_BARE);
	if (fn < n)
		add_bytes(d, "argv", AN_F_ARGV, p + fn + 1, n - fn - 1, 0);
	if (cwd_len)
		add_bytes(d, "cwd", AN_F_STR, p + n, str_in(p + n, cwd_len), 0);
	add_u(d, "argc", AN_F_UINT, e.argc, AN_FF_JSON);
	add_u(d, "ppid", AN_F_UINT, e.ppid, 0);
	add_u(d, "uid", AN_F_UINT, e.uid, 0);
	add_u(d, "gid", AN_F_UINT, e.gid, AN_FF_JSON);
	add_comm(d, AN_FF_JSON, e.comm);
	if (e.old_pid && e.old_pid != rec->hdr.pid)
		add_u(d, "old_pid", AN_F_UINT, e.old_pid, 0);
}

static void dec_exit(struct an_rec *d, const struct cap_rec *rec)
{
	struct cap_exit x;
	char sig[32];
	int s;

	cap_rec_fixed(rec, &x, sizeof(x));
	s = x.exit_code & 0x7f;
	if (s) {
		add_sym(d, "signal", 0, "%s", an_fmt_signal(s, sig, sizeof(sig)));
		if (x.exit_code & 0x80)
			add_u(d, "core", AN_F_UINT, 1, 0);
	} else {
		add_u(d, "code", AN_F_UINT, ((unsigned)x.exit_code >> 8) & 0xff, 0);
	}
	add_s(d, "status", AN_F_INT, x.exit_code, AN_FF_JSON);
	add_u(d, "thread", AN_F_UINT, x.is_thread, x.is_thread ? 0 : AN_FF_JSON);
	add_comm(d, 0, x.comm);
}

/* path-like data: one string, or oldpath\0newpath for rename */
static void dec_path(struct an_rec *d, const struct cap_rec *rec)
{
	size_t a = str_in(rec->data, rec->data_len);

	if (rec->hdr.type == CAP_REC_RENAME) {
		add_bytes(d, "oldpath", AN_F_STR, rec->data, a, AN_FF_BARE);
		add_sym(d, "arrow", AN_FF_BARE | AN_FF_TEXT, "->");
		if (a < rec->data_len)
			add_bytes(d, "newpath", AN_F_STR, rec->data + a + 1,
				  str_in(rec->data + a + 1, rec->data_len - a - 1), AN_FF_BARE);
	} else if (a || (rec->hdr.type != CAP_REC_CHMOD && rec->hdr.type != CAP_REC_TRUNCATE)) {
		add_bytes(d, "path", AN_F_STR, rec->data, a, AN_FF_BARE);
	}
}

static void dec_file(struct an_rec *d, const struct cap_rec *rec)
{
	unsigned t = rec->hdr.type;
	struct cap_file f;
	char fl[256];
	int has_fd2;

	cap_rec_fixed(rec, &f, sizeof(f));
	/* fd2 came with asrecord 0.1: older records are shorter (read as 0) */
	has_fd2 = rec->fixed_len >= offsetof(struct cap_file, pad);
	if (t == CAP_REC_WRITE || t == CAP_REC_READ || t == CAP_REC_CLOSE) {
		add_s(d, "fd", AN_F_INT, f.fd, 0);
		if (t != CAP_REC_CLOSE)
			add_u(d, "count", AN_F_UINT, f.count, 0);
		/* sendfile, splice, copy_file_range: where the bytes came from */
		if (t == CAP_REC_WRITE && has_fd2 && f.fd2 != -100)
			add_s(d, "from_fd", AN_F_INT, f.fd2, 0);
		if (t != CAP_REC_CLOSE && rec->data_len) {
			d->payload = rec->data;
			d->payload_len = rec->data_len;
		}
	} else {
		dec_path(d, rec);
		if (f.fd != -1 && f.fd != -100) /* -100: AT_FDCWD */
			add_s(d, "fd", AN_F_INT, f.fd, 0);
		/* renameat/renameat2: the new path's dirfd */
		if (t == CAP_REC_RENAME && has_fd2 && f.fd2 != -100)
			add_s(d, "fd2", AN_F_INT, f.fd2, 0);
	}
	/* not "flags": that name is the record header's flags in JSON */
	if (t == CAP_REC_OPEN)
		add_sym(d, "oflags", 0, "%s", an_fmt_oflags(f.flags, fl, sizeof(fl)));
	else if (f.flags && t != CAP_REC_WRITE && t != CAP_REC_READ)
		add_u(d, "op_flags", AN_F_HEX, f.flags, 0);
	/* close: the file's i_mode, which tells a socket from a regular file */
	if (t == CAP_REC_MKDIR || t == CAP_REC_CHMOD || (t == CAP_REC_OPEN && f.mode) ||
	    (t == CAP_REC_CLOSE && f.mode))
		add_sym(d, "mode", 0, "0%o", f.mode);
	if (t == CAP_REC_TRUNCATE)
		add_u(d, "length", AN_F_UINT, f.count, 0);
	add_s(d, "ret", AN_F_RET, f.ret, 0);
	add_u(d, "syscall", AN_F_UINT, f.syscall_nr, AN_FF_JSON);
	/* the file itself (0 in older captures): dev as major:minor of the kernel's dev_t */
	if (f.ino) {
		add_u(d, "ino", AN_F_UINT, f.ino, AN_FF_JSON);
		add_sym(d, "dev", AN_FF_JSON, "%u:%u", f.dev >> 20, f.dev & 0xfffff);
	}
}

static void dec_net(struct an_rec *d, const struct cap_rec *rec)
{
	char addr[300], fam[16];
	struct cap_net n;

	cap_rec_fixed(rec, &n, sizeof(n));
	/* listen: the bound local address, when the probe could read it */
	if (rec->hdr.type != CAP_REC_LISTEN || n.family) {
		add_sym(d, "addr", AN_FF_BARE, "%s",
			an_fmt_sockaddr(n.family, n.port, n.addr, n.path, sizeof(n.path), addr,
					sizeof(addr)));
		add_sym(d, "family", AN_FF_JSON, "%s", an_fmt_family(n.family, fam, sizeof(fam)));
	}
	add_s(d, "fd", AN_F_INT, n.fd, 0);
	if (rec->hdr.type == CAP_REC_LISTEN)
		add_u(d, "backlog", AN_F_UINT, n.backlog, 0);
	add_s(d, "ret", AN_F_RET, n.ret, 0);
	add_u(d, "syscall", AN_F_UINT, n.syscall_nr, AN_FF_JSON);
}

static void dec_tls(struct an_rec *d, const struct cap_rec *rec)
{
	struct cap_tls t;

	cap_rec_fixed(rec, &t, sizeof(t));
	if (rec->hdr.type == CAP_REC_TLS)
		add_sym(d, "dir", AN_FF_BARE, "%s",
			t.dir == CAP_TLS_WRITE ? "write" : t.dir == CAP_TLS_READ ? "read" : "dir?");
	add_u(d, "conn", AN_F_HEX, t.conn, 0);
	add_s(d, "fd", AN_F_INT, t.fd, t.fd < 0 ? AN_FF_JSON : 0);
	add_s(d, "ret", AN_F_INT, t.ret, 0);
	add_u(d, "func", AN_F_UINT, t.func, AN_FF_JSON);
	add_u(d, "target", AN_F_UINT, t.target, AN_FF_JSON);
	d->payload = rec->data;
	d->payload_len = rec->data_len;
}

static void dec_proc(struct an_rec *d, const struct cap_rec *rec)
{
	const uint8_t *p = rec->data;
	size_t n = rec->data_len, i;
	const char *names[3] = { "exe", "cwd", "cgroup" };
	struct cap_proc s;
	uint32_t lens[3];

	cap_rec_fixed(rec, &s, sizeof(s));
	lens[0] = s.exe_len;
	lens[1] = s.cwd_len;
	lens[2] = s.cgroup_len;
	add_u(d, "ppid", AN_F_UINT, s.ppid, 0);
	add_u(d, "uid", AN_F_UINT, s.uid, 0);
	add_u(d, "gid", AN_F_UINT, s.gid, AN_FF_JSON);
	add_u(d, "threads", AN_F_UINT, s.nthreads, AN_FF_JSON);
	add_comm(d, 0, s.comm);
	for (i = 0; i < 3; i++) {
		size_t l = lens[i] <= n ? lens[i] : n;

		add_bytes(d, names[i], AN_F_STR, p, str_in(p, l), 0);
		p += l;
		n -= l;
	}
	add_bytes(d, "argv", AN_F_ARGV, p, n, 0);
}

/* an fd of the /proc snapshot: what it refers to, and a socket's addresses */
static void dec_fd(struct an_rec *d, const struct cap_rec *rec)
{
	const char *p = (const char *)rec->data;
	size_t n = rec->data_len, l = strnlen(p ? p : "", n);
	char addr[300], fam[16], fl[128];
	struct cap_fd f;

	cap_rec_fixed(rec, &f, sizeof(f));
	add_s(d, "fd", AN_F_INT, f.fd, 0);
	add_bytes(d, "target", AN_F_STR, rec->data, l, 0);
	add_sym(d, "mode", 0, "0%o", f.mode);
	add_sym(d, "oflags", 0, "%s", an_fmt_oflags(f.flags, fl, sizeof(fl)));
	if (S_ISREG(f.mode))
		add_u(d, "pos", AN_F_UINT, f.pos, 0);
	add_u(d, "ino", AN_F_UINT, f.ino, AN_FF_JSON);
	add_sym(d, "dev", AN_FF_JSON, "%u:%u", f.dev >> 20, f.dev & 0xfffff);
	if (f.family) {
		/* a unix socket's name follows the target */
		const char *path = l + 1 < n ? p + l + 1 : "";
		size_t path_max = l + 1 < n ? n - l - 1 : 0;

		add_sym(d, "family", AN_FF_JSON, "%s", an_fmt_family(f.family, fam, sizeof(fam)));
		add_sym(d, "local", 0, "%s",
			an_fmt_sockaddr(f.family, f.lport, f.laddr, path, path_max, addr,
					sizeof(addr)));
		if (f.family != AF_UNIX && f.rport)
			add_sym(d, "peer", 0, "%s",
				an_fmt_sockaddr(f.family, f.rport, f.raddr, NULL, 0, addr,
						sizeof(addr)));
		add_u(d, "proto", AN_F_UINT, f.proto, AN_FF_JSON);
		add_u(d, "state", AN_F_UINT, f.state, 0);
	}
	if (f.left_out)
		add_u(d, "left_out", AN_F_UINT, f.left_out, 0);
}

/* Packet counters (asrecord -i) only when set: other captures dump as before. */
static void dec_stats_packets(struct an_rec *d, const struct cap_stats *s)
{
	const struct {
		const char *name;
		uint64_t v;
	} f[] = {
		{ "packets", s->packets },	   { "pkt_recv", s->pkt_recv },
		{ "pkt_drops", s->pkt_drops },	   { "pkt_ifdrops", s->pkt_ifdrops },
		{ "pkt_qdrops", s->pkt_qdrops },   { "pkt_truncs", s->pkt_truncs },
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].v)
			add_u(d, f[i].name, AN_F_UINT, f[i].v, 0);
}

static void dec_stats(struct an_rec *d, const struct cap_rec *rec)
{
	size_t i, ne = rec->data_len / sizeof(struct cap_stat_entry);
	struct cap_stat_entry e;
	struct cap_stats s;

	cap_rec_fixed(rec, &s, sizeof(s));
	add_u(d, "records", AN_F_UINT, s.records, 0);
	add_u(d, "bytes", AN_F_UINT, s.bytes, AN_FF_JSON);
	add_u(d, "drops", AN_F_UINT, s.drops, 0);
	add_u(d, "truncs", AN_F_UINT, s.truncs, 0);
	add_u(d, "write_errors", AN_F_UINT, s.write_errors, 0);
	dec_stats_packets(d, &s);
	add_u(d, "entries", AN_F_UINT, s.nentries, 0);
	for (i = 0; i < ne && i < 8; i++) {
		char probe[16], cpu[16];

		memcpy(&e, rec->data + i * sizeof(e), sizeof(e));
		if (e.probe == UINT32_MAX)
			snprintf(probe, sizeof(probe), "*");
		else
			snprintf(probe, sizeof(probe), "%u", e.probe);
		if (e.cpu == UINT32_MAX)
			snprintf(cpu, sizeof(cpu), "*");
		else
			snprintf(cpu, sizeof(cpu), "%u", e.cpu);
		/* probe/cpu:events/drops/truncs; "*" = all */
		add_sym(d, "entry", 0, "%s/%s:%" PRIu64 "/%" PRIu64 "/%" PRIu64, probe, cpu,
			(uint64_t)e.events, (uint64_t)e.drops, (uint64_t)e.truncs);
	}
}

static void dec_chain(struct an_rec *d, const struct cap_rec *rec)
{
	struct cap_chain c;
	char h[80];

	cap_rec_fixed(rec, &c, sizeof(c));
	add_u(d, "frame_no", AN_F_UINT, c.frame_no, 0);
	add_u(d, "records", AN_F_UINT, c.records, 0);
	add_sym(d, "hash", 0, "%s", an_fmt_hex(c.hash, sizeof(c.hash), h, sizeof(h)));
	add_u(d, "frame_off", AN_F_UINT, rec->frame_off, 0);
}

static void dec_footer(struct an_rec *d, const struct cap_rec *rec)
{
	struct cap_footer f;
	char h[80];

	cap_rec_fixed(rec, &f, sizeof(f));
	add_u(d, "frames", AN_F_UINT, f.frames, 0);
	add_u(d, "records", AN_F_UINT, f.records, 0);
	add_u(d, "drops", AN_F_UINT, f.drops, 0);
	add_u(d, "truncs", AN_F_UINT, f.truncs, 0);
	add_u(d, "first_ts", AN_F_TS, f.first_ts_ns, 0);
	add_u(d, "last_ts", AN_F_TS, f.last_ts_ns, 0);
	add_u(d, "index_frame", AN_F_UINT, f.index_frame, 0);
	add_u(d, "data_frames", AN_F_UINT, f.data_frames, 0);
	add_sym(d, "final_hash", 0, "%s", an_fmt_hex(f.final_hash, 32, h, sizeof(h)));
}

static void dec_index(struct an_rec *d, const struct cap_rec *rec)
{
	size_t ne = rec->data_len / sizeof(struct cap_index_entry), i;
	struct cap_index_entry e;

	add_u(d, "entries", AN_F_UINT, ne, 0);
	for (i = 0; i < ne && i < 4; i++) {
		memcpy(&e, rec->data + i * sizeof(e), sizeof(e));
		add_sym(d, "frame", 0, "off=%" PRIu64 ",len=%u,records=%u", (uint64_t)e.comp_off,
			e.comp_len, e.records);
	}
}

static void dec_generic(struct an_rec *d, const struct cap_rec *rec)
{
	char h[2 * 64 + 1];
	size_t n = rec->fixed_len < 64 ? rec->fixed_len : 64;

	if (rec->fixed_len)
		add_sym(d, "fixed", 0, "%s%s", an_fmt_hex(rec->fixed, n, h, sizeof(h)),
			n < rec->fixed_len ? "..." : "");
	d->payload = rec->data;
	d->payload_len = rec->data_len;
}

void an_rec_decode(struct an_rec *d, const struct cap_rec *rec)
{
	unsigned t = rec->hdr.type;

	d->n = 0;
	d->pool_used = 0;
	d->payload = NULL;
	d->payload_len = 0;
	d->type_name = an_rec_type_name(t, d->type_buf, sizeof(d->type_buf));
	if (!is_known(t))
		dec_generic(d, rec);
	else if (t == CAP_REC_FORK)
		dec_fork(d, rec);
	else if (t == CAP_REC_EXEC)
		dec_exec(d, rec);
	else if (t == CAP_REC_EXIT)
		dec_exit(d, rec);
	else if (t >= CAP_REC_OPEN && t <= CAP_REC_READ)
		dec_file(d, rec);
	else if (t == CAP_REC_CLOSE)
		dec_file(d, rec);
	else if (t >= CAP_REC_CONNECT && t <= CAP_REC_LISTEN)
		dec_net(d, rec);
	else if (t == CAP_REC_TLS || t == CAP_REC_TLS_EVENT)
		dec_tls(d, rec);
	else if (t == CAP_REC_META || t == CAP_REC_TARGET)
		add_bytes(d, "kv", AN_F_KV, rec->data, rec->data_len, AN_FF_BARE);
	else if (t == CAP_REC_PROC)
		dec_proc(d, rec);
	else if (t == CAP_REC_STATS)
		dec_stats(d, rec);
	else if (t == CAP_REC_CHAIN)
		dec_chain(d, rec);
	else if (t == CAP_REC_FOOTER)
		dec_footer(d, rec);
	else if (t == CAP_REC_INDEX)
		dec_index(d, rec);
	else if (t == CAP_REC_FD)
		dec_fd(d, rec);
	else if (t == CAP_REC_LOSS) {
		struct cap_loss l;

		cap_rec_fixed(rec, &l, sizeof(l));
		add_u(d, "lost", AN_F_UINT, l.lost, 0);
		add_u(d, "probe", AN_F_UINT, l.probe, 0);
		add_u(d, "cause", AN_F_UINT, l.cause, 0);
	}
}
