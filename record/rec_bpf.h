/* SPDX-License-Identifier: MIT */
/*
 * rec_bpf.h - the kernel side of the recorder: open the BPF skeleton, set
 * its read-only configuration, load, attach the tracepoints, and later
 * attach TLS uprobes, seed the target set and read the drop counters.
 *
 * Calling sequence (libbpf-tools order; every step checked):
 *   rec_bpf_open(&cfg, &b, err, sizeof(err));    open, configure, load
 *   rec_bpf_attach(b, err, sizeof(err));         tracepoints go live
 *   rec_bpf_target_add(b, pid) ...               seed -p / -c / -- CMD targets
 *   rec_bpf_targets_prune(b, buf, max)           drop the seeds that exited
 *   rec_bpf_uprobe(b, path, off, ret, cookie)    any time after attach
 *   rec_bpf_counters(b, out)                     any thread
 *   rec_bpf_close(b);                            accepts NULL
 */
#ifndef AS_RECORD_REC_BPF_H
#define AS_RECORD_REC_BPF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "format/cap_record.h"
#include "bpf/probe.h"

struct rec_bpf;

struct rec_bpf_cfg {
	uint32_t mode;          /* enum asr_filter */
	uint32_t self;          /* the recorder's pid */
	uint64_t cgroup_id;
	char comm[16];
	uint32_t probes;        /* ASR_PR_* */
	uint32_t write_snap;    /* file-write payload bytes */
	uint32_t tls_snap;      /* TLS payload bytes per call */
	uint32_t stop_unseen;   /* SIGSTOP a process at a file's first mapping */
	size_t ring_bytes;      /* ring buffer size, power of two */
};

/* Open, configure and load; on failure *out is NULL and @err says why. */
int rec_bpf_open(const struct rec_bpf_cfg *cfg, struct rec_bpf **out, char *err, size_t len);

/* Attach the tracepoint programs (and leave the uprobe programs idle). */
int rec_bpf_attach(struct rec_bpf *b, char *err, size_t len);

/* 1 when close's entry went on the raw sys_enter tracepoint (no tracefs
 * to find its own syscall event): every syscall then costs ~100 ns more */
int rec_bpf_close_raw(const struct rec_bpf *b);

int rec_bpf_target_add(struct rec_bpf *b, uint32_t tgid);
/* 1 when @tgid was added, 0 when it was in the filter already, -errno */
int rec_bpf_target_add_new(struct rec_bpf *b, uint32_t tgid);
/* Delete the filter's tgids whose process is gone (using @buf, @max
 * entries, as scratch); returns how many. */
size_t rec_bpf_targets_prune(struct rec_bpf *b, uint32_t *buf, size_t max);

/* Up to @max traced tgids into @out; returns how many. */
size_t rec_bpf_targets(struct rec_bpf *b, uint32_t *out, size_t max);

/*
 * Turn the kernel side's SIGSTOP at a file's first mapping on or off
 * (async-signal-safe: a store into the mapped .bss).
 */
void rec_bpf_stop_unseen(struct rec_bpf *b, int on);

/* Forget a file reported by a control record, so it is reported again. */
void rec_bpf_forget_file(struct rec_bpf *b, uint64_t ino, uint32_t dev);

/* Attach the TLS entry or return program at @path + @offset, all pids. */
int rec_bpf_uprobe(struct rec_bpf *b, const char *path, uint64_t offset, int retprobe,
		   uint64_t cookie);

/* Number of possible CPUs (the counters' second dimension). */
int rec_bpf_ncpu(const struct rec_bpf *b);

/* Counters: @out holds ASR_P_NR * ncpu entries, slot-major. */
int rec_bpf_counters(struct rec_bpf *b, struct asr_counters *out);

/* The ring buffers' fds, one per CPU (for ring_buffer__new/__add). */
const int *rec_bpf_ring_fds(const struct rec_bpf *b, size_t *n);
/* The size of each ring buffer: -b's total split among the CPUs. */
size_t rec_bpf_ring_bytes(const struct rec_bpf *b);

/* The map of processes stopped and not yet continued (tgid keys). */
int rec_bpf_stopped_fd(const struct rec_bpf *b);

/* Record type reported for a counter slot (CAP_REC_*). */
uint32_t rec_bpf_slot_type(unsigned slot);

void rec_bpf_close(struct rec_bpf *b);

#endif
