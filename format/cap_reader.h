/* SPDX-License-Identifier: MIT */
/*
 * cap_reader.h - read records from one or more capture files.
 *
 * Calling sequence:
 *   cap_reader_open(paths, n, &opts, &r, &err);
 *   while ((rc = cap_reader_next(r, &rec)) > 0) use(&rec);
 *   rc == 0: end of capture; rc < 0: cap_reader_err(r) names file and offset
 *   cap_reader_close(r);
 *
 * Files are read in the order given (rotated files, concatenated sections
 * and plain uncompressed pcapng all work).  A file that ends inside a frame
 * or block (crash, SIGKILL, cut copy) yields every complete block before
 * the cut, then a warning (cap_reader_warning) and the next file.  Corrupt
 * input (bad lengths, bad zstd data) is an error naming the file and byte
 * offset; it is never a crash or an endless loop.
 *
 * Order: CAP_READ_FILE gives records as stored; CAP_READ_TIME merges them by
 * (ts_ns, seq) within a reorder window (records from different CPUs reach
 * the ring buffer slightly out of order).
 *
 * Housekeeping records (CAP_REC_CHAIN, CAP_REC_FOOTER, CAP_REC_INDEX,
 * CAP_REC_STATS) are returned too unless opts.skip_housekeeping is set;
 * whatever is skipped is still counted in cap_reader_stats.
 */
#ifndef AS_FORMAT_CAP_READER_H
#define AS_FORMAT_CAP_READER_H

#include <stddef.h>
#include <stdint.h>

#include "cap_err.h"
#include "cap_record.h"

struct cap_reader;

enum cap_read_order {
	CAP_READ_FILE = 0,
	CAP_READ_TIME = 1,
};

struct cap_reader_opts {
	enum cap_read_order order;
	uint64_t reorder_window_ns; /* CAP_READ_TIME: default 2 s */
	int skip_housekeeping;      /* hide CHAIN/FOOTER/INDEX/STATS records */
	int verify;                 /* recompute the hash chain while reading */
	int mem_only;               /* paths[0] is ignored; read opts.mem/mem_len */
	const void *mem;            /* in-memory capture (fuzzing, tests) */
	size_t mem_len;
	uint64_t max_bytes;         /* 0: no limit; else fail with -E2BIG after
				     * decoding this many uncompressed bytes
				     * (zstd bombs in fuzzing/untrusted input) */
	int packets;                /* return Enhanced Packet Blocks as
				     * CAP_REC_PACKET records (ts_ns turned
				     * monotonic by the META clock anchor; raw
				     * is the whole block, not a record);
				     * default: skipped and counted in
				     * packets and unknown_blocks */
};

void cap_reader_opts_init(struct cap_reader_opts *o);

/* A decoded record.  Pointers point into the reader's buffers and are valid
 * until the next cap_reader_next() or cap_reader_close(). */
struct cap_rec {
	struct cap_rec_hdr hdr;     /* decoded, zero-filled when written shorter */
	const uint8_t *fixed;       /* fixed body, fixed_len bytes */
	size_t fixed_len;
	const uint8_t *data;        /* variable data, hdr.cap_len bytes */
	size_t data_len;
	const uint8_t *raw;         /* the whole record as stored */
	size_t raw_len;
	unsigned file_index;        /* which of the given paths */
	uint64_t frame_off;         /* compressed offset of its zstd frame */
	uint64_t frame_no;          /* frame number in its file */
	uint64_t block_no;          /* pcapng block number in its file */
};

/*
 * Open @n capture files.  Each is opened at once so a missing file is
 * reported here.  @opts may be NULL for defaults.
 */
int cap_reader_open(const char *const *paths, size_t n,
		    const struct cap_reader_opts *opts, struct cap_reader **out,
		    struct cap_err *err);

/* 1: *rec filled; 0: end of capture; < 0: error, see cap_reader_err(). */
int cap_reader_next(struct cap_reader *r, struct cap_rec *rec);

/*
 * Position the reader at the first frame that may hold records at or after
 * @ts_ns (monotonic), using the index of the footer frame when present and
 * the seek table otherwise.  CAP_READ_FILE order only.
 */
int cap_reader_seek_ts(struct cap_reader *r, uint64_t ts_ns);

/* One warning string per non-fatal problem so far (e.g. a truncated tail);
 * returns NULL past the last.  Valid until cap_reader_close(). */
const char *cap_reader_warning(const struct cap_reader *r, size_t i);

struct cap_reader_stats {
	uint64_t records;        /* records returned or skipped as housekeeping */
	uint64_t blocks;         /* pcapng blocks read */
	uint64_t sections;       /* section header blocks */
	uint64_t unknown_blocks; /* blocks of other types, skipped */
	uint64_t foreign_custom; /* custom blocks of other enterprise numbers */
	uint64_t frames;         /* complete zstd frames */
	uint64_t skippable;      /* skippable frames (seek table) */
	uint64_t chain_ok;       /* chain blocks verified (opts.verify) */
	uint64_t chain_bad;      /* chain blocks that did not match */
	uint64_t first_bad_frame;/* frame number of the first mismatch, or UINT64_MAX */
	uint64_t first_bad_off;  /* its compressed offset */
	unsigned first_bad_file;
	uint64_t comp_bytes;     /* compressed bytes consumed */
	uint64_t raw_bytes;      /* uncompressed bytes consumed */
	int truncated;           /* some file ended inside a frame or block */
	int has_footer;          /* every file had a footer (closed cleanly) */
	int has_seek_table;      /* every file had a seek table */
	uint64_t packets;        /* Enhanced Packet Blocks (returned or skipped) */
};
void cap_reader_stats(const struct cap_reader *r, struct cap_reader_stats *s);

/* The SHB options and meta of the current (or last) file. */
const char *cap_reader_meta(const struct cap_reader *r, const char *key);

const struct cap_err *cap_reader_err(const struct cap_reader *r);

/* Accepts NULL. */
void cap_reader_close(struct cap_reader *r);

/* Helpers for record contents. */

/* Find "key=value" in a NUL-separated list; returns value or NULL. */
const char *cap_kv_find(const uint8_t *data, size_t len, const char *key);

/* Copy the record's fixed body into @dst (zero-filling a shorter body). */
void cap_rec_fixed(const struct cap_rec *rec, void *dst, size_t size);

const char *cap_rec_type_name(unsigned type);

#endif
