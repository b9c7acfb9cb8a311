/* SPDX-License-Identifier: MIT */
/* rec_target.c - targets: child launch, pid lists, /proc search, cgroups. */
#include "rec_target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child: become the user who ran sudo, if any. */
static int drop_to_sudo_user(void)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (!su || !sg || geteuid() != 0)
		return 0;
	uid = (uid_t)strtoul(su, NULL, 10);
	gid = (gid_t)strtoul(sg, NULL, 10);
	pw = getpwuid(uid);
	if (pw ? initgroups(pw->pw_name, gid) : setgroups(0, NULL))
		return -errno;
	if (setgid(gid) || setuid(uid))
		return -errno;
	if (pw) {
		setenv("HOME", pw->pw_dir, 1);
		setenv("USER", pw->pw_name, 1);
		setenv("LOGNAME", pw->pw_name, 1);
	}
	return 0;
}

static void child_main(char *const argv[], int rfd)
{
	char c;
	int rc;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	/* EOF without a byte: the recorder failed to start */
	if (read(rfd, &c, 1) != 1)
		_exit(127);
	close(rfd);
	rc = drop_to_sudo_user();
	if (rc) {
		fprintf(stderr, "asrecord: cannot drop to the sudo user: %s\n", strerror(-rc));
		_exit(127);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "asrecord: '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

int rec_child_spawn(char *const argv[], struct rec_child *c)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int rc = -errno;

		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (pid == 0) {
		close(p[1]);
		child_main(argv, p[0]);
	}
	close(p[0]);
	c->pid = pid;
	c->go_fd = p[1];
	return 0;
}

int rec_child_release(struct rec_child *c)
{
	int rc = 0;

	if (c->go_fd < 0)
		return 0;
	if (write(c->go_fd, "g", 1) != 1)
		rc = -errno;
	close(c->go_fd);
	c->go_fd = -1;
	return rc;
}

void rec_child_abort(struct rec_child *c)
{
	if (c->go_fd >= 0) {
		close(c->go_fd);
		c->go_fd = -1;
	}
	if (c->pid > 0)
		waitpid(c->pid, NULL, 0);
	c->pid = 0;
}

int rec_parse_pids(const char *s, uint32_t *out, size_t max)
{
	size_t n = 0;
	char *end;

	while (*s) {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v == 0 || v > 0x7fffffff || (*end && *end != ','))
			return -EINVAL;
		if (n == max)
			return -E2BIG;
		out[n++] = (uint32_t)v;
		s = *end ? end + 1 : end;
	}
	return n ? (int)n : -EINVAL;
}

struct pinfo {
	uint32_t pid, ppid;
	int hit;
};

/* ppid and comm from /proc/PID/stat ("pid (comm) state ppid ...") */
static int read_stat(uint32_t pid, uint32_t *ppid, char comm[16])
{
	char path[64], buf[512], *l, *r;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (!l || !r || r < l || sscanf(r + 2, "%*c %u", ppid) != 1)
		return -EBADMSG;
	n = (size_t)(r - l - 1) < 15 ? (size_t)(r - l - 1) : 15;
	memcpy(comm, l + 1, n);
	comm[n] = 0;
	return 0;
}

static int in_list(const uint32_t *v, size_t n, uint32_t x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

/* Mark every process whose ancestor chain reaches a hit. */
static void mark_descendants(struct pinfo *p, size_t n)
{
	int changed = 1;
	size_t i, j;

	while (changed) {
		changed = 0;
		for (i = 0; i < n; i++) {
			if (p[i].hit)
				continue;
			for (j = 0; j < n; j++)
				if (p[j].hit && p[j].pid == p[i].ppid) {
					p[i].hit = 2;
					changed = 1;
					break;
				}
		}
	}
}

size_t rec_proc_find(const uint32_t *pids, size_t npids, const char *comm, uint32_t *out,
		     size_t max)
{
	struct pinfo *p = NULL;
	size_t n = 0, cap = 0, i, k = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		uint32_t pid = (uint32_t)strtoul(de->d_name, NULL, 10), ppid;
		char c[16];

		if (!pid || read_stat(pid, &ppid, c))
			continue;
		if (n == cap) {
			struct pinfo *np = realloc(p, (cap = cap ? cap * 2 : 256) * sizeof(*p));

			if (!np)
				break;
			p = np;
		}
		p[n].pid = pid;
		p[n].ppid = ppid;
		p[n].hit = in_list(pids, npids, pid) || (comm && !strcmp(c, comm));
		n++;
	}
	closedir(d);
	mark_descendants(p, n);
	for (i = 0; i < n && k < max; i++)
		if (p[i].hit && !in_list(pids, npids, p[i].pid))
			out[k++] = p[i].pid;
	free(p);
	return k;
}

/* Mount point of the cgroup2 hierarchy from /proc/self/mounts. */
static int cgroup2_root(char *buf, size_t len)
{
	char dev[256], dir[512], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %511s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, len, "%s", dir);
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

int rec_cgroup_id(const char *path, uint64_t *id, char *resolved, size_t len)
{
	char root[512];
	struct stat st;

	if (path[0] != '/' || stat(path, &st)) {
		int rc = cgroup2_root(root, sizeof(root));

		if (rc)
			return rc;
		snprintf(resolved, len, "%s/%s", root, path[0] == '/' ? path + 1 : path);
	} else {
		snprintf(resolved, len, "%s", path);
	}
	if (stat(resolved, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* on cgroup v2 the directory's inode number is the cgroup id */
	*id = st.st_ino;
	return 0;
}
