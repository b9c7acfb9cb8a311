/* SPDX-License-Identifier: MIT */
/*
 * export_perfetto.h - the model as a Chrome / Perfetto trace (Trace Event
 * Format JSON: {"traceEvents": [...], "displayTimeUnit": "ms"}), for
 * ui.perfetto.dev and chrome://tracing.
 *
 * One process track per traced process (pid = the real pid; a pid reused
 * by a later process gets a synthetic one above pid_max, the real one is
 * in the name), named "comm pid" with the argv in the metadata args.  On
 * the main thread track: a slice for the process lifetime and one per
 * exec inside it, instant events for files opened for writing, unlinks,
 * renames and connects.  LLM calls ("chat MODEL") and tool calls ("tool
 * NAME") sit on thread tracks of their own under the agent's process
 * (synthetic tids above pid_max, one more lane whenever calls overlap, so
 * slices of one track always nest or are disjoint).  A flow arrow links a
 * tool call to each process it spawned (causal.h).
 *
 * Times are microseconds since the first record of the capture, in steps
 * of 1/1024 us (binary fractions, exact in a double, so ts + dur never
 * rounds past a parent's end in any reader); the wall-clock start is in
 * "otherData".  Strings are redacted (redact.h) unless @redact is 0.
 */
#ifndef AS_ANALYZE_EXPORT_PERFETTO_H
#define AS_ANALYZE_EXPORT_PERFETTO_H

#include <stdio.h>

#include "analyze/causal.h"
#include "analyze/model.h"

/* Write the trace; returns events written or -errno. */
long export_perfetto_write(const struct model *m, const struct causal *cz, FILE *f, int redact);

#endif
