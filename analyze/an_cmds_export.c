/* SPDX-License-Identifier: MIT */
/*
 * an_cmds_export.c - `asanalyze export --sqlite OUT.db | --jsonl OUT FILE...`
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "analyze/an_cli.h"
#include "analyze/an_cmds.h"
#include "analyze/an_cmds_priv.h"
#include "analyze/db.h"
#include "analyze/export_jsonl.h"

static const char export_usage[] =
	"usage: asanalyze export (--sqlite OUT.db | --jsonl OUT) [OPTIONS] FILE...\n"
	"\n"
	"Write the analysis model: processes, execs, files, connections, TLS chunks,\n"
	"HTTP messages, LLM calls, messages, tool calls, tool effects and drops.\n"
	"The SQLite schema, its indexes and views are described in\n"
	"asanalyze-schema(7).  OUT is replaced; '-' writes JSONL to stdout.\n"
	"\n"
	"  --sqlite OUT.db  SQLite database\n"
	"  --jsonl OUT      JSON Lines, one object per row, with a \"type\" member\n"
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
 * freed here when @bg (nothing needs it after); else kept. */
static int do_sqlite(const struct an_opts *o, struct model *m, const struct causal *cz, int bg)
{
	struct model_bg_free b = { .m = m };
	struct db_opts dopts = { .redact = !o->no_redact, .causal = 1,
				 .rows_done = bg ? model_free_start : NULL, .rows_ctx = &b };
	struct db_counts cnt;
	char msg[512];
	int rc = db_write(m, cz, o->sqlite, &dopts, &cnt, msg, sizeof(msg));

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

int an_cmd_export(int argc, char **argv)
{
	struct an_opts o;
	struct causal *cz = NULL;
	struct model *m;
	int rc = an_opts_parse(&o, argc, argv, export_usage);

	if (rc >= 0)
		return rc;
	if (!o.sqlite && !o.jsonl)
		return an_usage(o.verb, "give --sqlite OUT.db or --jsonl OUT");
	m = an_load(&o);
	if (!m)
		return AN_EXIT_DATA;
	if (!o.jsonl)
		return do_sqlite(&o, m, NULL, 1);
	if (causal_build(m, &cz)) {
		an_err("out of memory");
		model_free(m);
		return AN_EXIT_DATA;
	}
	rc = AN_EXIT_OK;
	if (o.sqlite)
		rc = do_sqlite(&o, m, cz, 0);
	if (o.jsonl && rc == AN_EXIT_OK)
		rc = do_jsonl(&o, m, cz);
	causal_free(cz);
	model_free(m);
	return rc;
}
