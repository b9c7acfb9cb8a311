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

/* Index of the frame holding byte @off, or -1. */
long an_seek_frame_at(const struct an_seek *s, uint64_t off);

/* Accepts a zeroed struct. */
void an_seek_free(struct an_seek *s);

#endif
