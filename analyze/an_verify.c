/* SPDX-License-Identifier: MIT */
/*
 * an_verify.c - `asanalyze verify FILE...`: read every file with the hash
 * chain recomputed (cap_reader opts.verify) and insist that it is complete:
 * every chain block matches, no read error, footer and seek table present.
 * Files are checked one by one so each gets its own verdict.
 */
#include "an_verify.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "an_cli.h"
#include "an_fmt.h"
#include "an_seek.h"
#include "analyze/bundle.h"
#include "format/cap_reader.h"

static const char usage[] =
	"usage: asanalyze verify [-q] FILE...\n"
	"\n"
	"Recompute the SHA-256 hash chain of each capture file and check that the\n"
	"file is complete (footer and seek table present).  Exit 0 only when every\n"
	"file passes; otherwise name the first bad frame (number and byte offset)\n"
	"and exit 1.  A bundle (asanalyze bundle) is read without unpacking: every\n"
	"member is checked against its MANIFEST.json, then each capture member.\n"
	"\n"
	"  -q, --quiet   print nothing when a file passes\n"
	"  -h, --help    this help\n";

struct verdict {
	int read_error;
	struct cap_err err;
	struct cap_reader_stats st;
	uint64_t chains;
	uint64_t last_frame_off;
	int footer_seen;
	uint8_t final_hash[32];
};

/* Name the frame that holds byte @off through the seek table, if any. */
static void name_frame_at(const char *path, const char *name, uint64_t off)
{
	struct an_seek s;
	long k;

	if (off == CAP_OFF_NONE || an_seek_load(path, &s))
		return;
	k = an_seek_frame_at(&s, off);
	if (k >= 0)
		an_err("'%s': first bad frame: %" PRIu64 " at offset %" PRIu64, name,
		       an_seek_frame_no(&s, (size_t)k), s.f[k].off);
	an_seek_free(&s);
}

static int read_all(const char *path, struct verdict *v)
{
	struct cap_reader_opts o;
	struct an_progress pg;
	struct cap_reader *r;
	struct cap_rec rec;
	const char *w;
	size_t i;
	int rc;

	cap_reader_opts_init(&o);
	o.verify = 1;
	memset(v, 0, sizeof(*v));
	if (cap_reader_open(&path, 1, &o, &r, &v->err))
		return -1;
	an_progress_init(&pg, "verify", &path, 1);
	while ((rc = cap_reader_next(r, &rec)) > 0) {
		if (rec.hdr.type == CAP_REC_CHAIN)
			v->chains++;
		if (rec.hdr.type == CAP_REC_FOOTER) {
			struct cap_footer ft;

			cap_rec_fixed(&rec, &ft, sizeof(ft));
			memcpy(v->final_hash, ft.final_hash, sizeof(v->final_hash));
			v->footer_seen = 1;
		}
		v->last_frame_off = rec.frame_off;
		an_progress_update(&pg, 0, rec.frame_off);
	}
	an_progress_end(&pg);
	if (rc < 0) {
		v->read_error = 1;
		v->err = *cap_reader_err(r);
	}
	cap_reader_stats(r, &v->st);
	for (i = 0; (w = cap_reader_warning(r, i)); i++)
		an_err("warning: %s", w);
	cap_reader_close(r);
	return 0;
}

/* Print the verdict for one file; returns 1 when it passed. */
static int judge(const char *path, const char *name, const struct verdict *v, int quiet)
{
	const struct cap_reader_stats *s = &v->st;
	int clean = s->has_footer && s->has_seek_table && !s->truncated;
	int ok = !v->read_error && !s->chain_bad && s->chain_ok > 0 && clean;

	if (v->read_error) {
		an_err_cap(&v->err, NULL);
		name_frame_at(path, name, v->err.offset);
	}
	if (s->chain_bad)
		an_err("'%s': frame %" PRIu64 " at offset %" PRIu64 ": hash chain mismatch "
		       "(%" PRIu64 " of %" PRIu64 " chain blocks bad)",
		       name, s->first_bad_frame, s->first_bad_off, s->chain_bad,
		       s->chain_bad + s->chain_ok);
	if (!v->read_error && !s->chain_bad && !s->chain_ok)
		an_err("'%s': no hash chain to verify (%s)", name,
		       s->truncated ? "the file ends before its first complete frame"
				    : "written without chain blocks");
	if (!clean)
		an_err("'%s': not closed cleanly (%s%s%s); run 'asanalyze repair'", name,
		       s->truncated ? "truncated tail, " : "",
		       s->has_footer ? "footer present" : "no footer",
		       s->has_seek_table ? ", seek table present" : ", no seek table");
	if (ok && !quiet)
		printf("'%s': ok: %" PRIu64 " frames, %" PRIu64 " chain blocks match, "
		       "%" PRIu64 " records, closed cleanly\n",
		       name, s->frames, s->chain_ok, s->records);
	else if (!ok)
		printf("'%s': FAILED: %" PRIu64 " chain blocks match, %" PRIu64 " bad%s, "
		       "closed cleanly: %s\n",
		       name, s->chain_ok, s->chain_bad, v->read_error ? ", read error" : "",
		       clean ? "yes" : "no");
	return ok;
}

static void bundle_problem(void *ctx, const char *msg)
{
	(void)ctx;
	an_err("%s", msg);
}

/* The capture agrees with what the manifest recorded of it. */
static int manifest_agrees(const struct bundle *b, const struct bundle_member *m,
			   const char *name, const struct verdict *v)
{
	char want[65], got[65];
	uint64_t frames;

	if (bundle_manifest_capture(b, m->name, want, &frames)) {
		an_err("'%s': not among the captures of %s", name, BUNDLE_MANIFEST);
		return 0;
	}
	if (v->footer_seen)
		bundle_hex(v->final_hash, got);
	else
		got[0] = 0;
	if (strcmp(want, got) || frames != v->st.frames) {
		an_err("'%s': %s recorded final chain hash %s and %" PRIu64 " frames, the member "
		       "has %s and %" PRIu64, name, BUNDLE_MANIFEST, want[0] ? want : "(none)",
		       frames, got[0] ? got : "(none)", v->st.frames);
		return 0;
	}
	return 1;
}

/* Every member against the manifest, then each capture member as a file. */
static int verify_bundle(const char *path, int quiet)
{
	struct bundle *b;
	struct verdict v;
	char name[1024];
	size_t i, bad;
	int ok;

	if (bundle_read(path, &b, name, sizeof(name))) {
		an_err("%s", name);
		printf("'%s': FAILED: unreadable bundle\n", path);
		return 0;
	}
	bad = bundle_check(b, bundle_problem, NULL);
	ok = !bad && b->ncaptures > 0;
	if (!b->ncaptures)
		an_err("'%s': no capture in the bundle", path);
	for (i = 0; i < b->n; i++) {
		const struct bundle_member *m = &b->m[i];

		if (m->fd < 0)
			continue;
		snprintf(name, sizeof(name), "%s:%s", path, m->name);
		if (read_all(m->path, &v)) {
			bundle_fix_text(v.err.file, sizeof(v.err.file));
			an_err_cap(&v.err, NULL);
			ok = 0;
			continue;
		}
		if (!judge(m->path, name, &v, quiet) || !manifest_agrees(b, m, name, &v))
			ok = 0;
	}
	if (ok && !quiet)
		printf("'%s': ok: %zu members match %s\n", path, b->n, BUNDLE_MANIFEST);
	else if (!ok)
		printf("'%s': FAILED: %zu of %zu members do not match %s\n", path, bad,
		       b->n, BUNDLE_MANIFEST);
	bundle_free(b, 0);
	return ok;
}

int an_verify_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct verdict v;
	int c, quiet = 0, bad = 0, i;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":qh", lo, NULL)) != -1) {
		if (c == 'q') {
			quiet = 1;
		} else if (c == 'h') {
			fputs(usage, stdout);
			return AN_EXIT_OK;
		} else {
			return an_bad_option("verify", c, argv);
		}
	}
	if (optind >= argc)
		return an_usage("verify", "no capture file given");
	for (i = optind; i < argc; i++) {
		if (bundle_detect(argv[i])) {
			bad |= !verify_bundle(argv[i], quiet);
			fflush(stdout);
			continue;
		}
		if (read_all(argv[i], &v)) {
			an_err_cap(&v.err, NULL);
			bad = 1;
			continue;
		}
		if (!judge(argv[i], argv[i], &v, quiet))
			bad = 1;
		fflush(stdout);
	}
	return bad ? AN_EXIT_DATA : AN_EXIT_OK;
}
