/* SPDX-License-Identifier: MIT */
/*
 * rec_target.h - what to trace: launch `-- CMD ARGS` held on a pipe until
 * the kernel filter knows its pid, parse `-p PID,...`, find running
 * processes by comm, expand pids to their running descendants, resolve a
 * cgroup path to its id.
 */
#ifndef AS_RECORD_REC_TARGET_H
#define AS_RECORD_REC_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rec_child {
	pid_t pid;
	int go_fd; /* write end of the pipe the child waits on; -1 once released */
};

/*
 * Fork a child that waits for rec_child_release() and then execs @argv
 * (PATH search), dropping to SUDO_UID/SUDO_GID when they are set and the
 * recorder runs as root.  Returns 0 or -errno.
 */
int rec_child_spawn(char *const argv[], struct rec_child *c);

/* Let the child exec.  Returns 0 or -errno. */
int rec_child_release(struct rec_child *c);

/* Kill a child that was never released (setup failed). */
void rec_child_abort(struct rec_child *c);

/* Parse "1,2,3" into @out (at most @max); returns the count or -EINVAL. */
int rec_parse_pids(const char *s, uint32_t *out, size_t max);

/*
 * Running processes that descend from one of @pids (excluded) or whose
 * comm equals @comm (when not NULL): written to @out, returns the count.
 */
size_t rec_proc_find(const uint32_t *pids, size_t npids, const char *comm, uint32_t *out,
		     size_t max);

/* cgroup v2 id of @path (absolute, or relative to the cgroup2 mount). */
int rec_cgroup_id(const char *path, uint64_t *id, char *resolved, size_t len);

#endif
