/* SPDX-License-Identifier: MIT */
/* rec_guard.c - the guardian process (see rec_guard.h). */
#include "rec_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <bpf/bpf.h>


void rec_guard_continue_all(int stopped_fd)
{
	uint32_t key, next;
	int have = 0;

	/* continue first, delete after: an entry is never lost midway */
	while (bpf_map_get_next_key(stopped_fd, have ? &key : NULL, &next) == 0) {
		kill((pid_t)next, SIGCONT);
		key = next;
		have = 1;
	}
	while (bpf_map_get_next_key(stopped_fd, NULL, &next) == 0)
		if (bpf_map_delete_elem(stopped_fd, &next))
			break;
}

static void guardian(int map_fd, int rd) __attribute__((noreturn));
static void guardian(int map_fd, int rd)
{
	char b[64];
	ssize_t n;

	/* a terminal's ^C reaches the whole process group: outlive it */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "asrecord-guard");
	/*
	 * Keep the map and the pipe only: an inherited link or program fd
	 * would keep the probes attached after the recorder is gone.
	 */
	map_fd = fcntl(map_fd, F_DUPFD_CLOEXEC, 100);
	rd = fcntl(rd, F_DUPFD_CLOEXEC, 100);
	if (map_fd < 0 || rd < 0 || dup2(map_fd, 3) < 0 || dup2(rd, 4) < 0)
		_exit(1);
	close_range(5, ~0u, 0);
	do
		n = read(4, b, sizeof(b));
	while (n > 0 || (n < 0 && errno == EINTR));
	rec_guard_continue_all(3);
	_exit(0);
}

int rec_guard_start(int stopped_fd)
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
	if (!pid) {
		close(p[1]);
		guardian(stopped_fd, p[0]);
	}
	close(p[0]);
	return p[1];
}
