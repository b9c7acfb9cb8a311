/* SPDX-License-Identifier: MIT */
/*
 * cap_writer.h - write a capture file (man/ascap.5).
 *
 * Calling sequence:
 *   struct cap_writer_opts o; cap_writer_opts_init(&o); o.level = 1; ...
 *   cap_writer_open("x.pcapng.zst", &o, &w);   creates "x.pcapng.zst.part", 0600
 *   cap_writer_add_meta(w, "hostname", "box"); ... (before the first record)
 *   cap_writer_add(w, rec, len);                any number of records
 *   cap_writer_set_stats(w, ...);               whenever counters change
 *   cap_writer_close(w, &err);                  footer, index, seek table, rename
 *
 * The file is a sequence of independent zstd frames, each holding whole
 * pcapng blocks and ending with a CAP_REC_CHAIN record; a frame is closed at
 * the earlier of opts.frame_ns since its first block and opts.frame_bytes
 * uncompressed.  The first frame starts with the Section Header Block, the
 * Interface Description Block and the CAP_REC_META record.  Nothing reaches
 * the file before a frame is closed, so after SIGKILL the file holds every
 * closed frame.  cap_writer_abort() closes without footer or rename (tests).
 *
 * Not thread-safe: one thread owns a writer (the recorder gives it to its
 * writer thread).
 */
#ifndef AS_FORMAT_CAP_WRITER_H
#define AS_FORMAT_CAP_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "cap_err.h"
#include "cap_record.h"

struct cap_writer;

struct cap_writer_opts {
	int level;              /* zstd level, 1..19; default 1 */
	uint64_t frame_ns;      /* close a frame after this long; default 1 s */
	size_t frame_bytes;     /* ... or at this many uncompressed bytes; 256 KiB */
	int no_part;            /* write the final name directly (no .part) */
	int overwrite;          /* replace an existing final file; default: -EEXIST */
	int hash_chain;         /* SHA-256 chain blocks; default 1 */
	const char *userappl;   /* SHB shb_userappl, e.g. "asrecord 0.1" */
	uint64_t (*clock)(void *ctx); /* monotonic ns for frame timing (tests); NULL: CLOCK_MONOTONIC */
	void *clock_ctx;
};

void cap_writer_opts_init(struct cap_writer_opts *o);

/*
 * Create @path + ".part" with mode 0600 (O_EXCL: an existing file is an
 * error) and write nothing yet.  On failure *out is NULL and @err says why.
 */
int cap_writer_open(const char *path, const struct cap_writer_opts *o,
		    struct cap_writer **out, struct cap_err *err);

/*
 * Add a "key=value" pair to the CAP_REC_META record.  Only before the first
 * cap_writer_add(); the meta record is emitted then.  Keys used by asight:
 * format_version, recorder, cmdline, hostname, kernel, machine, boot_id,
 * clock_mono_ns, clock_real_ns, filter, file_index, ... (ascap(5)).
 */
int cap_writer_add_meta(struct cap_writer *w, const char *key, const char *value);

/*
 * Append one complete record (struct cap_rec_hdr + fixed + data, @len bytes,
 * exactly as the probe emitted it).  @len must be <= CAP_REC_CHUNK_MAX + 4096.
 * The record is copied.  Returns 0 or a negative error (see cap_writer_err).
 */
int cap_writer_add(struct cap_writer *w, const void *rec, size_t len);

/*
 * Build and append a record from parts, splitting @data into continuation
 * records of at most CAP_REC_CHUNK_MAX bytes that share hdr->seq.  hdr's
 * hdr_len, fixed_len, cap_len, data_off and flags are filled in here;
 * hdr->orig_len is kept if >= @data_len (caller-known truncation, sets
 * CAP_RF_TRUNC on the last chunk), else set to @data_len.
 */
int cap_writer_add_parts(struct cap_writer *w, const struct cap_rec_hdr *hdr,
			 const void *fixed, size_t fixed_len,
			 const void *data, size_t data_len);

/*
 * Append one packet as an Enhanced Packet Block on interface 0: @caplen
 * bytes of @data, a LINUX_SLL2 frame (the IDB's link type), captured at
 * @ts_real_ns (CLOCK_REALTIME ns, the IDB's if_tsresol 9), @origlen bytes
 * long on the wire; @epb_flags != 0 adds the epb_flags option.  Packets
 * are not records: they are counted in cap_writer_totals.packets and in
 * the STATS record's packets field.  Returns 0 or a negative error.
 */
int cap_writer_add_packet(struct cap_writer *w, uint64_t ts_real_ns, const void *data,
			  uint32_t caplen, uint32_t origlen, uint32_t epb_flags);

/*
 * Take @mono_ns/@real_ns (CLOCK_MONOTONIC and CLOCK_REALTIME read together)
 * as the file's clock anchor instead of the clocks read at open: META's
 * clock_mono_ns/clock_real_ns, the ISB start time and how packet times are
 * put on the monotonic clock.  For tools that rewrite an old capture
 * (asanalyze repair).  Before the first add; returns 0 or -EINVAL.
 */
int cap_writer_set_anchor(struct cap_writer *w, uint64_t mono_ns, uint64_t real_ns);

/*
 * Record the current loss counters.  They are written as an Interface
 * Statistics Block and a CAP_REC_STATS record at the end of every frame and
 * summed into the footer.  @entries may be NULL when @n is 0; copied.
 */
int cap_writer_set_stats(struct cap_writer *w, const struct cap_stats *totals,
			 const struct cap_stat_entry *entries, size_t n);

/* Close the current frame now if it holds anything (e.g. on a timer). */
int cap_writer_flush(struct cap_writer *w);

/* Close the frame if frame_ns has passed since it was started. */
int cap_writer_tick(struct cap_writer *w);

/* Counters of what has been written so far. */
struct cap_writer_totals {
	uint64_t records;      /* records added (chunks count one each) */
	uint64_t frames;       /* zstd frames written */
	uint64_t raw_bytes;    /* uncompressed pcapng bytes */
	uint64_t file_bytes;   /* bytes in the file */
	uint64_t packets;      /* packets added (cap_writer_add_packet) */
};
void cap_writer_totals(const struct cap_writer *w, struct cap_writer_totals *t);

/* The last error's details; valid after a call returned < 0. */
const struct cap_err *cap_writer_err(const struct cap_writer *w);

/*
 * Finish: close the last data frame, write the footer frame (footer, index)
 * and the zstd seek table, fsync, rename .part to the final name, free @w.
 * Accepts NULL.  On error the .part file is kept and @err says why.
 */
int cap_writer_close(struct cap_writer *w, struct cap_err *err);

/* Free without footer or rename; closed frames stay in the .part file. */
void cap_writer_abort(struct cap_writer *w);

#endif
