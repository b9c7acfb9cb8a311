/* SPDX-License-Identifier: MIT */
/*
 * an_cmds_bundle.c - `asanalyze bundle OUT.tar.zst FILE...`: pack the
 * captures (byte-exact), the SQLite export, a text summary and a manifest
 * into one zstd-compressed tar (see bundle.h).
 */
#include "an_cmds_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analyze/an_cli.h"
#include "analyze/an_cmds.h"
#include "analyze/an_cmds_priv.h"
#include "analyze/an_fmt.h"
#include "analyze/an_info.h"
#include "analyze/an_safeout.h"
#include "analyze/autil.h"
#include "analyze/bundle.h"
#include "analyze/bundle_write.h"
#include "analyze/db.h"
#include "format/cap_reader.h"

#ifndef ASIGHT_VERSION
#define ASIGHT_VERSION "unknown"
#endif

#define SUMMARY_LINES 400 /* per section of conversations and explain; tree 5x */

static const char bundle_usage[] =
	"usage: asanalyze bundle [OPTIONS] OUT.tar.zst FILE...\n"
	"\n"
	"Pack an incident bundle: the capture files as they are, the SQLite export\n"
	"(analysis.db), a text summary (SUMMARY.txt: info, tree, conversations,\n"
	"explain) and a manifest (MANIFEST.json, SHA256SUMS) with the SHA-256 of\n"
	"every member and each capture's hash chain.  A pax/ustar tar compressed\n"
	"with zstd; asanalyze, asreplay and verify read it without unpacking.\n"
	"\n"
	"  -f, --force     replace OUT if it exists\n"
	"  --pricing FILE  cost table\n"
	"  --no-redact     keep secrets as captured in the export and summary\n"
	"  -q, --quiet     no summary line on stderr\n"
	"  -h, --help      this help\n";

struct bopts {
	const char *out;
	const char *pricing;
	int force, quiet, no_redact;
	char **files;
	int nfiles;
};

struct bjob {
	struct bopts o;
	char *part, *dbtmp;
	char **names;                 /* member names of the captures */
	struct bundle_capinfo *caps;
	char *summary;
	size_t summary_len;
	struct an_progress pg;
	unsigned cur;
};

static int parse(struct bopts *o, int argc, char **argv)
{
	enum { O_PRICING = 256, O_NO_REDACT };
	static const struct option lo[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "pricing", required_argument, NULL, O_PRICING },
		{ "no-redact", no_argument, NULL, O_NO_REDACT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":fqh", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o->force = 1; break;
		case 'q': o->quiet = 1; break;
		case O_PRICING: o->pricing = optarg; break;
		case O_NO_REDACT: o->no_redact = 1; break;
		case 'h':
			fputs(bundle_usage, stdout);
			return AN_EXIT_OK;
		default:
			return an_bad_option("bundle", c, argv);
		}
	}
	if (argc - optind < 2)
		return an_usage("bundle", argc - optind ? "no capture file given"
							 : "give OUT.tar.zst and capture files");
	o->out = argv[optind];
	o->files = argv + optind + 1;
	o->nfiles = argc - optind - 1;
	return -1;
}

/* "captures/BASE" for each input, unique. */
static int member_names(struct bjob *j)
{
	char nb[512];
	const char *name, *base;
	int i, k, clash;

	j->names = calloc((size_t)j->o.nfiles, sizeof(*j->names));
	if (!j->names)
		return -ENOMEM;
	for (i = 0; i < j->o.nfiles; i++) {
		name = bundle_name(j->o.files[i], nb, sizeof(nb));
		base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
		base = strrchr(base, ':') && name != j->o.files[i] ? strrchr(base, ':') + 1 : base;
		j->names[i] = au_fmt(BUNDLE_CAPDIR "%s", base);
		for (clash = 0, k = 0; j->names[i] && k < i; k++)
			clash |= !strcmp(j->names[k], j->names[i]);
		if (clash) { /* same base name in two directories */
			free(j->names[i]);
			j->names[i] = au_fmt(BUNDLE_CAPDIR "%d-%s", i + 1, base);
		}
		if (!j->names[i])
			return -ENOMEM;
	}
	return 0;
}

/* What verify learns: frames, chain blocks, the footer's final hash. */
static void chain_info(struct bjob *j, int i)
{
	struct bundle_capinfo *c = &j->caps[i];
	const char *path = j->o.files[i];
	struct cap_reader_opts o;
	struct cap_reader_stats s;
	struct cap_footer ft;
	struct cap_reader *r;
	struct cap_rec rec;
	struct cap_err err;
	char nb[512];
	int rc;

	c->member = j->names[i];
	c->source = bundle_name(path, nb, sizeof(nb)) == path ? path : j->names[i];
	cap_reader_opts_init(&o);
	o.verify = 1;
	if (cap_reader_open(&path, 1, &o, &r, &err)) {
		cap_strerror(&err, c->error, sizeof(c->error));
		bundle_fix_text(c->error, sizeof(c->error));
		return;
	}
	while ((rc = cap_reader_next(r, &rec)) > 0) {
		an_progress_update(&j->pg, (unsigned)i, rec.frame_off);
		if (rec.hdr.type != CAP_REC_FOOTER)
			continue;
		cap_rec_fixed(&rec, &ft, sizeof(ft));
		memcpy(c->final_hash, ft.final_hash, sizeof(c->final_hash));
		c->footer_frames = ft.frames;
		c->footer_records = ft.records;
		c->footer_seen = 1;
	}
	if (rc < 0) {
		cap_strerror(cap_reader_err(r), c->error, sizeof(c->error));
		bundle_fix_text(c->error, sizeof(c->error));
	}
	cap_reader_stats(r, &s);
	c->frames = s.frames;
	c->chain_ok = s.chain_ok;
	c->chain_bad = s.chain_bad;
	c->records = s.records;
	c->sections = s.sections;
	c->has_footer = s.has_footer;
	c->has_seek_table = s.has_seek_table;
	c->truncated = s.truncated;
	cap_reader_close(r);
}

/* Run verb @fn in a child with stdout and stderr into a memfd; returns
 * the memfd (its output) or -1. */
static int run_verb(int (*fn)(int, char **), char **argv)
{
	int fd = memfd_create("bundle-summary", MFD_CLOEXEC), argc = 0, st;
	pid_t pid;

	while (argv[argc])
		argc++;
	if (fd < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fd);
		return -1;
	}
	if (!pid) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		st = fn(argc, argv);
		fflush(NULL);
		_exit(st);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return fd;
}

/* Copy the child's output into @f, at most @max lines (0: all). */
static void copy_out(FILE *f, int fd, size_t max)
{
	FILE *in;
	char *line = NULL;
	size_t cap = 0, n = 0, more = 0;

	lseek(fd, 0, SEEK_SET);
	in = fdopen(fd, "r");
	if (!in) {
		close(fd);
		return;
	}
	while (getline(&line, &cap, in) > 0) {
		if (max && n >= max) {
			more++;
			continue;
		}
		fputs(line, f);
		n++;
	}
	if (more)
		fprintf(f, "... %zu more lines: run the verb on the bundle to see them all\n", more);
	free(line);
	fclose(in);
}

/*
 * A stream into @dst keeping the first @max lines (0: all) and counting the
 * rest, as the summary shows a verb's output.
 */
struct capped {
	FILE *dst;
	size_t max, lines, more;
	int mid;               /* in a line not yet ended */
};

static ssize_t capped_write(void *ctx, const char *p, size_t n)
{
	struct capped *c = ctx;
	const char *nl;
	size_t start = 0, end;

	while (start < n) {
		nl = memchr(p + start, '\n', n - start);
		end = nl ? (size_t)(nl - p) + 1 : n;
		if (!c->max || c->lines < c->max)
			fwrite(p + start, 1, end - start, c->dst);
		else if (!c->mid)
			c->more++;
		c->mid = !nl;
		c->lines += nl != NULL;
		start = end;
	}
	return (ssize_t)n;
}

enum { PART_TREE, PART_CONV, PART_EXPLAIN };

/* A verb's output for the model built once, into @f: the verbs print on
 * stdout, so stdout is that stream (escaped, as the verbs escape it) for
 * the while. */
static void section_model(FILE *f, const char *title, const char *verb, size_t max, int part,
			  const struct an_opts *o, const struct model *m, const struct causal *cz)
{
	cookie_io_functions_t io = { .write = capped_write };
	struct capped c = { .dst = f, .max = max };
	FILE *cf, *safe = NULL, *saved = stdout;

	fprintf(f, "\n==== %s (asanalyze %s BUNDLE) ====\n\n", title, verb);
	cf = fopencookie(&c, "w", io);
	if (cf)
		safe = an_safeout_open(cf);
	if (!safe) {
		fprintf(f, "(could not run: %s)\n", strerror(errno));
		if (cf)
			fclose(cf);
		return;
	}
	stdout = safe;
	if (part == PART_TREE)
		an_tree_print(o, m);
	else if (part == PART_CONV)
		an_conv_print(o, m);
	else
		an_explain_print(o, m, cz);
	fclose(safe); /* flushed into cf, which stays open */
	stdout = saved;
	fclose(cf);
	if (c.more)
		fprintf(f, "... %zu more lines: run the verb on the bundle to see them all\n",
			c.more);
}

/* The summary's model sections, in a thread of their own while the main
 * one finishes the SQLite export; both only read the model. */
struct parts {
	FILE *f;
	struct an_opts o;
	const struct model *m;
	const struct causal *cz;
	pthread_t t;
	int running;
	struct model_bg_free free; /* the model, freed once both are done */
};

static void *parts_run(void *ctx)
{
	struct parts *p = ctx;

	section_model(p->f, "process tree", "tree", 5 * SUMMARY_LINES, PART_TREE, &p->o, p->m,
		      p->cz);
	section_model(p->f, "LLM conversations", "conversations", SUMMARY_LINES, PART_CONV,
		      &p->o, p->m, p->cz);
	section_model(p->f, "prompt -> tool call -> effects", "explain", SUMMARY_LINES,
		      PART_EXPLAIN, &p->o, p->m, p->cz);
	return NULL;
}

static void parts_wait(struct parts *p)
{
	if (p->running)
		pthread_join(p->t, NULL);
	else if (p->m) /* no thread: printed here */
		parts_run(p);
	p->running = 0;
	p->m = NULL;
}

/* db_opts.rows_done: the export no longer reads the model; once the
 * summary is done too, free it on the second core while SQLite indexes. */
static void parts_rows_done(void *ctx)
{
	struct parts *p = ctx;

	parts_wait(p);
	model_free_start(&p->free);
}

static void section(FILE *f, struct bjob *j, const char *title, int (*fn)(int, char **),
		    const char *verb, size_t max)
{
	char **argv = calloc((size_t)j->o.nfiles + 8, sizeof(*argv));
	int n = 0, i, fd;

	if (!argv)
		return;
	argv[n++] = (char *)verb;
	if (strcmp(verb, "info"))
		argv[n++] = (char *)"-q";
	if (j->o.no_redact && strcmp(verb, "info"))
		argv[n++] = (char *)"--no-redact";
	if (j->o.pricing && strcmp(verb, "info") && strcmp(verb, "tree")) {
		argv[n++] = (char *)"--pricing";
		argv[n++] = (char *)j->o.pricing;
	}
	for (i = 0; i < j->o.nfiles; i++)
		argv[n++] = j->o.files[i];
	fprintf(f, "\n==== %s (asanalyze %s BUNDLE) ====\n\n", title, verb);
	fflush(f);
	fd = run_verb(fn, argv);
	if (fd < 0)
		fprintf(f, "(could not run: %s)\n", strerror(errno));
	else
		copy_out(f, fd, max);
	free(argv);
}

static void summary_head(FILE *f, struct bjob *j)
{
	char when[32], hex[65];
	time_t now = time(NULL);
	struct tm tm;
	int i;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(f, "asight incident bundle\ncreated: %s by asanalyze %s\n", when, ASIGHT_VERSION);
	fprintf(f, "members: %s (capture files as recorded), %s (SQLite export, see\n"
		"asanalyze-schema(7)), %s, %s and %s (SHA-256 of every member)\n",
		BUNDLE_CAPDIR, BUNDLE_DB, BUNDLE_SUMMARY, BUNDLE_MANIFEST, BUNDLE_SUMS);
	fprintf(f, "secrets: %s\n", j->o.no_redact ? "kept as captured (--no-redact)"
						  : "redacted in the export and this summary; "
						    "the captures are unchanged");
	fputs("\ncaptures (hash chain as 'asanalyze verify' checks it):\n", f);
	for (i = 0; i < j->o.nfiles; i++) {
		const struct bundle_capinfo *c = &j->caps[i];

		fprintf(f, "  %s\n    from %s\n    %llu frames, %llu records, chain blocks %llu ok"
			" %llu bad, %s\n", c->member, c->source, (unsigned long long)c->frames,
			(unsigned long long)c->records, (unsigned long long)c->chain_ok,
			(unsigned long long)c->chain_bad,
			c->has_footer && c->has_seek_table && !c->truncated ? "closed cleanly"
									     : "NOT closed cleanly");
		if (c->footer_seen) {
			bundle_hex(c->final_hash, hex);
			fprintf(f, "    final chain hash %s\n", hex);
		}
		if (c->error[0])
			fprintf(f, "    read error: %s\n", c->error);
	}
}

/* The model's rows into the SQLite export as it is built (db_stream), or
 * all at the end when that cannot start. */
static struct model *load(struct bjob *j, const struct an_opts *ao, struct db_stream **ds)
{
	struct db_counts cnt;
	struct model *m;
	char msg[512];

	if (db_stream_open(j->dbtmp, ds, msg, sizeof(msg)))
		*ds = NULL;
	m = an_load_rows(ao, *ds ? db_stream_row : NULL, *ds);
	if (!m && *ds)
		db_stream_finish(*ds, NULL, NULL, NULL, &cnt, NULL, 0);
	return m;
}

/*
 * Build the model once, for the summary's tree, conversations and explain
 * and for the SQLite export (as `asanalyze export --sqlite` writes it):
 * building it is most of the work of a bundle.  The summary is printed
 * while the export is finished, and the model is freed on the second core
 * while SQLite builds its indexes.
 */
static int analyze(struct bjob *j, FILE *f)
{
	struct an_opts ao = { .verb = "bundle", .pricing = j->o.pricing,
			      .no_redact = j->o.no_redact, .quiet = j->o.quiet, .pid = -1,
			      .files = j->o.files, .nfiles = j->o.nfiles };
	struct parts p = { .f = f };
	struct db_opts dopts = { .redact = !j->o.no_redact, .causal = 1,
				 .rows_done = parts_rows_done, .rows_ctx = &p };
	struct db_stream *ds;
	struct causal *cz = NULL;
	struct db_counts cnt;
	struct model *m;
	char msg[512];
	int rc;

	m = load(j, &ao, &ds);
	if (!m)
		return -EBADMSG;
	if (causal_build(m, &cz)) {
		if (ds)
			db_stream_finish(ds, NULL, NULL, NULL, &cnt, NULL, 0);
		model_free(m);
		an_err("out of memory");
		return -ENOMEM;
	}
	p.o = ao;
	p.o.quiet = 1; /* the sections are the verbs' output with -q */
	p.m = p.free.m = m;
	p.cz = cz;
	p.running = !pthread_create(&p.t, NULL, parts_run, &p);
	rc = ds ? db_stream_finish(ds, m, cz, &dopts, &cnt, msg, sizeof(msg))
		: db_write(m, cz, j->dbtmp, &dopts, &cnt, msg, sizeof(msg));
	parts_wait(&p); /* when rows_done was not reached */
	if (p.free.started)
		pthread_join(p.free.t, NULL);
	else
		model_free(m);
	causal_free(cz);
	if (rc)
		an_err("'%s': %s", j->dbtmp, msg);
	return rc;
}

static int make_summary(struct bjob *j)
{
	FILE *f = open_memstream(&j->summary, &j->summary_len);
	int rc;

	if (!f) {
		an_err("out of memory");
		return -ENOMEM;
	}
	summary_head(f, j);
	/* info reads the files, not the model: a child, before the model exists */
	section(f, j, "capture summary", an_info_main, "info", 0);
	rc = analyze(j, f);
	if (fclose(f) && !rc) {
		an_err("out of memory");
		rc = -ENOMEM;
	}
	return rc;
}

static void pack_progress(void *ctx, uint64_t done)
{
	struct bjob *j = ctx;

	an_progress_update(&j->pg, j->cur, done);
}

static int pack(struct bjob *j, struct bundle_writer *w)
{
	struct stat st;
	char msg[768];
	int i, fd, rc = 0;

	if (bundle_writer_open(w, j->part, msg, sizeof(msg)))
		goto fail;
	w->progress = pack_progress;
	w->progress_ctx = j;
	an_progress_init(&j->pg, "bundle", (const char *const *)j->o.files, (size_t)j->o.nfiles);
	for (i = 0; i < j->o.nfiles && !rc; i++) {
		j->cur = (unsigned)i;
		fd = open(j->o.files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st)) {
			snprintf(msg, sizeof(msg), "'%s': %s", j->o.files[i], strerror(errno));
			bundle_fix_text(msg, sizeof(msg));
			an_progress_end(&j->pg);
			an_err("%s", msg);
			return -EIO;
		}
		rc = bundle_writer_add_fd(w, j->names[i], "capture", fd, st.st_mtim.tv_sec, msg,
					  sizeof(msg));
		close(fd);
	}
	an_progress_end(&j->pg);
	if (rc)
		goto fail;
	fd = open(j->dbtmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "'%s': %s", j->dbtmp, strerror(errno));
		goto fail;
	}
	rc = bundle_writer_add_fd(w, BUNDLE_DB, "sqlite", fd, time(NULL), msg, sizeof(msg));
	close(fd);
	if (rc || bundle_writer_add_mem(w, BUNDLE_SUMMARY, "summary", j->summary, j->summary_len,
					time(NULL), msg, sizeof(msg)) ||
	    bundle_writer_finish(w, j->caps, (size_t)j->o.nfiles, msg, sizeof(msg)))
		goto fail;
	return 0;
fail:
	an_err("'%s': %s", j->o.out, msg);
	return -EIO;
}

static void job_free(struct bjob *j)
{
	int i;

	if (j->dbtmp)
		unlink(j->dbtmp);
	for (i = 0; j->names && i < j->o.nfiles; i++)
		free(j->names[i]);
	free(j->names);
	free(j->caps);
	free(j->summary);
	free(j->part);
	free(j->dbtmp);
}

static int inputs(struct bjob *j)
{
	char msg[768];
	struct stat st;
	int i;

	msg[0] = 0;
	if (bundle_expand(&j->o.nfiles, &j->o.files, 0, msg, sizeof(msg))) {
		an_err("%s", msg);
		return -EINVAL;
	}
	for (i = 0; i < j->o.nfiles; i++) {
		if (stat(j->o.files[i], &st) || !S_ISREG(st.st_mode)) {
			an_err("'%s': %s", j->o.files[i],
			       errno && !S_ISREG(st.st_mode) ? strerror(errno) : "not a regular file");
			return -EINVAL;
		}
	}
	j->caps = calloc((size_t)j->o.nfiles, sizeof(*j->caps));
	j->part = au_fmt("%s.part", j->o.out);
	j->dbtmp = au_fmt("%s.part-db", j->o.out);
	if (!j->caps || !j->part || !j->dbtmp || member_names(j)) {
		an_err("out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Fail on an unwritable OUT before the long work, not after it. */
static int probe_out(const struct bjob *j)
{
	int fd = open(j->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		an_err("'%s': cannot create '%s': %s", j->o.out, j->part, strerror(errno));
		return -errno;
	}
	close(fd);
	return 0;
}

static void report(const struct bjob *j, size_t members, uint64_t in_bytes)
{
	char a[32], b[32];
	struct stat st;

	if (j->o.quiet)
		return;
	if (stat(j->o.out, &st))
		st.st_size = 0;
	an_err("wrote '%s': %d capture%s, %s, %s, %s, %s; %zu members, %s in, %s compressed",
	       j->o.out, j->o.nfiles, j->o.nfiles == 1 ? "" : "s", BUNDLE_DB, BUNDLE_SUMMARY,
	       BUNDLE_MANIFEST, BUNDLE_SUMS, members, an_fmt_size(in_bytes, a, sizeof(a)),
	       an_fmt_size((uint64_t)st.st_size, b, sizeof(b)));
}

int an_cmd_bundle(int argc, char **argv)
{
	struct bundle_writer w = { 0 };
	struct bjob j = { 0 };
	uint64_t in_bytes = 0;
	size_t members = 0;
	int rc = parse(&j.o, argc, argv), i;

	if (rc >= 0)
		return rc;
	if (!j.o.force && access(j.o.out, F_OK) == 0) {
		an_err("'%s': file exists; use --force to replace it", j.o.out);
		return AN_EXIT_DATA;
	}
	rc = AN_EXIT_DATA;
	if (inputs(&j) || probe_out(&j))
		goto out;
	an_progress_init(&j.pg, "bundle: verify", (const char *const *)j.o.files,
			 (size_t)j.o.nfiles);
	for (i = 0; i < j.o.nfiles; i++)
		chain_info(&j, i);
	an_progress_end(&j.pg);
	if (make_summary(&j))
		goto out;
	if (pack(&j, &w))
		goto out;
	members = w.n;
	in_bytes = w.in_bytes;
	bundle_writer_close(&w);
	if (rename(j.part, j.o.out)) {
		an_err("'%s': cannot rename '%s': %s", j.o.out, j.part, strerror(errno));
		goto out;
	}
	rc = AN_EXIT_OK;
	report(&j, members, in_bytes);
out:
	bundle_writer_close(&w);
	if (rc && j.part)
		unlink(j.part);
	job_free(&j);
	return rc;
}
