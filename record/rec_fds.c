/* SPDX-License-Identifier: MIT */
/* rec_fds.c - a process's open fds into CAP_REC_FD records (see rec_fds.h). */
#include "rec_fds.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "format/cap_record.h"
#include "format/cap_writer.h"

struct sock_ent {
	uint64_t ino;
	uint16_t family, proto, lport, rport;
	uint8_t laddr[16], raddr[16];
	uint32_t state;
	char *path; /* AF_UNIX: the bound name, or NULL */
};

/* the sockets of one network namespace, sorted by inode */
struct sock_tab {
	uint64_t netns;
	struct sock_ent *e;
	size_t n, cap;
};

struct rec_socks {
	struct sock_tab *t;
	size_t n;
};

struct rec_socks *rec_socks_new(void)
{
	return calloc(1, sizeof(struct rec_socks));
}

static void tab_free(struct sock_tab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->e[i].path);
	free(t->e);
}

void rec_socks_free(struct rec_socks *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		tab_free(&s->t[i]);
	free(s->t);
	free(s);
}

/* a new entry of @t for socket inode @ino, or NULL when out of memory */
static struct sock_ent *tab_push(struct sock_tab *t, uint64_t ino, uint16_t family,
				 uint32_t state)
{
	struct sock_ent *e;

	if (t->n == t->cap) {
		size_t c = t->cap ? 2 * t->cap : 64;
		struct sock_ent *grown = realloc(t->e, c * sizeof(*grown));

		if (!grown)
			return NULL;
		t->e = grown;
		t->cap = c;
	}
	e = &t->e[t->n++];
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->family = family;
	e->state = state;
	return e;
}

/* fopen of the /proc file named by @fmt, read-only, close-on-exec */
static FILE *proc_open(const char *fmt, ...)
{
	char path[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return fopen(path, "re");
}

/*
 * An address of /proc/net/tcp{,6}: the kernel prints the address's 32-bit
 * words (network order in memory) as host-order hex numbers, so each word
 * parsed back and stored as is gives the bytes in network order.
 */
static int parse_addr(const char *s, uint8_t *addr, int words, uint16_t *port)
{
	unsigned p;
	int i;

	for (i = 0; i < words; i++) {
		char w[9];
		uint32_t v;

		memcpy(w, s + 8 * i, 8);
		w[8] = 0;
		if (sscanf(w, "%" SCNx32, &v) != 1)
			return -1;
		memcpy(addr + 4 * i, &v, 4);
	}
	if (s[8 * words] != ':' || sscanf(s + 8 * words + 1, "%x", &p) != 1)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

/* /proc/PID/net/tcp, tcp6, udp or udp6 into @t */
static void read_inet(struct sock_tab *t, uint32_t pid, const char *name, uint16_t family,
		      uint16_t proto)
{
	char line[512], la[64], ra[64];
	int words = family == AF_INET ? 1 : 4;
	FILE *f = proc_open("/proc/%u/net/%s", pid, name);

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct sock_ent *e;
		unsigned st;
		uint64_t ino;

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, " %*u: %63s %63s %x %*s %*s %*s %*u %*u %" SCNu64, la, ra, &st,
			   &ino) != 4 || !ino)
			continue;
		if (strlen(la) != (size_t)8 * words + 5 || strlen(ra) != (size_t)8 * words + 5)
			continue;
		e = tab_push(t, ino, family, st);
		if (!e)
			break;
		e->proto = proto;
		if (parse_addr(la, e->laddr, words, &e->lport) ||
		    parse_addr(ra, e->raddr, words, &e->rport))
			t->n--;
	}
	fclose(f);
}

/* /proc/PID/net/unix: Num RefCount Protocol Flags Type St Inode [Path] */
static void read_unix(struct sock_tab *t, uint32_t pid)
{
	char line[4200];
	FILE *f = proc_open("/proc/%u/net/unix", pid);

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct sock_ent *e;
		unsigned st;
		uint64_t ino;
		int end = 0;

		if (sscanf(line, "%*x: %*x %*x %*x %*x %x %" SCNu64 "%n", &st, &ino, &end) != 2 ||
		    !ino)
			continue;
		e = tab_push(t, ino, AF_UNIX, st);
		if (!e)
			break;
		if (line[end] == ' ') {
			line[end + 1 + strcspn(line + end + 1, "\n")] = 0;
			if (line[end + 1])
				e->path = strdup(line + end + 1);
		}
	}
	fclose(f);
}

static int ent_cmp(const void *a, const void *b)
{
	const struct sock_ent *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The socket table of @pid's network namespace, read on first use. */
static struct sock_tab *socks_of(struct rec_socks *s, uint32_t pid)
{
	char path[64];
	struct stat st;
	struct sock_tab *t;
	size_t i;

	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	if (stat(path, &st))
		return NULL;
	for (i = 0; i < s->n; i++)
		if (s->t[i].netns == (uint64_t)st.st_ino)
			return &s->t[i];
	t = realloc(s->t, (s->n + 1) * sizeof(*t));
	if (!t)
		return NULL;
	s->t = t;
	t = &s->t[s->n++];
	memset(t, 0, sizeof(*t));
	t->netns = (uint64_t)st.st_ino;
	read_inet(t, pid, "tcp", AF_INET, IPPROTO_TCP);
	read_inet(t, pid, "tcp6", AF_INET6, IPPROTO_TCP);
	read_inet(t, pid, "udp", AF_INET, IPPROTO_UDP);
	read_inet(t, pid, "udp6", AF_INET6, IPPROTO_UDP);
	read_unix(t, pid);
	if (t->n > 1)
		qsort(t->e, t->n, sizeof(t->e[0]), ent_cmp);
	return t;
}

static const struct sock_ent *sock_find(struct rec_socks *s, uint32_t pid, uint64_t ino)
{
	struct sock_tab *t = socks_of(s, pid);
	struct sock_ent key = { .ino = ino };

	return t && t->n ? bsearch(&key, t->e, t->n, sizeof(t->e[0]), ent_cmp) : NULL;
}

/* fdinfo's "pos:" and "flags:" (octal) */
static void read_fdinfo(uint32_t pid, int fd, struct cap_fd *r)
{
	char line[256];
	FILE *f = proc_open("/proc/%u/fdinfo/%d", pid, fd);

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "pos:", 4))
			sscanf(line + 4, "%llu", &r->pos);
		else if (!strncmp(line, "flags:", 6))
			sscanf(line + 6, "%o", &r->flags);
	}
	fclose(f);
}

static int fd_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* the fd numbers of @pid, sorted; NULL with *n 0 when unreadable */
static int *list_fds(uint32_t pid, size_t *n)
{
	char path[64];
	struct dirent *de;
	size_t cap = 0;
	int *v = NULL, *nv;
	DIR *d;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	d = opendir(path);
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end || fd < 0 || fd > INT32_MAX)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[(*n)++] = (int)fd;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), fd_cmp);
	return v;
}

int rec_fds_write(struct cap_writer *w, struct rec_socks *s, uint32_t pid, uint64_t start_ns,
		  uint64_t ts_ns)
{
	struct cap_rec_hdr h = { 0 };
	size_t n, i, kept;
	int *fds = list_fds(pid, &n), written = 0;

	h.type = CAP_REC_FD;
	h.ts_ns = ts_ns;
	h.pid = h.tid = pid;
	h.task_start_ns = start_ns;
	kept = n < REC_FDS_MAX ? n : REC_FDS_MAX;
	for (i = 0; i < kept; i++) {
		char path[64], data[4096 + 4096];
		const struct sock_ent *e;
		struct cap_fd r = { .fd = fds[i] };
		struct stat st;
		ssize_t l;
		size_t dl;

		snprintf(path, sizeof(path), "/proc/%u/fd/%d", pid, fds[i]);
		l = readlink(path, data, 4095);
		if (l < 0 || stat(path, &st))
			continue; /* closed meanwhile */
		data[l] = 0;
		dl = (size_t)l + 1;
		r.mode = st.st_mode;
		r.ino = st.st_ino;
		r.dev = major(st.st_dev) << 20 | minor(st.st_dev);
		read_fdinfo(pid, fds[i], &r);
		if (S_ISSOCK(st.st_mode) && (e = sock_find(s, pid, st.st_ino))) {
			r.family = e->family;
			r.proto = e->proto;
			r.lport = e->lport;
			r.rport = e->rport;
			memcpy(r.laddr, e->laddr, sizeof(r.laddr));
			memcpy(r.raddr, e->raddr, sizeof(r.raddr));
			r.state = e->state;
			if (e->path) {
				size_t pl = strnlen(e->path, 4095);

				memcpy(data + dl, e->path, pl);
				data[dl + pl] = 0;
				dl += pl + 1;
			}
		}
		if (!written)
			r.left_out = (uint32_t)(n - kept);
		if (cap_writer_add_parts(w, &h, &r, sizeof(r), data, dl)) {
			free(fds);
			return -EIO;
		}
		written++;
	}
	free(fds);
	return written;
}
