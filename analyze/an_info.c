/* SPDX-License-Identifier: MIT */
/*
 * an_info.c - `asanalyze info FILE...`: one pass over the capture (with the
 * hash chain recomputed unless --no-verify) and a summary: host, recorder,
 * wall-clock time range, record counts per type, loss, integrity, whether
 * the files were closed cleanly, sizes.  Several files are one capture.
 */
#include "an_info.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "an_cli.h"
#include "an_fmt.h"
#include "an_safeout.h"
#include "analyze/bundle.h"
#include "an_rec.h"
#include "format/cap_reader.h"

static const char usage[] =
	"usage: asanalyze info [--no-verify] FILE...\n"
	"\n"
	"Summarize a capture: host, kernel, recorder command line, time range\n"
	"(UTC), record counts per type, drops and truncations, hash chain status,\n"
	"whether it was closed cleanly, sizes.  Several FILEs (rotated files) are\n"
	"read as one capture.\n"
	"\n"
	"  -n, --no-verify  do not recompute the hash chain (faster)\n"
	"  -h, --help       this help\n";

#define NTYPES 65536

struct info {
	uint64_t *count;         /* per record type */
	uint64_t data_records;   /* housekeeping excluded */
	uint64_t payload_bytes;
	uint64_t trunc_flagged;  /* records with CAP_RF_TRUNC */
	uint64_t err_flagged;
	uint64_t first_ts, last_ts;      /* monotonic, data records */
	uint64_t first_real, last_real;  /* their wall-clock times */
	/* one run of seq numbers per CPU (CAP_SEQ_CPU), indexed by CPU */
	struct seq_run {
		uint64_t min, max;
		uint64_t n;      /* records with a seq, first chunks only */
	} *runs;
	size_t nruns;
	struct an_clock clk;
	/* loss counters: the last STATS of each file, summed */
	struct cap_stats stats, file_stats;
	uint64_t other_abi, file_other_abi; /* STATS entries of CAP_STAT_OTHER_ABI */
	int have_stats;
	uint64_t footer_drops, footer_truncs, footers;
	char *meta;              /* first META record's key=value list */
	size_t meta_len;
	struct cap_buf targets;  /* one line per TLS target (TARGET records) */
	unsigned ntargets, nunhooked;
	unsigned cur_file;
};

/* Count @seq in its CPU's run; a CPU beyond what memory allows is left out. */
static void seq_note(struct info *in, uint64_t seq)
{
	size_t cpu = CAP_SEQ_CPU(seq);
	struct seq_run *r;

	if (cpu >= in->nruns) {
		r = realloc(in->runs, (cpu + 1) * sizeof(*r));
		if (!r)
			return;
		memset(r + in->nruns, 0, (cpu + 1 - in->nruns) * sizeof(*r));
		in->runs = r;
		in->nruns = cpu + 1;
	}
	r = &in->runs[cpu];
	if (!r->n || seq < r->min)
		r->min = seq;
	if (seq > r->max)
		r->max = seq;
	r->n++;
}

/* Records missing inside the runs, and how many runs there are. */
static uint64_t seq_missing(const struct info *in, size_t *nruns)
{
	uint64_t miss = 0;
	size_t i;

	*nruns = 0;
	for (i = 0; i < in->nruns; i++) {
		const struct seq_run *r = &in->runs[i];

		if (!r->n)
			continue;
		(*nruns)++;
		if (r->max - r->min + 1 > r->n)
			miss += r->max - r->min + 1 - r->n;
	}
	return miss;
}

static void take_stats(struct info *in, const struct cap_rec *rec)
{
	struct cap_stats s;
	struct cap_stat_entry e;
	size_t i;

	cap_rec_fixed(rec, &s, sizeof(s));
	in->file_stats = s;
	in->have_stats = 1;
	in->file_other_abi = 0;
	for (i = 0; i < rec->data_len / sizeof(e); i++) {
		memcpy(&e, rec->data + i * sizeof(e), sizeof(e));
		if (e.probe == CAP_STAT_OTHER_ABI)
			in->file_other_abi += e.events;
	}
}

/* STATS counters are running totals per file: add a file's last one. */
static void close_file_stats(struct info *in)
{
	in->stats.drops += in->file_stats.drops;
	in->stats.truncs += in->file_stats.truncs;
	in->stats.write_errors += in->file_stats.write_errors;
	in->stats.packets += in->file_stats.packets;
	in->stats.pkt_recv += in->file_stats.pkt_recv;
	in->stats.pkt_drops += in->file_stats.pkt_drops;
	in->stats.pkt_ifdrops += in->file_stats.pkt_ifdrops;
	in->stats.pkt_qdrops += in->file_stats.pkt_qdrops;
	in->stats.pkt_truncs += in->file_stats.pkt_truncs;
	in->other_abi += in->file_other_abi;
	memset(&in->file_stats, 0, sizeof(in->file_stats));
	in->file_other_abi = 0;
}

static void take_housekeeping(struct info *in, const struct cap_rec *rec)
{
	struct cap_footer f;

	switch (rec->hdr.type) {
	case CAP_REC_META:
		an_clock_from_meta(&in->clk, rec->data, rec->data_len);
		if (!in->meta && rec->data_len) {
			in->meta = malloc(rec->data_len);
			if (in->meta) {
				memcpy(in->meta, rec->data, rec->data_len);
				in->meta_len = rec->data_len;
			}
		}
		break;
	case CAP_REC_STATS:
		take_stats(in, rec);
		break;
	case CAP_REC_FOOTER:
		cap_rec_fixed(rec, &f, sizeof(f));
		in->footer_drops += f.drops;
		in->footer_truncs += f.truncs;
		in->footers++;
		break;
	}
}

#define MAX_TARGET_LINES 32

static const char *kv(const struct cap_rec *rec, const char *key)
{
	const char *v = cap_kv_find(rec->data, rec->data_len, key);

	return v ? v : "";
}

/* What the recorder hooked, and how it found it: a reviewer's first check
 * that a program's TLS is in the capture at all. */
static void take_target(struct info *in, const struct cap_rec *rec)
{
	const char *path = kv(rec, "path"), *base = strrchr(path, '/');
	const char *disc = kv(rec, "discovery"), *sym = kv(rec, "symbol");
	const char *at = kv(rec, "attach_offset");
	int hooked = !strcmp(kv(rec, "attached"), "yes");
	char line[1024];
	int n;

	in->ntargets++;
	in->nunhooked += !hooked;
	if (in->ntargets > MAX_TARGET_LINES)
		return;
	/* attach_offset: probed past an endbr64 (asrecord(8)) */
	n = snprintf(line, sizeof(line), "  %-26s %-9s %s @%s%s%s%s%s%s%s: %s%s%s\n",
		     *sym ? sym : "(none)", kv(rec, "kind"), base ? base + 1 : path,
		     kv(rec, "offset"), *at ? " (probed at " : "", at, *at ? ")" : "",
		     hooked ? "" : " [not hooked: ", hooked ? "" : kv(rec, "attached"),
		     hooked ? "" : "]", kv(rec, "method"), *disc ? "; " : "", disc);
	if (n > 0)
		cap_buf_append(&in->targets, line, (size_t)n < sizeof(line) ? (size_t)n :
			       sizeof(line) - 1);
}

static void take(struct info *in, const struct cap_rec *rec)
{
	const struct cap_rec_hdr *h = &rec->hdr;
	uint64_t real;

	if (rec->file_index != in->cur_file) {
		close_file_stats(in);
		in->cur_file = rec->file_index;
	}
	in->count[h->type]++;
	if (h->type == CAP_REC_TARGET)
		take_target(in, rec);
	if (an_rec_is_housekeeping(h->type)) {
		take_housekeeping(in, rec);
		return;
	}
	in->data_records++;
	in->payload_bytes += rec->data_len;
	if (h->flags & CAP_RF_TRUNC)
		in->trunc_flagged++;
	if (h->flags & CAP_RF_ERR)
		in->err_flagged++;
	real = an_clock_real(&in->clk, h->ts_ns);
	if (!in->first_ts || h->ts_ns < in->first_ts) {
		in->first_ts = h->ts_ns;
		in->first_real = real;
	}
	if (h->ts_ns > in->last_ts) {
		in->last_ts = h->ts_ns;
		in->last_real = real;
	}
	/* continuation chunks share their seq: count each sequence once */
	if (h->seq && h->data_off == 0)
		seq_note(in, h->seq);
}

static const char *meta(const struct info *in, const char *key)
{
	const char *v = in->meta ? cap_kv_find((const uint8_t *)in->meta, in->meta_len, key) :
				   NULL;

	return v && *v ? v : "-";
}

static void print_files(const char *const *paths, size_t n)
{
	char sz[32], nb[512];
	size_t i;

	for (i = 0; i < n; i++)
		printf("%-13s %s (%s)\n", i ? "" : "file:", bundle_name(paths[i], nb, sizeof(nb)),
		       an_fmt_size(an_files_size(paths + i, 1), sz, sizeof(sz)));
}

static void print_header(const struct info *in)
{
	struct cap_buf q = { 0 };

	printf("%-13s %s (Linux %s %s)\n", "host:", meta(in, "hostname"), meta(in, "kernel"),
	       meta(in, "machine"));
	printf("%-13s %s\n", "boot id:", meta(in, "boot_id"));
	/* the command line is from the capture: escape it */
	if (!an_esc(&q, meta(in, "cmdline"), strlen(meta(in, "cmdline"))))
		printf("%-13s %s: %.*s\n", "recorder:", meta(in, "recorder"), (int)q.len,
		       (const char *)q.p);
	cap_buf_release(&q);
	printf("%-13s %s, format version %s\n", "writer:", meta(in, "writer"),
	       meta(in, "format_version"));
	if (strcmp(meta(in, "filter"), "-"))
		printf("%-13s %s\n", "filter:", meta(in, "filter"));
}

static void print_time(const struct info *in)
{
	char a[64], b[64], d[64];

	if (!in->data_records) {
		printf("%-13s (no data records)\n", "time:");
		return;
	}
	if (in->first_real)
		printf("%-13s %s .. %s (%s)\n", "time:", an_fmt_iso(in->first_real, 3, a, sizeof(a)),
		       an_fmt_iso(in->last_real, 3, b, sizeof(b)),
		       an_fmt_duration(in->last_ts - in->first_ts, d, sizeof(d)));
	else
		printf("%-13s monotonic %s .. %s (%s; no clock anchor in META)\n", "time:",
		       an_fmt_ts(NULL, in->first_ts, 3, a, sizeof(a)),
		       an_fmt_ts(NULL, in->last_ts, 3, b, sizeof(b)),
		       an_fmt_duration(in->last_ts - in->first_ts, d, sizeof(d)));
}

/* a seq without its CPU bits (the CPU is the run's index) */
#define SEQ_COUNT(seq) ((uint64_t)(seq) & (((uint64_t)1 << CAP_SEQ_CPU_SHIFT) - 1))

/* the first CPU with a run (there is one) */
static size_t first_run(const struct info *in)
{
	size_t i = 0;

	while (i + 1 < in->nruns && !in->runs[i].n)
		i++;
	return i;
}

/* ", seq A..B" for one run (older captures: one global sequence), else
 * the CPUs the runs came from */
static void print_seq_range(const struct info *in)
{
	size_t i, n;

	seq_missing(in, &n);
	if (n == 1) {
		i = first_run(in);
		printf(", seq %" PRIu64 "..%" PRIu64, SEQ_COUNT(in->runs[i].min),
		       SEQ_COUNT(in->runs[i].max));
		if (i)
			printf(" on CPU %zu", i);
	} else if (n > 1) {
		printf(", seq numbered per CPU on %zu CPUs", n);
	}
}

static void print_counts(const struct info *in)
{
	char tb[16];
	unsigned t;

	printf("%-13s %" PRIu64 " data records, %s of payload data", "records:",
	       in->data_records, an_fmt_size(in->payload_bytes, tb, sizeof(tb)));
	print_seq_range(in);
	printf("\n");
	for (t = 0; t < NTYPES; t++)
		if (in->count[t])
			printf("  %-11s %12" PRIu64 "%s\n", an_rec_type_name(t, tb, sizeof(tb)),
			       in->count[t], an_rec_is_housekeeping(t) ? "  (housekeeping)" : "");
}

static void print_targets(const struct info *in)
{
	if (!in->ntargets)
		return;
	printf("%-13s %u (%u not hooked)\n", "tls targets:", in->ntargets, in->nunhooked);
	fwrite(in->targets.p, 1, in->targets.len, stdout);
	if (in->ntargets > MAX_TARGET_LINES)
		printf("  ... and %u more (asanalyze dump -t target)\n",
		       in->ntargets - MAX_TARGET_LINES);
}

static void print_loss(const struct info *in)
{
	uint64_t miss;
	size_t nruns;

	printf("%-13s %" PRIu64 " (stats)", "drops:", (uint64_t)in->stats.drops);
	if (in->footers)
		printf(", %" PRIu64 " (footer)", in->footer_drops);
	if (in->stats.write_errors)
		printf(", %" PRIu64 " write errors", (uint64_t)in->stats.write_errors);
	printf("%s\n", in->have_stats ? "" : " - no STATS record seen");
	/* the recorder numbers records before reserving ring space, so every
	 * lost record leaves a hole in its CPU's seq: an independent loss count */
	miss = seq_missing(in, &nruns);
	if (nruns == 1)
		printf("%-13s %" PRIu64 " records missing between seq %" PRIu64 " and %" PRIu64 "\n",
		       "seq gaps:", miss, SEQ_COUNT(in->runs[first_run(in)].min),
		       SEQ_COUNT(in->runs[first_run(in)].max));
	else if (nruns > 1)
		printf("%-13s %" PRIu64 " records missing in the seq runs of %zu CPUs\n",
		       "seq gaps:", miss, nruns);
	printf("%-13s %" PRIu64 " (stats)", "truncations:", (uint64_t)in->stats.truncs);
	if (in->footers)
		printf(", %" PRIu64 " (footer)", in->footer_truncs);
	printf(", %" PRIu64 " records flagged truncated\n", in->trunc_flagged);
	if (in->err_flagged)
		printf("%-13s %" PRIu64 " records of failed calls\n", "errors:", in->err_flagged);
	if (in->other_abi)
		printf("%-13s %" PRIu64 " syscalls of the ia32/x32 ABI (int 0x80, 32-bit programs): "
		       "counted, not recorded\n", "not decoded:", in->other_abi);
}

/* Packets of `asrecord -i` (EPBs, not records): only when there are any. */
static void print_packets(const struct info *in, const struct cap_reader_stats *s)
{
	const struct cap_stats *p = &in->stats;

	if (!s->packets && !p->packets && !strcmp(meta(in, "packet_interface"), "-"))
		return;
	printf("%-13s %" PRIu64 " (stats: %" PRIu64 " written; libpcap counted %" PRIu64
	       " received)\n", "packets:", s->packets, (uint64_t)p->packets,
	       (uint64_t)p->pkt_recv);
	printf("  %-11s %s\n  %-11s %s\n  %-11s %s\n", "interface", meta(in, "packet_interface"),
	       "filter", meta(in, "packet_filter"), "snaplen", meta(in, "packet_snaplen"));
	printf("%-13s %" PRIu64 " (kernel buffer), %" PRIu64 " (interface), %" PRIu64
	       " (recorder queue); %" PRIu64 " cut by the snaplen\n", "packet drops:",
	       (uint64_t)p->pkt_drops, (uint64_t)p->pkt_ifdrops, (uint64_t)p->pkt_qdrops,
	       (uint64_t)p->pkt_truncs);
}

static void print_integrity(const struct cap_reader_stats *s, int verify, int read_error)
{
	char a[32], b[32];

	if (!verify)
		printf("%-13s not verified (--no-verify)\n", "integrity:");
	else if (s->chain_bad)
		printf("%-13s %" PRIu64 " bad of %" PRIu64 " chain blocks; first bad frame %" PRIu64
		       " at offset %" PRIu64 " of file %u\n",
		       "integrity:", s->chain_bad, s->chain_bad + s->chain_ok, s->first_bad_frame,
		       s->first_bad_off, s->first_bad_file);
	else if (s->chain_ok)
		printf("%-13s chain verified ok (%" PRIu64 " chain blocks)%s\n", "integrity:",
		       s->chain_ok, read_error ? " up to the read error" : "");
	else
		printf("%-13s not verified (no chain blocks)\n", "integrity:");
	printf("%-13s %s (%s, %s)\n", "closed:",
	       s->has_footer && s->has_seek_table && !s->truncated ? "cleanly" : "NOT cleanly",
	       s->has_footer ? "footer" : "no footer",
	       s->has_seek_table ? "seek table" : "no seek table");
	printf("%-13s %s compressed, %s uncompressed", "size:",
	       an_fmt_size(s->comp_bytes, a, sizeof(a)), an_fmt_size(s->raw_bytes, b, sizeof(b)));
	if (s->comp_bytes)
		printf(", ratio %.1f", (double)s->raw_bytes / (double)s->comp_bytes);
	printf(", %" PRIu64 " frames, %" PRIu64 " sections\n", s->frames, s->sections);
	/* packets are known, just not records: print_packets counts them */
	if (s->unknown_blocks > s->packets || s->foreign_custom)
		printf("%-13s %" PRIu64 " unknown blocks, %" PRIu64 " foreign custom blocks\n",
		       "skipped:", s->unknown_blocks - s->packets, s->foreign_custom);
}

static void print_warnings(const struct cap_reader *r, const struct cap_reader_stats *s)
{
	const char *w;
	size_t i;

	for (i = 0; (w = cap_reader_warning(r, i)); i++)
		printf("%-13s %s\n", i ? "" : "warnings:", w);
	if (!i && s->truncated)
		printf("%-13s truncated tail; run 'asanalyze repair'\n", "warnings:");
}

static int info_run(struct info *in, struct cap_reader *r, const char *const *paths, size_t n,
		    int verify)
{
	struct cap_reader_stats st;
	struct an_progress pg;
	struct cap_rec rec;
	int rc;

	an_progress_init(&pg, "info", paths, n);
	while ((rc = cap_reader_next(r, &rec)) > 0) {
		take(in, &rec);
		an_progress_update(&pg, rec.file_index, rec.frame_off);
	}
	an_progress_end(&pg);
	close_file_stats(in);
	cap_reader_stats(r, &st);
	/* nothing readable at all (not a capture): an empty summary would only
	 * hide the error */
	if (rc < 0 && !st.blocks) {
		an_err_cap(cap_reader_err(r), NULL);
		return AN_EXIT_DATA;
	}
	print_files(paths, n);
	print_header(in);
	print_time(in);
	print_counts(in);
	print_targets(in);
	print_loss(in);
	print_packets(in, &st);
	print_integrity(&st, verify, rc < 0);
	print_warnings(r, &st);
	fflush(stdout);
	if (rc < 0) {
		an_err_cap(cap_reader_err(r), "the summary covers the records before this point");
		return AN_EXIT_DATA;
	}
	return AN_EXIT_OK;
}

int an_info_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "no-verify", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cap_reader_opts o;
	struct cap_reader *r;
	struct info in = { 0 };
	struct cap_err err;
	int c, rc;

	cap_reader_opts_init(&o);
	o.verify = 1;
	an_safeout_stdout(); /* hostname, command line and paths come from the file */
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":nh", lo, NULL)) != -1) {
		if (c == 'n') {
			o.verify = 0;
		} else if (c == 'h') {
			fputs(usage, stdout);
			return AN_EXIT_OK;
		} else {
			return an_bad_option("info", c, argv);
		}
	}
	if (optind >= argc)
		return an_usage("info", "no capture file given");
	if (an_bundle_inputs(&argc, &argv, optind))
		return AN_EXIT_DATA;
	in.count = calloc(NTYPES, sizeof(*in.count));
	if (!in.count) {
		an_err("out of memory");
		return AN_EXIT_DATA;
	}
	if (cap_reader_open((const char *const *)argv + optind, (size_t)(argc - optind), &o, &r,
			    &err)) {
		an_err_cap(&err, NULL);
		free(in.count);
		free(in.runs);
		return AN_EXIT_DATA;
	}
	rc = info_run(&in, r, (const char *const *)argv + optind, (size_t)(argc - optind),
		      o.verify);
	cap_reader_close(r);
	free(in.count);
	free(in.runs);
	free(in.meta);
	cap_buf_release(&in.targets);
	return rc;
}
