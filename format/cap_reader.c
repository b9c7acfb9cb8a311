/* SPDX-License-Identifier: MIT */
/*
 * cap_reader.c - record iterator over capture files (man/ascap.5).
 *
 * Layers: cap_zread turns a file into uncompressed bytes and tells where
 * zstd frames end; this file cuts those bytes into pcapng blocks
 * (cap_parse checks each one), keeps per-file state (section, meta, frame
 * numbers, the hash chain) and hands out records.  cap_seek does random
 * access, cap_merge the time-ordered heap.
 *
 * Memory: blocks are parsed in place in one output buffer (out) that only
 * grows to the largest block (<= PCAPNG_MAX_BLOCK, checked before growing)
 * plus decoder room, so CAP_READ_FILE order allocates nothing per record.
 * The buffer is compacted only at the start of the next call, which is why
 * a record's pointers stay valid until then.
 *
 * Chain verification hashes the bytes between the last hash point and each
 * chain block lazily (in runs, not per block).  Frames are counted by chain
 * blocks, not zstd frames, so a re-compressed capture (zstdcat | zstd) and
 * plain pcapng verify too.  After a mismatch the stored hash and frame
 * number are adopted, so one altered frame is counted once instead of
 * poisoning every later frame; after a seek or a skipped corrupt frame the
 * next chain block is adopted without being counted.
 */
#include "cap_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cap_block.h"
#include "cap_buf.h"
#include "cap_chain.h"
#include "cap_cursor.h"
#include "cap_merge.h"
#include "cap_parse.h"
#include "cap_seek.h"
#include "cap_zread.h"

#define OUT_START (512u * 1024u)
#define OUT_FREE (128u * 1024u)  /* decoder room kept at the end of out */
#define WARN_MAX 1000
#define MERGE_MAX_RECS (1u << 20) /* CAP_READ_TIME: emit early past these */
#define MERGE_MAX_BYTES (256ull << 20)
#define HASH_LEN CAP_HASH_LEN
#define MEM_NAME "(memory)"

struct rfile {
	char *path;
	int fd;               /* -1: opts.mem */
};

struct cap_reader {
	struct cap_reader_opts o;
	struct rfile *files;
	size_t nfiles, cur;
	int open;             /* z holds files[cur] */
	struct cap_zread z;
	struct cap_buf out;   /* uncompressed bytes; the next block is at pos */
	size_t pos;
	uint64_t out_u;       /* uncompressed offset of out.p[0] in the file */
	uint64_t frame_u;     /* uncompressed offset where the frame began */
	uint64_t block_no, frame_blocks;
	uint64_t decoded;     /* uncompressed bytes decoded, all files */
	int in_section, asight, footer, seeked, cut;
	uint64_t lframe_no, lframe_off; /* plain pcapng: frames end at chain blocks */
	struct cap_buf meta;
	int64_t real_minus_mono; /* META clock anchor for packets */
	int anchor;           /* 1 known, -1 absent, 0 not looked for yet */
	/* opts.verify */
	struct cap_chain_ctx *chain; /* opts.verify: the recomputed hash chain */
	size_t hash_from;     /* out bytes before this are hashed */
	uint64_t chain_no;    /* frame number the next chain block must carry */
	int chain_sync;       /* adopt the next chain block's hash */
	/* CAP_READ_TIME */
	struct cap_merge heap;
	struct cap_merge_item *last;
	uint64_t max_ts;
	int inner_done, inner_err;
	/* results */
	struct cap_reader_stats st;
	uint64_t files_done, files_footer, files_seek;
	char **warn;
	size_t nwarn;
	struct cap_err err;
	int failed;
};

void cap_reader_opts_init(struct cap_reader_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->order = CAP_READ_FILE;
	o->reorder_window_ns = 2000000000ull;
}

static const char *cur_name(const struct cap_reader *r)
{
	return r->cur < r->nfiles ? r->files[r->cur].path : "";
}

static void warn(struct cap_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct cap_reader *r, const char *fmt, ...)
{
	char **w, *s = NULL;
	va_list ap;

	if (r->nwarn > WARN_MAX)
		return;
	w = realloc(r->warn, (r->nwarn + 1) * sizeof(*w));
	if (!w)
		return;
	r->warn = w;
	if (r->nwarn == WARN_MAX) {
		s = strdup("too many warnings; later ones were dropped");
	} else {
		va_start(ap, fmt);
		if (vasprintf(&s, fmt, ap) < 0)
			s = NULL;
		va_end(ap);
	}
	if (s)
		r->warn[r->nwarn++] = s;
}

static int is_plain(const struct cap_reader *r)
{
	return r->z.kind == CAP_ZR_PLAIN;
}

static uint64_t cur_frame_no(const struct cap_reader *r)
{
	return is_plain(r) ? r->lframe_no : r->z.frame_no;
}

static uint64_t cur_frame_off(const struct cap_reader *r)
{
	return is_plain(r) ? r->lframe_off : r->z.frame_off;
}

/* An error about the block at out[at]: offset of its frame (zstd) or of
 * the block itself (plain), its block number, and where in the frame. */
static int block_fail(struct cap_reader *r, int code, size_t at, const char *why)
{
	uint64_t u = r->out_u + at, blk = r->seeked ? CAP_OFF_NONE : r->block_no;

	r->failed = code;
	if (is_plain(r))
		return cap_err_set(&r->err, code, cur_name(r), u, blk, "%s", why);
	return cap_err_set(&r->err, code, cur_name(r), r->z.frame_off, blk,
			   "frame %llu, uncompressed offset %lld in frame: %s",
			   (unsigned long long)r->z.frame_no, (long long)(u - r->frame_u), why);
}

/* ---- hash chain (opts.verify) ---- */

/* A new section starts at out[at]: H(-1) is 32 zero bytes. */
static void chain_reset(struct cap_reader *r, size_t at)
{
	static const uint8_t zero[HASH_LEN];

	if (!r->chain)
		return;
	cap_chain_set(r->chain, zero);
	r->hash_from = at;
	r->chain_no = 0;
	r->chain_sync = 0;
}

static void hash_flush(struct cap_reader *r, size_t upto)
{
	if (!r->chain || upto <= r->hash_from)
		return;
	cap_chain_update(r->chain, r->out.p + r->hash_from, upto - r->hash_from);
	r->hash_from = upto;
}

static void bad_frame(struct cap_reader *r, uint64_t frame, uint64_t off, const char *what)
{
	r->st.chain_bad++;
	if (r->st.first_bad_frame == UINT64_MAX) {
		r->st.first_bad_frame = frame;
		r->st.first_bad_off = off;
		r->st.first_bad_file = (unsigned)r->cur;
	}
	warn(r, "'%s': offset %llu: frame %llu: %s", cur_name(r), (unsigned long long)off,
	     (unsigned long long)frame, what);
}

static void chain_check(struct cap_reader *r, size_t at, uint32_t blen, const struct cap_rec *rec)
{
	uint64_t want = r->chain_no, got;
	uint8_t h[HASH_LEN];
	const uint8_t *stored;

	hash_flush(r, at);
	/* finishes this frame's hash, keeps it as previous, starts the next */
	cap_chain_next(r->chain, h);
	if (rec->fixed_len < sizeof(struct cap_chain)) {
		bad_frame(r, cur_frame_no(r), cur_frame_off(r), "chain block is too short");
		r->chain_no++;
		r->hash_from = at + blen;
		return;
	}
	got = le64_get(rec->fixed);
	stored = rec->fixed + offsetof(struct cap_chain, hash);
	if (r->chain_sync) {
		r->chain_sync = 0;
	} else if (got == want && !memcmp(h, stored, HASH_LEN)) {
		r->st.chain_ok++;
	} else {
		char what[96];

		snprintf(what, sizeof(what), got == want ? "hash chain mismatch" :
			 "chain block names frame %llu", (unsigned long long)got);
		bad_frame(r, cur_frame_no(r), cur_frame_off(r), what);
	}
	/* adopt what the file says (equal to ours when it matched) */
	cap_chain_set(r->chain, stored);
	r->chain_no = got + 1;
	r->hash_from = at + blen;
}

/* ---- blocks ---- */

static int section_start(struct cap_reader *r, const uint8_t *b, uint32_t len, size_t at)
{
	char why[CAP_PARSE_WHY];
	int rc;

	r->meta.len = 0;
	rc = cap_parse_shb(b, len, &r->meta, why);
	if (rc)
		return block_fail(r, rc, at, why);
	r->in_section = 1;
	r->asight = r->footer = 0;
	r->anchor = 0;
	r->st.sections++;
	chain_reset(r, at);
	return 0;
}

static int is_housekeeping(unsigned type)
{
	return type == CAP_REC_CHAIN || type == CAP_REC_FOOTER || type == CAP_REC_INDEX ||
	       type == CAP_REC_STATS;
}

static void rec_place(const struct cap_reader *r, struct cap_rec *rec)
{
	rec->file_index = (unsigned)r->cur;
	rec->frame_off = cur_frame_off(r);
	rec->frame_no = cur_frame_no(r);
	rec->block_no = r->block_no;
}

/* 1: *rec is a record to return; 0: consumed; < 0 error. */
static int custom_block(struct cap_reader *r, const uint8_t *b, uint32_t len, size_t at,
			struct cap_rec *rec)
{
	char why[CAP_PARSE_WHY];
	int rc = cap_parse_record(b, len, rec, why);

	if (rc <= 0) {
		if (rc == 0)
			r->st.foreign_custom++;
		return rc < 0 ? block_fail(r, rc, at, why) : 0;
	}
	r->st.records++;
	r->asight = 1;
	rec_place(r, rec);
	switch (rec->hdr.type) {
	case CAP_REC_META:
		if (cap_parse_meta_add(&r->meta, rec->data, rec->data_len))
			return block_fail(r, -ENOMEM, at, "out of memory");
		break;
	case CAP_REC_CHAIN:
		if (r->chain)
			chain_check(r, at, len, rec);
		if (is_plain(r)) {
			r->lframe_no++;
			r->lframe_off = r->out_u + at + len;
		}
		break;
	case CAP_REC_FOOTER:
		r->footer = 1;
		break;
	}
	return !(r->o.skip_housekeeping && is_housekeeping(rec->hdr.type));
}

/* 1: *rec is a packet to return (opts.packets); 0: skipped; < 0 error. */
static int packet_block(struct cap_reader *r, const uint8_t *b, uint32_t len, size_t at,
			struct cap_rec *rec)
{
	char why[CAP_PARSE_WHY];
	int rc;

	r->st.packets++;
	if (!r->o.packets) {
		r->st.unknown_blocks++; /* skipped, as before packets were known */
		return 0;
	}
	rc = cap_parse_epb(b, len, rec, why);
	if (rc)
		return block_fail(r, rc, at, why);
	if (!r->anchor && r->asight) /* META comes first: take its clock anchor */
		r->anchor = cap_parse_anchor(r->meta.p, r->meta.len, &r->real_minus_mono);
	if (r->anchor > 0)
		rec->hdr.ts_ns = cap_parse_to_mono(rec->hdr.ts_ns, r->real_minus_mono);
	rec_place(r, rec);
	return 1;
}

static int handle_block(struct cap_reader *r, uint32_t type, uint32_t len, struct cap_rec *rec)
{
	size_t at = r->pos;
	const uint8_t *b = r->out.p + at;
	char why[CAP_PARSE_WHY];
	int rc = 0;

	if (!r->in_section && type != PCAPNG_SHB) {
		snprintf(why, sizeof(why), "first block (type %#x) is not a section header block",
			 type);
		return block_fail(r, -EBADMSG, at, why);
	}
	switch (type) {
	case PCAPNG_SHB:
		rc = section_start(r, b, len, at);
		break;
	case PCAPNG_CB_COPY:
	case PCAPNG_CB_NOCOPY:
		rc = custom_block(r, b, len, at, rec);
		break;
	case PCAPNG_EPB:
		rc = packet_block(r, b, len, at, rec);
		break;
	case PCAPNG_IDB:
	case PCAPNG_ISB:
		break;
	default:
		r->st.unknown_blocks++;
	}
	if (rc < 0)
		return rc;
	r->pos += len;
	r->block_no++;
	r->frame_blocks++;
	r->st.blocks++;
	r->st.raw_bytes += len;
	return rc;
}

/* ---- feeding the block parser ---- */

static void out_compact(struct cap_reader *r)
{
	hash_flush(r, r->pos);
	memmove(r->out.p, r->out.p + r->pos, r->out.len - r->pos);
	r->out.len -= r->pos;
	r->out_u += r->pos;
	r->hash_from = 0;
	r->pos = 0;
}

/*
 * zstd frame k finished and its complete blocks are parsed.  The hash is
 * not cut here: chain blocks, not zstd frames, delimit what a chain hash
 * covers, so re-framed copies verify, and a removed chain block still shows
 * as a mismatch of the next one (its hash and number).
 */
static void frame_end(struct cap_reader *r)
{
	r->frame_blocks = 0;
	r->frame_u = r->out_u + r->out.len;
}

/* verify mode: a frame that zstd rejects is a bad frame; go on after it. */
static int resync(struct cap_reader *r)
{
	uint64_t off = r->z.frame_off, no = r->z.frame_no, fsize = cap_zread_size(&r->z), size;
	struct cap_zframe f;
	char why[CAP_ZR_WHY];

	if (!r->o.verify || !r->z.frame_bad ||
	    cap_zread_frame_size(&r->z, off, &f, why) != 1 || f.skippable)
		return -1;
	size = f.size;
	bad_frame(r, no, off, r->z.why);
	r->out.len = r->pos; /* the rest of the frame cannot be trusted */
	if (r->hash_from > r->pos)
		r->hash_from = r->pos;
	r->chain_sync = 1;
	r->frame_blocks = 0;
	r->frame_u = r->out_u + r->out.len;
	if (off + size > fsize)
		size = fsize - off;
	return cap_zread_restart(&r->z, off + size, no + 1) ? -1 : 0;
}

static int stream_fail(struct cap_reader *r, int code)
{
	if (code == -EBADMSG && resync(r) == 0)
		return 1;
	r->failed = code;
	if (r->z.frame_bad)
		return cap_err_set(&r->err, code, cur_name(r), r->z.err_off, CAP_OFF_NONE,
				   "frame %llu: %s", (unsigned long long)r->z.frame_no, r->z.why);
	return cap_err_set(&r->err, code, cur_name(r), r->z.err_off, CAP_OFF_NONE, "%s",
			   r->z.why);
}

static int file_eof(struct cap_reader *r)
{
	size_t part = r->out.len - r->pos;

	if (r->z.kind == CAP_ZR_UNKNOWN) {
		r->failed = -ENODATA;
		return cap_err_set(&r->err, -ENODATA, cur_name(r), 0, CAP_OFF_NONE,
				   "empty file; nothing was ever written to it");
	}
	if (part) {
		r->st.truncated = r->cut = 1;
		warn(r, "'%s': offset %llu: file ends inside block %llu (%zu bytes of it present); "
		     "every complete block before it was kept", cur_name(r),
		     (unsigned long long)(is_plain(r) ? r->out_u + r->pos : r->z.frame_off),
		     (unsigned long long)r->block_no, part);
	} else if (!r->block_no) {
		r->failed = -EBADMSG;
		return cap_err_set(&r->err, -EBADMSG, cur_name(r), 0, CAP_OFF_NONE,
				   "no pcapng section in the file");
	}
	return 0;
}

static int file_trunc(struct cap_reader *r)
{
	r->st.truncated = r->cut = 1;
	if (r->z.trunc_in_skip)
		warn(r, "'%s': offset %llu: file ends at offset %llu inside a skippable frame "
		     "(the seek table?); all frames before it were kept", cur_name(r),
		     (unsigned long long)r->z.skip_off, (unsigned long long)r->z.trunc_off);
	else
		warn(r, "'%s': offset %llu: frame %llu: file ends at offset %llu inside this "
		     "frame; its %llu complete blocks were kept", cur_name(r),
		     (unsigned long long)r->z.frame_off, (unsigned long long)r->z.frame_no,
		     (unsigned long long)r->z.trunc_off, (unsigned long long)r->frame_blocks);
	return 0;
}

/* Make the block at pos (which needs @need bytes) more complete.
 * 1: call the parser again; 0: end of this file; < 0 error. */
static int need_more(struct cap_reader *r, size_t need)
{
	size_t have = r->out.len - r->pos, want;
	int ev;

	if (r->pos && (r->out.cap - r->out.len < OUT_FREE || need > r->out.cap - r->pos))
		out_compact(r);
	want = need > have ? need - have : 0;
	if (want < OUT_FREE)
		want = OUT_FREE;
	if (cap_buf_reserve(&r->out, want))
		return block_fail(r, -ENOMEM, r->pos, "out of memory");
	have = r->out.len;
	ev = cap_zread_step(&r->z, &r->out);
	r->decoded += r->out.len - have;
	if (r->o.max_bytes && r->decoded > r->o.max_bytes)
		return block_fail(r, -E2BIG, r->pos, "over the limit of uncompressed bytes to read");
	switch (ev) {
	case CAP_ZR_DATA:
		return 1;
	case CAP_ZR_FRAME_END:
		frame_end(r);
		return 1;
	case CAP_ZR_EOF:
		return file_eof(r);
	case CAP_ZR_TRUNC:
		return file_trunc(r);
	default:
		return stream_fail(r, ev);
	}
}

/* 1: a complete block is at pos; 0: end of this file; < 0 error. */
static int next_block(struct cap_reader *r, uint32_t *type, uint32_t *len)
{
	char why[CAP_PARSE_WHY];
	size_t need;
	int rc;

	for (;;) {
		rc = cap_parse_block(r->out.p + r->pos, r->out.len - r->pos, type, len, &need,
				     why);
		if (rc > 0)
			return 1;
		if (rc < 0)
			return block_fail(r, rc, r->pos, why);
		rc = need_more(r, need);
		if (rc <= 0)
			return rc;
	}
}

/* ---- files ---- */

static int file_start(struct cap_reader *r)
{
	struct rfile *f = &r->files[r->cur];
	int rc = f->fd < 0 ? cap_zread_init_mem(&r->z, r->o.mem, r->o.mem_len)
			   : cap_zread_init_fd(&r->z, f->fd);

	if (rc) {
		cap_zread_release(&r->z);
		r->failed = rc;
		return cap_err_set(&r->err, rc, f->path, CAP_OFF_NONE, CAP_OFF_NONE,
				   "out of memory");
	}
	r->open = 1;
	r->out.len = r->pos = 0;
	r->out_u = r->frame_u = r->block_no = r->frame_blocks = 0;
	r->in_section = r->asight = r->footer = r->seeked = r->cut = 0;
	r->lframe_no = r->lframe_off = 0;
	r->meta.len = 0;
	chain_reset(r, 0);
	return 0;
}

static void file_stop(struct cap_reader *r)
{
	r->st.frames += r->z.frames;
	r->st.skippable += r->z.skippable;
	r->st.comp_bytes += cap_zread_offset(&r->z);
	cap_zread_release(&r->z);
	r->open = 0;
}

static void file_finish(struct cap_reader *r)
{
	r->files_done++;
	r->files_footer += r->footer;
	r->files_seek += r->z.seek_table_last;
	if (r->asight && !r->footer && !r->cut && !r->seeked)
		warn(r, "'%s': offset %llu: no footer: the file was not closed cleanly "
		     "(recorder killed?); every complete frame was read", cur_name(r),
		     (unsigned long long)cap_zread_offset(&r->z));
	else if (r->chain && r->asight && !r->cut && !r->chain_sync && r->hash_from < r->pos)
		warn(r, "'%s': offset %llu: the last %zu bytes are not covered by the hash chain "
		     "(no chain block after them)", cur_name(r),
		     (unsigned long long)(r->out_u + r->hash_from), r->pos - r->hash_from);
	else if (r->footer && !is_plain(r) && !r->z.seek_table_last && !r->cut)
		warn(r, "'%s': offset %llu: no seek table at the end of the file (cut copy?); "
		     "every frame was read", cur_name(r),
		     (unsigned long long)cap_zread_offset(&r->z));
	file_stop(r);
	r->cur++;
}

static int file_next(struct cap_reader *r, struct cap_rec *rec)
{
	uint32_t type, len;
	int rc;

	if (r->failed)
		return r->failed;
	for (;;) {
		if (!r->open) {
			if (r->cur >= r->nfiles)
				return 0;
			rc = file_start(r);
			if (rc)
				return rc;
		}
		rc = next_block(r, &type, &len);
		if (rc == 0) {
			file_finish(r);
			continue;
		}
		if (rc < 0)
			return rc;
		rc = handle_block(r, type, len, rec);
		if (rc)
			return rc;
	}
}

/* CAP_READ_TIME: hold records until nothing older can still arrive. */
static int time_next(struct cap_reader *r, struct cap_rec *rec)
{
	const struct cap_rec *top;
	struct cap_rec tmp;
	int rc;

	free(r->last);
	r->last = NULL;
	while (!r->inner_done) {
		top = cap_merge_peek(&r->heap);
		if (top && ((top->hdr.ts_ns <= r->max_ts &&
			     r->max_ts - top->hdr.ts_ns >= r->o.reorder_window_ns) ||
			    r->heap.n >= MERGE_MAX_RECS || r->heap.bytes >= MERGE_MAX_BYTES))
			break;
		rc = file_next(r, &tmp);
		if (rc <= 0) {
			r->inner_done = 1;
			r->inner_err = rc;
			break;
		}
		if (cap_merge_push(&r->heap, &tmp)) {
			r->failed = -ENOMEM;
			return cap_err_set(&r->err, -ENOMEM, cur_name(r), CAP_OFF_NONE,
					   CAP_OFF_NONE, "out of memory");
		}
		/* the writer's own records carry the writer's clock, not the
		 * probes': they are sorted but do not move the watermark */
		if (tmp.hdr.ts_ns > r->max_ts && tmp.hdr.type != CAP_REC_META &&
		    !is_housekeeping(tmp.hdr.type))
			r->max_ts = tmp.hdr.ts_ns;
	}
	r->last = cap_merge_pop(&r->heap);
	if (!r->last)
		return r->inner_err;
	*rec = r->last->rec;
	return 1;
}

int cap_reader_next(struct cap_reader *r, struct cap_rec *rec)
{
	if (r->o.order == CAP_READ_TIME)
		return time_next(r, rec);
	return file_next(r, rec);
}

/* ---- open / close ---- */

static int open_files(struct cap_reader *r, const char *const *paths, size_t n,
		      struct cap_err *err)
{
	size_t i;

	r->files = calloc(n ? n : 1, sizeof(*r->files));
	if (!r->files)
		return cap_err_set(err, -ENOMEM, "", CAP_OFF_NONE, CAP_OFF_NONE, "out of memory");
	if (r->o.mem_only) {
		r->files[0].fd = -1;
		r->files[0].path = strdup(MEM_NAME);
		r->nfiles = 1;
		return r->files[0].path ? 0 : -ENOMEM;
	}
	if (!n)
		return cap_err_set(err, -EINVAL, "", CAP_OFF_NONE, CAP_OFF_NONE,
				   "no capture file given");
	for (i = 0; i < n; i++) {
		struct rfile *f = &r->files[r->nfiles];

		f->fd = -1;
		f->path = strdup(paths[i]);
		if (!f->path)
			return -ENOMEM;
		r->nfiles++;
		f->fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		if (f->fd < 0)
			return cap_err_set(err, -errno, paths[i], CAP_OFF_NONE, CAP_OFF_NONE,
					   "cannot open: %s", strerror(errno));
	}
	return 0;
}

int cap_reader_open(const char *const *paths, size_t n, const struct cap_reader_opts *opts,
		    struct cap_reader **out, struct cap_err *err)
{
	struct cap_reader *r;
	int rc;

	*out = NULL;
	cap_err_clear(err);
	r = calloc(1, sizeof(*r));
	if (!r)
		return cap_err_set(err, -ENOMEM, "", CAP_OFF_NONE, CAP_OFF_NONE, "out of memory");
	if (opts)
		r->o = *opts;
	else
		cap_reader_opts_init(&r->o);
	if (!r->o.reorder_window_ns)
		r->o.reorder_window_ns = 2000000000ull;
	cap_err_clear(&r->err);
	r->st.first_bad_frame = UINT64_MAX;
	rc = open_files(r, paths, n, err);
	if (!rc && cap_buf_reserve(&r->out, OUT_START))
		rc = -ENOMEM;
	if (!rc && r->o.verify && cap_chain_new(&r->chain))
		rc = -ENOMEM;
	if (rc) {
		if (rc == -ENOMEM && !err->code)
			cap_err_set(err, rc, "", CAP_OFF_NONE, CAP_OFF_NONE, "out of memory");
		cap_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void cap_reader_close(struct cap_reader *r)
{
	size_t i;

	if (!r)
		return;
	if (r->open)
		cap_zread_release(&r->z);
	for (i = 0; i < r->nfiles; i++) {
		if (r->files[i].fd >= 0)
			close(r->files[i].fd);
		free(r->files[i].path);
	}
	free(r->files);
	for (i = 0; i < r->nwarn; i++)
		free(r->warn[i]);
	free(r->warn);
	free(r->last);
	cap_merge_release(&r->heap);
	cap_buf_release(&r->out);
	cap_buf_release(&r->meta);
	cap_chain_free(r->chain);
	free(r);
}

/* ---- seeking ---- */

/* Start reading file @i at the frame @h names. */
static int seek_to(struct cap_reader *r, size_t i, const struct cap_seek_hit *h)
{
	char why[CAP_PARSE_WHY] = "";
	int rc;

	if (r->open)
		file_stop(r);
	r->cur = i;
	rc = file_start(r);
	if (rc || (!h->off && !h->frame_no))
		return rc; /* from the top: read as usual */
	cap_seek_meta(&r->z, &r->meta, why); /* best effort: meta of the file */
	rc = cap_zread_restart(&r->z, h->off, h->frame_no);
	if (rc)
		return rc;
	r->in_section = r->asight = r->seeked = 1;
	r->chain_sync = 1;
	return 0;
}

int cap_reader_seek_ts(struct cap_reader *r, uint64_t ts_ns)
{
	struct cap_seek_hit hit;
	struct cap_zread z;
	char why[CAP_PARSE_WHY] = "";
	size_t i;
	int rc;

	if (r->o.order != CAP_READ_FILE)
		return -EINVAL;
	if (r->failed)
		return r->failed;
	for (i = 0; i < r->nfiles; i++) {
		struct rfile *f = &r->files[i];

		rc = f->fd < 0 ? cap_zread_init_mem(&z, r->o.mem, r->o.mem_len)
			       : cap_zread_init_fd(&z, f->fd);
		if (!rc)
			rc = cap_seek_file(&z, ts_ns, &hit, why);
		cap_zread_release(&z);
		if (rc < 0)
			return cap_err_set(&r->err, rc, f->path, CAP_OFF_NONE, CAP_OFF_NONE,
					   "seek: %s", why[0] ? why : strerror(-rc));
		if (hit.found)
			return seek_to(r, i, &hit);
	}
	if (r->open)
		file_stop(r);
	r->cur = r->nfiles; /* everything is before ts */
	return 0;
}

/* ---- queries ---- */

const char *cap_reader_warning(const struct cap_reader *r, size_t i)
{
	return i < r->nwarn ? r->warn[i] : NULL;
}

void cap_reader_stats(const struct cap_reader *r, struct cap_reader_stats *s)
{
	*s = r->st;
	if (r->open) {
		s->frames += r->z.frames;
		s->skippable += r->z.skippable;
		s->comp_bytes += cap_zread_offset(&r->z);
	}
	s->has_footer = r->files_done && r->files_footer == r->files_done;
	s->has_seek_table = r->files_done && r->files_seek == r->files_done;
}

const char *cap_reader_meta(const struct cap_reader *r, const char *key)
{
	return cap_kv_find(r->meta.p, r->meta.len, key);
}

const struct cap_err *cap_reader_err(const struct cap_reader *r)
{
	return &r->err;
}
