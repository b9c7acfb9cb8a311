/* SPDX-License-Identifier: MIT */
/*
 * bundle_write.h - writing an incident bundle (bundle.h): members into a
 * pax/ustar tar through libarchive's zstd filter, each hashed as it is
 * written; then MANIFEST.json and SHA256SUMS from those hashes.
 *
 * Calling sequence:
 *   bundle_writer_open(&w, "OUT.part", msg, size);
 *   bundle_writer_add_fd(&w, "captures/a.pcapng.zst", fd, mtime, ...) ...
 *   bundle_writer_add_mem(&w, "SUMMARY.txt", p, n, mtime, ...) ...
 *   bundle_writer_finish(&w, caps, ncaps, msg, size);  manifest + sums
 *   bundle_writer_close(&w);
 */
#ifndef AS_ANALYZE_BUNDLE_WRITE_H
#define AS_ANALYZE_BUNDLE_WRITE_H

#include <stddef.h>
#include <stdint.h>

struct archive;

struct bundle_wmember {
	char *name;
	const char *role;      /* "capture", "sqlite", "summary", "manifest" */
	uint64_t size;
	uint8_t sha[32];
};

/* What `asanalyze verify` learns of one capture, for the manifest. */
struct bundle_capinfo {
	const char *member;    /* its member name */
	const char *source;    /* the path it was read from */
	uint64_t frames, chain_ok, chain_bad, records, sections;
	int has_footer, has_seek_table, truncated;
	int footer_seen;       /* final_hash and footer_frames are set */
	uint8_t final_hash[32];
	uint64_t footer_frames, footer_records;
	char error[512];       /* read error, or "" */
};

struct bundle_writer {
	struct archive *a;
	struct bundle_wmember *m;
	size_t n;
	uint64_t in_bytes;     /* member bytes written */
	/* optional: called with the bytes of the current member so far */
	void (*progress)(void *ctx, uint64_t done);
	void *progress_ctx;
};

int bundle_writer_open(struct bundle_writer *w, const char *path, char *msg, size_t msg_size);

/* Copy all of @fd (from its offset 0) as member @name. */
int bundle_writer_add_fd(struct bundle_writer *w, const char *name, const char *role, int fd,
			 int64_t mtime, char *msg, size_t msg_size);

int bundle_writer_add_mem(struct bundle_writer *w, const char *name, const char *role,
			  const void *p, size_t n, int64_t mtime, char *msg, size_t msg_size);

/* Write MANIFEST.json and SHA256SUMS and finish the archive. */
int bundle_writer_finish(struct bundle_writer *w, const struct bundle_capinfo *caps,
			 size_t ncaps, char *msg, size_t msg_size);

/* Frees everything (also after a failure; the file is left to the caller). */
void bundle_writer_close(struct bundle_writer *w);

#endif
