/* SPDX-License-Identifier: MIT */
/*
 * an_seek.h - read the zstd seek table at the end of a capture file
 * (ascap(5)) to map a byte offset to a frame number.  Used to name the frame
 * an error lies in, and by `info` to list frames.
 *
 *   struct an_seek s; if (an_seek_load(path, &s) == 0) { ... an_seek_free(&s); }
 */
#ifndef AS_ANALYZE_AN_SEEK_H
#define AS_ANALYZE_AN_SEEK_H

#include <stddef.h>
#include <stdint.h>

struct an_seek_frame {
	uint64_t off;       /* compressed offset in the file */
	uint32_t comp_len;
	uint32_t raw_len;
};

struct an_seek {
	struct an_seek_frame *f;
	size_t n;
	uint64_t table_off; /* where the skippable frame starts */
	uint64_t file_size;
};

/*
 * 0 and @s filled; -ENOENT when the file has no seek table (not closed
 * cleanly, or plain pcapng); -EBADMSG when it is inconsistent; -errno.
 */
int an_seek_load(const char *path, struct an_seek *s);

/* Index of the seek table entry holding byte @off, or -1. */
long an_seek_frame_at(const struct an_seek *s, uint64_t off);

/*
 * The frame number (as in CAP_REC_CHAIN frame_no) of entry @idx: frames are
 * counted only when they hold blocks, so empty zstd frames and skippable
 * padding frames (raw_len 0) are not counted.
 */
uint64_t an_seek_frame_no(const struct an_seek *s, size_t idx);

/*
 * Walk the zstd frames (and skippable frames) of @path from the start and
 * return in *end the offset just past the last complete one: everything
 * after it is an incomplete frame.  Returns 0, -EPROTONOSUPPORT for a file
 * that is not zstd (plain pcapng), or -errno.
 */
int an_seek_complete_end(const char *path, uint64_t *end);

/* Accepts a zeroed struct. */
void an_seek_free(struct an_seek *s);

#endif
