/* SPDX-License-Identifier: MIT */
/*
 * an_cmds_priv.h - option parsing and model loading shared by the verbs in
 * an_cmds.c, an_cmds_conv.c and an_cmds_export.c.  Not for other modules.
 */
#ifndef AS_ANALYZE_AN_CMDS_PRIV_H
#define AS_ANALYZE_AN_CMDS_PRIV_H

#include <stdio.h>

#include "analyze/causal.h"
#include "analyze/model.h"

struct an_opts {
	const char *verb;
	const char *pricing;
	int no_redact;
	int quiet;
	int json;
	int full;
	long pid;            /* -1: all */
	const char *sqlite;
	const char *jsonl;
	const char *perfetto;    /* export --perfetto OUT.json */
	const char *pcapng;      /* export --pcapng OUT.pcapng */
	const char *otlp;        /* export --otlp OUT.json */
	const char *otlp_endpoint; /* export --otlp-endpoint URL */
	int otlp_content;        /* export --otlp-content */
	char **files;
	int nfiles;
};

/* Parse the common options; returns -1 to go on, or an exit code. */
int an_opts_parse(struct an_opts *o, int argc, char **argv, const char *usage);

/* Build the model (printing the error); NULL on failure. */
struct model *an_load(const struct an_opts *o);
/* an_load, passing each finished file, network and TLS chunk row to @row
 * (model_opts.row) */
struct model *an_load_rows(const struct an_opts *o,
			   void (*row)(void *, const struct model *, int, size_t), void *ctx);
/* an_load, streaming every row to @sink (model_opts.sink): the model
 * returned keeps only the process and TLS connection tables */
struct model *an_load_sink(const struct an_opts *o, const struct model_sink *sink);

/* Scrub @s unless --no-redact; returns a new string (NULL in, NULL out). */
char *an_red(const struct an_opts *o, const char *s);

/* Print a string with control characters escaped, indented after newlines. */
void an_print_text(FILE *f, const char *s, const char *indent);

/* "12.3s", "450ms" */
const char *an_dur(uint64_t ns, char *buf, size_t size);

/*
 * What tree, conversations and explain print on stdout, for a model built
 * once (bundle's SUMMARY.txt): @o gives --pid, --json, --full and
 * --no-redact.  an_tree_print returns the number of trees shown.
 */
size_t an_tree_print(const struct an_opts *o, const struct model *m);
void an_conv_print(const struct an_opts *o, const struct model *m);
void an_explain_print(const struct an_opts *o, const struct model *m, const struct causal *cz);

/* export --otlp / --otlp-endpoint (an_cmds_otlp.c); returns an exit code. */
int an_export_otlp(const struct an_opts *o, const struct model *m, const struct causal *cz);

#endif
