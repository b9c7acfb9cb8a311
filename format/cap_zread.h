/* SPDX-License-Identifier: MIT */
/*
 * cap_zread.h - one capture file (fd or memory) as a stream of uncompressed
 * pcapng bytes, with the zstd frame structure kept visible.
 *
 * Calling sequence:
 *   cap_zread_init_fd(&z, fd) or cap_zread_init_mem(&z, p, n);
 *   loop: ev = cap_zread_step(&z, &out);   appends bytes to out
 *     CAP_ZR_DATA       some bytes were appended (from frame z.frame_no)
 *     CAP_ZR_FRAME_END  the frame that produced the earlier bytes is done;
 *                       z.frame_no now names the next frame
 *     CAP_ZR_EOF        clean end of input, between frames
 *     CAP_ZR_TRUNC      input ended inside a frame (z.trunc_* say where)
 *     < 0               corrupt input; z.why and z.err_off say what/where
 *   cap_zread_release(&z);
 *
 * The caller keeps out->cap - out->len >= CAP_ZR_MIN_FREE before a step, so
 * each step makes progress.  Plain pcapng input (no zstd) is copied through
 * and has no frames.  Skippable frames and empty zstd frames (the writer's
 * alignment padding) are skipped and counted, and get no frame number, as
 * in the writer's chain blocks; a zstd seek table is recognised
 * (z.seek_table_last).  Input is read in chunks of
 * CAP_ZR_CHUNK bytes; nothing is sized from file contents.
 */
#ifndef AS_FORMAT_CAP_ZREAD_H
#define AS_FORMAT_CAP_ZREAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cap_buf.h"

#define CAP_ZR_CHUNK (128u * 1024u)
#define CAP_ZR_MIN_FREE 4096u
#define CAP_ZR_WHY 160

#define CAP_ZSTD_MAGIC 0xFD2FB528u
#define CAP_SKIP_MAGIC 0x184D2A50u /* ... 0x184D2A5F */
#define CAP_SKIP_MASK 0xFFFFFFF0u
#define CAP_SEEK_SKIP_MAGIC 0x184D2A5Eu
#define CAP_SEEKABLE_MAGIC 0x8F92EAB1u

enum cap_zread_kind {
	CAP_ZR_UNKNOWN = 0,
	CAP_ZR_ZSTD = 1,
	CAP_ZR_PLAIN = 2,
};

enum cap_zread_ev {
	CAP_ZR_DATA = 1,
	CAP_ZR_FRAME_END = 2,
	CAP_ZR_EOF = 3,
	CAP_ZR_TRUNC = 4,
};

struct ZSTD_DCtx_s;

struct cap_zread {
	int fd;                   /* -1 for memory input */
	const uint8_t *mem;       /* memory input */
	size_t mem_len;
	struct cap_buf ibuf;      /* file input buffer */
	const uint8_t *ip;        /* input window ip[ipos..ilen) */
	size_t ilen, ipos;
	uint64_t ioff;            /* file offset of ip[0] */
	int eof;                  /* no more input after ip[ilen] */
	struct ZSTD_DCtx_s *dctx;
	enum cap_zread_kind kind;
	int in_frame;             /* inside a zstd frame */
	int end_pending;          /* frame finished; FRAME_END not yet returned */
	uint64_t skip_left;       /* bytes of a skippable frame left to skip */
	uint32_t skip_magic, skip_size;
	uint64_t skip_off;
	uint8_t tail[9];          /* last bytes of the skippable frame */
	size_t tail_len;
	uint64_t frame_off;       /* compressed offset of the current/last frame */
	uint64_t frame_no;        /* number of the current frame (zstd frames only) */
	uint64_t frame_out;       /* bytes the current frame produced so far */
	uint64_t frames;          /* complete zstd frames with content */
	uint64_t skippable;       /* skippable and empty zstd frames (padding) */
	int seek_table_last;      /* the last thing read was a zstd seek table */
	int frame_bad;            /* error: it came from decoding frame frame_no
				   * (why has no frame number then) */
	int trunc_in_skip;        /* TRUNC: inside a skippable frame */
	uint64_t trunc_off;       /* TRUNC: where the input ended */
	uint64_t err_off;         /* error: offset the error refers to */
	char why[CAP_ZR_WHY];
};

/* Both return 0 or -ENOMEM.  The fd stays owned by the caller. */
int cap_zread_init_fd(struct cap_zread *z, int fd);
int cap_zread_init_mem(struct cap_zread *z, const void *p, size_t n);
void cap_zread_release(struct cap_zread *z);

/* See the calling sequence above. */
int cap_zread_step(struct cap_zread *z, struct cap_buf *out);

/* Compressed bytes consumed so far (file offset of the next input byte). */
uint64_t cap_zread_offset(const struct cap_zread *z);

/* Size of the input now (fstat for files); 0 on error. */
uint64_t cap_zread_size(const struct cap_zread *z);

/* Read up to @n bytes at @off without disturbing the stream; returns the
 * count (short at end of input) or -errno. */
ssize_t cap_zread_pread(const struct cap_zread *z, void *buf, size_t n, uint64_t off);

/*
 * Restart decoding at the zstd frame that begins at @off, calling it frame
 * @frame_no.  Not for plain pcapng input.  Returns 0 or -EINVAL.
 */
int cap_zread_restart(struct cap_zread *z, uint64_t off, uint64_t frame_no);

struct cap_zframe {
	uint64_t size;   /* compressed bytes (up to the end of input if partial) */
	int skippable;   /* a skippable frame */
	int empty;       /* a zstd frame whose blocks hold no content (padding) */
	int partial;     /* the input ends inside it */
};

/*
 * Size of the (skippable or zstd) frame at @off found by walking its header
 * and block headers, without decompressing.  Returns 1 (*f set), 0 at end
 * of input, < 0 when the bytes there are not a frame (@why says why).
 */
int cap_zread_frame_size(const struct cap_zread *z, uint64_t off, struct cap_zframe *f,
			 char *why);

#endif
