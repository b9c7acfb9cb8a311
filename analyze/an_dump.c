/* SPDX-License-Identifier: MIT */
/*
 * an_dump.c - `asanalyze dump`: read records, filter, join continuation
 * chunks (--full), render each record (an_render.h).
 */
#include "an_dump.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "an_cli.h"
#include "an_fmt.h"
#include "an_pkt.h"
#include "an_rec.h"
#include "an_render.h"
#include "format/cap_reader.h"

#define MAX_TYPES 32
#define MAX_JOINS 64
#define PREVIEW 64

static const char usage[] =
	"usage: asanalyze dump [OPTIONS] FILE...\n"
	"\n"
	"Print one line per record: wall-clock time (UTC), cpu, pid/tid, type,\n"
	"decoded fields and an escaped preview of any payload.  Several FILEs\n"
	"(rotated files) are read as one capture.\n"
	"\n"
	"  -j, --json         JSON Lines, one object per record\n"
	"  -f, --full         whole payloads, continuation chunks joined\n"
	"  -t, --type T       only records of type T (name or number; repeat\n"
	"                     or separate with commas; \"packet\" for packets)\n"
	"  -p, --pid P        only records of process P (tgid)\n"
	"  -s, --sort         merge records by time (default: file order)\n"
	"  -H, --no-housekeeping  hide META, STATS, CHAIN, INDEX, FOOTER\n"
	"  -h, --help         this help\n"
	"\n"
	"Payload bytes are escaped: \\\\ \\\" \\t \\n \\r and \\xNN for every other byte\n"
	"outside 0x20-0x7e.  See asanalyze(1).\n";

struct join {
	int used;
	unsigned file;
	uint64_t seq;
	struct cap_buf data;
};

struct dump {
	int full;
	int housekeeping;
	unsigned types[MAX_TYPES];
	size_t ntypes;
	int have_pid;
	uint32_t pid;
	struct an_render rd;
	struct an_rec dec;
	struct join joins[MAX_JOINS];
	uint64_t lost_chunks;
	uint64_t read, shown;    /* records read, records that passed the filters */
};

static int add_types(struct dump *d, char *arg)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (d->ntypes == MAX_TYPES)
			return an_usage("dump", "too many --type values (at most %d)", MAX_TYPES);
		if (!strcasecmp(tok, "packet"))
			d->types[d->ntypes] = CAP_REC_PACKET;
		else if (an_rec_type_parse(tok, &d->types[d->ntypes]))
			return an_usage("dump", "unknown record type '%s'", tok);
		d->ntypes++;
	}
	return 0;
}

static int parse_args(struct dump *d, struct cap_reader_opts *ro, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },  { "full", no_argument, NULL, 'f' },
		{ "type", required_argument, NULL, 't' }, { "pid", required_argument, NULL, 'p' },
		{ "sort", no_argument, NULL, 's' },  { "no-housekeeping", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },  { NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int c, rc;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":jft:p:sHh", lo, NULL)) != -1) {
		switch (c) {
		case 'j':
			d->rd.json = 1;
			break;
		case 'f':
			d->full = 1;
			break;
		case 't':
			if ((rc = add_types(d, optarg)))
				return rc;
			break;
		case 'p':
			if (an_parse_u64(optarg, &v) || v > UINT32_MAX)
				return an_usage("dump", "bad pid '%s'", optarg);
			d->have_pid = 1;
			d->pid = (uint32_t)v;
			break;
		case 's':
			ro->order = CAP_READ_TIME;
			break;
		case 'H':
			d->housekeeping = 0;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return an_bad_option("dump", c, argv);
		}
	}
	if (optind >= argc)
		return an_usage("dump", "no capture file given");
	return 0;
}

static int wanted(const struct dump *d, const struct cap_rec *rec)
{
	size_t i;

	if (!d->housekeeping && an_rec_is_housekeeping(rec->hdr.type))
		return 0;
	if (d->have_pid && rec->hdr.pid != d->pid)
		return 0;
	if (!d->ntypes)
		return 1;
	for (i = 0; i < d->ntypes; i++)
		if (d->types[i] == rec->hdr.type)
			return 1;
	return 0;
}

static struct join *join_find(struct dump *d, const struct cap_rec *rec, int create)
{
	struct join *free_slot = NULL;
	size_t i;

	for (i = 0; i < MAX_JOINS; i++) {
		struct join *j = &d->joins[i];

		if (j->used && j->seq == rec->hdr.seq && j->file == rec->file_index)
			return j;
		if (!j->used && !free_slot)
			free_slot = j;
	}
	if (!create || !free_slot)
		return NULL;
	free_slot->used = 1;
	free_slot->seq = rec->hdr.seq;
	free_slot->file = rec->file_index;
	free_slot->data.len = 0;
	return free_slot;
}

/*
 * --full: keep chunks until the last one (no CAP_RF_MORE), then render the
 * whole payload once.  Returns 1 when the record was consumed.
 */
static int join_chunk(struct dump *d, const struct cap_rec *rec, FILE *out, int *rc)
{
	int more = rec->hdr.flags & CAP_RF_MORE;
	struct join *j;

	if (!d->full || (!more && !rec->hdr.data_off))
		return 0;
	j = join_find(d, rec, more && rec->hdr.data_off == 0);
	if (!j || j->data.len != rec->hdr.data_off) {
		/* a chunk without its start (lost or before a cut): show it alone */
		d->lost_chunks++;
		if (j)
			j->used = 0;
		return 0;
	}
	an_rec_decode(&d->dec, rec);
	*rc = cap_buf_append(&j->data, d->dec.payload, d->dec.payload_len);
	if (*rc || more)
		return 1;
	*rc = an_render_rec(&d->rd, rec, &d->dec, j->data.p ? j->data.p : rec->data, j->data.len,
			    1, out);
	j->used = 0;
	return 1;
}

static int dump_one(struct dump *d, const struct cap_rec *rec, FILE *out)
{
	int rc = 0;

	if (rec->hdr.type == CAP_REC_META)
		an_clock_from_meta(&d->rd.clk, rec->data, rec->data_len);
	d->read++;
	if (!wanted(d, rec))
		return 0;
	d->shown++;
	if (join_chunk(d, rec, out, &rc))
		return rc;
	if (rec->hdr.type == CAP_REC_PACKET)
		an_pkt_decode(&d->dec, rec);
	else
		an_rec_decode(&d->dec, rec);
	return an_render_rec(&d->rd, rec, &d->dec, d->dec.payload, d->dec.payload_len, 0, out);
}

static void dump_finish(struct dump *d, struct cap_reader *r)
{
	const char *w;
	size_t i;

	for (i = 0; i < MAX_JOINS; i++) {
		if (d->joins[i].used)
			an_err("warning: record seq %" PRIu64 ": payload ends after %zu bytes "
			       "without its last chunk", d->joins[i].seq, d->joins[i].data.len);
		cap_buf_release(&d->joins[i].data);
	}
	if (d->lost_chunks)
		an_err("warning: %" PRIu64 " continuation chunks without their first chunk "
		       "were shown alone", d->lost_chunks);
	for (i = 0; (w = cap_reader_warning(r, i)); i++)
		an_err("warning: %s", w);
	/*
	 * The summary goes to a terminal's stderr only: scripts often
	 * capture dump's 2>&1 and parse every line as a record.
	 */
	if (isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO))
		an_err("%" PRIu64 " records read, %" PRIu64 " shown", d->read, d->shown);
	an_render_release(&d->rd);
}

static int dump_run(struct dump *d, struct cap_reader *r, const char *const *paths, size_t n)
{
	struct an_progress pg;
	struct cap_rec rec;
	int rc;

	/* no progress line when the records go to the same terminal */
	an_progress_init(&pg, "dump", paths, isatty(STDOUT_FILENO) ? 0 : n);
	while ((rc = cap_reader_next(r, &rec)) > 0) {
		if (dump_one(d, &rec, stdout)) {
			an_progress_end(&pg);
			an_err("out of memory");
			return AN_EXIT_DATA;
		}
		an_progress_update(&pg, rec.file_index, rec.frame_off);
	}
	an_progress_end(&pg);
	fflush(stdout);
	if (rc < 0) {
		an_err_cap(cap_reader_err(r), "records before this point were printed");
		return AN_EXIT_DATA;
	}
	return ferror(stdout) ? AN_EXIT_DATA : AN_EXIT_OK;
}

int an_dump_main(int argc, char **argv)
{
	struct cap_reader_opts ro;
	struct cap_reader *r = NULL;
	struct cap_err err;
	struct dump *d;
	int rc;

	d = calloc(1, sizeof(*d));
	if (!d) {
		an_err("out of memory");
		return AN_EXIT_DATA;
	}
	d->housekeeping = 1;
	cap_reader_opts_init(&ro);
	ro.packets = 1; /* one line per packet of `asrecord -i` */
	rc = parse_args(d, &ro, argc, argv);
	if (rc) {
		free(d);
		return rc < 0 ? AN_EXIT_OK : rc;
	}
	if (an_bundle_inputs(&argc, &argv, optind)) {
		free(d);
		return AN_EXIT_DATA;
	}
	d->rd.preview = d->full ? SIZE_MAX : PREVIEW;
	d->rd.multi_file = argc - optind > 1;
	if (cap_reader_open((const char *const *)argv + optind, (size_t)(argc - optind), &ro, &r,
			    &err)) {
		an_err_cap(&err, NULL);
		free(d);
		return AN_EXIT_DATA;
	}
	rc = dump_run(d, r, (const char *const *)argv + optind, (size_t)(argc - optind));
	dump_finish(d, r);
	cap_reader_close(r);
	free(d);
	return rc;
}
