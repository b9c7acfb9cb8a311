/* SPDX-License-Identifier: MIT */
/*
 * cap_seek.c - find where to start reading for a timestamp.
 *
 * A cleanly closed file ends with the zstd seek table and, just before it,
 * footer frames holding CAP_REC_INDEX records (per data frame: offset,
 * min/max ts) and the CAP_REC_FOOTER (struct cap_footer.index_frame says
 * where the index starts).  That index answers the question exactly: the
 * first data frame whose max_ts >= ts.
 *
 * A crashed file (SIGKILL, power loss, a copy of a live .part) has neither.
 * Rebuilding the index would mean decompressing the whole file, so instead
 * the frames are found by walking zstd frame and block headers (a few bytes
 * read per 128 KiB block, no decompression) and the frame is chosen by a
 * binary search over each frame's first record timestamp: records are
 * written in arrival order, so first timestamps grow with the frame number
 * except for the small cross-CPU disorder, which the search absorbs by
 * stepping back while the previous frame still reaches ts.  That costs
 * O(log frames) frame decodes instead of O(frames).
 */
#include "cap_seek.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "cap_block.h"
#include "cap_cursor.h"
#include "cap_parse.h"
#include "cap_reader.h"

#define SEEK_ENTRY_MIN 8
#define ZSTD_FRAME_MIN 9   /* magic, descriptor, one block header, ... */
#define STEP_BACK_MAX 8    /* frames re-checked before the binary search hit */
#define INDEX_ENTRY 32     /* struct cap_index_entry on disk */

static int frames_push(struct cap_seek_frame **v, size_t *n, size_t *cap, uint64_t off,
		       uint64_t clen)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct cap_seek_frame *p = realloc(*v, nc * sizeof(**v));

		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = nc;
	}
	(*v)[*n].off = off;
	(*v)[*n].clen = clen;
	(*n)++;
	return 0;
}

/* The seek table, when it exists and its frames exactly fill the file. */
static int frames_from_table(const struct cap_zread *z, uint64_t fsize,
			     struct cap_seek_frame **v, size_t *n)
{
	uint8_t t[9], *e = NULL;
	uint64_t tsize, nframes, esz, off = 0, i;
	size_t cap = 0;
	int rc = 0;

	if (fsize < 17 || cap_zread_pread(z, t, 9, fsize - 9) != 9 ||
	    le32_get(t + 5) != CAP_SEEKABLE_MAGIC || (t[4] & 0x7c))
		return 0;
	nframes = le32_get(t);
	esz = (t[4] & 0x80) ? 12 : 8;
	/* bound before multiplying: every frame costs its entry plus a frame */
	if (nframes > fsize / (esz + ZSTD_FRAME_MIN))
		return 0;
	tsize = nframes * esz + 9;
	if (tsize + 8 > fsize || cap_zread_pread(z, t, 8, fsize - tsize - 8) != 8 ||
	    le32_get(t) != CAP_SEEK_SKIP_MAGIC || le32_get(t + 4) != tsize)
		return 0;
	e = malloc(tsize);
	if (!e)
		return -ENOMEM;
	if (cap_zread_pread(z, e, tsize, fsize - tsize) != (ssize_t)tsize)
		goto out;
	for (i = 0; i < nframes && !rc; i++) {
		uint64_t clen = le32_get(e + i * esz);

		/* decompressed size 0: padding (skippable or empty frame) */
		if (le32_get(e + i * esz + 4))
			rc = frames_push(v, n, &cap, off, clen);
		off += clen;
	}
	if (!rc && off != fsize - tsize - 8)
		*n = 0; /* concatenated or inconsistent: walk instead */
	rc = rc ? rc : (*n > 0);
out:
	free(e);
	return rc;
}

static int frames_walk(const struct cap_zread *z, struct cap_seek_frame **v, size_t *n,
		       char *why)
{
	struct cap_zframe f;
	uint64_t off = 0;
	size_t cap = 0;
	int rc;

	for (;;) {
		rc = cap_zread_frame_size(z, off, &f, why);
		if (rc <= 0)
			return rc;
		if (!f.skippable && !f.empty && (rc = frames_push(v, n, &cap, off, f.size)))
			return rc;
		if (f.partial || !f.size)
			return 0;
		off += f.size;
	}
}

int cap_seek_frames(const struct cap_zread *z, struct cap_seek_frame **v, size_t *n,
		    int *from_table, char *why)
{
	int rc;

	*v = NULL;
	*n = 0;
	rc = frames_from_table(z, cap_zread_size(z), v, n);
	*from_table = rc > 0;
	if (rc)
		return rc < 0 ? rc : 0;
	free(*v);
	*v = NULL;
	*n = 0;
	return frames_walk(z, v, n, why);
}

/* Call @cb for each complete block in @p. */
static int blocks_each(const uint8_t *p, size_t len, cap_seek_cb cb, void *ctx, char *why)
{
	size_t pos = 0, need;
	uint32_t type, blen;
	int rc;

	while (pos < len) {
		rc = cap_parse_block(p + pos, len - pos, &type, &blen, &need, why);
		if (rc <= 0)
			return rc;
		rc = cb(ctx, type, p + pos, blen);
		if (rc)
			return rc;
		pos += blen;
	}
	return 0;
}

static int frame_decode(ZSTD_DCtx *d, struct cap_buf *in, struct cap_buf *out, char *why)
{
	ZSTD_inBuffer i = { in->p, in->len, 0 };

	for (;;) {
		ZSTD_outBuffer o;
		size_t r;

		if (out->cap - out->len < 65536) {
			if (out->len >= CAP_SEEK_FRAME_MAX)
				return 0; /* enough to look at */
			if (cap_buf_reserve(out, 256 * 1024))
				return -ENOMEM;
		}
		o = (ZSTD_outBuffer){ out->p + out->len, out->cap - out->len, 0 };
		r = ZSTD_decompressStream(d, &o, &i);
		if (ZSTD_isError(r)) {
			snprintf(why, CAP_PARSE_WHY, "zstd: %s", ZSTD_getErrorName(r));
			return -EBADMSG;
		}
		out->len += o.pos;
		if (r == 0 || (i.pos == i.size && o.pos < o.size))
			return 0;
	}
}

int cap_seek_peek(const struct cap_zread *z, const struct cap_seek_frame *f, cap_seek_cb cb,
		  void *ctx, char *why)
{
	struct cap_buf in = { 0 }, out = { 0 };
	ZSTD_DCtx *d = NULL;
	ssize_t k;
	int rc = -ENOMEM;

	if (f->clen > CAP_SEEK_FRAME_MAX) {
		snprintf(why, CAP_PARSE_WHY, "frame at offset %llu is too large to index",
			 (unsigned long long)f->off);
		return -E2BIG;
	}
	d = ZSTD_createDCtx();
	if (!d || cap_buf_reserve(&in, f->clen ? f->clen : 1))
		goto out;
	k = cap_zread_pread(z, in.p, f->clen, f->off);
	rc = (int)k;
	if (k < 0)
		goto out;
	in.len = (size_t)k;
	rc = frame_decode(d, &in, &out, why);
	if (!rc)
		rc = blocks_each(out.p, out.len, cb, ctx, why);
out:
	ZSTD_freeDCtx(d);
	cap_buf_release(&in);
	cap_buf_release(&out);
	return rc;
}

/* ---- timestamps of frames ---- */

struct ts_probe {
	int first_only;
	int any;
	uint64_t first, max;
};

static int ts_cb(void *ctx, uint32_t type, const uint8_t *blk, uint32_t len)
{
	struct ts_probe *t = ctx;
	struct cap_rec rec;
	char why[CAP_PARSE_WHY];

	if (type != PCAPNG_CB_COPY && type != PCAPNG_CB_NOCOPY)
		return 0;
	if (cap_parse_record(blk, len, &rec, why) != 1)
		return 0;
	if (!t->any)
		t->first = rec.hdr.ts_ns;
	if (!t->any || rec.hdr.ts_ns > t->max)
		t->max = rec.hdr.ts_ns;
	t->any = 1;
	return t->first_only;
}

static int frame_ts(const struct cap_zread *z, const struct cap_seek_frame *f, int first_only,
		    struct ts_probe *t, char *why)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->first_only = first_only;
	rc = cap_seek_peek(z, f, ts_cb, t, why);
	return rc < 0 ? rc : 0;
}

static int seek_bsearch(const struct cap_zread *z, const struct cap_seek_frame *v, size_t n,
			uint64_t ts, struct cap_seek_hit *hit, char *why)
{
	struct ts_probe t;
	size_t lo = 0, hi = n - 1, steps;
	int rc = frame_ts(z, &v[n - 1], 0, &t, why);

	if (rc)
		return rc;
	if (t.any && t.max < ts)
		return 0; /* found stays 0 */
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		rc = frame_ts(z, &v[mid], 1, &t, why);
		if (rc)
			return rc;
		if (!t.any || t.first <= ts)
			lo = mid;
		else
			hi = mid - 1;
	}
	for (steps = 0; lo > 0 && steps < STEP_BACK_MAX; steps++) {
		rc = frame_ts(z, &v[lo - 1], 0, &t, why);
		if (rc)
			return rc;
		if (!t.any || t.max < ts)
			break;
		lo--;
	}
	hit->found = 1;
	hit->off = v[lo].off;
	hit->frame_no = lo;
	return 0;
}

/* ---- the footer's index ---- */

struct footer_probe {
	int has_footer;
	uint64_t index_frame, data_frames;
	struct cap_buf idx;
};

static int footer_cb(void *ctx, uint32_t type, const uint8_t *blk, uint32_t len)
{
	struct footer_probe *fp = ctx;
	struct cap_footer ft;
	struct cap_rec rec;
	char why[CAP_PARSE_WHY];

	if (type != PCAPNG_CB_COPY && type != PCAPNG_CB_NOCOPY)
		return 0;
	if (cap_parse_record(blk, len, &rec, why) != 1)
		return 0;
	if (rec.hdr.type == CAP_REC_INDEX)
		return cap_buf_append(&fp->idx, rec.data, rec.data_len);
	if (rec.hdr.type != CAP_REC_FOOTER)
		return 0;
	cap_rec_fixed(&rec, &ft, sizeof(ft));
	fp->has_footer = 1;
	fp->index_frame = le64_get((const uint8_t *)&ft + offsetof(struct cap_footer, index_frame));
	fp->data_frames = le64_get((const uint8_t *)&ft + offsetof(struct cap_footer, data_frames));
	return 0;
}

/* 1: answered from the index; 0: no usable index; < 0 error. */
static int seek_index(const struct cap_zread *z, const struct cap_seek_frame *v, size_t n,
		      uint64_t ts, struct cap_seek_hit *hit, char *why)
{
	struct footer_probe fp = { 0 };
	uint64_t i, nent;
	int rc = cap_seek_peek(z, &v[n - 1], footer_cb, &fp, why);

	if (rc < 0 || !fp.has_footer || fp.index_frame >= n || fp.data_frames > fp.index_frame)
		goto out;
	/* a footer frame holds at least ~1 KiB of index (frames are >= 4 KiB
	 * with 2 KiB kept for the trailer); more footer frames than the index
	 * needs means a bad footer, not a reason to decode the whole file */
	if (n - fp.index_frame > 2 + fp.data_frames * INDEX_ENTRY / 1024)
		goto out;
	fp.idx.len = 0;
	for (i = fp.index_frame; i < n && rc >= 0; i++)
		rc = cap_seek_peek(z, &v[i], footer_cb, &fp, why);
	nent = fp.idx.len / INDEX_ENTRY;
	if (rc < 0 || fp.idx.len % INDEX_ENTRY || nent != fp.data_frames)
		goto out;
	rc = 1;
	for (i = 0; i < nent; i++) {
		const uint8_t *e = fp.idx.p + i * INDEX_ENTRY;

		if (le64_get(e + 16) < ts)
			continue;
		if (le64_get(e) != v[i].off)
			rc = 0; /* index disagrees with the frames: do not trust it */
		hit->found = rc;
		hit->off = v[i].off;
		hit->frame_no = i;
		break;
	}
out:
	cap_buf_release(&fp.idx);
	return rc < 0 ? rc : rc == 1;
}

int cap_seek_file(const struct cap_zread *z, uint64_t ts, struct cap_seek_hit *hit, char *why)
{
	struct cap_seek_frame *v = NULL;
	uint8_t m[4];
	size_t n = 0;
	int table, rc;

	memset(hit, 0, sizeof(*hit));
	if (cap_zread_pread(z, m, 4, 0) == 4 && le32_get(m) == PCAPNG_SHB) {
		hit->found = 1; /* plain pcapng has no frames: start at the top */
		return 0;
	}
	rc = cap_seek_frames(z, &v, &n, &table, why);
	if (rc || !n)
		goto out;
	rc = seek_index(z, v, n, ts, hit, why);
	if (rc == 0) {
		memset(hit, 0, sizeof(*hit));
		rc = seek_bsearch(z, v, n, ts, hit, why);
	} else if (rc > 0) {
		rc = 0;
	}
out:
	free(v);
	return rc;
}

/* ---- meta of a file ---- */

struct meta_probe {
	struct cap_buf *meta;
	char *why;
};

static int meta_cb(void *ctx, uint32_t type, const uint8_t *blk, uint32_t len)
{
	struct meta_probe *mp = ctx;
	struct cap_rec rec;

	if (type == PCAPNG_SHB) {
		mp->meta->len = 0;
		return cap_parse_shb(blk, len, mp->meta, mp->why);
	}
	if (type != PCAPNG_CB_COPY && type != PCAPNG_CB_NOCOPY)
		return 0;
	if (cap_parse_record(blk, len, &rec, mp->why) != 1)
		return 0;
	if (rec.hdr.type != CAP_REC_META)
		return 1; /* the META record comes first; stop at anything else */
	return cap_parse_meta_add(mp->meta, rec.data, rec.data_len) ? -ENOMEM : 1;
}

int cap_seek_meta(const struct cap_zread *z, struct cap_buf *meta, char *why)
{
	struct meta_probe mp = { meta, why };
	struct cap_seek_frame f = { 0, 0 };
	struct cap_buf plain = { 0 };
	struct cap_zframe zf;
	uint8_t m[4];
	int rc;

	meta->len = 0;
	if (cap_zread_pread(z, m, 4, 0) == 4 && le32_get(m) == PCAPNG_SHB) {
		ssize_t k;

		if (cap_buf_reserve(&plain, 1u << 20))
			return -ENOMEM;
		k = cap_zread_pread(z, plain.p, 1u << 20, 0);
		rc = k < 0 ? (int)k : blocks_each(plain.p, (size_t)k, meta_cb, &mp, why);
		cap_buf_release(&plain);
		return rc < 0 ? rc : 0;
	}
	/* the first frame with content opens the file */
	for (;;) {
		rc = cap_zread_frame_size(z, f.off, &zf, why);
		if (rc <= 0)
			return rc;
		if (!zf.skippable && !zf.empty)
			break;
		if (zf.partial)
			return 0;
		f.off += zf.size;
	}
	f.clen = zf.size;
	rc = cap_seek_peek(z, &f, meta_cb, &mp, why);
	return rc < 0 ? rc : 0;
}
