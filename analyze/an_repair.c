/* SPDX-License-Identifier: MIT */
/*
 * an_repair.c - `asanalyze repair IN OUT`: copy every record the reader can
 * still get from IN (a crashed, cut or damaged capture) into a new capture
 * written by cap_writer, so OUT has a hash chain, footer, index and seek
 * table again.  The writer's own records (CHAIN, INDEX, FOOTER) are rebuilt,
 * the META pairs carried over plus repaired_from, the last STATS counters
 * carried over so no loss is forgotten.  Packets (EPBs of asrecord -i) are
 * carried over byte for byte: same timestamp, lengths, flags and bytes.
 */
#include "an_repair.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "an_cli.h"
#include "an_fmt.h"
#include "an_seek.h"
#include "format/cap_block.h"
#include "format/cap_buf.h"
#include "format/cap_cursor.h"
#include "format/cap_reader.h"
#include "format/cap_writer.h"

static const char usage[] =
	"usage: asanalyze repair [--force] [--level L] IN OUT\n"
	"\n"
	"Rewrite a crashed, cut or damaged capture IN into a clean capture OUT\n"
	"with hash chain, footer, index and seek table.  Every complete block of\n"
	"IN before the damage is kept; the report says what was lost.  META is\n"
	"carried over with repaired_from=IN added.\n"
	"\n"
	"  -f, --force     replace OUT if it exists\n"
	"  -l, --level L   zstd level 1-19 (default 3)\n"
	"  -h, --help      this help\n";

struct repair {
	const char *in, *out;
	int force;
	int level;
	struct cap_writer *w;
	uint64_t clock;          /* ts of the last record: drives frame timing */
	uint64_t kept, skipped_hk, extra_meta;
	uint64_t complete_end;   /* end of IN's last complete zstd frame */
	int have_end;
	uint64_t from_partial;   /* records recovered from the incomplete frame */
	int meta_done;
	int anchored;            /* META had the clock anchor: packet ts_ns is monotonic */
	uint64_t packets, pkt_partial, pkt_reencoded, pkt_too_big;
	struct cap_buf epb;      /* a packet's block as OUT writes it */
};

/* Frames of OUT close after 1 s of capture time, not of repair time. */
static uint64_t repair_clock(void *ctx)
{
	return ((const struct repair *)ctx)->clock;
}

static int parse_args(struct repair *rp, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":fl:h", lo, NULL)) != -1) {
		if (c == 'f') {
			rp->force = 1;
		} else if (c == 'l') {
			if (an_parse_u64(optarg, &v) || v < 1 || v > 19)
				return an_usage("repair", "bad level '%s' (1-19)", optarg);
			rp->level = (int)v;
		} else if (c == 'h') {
			fputs(usage, stdout);
			return -1;
		} else {
			return an_bad_option("repair", c, argv);
		}
	}
	if (argc - optind != 2)
		return an_usage("repair", "need exactly two files, IN and OUT");
	rp->in = argv[optind];
	rp->out = argv[optind + 1];
	return 0;
}

/* OUT keeps IN's clock anchor, so its packets' times map to the same
 * monotonic times (index, footer) as they did in IN. */
static int carry_anchor(struct repair *rp, const struct cap_rec *rec)
{
	const char *m = cap_kv_find(rec->data, rec->data_len, "clock_mono_ns");
	const char *r = cap_kv_find(rec->data, rec->data_len, "clock_real_ns");

	if (!m || !r)
		return 0;
	rp->anchored = 1;
	return cap_writer_set_anchor(rp->w, strtoull(m, NULL, 10), strtoull(r, NULL, 10));
}

static int carry_meta(struct repair *rp, const struct cap_rec *rec)
{
	const char *p = (const char *)rec->data;
	size_t i = 0, n = rec->data_len;
	int rc = carry_anchor(rp, rec);

	while (!rc && i < n) {
		size_t l = strnlen(p + i, n - i);
		char *kv = strndup(p + i, l), *eq;

		if (!kv)
			return -ENOMEM;
		eq = strchr(kv, '=');
		if (eq && eq != kv) {
			*eq = '\0';
			/* ours (added at open) replaces an older one */
			if (strcmp(kv, "repaired_from"))
				rc = cap_writer_add_meta(rp->w, kv, eq + 1);
		}
		free(kv);
		i += l + 1;
	}
	return rc;
}

static int copy_stats(struct repair *rp, const struct cap_rec *rec)
{
	size_t n = rec->data_len / sizeof(struct cap_stat_entry);
	struct cap_stat_entry *e = NULL;
	struct cap_stats s;
	int rc;

	cap_rec_fixed(rec, &s, sizeof(s));
	if (n) {
		e = malloc(n * sizeof(*e));
		if (!e)
			return -ENOMEM;
		memcpy(e, rec->data, n * sizeof(*e));
	}
	rc = cap_writer_set_stats(rp->w, &s, e, n);
	free(e);
	return rc;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* The epb_flags option of the EPB @b (@len bytes, checked by the reader's
 * cap_parse_epb), 0 when absent. */
static uint32_t epb_flags(const uint8_t *b, uint32_t len)
{
	size_t opts = 28 + pad4(le32_get(b + 20));
	struct cap_cursor c;
	const uint8_t *o, *v;

	if (opts + 4 > len)
		return 0;
	cap_cursor_init(&c, b + opts, len - 4 - opts);
	while ((o = cap_cursor_take(&c, 4)) && le16_get(o) != OPT_ENDOFOPT) {
		v = cap_cursor_take(&c, pad4(le16_get(o + 2)));
		if (!v)
			break;
		if (le16_get(o) == EPB_FLAGS && le16_get(o + 2) == 4)
			return le32_get(v);
	}
	return 0;
}

/*
 * Re-add a packet (rec->raw is its whole EPB) with its own wall-clock time,
 * lengths and flags.  The block OUT gets is compared with IN's: it differs
 * only for EPBs asight does not write (other options, interface != 0).
 */
static int take_packet(struct repair *rp, const struct cap_rec *rec)
{
	const uint8_t *b = rec->raw;
	uint64_t ts = (uint64_t)le32_get(b + 12) << 32 | le32_get(b + 16);
	uint32_t flags = epb_flags(b, (uint32_t)rec->raw_len), orig = le32_get(b + 24);
	int rc;

	if (rec->hdr.cap_len > PCAPNG_MAX_BLOCK - 64) {
		rp->pkt_too_big++; /* more than the writer takes: nothing else to do */
		return 0;
	}
	if (rp->anchored)
		rp->clock = rec->hdr.ts_ns;
	rc = cap_writer_add_packet(rp->w, ts, rec->data, rec->hdr.cap_len, orig, flags);
	if (rc)
		return rc;
	rp->packets++;
	if (rp->have_end && rec->frame_off >= rp->complete_end)
		rp->pkt_partial++;
	rp->epb.len = 0;
	if (cap_block_epb(&rp->epb, ts, rec->data, rec->hdr.cap_len,
			  orig < rec->hdr.cap_len ? rec->hdr.cap_len : orig, flags) ||
	    rp->epb.len != rec->raw_len || memcmp(rp->epb.p, b, rec->raw_len))
		rp->pkt_reencoded++;
	return 0;
}

/* Route one record of IN; returns 0 or a writer error. */
static int take(struct repair *rp, const struct cap_rec *rec)
{
	switch (rec->hdr.type) {
	case CAP_REC_META:
		if (rp->meta_done) {
			rp->extra_meta++; /* another section: its writer will not be ours */
			return 0;
		}
		rp->meta_done = 1;
		return carry_meta(rp, rec);
	case CAP_REC_STATS:
		return copy_stats(rp, rec);
	case CAP_REC_CHAIN:
	case CAP_REC_INDEX:
	case CAP_REC_FOOTER:
		rp->skipped_hk++;
		return 0;
	}
	rp->meta_done = 1; /* META comes first or not at all */
	if (rec->hdr.type == CAP_REC_PACKET)
		return take_packet(rp, rec);
	if (rp->have_end && rec->frame_off >= rp->complete_end)
		rp->from_partial++;
	rp->clock = rec->hdr.ts_ns;
	rp->kept++;
	return cap_writer_add(rp->w, rec->raw, rec->raw_len);
}

static int open_out(struct repair *rp)
{
	struct cap_writer_opts o;
	struct cap_err err;

	cap_writer_opts_init(&o);
	o.level = rp->level;
	o.overwrite = rp->force;
	o.userappl = "asanalyze repair " ASIGHT_VERSION;
	o.clock = repair_clock;
	o.clock_ctx = rp;
	if (!rp->force && access(rp->out, F_OK) == 0) {
		an_err("'%s': file exists; use --force to replace it", rp->out);
		return -EEXIST;
	}
	if (cap_writer_open(rp->out, &o, &rp->w, &err)) {
		an_err_cap(&err, NULL);
		return err.code ? err.code : -EIO;
	}
	return cap_writer_add_meta(rp->w, "repaired_from", rp->in);
}

/* Only for captures with packets: the report of others stays as it was. */
static void report_packets(const struct repair *rp, const struct cap_reader_stats *s)
{
	if (!s->packets)
		return;
	printf("packets: kept %" PRIu64 " of %" PRIu64 " read", rp->packets, s->packets);
	if (rp->have_end && rp->pkt_partial)
		printf(" (%" PRIu64 " from the incomplete frame)", rp->pkt_partial);
	printf(", %s\n", rp->pkt_reencoded ? "some re-encoded" : "byte for byte");
	if (rp->pkt_reencoded)
		printf("note: %" PRIu64 " packet blocks were not asight's own; they were "
		       "rewritten on interface 0 with epb_flags only\n", rp->pkt_reencoded);
	if (rp->pkt_too_big)
		printf("lost: %" PRIu64 " packets too big for the writer\n", rp->pkt_too_big);
}

static void report(const struct repair *rp, const struct cap_reader *r, int read_error)
{
	struct cap_reader_stats s;
	uint64_t size = an_files_size(&rp->in, 1);
	const char *w;
	size_t i;

	cap_reader_stats(r, &s);
	printf("repaired '%s' -> '%s': kept %" PRIu64 " records from %" PRIu64
	       " complete frames\n", rp->in, rp->out, rp->kept, s.frames);
	printf("input: %s, %s; hash chain: %" PRIu64 " ok, %" PRIu64 " bad\n",
	       s.has_footer ? "had a footer" : "no footer",
	       s.has_seek_table ? "had a seek table" : "no seek table", s.chain_ok, s.chain_bad);
	if (rp->have_end && rp->complete_end < size)
		printf("lost: %" PRIu64 " bytes after offset %" PRIu64 " of %" PRIu64
		       " (an incomplete frame; %" PRIu64 " records recovered from it)\n",
		       size - rp->complete_end, rp->complete_end, size, rp->from_partial);
	else if (s.truncated || read_error)
		printf("lost: the unreadable part named in the messages above and below\n");
	else
		printf("lost: nothing\n");
	if (s.chain_bad)
		printf("lost: frames whose hash did not match may have been skipped by the "
		       "reader\n");
	if (rp->extra_meta)
		printf("note: %" PRIu64 " META records of later sections were dropped\n",
		       rp->extra_meta);
	report_packets(rp, &s);
	for (i = 0; (w = cap_reader_warning(r, i)); i++)
		printf("warning: %s\n", w);
}

/* A failed repair leaves no half-written OUT.part behind. */
static void unlink_part(const struct repair *rp)
{
	char *part;

	if (asprintf(&part, "%s.part", rp->out) < 0)
		return;
	unlink(part);
	free(part);
}

static int repair_run(struct repair *rp, struct cap_reader *r)
{
	struct an_progress pg;
	struct cap_rec rec;
	struct cap_err err;
	int rc, wrc = 0;

	an_progress_init(&pg, "repair", &rp->in, 1);
	while (!wrc && (rc = cap_reader_next(r, &rec)) > 0) {
		wrc = take(rp, &rec);
		an_progress_update(&pg, 0, rec.frame_off);
	}
	an_progress_end(&pg);
	if (wrc) {
		an_err_cap(cap_writer_err(rp->w), NULL);
		cap_writer_abort(rp->w);
		unlink_part(rp);
		return AN_EXIT_DATA;
	}
	if (rc < 0)
		an_err_cap(cap_reader_err(r), "keeping the records before this point");
	if (cap_writer_close(rp->w, &err)) {
		an_err_cap(&err, NULL);
		unlink_part(rp);
		return AN_EXIT_DATA;
	}
	report(rp, r, rc < 0);
	return rc < 0 ? AN_EXIT_DATA : AN_EXIT_OK;
}

int an_repair_main(int argc, char **argv)
{
	struct repair rp = { .level = 3 };
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct cap_err err;
	int rc;

	rc = parse_args(&rp, argc, argv);
	if (rc)
		return rc < 0 ? AN_EXIT_OK : rc;
	rp.have_end = an_seek_complete_end(rp.in, &rp.complete_end) == 0;
	cap_reader_opts_init(&o);
	o.verify = 1;
	o.packets = 1; /* carried over like records */
	if (cap_reader_open(&rp.in, 1, &o, &r, &err)) {
		an_err_cap(&err, NULL);
		return AN_EXIT_DATA;
	}
	if (open_out(&rp)) {
		if (rp.w) {
			cap_writer_abort(rp.w);
			unlink_part(&rp);
		}
		cap_reader_close(r);
		return AN_EXIT_DATA;
	}
	rc = repair_run(&rp, r);
	cap_reader_close(r);
	cap_buf_release(&rp.epb);
	return rc;
}
