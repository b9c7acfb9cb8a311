/* SPDX-License-Identifier: MIT */
/*
 * asreplay.c - main: options, open (analyzing captures into a cached
 * database first), then the terminal loop or --print.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze/bundle.h"
#include "tui_app.h"
#include "tui_build.h"
#include "tui_crt.h"
#include "tui_keys.h"
#include "tui_line.h"
#include "tui_model.h"
#include "tui_panel.h"

static volatile sig_atomic_t stop_signal;

struct opts {
	const char *filter;
	const char *db;
	int print, rebuild, quiet;
	struct tui_build_opts build;
	char **files;
	int nfiles;
};

static const char usage_text[] =
	"usage: asreplay [OPTIONS] FILE...\n"
	"\n"
	"Browse a capture (one file, several rotated files) or an exported .db in a\n"
	"terminal: timeline, process tree, LLM conversations, filters, playback.\n"
	"A capture is analyzed once into FILE.db beside it (a cache).\n"
	"\n"
	"  --print           write the timeline as plain text and exit\n"
	"  -f, --filter EXPR start with this filter (also for --print), e.g.\n"
	"                    'kind=exec,file pid=4711 since=10s text=curl'\n"
	"  --db PATH         cache the analysis here instead of FILE.db\n"
	"  --rebuild         analyze again even if the cache is fresh\n"
	"  --pricing FILE    cost table for the analysis\n"
	"  --no-redact       keep secrets as captured in the cache\n"
	"  -q, --quiet       no progress messages\n"
	"  -h, --help        this help;  --version\n"
	"\n"
	"In the terminal press ? for the keys.  See asreplay(1).\n";

static void die_usage(const char *fmt, const char *arg)
{
	fputs("asreplay: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\ntry 'asreplay --help'\n", stderr);
	exit(2);
}

static void parse(struct opts *o, int argc, char **argv)
{
	enum { O_PRINT = 256, O_DB, O_REBUILD, O_PRICING, O_NO_REDACT, O_VERSION };
	static const struct option lo[] = {
		{ "print", no_argument, NULL, O_PRINT }, { "filter", required_argument, NULL, 'f' },
		{ "db", required_argument, NULL, O_DB }, { "rebuild", no_argument, NULL, O_REBUILD },
		{ "pricing", required_argument, NULL, O_PRICING },
		{ "no-redact", no_argument, NULL, O_NO_REDACT }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:qh", lo, NULL)) != -1) {
		switch (c) {
		case O_PRINT: o->print = 1; break;
		case 'f': o->filter = optarg; break;
		case O_DB: o->db = optarg; break;
		case O_REBUILD: o->rebuild = 1; break;
		case O_PRICING: o->build.pricing = optarg; break;
		case O_NO_REDACT: o->build.no_redact = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case O_VERSION: printf("asreplay %s\n", ASIGHT_VERSION); exit(0);
		case ':': die_usage("option '%s' needs an argument", argv[optind - 1]); break;
		default: die_usage("unknown option '%s'", argv[optind - 1]); break;
		}
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	if (!o->nfiles)
		die_usage("%s", "no file given");
	{ /* an incident bundle: its capture members, cached in BUNDLE.db (bundle.h) */
		char msg[1024];

		if (bundle_replay_inputs(&o->files, &o->nfiles, &o->db, msg, sizeof(msg)))
			fprintf(stderr, "asreplay: %s\n", msg), exit(1);
	}
}

struct progress {
	int tty, quiet, last_pct;
	char last_what[128];
};

/* A first open: the timeline from memory while the cache is written. */
struct cache {
	struct tui_build_bg *bg;
	struct tui_app *a;         /* NULL until the terminal runs */
	struct tui_screen *scr;
	struct progress *p;
	char db[PATH_MAX];
	int64_t t0;
	int over;                  /* attached, or failed for good */
};

static void progress(void *ctx, const char *what, int pct)
{
	struct progress *p = ctx;

	if (pct == -2) {
		char w[1024];

		snprintf(w, sizeof(w), "%s", what);
		bundle_fix_text(w, sizeof(w)); /* a bundle member by its name */
		fprintf(stderr, "%sasreplay: warning: %s\n", p->tty ? "\r\033[K" : "", w);
		return;
	}
	if (p->quiet || (!strcmp(what, p->last_what) && (pct == p->last_pct || !p->tty)))
		return;
	if (p->tty)
		fprintf(stderr, "\r\033[Kasreplay: %s", what);
	else
		fprintf(stderr, "asreplay: %s", what);
	if (pct >= 0)
		fprintf(stderr, " %d%%", pct);
	fputs(p->tty ? "" : "\n", stderr);
	fflush(stderr);
	snprintf(p->last_what, sizeof(p->last_what), "%s", what);
	p->last_pct = pct;
}

static int is_sqlite(const char *path)
{
	char magic[16] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(magic, 1, sizeof(magic), f) : 0;

	if (f)
		fclose(f);
	return n == 16 && !memcmp(magic, "SQLite format 3", 16);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The writer is done: switch the model to the cache and free the memory
 * copy, or keep the memory one and say why there is no cache. */
static void cache_attach(struct cache *c, struct tui_model *m)
{
	char msg[512];
	int rc = tui_build_wait(c->bg, msg, sizeof(msg));

	if (!rc)
		rc = tui_model_attach(m, c->db, msg, sizeof(msg));
	c->over = 1;
	if (!rc)
		tui_build_drop(c->bg);
	else
		bundle_fix_text(msg, sizeof(msg));
	if (c->a) {
		c->a->note[0] = 0;
		if (rc)
			tui_app_message(c->a, 1, "no cache: %s", msg);
	} else if (rc) {
		fprintf(stderr, "asreplay: no cache: %s\n", msg);
	}
}

static void cache_note(struct cache *c)
{
	if (c->a)
		snprintf(c->a->note, sizeof(c->a->note), "writing the cache %llds",
			 (long long)((now_ns() - c->t0) / 1000000000));
}

/* tui_model's wait: what needs the cache's tables waits for it here. */
static void cache_wait(void *ctx, struct tui_model *m)
{
	struct cache *c = ctx;
	struct timespec ts = { 0, 100000000 };
	struct tui_line *l;

	while (!c->over && !tui_build_done(c->bg)) {
		cache_note(c);
		if (c->scr && c->scr->nrows) {
			l = &c->scr->rows[c->scr->nrows - 1];
			tui_line_reset(l);
			tui_line_addf(l, TA_KEY, "waiting for the cache (%s)...", c->a->note);
			tui_panel_draw(c->scr);
		} else {
			progress(c->p, "writing the cache", -1);
		}
		nanosleep(&ts, NULL);
	}
	if (!c->over)
		cache_attach(c, m);
}

static int open_building(const char *const *files, size_t n, const char *db,
			 const struct opts *o, struct progress *p, struct tui_model **m,
			 struct cache *c)
{
	char msg[512];
	int rc = tui_build_start(files, n, db, &o->build, progress, p, &c->bg, msg, sizeof(msg));

	if (p->tty && !p->quiet)
		fputs("\r\033[K", stderr);
	if (rc) {
		bundle_fix_text(msg, sizeof(msg));
		fprintf(stderr, "asreplay: %s\n", msg);
		return -1;
	}
	snprintf(c->db, sizeof(c->db), "%s", db);
	c->p = p;
	c->t0 = now_ns();
	if (tui_model_open_mem(tui_build_events(c->bg), db, cache_wait, c, m)) {
		fprintf(stderr, "asreplay: out of memory\n");
		return -1;
	}
	return 0;
}

/* Open a .db as is, or analyze captures into their cache first (for the
 * terminal, the cache is written while the timeline is shown: @c). */
static int open_model(const struct opts *o, struct progress *p, struct tui_model **m,
		      struct cache *c)
{
	const char *const *files = (const char *const *)o->files;
	char db[PATH_MAX], msg[512];
	size_t n = (size_t)o->nfiles;
	int rc;

	if (n == 1 && !o->db && is_sqlite(files[0])) {
		snprintf(db, sizeof(db), "%s", files[0]);
	} else {
		if (o->db)
			snprintf(db, sizeof(db), "%s", o->db);
		else if (tui_build_path(files, n, db, sizeof(db)))
			return fprintf(stderr, "asreplay: '%s': path too long\n",
				       bundle_name(files[0], msg, sizeof(msg))), -1;
		if (!o->print && (o->rebuild || !tui_build_fresh(db, files, n)))
			return open_building(files, n, db, o, p, m, c);
		if (o->rebuild || !tui_build_fresh(db, files, n)) {
			rc = tui_build_run(files, n, db, &o->build, progress, p, msg, sizeof(msg));
			if (rc) {
				bundle_fix_text(msg, sizeof(msg));
				fprintf(stderr, "%sasreplay: %s\n", p->tty ? "\r\033[K" : "", msg);
				return -1;
			}
		}
	}
	rc = tui_model_open(db, progress, p, m, msg, sizeof(msg));
	if (p->tty && !p->quiet)
		fputs("\r\033[K", stderr);
	if (rc) {
		bundle_fix_text(msg, sizeof(msg));
		fprintf(stderr, "asreplay: '%s': %s\n", db, msg);
		return -1;
	}
	return 0;
}

static int apply_filter(struct tui_model *m, const char *expr)
{
	struct tui_filter f;
	char msg[128];

	if (!expr)
		return 0;
	if (tui_filter_parse(&f, expr, msg, sizeof(msg))) {
		fprintf(stderr, "asreplay: --filter: %s\n", msg);
		return -1;
	}
	return tui_model_set_filter(m, &f);
}

/* The timeline as text, a page at a time: memory stays one page. */
static int print_timeline(struct tui_model *m, int utf8)
{
	struct tui_event *page = malloc(1024 * sizeof(*page));
	char wall[64], rel[32], comm[64], text[TUI_TEXT_MAX * 10], pid[24];
	int64_t next = 1;
	size_t n, i;

	if (!page)
		return -1;
	while ((n = tui_model_fetch(m, next, +1, page, 1024)) > 0) {
		for (i = 0; i < n; i++) {
			const struct tui_event *e = &page[i];

			tui_escape(comm, sizeof(comm), e->comm, strlen(e->comm), utf8);
			tui_escape(text, sizeof(text), e->text, e->text_len, utf8);
			snprintf(pid, sizeof(pid), "%ld", e->pid);
			printf("%s %12s %7s %-15s %-5s %s\n",
			       tui_model_wall(m, e->ts, wall, sizeof(wall)),
			       tui_model_rel(m, e->ts, rel, sizeof(rel)), e->pid >= 0 ? pid : "-",
			       comm, tui_kind_name(e->kind), text);
		}
		next = page[n - 1].id + 1;
		if (ferror(stdout))
			break;
	}
	free(page);
	return fflush(stdout) || ferror(stdout) ? -1 : 0;
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void new_screen(struct tui_app *a, struct tui_screen *s)
{
	int rows, cols;

	tui_crt_size(&rows, &cols);
	tui_crt_repaint();
	tui_app_resize(a, rows, cols);
	tui_screen_release(s);
	tui_screen_init(s, a->rows, a->cols);
}

/* While the cache is written: its note ticks, and the switch redraws. */
static int cache_poll(struct cache *c, struct tui_model *m)
{
	char old[sizeof(c->a->note)];

	if (!c->bg || c->over)
		return 0;
	if (tui_build_done(c->bg)) {
		cache_attach(c, m);
		/* the same rows (ids, texts), now read from the cache; not
		 * in cache_wait, which may run while a view holds a row */
		tui_tl_reload(c->a);
		return 1;
	}
	snprintf(old, sizeof(old), "%s", c->a->note);
	cache_note(c);
	return strcmp(old, c->a->note) != 0;
}

static int run_tui(struct tui_model *m, const struct opts *o, int utf8, struct cache *c)
{
	struct tui_screen scr = { 0 };
	struct tui_app a;
	int rows, cols, key, fl = TR_REDRAW, switched;

	if (tui_crt_init())
		return fprintf(stderr, "asreplay: cannot initialize the terminal\n"), -1;
	tui_crt_size(&rows, &cols);
	tui_app_init(&a, m, rows, cols, utf8);
	if (o->filter)
		snprintf(a.filter_text, sizeof(a.filter_text), "%s", o->filter);
	c->a = &a;
	c->scr = &scr;
	cache_poll(c, m);
	new_screen(&a, &scr);
	while (!stop_signal && !a.quit) {
		if (fl & TR_REDRAW) {
			tui_app_render(&a, &scr);
			tui_panel_draw(&scr);
		}
		key = tui_crt_key(a.playing ? 40 : 250);
		switched = cache_poll(c, m) ? TR_REDRAW : TR_NONE;
		if (key < 0) {
			fl = tui_app_tick(&a, now_ns()) ? TR_REDRAW : switched;
			continue;
		}
		if (key == TUI_K_RESIZE)
			new_screen(&a, &scr);
		if (key == TUI_CTRL('l'))
			tui_crt_repaint();
		fl = tui_keys_handle(&a, key) | switched |
		     (key == TUI_K_RESIZE || key == TUI_CTRL('l') ? TR_REDRAW : 0);
		if (a.playing)
			tui_app_tick(&a, now_ns());
	}
	tui_crt_done();
	c->a = NULL;
	c->scr = NULL;
	tui_screen_release(&scr);
	tui_app_release(&a);
	return 0;
}

int main(int argc, char **argv)
{
	struct progress p = { .tty = isatty(2), .last_pct = -9 };
	struct tui_model *m = NULL;
	struct cache c = { 0 };
	struct opts o;
	int utf8, rc;

	setlocale(LC_ALL, "");
	utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	parse(&o, argc, argv);
	p.quiet = o.quiet;
	if (!o.print && (!isatty(0) || !isatty(1))) {
		fprintf(stderr, "asreplay: not a terminal: use --print for text output\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (open_model(&o, &p, &m, &c) || apply_filter(m, o.filter)) {
		tui_model_close(m);
		tui_build_abandon(c.bg);
		return 1;
	}
	rc = o.print ? print_timeline(m, utf8) : run_tui(m, &o, utf8, &c);
	tui_model_close(m);
	if (c.bg && stop_signal) {
		/* no waiting on a signal: no half-written cache either */
		tui_build_abandon(c.bg);
		return 1;
	}
	if (c.bg && !tui_build_done(c.bg) && !o.quiet)
		fprintf(stderr, "asreplay: finishing the cache '%s'\n", c.db);
	tui_build_free(c.bg);
	return rc ? 1 : 0;
}
