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
	char **files;
	int nfiles;
};

/* Parse the common options; returns -1 to go on, or an exit code. */
int an_opts_parse(struct an_opts *o, int argc, char **argv, const char *usage);

/* Build the model (printing the error); NULL on failure. */
struct model *an_load(const struct an_opts *o);

/* Scrub @s unless --no-redact; returns a new string (NULL in, NULL out). */
char *an_red(const struct an_opts *o, const char *s);

/* Print a string with control characters escaped, indented after newlines. */
void an_print_text(FILE *f, const char *s, const char *indent);

/* "12.3s", "450ms" */
const char *an_dur(uint64_t ns, char *buf, size_t size);

const char *an_proc_name(const struct tree_proc *p);

#endif
