/* SPDX-License-Identifier: MIT */
/*
 * tui_build.c - capture files -> cached analyzer database (see tui_build.h).
 */
#include "tui_build.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyze/an_cmds.h"
#include "analyze/db.h"
#include "analyze/autil.h"
#include "analyze/model.h"
#include "tui_events.h"

int tui_build_path(const char *const *paths, size_t n, char *db, size_t size)
{
	return au_cache_path(paths, n, db, size);
}

/* "path\tsize\tmtime_ns\n" for every capture; malloc'd, NULL if one is missing. */
static char *stamp(const char *const *paths, size_t n)
{
	char *s = NULL;
	size_t len = 0, i;
	struct stat st;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	/* a cache of another schema is not fresh, whatever its captures */
	fprintf(f, "schema %d\n", DB_SCHEMA_VERSION);
	for (i = 0; i < n; i++) {
		if (stat(paths[i], &st)) {
			fclose(f);
			free(s);
			return NULL;
		}
		fprintf(f, "%s\t%lld\t%lld.%09ld\n", paths[i], (long long)st.st_size,
			(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	}
	fclose(f);
	return s;
}

int tui_build_fresh(const char *db, const char *const *paths, size_t n)
{
	sqlite3 *d = NULL;
	sqlite3_stmt *s;
	char *want = stamp(paths, n);
	int fresh = 0;

	if (want && !access(db, R_OK) &&
	    sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(d, "SELECT value FROM rp_meta WHERE key = 'stamp'", -1, &s, NULL) ==
		    SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
			fresh = !strcmp((const char *)sqlite3_column_text(s, 0), want);
		sqlite3_finalize(s);
	}
	sqlite3_close(d);
	free(want);
	return fresh;
}

struct job {
	const char *const *paths;
	size_t n;
	struct model_opts mo;
	struct model *m;
	struct cap_err err;
	int rc;
	volatile int done;
};

static void *job_run(void *arg)
{
	struct job *j = arg;

	j->rc = model_build(j->paths, j->n, &j->mo, &j->m, &j->err);
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Bytes this process has read so far (the analyzer reads the captures). */
static unsigned long long rchar(void)
{
	unsigned long long v = 0;
	char line[128];
	FILE *f = fopen("/proc/self/io", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "rchar: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* model_build in a thread while this one reports the bytes read. */
static int build_model(struct job *j, tui_progress_fn progress, void *ctx)
{
	unsigned long long total = 0, base = rchar(), now;
	struct timespec ts;
	struct stat st;
	pthread_t t;
	size_t i;

	for (i = 0; i < j->n; i++)
		if (!stat(j->paths[i], &st))
			total += (unsigned long long)st.st_size;
	if (progress)
		progress(ctx, "reading the capture", 0);
	if (pthread_create(&t, NULL, job_run, j)) {
		job_run(j);
		return j->rc;
	}
	for (;;) {
		now = rchar() - base;
		if (progress)
			progress(ctx, "reading the capture",
				 total ? (int)(now >= total ? 99 : now * 100 / total) : -1);
		/* returns as soon as the reader is done: no sleep on the way
		 * to a first screen */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!pthread_timedjoin_np(t, NULL, &ts))
			break;
	}
	return j->rc;
}

static int write_stamp(const char *db, const char *const *paths, size_t n)
{
	char *st = stamp(paths, n), *src = NULL;
	size_t len = 0, i;
	sqlite3 *d = NULL;
	sqlite3_stmt *s = NULL;
	FILE *f = open_memstream(&src, &len);
	int rc = -EIO;

	if (f) {
		for (i = 0; i < n; i++)
			fprintf(f, "%s\n", paths[i]);
		fclose(f);
	}
	if (st && src && sqlite3_open_v2(db, &d, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_exec(d, "CREATE TABLE IF NOT EXISTS rp_meta (key TEXT PRIMARY KEY, value "
			    "TEXT)", NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(d, "INSERT OR REPLACE INTO rp_meta VALUES ('stamp', ?1), "
				  "('sources', ?2)", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, st, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, src, -1, SQLITE_STATIC);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
	}
	sqlite3_finalize(s);
	sqlite3_close(d);
	free(st);
	free(src);
	return rc;
}

/* The timeline table, built from the model into a scratch file. */
struct ev_job {
	const struct model *m;
	struct tui_events *pre; /* prepared by the caller (kept), or NULL */
	char aux[PATH_MAX + 16];
	int redact, rc, started;
	pthread_t t;
	char msg[256];
};

static void *ev_run(void *arg)
{
	struct ev_job *j = arg;
	struct tui_events *e = j->pre;
	int rc = e ? 0 : tui_events_prepare(j->m, j->redact, &e);

	if (!rc)
		rc = tui_events_write(e, j->aux, NULL, NULL, j->msg, sizeof(j->msg));
	if (e != j->pre)
		tui_events_free(e);
	j->rc = rc;
	return NULL;
}

struct wctx {
	struct ev_job ej;
	struct model_bg_free b;
	int keep;   /* the model is the caller's: never freed here */
};

/* db_write is done with the model: once the timeline thread is too, the
 * model is freed on the second core while SQLite builds the indexes. */
static void rows_done(void *arg)
{
	struct wctx *c = arg;

	if (c->ej.started)
		pthread_join(c->ej.t, NULL);
	c->ej.started = 0;
	if (!c->keep)
		model_free_start(&c->b);
}

/*
 * Write the database and the timeline table, and free @m.  Both cores
 * work: the timeline is built into a scratch file and the tool-call
 * effects are found in threads while SQLite writes the tables, and the
 * model is freed in one while SQLite builds the indexes.  When the
 * timeline thread fails, tui_model_open builds the table with SQL.
 */
static int write_db(struct model *m, struct tui_events *pre, const char *tmp,
		    const struct tui_build_opts *o, tui_progress_fn progress, void *ctx, char *msg,
		    size_t msg_size)
{
	struct wctx c = { .ej = { .m = m, .pre = pre, .redact = !(o && o->no_redact), .rc = -1 },
			  .b = { .m = m }, .keep = pre != NULL };
	struct db_opts dopts = { .redact = c.ej.redact, .causal = 1, .rows_done = rows_done,
				 .rows_ctx = &c };
	struct db_counts cnt;
	int rc;

	if (progress)
		progress(ctx, "writing the database", -1);
	snprintf(c.ej.aux, sizeof(c.ej.aux), "%s-rp", tmp);
	sqlite3_initialize(); /* once, before two threads open databases */
	c.ej.started = !pthread_create(&c.ej.t, NULL, ev_run, &c.ej);
	rc = db_write(m, NULL, tmp, &dopts, &cnt, msg, msg_size);
	if (c.ej.started) /* db_write failed before rows_done */
		pthread_join(c.ej.t, NULL);
	if (c.b.started)
		pthread_join(c.b.t, NULL);
	else if (!c.keep)
		model_free(m);
	if (!rc && !c.ej.rc) {
		if (progress)
			progress(ctx, "indexing the timeline", -1);
		rc = tui_events_merge(tmp, c.ej.aux, msg, msg_size);
	}
	unlink(c.ej.aux);
	return rc;
}

/* Stamp the written database, rename it into place; on failure no file stays. */
static int finish(const char *const *paths, size_t n, const char *db, const char *tmp, int rc,
		  char *msg, size_t msg_size)
{
	if (!rc && write_stamp(tmp, paths, n)) {
		snprintf(msg, msg_size, "'%s': cannot record its sources", tmp);
		rc = -EIO;
	}
	if (!rc && rename(tmp, db)) {
		rc = -errno;
		snprintf(msg, msg_size, "'%s': %s", db, strerror(errno));
	}
	if (rc)
		unlink(tmp);
	return rc;
}

int tui_build_run(const char *const *paths, size_t n, const char *db,
		  const struct tui_build_opts *o, tui_progress_fn progress, void *ctx, char *msg,
		  size_t msg_size)
{
	struct job j = { .paths = paths, .n = n };
	char pbuf[PATH_MAX + 64], tmp[PATH_MAX + 8];
	size_t i;
	int rc;

	model_opts_init(&j.mo);
	j.mo.keep_tls = 1;
	j.mo.pricing = o && o->pricing ? o->pricing : an_pricing_default(pbuf, sizeof(pbuf));
	if (build_model(&j, progress, ctx)) {
		cap_strerror(&j.err, msg, msg_size);
		return j.rc < 0 ? j.rc : -EIO;
	}
	for (i = 0; i < j.m->nwarnings && progress; i++)
		progress(ctx, j.m->warnings[i], -2);
	snprintf(tmp, sizeof(tmp), "%s.part", db);
	rc = write_db(j.m, NULL, tmp, o, progress, ctx, msg, msg_size);
	return finish(paths, n, db, tmp, rc, msg, msg_size);
}

/* ---- a first open that does not wait for SQLite ---- */

struct tui_build_bg {
	struct job j;
	struct tui_events *e;
	struct tui_build_opts o;
	char db[PATH_MAX], tmp[PATH_MAX + 8];
	const char *hold;
	pthread_t t;
	int started, dropped, rc;
	volatile int done;
	struct model_bg_free fr;
	char msg[512];
};

static void *bg_run(void *arg)
{
	struct tui_build_bg *b = arg;
	struct timespec ts = { 0, 50000000 };

	/* tests hold the writer back to look at the screen meanwhile */
	while (b->hold && access(b->hold, F_OK))
		nanosleep(&ts, NULL);
	b->rc = write_db(b->j.m, b->e, b->tmp, &b->o, NULL, NULL, b->msg, sizeof(b->msg));
	b->rc = finish(b->j.paths, b->j.n, b->db, b->tmp, b->rc, b->msg, sizeof(b->msg));
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

int tui_build_start(const char *const *paths, size_t n, const char *db,
		    const struct tui_build_opts *o, tui_progress_fn progress, void *ctx,
		    struct tui_build_bg **out, char *msg, size_t msg_size)
{
	struct tui_build_bg *b = calloc(1, sizeof(*b));
	char pbuf[PATH_MAX + 64];
	size_t i;

	*out = NULL;
	if (!b)
		return snprintf(msg, msg_size, "out of memory"), -ENOMEM;
	b->j.paths = paths;
	b->j.n = n;
	model_opts_init(&b->j.mo);
	b->j.mo.keep_tls = 1;
	b->j.mo.pricing = o && o->pricing ? o->pricing : an_pricing_default(pbuf, sizeof(pbuf));
	if (build_model(&b->j, progress, ctx)) {
		int rc = b->j.rc < 0 ? b->j.rc : -EIO;

		cap_strerror(&b->j.err, msg, msg_size);
		free(b);
		return rc;
	}
	for (i = 0; i < b->j.m->nwarnings && progress; i++)
		progress(ctx, b->j.m->warnings[i], -2);
	if (tui_events_prepare(b->j.m, !(o && o->no_redact), &b->e)) {
		model_free(b->j.m);
		free(b);
		return snprintf(msg, msg_size, "out of memory"), -ENOMEM;
	}
	if (o)
		b->o = *o;
	b->o.pricing = NULL; /* only the analysis, done, read it */
	snprintf(b->db, sizeof(b->db), "%s", db);
	snprintf(b->tmp, sizeof(b->tmp), "%s.part", db);
	b->hold = getenv("ASREPLAY_TEST_HOLD");
	sqlite3_initialize(); /* once, before threads open databases */
	b->started = !pthread_create(&b->t, NULL, bg_run, b);
	if (!b->started)
		bg_run(b);
	*out = b;
	return 0;
}

const struct tui_events *tui_build_events(const struct tui_build_bg *b)
{
	return b->e;
}

int tui_build_done(const struct tui_build_bg *b)
{
	return __atomic_load_n(&b->done, __ATOMIC_ACQUIRE);
}

int tui_build_wait(struct tui_build_bg *b, char *msg, size_t msg_size)
{
	if (b->started)
		pthread_join(b->t, NULL);
	b->started = 0;
	if (b->rc)
		snprintf(msg, msg_size, "%s", b->msg);
	return b->rc;
}

void tui_build_drop(struct tui_build_bg *b)
{
	if (b->dropped)
		return;
	if (b->started)
		pthread_join(b->t, NULL);
	b->started = 0;
	tui_events_free(b->e);
	b->e = NULL;
	b->dropped = 1;
	b->fr.m = b->j.m;
	model_free_start(&b->fr);
	if (!b->fr.started)
		model_free(b->j.m);
}

void tui_build_abandon(struct tui_build_bg *b)
{
	char aux[PATH_MAX + 16];

	if (!b || tui_build_done(b))
		return;
	/* db_write's own scratch file is NAME.part beside its target */
	snprintf(aux, sizeof(aux), "%s-rp", b->tmp);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s.part", b->tmp);
	unlink(aux);
	unlink(b->tmp);
}

void tui_build_free(struct tui_build_bg *b)
{
	if (!b)
		return;
	tui_build_drop(b);
	if (b->fr.started)
		pthread_join(b->fr.t, NULL);
	free(b);
}
