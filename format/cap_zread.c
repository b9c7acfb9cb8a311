/* SPDX-License-Identifier: MIT */
/*
 * cap_zread.c - capture file bytes -> uncompressed pcapng stream.
 *
 * zstd is driven with ZSTD_decompressStream so memory stays bounded by the
 * input chunk, zstd's window and the caller's output buffer, whatever the
 * file says.  A frame ends when ZSTD_decompressStream returns 0; that is
 * reported as CAP_ZR_FRAME_END only after the caller has seen the frame's
 * last bytes, so every block can be attributed to the frame it came from.
 */
#include "cap_zread.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "cap_block.h"
#include "cap_cursor.h"

#define ZBLOCK_MAX (128u * 1024u) /* zstd's block size limit */

static int zfail(struct cap_zread *z, int code, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int zfail(struct cap_zread *z, int code, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	z->err_off = off;
	va_start(ap, fmt);
	vsnprintf(z->why, sizeof(z->why), fmt, ap);
	va_end(ap);
	return code;
}

static int zread_init(struct cap_zread *z)
{
	z->dctx = ZSTD_createDCtx();
	return z->dctx ? 0 : -ENOMEM;
}

int cap_zread_init_fd(struct cap_zread *z, int fd)
{
	memset(z, 0, sizeof(*z));
	z->fd = fd;
	if (cap_buf_reserve(&z->ibuf, CAP_ZR_CHUNK))
		return -ENOMEM;
	z->ip = z->ibuf.p;
	return zread_init(z);
}

int cap_zread_init_mem(struct cap_zread *z, const void *p, size_t n)
{
	memset(z, 0, sizeof(*z));
	z->fd = -1;
	z->mem = p;
	z->mem_len = p ? n : 0;
	z->ip = z->mem;
	z->ilen = z->mem_len;
	z->eof = 1;
	return zread_init(z);
}

void cap_zread_release(struct cap_zread *z)
{
	if (!z)
		return;
	ZSTD_freeDCtx(z->dctx);
	z->dctx = NULL;
	cap_buf_release(&z->ibuf);
}

uint64_t cap_zread_offset(const struct cap_zread *z)
{
	return z->ioff + z->ipos;
}

uint64_t cap_zread_size(const struct cap_zread *z)
{
	struct stat st;

	if (z->fd < 0)
		return z->mem_len;
	if (fstat(z->fd, &st) || st.st_size < 0)
		return 0;
	return (uint64_t)st.st_size;
}

ssize_t cap_zread_pread(const struct cap_zread *z, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	if (z->fd < 0) {
		if (off >= z->mem_len)
			return 0;
		if (n > z->mem_len - off)
			n = (size_t)(z->mem_len - off);
		memcpy(buf, z->mem + off, n);
		return (ssize_t)n;
	}
	while (got < n) {
		ssize_t k = pread(z->fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* Read the next chunk of a file, keeping unread bytes. */
static int input_refill(struct cap_zread *z)
{
	size_t keep = z->ilen - z->ipos;
	ssize_t k;

	if (z->eof)
		return 0;
	if (keep && z->ipos)
		memmove(z->ibuf.p, z->ibuf.p + z->ipos, keep);
	z->ioff += z->ipos;
	z->ipos = 0;
	z->ilen = keep;
	k = cap_zread_pread(z, z->ibuf.p + keep, z->ibuf.cap - keep, z->ioff + keep);
	if (k < 0)
		return zfail(z, (int)k, z->ioff + keep, "read failed: %s", strerror((int)-k));
	if (k == 0)
		z->eof = 1;
	z->ilen += (size_t)k;
	return 0;
}

/* Unread bytes available, trying to have at least @n (@n <= 16). */
static int input_want(struct cap_zread *z, size_t n, size_t *avail)
{
	while (z->ilen - z->ipos < n && !z->eof) {
		int rc = input_refill(z);

		if (rc)
			return rc;
	}
	*avail = z->ilen - z->ipos;
	return 0;
}

static int trunc_here(struct cap_zread *z, int in_skip)
{
	z->trunc_in_skip = in_skip;
	z->trunc_off = z->ioff + z->ilen;
	return CAP_ZR_TRUNC;
}

static int is_prefix(const uint8_t *p, size_t n, uint32_t magic)
{
	uint8_t m[4];

	le32_put(m, magic);
	return n < 4 && !memcmp(p, m, n);
}

/* Decide between zstd and plain pcapng from the first bytes. */
static int detect(struct cap_zread *z)
{
	const uint8_t *p;
	size_t avail;
	uint32_t m;
	int rc = input_want(z, 4, &avail);

	if (rc)
		return rc;
	if (!avail)
		return CAP_ZR_EOF;
	p = z->ip + z->ipos;
	if (avail < 4) {
		if (is_prefix(p, avail, CAP_ZSTD_MAGIC) || is_prefix(p, avail, PCAPNG_SHB))
			return trunc_here(z, 0);
		return zfail(z, -EBADMSG, 0, "not a capture file: %zu byte(s) of unknown data",
			     avail);
	}
	m = le32_get(p);
	if (m == PCAPNG_SHB)
		z->kind = CAP_ZR_PLAIN;
	else if (m == CAP_ZSTD_MAGIC || (m & CAP_SKIP_MASK) == CAP_SKIP_MAGIC)
		z->kind = CAP_ZR_ZSTD;
	else
		return zfail(z, -EBADMSG, 0,
			     "not a capture file: starts with %02x %02x %02x %02x, "
			     "neither zstd nor pcapng", p[0], p[1], p[2], p[3]);
	return 0;
}

static int plain_step(struct cap_zread *z, struct cap_buf *out)
{
	size_t avail, n;
	int rc = input_want(z, 1, &avail);

	if (rc)
		return rc;
	if (!avail)
		return CAP_ZR_EOF;
	n = out->cap - out->len;
	if (n > avail)
		n = avail;
	memcpy(out->p + out->len, z->ip + z->ipos, n);
	out->len += n;
	z->ipos += n;
	return CAP_ZR_DATA;
}

static void tail_push(struct cap_zread *z, const uint8_t *p, size_t n)
{
	size_t keep;

	if (n >= sizeof(z->tail)) {
		memcpy(z->tail, p + n - sizeof(z->tail), sizeof(z->tail));
		z->tail_len = sizeof(z->tail);
		return;
	}
	keep = sizeof(z->tail) - n;
	if (keep > z->tail_len)
		keep = z->tail_len;
	memmove(z->tail, z->tail + z->tail_len - keep, keep);
	memcpy(z->tail + keep, p, n);
	z->tail_len = keep + n;
}

/* zstd seekable format footer: u32 frames, u8 descriptor, u32 magic. */
static int tail_is_seek_table(const struct cap_zread *z)
{
	uint32_t nframes;
	uint8_t desc;

	if (z->skip_magic != CAP_SEEK_SKIP_MAGIC || z->skip_size < 9 || z->tail_len < 9)
		return 0;
	if (le32_get(z->tail + 5) != CAP_SEEKABLE_MAGIC)
		return 0;
	nframes = le32_get(z->tail);
	desc = z->tail[4];
	if (desc & 0x7c)
		return 0;
	return (uint64_t)nframes * ((desc & 0x80) ? 12 : 8) + 9 == z->skip_size;
}

/* Skip part of a skippable frame; 0 to go on or CAP_ZR_TRUNC. */
static int skip_step(struct cap_zread *z)
{
	size_t avail, n;
	int rc = input_want(z, 1, &avail);

	if (rc)
		return rc;
	if (!avail)
		return trunc_here(z, 1);
	n = avail < z->skip_left ? avail : (size_t)z->skip_left;
	tail_push(z, z->ip + z->ipos, n);
	z->ipos += n;
	z->skip_left -= n;
	if (!z->skip_left) {
		z->skippable++;
		z->seek_table_last = tail_is_seek_table(z);
	}
	return 0;
}

/* At a frame boundary: start a skippable or zstd frame; 0, EOF or TRUNC. */
static int frame_begin(struct cap_zread *z)
{
	const uint8_t *p;
	size_t avail;
	uint32_t m;
	int rc = input_want(z, 8, &avail);

	if (rc)
		return rc;
	if (!avail)
		return CAP_ZR_EOF;
	z->frame_off = cap_zread_offset(z);
	if (avail < 4)
		return trunc_here(z, 0);
	p = z->ip + z->ipos;
	m = le32_get(p);
	if ((m & CAP_SKIP_MASK) == CAP_SKIP_MAGIC) {
		if (avail < 8)
			return trunc_here(z, 1);
		z->skip_magic = m;
		z->skip_size = le32_get(p + 4);
		z->skip_left = z->skip_size;
		z->skip_off = z->frame_off;
		z->tail_len = 0;
		z->ipos += 8;
		if (!z->skip_left)
			z->skippable++;
		return 0;
	}
	if (m != CAP_ZSTD_MAGIC)
		return zfail(z, -EBADMSG, z->frame_off,
			     "frame %llu: bad zstd frame magic %#x (garbage after the last frame?)",
			     (unsigned long long)z->frame_no, m);
	ZSTD_DCtx_reset(z->dctx, ZSTD_reset_session_only);
	z->in_frame = 1;
	z->frame_out = 0;
	z->seek_table_last = 0;
	return 0;
}

/* Feed the decoder once; DATA, FRAME_END, 0 (call again) or an error. */
static int zstd_feed(struct cap_zread *z, struct cap_buf *out, int *stalls)
{
	ZSTD_inBuffer in = { z->ip, z->ilen, z->ipos };
	ZSTD_outBuffer o = { out->p + out->len, out->cap - out->len, 0 };
	size_t ret = ZSTD_decompressStream(z->dctx, &o, &in);

	if (ZSTD_isError(ret)) {
		z->in_frame = 0;
		z->frame_bad = 1;
		return zfail(z, -EBADMSG, z->frame_off, "zstd: %s", ZSTD_getErrorName(ret));
	}
	*stalls = (in.pos == z->ipos && !o.pos) ? *stalls + 1 : 0;
	z->ipos = in.pos;
	out->len += o.pos;
	z->frame_out += o.pos;
	if (ret == 0) {
		z->in_frame = 0;
		if (!z->frame_out) {
			z->skippable++; /* empty frame: padding, not numbered */
			return 0;
		}
		z->frames++;
		if (o.pos) {
			z->end_pending = 1;
			return CAP_ZR_DATA;
		}
		z->frame_no++;
		return CAP_ZR_FRAME_END;
	}
	if (o.pos)
		return CAP_ZR_DATA;
	/* zstd always moves with input and output room; guard anyway so that
	 * no input can make this loop forever */
	if (*stalls > 2 && z->ipos < z->ilen)
		return zfail(z, -EBADMSG, z->frame_off, "zstd made no progress");
	return 0;
}

static int zstd_step(struct cap_zread *z, struct cap_buf *out)
{
	int rc, stalls = 0;

	for (;;) {
		if (z->end_pending) {
			z->end_pending = 0;
			z->frame_no++;
			return CAP_ZR_FRAME_END;
		}
		if (z->skip_left) {
			rc = skip_step(z);
			if (rc)
				return rc;
			continue;
		}
		if (!z->in_frame) {
			rc = frame_begin(z);
			if (rc)
				return rc;
			continue;
		}
		if (z->ipos == z->ilen) {
			rc = input_refill(z);
			if (rc)
				return rc;
			if (z->ipos == z->ilen)
				return trunc_here(z, 0);
		}
		rc = zstd_feed(z, out, &stalls);
		if (rc)
			return rc;
	}
}

int cap_zread_step(struct cap_zread *z, struct cap_buf *out)
{
	int rc;

	if (out->cap - out->len < 1)
		return zfail(z, -ENOBUFS, cap_zread_offset(z), "no room for output");
	if (z->kind == CAP_ZR_UNKNOWN) {
		rc = detect(z);
		if (rc)
			return rc;
	}
	if (z->kind == CAP_ZR_PLAIN)
		return plain_step(z, out);
	return zstd_step(z, out);
}

int cap_zread_restart(struct cap_zread *z, uint64_t off, uint64_t frame_no)
{
	if (z->kind == CAP_ZR_PLAIN)
		return -EINVAL;
	z->kind = CAP_ZR_ZSTD;
	if (z->fd < 0) {
		if (off > z->mem_len)
			return -EINVAL;
		z->ioff = 0;
		z->ipos = (size_t)off;
	} else {
		z->ioff = off;
		z->ipos = z->ilen = 0;
		z->eof = 0;
	}
	ZSTD_DCtx_reset(z->dctx, ZSTD_reset_session_only);
	z->in_frame = z->end_pending = z->frame_bad = 0;
	z->skip_left = 0;
	z->seek_table_last = 0;
	z->frame_no = frame_no;
	z->frame_off = off;
	return 0;
}

/* Bytes of the zstd frame header after the magic, from its descriptor. */
static size_t zstd_header_len(uint8_t fhd)
{
	static const uint8_t did_len[4] = { 0, 1, 2, 4 };
	static const uint8_t fcs_len[4] = { 0, 2, 4, 8 };
	unsigned fcs = fhd >> 6, single = (fhd >> 5) & 1;

	return 1 + (single ? 0 : 1) + did_len[fhd & 3] +
	       (fcs == 0 ? single : fcs_len[fcs]);
}

/* Walk block headers from @pos to the end of the frame. */
static int walk_blocks(const struct cap_zread *z, uint64_t pos, uint64_t size, uint64_t *end,
		       struct cap_zframe *f, char *why)
{
	for (;;) {
		uint8_t b[3];
		uint32_t bh, bsize, type;
		ssize_t k = cap_zread_pread(z, b, 3, pos);

		if (k < 0)
			return (int)k;
		if (k < 3) {
			f->partial = 1;
			*end = size;
			return 0;
		}
		bh = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
		type = (bh >> 1) & 3;
		bsize = bh >> 3;
		if (type == 3 || bsize > ZBLOCK_MAX) {
			snprintf(why, CAP_ZR_WHY, "bad zstd block header at offset %llu",
				 (unsigned long long)pos);
			return -EBADMSG;
		}
		if (bsize)
			f->empty = 0;
		pos += 3 + (type == 1 ? 1 : bsize);
		if (bh & 1) {
			*end = pos;
			return 0;
		}
		if (pos >= size) {
			f->partial = 1;
			*end = size;
			return 0;
		}
	}
}

int cap_zread_frame_size(const struct cap_zread *z, uint64_t off, struct cap_zframe *f,
			 char *why)
{
	uint64_t fsize = cap_zread_size(z), end = 0;
	uint8_t h[8];
	ssize_t k = cap_zread_pread(z, h, sizeof(h), off);
	int rc, skip;

	memset(f, 0, sizeof(*f));
	if (k < 0)
		return (int)k;
	if (k == 0)
		return 0;
	skip = (le32_get(h) & CAP_SKIP_MASK) == CAP_SKIP_MAGIC;
	if (k < 5 || (skip && k < 8)) {
		f->partial = 1;
		f->size = (uint64_t)k;
		return 1;
	}
	if (skip) {
		f->skippable = 1;
		f->size = 8 + (uint64_t)le32_get(h + 4);
		f->partial = off + f->size > fsize;
		return 1;
	}
	if (le32_get(h) != CAP_ZSTD_MAGIC || (h[4] & 0x08)) {
		snprintf(why, CAP_ZR_WHY, "no zstd frame at offset %llu", (unsigned long long)off);
		return -EBADMSG;
	}
	f->empty = 1;
	rc = walk_blocks(z, off + 4 + zstd_header_len(h[4]), fsize, &end, f, why);
	if (rc)
		return rc;
	if (!f->partial && (h[4] & 0x04))
		end += 4; /* content checksum */
	if (end > fsize) {
		f->partial = 1;
		end = fsize;
	}
	f->size = end - off;
	return 1;
}
