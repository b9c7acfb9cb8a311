/* SPDX-License-Identifier: MIT */
/* rec_snap.c - /proc snapshot into CAP_REC_PROC records (see rec_snap.h). */
#include "rec_snap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format/cap_buf.h"
#include "format/cap_writer.h"
#include "rec_fds.h"

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Whole small file into @buf; returns bytes or -errno. */
static ssize_t slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)got < len && (n = read(fd, buf + got, len - (size_t)got)) > 0)
		got += n;
	close(fd);
	return got;
}

/* readlink as a NUL-terminated string ("" on failure); returns length + 1 */
static size_t link_str(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);

	buf[n > 0 ? n : 0] = 0;
	return (size_t)(n > 0 ? n : 0) + 1;
}

struct pstat {
	uint32_t ppid, uid, gid, nthreads;
	uint64_t start_ticks;
	char comm[16];
};

static int read_pstat(uint32_t pid, struct pstat *s)
{
	char path[64], buf[1024], *l, *r, *line;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	n = slurp(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -ENOENT;
	buf[n] = 0;
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (!l || !r || r < l)
		return -EBADMSG;
	memset(s->comm, 0, sizeof(s->comm));
	memcpy(s->comm, l + 1, (size_t)(r - l - 1) < 15 ? (size_t)(r - l - 1) : 15);
	/* fields after ")": state(3) ppid(4) ... num_threads(20) ... starttime(22) */
	if (sscanf(r + 2, "%*c %u %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			  "%u %*d %" SCNu64,
		   &s->ppid, &s->nthreads, &s->start_ticks) != 3)
		return -EBADMSG;
	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	n = slurp(path, buf, sizeof(buf) - 1);
	s->uid = s->gid = 0;
	if (n > 0) {
		buf[n] = 0;
		line = strstr(buf, "\nUid:");
		if (line)
			sscanf(line + 5, "%u", &s->uid);
		line = strstr(buf, "\nGid:");
		if (line)
			sscanf(line + 5, "%u", &s->gid);
	}
	return 0;
}

/* cgroup v2 path of @pid ("0::/path") into @buf; returns length + 1 */
static size_t read_cgroup(uint32_t pid, char *buf, size_t len)
{
	char path[64], tmp[4096], *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	n = slurp(path, tmp, sizeof(tmp) - 1);
	buf[0] = 0;
	if (n > 0) {
		tmp[n] = 0;
		p = strstr(tmp, "0::");
		if (p && (p == tmp || p[-1] == '\n')) {
			p += 3;
			p[strcspn(p, "\n")] = 0;
			snprintf(buf, len, "%s", p);
		}
	}
	return strlen(buf) + 1;
}

#define ARGV_BUF 65536

/* @self: the recorder's pid when walking /proc: it and its guardian are skipped */
static int snap_one(struct cap_writer *w, struct cap_buf *data, char *argv, struct rec_socks *socks,
		    uint32_t pid, const char *cgroup, uint32_t self, uint64_t boot_off, long hz)
{
	struct cap_rec_hdr h = { 0 };
	struct cap_proc p = { 0 };
	char path[64], cg[4096], tmp[4096];
	struct pstat s;
	ssize_t an;

	if (read_pstat(pid, &s) || (self && (pid == self || s.ppid == self)))
		return 0;
	read_cgroup(pid, cg, sizeof(cg));
	if (cgroup && strcmp(cg, cgroup))
		return 0;
	data->len = 0;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	p.exe_len = (uint32_t)link_str(path, tmp, sizeof(tmp));
	if (cap_buf_append(data, tmp, p.exe_len))
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%u/cwd", pid);
	p.cwd_len = (uint32_t)link_str(path, tmp, sizeof(tmp));
	if (cap_buf_append(data, tmp, p.cwd_len))
		return -ENOMEM;
	p.cgroup_len = (uint32_t)strlen(cg) + 1;
	if (cap_buf_append(data, cg, p.cgroup_len))
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	an = slurp(path, argv, ARGV_BUF);
	if (an > 0 && cap_buf_append(data, argv, (size_t)an))
		return -ENOMEM;
	for (ssize_t i = 0; i < an; i++)
		p.argc += argv[i] == 0;
	p.ppid = s.ppid;
	p.uid = s.uid;
	p.gid = s.gid;
	p.nthreads = s.nthreads;
	memcpy(p.comm, s.comm, sizeof(p.comm));
	h.type = CAP_REC_PROC;
	h.ts_ns = now_ns(CLOCK_MONOTONIC);
	h.pid = h.tid = pid;
	h.task_start_ns = s.start_ticks * (1000000000ull / (uint64_t)hz) - boot_off;
	if (cap_writer_add_parts(w, &h, &p, sizeof(p), data->p, data->len))
		return -EIO;
	/* its fd table right after it (rec_fds.h) */
	return rec_fds_write(w, socks, pid, h.task_start_ns, h.ts_ns) < 0 ? -EIO : 1;
}

int rec_snap_write(struct cap_writer *w, const uint32_t *pids, size_t n, const char *cgroup)
{
	uint64_t boot_off = now_ns(CLOCK_BOOTTIME) - now_ns(CLOCK_MONOTONIC);
	long hz = sysconf(_SC_CLK_TCK);
	struct cap_buf data = { 0 };
	char *argv = malloc(ARGV_BUF);
	struct rec_socks *socks = rec_socks_new();
	int rc = 0, count = 0;
	size_t i;

	if (!argv || !socks) {
		free(argv);
		rec_socks_free(socks);
		return -ENOMEM;
	}
	if (hz <= 0)
		hz = 100;
	if (pids) {
		for (i = 0; i < n && rc >= 0; i++)
			if ((rc = snap_one(w, &data, argv, socks, pids[i], NULL, 0, boot_off, hz)) > 0)
				count++;
	} else {
		uint32_t self = (uint32_t)getpid();
		struct dirent *de;
		DIR *d = opendir("/proc");

		while (d && (de = readdir(d)) && rc >= 0) {
			uint32_t pid = (uint32_t)strtoul(de->d_name, NULL, 10);

			/* the recorder is not traced (--all): not listed either */
			if (pid && (rc = snap_one(w, &data, argv, socks, pid, cgroup, self, boot_off, hz)) > 0)
				count++;
		}
		if (d)
			closedir(d);
	}
	cap_buf_release(&data);
	free(argv);
	rec_socks_free(socks);
	return rc < 0 ? rc : count;
}
