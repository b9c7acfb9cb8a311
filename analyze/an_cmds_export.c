/* SPDX-License-Identifier: MIT */
/*
 * an_cmds_export.c - `asanalyze export --sqlite OUT.db | --jsonl OUT | ... FILE...`
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/an_cli.h"
#include "analyze/an_cmds.h"
#include "analyze/an_cmds_priv.h"
#include "analyze/db.h"
#include "analyze/export_jsonl.h"
#include "analyze/export_pcapng.h"
#include "analyze/export_perfetto.h"

static const char export_usage[] =
	"usage: asanalyze export OUTPUT... [OPTIONS] FILE...\n"
	"  OUTPUT: --sqlite OUT.db, --jsonl OUT, --otlp OUT.json,\n"
	"          --otlp-endpoint URL, --perfetto OUT.json, --pcapng OUT.pcapng\n"
	"\n"
	"Write the analysis model: processes, execs, files, connections, TLS chunks,\n"
	"HTTP messages, LLM calls, messages, tool calls, tool effects and drops.\n"
	"The SQLite schema, its indexes and views are described in\n"
	"asanalyze-schema(7).  OUT is replaced; '-' writes JSONL to stdout.\n"
	"\n"
	"  --sqlite OUT.db  SQLite database\n"
	"  --jsonl OUT      JSON Lines, one object per row, with a \"type\" member\n"
	"  --perfetto OUT.json  Chrome / Perfetto trace (Trace Event Format)\n"
	"  --pcapng OUT.pcapng  the decrypted HTTP conversations as TCP packets\n"
	"  --otlp OUT.json  OpenTelemetry traces (OTLP/JSON, GenAI conventions);\n"
	"                   always redacted, --no-redact does not apply\n"
	"  --otlp-endpoint URL  POST the same to an OTLP/HTTP collector\n"
	"                   (URL without a path: URL/v1/traces)\n"
	"  --otlp-content   add prompts and completions as span events\n"
	"  --pricing FILE   cost table\n"
	"  --no-redact      keep secrets as captured\n"
	"  -q, --quiet      no summary line on stderr\n";

static int do_jsonl(const struct an_opts *o, const struct model *m, const struct causal *cz)
{
	FILE *f = strcmp(o->jsonl, "-") ? fopen(o->jsonl, "w") : stdout;
	long n;

	if (!f) {
		an_err("'%s': %s", o->jsonl, strerror(errno));
		return AN_EXIT_DATA;
	}
	n = export_jsonl_write(m, cz, f, !o->no_redact);
	if ((f != stdout && fclose(f)) || n < 0) {
		an_err("'%s': write failed", o->jsonl);
		return AN_EXIT_DATA;
	}
	if (!o->quiet)
		an_err("wrote %ld objects to '%s'", n, o->jsonl);
	return AN_EXIT_OK;
}

/* @cz NULL: db_write finds the effects in a thread of its own.  @m is
 * freed here when @bg (nothing needs it after); else kept.  @ds: the rows
 * streamed while @m was built (db_stream_open), or NULL. */
static int do_sqlite(const struct an_opts *o, struct model *m, const struct causal *cz, int bg,
		     struct db_stream *ds)
{
	struct model_bg_free b = { .m = m };
	struct db_opts dopts = { .redact = !o->no_redact, .causal = 1,
				 .rows_done = bg ? model_free_start : NULL, .rows_ctx = &b,
				 .convs_done = bg ? model_free_convs_start : NULL };
	struct db_counts cnt;
	char msg[512];
	int rc = ds ? db_stream_finish(ds, m, cz, &dopts, &cnt, msg, sizeof(msg))
		    : db_write(m, cz, o->sqlite, &dopts, &cnt, msg, sizeof(msg));

	if (b.started)
		pthread_join(b.t, NULL);
	else if (bg)
		model_free(m);
	if (rc) {
		an_err("'%s': %s", o->sqlite, msg);
		return AN_EXIT_DATA;
	}
	if (!o->quiet)
		an_err("wrote '%s': %llu processes, %llu files, %llu connections, %llu http, "
		       "%llu llm_calls, %llu tool_effects, %llu drops", o->sqlite,
		       (unsigned long long)cnt.processes, (unsigned long long)cnt.files,
		       (unsigned long long)cnt.connections, (unsigned long long)cnt.http,
		       (unsigned long long)cnt.llm_calls, (unsigned long long)cnt.effects,
		       (unsigned long long)cnt.drops);
	return AN_EXIT_OK;
}

/* --perfetto / --pcapng: a file of @what through @write. */
static int do_file(const struct an_opts *o, const char *path, const char *mode,
		   const char *what, long (*write)(const struct model *, const struct causal *,
						  FILE *, int),
		   const struct model *m, const struct causal *cz)
{
	FILE *f = strcmp(path, "-") ? fopen(path, mode) : stdout;
	long n;

	if (!f) {
		an_err("'%s': %s", path, strerror(errno));
		return AN_EXIT_DATA;
	}
	n = write(m, cz, f, !o->no_redact);
	if ((f != stdout && fclose(f)) || (f == stdout && fflush(f)) || n < 0) {
		an_err("'%s': %s", path, n < 0 && n != -EIO ? strerror((int)-n) : "write failed");
		return AN_EXIT_DATA;
	}
	if (!o->quiet)
		an_err("wrote %ld %s to '%s'", n, what, path);
	return AN_EXIT_OK;
}

/* Only --sqlite: nothing else needs the model once the database is written. */
static int sqlite_only(const struct an_opts *o)
{
	return !o->jsonl && !o->perfetto && !o->pcapng && !o->otlp && !o->otlp_endpoint;
}

int an_cmd_export(int argc, char **argv)
{
	struct an_opts o;
	struct causal *cz = NULL;
	struct db_stream *ds = NULL;
	struct db_counts dcnt;
	struct model *m;
	int rc = an_opts_parse(&o, argc, argv, export_usage);

	if (rc >= 0)
		return rc;
	if (!o.sqlite && !o.jsonl && !o.perfetto && !o.pcapng && !o.otlp && !o.otlp_endpoint)
		return an_usage(o.verb, "give an output: --sqlite OUT.db, --jsonl OUT, "
				"--otlp OUT.json, --otlp-endpoint URL, --perfetto OUT.json or "
				"--pcapng OUT.pcapng");
	if (o.otlp_content && !o.otlp && !o.otlp_endpoint)
		return an_usage(o.verb, "--otlp-content needs --otlp or --otlp-endpoint");
	/* --sqlite alone: its file, connection and chunk rows are written on
	 * the second core while the capture is read */
	if (sqlite_only(&o) && !db_stream_open(o.sqlite, &ds, NULL, 0)) {
		/* memory bounded by what is open, not by the capture's size
		 * (model_sink); ASANALYZE_NO_STREAM=1 keeps the whole model as
		 * the other outputs do (to compare the two) */
		if (getenv("ASANALYZE_NO_STREAM") && !strcmp(getenv("ASANALYZE_NO_STREAM"), "1"))
			m = an_load_rows(&o, db_stream_row, ds);
		else
			m = an_load_sink(&o, db_stream_sink(ds, !o.no_redact));
		if (!m) {
			db_stream_finish(ds, NULL, NULL, NULL, &dcnt, NULL, 0);
			return AN_EXIT_DATA;
		}
		return do_sqlite(&o, m, NULL, 1, ds);
	}
	m = an_load(&o);
	if (!m)
		return AN_EXIT_DATA;
	if (sqlite_only(&o))
		return do_sqlite(&o, m, NULL, 1, NULL);
	if (causal_build(m, &cz)) {
		an_err("out of memory");
		model_free(m);
		return AN_EXIT_DATA;
	}
	rc = AN_EXIT_OK;
	if (o.sqlite)
		rc = do_sqlite(&o, m, cz, 0, NULL);
	if (o.jsonl && rc == AN_EXIT_OK)
		rc = do_jsonl(&o, m, cz);
	if (o.perfetto && rc == AN_EXIT_OK)
		rc = do_file(&o, o.perfetto, "w", "trace events", export_perfetto_write, m, cz);
	if (o.pcapng && rc == AN_EXIT_OK)
		rc = do_file(&o, o.pcapng, "wb", "packets", export_pcapng_write, m, cz);
	if ((o.otlp || o.otlp_endpoint) && rc == AN_EXIT_OK)
		rc = an_export_otlp(&o, m, cz);
	causal_free(cz);
	model_free(m);
	return rc;
}
