/* SPDX-License-Identifier: MIT */
/*
 * rec_snap.h - the /proc snapshot written at the start of every capture
 * file: one CAP_REC_PROC record per traced process, so that process trees
 * are complete for processes that predate the capture.
 *
 * Start times: the kernel side stamps task->start_time (CLOCK_MONOTONIC
 * ns); /proc/PID/stat only gives starttime in clock ticks (USER_HZ, 100 on
 * Linux) since boot on CLOCK_BOOTTIME.  The snapshot converts
 *   task_start_ns = starttime * (1e9 / USER_HZ) - (BOOTTIME - MONOTONIC now)
 * so it is exact only to one tick (10 ms): readers match snapshot entries
 * to probe records by pid and a start time within one tick.
 */
#ifndef AS_RECORD_REC_SNAP_H
#define AS_RECORD_REC_SNAP_H

#include <stddef.h>
#include <stdint.h>

struct cap_writer;

/* Every numeric /proc entry (for --all, or cgroup filtering with @cgroup). */
#define REC_SNAP_ALL ((const uint32_t *)0)

/*
 * Write one CAP_REC_PROC per pid of @pids (or of every process when @pids
 * is REC_SNAP_ALL, keeping only those whose cgroup is @cgroup when that is
 * not NULL).  Vanished processes are skipped.  Returns the number written
 * or a negative error from the writer.
 */
int rec_snap_write(struct cap_writer *w, const uint32_t *pids, size_t n, const char *cgroup);

#endif
