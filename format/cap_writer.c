/* SPDX-License-Identifier: MIT */
/*
 * cap_writer.c - capture file writer: records -> pcapng blocks -> zstd
 * frames -> file.  See cap_writer.h for the calling sequence and
 * man/ascap.5 for the layout.
 *
 * The hot path (cap_writer_add) is one memcpy into the frame buffer; the
 * hash, compression and write happen once per frame in frame_close().
 */
#include "cap_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "cap_block.h"
#include "cap_buf.h"
#include "cap_chain.h"
#include "cap_cursor.h"
#include "cap_meta.h"

#define SEEKABLE_MAGIC 0x8F92EAB1u
#define SKIPPABLE_MAGIC 0x184D2A5Eu
#define PADDING_MAGIC 0x184D2A50u
#define ZSTD_MAGIC 0xFD2FB528u
/*
 * Wireshark's wiretap (file_wrappers.c, 4.0 and later) reads a zstd file in
 * buffers of ZSTD_DStreamInSize() = 131075 bytes and, after each frame,
 * looks for the next frame's magic at the START of its buffer rather than
 * at the read position.  So every frame that ends inside a buffer needs the
 * zstd magic at that buffer's first byte, or tshark reads garbage.  The
 * writer keeps that true: a frame that would cross a buffer boundary is
 * moved, behind a skippable padding frame, so that it ends exactly on a
 * boundary (or starts on one), and padding that covers a boundary carries
 * the magic there.  See ascap(5), "Wireshark alignment".
 */
#define WIRESHARK_BUF 131075u
/* uncompressed size whose worst-case zstd output still fits WIRESHARK_BUF */
#define SMALL_FRAME_BYTES (126u * 1024u)
/* room kept free in a frame for its closing ISB, STATS and CHAIN blocks */
#define FRAME_TRAILER_ROOM 2048
/* check the clock every this many records (cap_writer_tick covers idle) */
#define CLOCK_EVERY 64

struct cap_writer {
	struct cap_writer_opts o;
	int fd;
	char *path;              /* final name */
	char *part;              /* name written to until close */
	ZSTD_CCtx *cctx;
	struct cap_chain_ctx *chain;
	struct cap_buf frame;    /* uncompressed blocks of the open frame */
	struct cap_buf zout;     /* compressed frame */
	struct cap_buf meta;     /* caller's key=value\0 pairs */
	struct cap_buf seek;     /* seek table entries */
	struct cap_buf index;    /* struct cap_index_entry per data frame */
	int started;             /* SHB/IDB/META emitted */
	int in_footer;           /* writing footer frames */
	int small_frames;        /* data did not compress: cut frames early */
	uint64_t frame_no;       /* number of the open frame */
	uint64_t frame_t0;       /* clock when the open frame got its first record */
	uint64_t frame_records;
	uint64_t frame_min_ts, frame_max_ts;
	unsigned since_clock;
	uint64_t mono0, real0;   /* clock anchor taken at open */
	uint64_t first_ts, last_ts;
	uint64_t records;        /* data records (housekeeping excluded) */
	uint64_t all_records;    /* every custom block */
	uint64_t packets;        /* Enhanced Packet Blocks */
	uint64_t raw_bytes, file_bytes, frames;
	struct cap_stats stats;
	struct cap_stat_entry *entries;
	size_t nentries;
	struct cap_err err;
	int failed;              /* sticky: a write failed, nothing more goes out */
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t writer_now(struct cap_writer *w)
{
	if (w->o.clock)
		return w->o.clock(w->o.clock_ctx);
	return clock_ns(CLOCK_MONOTONIC);
}

void cap_writer_opts_init(struct cap_writer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->level = 1;
	o->frame_ns = 1000000000ull;
	o->frame_bytes = 256 * 1024;
	o->hash_chain = 1;
}

static int fail(struct cap_writer *w, int code, const char *fmt, const char *arg)
{
	cap_err_set(&w->err, code, w->part, w->file_bytes, CAP_OFF_NONE, fmt, arg);
	return code;
}

static int write_all(struct cap_writer *w, const void *p, size_t n)
{
	const uint8_t *b = p;

	if (w->failed)
		return w->err.code;
	while (n) {
		ssize_t k = write(w->fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->failed = 1;
			return fail(w, k < 0 ? -errno : -EIO, "write failed: %s",
				    strerror(k < 0 ? errno : EIO));
		}
		b += k;
		n -= (size_t)k;
		w->file_bytes += (uint64_t)k;
	}
	return 0;
}

/* A housekeeping record written by the writer itself. */
static int add_own(struct cap_writer *w, uint16_t type, const void *fixed, size_t fixed_len,
		   const void *data, size_t data_len)
{
	uint8_t hdr[CAP_REC_HDR_MIN] = { 0 };

	le16_put(hdr, type);
	le16_put(hdr + 2, CAP_REC_HDR_MIN);
	le64_put(hdr + 8, writer_now(w));
	le32_put(hdr + 40, (uint32_t)data_len);
	le32_put(hdr + 44, (uint32_t)data_len);
	le16_put(hdr + 48, (uint16_t)fixed_len);
	w->all_records++;
	w->frame_records++;
	return cap_block_custom(&w->frame, hdr, sizeof(hdr), fixed, fixed_len, data, data_len);
}

static int frame_trailer(struct cap_writer *w)
{
	struct cap_chain_rec {
		uint8_t frame_no[8], records[8], hash[CAP_HASH_LEN];
	} ch;
	uint8_t hash[CAP_HASH_LEN] = { 0 };
	uint64_t records;
	int rc;

	if (!w->in_footer) {
		const struct cap_stats *s = &w->stats;

		/* interface 0 carries probe records and packets: sum both */
		w->stats.packets = w->packets;
		rc = cap_block_isb(&w->frame, clock_ns(CLOCK_REALTIME), w->real0,
				   s->records + s->pkt_recv, s->drops + s->pkt_ifdrops,
				   s->write_errors + s->pkt_drops + s->pkt_qdrops,
				   w->records + w->packets);
		if (rc)
			return rc;
		rc = add_own(w, CAP_REC_STATS, &w->stats, sizeof(w->stats), w->entries,
			     w->nentries * sizeof(*w->entries));
		if (rc)
			return rc;
	}
	records = w->frame_records;
	if (w->chain) {
		cap_chain_update(w->chain, w->frame.p, w->frame.len);
		cap_chain_next(w->chain, hash);
	}
	le64_put(ch.frame_no, w->frame_no);
	le64_put(ch.records, records);
	memcpy(ch.hash, hash, CAP_HASH_LEN);
	return add_own(w, CAP_REC_CHAIN, &ch, sizeof(ch), NULL, 0);
}

static int seek_and_index(struct cap_writer *w, uint64_t off, size_t clen, size_t rlen,
			  uint64_t records)
{
	uint8_t e[8], *ie;

	le32_put(e, (uint32_t)clen);
	le32_put(e + 4, (uint32_t)rlen);
	if (cap_buf_append(&w->seek, e, sizeof(e)))
		return -ENOMEM;
	if (w->in_footer)
		return 0;
	ie = cap_buf_grow(&w->index, sizeof(struct cap_index_entry));
	if (!ie)
		return -ENOMEM;
	le64_put(ie, off);
	le64_put(ie + 8, w->frame_min_ts);
	le64_put(ie + 16, w->frame_max_ts);
	le32_put(ie + 24, (uint32_t)clen);
	le32_put(ie + 28, (uint32_t)records);
	return 0;
}

/* Can padding [p, q) carry the zstd magic at every boundary inside it? */
static int padding_ok(uint64_t p, uint64_t q)
{
	uint64_t b = (p / WIRESHARK_BUF + 1) * WIRESHARK_BUF;

	for (; b < q; b += WIRESHARK_BUF)
		if (b < p + 8 || b + 4 > q)
			return 0;
	return 1;
}

/*
 * A frame fits in the buffer it starts in when it ends exactly on the next
 * boundary or at least 8 bytes before it: then a padding frame's 8-byte
 * header never has to straddle a boundary.
 */
static int frame_fits(uint64_t p, uint64_t c)
{
	uint64_t next = (p / WIRESHARK_BUF + 1) * WIRESHARK_BUF;

	return p + c == next || p + c + 8 <= next;
}

/* Where a frame of @c bytes may start at or after @p (see WIRESHARK_BUF). */
static uint64_t frame_start(uint64_t p, uint64_t c)
{
	uint64_t next = (p / WIRESHARK_BUF + 1) * WIRESHARK_BUF, end;

	if (frame_fits(p, c))
		return p;
	if (next - p >= 8 && frame_fits(next, c))
		return next;
	/* larger than a buffer: end it exactly on a boundary */
	end = (p + c + 8 + WIRESHARK_BUF - 1) / WIRESHARK_BUF * WIRESHARK_BUF;
	for (;; end += WIRESHARK_BUF) {
		uint64_t q = end - c;

		if (q - p >= 8 && padding_ok(p, q))
			return q;
	}
}

static int write_padding(struct cap_writer *w, uint64_t len);

/* An empty zstd frame (decompresses to nothing); readers ignore it. */
static int write_empty_frame(struct cap_writer *w)
{
	uint8_t buf[64], e[8];
	size_t n = ZSTD_compress2(w->cctx, buf, sizeof(buf), "", 0);
	int rc;

	if (ZSTD_isError(n))
		return fail(w, -EIO, "zstd: %s", ZSTD_getErrorName(n));
	rc = write_all(w, buf, n);
	le32_put(e, (uint32_t)n);
	le32_put(e + 4, 0);
	if (!rc && cap_buf_append(&w->seek, e, sizeof(e)))
		return fail(w, -ENOMEM, "out of memory%s", "");
	return rc;
}

/*
 * Write a skippable frame from here to @q, with the magic on boundaries,
 * so that a frame of @q_len bytes can start at @q.
 */
static int write_padding_for(struct cap_writer *w, uint64_t q, uint64_t q_len)
{
	uint64_t p = w->file_bytes, b;
	size_t n = (size_t)(q - p);
	uint8_t *pad, e[8];
	int rc;

	if (!n)
		return 0;
	if (p % WIRESHARK_BUF == 0) {
		/* a boundary must hold a real zstd frame: put an empty one first */
		rc = write_empty_frame(w);
		if (rc)
			return rc;
		return write_padding(w, q_len);
	}
	pad = calloc(1, n);
	if (!pad)
		return fail(w, -ENOMEM, "out of memory%s", "");
	le32_put(pad, PADDING_MAGIC);
	le32_put(pad + 4, (uint32_t)(n - 8));
	for (b = (p / WIRESHARK_BUF + 1) * WIRESHARK_BUF; b < q; b += WIRESHARK_BUF)
		le32_put(pad + (b - p), ZSTD_MAGIC);
	rc = write_all(w, pad, n);
	free(pad);
	(void)q_len;
	le32_put(e, (uint32_t)n);
	le32_put(e + 4, 0);
	if (!rc && cap_buf_append(&w->seek, e, sizeof(e)))
		return fail(w, -ENOMEM, "out of memory%s", "");
	return rc;
}

/* Pad so that a frame of @len bytes can be written next. */
static int write_padding(struct cap_writer *w, uint64_t len)
{
	return write_padding_for(w, frame_start(w->file_bytes, len), len);
}

/* Close the open frame: trailer, hash, compress, write. */
static int frame_close(struct cap_writer *w)
{
	uint64_t off, data_records;
	size_t bound, clen, rlen;
	int rc;

	if (!w->frame.len)
		return 0;
	data_records = w->frame_records;
	rc = frame_trailer(w);
	if (rc)
		return fail(w, rc, "cannot build frame trailer%s", "");
	bound = ZSTD_compressBound(w->frame.len);
	w->zout.len = 0;
	if (cap_buf_reserve(&w->zout, bound))
		return fail(w, -ENOMEM, "out of memory%s", "");
	clen = ZSTD_compress2(w->cctx, w->zout.p, bound, w->frame.p, w->frame.len);
	if (ZSTD_isError(clen))
		return fail(w, -EIO, "zstd: %s", ZSTD_getErrorName(clen));
	rlen = w->frame.len;
	if (clen + 8 > WIRESHARK_BUF)
		w->small_frames = 1;
	else if (clen < rlen / 2)
		w->small_frames = 0;
	rc = write_padding(w, clen);
	if (rc)
		return rc;
	off = w->file_bytes;
	rc = write_all(w, w->zout.p, clen);
	if (rc)
		return rc;
	rc = seek_and_index(w, off, clen, rlen, data_records);
	if (rc)
		return fail(w, rc, "out of memory%s", "");
	w->raw_bytes += rlen;
	w->frames++;
	w->frame_no++;
	w->frame.len = 0;
	w->frame_records = 0;
	w->frame_min_ts = UINT64_MAX;
	w->frame_max_ts = 0;
	return 0;
}

static int writer_init(struct cap_writer *w, const char *path)
{
	size_t n = strlen(path);

	w->fd = -1;
	w->frame_min_ts = UINT64_MAX;
	w->first_ts = UINT64_MAX;
	w->path = strdup(path);
	w->part = malloc(n + 6);
	if (!w->path || !w->part)
		return -ENOMEM;
	snprintf(w->part, n + 6, "%s%s", path, w->o.no_part ? "" : ".part");
	w->cctx = ZSTD_createCCtx();
	if (!w->cctx)
		return -ENOMEM;
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->o.level);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1);
	if (w->o.hash_chain && cap_chain_new(&w->chain))
		return -ENOMEM;
	w->mono0 = clock_ns(CLOCK_MONOTONIC);
	w->real0 = clock_ns(CLOCK_REALTIME);
	return 0;
}

int cap_writer_open(const char *path, const struct cap_writer_opts *o,
		    struct cap_writer **out, struct cap_err *err)
{
	struct cap_writer *w;
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC, rc;

	*out = NULL;
	cap_err_clear(err);
	w = calloc(1, sizeof(*w));
	if (!w)
		return cap_err_set(err, -ENOMEM, path, CAP_OFF_NONE, CAP_OFF_NONE,
				   "out of memory");
	if (o)
		w->o = *o;
	else
		cap_writer_opts_init(&w->o);
	if (w->o.level < 1 || w->o.level > 22 || !w->o.frame_bytes)
		w->o.level = w->o.level < 1 ? 1 : 22;
	if (w->o.frame_bytes < 4096)
		w->o.frame_bytes = 4096;
	cap_err_clear(&w->err);
	rc = writer_init(w, path);
	if (rc) {
		cap_writer_abort(w);
		return cap_err_set(err, rc, path, CAP_OFF_NONE, CAP_OFF_NONE, "out of memory");
	}
	if (!w->o.overwrite && access(path, F_OK) == 0) {
		cap_writer_abort(w);
		return cap_err_set(err, -EEXIST, path, CAP_OFF_NONE, CAP_OFF_NONE,
				   "file exists; remove it or choose another name");
	}
	flags |= w->o.overwrite ? O_TRUNC : O_EXCL;
	w->fd = open(w->part, flags, 0600);
	if (w->fd < 0) {
		rc = -errno;
		cap_err_set(err, rc, w->part, CAP_OFF_NONE, CAP_OFF_NONE, "cannot create: %s",
			    strerror(errno));
		cap_writer_abort(w);
		return rc;
	}
	*out = w;
	return 0;
}

int cap_writer_add_meta(struct cap_writer *w, const char *key, const char *value)
{
	if (w->started)
		return -EINVAL;
	return cap_meta_put(&w->meta, key, value);
}

int cap_writer_set_anchor(struct cap_writer *w, uint64_t mono_ns, uint64_t real_ns)
{
	if (w->started)
		return -EINVAL;
	w->mono0 = mono_ns;
	w->real0 = real_ns;
	return 0;
}

/* SHB, IDB and the META record open frame 0. */
static int writer_start(struct cap_writer *w)
{
	struct cap_buf kv = { 0 };
	struct utsname u;
	char os[128];
	int rc;

	w->started = 1;
	if (uname(&u))
		memset(&u, 0, sizeof(u));
	snprintf(os, sizeof(os), "Linux %s", u.release);
	rc = cap_block_shb(&w->frame, u.machine, os,
			   w->o.userappl ? w->o.userappl : "asight-format " ASIGHT_VERSION);
	if (!rc)
		rc = cap_block_idb(&w->frame);
	if (!rc)
		rc = cap_buf_append(&kv, w->meta.p, w->meta.len);
	if (!rc)
		rc = cap_meta_host(&kv, w->mono0, w->real0);
	if (!rc)
		rc = add_own(w, CAP_REC_META, NULL, 0, kv.p, kv.len);
	cap_buf_release(&kv);
	w->frame_t0 = writer_now(w);
	return rc ? fail(w, rc, "cannot start the capture%s", "") : 0;
}

static void note_ts(struct cap_writer *w, uint64_t ts)
{
	if (ts < w->frame_min_ts)
		w->frame_min_ts = ts;
	if (ts > w->frame_max_ts)
		w->frame_max_ts = ts;
	if (ts < w->first_ts)
		w->first_ts = ts;
	if (ts > w->last_ts)
		w->last_ts = ts;
}

/*
 * Frames that compress into less than one Wireshark read buffer avoid the
 * alignment padding of larger ones (up to a buffer each).  After a frame
 * that did not compress, cut frames small enough that even incompressible
 * bytes fit; go back to the configured size once data compresses again.
 */
static size_t frame_limit(const struct cap_writer *w)
{
	if (w->small_frames && w->o.frame_bytes > SMALL_FRAME_BYTES)
		return SMALL_FRAME_BYTES;
	return w->o.frame_bytes;
}

/* Close the open frame first if @need more bytes would overfill it. */
static int make_room(struct cap_writer *w, size_t need)
{
	int rc = 0;

	if (!w->started && (rc = writer_start(w)))
		return rc;
	if (w->frame.len && w->frame.len + need + FRAME_TRAILER_ROOM > frame_limit(w))
		rc = frame_close(w);
	if (!rc && !w->frame.len)
		w->frame_t0 = writer_now(w);
	return rc;
}

static int after_add(struct cap_writer *w)
{
	if (++w->since_clock < CLOCK_EVERY)
		return 0;
	w->since_clock = 0;
	return cap_writer_tick(w);
}

int cap_writer_add(struct cap_writer *w, const void *rec, size_t len)
{
	const uint8_t *r = rec;
	size_t used;
	int rc;

	if (w->failed)
		return w->err.code;
	if (len < CAP_REC_HDR_MIN || le16_get(r + 2) < CAP_REC_HDR_MIN)
		return -EINVAL;
	used = (size_t)le16_get(r + 2) + le16_get(r + 48) + le32_get(r + 44);
	if (used > len)
		return -EINVAL;
	if (used > CAP_REC_CHUNK_MAX + 65536)
		return -E2BIG;
	rc = make_room(w, used + 16);
	if (rc)
		return rc;
	rc = cap_block_custom(&w->frame, r, used, NULL, 0, NULL, 0);
	if (rc)
		return fail(w, rc, "out of memory%s", "");
	note_ts(w, le64_get(r + 8));
	w->records++;
	w->all_records++;
	w->frame_records++;
	return after_add(w);
}

int cap_writer_add_parts(struct cap_writer *w, const struct cap_rec_hdr *hdr,
			 const void *fixed, size_t fixed_len,
			 const void *data, size_t data_len)
{
	struct cap_rec_hdr h = *hdr;
	const uint8_t *d = data;
	size_t off = 0;
	int rc;

	if (fixed_len > 65535 || data_len > UINT32_MAX)
		return -E2BIG;
	h.hdr_len = sizeof(h);
	h.fixed_len = (uint16_t)fixed_len;
	if (h.orig_len < data_len)
		h.orig_len = (uint32_t)data_len;
	do {
		size_t n = data_len - off;

		if (n > CAP_REC_CHUNK_MAX)
			n = CAP_REC_CHUNK_MAX;
		h.cap_len = (uint32_t)n;
		h.data_off = (uint32_t)off;
		h.flags = hdr->flags & ~(CAP_RF_MORE | CAP_RF_TRUNC);
		if (off + n < data_len)
			h.flags |= CAP_RF_MORE;
		else if (h.orig_len > data_len || (hdr->flags & CAP_RF_TRUNC))
			h.flags |= CAP_RF_TRUNC;
		if (w->failed)
			return w->err.code;
		rc = make_room(w, sizeof(h) + fixed_len + n + 16);
		if (rc)
			return rc;
		rc = cap_block_custom(&w->frame, &h, sizeof(h), fixed, fixed_len,
				      d ? d + off : NULL, n); /* (NULL + 0 is undefined) */
		if (rc)
			return fail(w, rc, "out of memory%s", "");
		note_ts(w, h.ts_ns);
		w->records++;
		w->all_records++;
		w->frame_records++;
		off += n;
	} while (off < data_len);
	return after_add(w);
}

/* Epoch ns -> the monotonic clock of the records, by the open's anchor. */
static uint64_t real_to_mono(const struct cap_writer *w, uint64_t real)
{
	uint64_t up, down;

	/* unsigned: the anchor may come from another file (set_anchor) */
	if (real >= w->real0) {
		up = real - w->real0;
		return up > UINT64_MAX - w->mono0 ? UINT64_MAX : w->mono0 + up;
	}
	down = w->real0 - real;
	return down < w->mono0 ? w->mono0 - down : 0;
}

int cap_writer_add_packet(struct cap_writer *w, uint64_t ts_real_ns, const void *data,
			  uint32_t caplen, uint32_t origlen, uint32_t epb_flags)
{
	int rc;

	if (w->failed)
		return w->err.code;
	if (caplen > PCAPNG_MAX_BLOCK - 64)
		return -E2BIG;
	rc = make_room(w, (size_t)caplen + 48);
	if (rc)
		return rc;
	rc = cap_block_epb(&w->frame, ts_real_ns, data, caplen,
			   origlen < caplen ? caplen : origlen, epb_flags);
	if (rc)
		return fail(w, rc, "out of memory%s", "");
	/* the index and footer times are monotonic, like the records' */
	note_ts(w, real_to_mono(w, ts_real_ns));
	w->packets++;
	return after_add(w);
}

int cap_writer_set_stats(struct cap_writer *w, const struct cap_stats *totals,
			 const struct cap_stat_entry *entries, size_t n)
{
	if (n != w->nentries) {
		struct cap_stat_entry *e = realloc(w->entries, (n ? n : 1) * sizeof(*e));

		if (!e)
			return -ENOMEM;
		w->entries = e;
		w->nentries = n;
	}
	if (n)
		memcpy(w->entries, entries, n * sizeof(*entries));
	w->stats = *totals;
	w->stats.nentries = (uint32_t)n;
	return 0;
}

int cap_writer_flush(struct cap_writer *w)
{
	if (w->failed)
		return w->err.code;
	return frame_close(w);
}

int cap_writer_tick(struct cap_writer *w)
{
	if (w->failed)
		return w->err.code;
	if (w->frame.len && writer_now(w) - w->frame_t0 >= w->o.frame_ns)
		return frame_close(w);
	return 0;
}

void cap_writer_totals(const struct cap_writer *w, struct cap_writer_totals *t)
{
	t->records = w->records;
	t->frames = w->frames;
	t->raw_bytes = w->raw_bytes + w->frame.len;
	t->file_bytes = w->file_bytes;
	t->packets = w->packets;
}

const struct cap_err *cap_writer_err(const struct cap_writer *w)
{
	return &w->err;
}

/* INDEX chunks and the FOOTER, in their own frame(s). */
static int write_footer(struct cap_writer *w)
{
	struct cap_rec_hdr h = { .type = CAP_REC_INDEX };
	struct cap_footer f = { 0 };
	uint64_t records = w->records, first = w->first_ts, last = w->last_ts;
	int rc;

	w->in_footer = 1;
	f.index_frame = w->frame_no;
	f.data_frames = w->frames;
	h.ts_ns = writer_now(w);
	rc = cap_writer_add_parts(w, &h, NULL, 0, w->index.p, w->index.len);
	if (rc)
		return rc;
	/* the index is housekeeping: it counts neither as data nor in time */
	w->records = records;
	w->first_ts = first;
	w->last_ts = last;
	f.frames = w->frames;
	f.records = w->records;
	f.drops = w->stats.drops;
	f.truncs = w->stats.truncs;
	f.first_ts_ns = w->first_ts == UINT64_MAX ? 0 : w->first_ts;
	f.last_ts_ns = w->last_ts;
	if (w->chain)
		memcpy(f.final_hash, cap_chain_last(w->chain), CAP_HASH_LEN);
	rc = add_own(w, CAP_REC_FOOTER, &f, sizeof(f), NULL, 0);
	return rc ? rc : frame_close(w);
}

static int write_seek_table(struct cap_writer *w)
{
	uint8_t hd[8], ft[9];
	size_t total = sizeof(hd) + w->seek.len + sizeof(ft);

	/* the table is a frame too: keep tshark's magic check happy; a
	 * boundary must start with a zstd frame, not with this table */
	if (write_padding(w, total))
		return w->err.code;
	if (w->file_bytes % WIRESHARK_BUF == 0 &&
	    (write_empty_frame(w) || write_padding(w, total)))
		return w->err.code;
	le32_put(hd, SKIPPABLE_MAGIC);
	le32_put(hd + 4, (uint32_t)(w->seek.len + sizeof(ft)));
	le32_put(ft, (uint32_t)(w->seek.len / 8));
	ft[4] = 0; /* descriptor: no checksums */
	le32_put(ft + 5, SEEKABLE_MAGIC);
	if (write_all(w, hd, sizeof(hd)) || write_all(w, w->seek.p, w->seek.len) ||
	    write_all(w, ft, sizeof(ft)))
		return w->err.code;
	return 0;
}

static int writer_finish(struct cap_writer *w)
{
	int rc = 0;

	if (!w->started)
		rc = writer_start(w);
	if (!rc)
		rc = frame_close(w);
	if (!rc)
		rc = write_footer(w);
	if (!rc)
		rc = write_seek_table(w);
	if (rc)
		return rc;
	if (fsync(w->fd) && errno != EINVAL)
		return fail(w, -errno, "fsync failed: %s", strerror(errno));
	if (close(w->fd)) {
		w->fd = -1;
		return fail(w, -errno, "close failed: %s", strerror(errno));
	}
	w->fd = -1;
	if (!w->o.no_part && rename(w->part, w->path))
		return fail(w, -errno, "cannot rename to the final name: %s", strerror(errno));
	return 0;
}

int cap_writer_close(struct cap_writer *w, struct cap_err *err)
{
	int rc;

	cap_err_clear(err);
	if (!w)
		return 0;
	rc = w->failed ? w->err.code : writer_finish(w);
	if (rc && err)
		*err = w->err;
	cap_writer_abort(w);
	return rc;
}

void cap_writer_abort(struct cap_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	ZSTD_freeCCtx(w->cctx);
	cap_chain_free(w->chain);
	cap_buf_release(&w->frame);
	cap_buf_release(&w->zout);
	cap_buf_release(&w->meta);
	cap_buf_release(&w->seek);
	cap_buf_release(&w->index);
	free(w->entries);
	free(w->path);
	free(w->part);
	free(w);
}
