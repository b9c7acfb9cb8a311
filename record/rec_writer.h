/* SPDX-License-Identifier: MIT */
/*
 * rec_writer.h - the writer thread: owns the capture writer, takes record
 * chunks from the queue, writes them unchanged, refreshes the loss counters
 * (CAP_REC_STATS / ISB) from the kernel side, and rotates files like
 * tcpdump (-C bytes, -G seconds, -W files).  Every file is self-contained:
 * it starts with its own META record, a /proc snapshot of the traced
 * processes and every TLS target known so far.
 *
 * Calling sequence:
 *   rec_writer_start(&cfg, &w, err, len);   opens the first file, starts the thread
 *   ... poller pushes chunks; rec_writer_done(w) says the writer wants to stop
 *   rec_queue_close(q); rec_writer_join(w, &sum, err, len);   drains, closes
 */
#ifndef AS_RECORD_REC_WRITER_H
#define AS_RECORD_REC_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct rec_bpf;
struct rec_pcap;
struct rec_queue;
struct rec_writer;

struct rec_writer_cfg {
	const char *path;          /* -w FILE; strftime pattern with -G */
	int level;                 /* zstd level */
	uint64_t rotate_bytes;     /* -C: rotate at this many bytes on disk; 0 off */
	uint64_t rotate_ns;        /* -G: rotate after this long; 0 off */
	unsigned max_files;        /* -W: ring of files with -C, file limit with -G */
	const char *const *meta;   /* key, value, key, value, ... for every META */
	size_t nmeta;              /* number of pairs */
	int snap_all;              /* snapshot every process (--all, --cgroup) */
	const char *snap_cgroup;   /* only this cgroup path (as in /proc/PID/cgroup) */
	struct rec_bpf *bpf;
	struct rec_queue *q;
	struct rec_pcap *pcap;     /* -i: packet counters for STATS/ISB; or NULL */
};

struct rec_summary {
	uint64_t records;          /* records written, all files */
	uint64_t bytes;            /* bytes on disk, all files */
	uint64_t raw_bytes;        /* uncompressed bytes */
	uint64_t drops;            /* failed ring-buffer reservations */
	uint64_t truncs;           /* payloads truncated */
	uint64_t write_errors;
	unsigned files;
	char last_path[4096];
	uint64_t packets;          /* packets written, all files (-i) */
	uint64_t pkt_drops;        /* packets lost: kernel, interface, full queue */
	uint64_t other_abi;        /* ia32/x32 syscalls of traced processes, not decoded */
};

int rec_writer_start(const struct rec_writer_cfg *cfg, struct rec_writer **out, char *err,
		     size_t len);

/* Non-zero when the writer asks to stop (file limit reached or error). */
int rec_writer_done(struct rec_writer *w);

/* Wait for the thread (after rec_queue_close), close the file, free @w. */
int rec_writer_join(struct rec_writer *w, struct rec_summary *sum, char *err, size_t len);

#endif
