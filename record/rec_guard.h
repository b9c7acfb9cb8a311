/* SPDX-License-Identifier: MIT */
/*
 * rec_guard.h - a guardian process that continues the processes asrecord
 * stopped, should asrecord die before it does.
 *
 * The kernel side stops a traced process at its first mapping of a file
 * not examined yet (see rec_tlsw.h) and notes its tgid in a BPF map; the
 * recorder continues it and deletes the entry.  If the recorder is killed
 * (SIGKILL, a second SIGINT, a crash), or a stop happens while it shuts
 * down, nobody would send SIGCONT.  The guardian, forked at start, holds
 * only that map and the read end of a pipe whose write end only the
 * recorder holds: when the pipe reports end of file (the recorder is
 * gone, however it went), it continues every process still in the map.
 */
#ifndef AS_RECORD_REC_GUARD_H
#define AS_RECORD_REC_GUARD_H

/*
 * Fork the guardian for the map @stopped_fd.  Returns the write end of
 * its pipe (close-on-exec; keep it open for the recorder's lifetime) or
 * a negative errno.
 */
int rec_guard_start(int stopped_fd);

/* Continue the processes in the map now (the map fd) and empty it. */
void rec_guard_continue_all(int stopped_fd);

#endif
