/* SPDX-License-Identifier: MIT */
/*
 * rec_fds.h - the open fds of a snapshotted process, one CAP_REC_FD record
 * each (format/cap_record.h), written right after its CAP_REC_PROC.
 *
 * Why: a process traced with -p, or one that predates a rotation, made
 * its opens and connects before the capture began.  Without its fd table
 * a write shows no path and a TLS connection no peer; sysdig's captures
 * start with the fd table for the same reason.  A socket's addresses come
 * from the process's own /proc/PID/net tables (its network namespace),
 * looked up by the socket's inode; each namespace's tables are read once
 * per snapshot.
 */
#ifndef AS_RECORD_REC_FDS_H
#define AS_RECORD_REC_FDS_H

#include <stdint.h>

struct cap_writer;
struct rec_socks;

/* More fds than this in one process: the rest are left out, and the first
 * record written says how many (cap_fd.left_out). */
#define REC_FDS_MAX 16384

/* The socket tables of one snapshot (empty until a process needs them). */
struct rec_socks *rec_socks_new(void);
void rec_socks_free(struct rec_socks *s);

/*
 * One CAP_REC_FD per open fd of @pid, with header fields pid, tid,
 * task_start_ns and ts_ns of @start_ns/@ts_ns.  An fd closed meanwhile is
 * skipped.  Returns the number written, or -EIO when the writer failed.
 */
int rec_fds_write(struct cap_writer *w, struct rec_socks *s, uint32_t pid, uint64_t start_ns,
		  uint64_t ts_ns);

#endif
