/* SPDX-License-Identifier: MIT */
/*
 * cap_seek.h - random access into one capture file for cap_reader_seek_ts():
 * the zstd seek table (last bytes of a closed file), the footer's INDEX
 * records, and a frame walk plus binary search when neither is there.
 *
 * All functions read through cap_zread_pread() and decode frames with their
 * own zstd context, so the reader's stream is not disturbed.  Every count
 * read from the file is bounded by the file size before it sizes anything.
 */
#ifndef AS_FORMAT_CAP_SEEK_H
#define AS_FORMAT_CAP_SEEK_H

#include <stddef.h>
#include <stdint.h>

#include "cap_buf.h"
#include "cap_zread.h"

/* Largest frame decoded by cap_seek_peek (compressed and uncompressed);
 * asight frames hold at most 256 KiB. */
#define CAP_SEEK_FRAME_MAX (64u * 1024u * 1024u)

struct cap_seek_frame {
	uint64_t off;   /* compressed offset of a zstd frame */
	uint64_t clen;  /* its compressed length (may run past the end: partial) */
};

struct cap_seek_hit {
	int found;          /* 0: every record of the file is before ts */
	uint64_t off;       /* frame to start at */
	uint64_t frame_no;
};

/* Called for each complete block of a peeked frame; non-zero stops. */
typedef int (*cap_seek_cb)(void *ctx, uint32_t type, const uint8_t *blk, uint32_t len);

/*
 * The zstd frames of the file: from the seek table when it is present and
 * covers the whole file, else by walking frame and block headers (crashed
 * or concatenated files).  *v is malloc'd (free it); *from_table tells which.
 * Returns 0 or < 0 (@why set).
 */
int cap_seek_frames(const struct cap_zread *z, struct cap_seek_frame **v, size_t *n,
		    int *from_table, char *why);

/*
 * Decode the frame @f with a private zstd context and call @cb for each
 * complete block, in order.  A partial frame yields its complete blocks.
 * Returns 0, or the first non-zero @cb result, or < 0 (@why set).
 */
int cap_seek_peek(const struct cap_zread *z, const struct cap_seek_frame *f, cap_seek_cb cb,
		  void *ctx, char *why);

/* Find the first frame that may hold records at or after @ts (zstd files;
 * plain pcapng gives its start).  Returns 0 or < 0 (@why set). */
int cap_seek_file(const struct cap_zread *z, uint64_t ts, struct cap_seek_hit *hit, char *why);

/* Replace @meta with the SHB options and META record that open the file. */
int cap_seek_meta(const struct cap_zread *z, struct cap_buf *meta, char *why);

#endif
